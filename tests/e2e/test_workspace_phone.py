"""Every workspace page fits a 375 px wide phone: no horizontal scrolling, for each role."""

from __future__ import annotations

import os

import pytest
from flask import url_for

from survey.extensions import db
from survey.models import Invitation, Participant
from survey.services.invitations import export_links
from tests.factories import PASSWORD

ARTIFACTS = os.environ.get("MINDGAP_TEST_ARTIFACTS", "")
#: Workspace endpoints that answer with something other than a page.
NOT_PAGES = {"workspace.board_json"}
#: Endpoints of the signed-in side whose pages are measured besides the workspace blueprint's.
OTHER_PAGES = {"main.index", "auth.password"}


def workspace_pages(app, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, URL) of every page of the workspace that a GET shows, with the workspace's ids."""
    pages = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if not (endpoint.startswith(("workspace.", "clients.")) or endpoint in OTHER_PAGES):
            continue
        if endpoint in NOT_PAGES or "GET" not in rule.methods:
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        with app.test_request_context():
            pages.append((endpoint, url_for(endpoint, **{name: ids[name] for name in rule.arguments})))
    return sorted(set(pages))


def overflow(page) -> dict:
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
        " wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)})"
    )


@pytest.mark.parametrize("role", ["consultant", "manager", "admin"])
def test_every_workspace_page_fits_a_phone(app, live_server, phone, make_workspace, role):
    workspace = make_workspace(per_team=3)
    wave_id = workspace["own"]["wave_id"]
    export_links(db.session.get(Invitation, 1).wave)  # hands the links out, so the pages show that state
    # A long address, as real rosters have: headings that name it must wrap.
    db.session.get(Participant, workspace["own"]["participant_id"]).email = (
        "demand.generation.operations.01@northwind-demo-company.mindgap.test"
    )
    db.session.commit()
    page = phone().new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(workspace.users[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    ids = dict(workspace["own"]) | {"wave_id": wave_id}
    checked, failures = 0, []
    for endpoint, path in workspace_pages(app, ids):
        answer = page.goto(f"{live_server}{path}")
        if answer.status in (403, 404):  # not this role's page (the access tests cover who sees what)
            continue
        assert answer.status == 200, f"{endpoint} {path}: {answer.status}"
        page.wait_for_load_state("load")
        measured = overflow(page)
        checked += 1
        if ARTIFACTS:
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, f"phone-{role}-{endpoint}.png"), full_page=True)
        if measured["scroll"] > measured["client"]:
            failures.append(f"{endpoint} {path}: {measured}")
    assert checked >= (3 if role == "manager" else 15), checked
    assert not failures, "\n".join(failures)
