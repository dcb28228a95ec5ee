"""The report's "By <attribute>" section and the page choosing the attributes fit a 375 px phone."""

from __future__ import annotations

from survey.extensions import db
from survey.services import cuts
from survey.services.organizations import create_organization, create_team
from survey.services.users import create_user
from survey.services.waves import close_wave, create_wave, open_wave
from tests.factories import PASSWORD
from tests.survey.cutting import answer

LONG = "Île-de-France et Hauts-de-France (siège)"


def overflow(page) -> dict:
    """The page's width against the screen's, and the first elements reaching past it."""
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
        " wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)})"
    )


def test_a_report_cut_by_region_and_within_functions_fits_a_phone(app, live_server, phone):
    organization = create_organization("Acme", "acme")
    sales = create_team(organization, "Sales", "sales")
    marketing = create_team(organization, "Marketing", "marketing")
    create_user("consultant@acme.test", PASSWORD, "consultant", organization)
    wave = open_wave(create_wave(organization, "Wave 1", ["alignment"]))
    sellers = [{"region": r} for r in ["North"] * 6 + [LONG] * 6 + ["South"] * 5]
    marketers = [{"region": r} for r in ["North"] * 6 + [LONG] * 6 + ["South"] * 2]
    answer(wave, sales, sellers, seed=1)
    answer(wave, marketing, marketers, seed=2)
    cuts.choose(wave, ["region"], True)
    close_wave(wave)
    db.session.commit()
    page = phone().new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill("consultant@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in (f"/reports/waves/{wave.id}", f"/waves/{wave.id}/cuts"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        measured = overflow(page)
        assert measured["scroll"] <= measured["client"], (path, measured)
    page.goto(f"{live_server}/reports/waves/{wave.id}")
    section = page.locator("#cut-1")
    assert "By region" in section.inner_text()
    assert LONG in section.inner_text()
