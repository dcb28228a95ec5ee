"""A consultant sets up a client in Chromium, a respondent answers, the consultant closes the wave."""

from __future__ import annotations

import csv
import io
import os

from sqlalchemy import select

from survey.extensions import db
from survey.models import Response, Wave

ARTIFACTS = os.environ.get("MINDGAP_TEST_ARTIFACTS", "")
ROSTER = (
    "email,name,team,language\n"
    "sam@client.example,Sam,Sales,en\n"
    "sue@client.example,Sue,Sales,en\n"
    "mia@client.example,Mia,Marketing,en\n"
    "max@client.example,Max,Marketing,en\n"
)


def shot(page, name: str) -> None:
    if ARTIFACTS:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, f"consultant-{name}.png"), full_page=True)


def answer_every_page(page) -> None:
    """Choose the middle point of every question until the survey is submitted."""
    for _ in range(50):
        names = page.eval_on_selector_all(
            "input[type=radio][name^='item-']", "inputs => [...new Set(inputs.map(i => i.name))]"
        )
        for name in names:
            options = page.locator(f"input[type=radio][name='{name}']:not([value='pnts'])")
            options.nth(options.count() // 2).check()
        finish = page.locator("button[value=submit]")
        if finish.count():
            finish.click()
            return
        page.locator("button[value=next]").click()
    raise AssertionError("the survey never offered to submit")


def test_consultant_sets_up_runs_and_closes_a_wave(live_server, browser, make_user, tmp_path):
    make_user("consultant@mindgap.test", role="consultant")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    page.goto(f"{live_server}/")
    page.get_by_label("E-mail").fill("consultant@mindgap.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="New organisation").first.click()
    page.get_by_label("Name").fill("Client Co")
    page.get_by_role("button", name="Create organisation").click()
    assert "Created Client Co" in page.locator(".flash").inner_text()
    for name, function in (("Sales", "sales"), ("Marketing", "marketing")):
        page.get_by_label("Team name").fill(name)
        page.get_by_label("Function").select_option(function)
        page.get_by_role("button", name="Add team").click()
    shot(page, "teams")

    page.get_by_role("link", name="Next: import the roster").click()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    page.get_by_label("Roster file").set_input_files(str(roster))
    page.get_by_role("button", name="Preview").click()
    assert "No problems: 4 to add, 0 to update" in page.content()
    shot(page, "roster-preview")
    page.get_by_role("button", name="Import 4 rows").click()
    assert "Roster imported: 4 added, 0 updated." in page.locator(".flash").inner_text()

    page.get_by_role("link", name="Client Co").click()
    page.get_by_role("link", name="New wave").click()
    page.get_by_label("Wave name").fill("Baseline")
    page.get_by_label("Instruments (in this order)").select_option(["alignment@1.0"])
    page.get_by_label("Anonymity threshold").fill("3")
    page.get_by_label("Open the wave right away").check()
    page.get_by_role("button", name="Create wave").click()
    assert page.locator("h1").inner_text().startswith("Baseline")
    page.get_by_role("button", name="Invite everyone on the roster not yet invited").click()
    assert "4 new invitations." in page.content()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the links (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-links.csv")
    with open(download.path(), encoding="utf-8") as file:
        links = list(csv.DictReader(io.StringIO(file.read())))
    assert sorted(row["participant"] for row in links) == [
        "max@client.example", "mia@client.example", "sam@client.example", "sue@client.example",
    ]  # fmt: skip
    shot(page, "wave")

    # A respondent from marketing opens their link on another device and answers everything.
    respondent = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    mia = next(row["link"] for row in links if row["participant"] == "mia@client.example")
    respondent.goto(mia)
    respondent.get_by_role("button", name="Start the survey").click()
    answer_every_page(respondent)
    respondent.get_by_role("heading", name="Thank you").wait_for()
    respondent.context.close()

    # The live board shows the submission; the consultant closes the wave.
    page.get_by_role("link", name="Live board").click()
    total = page.locator("tr[data-team=total]")
    assert total.locator("[data-field=submitted]").inner_text() == "1"
    assert total.locator("[data-field=response_rate]").inner_text() == "25 %"
    shot(page, "board")
    page.get_by_role("link", name="Baseline").click()
    page.get_by_role("button", name="Close the wave now").click()
    flashes = page.locator(".flash").all_inner_texts()
    assert any("The wave is closed" in text for text in flashes), flashes
    assert any("Results released" in text for text in flashes), flashes  # the release job, immediate in tests
    context.close()

    db.session.rollback()  # see the server's writes
    wave = db.session.scalar(select(Wave).where(Wave.name == "Baseline"))
    assert wave.status == "closed"
    assert db.session.scalar(select(Response.status).where(Response.wave_id == wave.id)) == "submitted"
