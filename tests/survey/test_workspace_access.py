"""Authorisation over every route × every role × own and other organisation.

The table below must name every endpoint of the app: a route added without an entry fails
:func:`test_every_route_has_an_access_rule`, so nobody forgets to decide who may use it.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask import url_for

from survey.extensions import db
from survey.models import Membership, Organization
from survey.models import user as user_model
from tests.factories import PASSWORD

PUBLIC, SIGNED_IN, ADMIN, VIEW, MANAGE = "public", "signed-in", "admin", "view", "manage"
#: Admins and consultants: creating an organisation (a consultant taking on a client).
CREATE = "create"
#: The JSON API: bearer tokens, not sessions (tested in tests/survey/test_reports.py).
TOKEN = "token"

WAVE = ("wave_id",)
ORG = ("org_id",)
ACTION = ("org_id", "action_id")

#: endpoint -> (who may use it, the URL parameters it takes from the organisation's ids).
ACCESS_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "static": (PUBLIC, ()),
    "main.health": (PUBLIC, ()),
    "health.healthz": (PUBLIC, ()),
    "health.readyz": (PUBLIC, ()),
    "metrics.metrics": (TOKEN, ()),  # a bearer token of its own (MINDGAP_METRICS_TOKEN)
    "auth.login": (PUBLIC, ()),
    "auth.forgot": (PUBLIC, ()),
    "auth.set_password": (PUBLIC, ()),  # the one-time link is its own credential (test_clients.py)
    "clients.logo": (PUBLIC, ()),  # survey pages show it; its address names its digest (test_branding.py)
    "respond.entry": (PUBLIC, ()),
    "respond.start": (PUBLIC, ()),
    "respond.page": (PUBLIC, ()),
    "respond.answer": (PUBLIC, ()),  # the invitation link is its credential (test_respond_autosave.py)
    "respond.thanks": (PUBLIC, ()),
    "main.index": (SIGNED_IN, ()),
    "auth.logout": (SIGNED_IN, ()),
    "auth.password": (SIGNED_IN, ()),
    "auth.account": (SIGNED_IN, ()),
    "workspace.new_organization": (CREATE, ()),
    "workspace.users": (ADMIN, ()),
    "workspace.end_user_sessions": (ADMIN, ("user_id",)),
    "workspace.organization": (VIEW, ORG),
    "workspace.teams": (MANAGE, ORG),
    "workspace.edit_team": (MANAGE, ("org_id", "team_id")),
    "workspace.roster": (MANAGE, ORG),
    "workspace.roster_import": (MANAGE, ORG),
    "workspace.edit_participant": (MANAGE, ("org_id", "participant_id")),
    "workspace.audit_log": (MANAGE, ORG),
    "clients.console": (SIGNED_IN, ()),
    "clients.people": (MANAGE, ORG),
    "clients.branding_page": (MANAGE, ORG),
    "clients.logo_upload": (MANAGE, ORG),
    "clients.logo_remove": (MANAGE, ORG),
    "clients.privacy_page": (MANAGE, ORG),
    "clients.erase": (MANAGE, ("org_id", "participant_id")),
    "clients.export": (MANAGE, ("org_id", "participant_id")),
    "workspace.new_wave": (MANAGE, ORG),
    "workspace.wave": (MANAGE, WAVE),
    "workspace.open_wave_view": (MANAGE, WAVE),
    "workspace.close_wave_view": (MANAGE, WAVE),
    "workspace.release": (MANAGE, WAVE),
    "workspace.threshold": (MANAGE, WAVE),
    "workspace.reminders": (MANAGE, WAVE),
    "workspace.wording": (MANAGE, WAVE),
    "workspace.cuts_view": (MANAGE, WAVE),
    "workspace.survey_form": (MANAGE, WAVE),
    "workspace.invite": (MANAGE, WAVE),
    "workspace.clone": (MANAGE, WAVE),
    "workspace.links": (MANAGE, WAVE),
    "workspace.send": (MANAGE, WAVE),
    "workspace.remind": (MANAGE, WAVE),
    "workspace.retry": (MANAGE, WAVE),
    "workspace.board": (MANAGE, WAVE),
    "workspace.board_json": (MANAGE, WAVE),
    "workspace.time_zone": (MANAGE, ORG),
    "workspace.preview": (MANAGE, WAVE),
    "workspace.test_email": (MANAGE, WAVE),
    "workspace.links_page": (MANAGE, WAVE),
    "workspace.reissue_all": (MANAGE, WAVE),
    "workspace.reissue_one": (MANAGE, ("wave_id", "participant_id")),
    "workspace.confirm_close": (MANAGE, WAVE),
    "workspace.reopen": (MANAGE, WAVE),
    "reports.wave_report": (VIEW, WAVE),
    "reports.wave_report_pdf": (VIEW, WAVE),
    "reports.wave_results": (VIEW, ("wave_id", "extension")),
    "reports.wave_responses": (MANAGE, WAVE),
    "reports.team_report": (VIEW, ("wave_id", "team_id")),
    "reports.font": (PUBLIC, ()),  # the font of report pages, shipped with matplotlib
    "api.openapi": (PUBLIC, ()),
    "api.wave_report": (TOKEN, WAVE),
    "api.organization_trend": (TOKEN, ("organization_id",)),
    "api.organization_actions": (TOKEN, ("organization_id",)),
    # Action plans: every member may add and update them (the client owns its actions).
    "actions.index": (VIEW, ORG),
    "actions.new": (VIEW, ORG),
    "actions.show": (VIEW, ACTION),
    "actions.edit": (VIEW, ACTION),
    "actions.add_update": (VIEW, ACTION),
}

#: What each role may reach in its own organisation (admins: everything everywhere).
ROLE_REACH = {
    "consultant": {SIGNED_IN, CREATE, VIEW, MANAGE},
    "manager": {SIGNED_IN, VIEW},
}


def expected_status(role: str, policy: str, side: str) -> str:
    """``login`` (sent to sign in), ``allowed``, ``403`` or ``404``."""
    if role == "anonymous":
        return "login"
    if role == "admin" or policy == SIGNED_IN:
        return "allowed"
    if policy in (ADMIN, CREATE):
        return "allowed" if policy in ROLE_REACH[role] else "403"
    if side == "other":
        return "404"
    return "allowed" if policy in ROLE_REACH[role] else "403"


def cases():
    for endpoint, (policy, _) in sorted(ACCESS_RULES.items()):
        if policy in (PUBLIC, TOKEN):
            continue
        for role in ("anonymous", "admin", "consultant", "manager"):
            sides = ("own", "other") if policy in (VIEW, MANAGE) else ("own",)
            for side in sides:
                yield pytest.param(endpoint, role, side, id=f"{endpoint}-{role}-{side}")


@pytest.fixture
def quick_hashes(monkeypatch):
    """Argon2 with the smallest cost: the matrix signs in hundreds of times."""
    monkeypatch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def test_every_route_has_an_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ACCESS_RULES))
    assert not missing, f"routes without an access rule in ACCESS_RULES: {missing}"
    stale = sorted(set(ACCESS_RULES) - endpoints)
    assert not stale, f"access rules for routes that no longer exist: {stale}"


def _methods(app, endpoint: str) -> list[str]:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.mark.parametrize(("endpoint", "role", "side"), list(cases()))
def test_route_access(app, client, auth, make_workspace, quick_hashes, endpoint, role, side):
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=9)  # nothing listens: sending fails fast
    workspace = make_workspace()
    if role != "anonymous":
        assert auth.login(workspace.users[role], PASSWORD).status_code == 302
    policy, parameters = ACCESS_RULES[endpoint]
    url = url_for(endpoint, **{name: workspace[side][name] for name in parameters})
    expected = expected_status(role, policy, side)
    for method in _methods(app, endpoint):
        response = client.open(url, method=method, data={})
        outcome = f"{method} {url} as {role}: {response.status_code} {response.headers.get('Location', '')}"
        if expected == "login":
            assert response.status_code == 302, outcome
            assert "/auth/login" in response.headers["Location"], outcome
        elif expected == "allowed":
            # Reports of the fixture's open wave have no release yet: past the access check they
            # answer with the page that says when results come.
            unreleased = response.status_code == 404 and b"released when it closes" in response.data
            assert response.status_code in (200, 302) or unreleased, outcome
            assert "/auth/login?next=" not in response.headers.get("Location", ""), outcome
        else:
            assert response.status_code == int(expected), outcome


@pytest.mark.parametrize(
    ("endpoint", "child"),
    [("workspace.edit_team", "team_id"), ("workspace.edit_participant", "participant_id")],
)
def test_own_organisation_url_with_another_organisations_object_is_404(
    app, client, auth, make_workspace, quick_hashes, endpoint, child
):
    workspace = make_workspace()
    auth.login(workspace.users["consultant"])
    url = url_for(endpoint, org_id=workspace["own"]["org_id"], **{child: workspace["other"][child]})
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "Taken over", "function": "sales"}).status_code == 404


def test_manager_sees_rates_but_no_roster_and_small_teams_combined(
    app, client, auth, make_workspace, quick_hashes
):
    workspace = make_workspace(per_team=2)  # 2 invited per team: below the wave's threshold of 3
    auth.login(workspace.users["manager"])
    page = client.get(url_for("workspace.organization", org_id=workspace["own"]["org_id"])).get_data(
        as_text=True
    )
    assert "2 teams not shown separately (small groups): fewer than 3 responses" in page
    assert "own.sales1@x.org" not in page
    assert "Import roster" not in page


def test_a_consultant_creating_an_organisation_runs_it(client, auth, make_user, quick_hashes):
    make_user("c@example.org", role="consultant")
    auth.login("c@example.org")
    response = client.post("/orgs/new", data={"name": "New Client"})
    assert response.status_code == 302
    organization = db.session.scalar(db.select(Organization).where(Organization.name == "New Client"))
    membership = db.session.scalar(db.select(Membership))
    assert (membership.organization_id, membership.role) == (organization.id, "consultant")
    assert client.get(f"/orgs/{organization.id}/teams").status_code == 200
