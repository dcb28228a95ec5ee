"""Migrations: one head, a schema equal to the models, and a clean way down and up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from survey.extensions import db
from tests.conftest import fresh_database, make_app


@pytest.fixture
def migrated_app(tmp_path_factory):
    """An app on a new, empty database (not the suite's shared one)."""
    with fresh_database(tmp_path_factory) as url:
        app = make_app(url)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


# The fixture creates its own database, so mark it for the PostgreSQL pass explicitly.
pytestmark = pytest.mark.db


def test_single_head(app):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def user_tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade(migrated_app):
    upgrade()
    assert user_tables() == set(db.metadata.tables)
    assert schema_differences() == []

    downgrade(revision="base")
    assert user_tables() == set()

    upgrade()
    assert user_tables() == set(db.metadata.tables)
    assert schema_differences() == []


def test_db_upgrade_command(migrated_app):
    result = migrated_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert user_tables() == set(db.metadata.tables)
    again = migrated_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output  # nothing left to do is no error
