"""Hypothesis on every form: generated posts to every POST endpoint of the web app.

The endpoints come from the app's URL map, so a new form that is neither fuzzed here nor
listed in ``NOT_FUZZED`` with a reason fails :func:`test_every_post_endpoint_is_fuzzed`.
Each form is posted by the role that uses it, with the field names of its WTForms class (or,
for survey pages, of the page's items), mixing plausible values with hostile ones: any
unicode including control characters, NUL and lone surrogates, very long strings, numbers
as text, empty values, a field sent several times, fields that do not exist, wrong ids in
the path. Every answer must be below 500; a refusal is a 4xx, a re-rendered form with a
message or a redirect with an error message, and it leaves every table as it was.

Bounded and reproducible: a fixed number of examples per endpoint, no deadline, derandomised.
"""

from __future__ import annotations

import io
import json
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from survey.blueprints.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    SetPasswordForm,
)
from survey.blueprints.clients import forms as clients_forms
from survey.blueprints.workspace import forms as workspace_forms
from survey.extensions import db
from survey.models import RELEASE_POLICIES, TEAM_FUNCTIONS, USER_ROLES, WAVE_MODES
from survey.models import user as user_model
from survey.services.responding import PREFER_NOT_TO_SAY
from tests.factories import PASSWORD

pytestmark = pytest.mark.db

EXAMPLES = 30
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

#: Values no form of ours expects; each has broken some parser somewhere.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\r\n",
    "\t\x0b\x0c\x1b\x7f",
    "\u202e\u200b\ufeff",
    "\u2028\u2029",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "-1",
    "0",
    "2147483648",
    "9" * 40,
    "1e309",
    "NaN",
    "-inf",
    "٣",
    "𝟙𝟚",
    "ann@example.org\r\nBcc: x@example.org",
    "jürgen.müller@exämple.org",
    "x" * 5000,
    "é" * 70_000,
]
#: Characters from the categories that trouble storage and rendering the most.
ODD_CHARACTERS = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Mn"]) | st.characters()
hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(ODD_CHARACTERS, max_size=40),
    st.integers().map(str),
    st.floats().map(str),
    st.tuples(st.text(ODD_CHARACTERS, min_size=1, max_size=3), st.integers(300, 3000)).map(
        lambda repeat: repeat[0] * repeat[1]
    ),
)


def form_fields(form_class) -> list[str]:
    """The field names a WTForms form class posts, its CSRF token included."""
    names = [name for name in dir(form_class) if isinstance(getattr(form_class, name), UnboundField)]
    return [*sorted(names), "csrf_token"]


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    """A form body as a browser would send it; lone surrogates become the bytes a careless client sends."""
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode("ascii")


@st.composite
def form_data(
    draw, plausible: dict[str, st.SearchStrategy], near: dict[str, st.SearchStrategy] | None = None
):
    """Pairs for a form body: plausible values, with one field or every field broken.

    A broken field is hostile, a near miss from ``near`` (whose names may be fields the form
    does not have) or plausible, and sent once, several times or not at all; a body with every
    field broken also carries fields nobody expects.
    """
    near = near or {}
    names = [*plausible, *(name for name in near if name not in plausible)]
    mode = draw(st.sampled_from(["plausible", "one broken", "one broken", "all broken"]))
    if mode == "plausible" or not names:
        broken = set()
    elif mode == "one broken":
        broken = {draw(st.sampled_from(names))}
    else:
        broken = set(names)
    pairs = []
    for name in names:
        if name not in broken:
            if name in plausible:
                pairs.append((name, draw(plausible[name])))
            continue
        values = st.one_of(hostile, *(choices[name] for choices in (plausible, near) if name in choices))
        repeats = draw(st.sampled_from([1, 1, 1, 0, 2, 3]))
        pairs += [(name, draw(values)) for _ in range(repeats)]
    if mode == "all broken":
        extra = st.tuples(st.sampled_from(["", "id", "submit", "x" * 300]) | hostile, hostile)
        pairs += draw(st.lists(extra, max_size=2))
    return draw(st.permutations(pairs))


