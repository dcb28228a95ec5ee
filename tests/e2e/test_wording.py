"""A consultant words the lead profiles for a client on a 375 px phone, and the respondent sees the words."""

from __future__ import annotations

from survey.extensions import db
from survey.services.attribute_wording import vignette_link
from survey.services.waves import open_wave
from tests.e2e.test_vignettes import NO_SIDEWAYS_SCROLL
from tests.factories import PASSWORD

SEGMENT = "Manufacturer with 50–200 employees in the DACH region"


def test_the_wording_form_fits_a_phone_and_its_words_reach_the_respondent(
    live_server, phone, make_survey, make_user
):
    setup = make_survey(instruments=("lead_calibration",), status="draft")
    wave = setup.wave
    first = setup.plan("sales").pages[0].items[0]  # the first lead a respondent sees
    level = first.profile["company"]
    make_user("words@example.org", role="consultant", organization=wave.organization)
    page = phone().new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("words@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/**")

    page.goto(f"{live_server}/waves/{wave.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Lead profile wording").click()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "no sideways scrolling on a phone"
    field = page.locator(f'[id="text:company:{level}:en"]')
    box = field.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    field.fill(SEGMENT)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the wording").click()
    assert "Saved the profile wording (1 text changed)." in page.inner_text("body")
    assert page.locator(f'[id="text:company:{level}:en"]').input_value() == SEGMENT
    db.session.commit()  # a new transaction sees what the server wrote
    assert vignette_link(wave).wording == {"company": {level: {"en": SEGMENT}}}

    open_wave(wave)
    db.session.commit()
    respondent = phone().new_page()
    respondent.goto(f"{live_server}/s/{setup.token('sales')}")
    with respondent.expect_navigation():
        respondent.get_by_role("button", name="Start the survey").click()
    assert SEGMENT in respondent.locator(f"#p-{first.id}").inner_text()
    assert respondent.evaluate(NO_SIDEWAYS_SCROLL)
