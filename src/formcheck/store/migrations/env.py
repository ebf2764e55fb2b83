"""Alembic environment for the session store.

Run programmatically by :func:`formcheck.store.migrate.upgrade`, which hands over an open connection in
``config.attributes["connection"]``. To write a new revision after changing ``models.py``::

    python -m formcheck.store.migrate revision -m "what changed"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from formcheck.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
