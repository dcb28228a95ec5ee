"""Alignment reports: the same numbers in HTML, PDF, CSV, XLSX and JSON, and no small group anywhere."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
from survey.extensions import db
from survey.models import Team, Wave
from survey.services import exports
from survey.services import reports as service
from survey.services.accounts import create_api_token
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.releases import publish
from survey.services.response_import import import_responses
from survey.services.sections import TABLE_ROWS
from survey.services.spreadsheets import neutralise
from survey.services.wording import PRACTICES


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
    wave = waves[2]  # the latest closed wave, with two earlier ones for the trend
    report = service.organization_report(service.wave_release(wave))
    teams = {team.id: team.name for team in db.session.scalars(select(Team))}
    hidden = [teams[team] for team in report.suppression.suppressed]
    return SimpleNamespace(wave=wave, report=report, hidden=hidden, teams=teams)


def sign_in(client, role: str = "consultant"):
    response = client.post(
        "/auth/login", data={"email": f"{role}@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_report_has_suppressed_teams(demo):
    reasons = set(demo.report.suppression.suppressed.values())
    assert reasons == {"below threshold", "complementary"}  # the subtraction case is exercised
    assert set(demo.hidden) == {"Sales Enablement", "Sales South"}


def _minus(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace("-", "\u2212")


def test_html_report_shows_the_analysis_numbers_and_every_chart(client, demo):
    sign_in(client)
    html = client.get(f"/reports/waves/{demo.wave.id}").get_data(as_text=True)
    report = demo.report
    assert f'<span class="big">{report.alignment.headline.alignment:.0f}</span>' in html
    for row in exports.records(report.overview.reliability):
        assert f'<td class="n">{row["alpha"]:.2f}</td>' in html
    gaps = report.gaps[report.gaps["significant"].astype(bool)]
    for g in gaps.reindex(gaps["g"].abs().sort_values(ascending=False).index)["g"].head(TABLE_ROWS):
        assert f'<td class="n">{_minus(g)}</td>' in html
    for row in exports.records(report.agreement.icc):
        assert f'<td class="n">{_minus(row["icc1"])}</td>' in html
    names = report.dimensions["name"]
    for recommendation in report.recommendations:  # worded by the presenter
        if recommendation.basis == "level":  # what everyone rates low, and what to do about it
            assert PRACTICES[recommendation.cause][0] in html
        assert names[recommendation.dimension] in html
    # Quadrant, gaps, meta-perception, profiles, agreement, and one small chart per trend panel:
    # the alignment index, the lead-definition index (two of the demo's waves ask it), each dimension
    # but the lead calibration's own (its trend is the lead-definition index).
    assert len(report.trend.definition) == 2
    calibration = report.dimensions["kind"] == "calibration"
    assert calibration.any()
    panels = 2 + int((~calibration).sum())
    assert html.count("<svg") == 5 + panels
    assert html.count('<div class="panel">') == panels
    assert 'class="heatmap"' in html  # statement by statement, as a table for a few teams
    for heading in ("Alignment quadrant", "Agreement within teams", "What changed over the waves",
                    "Mindset profiles", "Appendix: method and data quality"):  # fmt: skip
        assert heading in html
    assert html.index('id="summary"') < html.index('id="alignment"') < html.index('id="appendix"')
    assert "no consensus" in html or (report.means["consensus"].astype(bool).all())
    assert f"{report.quality.n_careless} of {report.quality.n_submitted} responses looked careless" in html


def _without_team_list(html: str) -> str:
    """The report after its cover, without the appendix's list of teams (which names them all)."""
    start, end = html.index('id="responses"'), html.index('id="reliability"')
    return html[html.index('id="summary"') : start] + html[end:]


