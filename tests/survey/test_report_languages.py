"""The report in the reader's language: every heading, label, date and number of the page and the
PDF in the language asked for (``?lang=``), a switch to the other languages, and outputs cached
per language so that one language's PDF is never served for another."""

from __future__ import annotations

import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.i18n import LANGUAGE_NAMES, LANGUAGES, translate
from survey.models import ReportCache, Team, Wave
from survey.services.demo import load_demo
from tests.catalogues import use_stand_in
from tests.survey.test_report_presentation import _headings, sign_in, visible_text

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
    return SimpleNamespace(wave=waves[2])


@pytest.fixture
def marked_german(monkeypatch):
    """German through :class:`Marked`: a text of the page without the marks did not pass the catalogue."""
    use_stand_in(monkeypatch, ["de"])


def pdf_text(data: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _report_body(html: str) -> str:
    return html[html.index('<article class="report"') : html.index("</article>")]


def test_the_german_report_has_german_headings_dates_and_names(client, demo):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert '<article class="report" lang="de">' in html
    headings = _headings(html)
    for english in ("The decision in one page", "Appendix: method and data quality"):
        assert translate("de", english) in headings
    assert "7. September 2026" in html  # the cover's dates as German writes them
    assert "September 7" not in html
    assert "Kommunikation und Rückmeldung" in html  # dimension names from the instrument's German texts
    assert f"/reports/waves/{demo.wave.id}/report.pdf?lang=de" in html  # the PDF keeps the language
    assert re.search(rf'href="/reports/waves/{demo.wave.id}/teams/\d+\?lang=de"', html)
    assert "0,958" in html or re.search(r"\d,\d\d\b", html)  # German decimal commas


def test_every_text_of_the_german_report_goes_through_the_catalogue(client, demo, marked_german):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}?lang=de").get_data(as_text=True)
    body = _report_body(html)
    headings = [h for h in _headings(body) if h]
    assert headings
    assert all(h.startswith("⟦") and h.endswith("⟧") for h in headings), headings
    cover = body[: body.index("</header>")]
    labels = re.findall(r"<dt>(.*?)</dt>", cover)
    assert labels
    assert all(label.startswith("⟦") for label in labels), labels
    columns = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body)
    assert columns
    teams = {f"<span>{name}</span>" for name in db.session.scalars(select(Team.name))}
    teams |= {name.replace("<span>", "").replace("</span>", "") for name in teams}
    assert all(c.startswith("⟦") or c in teams for c in columns), columns  # headings or team names
    page = visible_text(html[: html.index('<article class="report"')])
    for text in ("PDF (A4)", "Results (Excel)", "Add an action"):
        assert f"⟦{text}⟧" in page
    team = db.session.scalar(select(Team).where(Team.name == "Brand Marketing"))
    team_page = client.get(f"/reports/waves/{demo.wave.id}/teams/{team.id}?lang=de").get_data(as_text=True)
    team_headings = [h for h in _headings(_report_body(team_page)) if h]
    assert team_headings
    assert all(h.startswith("⟦") for h in team_headings), team_headings


def test_the_report_offers_each_language_and_marks_the_current_one(client, demo):
    sign_in(client)
    team = db.session.scalar(select(Team).where(Team.name == "Brand Marketing"))
    for url in (f"/reports/waves/{demo.wave.id}", f"/reports/waves/{demo.wave.id}/teams/{team.id}"):
        html = client.get(f"{url}?lang=fr").get_data(as_text=True)
        switch = html[html.index('class="report-actions report-languages"') :]
        switch = switch[: switch.index("</nav>")]
        assert f'<strong lang="fr" aria-current="true">{LANGUAGE_NAMES["fr"]}</strong>' in switch
        for code in LANGUAGES:
            if code != "fr":
                assert f'href="{url}?lang={code}"' in switch
                assert LANGUAGE_NAMES[code] in switch
        assert '<html lang="fr">' in html
    team_page = client.get(f"/reports/waves/{demo.wave.id}/teams/{team.id}?lang=es").get_data(as_text=True)
    assert f'href="/reports/waves/{demo.wave.id}?lang=es"' in team_page  # back in the same language


def test_without_a_choice_the_report_is_in_the_readers_language(client, demo):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}", headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert '<html lang="fr">' in html.get_data(as_text=True)
    assert "7 septembre 2026" in html.get_data(as_text=True)
    unknown = client.get(f"/reports/waves/{demo.wave.id}?lang=xx", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in unknown.get_data(as_text=True)


@needs_poppler
def test_the_german_pdf_is_german_and_the_french_one_is_not_the_cached_german_one(
    client, demo, tmp_path, marked_german
):
    sign_in(client)
    german = client.get(f"/reports/waves/{demo.wave.id}/report.pdf?lang=de")
    assert german.status_code == 200
    text = pdf_text(german.data, tmp_path, "de")
    assert "⟦Sales and marketing alignment report⟧" in text
    assert "7. September 2026" in text
    assert "⟦The decision in one page⟧" in text
    assert re.search(r"⟦Page 2 of \d+⟧", text)  # the footer
    assert "⟦Mindgap alignment report · confidential⟧" in text
    again = client.get(f"/reports/waves/{demo.wave.id}/report.pdf?lang=de")
    assert again.data == german.data  # from the cache
    french = client.get(f"/reports/waves/{demo.wave.id}/report.pdf?lang=fr")
    assert french.status_code == 200
    assert french.data != german.data
    text = pdf_text(french.data, tmp_path, "fr")
    assert "7 septembre 2026" in text
    assert "⟦" not in text
    assert "7. September 2026" not in text
    kept = set(db.session.execute(select(ReportCache.kind, ReportCache.language)).all())
    assert {("pdf", "de"), ("pdf", "fr"), ("html", "de"), ("html", "fr")} <= kept


def test_the_pdf_footer_is_written_as_css_strings():
    from survey.blueprints.reports.views import _css_string, _footer_css

    assert _css_string('say "hi" \\ there') == '"say \\"hi\\" \\\\ there"'
    css = _footer_css("en")
    assert 'content: "Page " counter(page) " of " counter(pages);' in css
    assert 'content: "Mindgap alignment report · confidential";' in css
