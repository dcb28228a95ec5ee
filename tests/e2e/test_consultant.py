"""A consultant sets up a client in Chromium, a respondent answers, the consultant closes the wave."""

from __future__ import annotations

import csv
import io
import os
import re

from sqlalchemy import select

from survey.extensions import db
from survey.models import Response, Wave
from survey.services.invitations import find_invitation

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


def test_consultant_sets_up_runs_and_closes_a_wave(app, live_server, browser, make_user, tmp_path):
    mail = tmp_path / "mail"
    app.config.update(MAIL_BACKEND="file", MAIL_FOLDER=str(mail))
    make_user("consultant@mindgap.test", role="consultant")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    page.goto(f"{live_server}/")
    page.get_by_label("E-mail").fill("consultant@mindgap.test")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="New organisation").first.click()
    page.get_by_label("Name", exact=True).fill("Client Co")
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
    # The newest version of each instrument comes ticked; the consultant keeps only the alignment one.
    alignment = "Sales–marketing alignment perceptions (alignment@{})"
    assert page.get_by_role("checkbox", name=alignment.format("1.1")).is_checked()
    assert not page.get_by_role("checkbox", name=alignment.format("1.0")).is_checked()
    mindset = page.get_by_role("checkbox", name=re.compile(r"^Mindset profile"))
    mindset.and_(page.locator(":checked")).uncheck()
    page.get_by_role("checkbox", name="English").check()
    page.get_by_label("Anonymity threshold").fill("3")
    page.get_by_role("button", name="Create wave").click()
    assert page.locator("h1").inner_text().startswith("Baseline")
    page.get_by_role("button", name="Invite everyone on the roster not yet invited").click()
    assert "4 new invitations." in page.content()
    checklist = page.locator(".checklist").inner_text()
    assert "4 people are on the roster; 4 are invited." in checklist
    assert "Team Sales has 2 people on the roster, fewer than the threshold of 3" in checklist
    shot(page, "launch")

    # The preview is the respondents' page, marked as a preview; the test e-mail goes to the consultant.
    page.locator("#launch").get_by_role("link", name="English").click()
    assert "Preview of the welcome page" in page.locator(".preview-notice").inner_text()
    page.get_by_role("button", name="Start the survey").click()
    assert "Preview of page 1 of" in page.locator(".preview-notice").inner_text()
    assert page.locator("form.survey-page input[type=radio]").count() > 0
    page.get_by_role("button", name="Save and continue").click()
    assert "page 2 of" in page.locator(".preview-notice").inner_text()
    shot(page, "preview")
    page.get_by_role("link", name="Back to the wave").click()
    page.get_by_role("button", name="Send a test e-mail to me").click()
    assert (
        "Sent a test invitation in English to consultant@mindgap.test" in page.locator(".flash").inner_text()
    )
    (message,) = mail.glob("*.eml")
    assert "[Test] Client Co: your invitation" in message.read_text(encoding="utf-8")
    page.get_by_role("button", name="Open the wave").click()

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

    # Re-issuing one person's link asks first, says what happens, then shows the new link once.
    page.get_by_role("link", name="links page").click()
    sam = next(row["link"] for row in links if row["participant"] == "sam@client.example")
    page.locator("li", has_text="sam@client.example").get_by_role("link", name="Re-issue link…").click()
    assert "stops working at once" in page.locator(".consequences").inner_text()
    assert find_invitation(sam.rsplit("/s/", 1)[1]) is not None  # nothing happened yet
    page.get_by_role("button", name="Re-issue this link").click()
    fresh = page.locator("#new-link").inner_text()
    db.session.rollback()
    assert find_invitation(sam.rsplit("/s/", 1)[1]) is None
    assert find_invitation(fresh.rsplit("/s/", 1)[1]).participant.email == "sam@client.example"
    page.get_by_role("link", name="Baseline").click()

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
    assert page.locator(".big-rate").inner_text().startswith("25%")
    marketing = page.locator(".board-row", has_text="Marketing").inner_text()
    assert "50%: 1 of 2 submitted" in marketing
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, "board")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Baseline").click()
    page.get_by_role("link", name="Close the wave now…").click()
    assert "Every invitation link stops working at once" in page.locator(".consequences").inner_text()
    page.get_by_role("button", name="Close and release the results").click()
    flashes = page.locator(".flash").all_inner_texts()
    assert any("The wave is closed" in text for text in flashes), flashes
    assert any("Results released" in text for text in flashes), flashes  # the release job, immediate in tests
    context.close()

    db.session.rollback()  # see the server's writes
    wave = db.session.scalar(select(Wave).where(Wave.name == "Baseline"))
    assert wave.status == "closed"
    assert db.session.scalar(select(Response.status).where(Response.wave_id == wave.id)) == "submitted"