# --- what a refusal leaves behind


#: Tables that change with every request or every failed sign-in, whatever the form.
UNTRACKED = {"user_session", "login_failure", "report_cache"}


def snapshot(extra_untracked=frozenset()) -> dict[str, list]:
    """Every row of every tracked table, to compare before and after a refused post."""
    db.session.rollback()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNTRACKED | extra_untracked:
            continue
        rows = db.session.execute(sa.select(table)).all()
        state[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return state


def flashed(client) -> list[tuple[str, str]]:
    """The messages a redirect left for the next page (taken, so they do not pile up)."""
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


ERROR_MARKUP = (b'class="error"', b"flash-error")


def refused(client, response, redirects_on_success: bool) -> bool:
    """Whether ``response`` refuses the post; a refusal must say why."""
    status = response.status_code
    assert status < 500, f"{status}: {response.get_data(as_text=True)[:500]}"
    if 400 <= status < 500:
        return True
    if status in (301, 302, 303):
        messages = flashed(client)
        location = response.headers["Location"]
        # "Closed; the release is withheld because ..." is done, with a warning: not a refusal.
        categories = {category for category, _ in messages}
        return ("error" in categories and "success" not in categories) or "/auth/login" in location
    assert status == 200, status
    body = response.get_data()
    has_message = any(marker in body for marker in ERROR_MARKUP)
    if redirects_on_success:
        assert has_message, "a form re-rendered without saying what is wrong"
    return has_message


# --- the forms of the workspace and of signing in


WRONG_IDS = [0, 2**31, 2**63 + 1, 10**30]


@dataclass(frozen=True)
class Target:
    """One form: who posts it where, with which fields and plausible values."""

    role: str | None
    path: str
    plausible: dict[str, st.SearchStrategy] = field(default_factory=dict)
    #: A 200 answer is always the form again (success redirects).
    redirects_on_success: bool = True
    #: Tables a refusal may write to (failed sends are recorded, so the wave page lists them).
    records_refusals_in: frozenset[str] = frozenset()
    #: Each example gets a client of its own, freshly signed in (the post signs in or out).
    fresh_client: bool = False


def text_field(*good: str) -> st.SearchStrategy:
    return st.sampled_from(good) | st.text(max_size=30)


def datetime_text() -> st.SearchStrategy:
    return st.sampled_from(["2030-01-02T03:04", "2020-02-30T10:00", "1900-01-01T00:00", "9999-12-31T23:59"])


def ids_text(workspace, *names: str) -> st.SearchStrategy:
    known = [str(workspace[side][name]) for side in ("own", "other") for name in names]
    return st.sampled_from([*known, "0", "-1", str(2**31), "1.5"])


def targets(workspace) -> dict[str, Target]:
    """Every fuzzed workspace and sign-in form (``workspace`` gives the real ids)."""
    known = st.sampled_from([workspace.users["consultant"], workspace.users["manager"], "Ann@Example.org"])
    emails = known | st.from_regex(r"[a-z]{1,8}@example\.org", fullmatch=True)
    new_password = st.sampled_from(["a much longer password", "short"])
    action = dict.fromkeys(form_fields(workspace_forms.ActionForm), st.just(""))
    team = {
        "name": text_field("Inside sales", "Sales"),
        "function": st.sampled_from(TEAM_FUNCTIONS),
        "parent": ids_text(workspace, "team_id"),
    }
    participant = {
        "email": emails,
        "name": text_field("Ann"),
        "team": ids_text(workspace, "team_id"),
        "active": st.just("y"),
    }
    user = {
        "email": emails,
        "role": st.sampled_from(USER_ROLES),
        "organization": ids_text(workspace, "org_id"),
        "password": st.just("a long enough password"),
    }
    survey_form = st.sampled_from(["full", "planned_missing:2", "planned_missing:3", "planned_missing:99",
                                   "planned_missing:", "short", ""]) | st.text(max_size=20)  # fmt: skip
    wave = {
        "name": text_field("Spring"),
        "instruments": st.sampled_from(["alignment@1.0", "mindset@1.0", "alignment@9.9", "alignment"]),
        "languages": st.sampled_from(["en", "de", "xx"]),
        "opens_at": datetime_text(),
        "closes_at": datetime_text(),
        "anonymity_threshold": st.sampled_from(["3", "5", "2", "1001"]),
        "mode": st.sampled_from(WAVE_MODES),
        "release_policy": st.sampled_from(RELEASE_POLICIES),
        "open_now": st.just("y"),
        "reminder_days": st.sampled_from(["3, 1", "0", "61", "2,2", "1,2,3,4,5,6", "x"])
        | st.text(max_size=12),
        # Each instrument's position is posted as positions-<n> (the FieldList's own name is unused).
        "positions": st.just("1"),
        "positions-0": st.sampled_from(["1", "2", "3", "0", "x", "²", "99999"]),
        "positions-1": st.sampled_from(["1", "2", ""]),
        "survey_form": survey_form,
    }
    sign_in = {
        "email": emails,
        "password": st.just(PASSWORD) | st.text(max_size=20),
        "remember": st.just("y"),
    }
    change = {"current": st.just(PASSWORD), "new": new_password, "confirm": new_password}
    organization = {"name": text_field("Acme"), "slug": text_field("acme", "Acme Corp", "own-org", "a--b")}
    wave_button = Target("consultant", "/waves/{wave_id}/{action}", action)
    # Releases and e-mail rounds run as jobs: a failed job is kept, and shown on the wave page;
    # so are the messages a mail server refused.
    job_button = Target(
        "consultant", "/waves/{wave_id}/{action}", action, records_refusals_in=frozenset({"job"})
    )
    mail_button = Target(
        "consultant",
        "/waves/{wave_id}/{action}",
        action,
        records_refusals_in=frozenset({"job", "email_send", "invitation"}),
    )
    org = "/orgs/{org_id}"
    clients = clients_targets(workspace, emails, action, org)
    return clients | {
        "auth.login": Target(None, "/auth/login", sign_in, fresh_client=True),
        "auth.logout": Target("manager", "/auth/logout", action, fresh_client=True),
        "auth.password": Target("manager", "/auth/password", change),
        "auth.account": Target("manager", "/auth/account", {"language": text_field("", "en", "de", "es")}),
        "workspace.new_organization": Target("admin", "/orgs/new", organization),
        "workspace.users": Target("admin", "/users", user),
        "workspace.end_user_sessions": Target("admin", "/users/{user_id}/end-sessions", action),
        "workspace.teams": Target("consultant", f"{org}/teams", team),
        "workspace.edit_team": Target("consultant", f"{org}/teams/{{team_id}}", team),
        "workspace.edit_participant": Target("consultant", f"{org}/roster/{{participant_id}}", participant),
        "workspace.roster_import": Target("consultant", f"{org}/roster/import", redirects_on_success=False),
        "workspace.new_wave": Target("consultant", f"{org}/waves/new", wave),
        "workspace.threshold": Target(
            "consultant", "/waves/{wave_id}/threshold", {"threshold": st.sampled_from(["3", "4", "2", "1e3"])}
        ),
        "workspace.clone": Target("consultant", "/waves/{wave_id}/clone", {"name": text_field("Autumn")}),
        "workspace.cuts_view": Target(
            "consultant",
            "/waves/{wave_id}/cuts",
            {"attribute": text_field("region", "<b>tenure</b>", "x" * 70), "by_function": st.just("1")},
        ),
        "workspace.reminders": Target(
            "consultant",
            "/waves/{wave_id}/reminders",
            {"days": st.sampled_from(["3, 1", "", "0", "7,7"]) | st.text(max_size=12)},
        ),
        "workspace.links": Target(
            "consultant", "/waves/{wave_id}/links.csv", action, redirects_on_success=False
        ),
        # The fixture's wave has no lead calibration (refused); tests/survey/test_attribute_wording.py
        # fuzzes the texts on a draft wave that has it.
        "workspace.wording": Target("consultant", "/waves/{wave_id}/wording", action | {
            "text:company:target:en": text_field("Manufacturer, 50–200 staff", "", "x" * 130),
            "reset": st.sampled_from(["1", ""]),
        }),  # fmt: skip
        "workspace.survey_form": Target(
            "consultant", "/waves/{wave_id}/form", action | {"survey_form": survey_form}
        ),
        "workspace.time_zone": Target("consultant", f"{org}/time-zone", {
            "time_zone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Mars/Olympus", "utc"])
            | st.text(max_size=20),
        }),  # fmt: skip
        "workspace.preview": Target("consultant", "/waves/{wave_id}/preview?lang=en&page=1", action | {
            "action": st.sampled_from(["next", "back", "submit", "jump"]),
            "item-a1": st.sampled_from(["3", "x"]),
        }),  # fmt: skip
        "workspace.test_email": Target("consultant", "/waves/{wave_id}/test-email", action | {
            "kind": st.sampled_from(["invitation", "reminder", "closes", ""]),
            "language": st.sampled_from(["en", "de", "xx", ""]),
        }),  # fmt: skip
        "workspace.reissue_all": Target(
            "consultant", "/waves/{wave_id}/links/reissue", action, redirects_on_success=False
        ),
        "workspace.reissue_one": Target(
            "consultant", "/waves/{wave_id}/people/{participant_id}/reissue", action,
            redirects_on_success=False,
        ),  # fmt: skip
        "workspace.reopen": Target("consultant", "/waves/{wave_id}/reopen", {"closes_at": datetime_text()}),
        "workspace.open_wave_view": wave_button,
        "workspace.close_wave_view": wave_button,
        "workspace.release": job_button,
        "workspace.invite": wave_button,
        "workspace.send": mail_button,
        "workspace.remind": mail_button,
        "workspace.retry": mail_button,
    }


