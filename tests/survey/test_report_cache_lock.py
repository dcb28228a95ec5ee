"""A report page is served even when its cache cannot be written (another process writes)."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from survey.extensions import db
from survey.models import ReportCache, Wave
from survey.services.demo import DEMO_PASSWORD, load_demo

pytestmark = [pytest.mark.db, pytest.mark.slow]


def test_a_locked_database_serves_the_report_uncached(app, other_app, database_url, caplog):
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock of another process is SQLite's")
    load_demo()
    db.session.commit()
    wave_id = db.session.scalars(select(Wave.id).order_by(Wave.id)).all()[2]
    db.session.execute(ReportCache.__table__.delete())
    db.session.commit()
    db.session.remove()  # this test's own session holds no transaction
    # Another worker of the same site, which waits briefly for the write lock.
    worker = other_app(database_url, SQLITE_BUSY_TIMEOUT=0.2)
    client = worker.test_client()
    signed_in = client.post(
        "/auth/login", data={"email": "consultant@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    holder = sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        with caplog.at_level(logging.WARNING, logger="survey.services.reports"):
            page = client.get(f"/reports/waves/{wave_id}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)
    assert "database is locked" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(ReportCache)) == 0  # rolled back
