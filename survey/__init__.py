"""Mindgap's web application: surveys for respondents, a workspace for consultants and managers."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from survey.config import (
    DEV_SECRET_KEY,
    DefaultConfig,
    database_url,
    load_env_files,
    mail_folder,
    project_root,
)
from survey.converters import IdConverter


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the Mindgap application.

    Configuration is read in layers, later ones winning: :class:`~survey.config.DefaultConfig`,
    then ``instance/config.py``, then ``MINDGAP_*`` environment variables (those not set are read
    from ``.env`` in the working directory, then in the instance folder), then ``test_config``.
    """
    root = project_root()
    if test_config is None:  # tests never read a developer's .env
        load_env_files(Path.cwd())
    app = Flask(
        __name__,
        instance_relative_config=True,
        # Flask's default is ``instance/`` beside the package in a checkout.
        instance_path=os.environ.get("MINDGAP_INSTANCE_PATH") or None,
        template_folder=str(root / "templates"),
    )
    # Before any route exists: every <int:...> in a URL is bounded to ids the database can hold.
    app.url_map.converters["int"] = IdConverter
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if test_config is None:
        load_env_files(app.instance_path)
    app.config.from_prefixed_env("MINDGAP")
    if test_config is not None:
        app.config.update(test_config)

    _refuse_development_key(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config, app.instance_path)
    app.config["MIGRATIONS_DIRECTORY"] = str(root / "migrations")
    app.config["MAIL_FOLDER"] = mail_folder(app.config, app.instance_path)

    # models register their tables
    from survey import cli, errors, extensions, health, i18n, jobs, logs, metrics, models, security  # noqa: F401
    from survey.db import configure_engine

    logs.init_app(app)  # first: the request id exists before any other hook logs
    metrics.init_app(app)
    configure_engine(app)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=app.config["MIGRATIONS_DIRECTORY"])
    extensions.csrf.init_app(app)
    extensions.login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.install(app)
    cli.init_app(app)
    jobs.queue.init_app(app)
    health.init_app(app)
    _register_blueprints(app)
    return app


def _refuse_development_key(app: Flask) -> None:
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError(
            "Refusing to start with the development secret key. Set MINDGAP_SECRET_KEY to a long random "
            'value (python -c "import secrets; print(secrets.token_urlsafe(48))"), or put SECRET_KEY in '
            "instance/config.py. Development servers may use the default with --debug."
        )


def _register_blueprints(app: Flask) -> None:
    from survey.blueprints.actions.views import bp as actions_bp
    from survey.blueprints.api.views import bp as api_bp
    from survey.blueprints.auth.views import bp as auth_bp
    from survey.blueprints.clients.views import bp as clients_bp
    from survey.blueprints.main.views import bp as main_bp
    from survey.blueprints.reports.views import bp as reports_bp
    from survey.blueprints.respond.views import bp as respond_bp
    from survey.blueprints.workspace.views import bp as workspace_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(actions_bp)
