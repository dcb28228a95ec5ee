"""A respondent takes the survey on a phone, by keyboard alone, stops half-way and resumes."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Response
from tests.factories import answer_all

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
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links.first.click()
    assert page.url.endswith("#q-" + setup.plan("sales").pages[0].items[0].id)
    shot(page, "errors-phone")


def test_wide_screen_shows_rating_rows(live_server, browser, make_survey):
    setup = make_survey(instruments=("alignment",))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/s/{setup.token('sales')}")
    page.get_by_role("button", name="Start the survey").click()
    options = page.locator(".question").first.locator(".point")
    options.first.wait_for()
    # Measure the settled layout: the page's fonts loaded (a fallback font is wider and wraps).
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    tops = {round(options.nth(i).bounding_box()["y"]) for i in range(options.count())}
    assert len(tops) == 1, "on a wide screen the scale points sit side by side"
    shot(page, "page1-wide")
    context.close()


# --- phone-first answering: compact rows, answers kept as given, resume, focus, axe-core

PHONE_SCREEN = {"width": 375, "height": 667}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def small_phone(browser, locale: str = "en-GB", **options):
    """A 375 x 667 phone (the size the issue measures in)."""
    return browser.new_context(viewport=PHONE_SCREEN, device_scale_factor=2, is_mobile=True, has_touch=True,
                               locale=locale, **options)  # fmt: skip


def test_ten_statements_fit_in_about_two_phone_screens(live_server, browser, make_survey):
    setup = make_survey(instruments=("alignment",))
    plan = setup.plan("sales")
    ten = next(page for page in plan.pages if len(page.items) == 10)
    context = small_phone(browser)
    page = context.new_page()
    link = f"{live_server}/s/{setup.token('sales')}"
    page.goto(link)
    page.get_by_role("button", name="Start the survey").click()
    page.goto(f"{link}/p/{ten.number + 1}")
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    questions = page.locator("fieldset.question")
    assert questions.count() == 10
    first, last = questions.first.bounding_box(), questions.last.bounding_box()
    statements = last["y"] + last["height"] - first["y"]
    whole = page.evaluate("document.documentElement.scrollHeight")
    shot(page, "ten-statements-phone")
    # The ten statements take about two screens (2.1 measured); the whole page, with its
    # progress bar, hint, comment box and buttons, about three (twelve took about eight).
    assert statements <= 2.2 * PHONE_SCREEN["height"], statements
    assert whole <= 3.25 * PHONE_SCREEN["height"], whole
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
    # Points side by side, each a touch target of at least 24 x 24 CSS px (WCAG 2.2, 2.5.8).
    points = questions.first.locator(".point")
    boxes = [points.nth(i).bounding_box() for i in range(points.count())]
    assert len({round(box["y"]) for box in boxes}) == 1
    assert min(min(box["width"], box["height"]) for box in boxes) >= 24
    ends = questions.first.locator(".end")
    assert ends.first.is_visible()
    assert ends.last.is_visible()
    context.close()


def test_narrow_screens_stack_the_points_with_their_labels(live_server, browser, make_survey):
    setup = make_survey(instruments=("mindset",))
    context = browser.new_context(viewport={"width": 300, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server}/s/{setup.token('sales')}")
    page.get_by_role("button", name="Start the survey").click()
    points = page.locator(".question").first.locator(".point")
    assert len({round(points.nth(i).bounding_box()["y"]) for i in range(points.count())}) == points.count()
    assert points.first.get_by_text("Strongly disagree").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 300
    shot(page, "narrow-300")
    context.close()


def test_answers_given_are_kept_when_the_tab_closes_and_resuming_says_where(
    live_server, browser, make_survey
):
    setup = make_survey(instruments=("alignment",))
    plan = setup.plan("marketing")
    link = f"{live_server}/s/{setup.token('marketing')}"
    context = small_phone(browser)
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name="Start the survey").click()
    answer_page_by_keyboard(page)  # page 1 saved as a page
    chosen = plan.pages[1].items[:3]
    for item in chosen:
        with page.expect_response(
            lambda r: r.url.endswith("/p/2/answer") and r.request.method == "POST"
        ) as sent:
            page.locator(f"label[for='item-{item.id}-2']").click()
        assert sent.value.status == 204
    context.close()  # the tab is closed half-way through page 2, without saving it

    db.session.rollback()
    stored = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    assert {item.id: stored.get(item.id) for item in chosen} == {item.id: 2 for item in chosen}
    answered = len(plan.pages[0].items) + len(chosen)

    context = small_phone(browser)
    page = context.new_page()
    page.goto(link)
    total = sum(len(p.items) for p in plan.pages)
    message = f"You answered {answered} of {total} questions; continuing on page 2."
    assert page.get_by_text(message).is_visible()
    page.get_by_role("button", name="Continue where you left off").click()
    assert page_indicator(page).startswith(f"Page 2 of {plan.page_count}")
    assert page.get_by_text(message).is_visible()
    for item in chosen:
        assert page.locator(f"#item-{item.id}-2").is_checked()
    shot(page, "resumed-phone")
    context.close()


def test_focus_moves_to_the_error_summary_after_a_failed_save(live_server, browser, make_survey):
    setup = make_survey(instruments=("alignment",))
    context = small_phone(browser)
    page = context.new_page()
    page.goto(f"{live_server}/s/{setup.token('sales')}")
    page.get_by_role("button", name="Start the survey").click()
    page.locator("label[for$='-4']").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary").is_visible()
    shot(page, "error-focus-phone")
    context.close()


def axe_violations(page) -> list[str]:
    """axe-core's findings on the page (its contexts bypass our CSP, which refuses injected scripts)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => v.id + ': '"
        " + v.nodes.length + ' '"
        " + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')))"
    )
    where = page.url.rsplit("/", 2)[-2:] if "/p/" in page.url else page.url.rsplit("/", 1)[-1:]
    if page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"]:
        found.append("scrolls sideways")
    return [f"{'/'.join(where)[-12:]} {violation}" for violation in found]