def clients_targets(workspace, emails, action, org: str) -> dict[str, Target]:
    """The forms of the clients' pages and of the one-time password links."""
    new_password = st.sampled_from(["a much longer password", "short"])
    return {
        "auth.forgot": Target(None, "/auth/forgot", {"email": emails}, fresh_client=True),
        # An unknown link here; test_set_password_form posts to real ones.
        "auth.set_password": Target(None, "/auth/set-password/not-a-token", {"new": new_password,
                                    "confirm": new_password}, fresh_client=True),  # fmt: skip
        "clients.people": Target("consultant", f"{org}/people", {
            "email": emails, "role": st.sampled_from(["manager", "consultant", "admin", ""]),
        }),  # fmt: skip
        "clients.branding_page": Target("consultant", f"{org}/branding", {
            "accent_colour": st.sampled_from(["#0b5394", "#ffcc00", "#abc", "red", ""]) | st.text(max_size=9),
            "sender_name": text_field("Acme People"),
        }),  # fmt: skip
        "clients.logo_upload": Target("consultant", f"{org}/branding/logo"),
        "clients.logo_remove": Target("consultant", f"{org}/branding/logo/remove", action),
        "clients.privacy_page": Target("consultant", f"{org}/privacy", {
            "days": st.sampled_from(["30", "365", "7", "3651", "", "x", "-1", "1e3"]),
        }),  # fmt: skip
        "clients.erase": Target("consultant", f"{org}/roster/{{participant_id}}/erase",
                                {"confirm": st.sampled_from(["y", ""])}),  # fmt: skip
        "clients.export": Target("consultant", f"{org}/roster/{{participant_id}}/export", action,
                                 redirects_on_success=False),  # fmt: skip
    }


