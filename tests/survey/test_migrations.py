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


def test_upgrade_renames_waves_that_share_a_name(migrated_app):
    """Duplicate wave names made reports and trends answer 500; the upgrade makes them unique."""
    upgrade(revision="5c0f1d7a9b3e")
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO organization (id, name, slug, created_at) "
                                   "VALUES (1, 'Acme', 'acme', '2026-01-01')"))  # fmt: skip
        for wave_id, name in ((1, "Spring"), (2, "Spring"), (3, "Spring (2)"), (4, "Autumn")):
            connection.execute(
                sa.text("INSERT INTO wave (id, organization_id, name, anonymity_threshold, mode, status, "
                        "languages, created_at) VALUES (:id, 1, :name, 5, 'confidential', 'closed', '[]', "
                        "'2026-01-01')"),
                {"id": wave_id, "name": name},
            )  # fmt: skip
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, name, release_policy FROM wave ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        (1, "Spring", "at_close"), (2, "Spring (3)", "at_close"), (3, "Spring (2)", "at_close"),
        (4, "Autumn", "at_close"),
    ]  # fmt: skip
    downgrade(revision="5c0f1d7a9b3e")  # and back down with the renamed rows in place
    upgrade()


def test_upgrade_cuts_times_of_anonymous_waves_to_the_day(migrated_app):
    upgrade(revision="8b2d5f0e3c71")
    exact = "2026-05-04 13:45:10.123456"
    with db.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO organization (id, name, slug, created_at) "
                                   "VALUES (1, 'Acme', 'acme', :t)"), {"t": exact})  # fmt: skip
        connection.execute(sa.text("INSERT INTO team (id, organization_id, name, function, key, created_at) "
                                   "VALUES (1, 1, 'Sales', 'sales', 'k1', :t)"), {"t": exact})  # fmt: skip
        for wave_id, mode in ((1, "anonymous"), (2, "confidential")):
            connection.execute(
                sa.text("INSERT INTO wave (id, organization_id, name, anonymity_threshold, mode, status, "
                        "languages, created_at, release_policy) "
                        "VALUES (:id, 1, :name, 5, :mode, 'open', '[]', :t, 'at_close')"),
                {"id": wave_id, "name": f"W{wave_id}", "mode": mode, "t": exact},
            )  # fmt: skip
            connection.execute(
                sa.text("INSERT INTO response (id, wave_id, team_id, status, locale, current_page, "
                        "started_at, updated_at, submitted_at) "
                        "VALUES (:id, :id, 1, 'submitted', 'en', 0, :t, :t, :t)"),
                {"id": wave_id, "t": exact},
            )  # fmt: skip
            connection.execute(
                sa.text("INSERT INTO answer (id, response_id, item_id, value, answered_at) "
                        "VALUES (:id, :id, 'q1', 3, :t)"),
                {"id": wave_id, "t": exact},
            )  # fmt: skip
    upgrade()
    with db.engine.connect() as connection:
        times = connection.execute(sa.text(
            "SELECT r.id, r.started_at, r.submitted_at, a.answered_at FROM response r "
            "JOIN answer a ON a.response_id = r.id ORDER BY r.id")).all()  # fmt: skip
    anonymous, confidential = ([str(value) for value in row[1:]] for row in times)
    assert all(value.startswith("2026-05-04 00:00:00") for value in anonymous), anonymous
    assert all("13:45:10" in value for value in confidential), confidential


def insert(connection, table: str, **values) -> None:
    connection.execute(sa.insert(sa.table(table, *map(sa.column, values))).values(**values))


def test_upgrade_moves_messages_left_sending_to_delivering(migrated_app):
    """Before the jobs, ``sending`` could mean delivered: the upgrade makes it unknown, never resent."""
    upgrade(revision="9c3e6a1f4d82")
    t = "2026-12-01 09:00:00"
    with db.engine.begin() as connection:
        insert(connection, "organization", id=1, name="Acme", slug="acme", created_at=t)
        insert(connection, "team", id=1, organization_id=1, name="Sales", function="sales", key="k1",
               created_at=t)  # fmt: skip
        insert(connection, "participant", id=1, organization_id=1, team_id=1, email="a@example.org",
               attributes="{}", active=True, created_at=t)  # fmt: skip
        insert(connection, "wave", id=1, organization_id=1, name="Spring", anonymity_threshold=5,
               mode="confidential", status="open", languages="[]", created_at=t,
               release_policy="at_close")  # fmt: skip
        insert(connection, "invitation", id=1, wave_id=1, participant_id=1, token_hash="0" * 64, created_at=t)
        rows = [("invitation", 0, "sending"), ("reminder", 1, "sent"), ("reminder", 2, "failed"),
                ("reminder", 3, "sending")]  # fmt: skip
        for send_id, (kind, number, status) in enumerate(rows, start=1):
            insert(connection, "email_send", id=send_id, invitation_id=1, kind=kind, round=number,
                   status=status, attempts=1, created_at=t, updated_at=t)  # fmt: skip

    def statuses() -> list[str]:
        with db.engine.connect() as connection:
            return list(connection.scalars(sa.text("SELECT status FROM email_send ORDER BY id")))

    assert statuses() == ["sending", "sent", "failed", "sending"]
    upgrade(revision="d4a7b2c9e815")
    assert statuses() == ["delivering", "sent", "failed", "delivering"]
    # Down again: SQLite rebuilds the wave table in batch mode, which must not cascade through
    # the invitations to the e-mail records (nor the releases' downgrade, which rebuilds it too).
    downgrade(revision="9c3e6a1f4d82")
    assert statuses() == ["sending", "sent", "failed", "sending"]
    downgrade(revision="5c0f1d7a9b3e")
    assert statuses() == ["sending", "sent", "failed", "sending"]
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM invitation")) == 1
    upgrade()
    assert statuses() == ["delivering", "sent", "failed", "delivering"]