def test_axe_finds_no_violation_on_any_respondent_page(live_server, browser, make_survey, client):
    """Welcome, a failed save, each kind of page (both scales, the vignettes, the comments), a
    refused change after submission, the thank-you page and a link problem, in each language the
    instruments offer; none scrolls sideways on the phone."""
    setup = make_survey(instruments=("alignment", "mindset", "lead_calibration"), per_team=4)
    plan = setup.plan("sales")
    assert len(plan.languages) == 4  # English, German, French and Spanish
    violations = []
    for number, language in enumerate(plan.languages, 1):
        link = f"{live_server}/s/{setup.token('sales', number)}"
        context = small_phone(browser, locale=language, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{link}?lang={language}")
        violations += axe_violations(page)
        page.locator(f"input[name=language][value={language}]").check()
        page.locator("form[action$='/start'] button").click()
        page.locator("form.survey-page button.primary").click()  # nothing answered: the error summary
        page.locator("#error-summary").wait_for()
        violations += axe_violations(page)
        # Each kind of page once: where each instrument starts (a new scale, the vignettes)
        # and the last (its comment boxes); every other page is one of these with other words.
        kinds = {next(p.number for p in plan.pages if p.instrument.key == i.key) for i in plan.instruments}
        for shown in sorted((kinds | {plan.page_count - 1}) - {0}):
            page.goto(f"{link}/p/{shown + 1}")
            violations += axe_violations(page)
        shot(page, f"last-page-{language}")
        # The thank-you page, once the pages are saved (by a plain client, to stay quick).
        db.session.rollback()  # see the response the browser started
        for shown, survey_page in enumerate(plan.pages, 1):
            action = "submit" if shown == plan.page_count else "next"
            answers = answer_all(survey_page, "2") | {"action": action}
            assert (
                client.post(f"/s/{setup.token('sales', number)}/p/{shown}", data=answers).status_code == 200
            )
        # The page still open in the browser, once submitted elsewhere: going back is refused (409).
        with page.expect_navigation():
            page.locator("form.survey-page button[value=back]").click()
        assert page.locator("a[href$='/s/" + setup.token("sales", number) + "']").is_visible()
        violations += axe_violations(page)
        page.goto(f"{link}/thanks")
        assert page.get_by_role("heading", level=1).is_visible()
        violations += axe_violations(page)
        context.close()
    context = small_phone(browser, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/s/no-such-link")
    violations += axe_violations(page)
    context.close()
    assert violations == [], "\n".join(violations)
