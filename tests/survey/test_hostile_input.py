"""Hostile input never produces a 500 and never stores anything it should not (property-based)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Comment, PageTiming, Response, User

NASTY = [
    "' OR 1=1 --",
    "'; DROP TABLE answer; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "\u202e\u200b",
    "%00%0d%0a",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "9" * 400,
    "-1",
    "1e9",
    "NaN",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
text = st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=200), st.sampled_from(NASTY))
field_names = st.one_of(text, st.sampled_from(["item-", "comment-", "action", "csrf_token", "shown_at"]))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def stored_state():
    return (
        db.session.scalar(select(func.count(Answer.id))),
        db.session.scalar(select(func.count(Comment.id))),
        db.session.scalar(select(func.count(PageTiming.id))),
        tuple(db.session.scalars(select(Response.current_page))),
    )


@FAST
@given(form=st.dictionaries(field_names, st.lists(text, min_size=1, max_size=2), max_size=6))
def test_random_page_posts(client, make_survey, form):
    setup = _survey(make_survey)
    token = setup.token()
    before = stored_state()
    response = client.post(f"/s/{token}/p/1", data=form)
    assert response.status_code in (200, 400, 409, 422), response.status_code
    if response.status_code == 400:
        assert stored_state() == before
        assert b"could not save this page" in response.data or b"NUL character" in response.data


@FAST
@given(item_value=text, comment=text)
def test_tampered_values_on_real_fields(client, make_survey, item_value, comment):
    setup = _survey(make_survey)
    token = setup.token()
    page = next(p for p in setup.plan().pages if p.prompts)
    before = stored_state()
    response = client.post(
        f"/s/{token}/p/{page.number + 1}",
        data={
            f"item-{page.items[0].id}": item_value,
            f"comment-{page.prompts[0].id}": comment,
            "action": "back",
        },
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert stored_state() == before
    else:
        stored = db.session.scalar(select(Comment.text))
        if stored is not None:
            assert "\x00" not in stored
            rendered = client.get(f"/s/{token}/p/{page.number + 1}").get_data(as_text=True)
            assert "<script>alert(1)</script>" not in rendered


@FAST
@given(token=text)
def test_random_tokens(client, make_survey, token):
    _survey(make_survey)
    from urllib.parse import quote

    response = client.get("/s/" + quote(token, safe=""))
    assert response.status_code in (200, 302, 308, 404, 429) or (
        response.status_code == 400 and "\x00" in token
    )


@FAST
@given(language=text)
def test_random_language_choice(client, make_survey, language):
    setup = _survey(make_survey)
    before = db.session.execute(select(Response.id, Response.locale)).all()
    response = client.post(f"/s/{setup.token()}/start", data={"language": language})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert db.session.execute(select(Response.id, Response.locale)).all() == before


@FAST
@given(email=text, password=text)
def test_random_logins(client, make_user, email, password):
    if db.session.scalar(select(func.count(User.id))) == 0:
        make_user("someone@example.org")
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code in (400, 401, 429)
    assert "session" not in response.headers.get("Set-Cookie", "") or response.status_code != 302


_surveys: dict = {}


def _survey(make_survey):
    """One survey per test function: hypothesis calls the body many times with the same fixtures."""
    from flask import current_app

    key = id(current_app._get_current_object())
    if key not in _surveys:
        _surveys.clear()
        setup = make_survey()
        # Start the response so page posts reach validation.
        current_app.test_client().post(f"/s/{setup.token()}/start", data={"language": "en"})
        _surveys[key] = setup
    return _surveys[key]


def test_nul_bytes_are_refused_everywhere(client, make_user, make_survey):
    make_user("a@example.org")
    setup = _survey(make_survey)
    before = stored_state()
    for response in (
        client.post("/auth/login", data={"email": "a\x00@example.org", "password": "x"}),
        client.get("/auth/login?next=/\x00"),
        client.post(f"/s/{setup.token()}/p/1", data={"action": "back", "comment-x": "a\x00b"}),
    ):
        assert response.status_code == 400
        assert b"NUL character" in response.data
    assert stored_state() == before


# --- ids, timestamps and waves nobody should reach


def _paths_with_id(app, number: int):
    """Every route with an integer in its path, each integer set to ``number``: (method, path)."""
    for rule in app.url_map.iter_rules():
        integers = [name for name, converter in rule._converters.items() if converter.regex == r"\d+"]
        if not integers:
            continue
        values = {name: number for name in integers}
        for name in rule.arguments - set(integers):
            values[name] = "csv" if name == "extension" else "some-token"
        # Werkzeug builds a URL from the values without converting them back through the converter.
        path = rule.build(values, append_unknown=False)[1]
        yield ("GET" if "GET" in rule.methods else "POST"), path


def test_ids_beyond_the_database_range_are_404_everywhere(client, app, make_user, auth):
    from survey.services.accounts import create_api_token

    make_user("admin@example.org")
    auth.login("admin@example.org")
    token = create_api_token("admin@example.org").token
    db.session.commit()
    checked = 0
    for number in (2**31, 2**63, 10**30):
        for method, path in _paths_with_id(app, number):
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 404, (method, path, response.status_code)
            if path.startswith("/api/"):
                assert response.get_json()["status"] == 404
            checked += 1
    assert checked >= 3 * 20
    assert client.get("/api/v1/waves/2147483647/report", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 404  # fmt: skip


def test_a_timestamp_that_is_not_a_time_is_refused_and_nothing_stored(client, make_survey):
    setup = make_survey()
    token = setup.token()
    client.post(f"/s/{token}/start", data={"language": "en"})
    page = setup.plan().pages[0]
    form = {f"item-{item.id}": "3" for item in page.items} | {"action": "next"}
    before = stored_state()
    for shown_at in ("nan", "NaN", "inf", "-inf", "1e999", "soon"):
        response = client.post(f"/s/{token}/p/1", data=form | {"shown_at": shown_at})
        assert response.status_code == 400
        assert b"hidden timestamp is not a time" in response.data
        assert stored_state() == before
    assert client.post(f"/s/{token}/p/1", data=form | {"shown_at": "0"}).status_code == 200
    seconds = db.session.scalars(select(PageTiming.seconds)).all()
    assert len(seconds) == 1
    assert 0 <= seconds[0] <= 3600


def test_reports_of_a_draft_wave_are_404_for_everyone(client, auth, make_user, make_survey):
    from survey.services.accounts import create_api_token

    setup = make_survey(status="draft")
    wave, organization = setup.wave, setup.wave.organization
    make_user("admin@example.org")
    make_user("consultant@example.org", role="consultant", organization=organization)
    make_user("manager@example.org", role="manager", organization=organization)
    paths = [f"/reports/waves/{wave.id}", f"/reports/waves/{wave.id}/report.pdf",
             f"/reports/waves/{wave.id}/results.csv", f"/reports/waves/{wave.id}/results.xlsx",
             f"/reports/waves/{wave.id}/teams/{setup.teams['sales'].id}"]  # fmt: skip
    for email, message in [
        ("admin@example.org", b"is a draft: it has no results until it is opened"),
        ("consultant@example.org", b"is a draft: it has no results until it is opened"),
        ("manager@example.org", b"No such wave."),
    ]:
        auth.login(email)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 404, (email, path)
            assert message in response.data, (email, path)
        api = client.get(f"/api/v1/waves/{wave.id}/report",
                         headers={"Authorization": f"Bearer {create_api_token(email).token}"})  # fmt: skip
        assert api.status_code == 404
        auth.logout()
    # Setting the draft up still works.
    auth.login("consultant@example.org")
    assert client.get(f"/waves/{wave.id}").status_code == 200