#: A small PNG logo, and files a logo must not be.
LOGO_FILES = [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00@\x00\x00\x00 \x08\x00\x00\x00\x00"
    + b"\x00" * 12,
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x20\x00\x40\x01\x01\x11\x00",
    b"GIF89a",
    b"",
]


#: The last part of the path of the wave buttons.
WAVE_ACTIONS = {
    "workspace.open_wave_view": "open",
    "workspace.close_wave_view": "close",
    "workspace.release": "release",
    "workspace.invite": "invite",
    "workspace.send": "send",
    "workspace.remind": "remind",
    "workspace.retry": "retry",
}
#: The forms of :func:`targets`, one test each.
WORKSPACE_ENDPOINTS = [
    "auth.login", "auth.logout", "auth.password", "auth.account",
    "workspace.new_organization", "workspace.users", "workspace.end_user_sessions",
    "workspace.teams", "workspace.edit_team", "workspace.edit_participant", "workspace.roster_import",
    "workspace.new_wave", "workspace.threshold", "workspace.clone", "workspace.cuts_view",
    "workspace.reminders", "workspace.links", "workspace.wording", "workspace.survey_form",
    "workspace.open_wave_view", "workspace.close_wave_view", "workspace.release", "workspace.invite",
    "workspace.send", "workspace.remind", "workspace.retry",
    "auth.forgot", "auth.set_password", "clients.people", "clients.branding_page", "clients.logo_upload",
    "clients.logo_remove", "clients.privacy_page", "clients.erase", "clients.export",
    "workspace.time_zone", "workspace.preview", "workspace.test_email", "workspace.reissue_all",
    "workspace.reissue_one", "workspace.reopen",
]  # fmt: skip
#: The token-bound survey forms, fuzzed by :func:`test_survey_forms`.
RESPOND = {"respond.start", "respond.page", "respond.answer"}
#: POST endpoints deliberately not fuzzed here, with the reason.
NOT_FUZZED: dict[str, str] = {
    endpoint: "fuzzed in tests/survey/test_actions.py, on an organisation with released results"
    for endpoint in ("actions.new", "actions.edit", "actions.add_update")
}


