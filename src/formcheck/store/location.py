"""Where the session store lives: the data folder (database file, clips) and the database URL.

- data folder: ``FORMCHECK_DATA_DIR``, else the SQLite file's folder when the URL names one,
  else ``platformdirs.user_data_dir("formcheck")``;
- database: ``FORMCHECK_DATABASE_URL``, else ``sqlite:///<data folder>/formcheck.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

DATA_DIR_ENV = "FORMCHECK_DATA_DIR"
DATABASE_URL_ENV = "FORMCHECK_DATABASE_URL"
DB_FILE = "formcheck.db"


def data_dir(explicit: str | os.PathLike[str] | None = None, url: str | None = None) -> Path:
    """The data folder: ``explicit``, else the environment, else the SQLite ``url``'s folder,
    else the user data folder."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    if url is not None:
        u = make_url(url)
        if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
            return Path(u.database).resolve().parent
    import platformdirs

    return Path(platformdirs.user_data_dir("formcheck"))


def database_url(url: str | None = None, folder: Path | None = None) -> str:
    """The URL to use: ``url``, else ``FORMCHECK_DATABASE_URL``, else SQLite in the data folder.
    ``postgresql://`` URLs are given the psycopg (3) driver."""
    url = url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        return f"sqlite:///{(folder or data_dir()) / DB_FILE}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
