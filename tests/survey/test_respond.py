"""Taking a survey: links, pages, autosave and resume, validation, exactly-once submission."""

from __future__ import annotations

import hashlib
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, func, select, text

from survey.extensions import db
from survey.models import Answer, Comment, Invitation, PageTiming, Response
from tests.factories import answer_all


def checked(html: str) -> dict[str, str]:
    """Name -> value of every checked radio button on a page."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if " checked" in tag:
            found[re.search(r'name="([^"]+)"', tag)[1]] = re.search(r'value="([^"]*)"', tag)[1]
    return found


def answers_stored() -> int:
    return db.session.scalar(select(func.count(Answer.id)))


def shown(response) -> str:
    """The address of the page a survey answer shows: what respond.js puts in the location bar."""
    return re.search(r'data-page-url="([^"]+)"', response.get_data(as_text=True))[1]


def start(client, token, language="en"):
    response = client.post(f"/s/{token}/start", data={"language": language})
    assert response.status_code == 200
    return response


def fill_pages(client, token, plan, upto: int, value: str = "3"):
    """Answer pages 1..upto with ``value``."""
    for page in plan.pages[:upto]:
        response = client.post(
            f"/s/{token}/p/{page.number + 1}", data={**answer_all(page, value), "action": "next"}
        )
        assert response.status_code == 200, response.data[:500]
        assert shown(response) == f"/s/{token}/p/{page.number + 2}"  # the next page, without a redirect


def submit_all(client, token, plan):
    fill_pages(client, token, plan, plan.page_count - 1)
    last = plan.pages[-1]
    return client.post(f"/s/{token}/p/{plan.page_count}", data={**answer_all(last), "action": "submit"})


# --- links


def test_tokens_are_long_random_and_stored_only_as_hashes(make_survey):
    setup = make_survey()
    tokens = list(setup.tokens.values())
    assert len(set(tokens)) == len(tokens)
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes in URL-safe base64 = 256 bits
    stored = set(db.session.scalars(select(Invitation.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    dump = "\n".join(str(row) for row in db.session.execute(select(Invitation)).all())
    assert not any(token in dump for token in tokens)


def test_unknown_link_gets_a_clear_404_in_the_browser_language(client, make_survey):
    make_survey()
    response = client.get("/s/not-a-real-token")
    assert response.status_code == 404
    assert b"This link does not work" in response.data
    german = client.get("/s/not-a-real-token", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.status_code == 404
    assert "Dieser Link funktioniert nicht" in german.get_data(as_text=True)
    assert german.headers["Referrer-Policy"] == "no-referrer"


def test_revoked_closed_and_unopened_links(client, make_survey):
    setup = make_survey()
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hashlib.sha256(
        setup.token().encode()).hexdigest()))  # fmt: skip
    invitation.revoked_at = datetime.now(UTC)
    db.session.commit()
    revoked = client.get(f"/s/{setup.token()}")
    assert revoked.status_code == 410
    assert b"withdrawn" in revoked.data

    setup.wave.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    setup.wave.opens_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    closed = client.get(f"/s/{setup.token('sales')}")
    assert closed.status_code == 410
    assert b"has closed" in closed.data

    draft = make_survey(status="draft")
    not_open = client.get(f"/s/{draft.token()}")
    assert not_open.status_code == 403
    assert b"not opened yet" in not_open.data


def test_survey_pages_are_private(client, make_survey):
    setup = make_survey()
    token = setup.token()
    for response in (client.get(f"/s/{token}"), start(client, token), client.get(f"/s/{token}/p/1")):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response.headers["Cache-Control"]


# --- welcome and pages


def test_welcome_page_explains_time_and_confidentiality(client, make_survey):
    setup = make_survey(instruments=("alignment", "mindset"), anonymity_threshold=6)
    page = client.get(f"/s/{setup.token()}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Ab 6 Personen" in page or "ab 6 Personen" in page
    assert "Minuten" in page
    assert checked(page) == {"language": "de"}
    english = client.get(f"/s/{setup.token()}?lang=en").get_data(as_text=True)
    minutes = sum(instrument.estimated_minutes for instrument in setup.plan().instruments)
    assert f"about {minutes} minutes" in english
    assert "at least 6 people" in english
    assert "Deutsch" in english
    assert "English" in english


def test_pages_follow_the_audience_of_each_item(make_survey):
    setup = make_survey()
    marketing, sales, other = setup.plan("marketing"), setup.plan("sales"), setup.plan("other")
    meta = lambda plan: {i.id for p in plan.pages for i in p.items if i.perspective == "meta"}  # noqa: E731
    assert meta(marketing)
    assert meta(sales)
    assert all(i.target == "marketing" for p in marketing.pages for i in p.items if i.perspective == "meta")
    assert all(i.target == "sales" for p in sales.pages for i in p.items if i.perspective == "meta")
    assert meta(other) == set()
    assert all(8 <= len(page.items) <= 12 for page in marketing.pages)


def test_page_shows_labelled_radio_groups_and_progress(client, make_survey):
    setup = make_survey(instruments=("alignment", "mindset"))
    token = setup.token()
    start(client, token)
    plan = setup.plan()
    html = client.get(f"/s/{token}/p/2").get_data(as_text=True)
    assert f"Page 2 of {plan.page_count}" in html
    assert f'value="{round(100 / plan.page_count)}"' in html
    page = plan.pages[1]
    scale = page.scale(page.items[0])
    assert html.count("<fieldset") == len(page.items)
    assert html.count("<legend>") == len(page.items)
    for point in scale.points:
        assert f">{point.label('en')}</span>" in html
    assert "Prefer not to say" in html
    assert html.count('type="radio"') == len(page.items) * (len(scale.points) + 1)


def test_back_and_next_keep_answers(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    first = plan.pages[0]
    data = {f"item-{item.id}": str(1 + n % 5) for n, item in enumerate(first.items)}
    data[f"item-{first.items[0].id}"] = "pnts"
    assert shown(client.post(f"/s/{token}/p/1", data={**data, "action": "next"})) == f"/s/{token}/p/2"
    back = client.post(f"/s/{token}/p/2", data={"action": "back"})
    assert back.status_code == 200
    assert shown(back) == f"/s/{token}/p/1"
    assert checked(back.get_data(as_text=True)) == data
    assert checked(client.get(f"/s/{token}/p/1").get_data(as_text=True)) == data
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert stored[first.items[0].id] is None  # prefer not to say
    assert stored[first.items[1].id] == 2


def test_resume_on_another_device_at_the_first_unanswered_page(client, app, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token, "de")
    fill_pages(client, token, plan, 2)
    other_device = app.test_client()
    welcome = other_device.get(f"/s/{token}").get_data(as_text=True)
    assert "Dort weitermachen" in welcome
    resumed = other_device.post(f"/s/{token}/start", data={"language": "de"})
    assert shown(resumed) == f"/s/{token}/p/3"
    assert "Seite 3 von" in resumed.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Response.id))) == 1


def test_missing_required_answers_rerender_with_errors_and_keep_the_rest(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    page = plan.pages[0]
    skipped = [page.items[1].id, page.items[4].id]
    data = {k: v for k, v in answer_all(page, "4").items() if k.removeprefix("item-") not in skipped}
    response = client.post(f"/s/{token}/p/1", data={**data, "action": "next"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-summary"' in html
    for item_id in skipped:
        assert f'href="#q-{item_id}"' in html
        assert f'id="e-{item_id}"' in html
    assert html.count('class="error"') == len(skipped)
    assert len(checked(html)) == len(page.items) - len(skipped)
    assert answers_stored() == len(page.items) - len(skipped)  # autosaved all the same


def test_optional_comment_is_saved_and_cleared(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    page = next(p for p in plan.pages if p.prompts)
    prompt = page.prompts[0]
    number = page.number + 1
    client.post(
        f"/s/{token}/p/{number}", data={f"comment-{prompt.id}": "  <b>More</b> talking  ", "action": "back"}
    )
    assert db.session.scalar(select(Comment.text)) == "<b>More</b> talking"
    html = client.get(f"/s/{token}/p/{number}").get_data(as_text=True)
    assert "&lt;b&gt;More&lt;/b&gt; talking" in html
    assert "<b>More</b>" not in html
    client.post(f"/s/{token}/p/{number}", data={f"comment-{prompt.id}": "", "action": "back"})
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_page_timings_are_recorded(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    import time

    page = plan.pages[0]
    client.post(
        f"/s/{token}/p/1", data={**answer_all(page), "action": "next", "shown_at": f"{time.time() - 42:.3f}"}
    )
    client.post(f"/s/{token}/p/2", data={"action": "back", "shown_at": "garbage"})
    timing = db.session.scalar(select(PageTiming).where(PageTiming.page == 0))
    assert timing.visits == 1
    assert 41 < timing.seconds < 60
    assert db.session.scalar(select(func.count(PageTiming.id))) == 1  # the unreadable time is not kept


def test_moving_forward_reads_no_answers_and_writes_in_few_statements(client, app, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN IMMEDIATE
            # Each statement is sent once: the answers as one multi-row INSERT, not row by row
            # (an executemany passes a list of parameter sets; a multi-row INSERT one flat set).
            row_by_row = (
                executemany and isinstance(parameters, list) and isinstance(parameters[0], (dict, tuple))
            )
            statements.append(statement.split(None, 1)[0].upper() + (" row by row" if row_by_row else ""))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        shown_at = f"{time.time() - 5:.3f}"
        page = client.post(f"/s/{token}/p/1", data={**answer_all(plan.pages[0]), "action": "next",
                                                    "shown_at": shown_at})  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert shown(page) == f"/s/{token}/p/2"
    # Open the link; mark progress (and lock the response); store the answers; time the page:
    # on PostgreSQL the last three are one statement. Page 2 was never saved, so nothing is
    # read to show it.
    if engine.dialect.name == "postgresql":
        assert statements == ["SELECT", "WITH"]
    else:
        assert statements == ["SELECT", "UPDATE", "INSERT", "INSERT"]
    assert db.session.scalar(select(Response.furthest_page)) == 0


def test_pages_of_responses_without_a_known_furthest_page_are_read(client, make_survey):
    """Responses started before the furthest page was recorded show their answers all the same."""
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    fill_pages(client, token, plan, 2, value="2")
    db.session.execute(text("UPDATE response SET furthest_page = NULL"))
    db.session.commit()
    for number in (1, 2):
        html = client.get(f"/s/{token}/p/{number}").get_data(as_text=True)
        assert set(checked(html).values()) == {"2"}
        assert len(checked(html)) == len(plan.pages[number - 1].items)
    back = client.post(f"/s/{token}/p/3", data={"action": "back"})
    assert len(checked(back.get_data(as_text=True))) == len(plan.pages[1].items)
    assert db.session.scalar(select(Response.furthest_page)) is None


def test_a_save_that_loses_the_race_with_a_submission_stores_nothing(app, make_survey):
    from survey.services.invitations import hash_token
    from survey.services.responding import AlreadySubmittedError, PageInput, open_link, plan_for, save_page

    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    client = app.test_client()
    start(client, token)
    fill_pages(client, token, plan, 1)
    before = answers_stored()
    with app.test_request_context(method="POST"):
        visit = open_link(hash_token(token))
        page = plan_for(visit.wave, visit.function).pages[1]
        response = visit.response
        assert response.status == "in_progress"  # what the slower request read
        db.session.rollback()
        # Meanwhile another request submits.
        with db.engine.begin() as other:
            other.execute(text("UPDATE response SET status = 'submitted', submitted_at = CURRENT_TIMESTAMP"))
        data = PageInput({item.id: 1 for item in page.items}, {})
        with pytest.raises(AlreadySubmittedError):
            save_page(response, page, data, 10.0, 2)
        db.session.rollback()
    assert answers_stored() == before
    assert db.session.scalar(select(func.count(PageTiming.id))) == 0
    assert db.session.scalar(select(Response.current_page)) == 1


# --- submission


def test_submission_is_final(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    done = submit_all(client, token, plan)
    assert done.status_code == 200
    assert shown(done) == f"/s/{token}/thanks"
    assert b"Thank you" in done.data
    response = db.session.scalar(select(Response))
    assert response.status == "submitted"
    assert response.submitted_at is not None
    assert response.invitation_id is not None  # confidential mode keeps the link
    before = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())

    thanks = client.get(f"/s/{token}")
    assert thanks.headers["Location"].endswith("/thanks")
    assert b"Thank you" in client.get(f"/s/{token}/thanks").data
    change = client.post(f"/s/{token}/p/1", data={**answer_all(plan.pages[0], "1"), "action": "next"})
    assert change.status_code == 409
    again = client.post(f"/s/{token}/p/{plan.page_count}", data={"action": "submit"})
    assert shown(again) == f"/s/{token}/thanks"  # a repeated submit is a success, not an error
    assert dict(db.session.execute(select(Answer.item_id, Answer.value)).all()) == before
    assert client.post(f"/s/{token}/start", data={"language": "en"}).headers["Location"].endswith("/thanks")


def test_submit_with_gaps_goes_to_the_first_incomplete_page(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    fill_pages(client, token, plan, 1)
    # Jump to the last page (e.g. a bookmarked URL) and submit.
    response = client.post(
        f"/s/{token}/p/{plan.page_count}", data={**answer_all(plan.pages[-1]), "action": "submit"}
    )
    assert response.status_code == 422
    assert shown(response) == f"/s/{token}/p/2"
    html = response.get_data(as_text=True)
    assert html.count('class="error"') == sum(item.required for item in plan.pages[1].items)
    assert db.session.scalar(select(Response.status)) == "in_progress"
    assert answers_stored() == len(plan.pages[0].items) + len(plan.pages[-1].items)


def test_anonymous_submission_unlinks_the_response(client, make_survey):
    setup = make_survey(mode="anonymous")
    token, plan = setup.token(), setup.plan()
    start(client, token)
    submit_all(client, token, plan)
    response = db.session.scalar(select(Response))
    invitation = db.session.scalar(select(Invitation).where(Invitation.used_at.is_not(None)))
    assert response.invitation_id is None
    assert response.team_id == setup.teams["marketing"].id
    assert response.locale == "en"
    assert response.status == "submitted"
    for moment in (response.submitted_at, response.started_at, invitation.used_at):
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    assert client.get(f"/s/{token}").headers["Location"].endswith("/thanks")
    assert client.post(f"/s/{token}/start", data={"language": "en"}).headers["Location"].endswith("/thanks")
    assert db.session.scalar(select(func.count(Response.id))) == 1


# --- tampering: 400, and nothing stored


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda page: {f"item-{page.items[0].id}": "9"}, "9 is not on its scale (1 to 5)"),
        (lambda page: {"item-no_such_item": "3"}, "Unknown item 'no_such_item'"),
        (lambda page: {f"item-{page.items[0].id}": "three"}, "is not a whole number"),
        (lambda page: {f"item-{page.items[0].id}": "2.5"}, "is not a whole number"),
        (lambda page: {"comment-general": "x"}, "Unexpected field"),
        (lambda page: {"evil": "1"}, "Unexpected field 'evil'"),
        (lambda page: {"action": "delete"}, "Unknown action"),
    ],
)
def test_tampered_posts_are_rejected_and_store_nothing(client, make_survey, change, message):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    page = plan.pages[0]
    data = {**answer_all(page), "action": "next", **change(page)}
    response = client.post(f"/s/{token}/p/1", data=data)
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert answers_stored() == 0
    assert db.session.scalar(select(Response.current_page)) == 0
    assert db.session.scalar(select(func.count(PageTiming.id))) == 0


def test_oversized_comment_and_repeated_fields_are_rejected(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    page = next(p for p in plan.pages if p.prompts)
    number = page.number + 1
    long = client.post(
        f"/s/{token}/p/{number}", data={f"comment-{page.prompts[0].id}": "x" * 5001, "action": "back"}
    )
    assert long.status_code == 400
    assert b"5001 characters" in long.data
    item = f"item-{page.items[0].id}"
    twice = client.post(f"/s/{token}/p/{number}", data={item: ["1", "2"], "action": "back"})
    assert twice.status_code == 400
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    assert answers_stored() == 0


def test_page_out_of_range_is_404(client, make_survey):
    setup = make_survey()
    token = setup.token()
    start(client, token)
    assert client.get(f"/s/{token}/p/0").status_code == 404
    assert client.get(f"/s/{token}/p/99").status_code == 404


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def test_csrf_is_required(app, make_survey):
    setup = make_survey()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token, other = setup.token("marketing"), setup.token("sales")
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    for forged in ({}, {"csrf_token": ""}, {"csrf_token": "x" * 43},
                   {"csrf_token": form_token(client.get(f"/s/{other}").get_data(as_text=True))}):  # fmt: skip
        response = client.post(f"/s/{token}/start", data={"language": "en", **forged})
        assert response.status_code == 400
        assert "did not come from your survey link" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Response.id))) == 0
    page = client.post(f"/s/{token}/start", data={"language": "en", "csrf_token": form_token(welcome)})
    assert shown(page) == f"/s/{token}/p/1"
    answers = {**answer_all(setup.plan("marketing").pages[0]), "action": "next"}
    assert client.post(f"/s/{token}/p/1", data=answers).status_code == 400
    assert answers_stored() == 0
    answers["csrf_token"] = form_token(page.get_data(as_text=True))
    save = client.post(f"/s/{token}/p/1", data=answers)
    assert shown(save) == f"/s/{token}/p/2"


def test_respondents_get_no_cookies(app, make_survey):
    setup = make_survey()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = setup.token()
    responses = [client.get(f"/s/{token}")]
    html = responses[-1].get_data(as_text=True)
    start_form = {"language": "en", "csrf_token": form_token(html)}
    responses.append(client.post(f"/s/{token}/start", data=start_form))
    responses.append(client.get(f"/s/{token}/p/1"))
    for response in responses:
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_twenty_simultaneous_submits_make_one_submitted_response(app, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    client = app.test_client()
    start(client, token)
    fill_pages(client, token, plan, plan.page_count - 1)
    last = {**answer_all(plan.pages[-1], "5"), "action": "submit"}

    def post(_):
        with app.app_context():
            result = app.test_client().post(f"/s/{token}/p/{plan.page_count}", data=last)
            db.session.remove()
            return result.status_code, shown(result)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))
    assert results == [(200, f"/s/{token}/thanks")] * 20  # every click ends on the thank-you page
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id))) == 1
    assert db.session.scalar(select(Response.status)) == "submitted"
    assert db.session.scalar(select(func.count(Answer.id))) == sum(len(p.items) for p in plan.pages)
    assert db.session.execute(text("SELECT count(*) FROM invitation WHERE used_at IS NOT NULL")).scalar() == 1


@pytest.mark.parametrize("returning", [True, False])  # False: SQLite before 3.35
def test_upsert_inserts_then_updates_with_or_without_returning(client, make_survey, monkeypatch, returning):
    from survey.db import upsert
    from survey.models import utcnow

    setup = make_survey()
    start(client, setup.token())
    response_id = db.session.scalar(select(Response.id))
    engine = db.session.get_bind()
    monkeypatch.setattr(engine.dialect, "insert_returning", returning)
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    now = utcnow()
    rows = [
        {"response_id": response_id, "item_id": f"x{n}", "value": 1, "answered_at": now} for n in range(3)
    ]
    event.listen(engine, "before_cursor_execute", record)
    try:
        upsert(Answer, rows, key=["response_id", "item_id"], update=["value", "answered_at"])
        upsert(
            Answer, [{**rows[0], "value": 5}], key=["response_id", "item_id"], update=["value", "answered_at"]
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    db.session.commit()
    stored = dict(
        db.session.execute(select(Answer.item_id, Answer.value).where(Answer.item_id.like("x%"))).all()
    )
    assert stored == {"x0": 5, "x1": 1, "x2": 1}
    inserts = [statement for statement in sent if statement.startswith("INSERT")]
    assert inserts
    assert all(("RETURNING" in statement) == returning for statement in inserts)
