"""Fixtures shared by the whole suite, in the shape of Flask's tutorial: ``app``, ``client``, ``runner``.

The database is SQLite unless ``MINDGAP_TEST_DATABASE_URL`` names another server (CI sets it
to PostgreSQL). Each test run gets a database of its own, created for the run and dropped
after it; each test starts from empty tables.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.engine import make_url

from survey import create_app
from survey.extensions import db

pytest_plugins = ["tests.factories"]

SERVER_URL = os.environ.get("MINDGAP_TEST_DATABASE_URL", "")
TEST_SECRET_KEY = "test-secret-key"


@contextlib.contextmanager
def fresh_database(tmp_path_factory):
    """Yield the URL of a new, empty database, and drop it afterwards."""
    if not SERVER_URL or SERVER_URL.startswith("sqlite"):
        folder = tmp_path_factory.mktemp("db")
        yield f"sqlite:///{folder / 'mindgap-test.sqlite'}"
        return
    server = make_url(SERVER_URL)
    name = f"mindgap_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        pytest.exit(f"Cannot reach the test database server {server!r}: {error}", returncode=3)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "mindgap.test",
        "BASE_URL": "http://mindgap.test",
        # Jobs run at once in the process that queues them (the fault tests start real workers).
        "JOBS_IMMEDIATE": True,
        "JOBS_URL": "memory://",
    }
    config.update(overrides)
    app = create_app(config)

    @app.before_request
    def forget_cached_user():
        # Tests keep one app context open, which requests then share, and with it ``g``:
        # Flask-Login's cached user would leak from one test client to the next.
        g.pop("_login_user", None)

    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database for this run, with the schema created from the models."""
    with fresh_database(tmp_path_factory) as url:
        app = make_app(url)
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield url


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()
    # The rows are gone: so are their objects (SQLAlchemy 2.0 fails a flush that meets a new
    # object with the id of a deleted one still in the identity map).
    db.session.expunge_all()


@pytest.fixture
def app(database_url):
    """A fresh app on the run's database; every table is emptied after the test."""
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other_app():
    """Return ``make(database_url, **config)``: more app instances (another worker, another
    configuration), whose connection pools are closed after the test."""
    apps = []

    def make(database_url: str, **overrides):
        apps.append(make_app(database_url, **overrides))
        return apps[-1]

    yield make
    for extra in apps:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


#: Test files about presentation only (rendering, languages), left out of the PostgreSQL pass.
RUN_ONCE = {"test_report_presentation.py", "test_report_languages.py", "test_figure_language.py",
            "test_export_language.py", "test_respond_language.py", "test_error_pages.py"}  # fmt: skip


def pytest_collection_modifyitems(config, items):
    """Mark every test that touches the database, so CI can run them again on PostgreSQL."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
        # What the browser shows and what a PDF looks like do not depend on the database: the
        # browser tests and the report's presentation tests run once, on SQLite.
        if "e2e" in item.keywords or Path(str(item.fspath)).name in RUN_ONCE:
            item.add_marker(pytest.mark.once)