def test_every_post_endpoint_is_fuzzed(app, make_workspace, quick_hashes):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert set(targets(make_workspace())) == set(WORKSPACE_ENDPOINTS)
    fuzzed = set(WORKSPACE_ENDPOINTS) | RESPOND
    assert posted - fuzzed - set(NOT_FUZZED) == set(), "fuzz the new form here, or say why not"
    assert fuzzed | set(NOT_FUZZED) <= posted, "a fuzzed endpoint no longer exists"


def test_the_form_classes_match_the_fuzzed_fields(make_workspace, quick_hashes):
    """The plausible values cover every field of each form class, so a new field is fuzzed too."""
    fuzzed = targets(make_workspace())
    classes = {
        "auth.login": LoginForm,
        "auth.password": ChangePasswordForm,
        "auth.account": LanguageForm,
        "workspace.new_organization": workspace_forms.OrganizationForm,
        "workspace.users": workspace_forms.UserForm,
        "workspace.teams": workspace_forms.TeamForm,
        "workspace.edit_participant": workspace_forms.ParticipantForm,
        "workspace.new_wave": workspace_forms.WaveForm,
        "workspace.threshold": workspace_forms.ThresholdForm,
        "workspace.clone": workspace_forms.CloneForm,
        "workspace.reminders": workspace_forms.ReminderForm,
        "workspace.links": workspace_forms.ActionForm,
        "workspace.wording": workspace_forms.ActionForm,
        "workspace.time_zone": workspace_forms.TimeZoneForm,
        "workspace.reopen": workspace_forms.ReopenForm,
        "auth.forgot": ForgotPasswordForm,
        "auth.set_password": SetPasswordForm,
        "clients.people": clients_forms.AddPersonForm,
        "clients.branding_page": clients_forms.BrandingForm,
        "clients.privacy_page": clients_forms.RetentionForm,
        "clients.erase": clients_forms.EraseForm,
        "clients.export": clients_forms.ActionForm,
    }
    for endpoint, form_class in classes.items():
        assert set(form_fields(form_class)) - {"csrf_token"} <= set(fuzzed[endpoint].plausible), endpoint