def test_no_format_shows_a_suppressed_team(client, demo):
    sign_in(client)
    wave = demo.wave.id
    html = client.get(f"/reports/waves/{wave}").get_data(as_text=True)
    rest = _without_team_list(html)
    for name in demo.hidden:
        assert name in html  # listed among the teams, with its note …
        assert name not in rest  # … and nowhere else

    teams_table = demo.report.overview.teams
    hidden_rows = teams_table[teams_table["name"].isin(demo.hidden)]
    assert hidden_rows["submitted"].isna().all()
    assert hidden_rows["reason"].isin(["below threshold", "complementary"]).all()

    csv_text = client.get(f"/reports/waves/{wave}/results.csv").data.decode("utf-8-sig")
    sections = csv_text.split("# table: ")
    for section in sections[1:]:
        name, _, body = section.partition("\n")
        if name == "teams":
            table = pd.read_csv(io.StringIO(body))
            hidden_rows = table[table["name"].isin(demo.hidden)]
            assert hidden_rows["submitted"].isna().all()
            # The reason as a code and in words, as the page says it.
            words = {"below threshold": "fewer than 5 responses",
                     "complementary": "not shown, so that a smaller team cannot be worked out"}  # fmt: skip
            assert [words[r] for r in hidden_rows["reason"]] == list(hidden_rows["note"])
        elif name == "reliability":
            table = pd.read_csv(io.StringIO(body), keep_default_na=False)
            for row in table.itertuples():
                pairs = (("alpha", row.alpha), ("omega", row.omega))
                low = [s for s, v in pairs if v != "" and float(v) < 0.7]
                expected = f"{' and '.join(low)} below 0.70: read this dimension with care" if low else ""
                assert row.warning == expected
        else:
            for hidden in demo.hidden:
                assert hidden not in body, (name, hidden)

    workbook = pd.read_excel(
        io.BytesIO(client.get(f"/reports/waves/{wave}/results.xlsx").data), sheet_name=None
    )
    for sheet, table in workbook.items():
        text = table.to_csv()
        if sheet != "teams":
            assert not any(hidden in text for hidden in demo.hidden), sheet

    raw = client.get(f"/reports/waves/{wave}/responses.csv").data.decode("utf-8-sig")
    assert not any(hidden in raw for hidden in demo.hidden)
    assert "not shown (small group)" in raw

    token = create_api_token("consultant@demo.mindgap.test").token
    db.session.commit()
    api = client.get(f"/api/v1/waves/{wave}/report", headers={"Authorization": f"Bearer {token}"}).get_json()
    api["overview"].pop("teams")
    assert not any(hidden in json.dumps(api) for hidden in demo.hidden)


def test_exports_and_api_carry_the_same_numbers(client, demo):
    sign_in(client)
    wave = demo.wave.id
    report = demo.report
    workbook = pd.read_excel(
        io.BytesIO(client.get(f"/reports/waves/{wave}/results.xlsx").data), sheet_name=None
    )
    pd.testing.assert_series_equal(
        workbook["gaps"]["g"].reset_index(drop=True),
        report.gaps["g"].reset_index(drop=True),
        check_names=False,
    )
    csv_text = client.get(f"/reports/waves/{wave}/results.csv").data.decode("utf-8-sig")
    gaps_body = csv_text.split("# table: gaps\n")[1].split("\n\n")[0]
    gaps = pd.read_csv(io.StringIO(gaps_body))
    assert (gaps["g"] - report.gaps["g"].to_numpy()).abs().max() < 1e-12

    token = create_api_token("manager@demo.mindgap.test").token
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get(f"/api/v1/waves/{wave}/report", headers=headers).get_json()
    assert api["alignment"]["headline"]["alignment"] == pytest.approx(
        report.alignment.headline.alignment, abs=1e-12
    )
    assert [row["g"] for row in api["gaps"]] == pytest.approx(report.gaps["g"].tolist(), abs=1e-12)
    assert api["threshold"] == 5

    trend = client.get(f"/api/v1/organizations/{demo.wave.organization_id}/trend", headers=headers).get_json()
    latest = service.organization_report(service.wave_release(db.session.get(Wave, trend["latest_wave_id"])))
    assert [row["mean"] for row in trend["dimensions"]] == pytest.approx(
        latest.trend.dimensions["mean"].tolist()
    )
    assert len(trend["waves"]) == len(set(row["wave"] for row in trend["alignment"]))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_pdf_renders_every_page_with_the_same_numbers(client, demo, tmp_path):
    sign_in(client)
    response = client.get(f"/reports/waves/{demo.wave.id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{demo.report.alignment.headline.alignment:.0f}" in text
    for row in exports.records(demo.report.overview.reliability):
        assert f"{row['alpha']:.2f}" in text
    assert "Page 2 of" in text  # the cover has no page number
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))  # fmt: skip
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == pages > 1
    rest = text[text.index("Alignment between teams") : text.index("Who answered")]
    rest += text[text.index("Reliability of the scales") :]
    assert not any(hidden in rest for hidden in demo.hidden)


