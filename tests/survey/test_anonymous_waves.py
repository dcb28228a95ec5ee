"""Anonymous waves: nothing stored about their respondents is dated finer than the day, and
response ids are random, so neither a time nor an id can be matched with a person."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, or_, select

from survey.extensions import db
from survey.i18n import short_date
from survey.models import AuditEvent, PageTiming, Response, utcnow
from survey.services import ServiceError, responding
from survey.services.invitations import find_invitation, hash_token
from survey.services.mailing import MailSettings, send_reminders
from survey.services.response_import import import_responses
from tests.factories import answer_all
from tests.survey.test_respond import fill_pages, shown, start, submit_all
from tests.survey.test_workspace_mail import RecordingHandler, free_port, link_token

RANDOM_LOW, RANDOM_HIGH = responding.RANDOM_ID_RANGE


def day_of(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day."""
    return datetime.combine(moment.astimezone(UTC).date(), datetime.min.time(), UTC)


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="surveys@mindgap.test")
    yield handler
    controller.stop()


def stored_times(wave_id: int) -> dict[tuple[str, str], list]:
    """Every time stored about the wave's respondents, by (table, column).

    The rows are the wave's responses and invitations, the rows of every table that refers to
    either (answers, comments, page timings, e-mail sends, and any added later), and the audit
    events about the wave.
    """
    tables = db.metadata.tables
    response, invitation, audit = tables["response"], tables["invitation"], tables["audit_event"]
    rows_of = {
        "response": response.c.wave_id == wave_id,
        "invitation": invitation.c.wave_id == wave_id,
        "audit_event": or_(audit.c.subject == f"wave {wave_id}", audit.c.subject.like(f"wave {wave_id} %")),
    }
    parents = {
        response: select(response.c.id).where(rows_of["response"]),
        invitation: select(invitation.c.id).where(rows_of["invitation"]),
    }
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table in parents:
                rows_of.setdefault(table.name, key.parent.in_(parents[key.column.table]))
    found: dict[tuple[str, str], list] = {}
    for name, condition in rows_of.items():
        table = tables[name]
        columns = [c for c in table.columns if isinstance(getattr(c.type, "impl", c.type), sa.DateTime)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns).where(condition)):
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    found.setdefault((name, column.name), []).append(value)
    return found


def test_nothing_stored_about_an_anonymous_wave_is_finer_than_the_day(
    app, client, auth, make_survey, make_user, runner, smtp_server, tmp_path
):
    setup = make_survey(mode="anonymous", per_team=2)
    wave = setup.wave
    assert runner.invoke(args=["invitations", "send", str(wave.id)]).exit_code == 0
    tokens = {recipient: link_token(smtp_server.body_for(recipient)) for recipient in smtp_server.received()}
    plan = setup.plan("marketing")

    # One submits, with a comment and page times; one stops half way; one opens the survey only.
    respondent = app.test_client()
    done = tokens["marketing1@example.org"]
    start(respondent, done)
    commented = next(page for page in plan.pages if page.prompts)
    for page in plan.pages:
        data = {**answer_all(page), "shown_at": f"{time.time() - 30:.3f}", "action": "next"}
        if page is commented:
            data[f"comment-{page.prompts[0].id}"] = "We rarely talk."
        if page is plan.pages[-1]:
            data["action"] = "submit"
        assert respondent.post(f"/s/{done}/p/{page.number + 1}", data=data).status_code == 200
    half = tokens["marketing2@example.org"]
    start(respondent, half, "de")
    fill_pages(respondent, half, plan, 2)
    start(respondent, tokens["sales1@example.org"])

    assert runner.invoke(args=["invitations", "remind", str(wave.id)]).exit_code == 0
    out = tmp_path / "links.csv"
    assert runner.invoke(args=["invitations", "export", str(wave.id), "--out", str(out)]).exit_code == 0
    consultant = make_user("c@example.org", role="consultant", organization=wave.organization)
    auth.login(consultant.email)
    assert client.post(f"/waves/{wave.id}/links.csv").status_code == 200
    assert client.post(f"/waves/{wave.id}/close").status_code == 302

    times = stored_times(wave.id)
    finer = {where: [t for t in values if t != day_of(t)] for where, values in times.items()}
    assert {where: values for where, values in finer.items() if values} == {}
    assert set(times) >= {
        ("response", "started_at"), ("response", "updated_at"), ("response", "submitted_at"),
        ("answer", "answered_at"), ("comment", "created_at"),
        ("invitation", "created_at"), ("invitation", "sent_at"), ("invitation", "reminded_at"),
        ("invitation", "used_at"),
        ("email_send", "created_at"), ("email_send", "updated_at"), ("email_send", "sent_at"),
        ("audit_event", "created_at"),
    }  # fmt: skip
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert actions >= {"emails.invitations_sent", "emails.reminders_sent", "links.exported", "wave.closed"}
    # Page times are durations; they stay, and nothing in them dates the visit.
    timings = db.session.scalars(select(PageTiming)).all()
    assert len(timings) == plan.page_count
    assert all(25 < timing.seconds < 60 for timing in timings)
    # The audit log shows such events by their day alone, newest first.
    page = client.get(f"/orgs/{wave.organization_id}/audit").get_data(as_text=True)
    today = short_date(day_of(utcnow()), "en")
    assert f"<td>{today}</td>" in page
    assert f"{today}, 00:00" not in page
    assert page.index("Wave closed") < page.index("Links downloaded") < page.index("Invitations sent")


