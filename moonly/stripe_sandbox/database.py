"""The sandbox's own database: an engine for it, and its tables created on first use.

SQLite (the embedded default) serialises writers. A transaction that starts as a reader
and later writes cannot wait for the lock in WAL mode: SQLite answers `database is
locked` at once when another writer committed in between, whatever the busy timeout.
So every sandbox transaction begins with `BEGIN IMMEDIATE`, taking the write lock up
front and waiting (busy_timeout) for it instead of failing.

PostgreSQL: the sandbox keeps its tables in a schema of its own (default
`stripe_sandbox`), so it can share a database with the app that uses it.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from .models import Base

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, instead of pysqlite's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str, schema: str = "stripe_sandbox") -> Engine:
    """An engine on the sandbox's database, with its tables in place."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "postgresql":
        if not _SCHEMA.match(schema):
            raise ValueError(f"Invalid schema name for the sandbox: {schema!r}")
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    elif backend == "sqlite":
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(parsed, **options)
    if backend == "sqlite":
        _sqlite_transactions(engine)
    create_tables(engine, schema if backend == "postgresql" else None)
    return engine


def create_tables(engine: Engine, schema: str | None) -> None:
    """Create the schema and tables where missing; safe when several processes start."""
    with engine.begin() as connection:
        if schema:
            # One process at a time: CREATE … IF NOT EXISTS still races in PostgreSQL.
            lock = zlib.crc32(f"moonly-stripe-sandbox:{schema}".encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        Base.metadata.create_all(connection)
