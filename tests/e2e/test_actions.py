"""The action pages in Chromium on a 375 px phone: nothing sticks out sideways, and the form works."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Action, Organization, Wave
from survey.services.demo import DEMO_PASSWORD, load_demo
from tests.e2e.test_reports import OVERFLOWING


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    organization = db.session.scalar(select(Organization))
    first = db.session.scalar(select(Wave).order_by(Wave.id))
    action = db.session.scalar(select(Action).order_by(Action.id))
    return organization.id, first.id, action.id


def test_the_action_pages_fit_a_phone_and_an_action_can_be_added(phone, live_server, demo):
    org_id, wave_id, action_id = demo
    page = phone().new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("manager@demo.mindgap.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/**")
    for path in ("/", f"/orgs/{org_id}/actions", f"/orgs/{org_id}/actions/{action_id}",
                 f"/orgs/{org_id}/actions/new?wave={wave_id}"):  # fmt: skip
        page.goto(f"{live_server}{path}")
        sideways = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert sideways <= 0, path
        assert page.evaluate(OVERFLOWING) == [], path
    page.get_by_label("What will be done").fill("Joint lead review every Monday")
    page.get_by_label("Dimension it should move").select_option(label="Communication and feedback")
    page.get_by_label("Teams").select_option(label="Demand Generation")
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_url(f"{live_server}/orgs/{org_id}/actions/*")
    assert page.get_by_role("heading", name="Joint lead review every Monday").is_visible()
    assert page.evaluate(OVERFLOWING) == []
