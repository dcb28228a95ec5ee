"""A respondent takes the survey on a phone, by keyboard alone, stops half-way and resumes."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Response

ARTIFACTS = os.environ.get("MINDGAP_TEST_ARTIFACTS", "")

FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName, type: e.type || "", name: e.name || "", value: e.value || "",
          outline: getComputedStyle(e).outlineStyle};
}"""


def answer_page_by_keyboard(page, steps_right: int = 3) -> None:
    """Tab through the page, choose a point in each new radio group by arrow keys, press the main button."""
    seen = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["type"] == "radio" and focused["name"] not in seen:
            assert focused["outline"] != "none", "keyboard focus must be visible"
            seen.add(focused["name"])
            page.keyboard.press("Space")
            for _ in range(steps_right):
                page.keyboard.press("ArrowRight")
        elif focused["tag"] == "BUTTON" and focused["value"] in ("next", "submit"):
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("never reached the page's main button by keyboard")


def page_indicator(page) -> str:
    return page.locator(".progress-text").inner_text()


def shot(page, name: str) -> None:
    if ARTIFACTS:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_complete_survey_by_keyboard_on_a_phone_with_resume(live_server, phone, make_survey):
    setup = make_survey(instruments=("alignment",))
    plan = setup.plan("marketing")
    link = f"{live_server}/s/{setup.token('marketing')}"

    first_device = phone()
    page = first_device.new_page()
    page.goto(link)
    assert page.locator("h2", has_text="Your answers are confidential").is_visible()
    shot(page, "welcome")
    # Keyboard only: Tab to the start button (past the language choice) and press Enter.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED)["tag"] == "BUTTON":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page_indicator(page).startswith(f"Page 1 of {plan.page_count}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    shot(page, "page1-phone")

    half = plan.page_count // 2
    for _ in range(half):
        answer_page_by_keyboard(page)
    assert page_indicator(page).startswith(f"Page {half + 1} of")
    # Each save answered with the next page; the location bar still names the page shown, so a
    # reload shows it again instead of posting the previous page once more.
    assert page.url == f"{link}/p/{half + 1}"
    db.session.rollback()
    stored = db.session.scalar(select(func.count(Answer.id)))
    page.reload()
    assert page_indicator(page).startswith(f"Page {half + 1} of")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Answer.id))) == stored
    first_device.close()  # stop half-way: the phone is put away

    second_device = phone()  # a fresh context: no cookies, no history
    page = second_device.new_page()
    page.goto(link)
    button = page.get_by_role("button", name="Continue where you left off")
    assert button.is_visible()
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page_indicator(page).startswith(f"Page {half + 1} of {plan.page_count}")

    for _ in range(half, plan.page_count):
        answer_page_by_keyboard(page)
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert page.url == f"{link}/thanks"
    shot(page, "thanks")

    db.session.rollback()  # end the test's read snapshot to see the server's writes
    assert db.session.scalar(select(Response.status)) == "submitted"
    answers = db.session.scalars(select(Answer.value)).all()
    assert len(answers) == sum(len(p.items) for p in plan.pages)
    assert set(answers) == {4}  # Space chose 1, three arrow presses moved to 4
    assert db.session.scalar(select(func.count(Response.id))) == 1


def test_missing_answers_are_announced_and_linked(live_server, phone, make_survey):
    setup = make_survey(instruments=("alignment",))
    page = phone().new_page()
    page.goto(f"{live_server}/s/{setup.token('sales')}")
    page.get_by_role("button", name="Start the survey").click()
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    links = summary.locator("a")
    assert links.count() == len(setup.plan("sales").pages[0].items)
    links.first.click()
    assert page.url.endswith("#q-" + setup.plan("sales").pages[0].items[0].id)
    shot(page, "errors-phone")


def test_wide_screen_shows_rating_rows(live_server, browser, make_survey):
    setup = make_survey(instruments=("alignment",))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/s/{setup.token('sales')}")
    page.get_by_role("button", name="Start the survey").click()
    options = page.locator(".question").first.locator(".option")
    options.first.wait_for()
    # Measure the settled layout: the page's fonts loaded (a fallback font is wider and wraps).
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    tops = {round(options.nth(i).bounding_box()["y"]) for i in range(options.count())}
    assert len(tops) == 1, "on a wide screen the scale points sit side by side"
    shot(page, "page1-wide")
    context.close()
