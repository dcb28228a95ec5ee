"""The report in Chromium, on a 375 px phone and at the width of an A4 page: nothing sticks out sideways.

A wide table or chart scrolls inside its own frame; the page itself never scrolls sideways,
and every table caption, heading and sentence stays within the screen.
"""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Team, Wave
from survey.services.demo import DEMO_PASSWORD, load_demo

ARTIFACTS = os.environ.get("MINDGAP_TEST_ARTIFACTS", "")
#: 210 mm at 96 px per inch.
A4_WIDTH = 794

# Elements wider than the screen, outside the frames that are meant to scroll sideways.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.drawing, .table-wrap')) continue;
    const box = el.getBoundingClientRect();
    const outside = box.right > width + 1 || box.left < -1;
    if (box.width && outside) out.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40));
  }
  return out.slice(0, 10);
}"""


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
    shown = db.session.scalar(select(Team).where(Team.name == "Demand Generation"))
    return waves[2], waves[3], shown


def _signed_in(browser, live_server, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1,
                                  is_mobile=width < 500, has_touch=width < 500, locale="en-GB")  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("manager@demo.mindgap.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/**")
    return context, page


@pytest.mark.parametrize("width", [375, A4_WIDTH])
def test_reports_fit_the_screen_of_a_phone_and_an_a4_page(live_server, browser, demo, width):
    wave, open_wave, team = demo
    context, page = _signed_in(browser, live_server, width)
    try:
        paths = {
            "organisation": f"/orgs/{wave.organization_id}",
            "report": f"/reports/waves/{wave.id}",
            "team": f"/reports/waves/{wave.id}/teams/{team.id}",
            "not-released": f"/reports/waves/{open_wave.id}",
        }
        for name, path in paths.items():
            page.goto(f"{live_server}{path}", timeout=120_000)
            scroll = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert scroll <= 0, f"{name} at {width} px scrolls sideways by {scroll} px"
            assert page.evaluate(OVERFLOWING) == [], name
            if ARTIFACTS:
                os.makedirs(ARTIFACTS, exist_ok=True)
                page.screenshot(path=os.path.join(ARTIFACTS, f"report-{name}-{width}.png"), full_page=True)
        # The report opens with the decision, and its charts keep a legible size on a phone.
        page.goto(f"{live_server}{paths['report']}")
        assert page.locator("#summary .headline .big").is_visible()
        drawing = page.locator(".drawing svg").first.bounding_box()
        assert drawing["width"] >= min(width - 32, 540)
        # The trend says, per wave, which actions were evaluated and their verdicts, in words.
        actions = page.locator("#trend").get_by_text("The actions over the waves")
        assert actions.is_visible()
        assert page.locator("#trend").get_by_text("It worked").first.is_visible()
        if ARTIFACTS:
            page.locator("#trend").screenshot(path=os.path.join(ARTIFACTS, f"report-trend-{width}.png"))
        font = page.evaluate("getComputedStyle(document.querySelector('.report')).fontFamily")
        assert font.startswith('"DejaVu Sans"')
        # Team names lead to their reports, and the team report leads back.
        page.locator("#summary a.team").first.click()
        page.wait_for_url("**/teams/**")
        page.get_by_role("link", name="Back to the organisation report").click()
        page.wait_for_url(re.compile(rf"/reports/waves/{wave.id}(\?lang=en)?$"))  # the language kept
    finally:
        context.close()
