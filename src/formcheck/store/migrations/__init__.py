"""Alembic migrations for the session store, run by :func:`formcheck.store.open_store`."""
