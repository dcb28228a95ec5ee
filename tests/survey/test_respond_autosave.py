"""Answers kept as they are given, resuming with where one stands, and the honest welcome page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, PageTiming, Response, Wave
from survey.services.responding import expected_minutes, items_for
from tests.factories import answer_all
from tests.survey.test_respond import checked, fill_pages, start, submit_all

pytestmark = pytest.mark.db


def stored() -> dict[str, int | None]:
    db.session.rollback()
    return dict(db.session.execute(select(Answer.item_id, Answer.value)).all())


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def answer(client, token, number, **fields):
    return client.post(f"/s/{token}/p/{number}/answer", data=fields)


# --- one answer at a time


def test_an_answer_is_stored_as_given_and_again_changes_nothing(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    token, plan = setup.token(), setup.plan()
    start(client, token)
    second = plan.pages[1].items[0]
    response = answer(client, token, 2, **{f"item-{second.id}": "4"})
    assert response.status_code == 204
    assert stored() == {second.id: 4}
    assert answer(client, token, 2, **{f"item-{second.id}": "4"}).status_code == 204  # idempotent
    assert stored() == {second.id: 4}
    assert answer(client, token, 2, **{f"item-{second.id}": "pnts"}).status_code == 204
    assert stored() == {second.id: None}
    assert db.session.scalar(select(func.count(PageTiming.id))) == 0  # timing is the page save's
    # A page past the furthest saved one shows the answers kept there.
    page = client.get(f"/s/{token}/p/2")
    assert checked(page.get_data(as_text=True)) == {f"item-{second.id}": "pnts"}


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(lambda plan: {f"item-{plan.pages[0].items[0].id}": "3"}, id="item-of-another-page"),
        pytest.param(lambda plan: {"item-mk_only_item": "3"}, id="unknown-item"),
        pytest.param(lambda plan: {f"item-{plan.pages[1].items[0].id}": "6"}, id="off-the-scale"),
        pytest.param(lambda plan: {f"item-{plan.pages[1].items[0].id}": "2.0"}, id="not-whole"),
        pytest.param(lambda plan: answer_all(plan.pages[1]), id="a-whole-page"),
        pytest.param(lambda plan: {}, id="nothing"),
        pytest.param(
            lambda plan: {f"item-{plan.pages[1].items[0].id}": "3", "colour": "red"}, id="stray-field"
        ),
    ],
)
def test_a_bad_answer_save_is_refused_and_stores_nothing(client, make_survey, fields):
    setup = make_survey(instruments=("alignment",))
    token, plan = setup.token(), setup.plan()
    start(client, token)
    response = client.post(f"/s/{token}/p/2/answer", data=fields(plan))
    assert response.status_code == 400
    assert stored() == {}


def test_an_item_the_respondent_is_not_asked_is_refused(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    token = setup.token("marketing")
    start(client, token)
    shown_to_marketing = {item.id for item in items_for(setup.plan("marketing"))}
    sales_only = next(
        (page.number + 1, item)
        for page in setup.plan("sales").pages
        for item in page.items
        if item.id not in shown_to_marketing
    )
    response = answer(client, token, sales_only[0], **{f"item-{sales_only[1].id}": "3"})
    assert response.status_code == 400
    assert stored() == {}


def test_answer_saves_keep_the_link_rules(client, make_survey):
    setup = make_survey(instruments=("alignment",), per_team=3)
    plan = setup.plan()
    first = {f"item-{plan.pages[0].items[0].id}": "3"}
    # Not started yet, page out of range, unknown link.
    assert answer(client, setup.token(number=1), 1, **first).status_code == 404
    start(client, setup.token(number=1))
    assert answer(client, setup.token(number=1), plan.page_count + 1, **first).status_code == 404
    assert answer(client, "no-such-link", 1, **first).status_code == 404
    # Submitted: 409, nothing changes.
    assert submit_all(client, setup.token(number=1), plan).status_code == 200
    before = stored()
    assert (
        answer(client, setup.token(number=1), 1, **{f"item-{plan.pages[0].items[0].id}": "5"}).status_code
        == 409
    )
    assert stored() == before
    # A closed wave: 410, nothing stored.
    start(client, setup.token(number=2))
    wave = db.session.get(Wave, setup.wave.id)
    wave.status = "closed"
    db.session.commit()
    assert answer(client, setup.token(number=2), 1, **first).status_code == 410
    assert stored() == before


def test_answer_saves_need_the_link_bound_form_token(database_url, other_app, make_survey):
    protected = other_app(database_url, WTF_CSRF_ENABLED=True)
    setup = make_survey(instruments=("alignment",))
    client = protected.test_client()
    token = setup.token()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', welcome)[1]
    assert (
        client.post(f"/s/{token}/start", data={"language": "en", "csrf_token": form_token}).status_code == 200
    )
    item = setup.plan().pages[0].items[0]
    refused = client.post(f"/s/{token}/p/1/answer", data={f"item-{item.id}": "2", "csrf_token": "forged"})
    assert refused.status_code == 400
    assert stored() == {}
    kept = client.post(f"/s/{token}/p/1/answer", data={f"item-{item.id}": "2", "csrf_token": form_token})
    assert kept.status_code == 204
    assert stored() == {item.id: 2}


# --- resuming


def test_resuming_says_how_many_were_answered_and_where_it_goes_on(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    token, plan = setup.token(), setup.plan()
    start(client, token)
    fill_pages(client, token, plan, 2)
    extra = plan.pages[2].items[0]
    assert answer(client, token, 3, **{f"item-{extra.id}": "1"}).status_code == 204
    answered = len(plan.pages[0].items) + len(plan.pages[1].items) + 1
    total = len(items_for(plan))
    message = f"You answered {answered} of {total} questions; continuing on page 3."
    assert message in text_of(client.get(f"/s/{token}"))
    page = start(client, token)
    assert message in text_of(page)
    assert f"Page 3 of {plan.page_count}" in text_of(page)
    assert checked(page.get_data(as_text=True)) == {f"item-{extra.id}": "1"}
    german = client.get(f"/s/{token}?lang=de")
    assert german.status_code == 200


def test_the_resume_message_is_in_german_too(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    token, plan = setup.token(), setup.plan()
    start(client, token, "de")
    fill_pages(client, token, plan, 1)
    page = start(client, token, "de")
    total = len(items_for(plan))
    assert (
        f"Sie haben {len(plan.pages[0].items)} von {total} Fragen beantwortet; es geht weiter auf Seite 2."
        in (text_of(page))
    )


def test_a_fresh_start_says_nothing_about_resuming(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    page = start(client, setup.token())
    assert "You answered" not in text_of(page)


# --- honest length, one promise, numbering through the survey, new scales announced


def test_expected_minutes_count_the_items_each_respondent_sees(make_survey):
    setup = make_survey(instruments=("alignment", "mindset"))
    plan = setup.plan("marketing")
    alignment, mindset = plan.instruments
    seen = {key: sum(1 for page in plan.pages if page.instrument.key == key for _ in page.items)
            for key in (alignment.key, mindset.key)}  # fmt: skip
    assert seen[alignment.key] < len(alignment.items)  # some statements are for the other team
    share = alignment.estimated_minutes * seen[alignment.key] / len(alignment.items)
    share += mindset.estimated_minutes * seen[mindset.key] / len(mindset.items)
    assert expected_minutes(plan) == -(-share // 1)
    assert expected_minutes(plan) == 18  # the demo's two instruments: 9.4 + 8 minutes


def test_welcome_page_names_organisation_deadline_operator_and_promises_once(client, app, make_survey):
    closes = datetime(2031, 3, 14, 17, 0, tzinfo=UTC)
    setup = make_survey(instruments=("alignment", "mindset"), closes_at=closes)
    app.config["MAIL_FROM"] = "Northwind Consulting <surveys@northwind.example>"
    page = text_of(client.get(f"/s/{setup.token()}"))
    organization = setup.wave.organization.name
    assert f"{organization} asks you to take part." in page
    assert "It takes about 18 minutes." in page
    assert "Please answer by Friday, 14 March 2031, 17:00 UTC." in page
    assert f"run by Northwind Consulting (surveys@northwind.example) for {organization}" in page
    assert page.lower().count("confidential") == 1  # the heading; the introductions no longer repeat it
    german = text_of(client.get(f"/s/{setup.token()}?lang=de"))
    assert "Bitte antworten Sie bis Freitag, 14. März 2031, 17:00 Uhr UTC." in german
    assert german.lower().count("vertraulich") == 1


def test_numbers_run_through_the_survey_and_a_new_scale_is_announced(client, make_survey):
    setup = make_survey(instruments=("alignment", "mindset"))
    token, plan = setup.token(), setup.plan()
    first = start(client, token)
    assert "From here on, answer on a scale from 1 to 5" in text_of(first)
    fill_pages(client, token, plan, 1)
    second = client.get(f"/s/{token}/p/2")
    after_first = len(plan.pages[0].items)
    assert re.search(rf'class="number">{after_first + 1}\.<', second.get_data(as_text=True))
    assert "From here on" not in text_of(second)  # same scale as before
    switch = next(page for page in plan.pages if page.instrument.id == "mindset")
    before = sum(len(page.items) for page in plan.pages[: switch.number])
    html = client.get(f"/s/{token}/p/{switch.number + 1}")
    assert (
        "From here on, answer on a scale from 1 to 7: 1 means “Strongly disagree”, 7 means “Strongly agree”."
        in (text_of(html))
    )
    assert re.search(rf'class="number">{before + 1}\.<', html.get_data(as_text=True))


def test_a_failed_save_flags_missing_answers_and_focuses_the_summary(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    token, plan = setup.token(), setup.plan()
    start(client, token)
    page = client.post(f"/s/{token}/p/1", data={"action": "next"})
    assert page.status_code == 422
    assert re.search(r'id="error-summary"[^>]*autofocus', page.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Response.id))) == 1
    assert len(re.findall(r'class="error" id="e-', page.get_data(as_text=True))) == len(plan.pages[0].items)


def test_the_closing_date_reads_in_the_respondent_language(make_survey):
    from survey.blueprints.respond.text import readable_date

    moment = datetime(2027, 1, 4, 9, 30, tzinfo=UTC) + timedelta(days=0)
    assert readable_date(moment, "en") == "Monday, 4 January 2027, 09:30 UTC"
    assert readable_date(moment, "de") == "Montag, 4. Januar 2027, 09:30 Uhr UTC"
    assert readable_date(moment, "xx") == readable_date(moment, "en")
    # In the organisation's time zone, named.
    berlin, auckland = ZoneInfo("Europe/Berlin"), ZoneInfo("Pacific/Auckland")
    assert readable_date(moment, "en", berlin) == "Monday, 4 January 2027, 10:30 (Europe/Berlin time)"
    assert readable_date(moment, "de", berlin) == "Montag, 4. Januar 2027, 10:30 Uhr (Zeitzone Europe/Berlin)"
    assert readable_date(moment, "en", auckland) == "Monday, 4 January 2027, 22:30 (Pacific/Auckland time)"


def test_the_welcome_page_gives_the_deadline_in_the_organisation_time_zone(client, make_survey):
    setup = make_survey(instruments=("alignment",))
    setup.wave.closes_at = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)
    setup.wave.organization.time_zone = "Pacific/Auckland"
    db.session.commit()
    page = text_of(client.get(f"/s/{setup.token()}"))
    assert "Tuesday, 5 January 2027, 12:30 (Pacific/Auckland time)" in page


def test_the_invitation_quotes_the_welcome_page_figure(app, client, make_survey):
    from survey.models import Participant
    from survey.services.mailing import MailSettings, compose

    setup = make_survey(instruments=("alignment", "mindset"))
    settings = MailSettings.from_config(app.config)
    for function in ("sales", "marketing"):
        participant = db.session.scalar(
            select(Participant).where(Participant.email == f"{function}1@example.org")
        )
        body = compose(setup.wave, participant, "invitation", "https://example.org/s/x", settings)
        minutes = expected_minutes(setup.plan(function))
        assert f"It takes about {minutes} minutes;" in body.get_body(("plain",)).get_content()
        assert f"It takes about {minutes} minutes." in text_of(client.get(f"/s/{setup.token(function)}"))


def test_the_invitation_gives_the_closing_time_as_the_welcome_page_does(app, client, make_survey):
    from survey.models import Participant
    from survey.services.mailing import MailSettings, compose

    setup = make_survey(instruments=("alignment",))
    setup.wave.closes_at = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)
    setup.wave.organization.time_zone = "Pacific/Auckland"
    db.session.commit()
    participant = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    body = compose(
        setup.wave, participant, "invitation", "https://example.org/s/x", MailSettings.from_config(app.config)
    )
    deadline = "Tuesday, 5 January 2027, 12:30 (Pacific/Auckland time)"
    assert f"The survey closes on {deadline}." in body.get_body(("plain",)).get_content()
    assert deadline in text_of(client.get(f"/s/{setup.token()}"))


def test_without_a_sender_name_the_welcome_page_names_mindgap_and_no_placeholder_address(
    client, app, make_survey
):
    setup = make_survey(instruments=("alignment",))
    app.config["MAIL_FROM"] = "mindgap@localhost"
    page = text_of(client.get(f"/s/{setup.token()}"))
    assert f"The survey is run by Mindgap for {setup.wave.organization.name}." in page
    assert "localhost" not in page


def test_the_preview_names_the_operator_as_the_welcome_page_does(client, app, auth, make_user, make_survey):
    setup = make_survey(instruments=("alignment",))
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    app.config["MAIL_FROM"] = "mindgap@localhost"
    preview = text_of(client.get(f"/waves/{setup.wave.id}/preview?lang=en"))
    assert f"The survey is run by Mindgap for {setup.wave.organization.name}." in preview
    assert "localhost" not in preview
    app.config["MAIL_FROM"] = "Northwind Consulting <surveys@northwind.example>"
    preview = text_of(client.get(f"/waves/{setup.wave.id}/preview?lang=en"))
    assert "run by Northwind Consulting (surveys@northwind.example)" in preview


def test_a_scale_whose_points_show_words_is_announced_by_its_words(client, make_survey):
    # The lead calibration's three answers carry their labels, not numbers (formats.html).
    setup = make_survey(instruments=("lead_calibration",))
    token = setup.token()
    page = text_of(start(client, token))
    assert "From here on, choose one of these answers:" in page
    assert "scale from 1 to 3" not in page