def test_confidential_waves_keep_exact_times(client, make_survey):
    setup = make_survey()
    token, plan = setup.token(), setup.plan()
    start(client, token)
    submit_all(client, token, plan)
    times = stored_times(setup.wave.id)
    for where in (("answer", "answered_at"), ("response", "submitted_at"), ("invitation", "created_at")):
        assert any(t != day_of(t) for t in times[where]), where


def response_id_of(token: str) -> int:
    invitation = find_invitation(token)
    return db.session.scalar(select(Response.id).where(Response.invitation_id == invitation.id))


def test_anonymous_response_ids_are_random(client, make_survey):
    confidential = make_survey(per_team=1)
    setup = make_survey(mode="anonymous", per_team=7)
    ids = []
    for token in list(setup.tokens.values())[:20]:
        start(client, token)
        ids.append(response_id_of(token))
    assert len(set(ids)) == 20 == db.session.scalar(select(func.count(Response.id)))
    assert ids != sorted(ids)  # not in the order people started
    ordered = sorted(ids)
    assert all(later - earlier > 1 for earlier, later in zip(ordered, ordered[1:], strict=False))
    assert all(RANDOM_LOW <= i <= RANDOM_HIGH for i in ids)
    # Submitting unlinks a response; its id stays what it was.
    token = setup.token("marketing", 1)
    kept = response_id_of(token)
    submit_all(client, token, setup.plan("marketing"))
    assert db.session.scalar(select(Response.invitation_id).where(Response.id == kept)) is None
    # Other waves keep the sequence: below the random range on PostgreSQL; SQLite continues
    # from the largest id taken.
    other = list(confidential.tokens.values())
    for token in other:
        start(client, token)
    sequential = [response_id_of(token) for token in other]
    assert sequential == list(range(sequential[0], sequential[0] + len(other)))
    if db.engine.dialect.name == "postgresql":
        assert sequential[-1] < RANDOM_LOW


def test_a_taken_random_id_is_drawn_again(client, app, make_survey, monkeypatch):
    setup = make_survey(mode="anonymous")
    start(client, setup.token(number=1))
    taken = response_id_of(setup.token(number=1))
    draws = iter([taken, taken, RANDOM_LOW + 7])
    monkeypatch.setattr(responding, "random_response_id", lambda: next(draws))
    start(client, setup.token(number=2))
    assert response_id_of(setup.token(number=2)) == RANDOM_LOW + 7

    # Always taken: the request fails after a few draws and stores nothing.
    monkeypatch.setattr(responding, "random_response_id", lambda: taken)
    with app.test_request_context(method="POST"):
        visit = responding.open_link(hash_token(setup.token(number=3)))
        plan = responding.plan_for(visit.wave, visit.function)
        with pytest.raises(ServiceError, match="No free response id"):
            responding.start_response(visit, "en", plan)
        db.session.rollback()
    assert db.session.scalar(select(func.count(Response.id))) == 2