def closed_port() -> int:
    """A local port nothing listens on, so sending mail fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def quick_hashes(monkeypatch):
    """Argon2 at its smallest cost: the sign-in forms check a password on every example."""
    user_model._unmatchable_hash.cache_clear()  # the dummy hash is made with the hasher in use
    monkeypatch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    user_model._unmatchable_hash.cache_clear()


def sign_in(client, email: str):
    answer = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, email


@pytest.fixture
def signed_in(app, make_workspace, quick_hashes):
    """``(workspace, client_for)``: the workspace, and ``client_for(role)``, a client signed in as
    its user of that role (``None``: nobody), the same one each time unless ``fresh``."""
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=closed_port())
    workspace = make_workspace()
    clients = {}

    def client_for(role: str | None, fresh: bool = False):
        if fresh or role not in clients:
            clients[role] = app.test_client()
            if role is not None:
                sign_in(clients[role], workspace.users[role])
        return clients[role]

    return workspace, client_for


def path_ids(workspace) -> st.SearchStrategy:
    """Ids for a path: mostly the own organisation's, else another's or none at all."""
    names = ("org_id", "team_id", "participant_id", "wave_id", "user_id")
    own = {name: workspace["own"][name] for name in names}
    wrong = st.fixed_dictionaries({
        name: st.sampled_from([workspace["other"].get(name, workspace["own"]["org_id"]), *WRONG_IDS])
        for name in names
    })  # fmt: skip
    return st.sampled_from([True, True, True, False]).flatmap(lambda mine: st.just(own) if mine else wrong)


def roster_cells() -> st.SearchStrategy:
    """One roster row's cells: a new person in a real team, or the same with hostile cells."""
    plausible = {
        "email": st.from_regex(r"[a-z]{1,8}@example\.org", fullmatch=True),
        "name": st.sampled_from(["Bob", "Zoë Ångström", "", "O'Brien"]),
        "team": st.sampled_from(["Sales", "marketing"]),
    }
    team = st.sampled_from(["Sales", "Legal", "  sales "]) | hostile
    tampered = st.fixed_dictionaries(
        {name: st.one_of(good, good, hostile) for name, good in plausible.items()} | {"team": team},
        optional={"language": st.sampled_from(["de", "xx"]) | hostile, "": hostile},
    )
    return st.fixed_dictionaries(plausible) | tampered


def roster_csv() -> st.SearchStrategy:
    """Roster files: rows of :func:`roster_cells` under a header (any separator), or bytes of any kind."""
    header = st.sampled_from(["email,name,team", "Email;Name;Team", "email\tname\tteam", "email,email", ""])
    rows = st.lists(roster_cells().map(lambda cells: [cells.get(k, "") for k in ("email", "name", "team")]),
                    max_size=4)  # fmt: skip

    def written(parts):
        header, rows = parts
        separator = ";" if ";" in header else "\t" if "\t" in header else ","
        return "\n".join([header, *(separator.join(row) for row in rows)]).encode("utf-8", "surrogatepass")

    return st.tuples(header, rows).map(written) | st.binary(max_size=300)


def roster_payload() -> st.SearchStrategy:
    """What the preview page sends back on confirmation: mostly well formed, else tampered with."""
    number = st.sampled_from([2, 3, 4, 1, 2**31, -1, True, "2", 2.5, None])
    row = st.fixed_dictionaries(
        {"row": st.integers(2, 5) | number, "cells": roster_cells()},
        optional={"stray": st.lists(st.sampled_from(["D", "AA"]) | hostile, max_size=2)},
    )
    rows = st.lists(row, min_size=1, max_size=3, unique_by=lambda row: row["cells"]["email"])
    rows |= st.lists(row | hostile, max_size=3)
    junk = st.sampled_from(["[" * 5000, "{}", "null", "[1]", '[{"row": 2}]'])
    readable = rows.map(lambda value: json.dumps(value, ensure_ascii=False))
    return readable | readable | rows.map(json.dumps) | junk | hostile


