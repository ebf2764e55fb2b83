"""Run the store's Alembic migrations from code (no ``alembic.ini`` needed).

``python -m formcheck.store.migrate upgrade|current|revision -m MSG [--url URL]`` is the
developer's entry point; users never need it, because :func:`formcheck.store.open_store`
upgrades to head on open.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from formcheck.store.location import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind ``connection`` to ``revision`` (in its own transaction)."""
    command.upgrade(alembic_config(connection=connection), revision)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m formcheck.store.migrate")
    parser.add_argument("action", choices=("upgrade", "current", "revision"))
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--url", default=None, help="database URL (default: the configured store)")
    args = parser.parse_args(argv)
    cfg = alembic_config(args.url or database_url())
    if args.action == "upgrade":
        command.upgrade(cfg, "head")
    elif args.action == "current":
        command.current(cfg, verbose=True)
    else:
        command.revision(cfg, message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
