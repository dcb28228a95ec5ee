"""Respondent pages for vignettes: the lead profile above the judgement, in the respondent's language."""

from __future__ import annotations

import re

from sqlalchemy import select

from instruments import load
from survey.extensions import db
from survey.models import Answer
from tests.factories import answer_all
from tests.survey.test_respond import checked, start, submit_all


def _profile(html: str, item_id: str) -> list[tuple[str, str]]:
    block = re.search(rf'<dl class="profile" id="p-{item_id}">(.*?)</dl>', html, re.S)[1]
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)


def test_vignette_page_shows_each_profile_inside_its_question(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    token, plan = setup.token("sales"), setup.plan("sales")
    instrument = load("lead_calibration", "1.0")
    html = start(client, token).get_data(as_text=True)
    assert plan.page_count == 4
    for item in plan.pages[0].items:
        question = re.search(rf'<fieldset class="question vignette ordinal" id="q-{item.id}"[^>]*>', html)[0]
        assert f'aria-describedby="p-{item.id}"' in question
        expected = [
            (instrument.attribute(a).label("en"), instrument.attribute(a).level(level).label("en"))
            for a, level in item.profile.items()
        ]
        assert _profile(html, item.id) == expected
    assert _profile(html, "lead01")[2] == ("Budget", "Budget not mentioned")
    assert "Ready for sales" in html


def test_vignette_page_in_german(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",), languages=["en", "de"])
    html = start(client, setup.token("marketing"), language="de").get_data(as_text=True)
    assert _profile(html, "lead01")[2] == ("Budget", "Budget nicht erwähnt")
    assert "Bereit für den Vertrieb" in html
    assert "Wie würden Sie diesen Lead einstufen?" in html


def test_a_missing_judgement_is_flagged_and_the_rest_kept(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    token, plan = setup.token("sales"), setup.plan("sales")
    start(client, token)
    data = answer_all(plan.pages[0], "2")
    del data["item-lead02"]
    response = client.post(f"/s/{token}/p/1", data={**data, "action": "next"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    question = re.search(r'<fieldset class="question vignette ordinal has-error" id="q-lead02"[^>]*>', html)[
        0
    ]
    assert 'aria-describedby="p-lead02 e-lead02"' in question
    assert checked(html) == {"item-lead01": "2", "item-lead03": "2", "item-lead04": "2"}
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert stored == {"lead01": 2, "lead03": 2, "lead04": 2}


def test_a_judgement_off_the_scale_is_refused_and_nothing_stored(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    token, plan = setup.token("sales"), setup.plan("sales")
    start(client, token)
    data = {**answer_all(plan.pages[0], "3"), "item-lead03": "7"}
    response = client.post(f"/s/{token}/p/1", data={**data, "action": "next"})
    assert response.status_code == 400
    assert db.session.execute(select(Answer.item_id)).all() == []


def test_judgements_of_every_vignette_are_stored(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    token, plan = setup.token("marketing"), setup.plan("marketing")
    start(client, token)
    response = submit_all(client, token, plan)
    assert response.status_code in (200, 302, 303)
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert stored == {f"lead{n:02d}": 3 for n in range(1, 17)}


def test_the_error_summary_names_each_missing_lead_and_the_hint_fits_the_scale(client, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    token, plan = setup.token("sales"), setup.plan("sales")
    html = start(client, token).get_data(as_text=True)
    assert (
        "Prefer not to say" not in html
    )  # the judgement scale does not offer it, so the hint does not say it
    assert "Questions marked * need an answer." in html
    data = answer_all(plan.pages[0], "2")
    del data["item-lead02"], data["item-lead04"]
    html = client.post(f"/s/{token}/p/1", data={**data, "action": "next"}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)[0]
    links = re.findall(r'<a href="#q-(\w+)">(.*?)</a>', summary)
    assert links == [("lead02", "Lead 2 of 16"), ("lead04", "Lead 4 of 16")]


def test_pages_whose_scale_offers_prefer_not_to_say_keep_the_hint(client, make_survey):
    setup = make_survey()
    html = start(client, setup.token("sales")).get_data(as_text=True)
    assert "“Prefer not to say”" in html