def post(client, path: str, target: Target, data):
    if target.path.endswith("/branding/logo"):
        content, filename = data
        return client.post(path, data={"file": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")  # fmt: skip
    if target.path.endswith("/roster/import"):
        kind, value, filename = data
        if kind == "file":
            return client.post(path, data={"file": (io.BytesIO(value), filename)},
                               content_type="multipart/form-data")  # fmt: skip
        return client.post(path, data=urlencoded([("payload", value)]),
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    return client.post(path, data=urlencoded(data), content_type="application/x-www-form-urlencoded")


def fields_for(target: Target) -> st.SearchStrategy:
    if target.path.endswith("/branding/logo"):
        names = st.sampled_from(["logo.png", "logo.svg", "", "a\x00.png", "../logo.jpg"])
        return st.tuples(st.sampled_from(LOGO_FILES) | st.binary(max_size=200), names)
    if target.path.endswith("/roster/import"):
        filename = st.sampled_from(["staff.csv", "staff.xlsx", "staff.txt", "", "a\x00.csv", "../x.csv"])
        upload = st.tuples(st.just("file"), roster_csv(), filename)
        confirm = st.tuples(st.just("payload"), roster_payload(), st.just(""))
        return upload | confirm
    return form_data(target.plausible)


@pytest.mark.parametrize("endpoint", WORKSPACE_ENDPOINTS)
def test_workspace_forms(signed_in, endpoint):
    workspace, client_for = signed_in
    target = targets(workspace)[endpoint]

    @FUZZ
    @given(ids=path_ids(workspace), data=fields_for(target))
    def never_fails(ids, data):
        path = target.path.format(action=WAVE_ACTIONS.get(endpoint, ""), **ids)
        client = client_for(target.role, fresh=target.fresh_client)
        before = snapshot(target.records_refusals_in)
        response = post(client, path, target, data)
        if refused(client, response, target.redirects_on_success):
            assert snapshot(target.records_refusals_in) == before, "a refused post changed stored data"

    never_fails()


def test_set_password_form(signed_in):
    """The one-time link's form, each example on a link of its own (a reset asked for an hour later)."""
    from datetime import timedelta

    from survey.models import utcnow
    from survey.services.people import request_password_reset

    workspace, client_for = signed_in
    target = Target(None, "/auth/set-password/{token}")
    new_password = st.sampled_from(["a much longer password", "short", ""])
    hours = iter(range(1, 10_000))

    @FUZZ
    @given(data=form_data({"new": new_password, "confirm": new_password}))
    def never_fails(data):
        later = utcnow() + timedelta(hours=next(hours))
        outgoing = request_password_reset(workspace.users["manager"], now=later)
        db.session.commit()
        path = "/auth/set-password/" + outgoing.fields["link"].rsplit("/", 1)[1]
        client = client_for(None, fresh=True)
        before = snapshot()
        response = post(client, path, target, data)
        if refused(client, response, redirects_on_success=True):
            assert snapshot() == before, "a refused post changed stored data"

    never_fails()


# --- the survey: welcome page and every page of the questionnaire


def page_fields(page, plan) -> tuple[dict[str, st.SearchStrategy], dict[str, st.SearchStrategy]]:
    """What one survey page posts (answers, comments, controls), and near misses of each."""
    fields, near = {}, {}
    for item in page.items:
        scale = page.scale(item)
        answers = [str(value) for value in range(scale.min, scale.max + 1)]
        fields[f"item-{item.id}"] = st.sampled_from(
            [*answers, PREFER_NOT_TO_SAY] if scale.prefer_not_to_say else answers
        )
        near[f"item-{item.id}"] = st.sampled_from(
            [PREFER_NOT_TO_SAY, str(scale.min - 1), str(scale.max + 1), f" {scale.max} ", "2.0", "+3", "03"]
        )
    for prompt in page.prompts:
        fields[f"comment-{prompt.id}"] = text_field("Leads arrive too late.")
        near[f"comment-{prompt.id}"] = st.sampled_from(["x" * 5000, "\r\n" * 3000, " "])
    fields["action"] = st.sampled_from(["next", "next", "back", "submit"])
    near["action"] = st.sampled_from(["skip", "Next", ""])
    fields["shown_at"] = st.just("1700000000.5")
    near["shown_at"] = st.sampled_from(["", "nan", "inf", "-1e308", "soon", "1e400"])
    elsewhere = [item.id for other in plan.pages if other is not page for item in other.items]
    if elsewhere:  # an answer posted to the wrong page
        near[f"item-{elsewhere[0]}"] = st.sampled_from(["3", ""])
    near["comment-nobody"] = st.just("a comment for a prompt that does not exist")
    return fields, near


def test_survey_forms(client, make_survey):
    """The welcome page's language choice and every page, with real and unknown links, pages in and
    out of range."""
    setup = make_survey(instruments=("alignment", "mindset"), per_team=2)
    started, other = setup.token("marketing", 1), setup.token("marketing", 2)
    assert client.post(f"/s/{started}/start", data={"language": "en"}).status_code == 200
    plan = setup.plan("marketing")
    tokens = st.sampled_from([started] * 6 + [other, "unknown-link", "x" * 200, "%C3%28", "..%2F"])
    in_range = list(range(1, plan.page_count + 1))
    numbers = st.sampled_from(in_range * 3 + [0, plan.page_count + 1, 2**31, 10**20])
    languages = {"language": st.sampled_from(["en", "de", "xx", "EN"]), "csrf_token": st.just("")}

    @st.composite
    def posts(draw):
        token = draw(tokens)
        if draw(st.integers(0, 3)) == 0:
            return f"/s/{token}/start", draw(form_data(languages))
        number = draw(numbers)
        page = plan.pages[number - 1] if 1 <= number <= plan.page_count else plan.pages[0]
        if draw(st.integers(0, 3)) == 0:  # one answer as it is given (respond.js)
            fields, near = page_fields(page, plan)
            name = draw(st.sampled_from(sorted(name for name in fields if name.startswith("item-"))))
            return f"/s/{token}/p/{number}/answer", draw(form_data({name: fields[name]}, near))
        return f"/s/{token}/p/{number}", draw(form_data(*page_fields(page, plan)))

    @settings(FUZZ, max_examples=2 * EXAMPLES)  # the form most people fill in
    @given(request=posts())
    def never_fails(request):
        path, pairs = request
        before = snapshot()
        response = client.post(path, data=urlencoded(pairs), content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        # 422 keeps what was answered and flags what is missing; a redirect moves on to where the link
        # stands; 204 keeps one answer.
        if response.status_code in (400, 403, 404, 405, 409, 413, 429) or 300 <= response.status_code < 400:
            assert snapshot() == before, f"{response.status_code} on {path} changed stored data"

    never_fails()


# --- forgery: with CSRF protection on, a post without a valid token is refused


def csrf_token_of(page: bytes) -> str:
    return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()


@pytest.mark.parametrize("token", ["", "not-a-token"], ids=["missing", "wrong"])
def test_with_csrf_on_every_form_refuses_a_bad_token_with_400(
    database_url, app, other_app, make_workspace, make_survey, quick_hashes, token
):
    protected = other_app(database_url, WTF_CSRF_ENABLED=True)
    workspace = make_workspace()
    survey = make_survey()
    link = survey.token()
    clients = {None: protected.test_client()}
    for role, email in workspace.users.items():
        clients[role] = protected.test_client()
        form = clients[role].get("/auth/login").get_data()
        signed = {"email": email, "password": PASSWORD, "csrf_token": csrf_token_of(form)}
        assert clients[role].post("/auth/login", data=signed).status_code == 302, role
    fuzzed = targets(workspace)
    posts = [
        (
            target.role,
            target.path.format(action=WAVE_ACTIONS.get(name, ""), **workspace["own"]),
            target.plausible,
        )
        for name, target in fuzzed.items()
    ]
    first_item = survey.plan().pages[0].items[0].id
    posts += [(None, f"/s/{link}/start", {"language": "en"}), (None, f"/s/{link}/p/1", {"action": "next"}),
              (None, f"/s/{link}/p/1/answer", {f"item-{first_item}": "3"})]  # fmt: skip
    for role, path, fields in posts:
        before = snapshot()
        data = dict.fromkeys(fields, "1") | {"csrf_token": token}
        response = clients[role].post(path, data=data)
        assert response.status_code == 400, (path, response.status_code)
        assert snapshot() == before, path
