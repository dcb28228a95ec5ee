"""Alembic environment for Mindgap, run through Flask-Migrate (``mindgap db …``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from survey.models.types import UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep the application's own loggers alive when migrations run inside tests or the CLI.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def skip_empty_autogenerate(context_, revision, directives):
    """``mindgap db migrate`` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_options():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("render_item", render_item)
    options.setdefault("compare_type", True)
    options.setdefault("render_as_batch", True)
    return options


def run_migrations_offline():
    """Write the SQL to standard output instead of running it (``mindgap db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=db.metadata,
        literal_binds=True,
        **configure_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """Turn SQLite's foreign keys on or off for this connection, outside any transaction.

    Batch operations rebuild a table by copying it and dropping the old one; with foreign
    keys on, dropping ``wave`` deletes (cascades through) the rows that refer to it, e-mail
    records included. SQLite ignores the pragma inside a transaction, so it is sent on the
    driver connection before the migrations' transaction begins.
    """
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def run_migrations_online():
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=db.metadata, **configure_options())
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        tables = sorted({row[0] for row in broken})
                        raise RuntimeError(
                            f"The migration left rows without their parent in {', '.join(tables)}"
                        )
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