def test_results_are_cached_per_release_and_live_data_never_reaches_them(client, demo, monkeypatch):
    sign_in(client)
    calls = []
    real = service.organization_report
    monkeypatch.setattr(service, "organization_report", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = f"/reports/waves/{demo.wave.id}"
    first = client.get(url).data
    assert calls == [1]
    assert client.get(url).data == first
    assert calls == [1]  # served from the cache

    # A response added to the closed wave changes nothing that was released …
    data = service.report_inputs(demo.wave).data
    extra = data.responses[data.responses["team"] == data.responses["team"].iloc[0]].head(1)
    import_responses(demo.wave, extra.reset_index(drop=True))
    db.session.commit()
    assert client.get(url).data == first
    # … and releasing again is withheld: the one new answer would be the difference.
    withheld = publish(demo.wave)
    db.session.commit()
    assert withheld.status == "withheld"
    assert "fewer than 5 people" in withheld.reason
    assert client.get(url).data == first
    assert calls == [1]


def test_pdf_prints_the_page_s_cached_report_without_computing_it_again(client, demo, monkeypatch):
    sign_in(client)
    calls = []
    real = service.organization_report
    monkeypatch.setattr(service, "organization_report", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert client.get(f"/reports/waves/{demo.wave.id}").status_code == 200
    assert calls == [1]
    pdf = client.get(f"/reports/waves/{demo.wave.id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    assert calls == [1]  # the PDF reused the page's report


def test_access_to_reports(client, app, demo, make_organization, make_user):
    url = f"/reports/waves/{demo.wave.id}"
    assert client.get(url).status_code == 302  # sign in first
    sign_in(client, "manager")
    assert client.get(url).status_code == 200
    assert client.get(f"{url}/results.csv").status_code == 200
    assert client.get(f"{url}/responses.csv").status_code == 403  # raw data is for consultants
    client.post("/auth/logout")
    outsider = make_organization("Other Co", "other-co")
    make_user("stranger@example.org", role="consultant", organization=outsider)
    client.post("/auth/login", data={"email": "stranger@example.org", "password": "correct horse battery"})
    for path in ("", "/report.pdf", "/results.xlsx", "/responses.csv", f"/teams/{next(iter(demo.teams))}"):
        assert client.get(url + path).status_code == 404


def test_api_tokens_see_only_their_own_organisations(client, demo, make_organization, make_user):
    outsider = make_organization("Other Co", "other-co")
    make_user("stranger@example.org", role="consultant", organization=outsider)
    token = create_api_token("stranger@example.org").token
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/waves/{demo.wave.id}/report", headers=headers).status_code == 404
    trend = client.get(f"/api/v1/organizations/{demo.wave.organization_id}/trend", headers=headers)
    assert trend.status_code == 404
    own = client.get(f"/api/v1/organizations/{outsider.id}/trend", headers=headers)
    assert own.status_code == 200
    assert own.get_json()["waves"] == []


def test_api_needs_a_token_and_describes_itself(client, demo):
    assert client.get(f"/api/v1/waves/{demo.wave.id}/report").status_code == 401
    bad = client.get(f"/api/v1/waves/{demo.wave.id}/report", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.get_json()["status"] == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/waves/{wave_id}/report",
        "/organizations/{organization_id}/trend",
        "/organizations/{organization_id}/actions",
    }


def test_team_report(client, demo):
    sign_in(client)
    shown = next(team for team in demo.report.suppression.shown if team in demo.teams and
                 demo.teams[team] not in ("Sales", "Marketing"))  # fmt: skip
    html = client.get(f"/reports/waves/{demo.wave.id}/teams/{shown}").get_data(as_text=True)
    assert demo.teams[shown] in html
    assert "Gaps to each other team" in html
    for hidden_id in demo.report.suppression.suppressed:
        hidden = client.get(f"/reports/waves/{demo.wave.id}/teams/{hidden_id}").get_data(as_text=True)
        reason = demo.report.suppression.suppressed[hidden_id]
        expected = (
            "fewer than 5 responses" if reason == "below threshold" else "so that a smaller team cannot"
        )
        assert expected in hidden
        assert "Gaps to each other team" not in hidden


def test_spreadsheet_cells_cannot_become_formulas(client, demo):
    team = db.session.scalar(select(Team).where(Team.name == "Sales North"))
    team.name = '=HYPERLINK("http://x")'
    db.session.commit()
    assert publish(demo.wave).status == "published"  # a rename reaches only a new release
    db.session.commit()
    sign_in(client)
    csv_text = client.get(f"/reports/waves/{demo.wave.id}/results.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    assert "\n=HYPERLINK" not in csv_text
    assert ",=HYPERLINK" not in csv_text
    raw = client.get(f"/reports/waves/{demo.wave.id}/responses.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in raw
    assert ",=HYPERLINK" not in raw
    for value, expected in [
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
        (3, 3),
    ]:
        assert neutralise(value) == expected
    assert isinstance(analysis.OrganizationReport, type)
