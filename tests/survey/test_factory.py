"""The application factory and its configuration layers."""

from __future__ import annotations

import sqlite3

import pytest

from survey import create_app
from survey.config import DEV_SECRET_KEY, database_url
from survey.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, and an environment free of MINDGAP_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("MINDGAP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MINDGAP_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_testing_flag(instance):
    assert not create_app({"SECRET_KEY": "s"}).testing
    assert create_app({"TESTING": True}).testing


def test_production_refuses_development_key(instance):
    with pytest.raises(RuntimeError, match="MINDGAP_SECRET_KEY"):
        create_app()
    with pytest.raises(RuntimeError, match="development secret key"):
        create_app({"SECRET_KEY": DEV_SECRET_KEY})


def test_development_key_allowed_in_debug_and_testing(instance, monkeypatch):
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY
    monkeypatch.setenv("MINDGAP_DEBUG", "true")
    assert create_app().debug


def test_config_layers_later_wins(instance, monkeypatch):
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-instance"\nBASE_URL = "https://instance.example"\n'
        "DEFAULT_ANONYMITY_THRESHOLD = 7\n"
    )
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["BASE_URL"] == "https://instance.example"
    assert app.config["DEFAULT_ANONYMITY_THRESHOLD"] == 7

    monkeypatch.setenv("MINDGAP_BASE_URL", "https://env.example")
    monkeypatch.setenv("MINDGAP_DEFAULT_ANONYMITY_THRESHOLD", "6")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance"  # not overridden
    assert app.config["BASE_URL"] == "https://env.example"
    assert app.config["DEFAULT_ANONYMITY_THRESHOLD"] == 6  # parsed as JSON, an int

    app = create_app({"BASE_URL": "https://test.example"})
    assert app.config["BASE_URL"] == "https://test.example"


def test_database_url_from_environment(instance, monkeypatch):
    monkeypatch.setenv("MINDGAP_DATABASE_URL", "postgresql://u@db.example/mindgap")
    app = create_app({"SECRET_KEY": "s"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/mindgap"


def test_default_database_is_sqlite_in_instance(instance):
    app = create_app({"SECRET_KEY": "s"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'mindgap.sqlite'}"
    assert database_url({"DATABASE_URL": "postgres://h/d"}, "/x") == "postgresql+psycopg://h/d"


def test_sqlite_connection_settings(instance):
    app = create_app({"SECRET_KEY": "s"})
    with app.app_context():
        with db.engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 15000
        db.engine.dispose()


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_unknown_page_is_a_clear_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.get_json()["status"] == 404


def test_in_memory_sqlite_works(instance):
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        db.create_all()
        assert db.session.execute(db.text("SELECT 1")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
