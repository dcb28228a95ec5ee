"""Roster import: reading CSV and XLSX, a preview with every kind of row error, then writing."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Participant
from survey.services import ServiceError
from survey.services.roster import import_roster, preview_roster, read_roster_file

GOOD_CSV = (
    "Email,Name,Team,language,tenure\nann@example.org,Ann,Sales,de,2-5y\nBOB@example.org,,marketing,,\n"
)
BAD_CSV = (
    "email,name,team\n"
    "ann@example.org,Ann,Sales\n"  # row 2: fine
    "not-an-address,X,Sales\n"  # row 3: bad e-mail
    "carl@example.org,Carl,Legal\n"  # row 4: unknown team
    "ann@example.org,Ann again,Marketing\n"  # row 5: duplicate of row 2
    ",Nobody,Sales\n"  # row 6: no e-mail
    "dora@example.org,Dora,\n"  # row 7: no team
)


@pytest.fixture
def organization(make_organization, make_team):
    organization = make_organization("Acme", "acme")
    make_team(organization, "Sales", "sales")
    make_team(organization, "Marketing", "marketing")
    return organization


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def participants() -> dict[str, Participant]:
    return {p.email: p for p in db.session.scalars(select(Participant))}


def test_csv_preview_then_import(organization):
    preview = preview_roster(organization, read_roster_file("staff.csv", GOOD_CSV.encode()))
    assert preview.ok
    assert [(r.email, r.team, r.action) for r in preview.rows] == [
        ("ann@example.org", "Sales", "add"),
        ("bob@example.org", "Marketing", "add"),  # team names match regardless of case
    ]
    assert participants() == {}  # the preview writes nothing
    result = import_roster(organization, preview)
    assert (result.added, result.updated) == (2, 0)
    ann = participants()["ann@example.org"]
    assert (ann.display_name, ann.team.name, ann.attributes) == (
        "Ann",
        "Sales",
        {"language": "de", "tenure": "2-5y"},
    )


def test_every_row_error_is_reported_and_nothing_is_written(organization):
    preview = preview_roster(organization, read_roster_file("staff.csv", BAD_CSV.encode()))
    errors = {row.number: row.errors for row in preview.rows}
    assert errors == {
        2: (),
        3: ("'not-an-address' is not a valid e-mail address (an email address must have an @-sign)",),
        4: ("unknown team 'Legal'",),
        5: ("duplicate: ann@example.org is also on row 2",),
        6: ("no e-mail address",),
        7: ("no team",),
    }
    assert preview.error_count == 5
    with pytest.raises(ServiceError, match="5 problems; nothing was imported"):
        import_roster(organization, preview)
    assert participants() == {}


def test_semicolon_csv_with_bom_and_xlsx_read_alike(organization):
    semicolons = "\ufeffemail;team;name\r\nann@example.org;Sales;Ann\r\n".encode()
    workbook = xlsx_bytes(
        [["email", "team", "name"], ["ann@example.org", "Sales", "Ann"], [None, None, None]]
    )
    expected = [{"email": "ann@example.org", "team": "Sales", "name": "Ann"}]
    assert read_roster_file("a.csv", semicolons) == expected
    assert read_roster_file("a.XLSX", workbook) == expected


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("staff.txt", b"email,team\n", "neither a .csv nor an .xlsx file"),
        ("staff.csv", b"", "The file is empty"),
        ("staff.csv", "email,team\nä,Sales\n".encode("latin-1"), "not UTF-8"),
        ("staff.xlsx", b"not a workbook", "cannot be read"),
    ],
)
def test_unreadable_files(filename, data, message):
    with pytest.raises(ServiceError, match=message):
        read_roster_file(filename, data)


def test_missing_columns_are_a_file_error(organization):
    preview = preview_roster(organization, read_roster_file("a.csv", b"mail,name\nann@example.org,Ann\n"))
    assert preview.file_errors == ("The file has no team column.",)
    assert not preview.ok


def test_reimport_updates_team_name_and_attributes(organization):
    import_roster(organization, preview_roster(organization, read_roster_file("a.csv", GOOD_CSV.encode())))
    moved = "email,team,name,language\nann@example.org,Marketing,Ann B.,en\n"
    preview = preview_roster(organization, read_roster_file("a.csv", moved.encode()))
    assert [row.action for row in preview.rows] == ["update"]
    assert (import_roster(organization, preview).added, import_roster(organization, preview).updated) == (
        0,
        1,
    )
    ann = participants()["ann@example.org"]
    assert (ann.team.name, ann.display_name, ann.attributes) == (
        "Marketing",
        "Ann B.",
        {"language": "en", "tenure": "2-5y"},
    )


def test_another_organisations_team_is_unknown(organization, make_organization, make_team):
    other = make_organization("Other", "other")
    make_team(other, "Legal", "other")
    preview = preview_roster(organization, read_roster_file("a.csv", b"email,team\nx@example.org,Legal\n"))
    assert preview.rows[0].errors == ("unknown team 'Legal'",)


def test_web_upload_preview_and_confirm(client, auth, make_user, organization):
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(consultant.email)
    url = f"/orgs/{organization.id}/roster/import"

    bad = client.post(url, data={"file": (io.BytesIO(BAD_CSV.encode()), "staff.csv")})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "5 problem(s) found; nothing was saved" in page
    assert "unknown team &#39;Legal&#39;" in page
    assert 'name="payload"' not in page  # no way to confirm a roster with errors

    workbook = xlsx_bytes([["email", "team"], ["x@example.org", "Sales"]])
    good = client.post(url, data={"file": (io.BytesIO(workbook), "staff.xlsx")})
    page = good.get_data(as_text=True)
    assert "No problems: 1 to add, 0 to update" in page
    assert participants() == {}
    records = [{"email": "x@example.org", "team": "Sales"}]
    done = client.post(url, data={"payload": json.dumps(records)})
    assert done.status_code == 302
    assert list(participants()) == ["x@example.org"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.imported"))
    assert (event.actor, event.organization_id, event.details) == (
        "c@example.org",
        organization.id,
        {"added": 1, "updated": 0},
    )


def test_confirmation_is_checked_again(client, auth, make_user, organization):
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(consultant.email)
    tampered = [{"email": "x@example.org", "team": "Board of Directors"}]
    response = client.post(f"/orgs/{organization.id}/roster/import", data={"payload": json.dumps(tampered)})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Participant.id))) == 0


def test_edit_a_roster_entry(client, auth, make_user, organization):
    import_roster(organization, preview_roster(organization, read_roster_file("a.csv", GOOD_CSV.encode())))
    db.session.commit()
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(consultant.email)
    ann = participants()["ann@example.org"]
    marketing = next(team for team in organization.teams if team.name == "Marketing")
    url = f"/orgs/{organization.id}/roster/{ann.id}"
    taken = client.post(url, data={"email": "bob@example.org", "name": "Ann", "team": marketing.id})
    assert "already on the roster" in taken.get_data(as_text=True)
    saved = client.post(url, data={"email": "ann@new.example.org", "name": "Ann", "team": marketing.id})
    assert saved.status_code == 302
    db.session.expire_all()
    ann = db.session.get(Participant, ann.id)
    assert (ann.email, ann.team.name, ann.active) == ("ann@new.example.org", "Marketing", False)
