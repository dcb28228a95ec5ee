"""A respondent judges lead profiles on a 375 px phone: by keyboard, and with JavaScript off."""

from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer
from tests.e2e.test_take_survey import FOCUSED, answer_page_by_keyboard, page_indicator, shot

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _start(page, link: str) -> None:
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name="Start the survey").click()


def test_vignette_page_answered_by_keyboard_on_a_phone(live_server, phone, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    plan = setup.plan("sales")
    link = f"{live_server}/s/{setup.token('sales')}"
    page = phone().new_page()
    page.goto(link)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED)["tag"] == "BUTTON":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page_indicator(page).startswith(f"Page 1 of {plan.page_count}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "no sideways scrolling on a phone"
    profile = page.locator("#p-lead01")
    assert profile.is_visible()
    assert "Budget not mentioned" in profile.inner_text()
    # Every profile and its options fit the phone's width.
    boxes = page.locator(".question.vignette").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert len(boxes) == 4
    assert max(boxes) <= 375
    # The judgement group is named by its question and described by its profile.
    group = page.get_by_role("group", name="How would you classify this lead?").first
    assert group.get_attribute("aria-describedby") == "p-lead01"
    shot(page, "vignettes-phone")
    answer_page_by_keyboard(page, steps_right=1)
    assert page_indicator(page).startswith(f"Page 2 of {plan.page_count}")
    db.session.rollback()
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert set(stored) == {"lead01", "lead02", "lead03", "lead04"}
    assert set(stored.values()) <= {1, 2, 3}


def test_vignette_page_works_without_javascript(live_server, browser, make_survey):
    setup = make_survey(instruments=("lead_calibration",))
    link = f"{live_server}/s/{setup.token('marketing')}"
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    try:
        page = context.new_page()
        _start(page, link)
        for number in range(1, 5):
            page.locator(f"#q-lead{number:02d}").get_by_label("Ready for sales").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and continue").click()
        assert page_indicator(page).startswith("Page 2 of 4")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
    finally:
        context.close()
    db.session.rollback()
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert stored == {f"lead0{n}": 3 for n in range(1, 5)}
