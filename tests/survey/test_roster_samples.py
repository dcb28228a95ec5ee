"""The roster templates shipped with the app: downloadable on the import page, and importable as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

import survey
from survey.models import user as user_model
from survey.services.organizations import create_team
from survey.services.roster import REQUIRED_COLUMNS, preview_roster, read_roster_file
from tests.factories import PASSWORD

SAMPLES = Path(survey.__file__).parent / "static" / "samples"
NAMES = ("roster-template.csv", "roster-template.xlsx")


def test_the_csv_and_xlsx_templates_hold_the_same_rows():
    csv_rows, xlsx_rows = (read_roster_file(name, (SAMPLES / name).read_bytes()) for name in NAMES)
    assert [dict(r.cells) for r in csv_rows] == [dict(r.cells) for r in xlsx_rows]
    assert len(csv_rows) >= 4
    assert set(REQUIRED_COLUMNS) <= set(csv_rows[0].cells)
    assert {"name", "language"} <= set(csv_rows[0].cells)


@pytest.mark.db
def test_the_templates_import_cleanly_into_an_organisation_with_their_teams(make_organization):
    organization = make_organization()
    create_team(organization, "Sales", "sales")
    create_team(organization, "Marketing", "marketing")
    for name in NAMES:
        preview = preview_roster(organization, read_roster_file(name, (SAMPLES / name).read_bytes()))
        assert preview.error_count == 0, [row.errors for row in preview.rows]
        assert {row.action for row in preview.rows} == {"add"}


@pytest.mark.db
def test_the_import_page_offers_both_templates(client, make_workspace, monkeypatch):
    monkeypatch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    workspace = make_workspace()
    client.post("/auth/login", data={"email": workspace.users["consultant"], "password": PASSWORD})
    page = client.get(f"/orgs/{workspace['own']['org_id']}/roster/import").get_data(as_text=True)
    for name in NAMES:
        assert f"/static/samples/{name}" in page
        download = client.get(f"/static/samples/{name}")
        assert download.status_code == 200
        assert download.data == (SAMPLES / name).read_bytes()
        download.close()
