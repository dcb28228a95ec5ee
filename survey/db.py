"""Database engine settings that SQLAlchemy does not choose for us."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, has_request_context, request
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine


def configure_engine(app: Flask) -> None:
    """Set engine options per backend before Flask-SQLAlchemy creates the engine.

    SQLite is the embedded default, used by several processes (web workers, CLI) at once:
    WAL lets readers work during a write, ``busy_timeout`` makes writers wait instead of
    failing with "database is locked", and foreign keys are off unless asked for.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        if uri in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in uri:
            # An in-memory database lives in one connection: no pool to size.
            options.pop("pool_size", None)
            options.pop("max_overflow", None)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT"])
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see below).
    dbapi_connection.isolation_level = None


#: Requests with these methods only read; everything else is expected to write.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """Begin SQLite transactions of writing requests with IMMEDIATE, all others deferred.

    A deferred transaction that read first and writes later fails at once with "database
    is locked" when another writer committed in between; the busy timeout cannot help it.
    Taking the write lock at BEGIN makes concurrent writers queue for up to the busy
    timeout instead. Reading transactions stay deferred so that, with WAL, they never block
    writers. PostgreSQL needs none of this.
    """
    if connection.dialect.name != "sqlite":
        return
    writing = has_request_context() and request.method not in READING_METHODS
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def dialect_insert(dialect: str | None = None):
    """``insert`` of the session's (or ``dialect``'s) database, which knows ``ON CONFLICT``."""
    if dialect is None:
        from survey.extensions import db

        dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    return insert


@lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, table: Table, key: tuple[str, ...], update: tuple[str, ...], returning: bool
):
    statement = dialect_insert(dialect)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={column: statement.excluded[column] for column in update}
    )
    # RETURNING is what makes SQLAlchemy send all rows as one multi-row INSERT ("insertmanyvalues");
    # without it, an ON CONFLICT DO UPDATE goes row by row (one pipelined statement per row in
    # psycopg), which took twice the app CPU of this upsert in the load benchmark. SQLite before
    # 3.35 has no RETURNING; row by row costs no round trips there.
    return statement.returning(*(table.c[column] for column in key)) if returning else statement


def upsert(model, rows: list[dict], key: list[str], update: list[str]) -> None:
    """Insert ``rows`` into ``model``'s table, updating ``update`` columns where ``key`` exists.

    On PostgreSQL and SQLite alike (both have ON CONFLICT). The statement is built once per
    table and executed for all rows at once, so SQLAlchemy compiles it once per process and
    sends the rows as one multi-row INSERT (in batches of 1,000 rows). ``rows`` must not
    repeat a key: one statement cannot update a row twice.
    """
    if not rows:
        return
    from survey.extensions import db

    dialect = db.session.get_bind().dialect
    statement = _upsert_statement(
        dialect.name, model.__table__, tuple(key), tuple(update), dialect.insert_returning
    )
    db.session.connection().execute(statement, rows)


def fetch_plain_rows(statement) -> list[tuple]:
    """The rows of a SELECT as the driver returns them: plain tuples, no column types applied.

    For bulk reads of plain numbers and strings (a wave's answers): SQLAlchemy's rows cost
    about three times the driver's own for hundreds of thousands of rows. The statement runs
    on the session's connection, in its transaction, compiled for its database.
    """
    from survey.extensions import db

    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    parameters = compiled.construct_params()
    if compiled.positional:
        parameters = tuple(parameters[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return cursor.fetchall()
    finally:
        cursor.close()
