"""The report as a reader gets it: names drawn literally, no codes, the decision first, links that
lead somewhere, a PDF with a cover and no stranded heading, in A4 and Letter."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import select

import instruments
from analysis.recommendations import CAUSES
from survey.extensions import db
from survey.models import Organization, Team, Wave
from survey.services import reports as service
from survey.services.decision import top_gaps
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.releases import publish
from survey.services.report_view import Words
from survey.services.response_import import import_responses
from survey.services.sections import icc2_text
from survey.services.waves import create_wave

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
ODD_NAME = r"$\foo$ & <b>Sales</b> North"


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
    organization = db.session.scalar(select(Organization))
    return SimpleNamespace(wave=waves[2], open_wave=waves[3], organization=organization)


def sign_in(client, role: str = "manager"):
    response = client.post(
        "/auth/login", data={"email": f"{role}@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


class _Text(HTMLParser):
    """The text a reader sees: everything outside tags, SVG text included, scripts and styles left out."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def pdf_pages(data: bytes, tmp_path, name: str = "report") -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [
        subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                       capture_output=True, text=True, check=True).stdout
        for n in range(1, count + 1)
    ]  # fmt: skip


def test_a_team_named_like_mathtext_is_drawn_literally_in_the_page_and_the_pdf(client, demo, tmp_path):
    team = db.session.scalar(select(Team).where(Team.name == "Sales North"))
    team.name = ODD_NAME
    db.session.commit()
    assert publish(demo.wave).status == "published"  # a rename reaches only a new release
    db.session.commit()
    sign_in(client)
    page = client.get(f"/reports/waves/{demo.wave.id}")
    assert page.status_code == 200  # matplotlib used to read the name as mathtext and fail
    html = page.get_data(as_text=True)
    escaped = r"$\foo$ &amp; &lt;b&gt;Sales&lt;/b&gt; North"
    assert escaped in html
    assert "<b>Sales</b>" not in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert any(escaped in svg for svg in svgs)  # the charts draw it as it is written, too
    team_page = client.get(f"/reports/waves/{demo.wave.id}/teams/{team.id}")
    assert team_page.status_code == 200
    assert escaped in team_page.get_data(as_text=True)
    if shutil.which("pdftotext"):
        pdf = client.get(f"/reports/waves/{demo.wave.id}/report.pdf")
        assert pdf.status_code == 200
        assert any(ODD_NAME in text for text in pdf_pages(pdf.data, tmp_path))


def test_no_item_or_dimension_code_appears_in_the_rendered_report(client, demo):
    sign_in(client, "consultant")
    used = [instruments.load("alignment"), instruments.load("mindset")]
    codes = {item.id for instrument in used for item in instrument.items}
    codes |= {d.id for instrument in used for d in instrument.dimensions if "_" in d.id}
    codes |= {"meta_accuracy", "__organization__", "nan", "None"}
    pages = {"organisation report": client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)}
    for team in db.session.scalars(select(Team)):
        pages[team.name] = client.get(f"/reports/waves/{demo.wave.id}/teams/{team.id}").get_data(as_text=True)
    for name, html in pages.items():
        words = set(re.findall(r"[\w]+", visible_text(html)))
        assert not codes & words, (name, sorted(codes & words))
    text = visible_text(pages["organisation report"])
    for dimension in used[0].dimensions:  # dimensions are named as readers know them
        assert dimension.label("en") in text


