"""Database fixtures for the store tests: a real SQLite file and a real PostgreSQL server.

PostgreSQL: ``FORMCHECK_TEST_POSTGRES_URL`` (an admin URL of a running server) if set; otherwise
a throwaway cluster is initdb'd with the Debian binaries (``/usr/lib/postgresql/*/bin``) in a
temporary folder, on a free port, listening on 127.0.0.1 only, run as the ``postgres`` user
when the tests run as root (PostgreSQL refuses to run as root). Each test gets a fresh
database. Missing binaries skip the PostgreSQL cases with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
                            if p.split("/")[-2].isdigit() else 0, reverse=True):
        if (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster. ``admin_url`` reaches its ``postgres`` database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="formcheck-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root)
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            self.as_user = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
        self.admin_url = f"postgresql+psycopg://formcheck@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.as_user and self.as_user[0] == "su":
            import shlex

            cmd = [*self.as_user, shlex.join(cmd)]
        else:
            cmd = [*self.as_user, *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        r = self._run(self.bindir / "initdb", "-D", self.data, "-U", "formcheck", "--auth=trust",
                      "--encoding=UTF8", "--no-sync")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr[-2000:]}")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        r = self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.root / "server.log",
                      "-w", "-t", "60", "start")
        if r.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr[-1000:]}\n{log[-2000:]}")

    def stop(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_admin_url():
    """Admin URL of a PostgreSQL server for the tests (started here unless given)."""
    given = os.environ.get("FORMCHECK_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    pytest.importorskip("psycopg")
    server = PostgresServer(bindir)
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc))
    yield server.admin_url
    server.stop()


def fresh_postgres_db(admin_url: str, template: str | None = None) -> str:
    """Create a database on the server (empty, or a copy of ``template``); returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url, tmp_path_factory) -> str:
    """A database migrated to head once; tests get copies of it (much faster than migrating)."""
    from sqlalchemy.engine import make_url

    from formcheck.store import open_store

    url = fresh_postgres_db(postgres_admin_url)
    open_store(url, tmp_path_factory.mktemp("pg-template")).close()
    return make_url(url).database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh database of each kind, at the newest schema: a SQLite file (migrated when first
    opened), or a new PostgreSQL database copied from the migrated template."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'formcheck.db'}"
    admin = request.getfixturevalue("postgres_admin_url")
    return fresh_postgres_db(admin, request.getfixturevalue("postgres_template"))


#: For tests of logic above the database (validation, arithmetic): run on SQLite only, to keep
#: the suite fast; the database-facing behaviour is tested on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path) -> str:
    """A database with no tables at all, of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty' / 'formcheck.db'}"
    return fresh_postgres_db(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def store(db_url, tmp_path):
    from formcheck.store import open_store

    s = open_store(db_url, tmp_path / "data")
    yield s
    s.close()


def test_postgres_server_is_real(postgres_admin_url):
    """The PostgreSQL fixture starts a real server (a query round-trips through it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_admin_url)
    with engine.connect() as conn:
        assert "PostgreSQL" in conn.execute(text("select version()")).scalar_one()
    engine.dispose()