def test_a_response_created_by_another_request_is_returned_not_duplicated(client, app, make_survey):
    setup = make_survey(mode="anonymous")
    token = setup.token()
    with app.test_request_context(method="POST"):
        stale = responding.open_link(hash_token(token))  # read before the other request's insert
        db.session.rollback()
    start(client, token)
    with app.test_request_context(method="POST"):
        response = responding.start_response(stale, "en", responding.plan_for(stale.wave, stale.function))
        assert response.id == response_id_of(token)
        db.session.rollback()
    assert db.session.scalar(select(func.count(Response.id))) == 1


def statements_of(app, request) -> list[str]:
    """The first word of each statement (no BEGIN) that ``request()`` sends."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):
            sent.append(statement.split(None, 1)[0].upper())

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def test_saving_and_submitting_cost_the_same_statements_in_both_modes(client, app, make_survey):
    counted = {}
    for mode in ("confidential", "anonymous"):
        setup = make_survey(mode=mode)
        token, plan = setup.token(), setup.plan()
        start(client, token)
        first = {**answer_all(plan.pages[0]), "action": "next", "shown_at": f"{time.time() - 5:.3f}"}
        save = statements_of(app, lambda: client.post(f"/s/{token}/p/1", data=first))  # noqa: B023
        fill_pages(client, token, plan, plan.page_count - 1)
        last = {**answer_all(plan.pages[-1]), "action": "submit"}
        url = f"/s/{token}/p/{plan.page_count}"
        done = statements_of(app, lambda: client.post(url, data=last))  # noqa: B023
        counted[mode] = (save, done)
    assert counted["anonymous"] == counted["confidential"]
    save, _ = counted["anonymous"]
    assert save == (["SELECT", "WITH"] if db.engine.dialect.name == "postgresql" else
                    ["SELECT", "UPDATE", "INSERT", "INSERT"])  # fmt: skip


def test_resuming_an_anonymous_survey_goes_by_answers_not_times(client, app, make_survey):
    setup = make_survey(mode="anonymous")
    token, plan = setup.token(), setup.plan()
    start(client, token)
    fill_pages(client, token, plan, 3)
    # Going back and saving page 1 again gives it the same (day) time as the later pages.
    back = client.post(f"/s/{token}/p/2", data={"action": "back"})
    assert shown(back) == f"/s/{token}/p/1"
    client.post(f"/s/{token}/p/1", data={**answer_all(plan.pages[0], "5"), "action": "back"})
    resumed = app.test_client().post(f"/s/{token}/start", data={"language": "en"})
    assert shown(resumed) == f"/s/{token}/p/4"


def test_reminders_of_an_anonymous_wave_go_out_once_a_day(app, make_survey, smtp_server):
    setup = make_survey(mode="anonymous", per_team=1)
    settings = MailSettings.from_config(app.config)
    assert len(send_reminders(setup.wave, settings, db.session.commit).sent) == 3
    # Later the same day (whatever the time of day the test runs at).
    later = max(utcnow(), day_of(utcnow()) + timedelta(hours=23, minutes=59))
    with pytest.raises(ServiceError, match="tomorrow"):
        send_reminders(setup.wave, settings, db.session.commit, now=later)
    tomorrow = day_of(utcnow()) + timedelta(days=1, minutes=1)
    assert len(send_reminders(setup.wave, settings, db.session.commit, now=tomorrow).sent) == 3


def test_imported_responses_of_an_anonymous_wave(make_survey):
    setup = make_survey(mode="anonymous")
    item = setup.plan().pages[0].items[0]
    teams = [setup.teams["sales"].id, setup.teams["marketing"].id] * 10
    frame = pd.DataFrame({"team": teams, item.id: [3] * 20})
    assert import_responses(setup.wave, frame, submitted_at=utcnow() - timedelta(hours=5)) == 20
    ids = db.session.scalars(select(Response.id)).all()
    assert len(set(ids)) == 20
    assert all(RANDOM_LOW <= i <= RANDOM_HIGH for i in ids)
    times = stored_times(setup.wave.id)
    assert all(t == day_of(t) for values in times.values() for t in values)
    assert len(times[("answer", "answered_at")]) == 20
