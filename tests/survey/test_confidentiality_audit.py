"""Confidentiality audit: every report view, export and API answer of the demo organisation.

Proves for each wave that no group below the threshold can be read in any format, and that
none can be worked out by subtracting visible aggregates (a parent's count minus its shown
sub-teams' counts), using the database's true counts as the adversary's missing piece.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Team, Wave
from survey.services import reports as service
from survey.services.accounts import create_api_token
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.wave_data import load_wave_data


def outputs(client, wave: Wave, teams, headers, tmp_path) -> dict[str, str]:
    """Every readable output of a wave's report, as text, with the team list (which names every
    team, small ones with a note instead of numbers) cut away."""
    base = f"/reports/waves/{wave.id}"
    html = client.get(base).get_data(as_text=True)
    # The appendix's response rates list every team (small ones with a note, not numbers).
    found = {"html": html[html.index('id="summary"') : html.index('id="responses"')]
             + html[html.index('id="reliability"') :]}  # fmt: skip
    for team in teams:
        page = client.get(f"{base}/teams/{team.id}").get_data(as_text=True)
        if 'class="notice"' in page:  # a hidden team's own page: its name and why, nothing else
            assert "<table" not in page
            assert "<svg" not in page
            continue
        found[f"team page {team.name}"] = page
    sections = client.get(f"{base}/results.csv").data.decode("utf-8-sig").split("# table: ")
    found["results.csv"] = "\n".join(s for s in sections if not s.startswith("teams\n"))
    workbook = pd.read_excel(io.BytesIO(client.get(f"{base}/results.xlsx").data), sheet_name=None)
    found["results.xlsx"] = "\n".join(t.to_csv() for name, t in workbook.items() if name != "teams")
    found["responses.csv"] = client.get(f"{base}/responses.csv").data.decode("utf-8-sig")
    api = client.get(f"/api/v1/waves/{wave.id}/report", headers=headers).get_json()
    api["overview"].pop("teams")
    found["api report"] = json.dumps(api)
    trend = client.get(f"/api/v1/organizations/{wave.organization_id}/trend", headers=headers).get_json()
    found["api trend"] = json.dumps(trend)
    manager = client.application.test_client()
    signed_in = manager.post(
        "/auth/login", data={"email": "manager@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    found["manager home"] = manager.get(f"/orgs/{wave.organization_id}").get_data(as_text=True)
    if shutil.which("pdftotext"):
        pdf = tmp_path / f"wave-{wave.id}.pdf"
        pdf.write_bytes(client.get(f"{base}/report.pdf").data)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        found["pdf"] = text[text.index("The decision in one page") : text.index("Who answered")]
        found["pdf"] += text[text.index("Reliability of the scales") :]
    return found


@pytest.mark.once
def test_no_small_group_can_be_read_or_derived(client, app, tmp_path):
    load_demo()
    db.session.commit()
    token = create_api_token("consultant@demo.mindgap.test").token
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/auth/login", data={"email": "consultant@demo.mindgap.test", "password": DEMO_PASSWORD})
    teams = db.session.scalars(select(Team)).all()
    parent_of = {team.id: team.parent_id for team in teams}
    audited = 0
    for wave in db.session.scalars(select(Wave).where(Wave.status == "closed")):
        data = load_wave_data(wave)
        own = Counter(data.responses["team"])  # true direct members per team
        small = {team for team, n in own.items() if 0 < n < wave.anonymity_threshold}
        assert small, "the demo must contain a group below the threshold"
        report = service.organization_report(service.wave_release(wave))
        hidden = set(report.suppression.suppressed)
        assert small <= hidden

        # 1. Nothing about a hidden group can be read anywhere.
        names = {team.id: team.name for team in teams}
        for output, text in outputs(client, wave, teams, headers, tmp_path).items():
            for team in hidden:
                assert names[team] not in text, f"{names[team]} readable in {output} of {wave.name}"

        # 2. Nothing can be derived by subtraction: below every shown group, the hidden part
        #    (its own direct members plus hidden sub-teams) is empty or has several contributors.
        api = client.get(f"/api/v1/waves/{wave.id}/report", headers=headers).get_json()
        shown_counts = {row["team"]: row["submitted"] for row in api["overview"]["teams"]}
        for team_id, count in shown_counts.items():
            if count is None:
                assert team_id in hidden
                continue
            children = [child for child, parent in parent_of.items() if parent == team_id]
            hidden_parts = [c for c in children if c in hidden and _subtree(c, parent_of, own)]
            direct = own.get(team_id, 0)
            if direct and direct < wave.anonymity_threshold:
                hidden_parts.append(("direct members of", team_id))
            assert len(hidden_parts) != 1, (
                f"{wave.name}: {names[team_id]} minus its shown sub-teams reveals {hidden_parts[0]}"
            )
        audited += 1
    assert audited == 3


def _subtree(team, parent_of, own) -> int:
    """True number of responses in ``team`` and all teams below it."""
    return own.get(team, 0) + sum(_subtree(c, parent_of, own) for c, p in parent_of.items() if p == team)