def test_the_first_page_names_the_gaps_their_statements_and_who_owns_them(client, demo):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)
    first = html[html.index('id="summary"') : html.index('id="alignment"')]
    report = service.organization_report(service.wave_release(demo.wave))
    head = report.alignment.headline
    assert f'<span class="big">{head.alignment:.0f}</span>' in first
    assert f"95 % interval {head.ci_low:.0f}–{head.ci_high:.0f}" in first
    assert "since Follow-up (May)" in first  # the change since the last wave, and whether it is chance
    assert re.search(r"(beyond chance|chance alone could produce) \(95 % interval", first)
    gaps = re.findall(r'<li class="gap">(.*?)</li>\s*(?=<li class="gap">|</ol>)', first, re.S)
    assert 1 <= len(gaps) <= 3
    alignment = instruments.load("alignment")
    texts = {item.label("en") for item in alignment.items}
    for gap in gaps:
        statements = re.findall(r'<span class="statement">“(.*?)”</span>', gap)
        assert 2 <= len(statements) <= 3
        assert set(statements) <= {t.replace("'", "&#39;") for t in texts} | texts
        assert "What it points to:" in gap
        assert "What to do:" in gap
        assert "Who should own it:" in gap
        owners = gap[gap.index("Who should own it:") :]
        team_link = r'<a class="team" translate="no" href="/reports/waves/\d+/teams/\d+\?lang=en">'
        assert len(re.findall(team_link, owners)) == 2


def test_team_names_link_to_team_reports_of_shown_teams_only_and_back(client, demo):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)
    report = service.organization_report(service.wave_release(demo.wave))
    linked = {int(team) for team in re.findall(rf"/reports/waves/{demo.wave.id}/teams/(\d+)", html)}
    shown = {team for team in report.suppression.shown if isinstance(team, int)}
    assert linked == shown
    assert not linked & set(report.suppression.suppressed)
    for team in linked:
        page = client.get(f"/reports/waves/{demo.wave.id}/teams/{team}").get_data(as_text=True)
        assert f'href="/reports/waves/{demo.wave.id}?lang=en"' in page  # back to the organisation report
        assert "Other team reports" in page


def test_icc2_is_not_estimable_where_icc1_is_not_above_zero(client, demo):
    report = service.organization_report(service.wave_release(demo.wave))
    words = Words(report, "en", set())
    assert icc2_text(words, -0.02, -18.51) == "not estimable"
    assert icc2_text(words, 0.0, 0.0) == "not estimable"
    assert icc2_text(words, 0.1, float("nan")) == "not estimable"
    assert icc2_text(words, None, None) == "not estimable"
    assert icc2_text(words, 0.12, 0.61) == "0.61"
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)
    appendix = html[html.index('id="appendix"') :]
    icc = report.agreement.icc
    not_estimable = ((icc["icc1"] <= 0) | icc["icc2"].isna()).sum()
    assert appendix.count(">not estimable<") == not_estimable
    assert "ICC(2) is not estimable where ICC(1) is zero or below" in appendix
    assert not re.search(r'<td class="n">\u2212\d+\.\d\d</td><td class="n">\d+</td></tr>', appendix)


def _tiny_closed_wave(organization, responses):
    now = datetime.now(UTC)
    wave = create_wave(organization, "Tiny pulse", ["alignment", "mindset"], opens_at=now - timedelta(days=2),
                       closes_at=now - timedelta(days=1))  # fmt: skip
    wave.status = "closed"
    db.session.flush()
    import_responses(wave, responses)
    db.session.flush()
    return wave


def test_the_latest_report_link_never_opens_an_empty_report(client, demo):
    # A newer wave that only three people answered: its release shows nothing at all.
    data = service.report_inputs(demo.wave).data
    three = data.responses.head(3).reset_index(drop=True)
    tiny = _tiny_closed_wave(demo.organization, three)
    release = publish(tiny)
    db.session.commit()
    assert release.status == "published"
    sign_in(client)
    page = client.get(f"/orgs/{demo.organization.id}").get_data(as_text=True)
    latest = re.search(r'href="(/reports/waves/(\d+))">Open the latest report', page)
    assert int(latest.group(2)) == demo.wave.id  # not the tiny wave, and not the open one
    report = client.get(latest.group(1)).get_data(as_text=True)
    assert '<span class="big">' in report
    assert "None" not in visible_text(report)
    # The tiny wave's own report says plainly that there is nothing to show.
    empty = client.get(f"/reports/waves/{tiny.id}").get_data(as_text=True)
    assert "Too few people answered this wave for any result to be shown" in empty
    assert "None" not in visible_text(empty)


