"""A respondent reads the whole survey in their language: pages, layout, errors and e-mails.

Most tests stand a marking catalogue in for French and Spanish: it returns every message
it is asked for between ``⟦`` and ``⟧``. What is left of a page once the marked messages
are taken out is what the catalogue was never asked to translate; it must hold no English
(only the instrument's own French, names, numbers and dates).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from survey.blueprints.respond import questions
from survey.extensions import db
from survey.models import Participant
from tests.catalogues import use_stand_in
from tests.factories import answer_all
from tests.survey.test_respond import submit_all
from tests.test_i18n import _ReadText

pytestmark = pytest.mark.db

CLOSES = datetime(2031, 3, 14, 17, 0, tzinfo=UTC)
FRENCH_BROWSER = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}
#: Words that give away an English sentence (none of them is French or Spanish).
ENGLISH = {"the", "your", "you", "to", "and", "of", "is", "are", "this", "please", "survey", "answer",
           "answers", "start", "back", "submit", "thank", "skip", "required", "link", "done", "was",
           "has", "been", "here", "could", "not", "with", "for", "by"}  # fmt: skip


@pytest.fixture
def marked(monkeypatch):
    """French and Spanish through the marking catalogue; no question markup cached from before."""
    use_stand_in(monkeypatch, ["fr", "es"])
    monkeypatch.setattr(questions, "RENDERED", {})


def unmarked(text: str) -> str:
    """``text`` without the catalogue's messages (innermost first: a message can hold another)."""
    while True:
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if shorter == text:
            return text
        text = shorter


def read_text(html: str) -> str:
    """What a reader sees or hears of a page: its text and its read attributes."""
    reader = _ReadText()
    reader.feed(html)
    reader.close()
    return "\n".join(reader.texts)


def english_left(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]+", unmarked(text).lower()) if word in ENGLISH}


def assert_all_french(response) -> str:
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert re.search(r'<a class="skip-link" href="#main">⟦[^⟧]+⟧</a>', html), "the skip link is translated"
    assert re.search(r'<footer class="site-footer">⟦[^⟧]+⟧</footer>', html), "the footer is translated"
    text = read_text(html)
    assert not english_left(text), f"English outside the catalogue: {english_left(text)}\n{unmarked(text)}"
    return text


def french_survey(make_survey, **options):
    return make_survey(instruments=("alignment@1.1",), closes_at=CLOSES, **options)


def test_a_french_respondent_reads_the_welcome_page_in_french(client, make_survey, marked):
    setup = french_survey(make_survey)
    text = assert_all_french(client.get(f"/s/{setup.token()}", headers=FRENCH_BROWSER))
    assert "Perception de l'alignement entre les ventes et le marketing" in text  # the instrument's French
    assert "vendredi 14 mars 2031" in text  # the deadline, as French writes dates
    assert "⟦Start the survey⟧" in text
    assert "⟦Your answers are confidential⟧" in text
    # The language menu names each language in itself.
    for name in ("English", "Deutsch", "Français", "Español"):
        assert name in text


def test_the_survey_language_chosen_on_the_welcome_page_wins_over_the_browser(client, make_survey, marked):
    setup = french_survey(make_survey)
    english = client.get(f"/s/{setup.token()}?lang=en", headers=FRENCH_BROWSER).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "⟦" not in english
    assert_all_french(client.get(f"/s/{setup.token()}?lang=fr"))


def test_a_french_respondent_answers_every_page_and_is_thanked_in_french(client, make_survey, marked):
    setup = french_survey(make_survey)
    token, plan = setup.token(), setup.plan()
    first = client.post(f"/s/{token}/start", data={"language": "fr"})
    text = assert_all_french(first)
    assert "⟦Save and continue⟧" in text
    assert plan.pages[0].items[0].label("fr") in text  # the statements in the instrument's French
    missing = client.post(f"/s/{token}/p/1", data={"action": "next"})  # nothing answered
    assert missing.status_code == 422
    assert "⟦Please answer these questions before you continue:⟧" in assert_all_french(missing)
    for page in plan.pages[1:]:
        assert_all_french(client.get(f"/s/{token}/p/{page.number + 1}"))
    thanks = submit_all(client, token, plan)
    assert thanks.status_code == 200
    assert "⟦Thank you⟧" in assert_all_french(thanks)
    assert_all_french(client.get(f"/s/{token}/thanks"))


def test_refusals_are_in_the_respondent_language(app, client, make_survey, marked):
    setup = french_survey(make_survey)
    token, plan = setup.token(), setup.plan()
    assert client.get("/s/not-a-real-token", headers=FRENCH_BROWSER).status_code == 404
    assert_all_french(client.get("/s/not-a-real-token", headers=FRENCH_BROWSER))
    client.post(f"/s/{token}/start", data={"language": "fr"})
    # A form no survey page sends (400): the service's own words are translated too.
    tampered = client.post(f"/s/{token}/p/1", data={"item-no-such-item": "3", "action": "next"})
    assert tampered.status_code == 400
    assert_all_french(tampered)
    tampered_answer = client.post(f"/s/{token}/p/1/answer", data={"item-no-such-item": "3"})
    assert tampered_answer.status_code == 400
    assert_all_french(tampered_answer)
    # Changing answers after submitting (409).
    submit_all(client, token, plan)
    change = client.post(f"/s/{token}/p/1", data={**answer_all(plan.pages[0]), "action": "next"})
    assert change.status_code == 409
    assert_all_french(change)
    # A form that did not come from the survey link (400), in the browser's language.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        forged = client.post(
            f"/s/{setup.token('sales')}/start", data={"language": "fr"}, headers=FRENCH_BROWSER
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert forged.status_code == 400
    assert_all_french(forged)
    # A closed survey (410).
    setup.wave.opens_at = datetime(2020, 1, 1, tzinfo=UTC)
    setup.wave.closes_at = datetime(2020, 1, 2, tzinfo=UTC)
    db.session.commit()
    closed = client.get(f"/s/{setup.token('other')}", headers=FRENCH_BROWSER)
    assert closed.status_code == 410
    assert_all_french(closed)


def test_the_french_pages_use_the_shipped_catalogue(client, make_survey):
    """Without a stand-in: the page is marked French and the instrument's texts and dates are French."""
    setup = french_survey(make_survey)
    html = client.get(f"/s/{setup.token()}", headers=FRENCH_BROWSER).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "vendredi 14 mars 2031" in html
    assert "Perception de l&#39;alignement entre les ventes et le marketing" in html


def test_a_spanish_participant_gets_a_spanish_invitation(app, make_survey, marked):
    from survey.services.mailing import MailSettings, compose

    setup = french_survey(make_survey)
    participant = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    participant.attributes = {"language": "es"}
    db.session.commit()
    message = compose(setup.wave, participant, "invitation", "https://example.org/s/x",
                      MailSettings.from_config(app.config))  # fmt: skip
    body = message.get_body(("plain",)).get_content()
    assert "viernes, 14 de marzo de 2031" in body  # the closing date as Spanish writes it
    assert "https://example.org/s/x" in body
    assert "⟦" in message["Subject"]
    left = english_left(message["Subject"] + "\n" + body)
    assert not left, f"English outside the catalogue: {left}\n{unmarked(body)}"