def test_upgrade_counts_existing_links_as_handed_out(migrated_app):
    """Earlier downloads left no trace: every unused invitation's link counts as handed out."""
    upgrade(revision="d4a7b2c9e815")
    t = "2026-12-01 09:00:00"
    with db.engine.begin() as connection:
        insert(connection, "organization", id=1, name="Acme", slug="acme", created_at=t)
        insert(connection, "team", id=1, organization_id=1, name="Sales", function="sales", key="k1",
               created_at=t)  # fmt: skip
        for person in (1, 2, 3):
            insert(connection, "participant", id=person, organization_id=1, team_id=1, attributes="{}",
                   active=True, created_at=t)  # fmt: skip
        insert(connection, "wave", id=1, organization_id=1, name="Spring", anonymity_threshold=5,
               mode="confidential", status="open", languages="[]", created_at=t,
               release_policy="at_close")  # fmt: skip
        insert(connection, "invitation", id=1, wave_id=1, participant_id=1, token_hash="1" * 64, created_at=t,
               sent_at=t)  # fmt: skip
        insert(connection, "invitation", id=2, wave_id=1, participant_id=2, token_hash="2" * 64, created_at=t)
        insert(connection, "invitation", id=3, wave_id=1, participant_id=3, token_hash="3" * 64, created_at=t,
               used_at=t)  # fmt: skip
    upgrade(revision="c3e9a5b7d123")
    with db.engine.connect() as connection:
        handed = connection.execute(sa.text("SELECT id, handed_out_via FROM invitation ORDER BY id")).all()
        zone = connection.scalar(sa.text("SELECT time_zone FROM organization"))
    assert [tuple(row) for row in handed] == [(1, "email"), (2, "download"), (3, None)]
    assert zone == "UTC"
    downgrade(revision="d4a7b2c9e815")
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM invitation")) == 3
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("invitation")}
    assert "handed_out_via" not in columns


def test_upgrade_leaves_existing_links_without_a_nonce(migrated_app):
    """Invitations made before links were derived keep their hash and get no nonce: not derivable."""
    upgrade(revision="e5a0c7d9f345")
    t = "2026-12-01 09:00:00"
    with db.engine.begin() as connection:
        insert(connection, "organization", id=1, name="Acme", slug="acme", created_at=t)
        insert(connection, "team", id=1, organization_id=1, name="Sales", function="sales", key="k1",
               created_at=t)  # fmt: skip
        insert(connection, "participant", id=1, organization_id=1, team_id=1, attributes="{}", active=True,
               created_at=t)  # fmt: skip
        insert(connection, "wave", id=1, organization_id=1, name="Spring", anonymity_threshold=5,
               mode="confidential", status="open", languages="[]", created_at=t,
               release_policy="at_close")  # fmt: skip
        insert(connection, "invitation", id=1, wave_id=1, participant_id=1, token_hash="1" * 64, created_at=t)
    upgrade(revision="a7c2e4f6b813")
    with db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT token_hash, link_nonce FROM invitation")).one()
    assert tuple(row) == ("1" * 64, None)
    downgrade(revision="e5a0c7d9f345")
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("invitation")}
    assert "link_nonce" not in columns
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT token_hash FROM invitation")) == "1" * 64


def test_upgrade_gives_existing_users_the_browser_language(migrated_app):
    """Users made before the language choice follow the browser (NULL); the way down drops the column."""
    upgrade(revision="a7c2e4f6b813")
    with db.engine.begin() as connection:
        insert(connection, "user", id=1, email="a@example.com", password_hash="x", role="admin", active=True,
               created_at="2026-12-01 09:00:00")  # fmt: skip
    upgrade(revision="b8d3f5a7c924")
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text('SELECT language FROM "user"')) is None
    downgrade(revision="a7c2e4f6b813")
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("user")}
    assert "language" not in columns
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text('SELECT email FROM "user"')) == "a@example.com"