def test_an_open_wave_shows_its_progress_and_when_results_come(client, demo):
    sign_in(client)
    page = client.get(f"/orgs/{demo.organization.id}").get_data(as_text=True)
    assert "Results of this wave are released when it closes" in page
    response = client.get(f"/reports/waves/{demo.open_wave.id}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "no results yet" in html
    assert "Results of this wave are released when it closes" in html
    assert "Who has answered so far" in html
    assert "progress-table" in html
    assert f'href="/orgs/{demo.organization.id}"' in html  # back to the organisation
    assert f'href="/reports/waves/{demo.wave.id}"' in html  # and to the latest released report
    assert client.get(f"/reports/waves/{demo.open_wave.id}/report.pdf").status_code == 404


def _headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", html, re.S)]


@needs_poppler
@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_the_pdf_has_a_cover_and_no_heading_ends_a_page(client, demo, tmp_path, paper, size):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)
    response = client.get(f"/reports/waves/{demo.wave.id}/report.pdf?paper={paper}")
    assert response.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == size
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]} <= {
        "DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Italic", "DejaVu-Sans-BoldItalic"}  # fmt: skip
    pages = pdf_pages(response.data, tmp_path)
    assert 8 <= len(pages) <= 30
    cover = pages[0]
    report = service.organization_report(service.wave_release(demo.wave))
    rate = f"({report.overview.response_rate * 100:.0f} %)"
    for expected in ("Northwind Demo", "Sales and marketing alignment report", "Follow-up (September)",
                     "7 September 2026 to 25 September 2026", rate):  # fmt: skip
        assert expected.lower() in cover.lower()
    assert "Page" not in cover
    assert "The decision in one page" in pages[1]
    headings = {h for h in _headings(html) if h}
    footer = re.compile(r"Mindgap alignment report · confidential|Page \d+ of \d+")
    for number, text in enumerate(pages, start=1):
        lines = [footer.sub("", line).strip() for line in text.splitlines()]
        lines = [line for line in lines if line]
        assert lines, f"page {number} is empty"
        assert f"Page {number} of {len(pages)}" in text or number == 1
        assert lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]!r}"
    assert "Appendix: method and data quality" in "".join(pages[len(pages) // 2 :])


def test_the_pdf_asks_for_a_known_paper_size(client, demo):
    sign_in(client)
    assert client.get(f"/reports/waves/{demo.wave.id}/report.pdf?paper=a3").status_code == 404


def test_the_report_font_is_served(client):
    with client.get("/reports/fonts/DejaVuSans.ttf") as font:
        assert font.status_code == 200
        assert font.mimetype == "font/ttf"
        assert font.data[:4] in (b"\x00\x01\x00\x00", b"true")
    assert client.get("/reports/fonts/..%2Fsecret").status_code == 404


def test_statements_show_the_answers_as_given_not_keyed(demo):
    """A reverse-keyed statement shows the average answer people gave, not its keyed score."""
    release = service.wave_release(demo.wave)
    report = service.organization_report(release)
    used = service.release_instruments(release)
    words = Words(report, "en", set())
    by_text = {
        f"“{item.label('en')}”": (item, instrument) for instrument in used for item in instrument.items
    }
    gaps = report.gaps
    rows = gaps[gaps["significant"].astype(bool) & gaps["dimension"].isin(list(CAUSES))]
    rows = rows.iloc[np.argsort(-rows["g"].abs().to_numpy(), kind="stable")].drop_duplicates("dimension")
    checked = 0
    for gap, row in zip(top_gaps(words, used), rows.itertuples(index=False), strict=False):
        for statement in gap.statements:
            item, instrument = by_text[statement.text]
            scale = instrument.scale_of(item)
            keyed = report.heatmap.means.at[row.team_a, item.id]
            answer = scale.min + scale.max - keyed if item.reverse else keyed
            assert statement.means.split(" · ")[0].endswith(f" {answer:.1f}")
            checked += item.reverse
    assert checked  # at least one reverse-keyed statement was among them
