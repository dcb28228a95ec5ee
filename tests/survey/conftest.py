"""The demo organisation on a database of its own, loaded once for the tests that only read it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Organization, Wave
from survey.services.accounts import create_api_token
from survey.services.demo import DEMO_SLUG, load_demo
from tests.conftest import fresh_database, make_app


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """An app on its own database holding the demo (three released waves, one open), loaded once.

    Loading the demo takes many seconds, so the read-only API tests share it; they must not
    change it. Gives ``app``, a consultant's API ``token``, the ``organization_id``, the ids of
    the ``released`` waves (oldest first) and of the ``open`` wave, which has no release.
    Push ``app.app_context()`` to query it.
    """
    with fresh_database(tmp_path_factory) as url:
        app = make_app(url)
        with app.app_context():
            db.create_all()
            load_demo()
            token = create_api_token("consultant@demo.mindgap.test", "tests").token
            db.session.commit()
            organization = db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
            waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
            site = SimpleNamespace(
                app=app,
                token=token,
                headers={"Authorization": f"Bearer {token}"},
                organization_id=organization.id,
                released=[wave.id for wave in waves if wave.status == "closed"],
                open=next(wave.id for wave in waves if wave.status == "open"),
            )
            db.session.remove()
        try:
            yield site
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
