"""A wave's own wording of the lead profiles: set while a draft, shown to respondents and in the report."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import instruments
from survey.extensions import db
from survey.models import AuditEvent, Wave
from survey.services import ServiceError
from survey.services.attribute_wording import (
    MAX_LENGTH,
    reworded,
    set_attribute_wording,
    vignette_link,
    wave_instruments,
)
from survey.services.waves import clone_wave, open_wave
from tests.survey.test_respond import start

pytestmark = pytest.mark.db

SEGMENT = "Manufacturer with 50–200 employees in the DACH region"
SEGMENT_DE = "Hersteller mit 50–200 Beschäftigten in der DACH-Region"


def _draft(make_survey, **options):
    return make_survey(instruments=("lead_calibration",), status="draft", **options)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _profile(html: str, item_id: str) -> list[tuple[str, str]]:
    block = re.search(rf'<dl class="profile" id="p-{item_id}">(.*?)</dl>', html, re.S)[1]
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)


def test_respondents_see_the_wave_s_wording_in_each_language(client, make_survey):
    setup = _draft(make_survey, languages=["en", "de"])
    wave = setup.wave
    lead = instruments.load("lead_calibration")
    first = lead.item(lead.pages[0][0])  # the first lead a respondent sees
    level, other = (
        lv.id
        for lv in sorted(lead.attribute("company").levels, key=lambda lv: lv.id != first.profile["company"])
    )
    changed = set_attribute_wording(wave, {"company": {level: {"en": f"  {SEGMENT} ", "de": SEGMENT_DE}}})
    db.session.commit()
    assert changed == 2
    assert vignette_link(wave).wording == {"company": {level: {"de": SEGMENT_DE, "en": SEGMENT}}}
    [event] = _events("wave.wording_changed")
    assert event.details["changed"] == [f"company.{level}.de", f"company.{level}.en"]
    assert event.details["instrument"] == lead.key

    # the draft's plan already shows it (a draft's plan is never kept), and so does the open wave's
    assert setup.plan("sales").pages[0].instrument.attribute("company").level(level).label("en") == SEGMENT
    open_wave(wave)
    db.session.commit()
    html = start(client, setup.token("sales")).get_data(as_text=True)
    assert ("Company", SEGMENT) in _profile(html, first.id)
    # the other level keeps the instrument's words
    shown = setup.plan("sales").pages[0].instrument.attribute("company")
    assert shown.level(other) == lead.attribute("company").level(other)

    html_de = start(client, setup.token("marketing"), language="de").get_data(as_text=True)
    assert ("Unternehmen", SEGMENT_DE) in _profile(html_de, first.id)


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"company": {"target": {"en": "   "}}}, "Every level needs a text"),
        ({"company": {"target": {"en": "x" * (MAX_LENGTH + 1)}}}, f"at most {MAX_LENGTH}"),
        ({"company": {"target": {"en": "Two\nlines"}}}, "control character"),
        ({"company": {"target": {"en": "Reversed \u202etext"}}}, "control character"),
        ({"company": {"target": {"en": 5}}}, "must be text"),
        ({"size": {"target": {"en": "x"}}}, "Unknown attribute 'size'"),
        ({"company": {"huge": {"en": "x"}}}, "Unknown level 'huge' of company"),
        ({"company": {"target": {"it": "x"}}}, "not offered in 'it'"),
        ({"company": {"target": {"en": "Small retailer outside your usual target market"}}}, "read the same"),
        ({"company": ["target"]}, "must map its level ids"),
        (["company"], "must map attribute ids"),
    ],
)
def test_bad_wording_is_refused_and_changes_nothing(make_survey, texts, message):
    wave = _draft(make_survey).wave
    set_attribute_wording(wave, {"budget": {"confirmed": {"en": "Budget approved by finance"}}})
    db.session.commit()
    with pytest.raises(ServiceError, match=re.escape(message)):
        set_attribute_wording(wave, texts)
    db.session.rollback()
    assert vignette_link(wave).wording == {"budget": {"confirmed": {"en": "Budget approved by finance"}}}
    assert len(_events("wave.wording_changed")) == 1


def test_the_instrument_s_text_drops_the_replacement_and_reset_restores_all(make_survey):
    wave = _draft(make_survey).wave
    set_attribute_wording(
        wave, {"company": {"target": {"en": SEGMENT}}, "timing": {"none": {"en": "No date yet"}}}
    )
    own = instruments.load("lead_calibration").attribute("company").level("target").label("en")
    assert set_attribute_wording(wave, {"company": {"target": {"en": own}}}) == 1
    assert vignette_link(wave).wording == {"timing": {"none": {"en": "No date yet"}}}
    assert set_attribute_wording(wave, {"timing": {"none": {"en": "No date yet"}}}) == 0  # nothing new
    assert set_attribute_wording(wave, {}, reset=True) == 1
    assert vignette_link(wave).wording == {}
    assert len(_events("wave.wording_changed")) == 3


def test_the_wording_is_frozen_once_the_wave_opens_and_carries_over_to_the_next_round(make_survey):
    wave = _draft(make_survey).wave
    set_attribute_wording(wave, {"company": {"target": {"en": SEGMENT}}})
    open_wave(wave)
    db.session.commit()
    with pytest.raises(ServiceError, match="fixed"):
        set_attribute_wording(wave, {"company": {"target": {"en": "Something else"}}})
    db.session.rollback()
    assert vignette_link(wave).wording == {"company": {"target": {"en": SEGMENT}}}
    nxt = clone_wave(wave, "Wave 2")
    db.session.commit()
    assert vignette_link(nxt).wording == {"company": {"target": {"en": SEGMENT}}}
    [instrument] = wave_instruments(nxt)
    assert instrument.attribute("company").level("target").label("en") == SEGMENT


def test_a_wave_without_the_lead_calibration_has_no_wording(make_survey):
    wave = make_survey(status="draft").wave
    with pytest.raises(ServiceError, match="no lead calibration"):
        set_attribute_wording(wave, {"company": {"target": {"en": SEGMENT}}})


def test_reworded_changes_only_the_given_texts():
    lead = instruments.load("lead_calibration")
    assert reworded(lead, {}) is lead
    changed = reworded(lead, {"budget": {"unknown": {"en": "No word on budget"}}})
    assert changed.attribute("budget").level("unknown").label("en") == "No word on budget"
    assert changed.attribute("budget").level("unknown").label("de") == "Budget nicht erwähnt"
    assert changed.attribute("budget").level("confirmed") == lead.attribute("budget").level("confirmed")
    assert changed.design() == lead.design()  # the profiles (level ids) are the instrument's
    assert changed.content_hash == lead.content_hash


# --- the workspace form


@pytest.fixture
def consultant(client, auth, make_user):
    def sign_in(setup):
        user = make_user("w@example.org", role="consultant", organization=setup.wave.organization)
        auth.login(user.email)

    return sign_in


def test_the_form_saves_the_wording_and_reshows_bad_input_with_its_message(client, make_survey, consultant):
    setup = _draft(make_survey, languages=["en", "de"])
    consultant(setup)
    wave = setup.wave
    assert f'href="/waves/{wave.id}/wording"' in client.get(f"/waves/{wave.id}").get_data(as_text=True)
    page = client.get(f"/waves/{wave.id}/wording").get_data(as_text=True)
    assert 'name="text:company:target:en"' in page
    assert 'name="text:company:target:de"' in page
    assert "The instrument&#39;s wording" in page or "The instrument's wording" in page

    saved = client.post(f"/waves/{wave.id}/wording", data={"text:company:target:en": SEGMENT})
    assert saved.status_code == 302
    db.session.expire_all()
    assert vignette_link(wave).wording == {"company": {"target": {"en": SEGMENT}}}
    assert _events("wave.wording_changed")[0].actor == "w@example.org"

    typed = {"text:company:target:en": "", "text:budget:unknown:en": "Budget open"}
    bad = client.post(f"/waves/{wave.id}/wording", data=typed)
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Every level needs a text" in html
    assert 'value="Budget open"' in html  # what was typed is kept
    db.session.expire_all()
    assert vignette_link(wave).wording == {"company": {"target": {"en": SEGMENT}}}

    reset = client.post(f"/waves/{wave.id}/wording", data={"reset": "1"})
    assert reset.status_code == 302
    db.session.expire_all()
    assert vignette_link(wave).wording == {}


def test_an_open_wave_shows_its_wording_without_a_form(client, make_survey, consultant):
    setup = _draft(make_survey)
    set_attribute_wording(setup.wave, {"company": {"target": {"en": SEGMENT}}})
    open_wave(setup.wave)
    db.session.commit()
    consultant(setup)
    html = client.get(f"/waves/{setup.wave.id}/wording").get_data(as_text=True)
    assert SEGMENT in html
    assert '<form method="post" novalidate>' not in html
    refused = client.post(f"/waves/{setup.wave.id}/wording", data={"text:company:target:en": "Other"})
    assert refused.status_code == 400
    assert "fixed" in refused.get_data(as_text=True)


def test_a_wave_without_the_calibration_has_no_wording_page(client, make_survey, consultant):
    setup = make_survey(status="draft")
    consultant(setup)
    assert "wording-link" not in client.get(f"/waves/{setup.wave.id}").get_data(as_text=True)
    assert client.get(f"/waves/{setup.wave.id}/wording").status_code == 302


def test_the_command_line_sets_and_prints_the_wording(app, make_survey, tmp_path):
    wave = _draft(make_survey).wave
    runner = app.test_cli_runner()
    path = tmp_path / "wording.json"
    path.write_text(json.dumps({"company": {"target": {"en": SEGMENT}}}), encoding="utf-8")
    result = runner.invoke(args=["waves", "wording", str(wave.id), str(path)])
    assert result.exit_code == 0, result.output
    assert "1 profile text(s) changed" in result.output
    shown = runner.invoke(args=["waves", "wording", str(wave.id)])
    assert json.loads(shown.output)["company"]["target"]["en"] == SEGMENT
    path.write_text(json.dumps({"company": {"target": {"en": ""}}}), encoding="utf-8")
    failed = runner.invoke(args=["waves", "wording", str(wave.id), str(path)])
    assert failed.exit_code == 1
    assert "Every level needs a text" in failed.output
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).instruments[0].wording == {"company": {"target": {"en": SEGMENT}}}


FUZZED_FIELDS = [
    "text:company:target:en", "text:budget:unknown:en", "text:company:huge:en", "text:company:target:fr",
    "text:x", "reset",
]  # fmt: skip
FUZZED_TEXTS = [
    "Budget approved", "", " ", "x" * (MAX_LENGTH + 1), "Small retailer outside your usual target market",
    "line\nbreak", "\u202eabc", "=HYPERLINK()",
]  # fmt: skip
FUZZED = st.dictionaries(st.sampled_from(FUZZED_FIELDS), st.sampled_from(FUZZED_TEXTS) | st.text(max_size=40),
                         max_size=4)  # fmt: skip


def test_the_form_never_fails_and_keeps_only_valid_texts(client, make_survey, consultant):
    setup = _draft(make_survey)
    consultant(setup)
    wave = setup.wave

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(FUZZED)
    def never_fails(texts):
        db.session.expire_all()
        before = dict(vignette_link(wave).wording)
        response = client.post(f"/waves/{wave.id}/wording", data=texts)
        assert response.status_code in (302, 400), response.status_code
        db.session.expire_all()
        stored = vignette_link(wave).wording
        if response.status_code == 400:
            assert stored == before  # a refusal changes nothing
        for levels in stored.values():
            for by_language in levels.values():
                for text in by_language.values():
                    assert text == text.strip()
                    assert 0 < len(text) <= MAX_LENGTH
                    assert not any(ord(c) < 32 or c == "\u202e" for c in text)

    never_fails()


def test_another_wave_of_the_instrument_keeps_its_words_after_a_reworded_page_was_drawn(client, make_survey):
    # Pages are drawn once per process and kept: a client's wording must not reach another
    # wave's respondents through that store.
    lead = instruments.load("lead_calibration")
    first = lead.item(lead.pages[0][0])
    level = first.profile["company"]
    reworded = _draft(make_survey)
    set_attribute_wording(reworded.wave, {"company": {level: {"en": SEGMENT}}})
    open_wave(reworded.wave)
    db.session.commit()
    html = start(client, reworded.token("sales")).get_data(as_text=True)
    assert ("Company", SEGMENT) in _profile(html, first.id)

    plain = make_survey(instruments=("lead_calibration",))
    html = start(client, plain.token("sales")).get_data(as_text=True)
    assert ("Company", lead.attribute("company").level(level).label("en")) in _profile(html, first.id)
    assert SEGMENT not in html
