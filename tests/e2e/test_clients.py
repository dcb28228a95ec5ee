"""The clients' pages in a browser on a 375 px phone: console, people, branding, privacy, erasure.

Each page is measured for horizontal overflow, and the erasure is checked in the database.
Screenshots land in ``test-artifacts/clients/`` (kept by CI on failure).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invitation, Participant, Response
from survey.services.branding import set_accent_colour, set_logo, set_sender_name
from survey.services.privacy import set_retention
from tests.factories import PASSWORD
from tests.survey.test_branding import png

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "clients"

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def sign_in(page, base_url: str, address: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=email]", address)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


@pytest.mark.slow
def test_the_clients_pages_fit_a_phone_and_erasure_empties_the_database(live_server, phone, make_workspace):
    workspace = make_workspace()
    own = workspace["own"]
    organization_id, participant_id = own["org_id"], own["participant_id"]
    from survey.models import Organization

    organization = db.session.get(Organization, organization_id)
    set_accent_colour(None, organization, "#0b5394")
    set_sender_name(None, organization, "Own Org People Team")
    set_logo(None, organization, png(240, 60))
    set_retention(None, organization, 365)
    db.session.commit()

    page = phone().new_page()
    sign_in(page, live_server, workspace.users["consultant"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "console": "/clients",
        "people": f"/orgs/{organization_id}/people",
        "branding": f"/orgs/{organization_id}/branding",
        "privacy": f"/orgs/{organization_id}/privacy",
        "erase": f"/orgs/{organization_id}/roster/{participant_id}/erase",
        "forgot": "/auth/forgot",
    }
    for name, path in pages.items():
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert page.evaluate(OVERFLOW) <= 0, f"{name} is wider than the phone"
    # The erase page says what happens, and erases only once confirmed.
    page.goto(f"{live_server}/orgs/{organization_id}/roster/{participant_id}/erase")
    assert "This removes, for good" in page.content()
    page.click("button.danger")
    assert "Tick the box to confirm" in page.content()
    assert db.session.get(Participant, participant_id) is not None
    page.check("input[name=confirm]")
    page.click("button.danger")
    page.wait_for_url(f"{live_server}/orgs/{organization_id}/privacy")
    assert "Erased" in page.content()
    db.session.rollback()  # end the test's read transaction: the server committed since
    assert db.session.get(Participant, participant_id) is None
    assert (
        db.session.scalar(
            select(func.count(Invitation.id)).where(Invitation.participant_id == participant_id)
        )
        == 0
    )
    assert db.session.scalar(select(func.count(Response.id)).where(Response.invitation_id.is_(None))) == 0
