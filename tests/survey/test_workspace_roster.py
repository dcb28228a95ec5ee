"""Roster import: reading CSV and XLSX, a preview with every kind of row error, then writing."""

from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Participant
from survey.services import ServiceError
from survey.services.roster import (
    MAX_ROWS,
    RosterRecord,
    import_roster,
    preview_roster,
    read_roster_file,
    update_participant,
)
from tests.workbooks import EXTERNAL, LAUGHS, SHEET, edit_part, with_dimension, with_doctype, workbook_bytes

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


xlsx_bytes = workbook_bytes


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
    expected = [RosterRecord(2, {"email": "ann@example.org", "team": "Sales", "name": "Ann"})]
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
    assert "5 problems found; nothing was saved" in page
    assert "unknown team &#39;Legal&#39;" in page
    assert 'name="payload"' not in page  # no way to confirm a roster with errors

    workbook = xlsx_bytes([["email", "team"], ["x@example.org", "Sales"]])
    good = client.post(url, data={"file": (io.BytesIO(workbook), "staff.xlsx")})
    page = good.get_data(as_text=True)
    assert "No problems: 1 to add, 0 to update" in page
    assert participants() == {}
    assert 'name="payload"' in page
    records = [{"row": 2, "cells": {"email": "x@example.org", "team": "Sales"}}]
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
    tampered = [{"row": 2, "cells": {"email": "x@example.org", "team": "Board of Directors"}}]
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


# --- hostile and unusual files, and a confirmation that comes back changed


def test_quotes_blank_rows_and_cells_outside_the_columns(organization):
    data = (
        b'email,name,team\n"ann@example.org","John ""Johnny"" Smith",Sales\n\n'
        b"bob@example.org,Bob,Sales,surplus\ncarl@example.org,Carl,Sales,,\n"
    )
    preview = preview_roster(organization, read_roster_file("a.csv", data))
    assert [(row.number, row.name, row.errors) for row in preview.rows] == [
        (2, 'John "Johnny" Smith', ()),
        (4, "Bob", ("column D has a value but no heading",)),
        (5, "Carl", ()),
    ]
    assert not preview.ok


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"name": "A\x00B"}, "the name contains the character U+0000, which a roster cannot hold"),
        ({"email": "a\x00@example.org"}, "the e-mail address contains the character U+0000"),
        ({"name": "Ann\nBcc: x@evil.test"}, "the name contains the character U+000A"),
        ({"name": "\ud800"}, "the name contains the character U+D800"),
        ({"level": "\x1b[31m"}, "the value of level contains the character U+001B"),
        ({"name": "x" * 201}, "the name is longer than 200 characters"),
        ({"level": "x" * 201}, "the value of level is longer than 200 characters"),
    ],
)
def test_values_a_roster_cannot_hold_are_row_problems(organization, cells, problem):
    record = RosterRecord(2, {"email": "ann@example.org", "team": "Sales", **cells})
    preview = preview_roster(organization, [record])
    assert any(problem in error for error in preview.rows[0].errors), preview.rows[0].errors
    assert "\x00" not in preview.rows[0].name + preview.rows[0].email  # shown as U+FFFD instead
    with pytest.raises(ServiceError):
        import_roster(organization, preview)


def test_unusable_headers(organization):
    with pytest.raises(
        ServiceError, match=r"The column 'email' appears twice in the header \(columns A and C\)"
    ):
        read_roster_file("a.csv", b"email,team,Email\nann@example.org,Sales,bob@example.org\n")
    for header, message in [
        ("email,team," + ",".join(f"a{n}" for n in range(21)), "a roster may have at most 20"),
        ("email,team," + "x" * 65, "is not usable"),
    ]:
        preview = preview_roster(
            organization, read_roster_file("a.csv", f"{header}\nann@example.org,Sales\n".encode())
        )
        assert message in " ".join(preview.file_errors)
        assert not preview.ok


def test_editing_an_entry_refuses_control_characters(organization):
    import_roster(organization, preview_roster(organization, read_roster_file("a.csv", GOOD_CSV.encode())))
    ann = participants()["ann@example.org"]
    with pytest.raises(ServiceError, match=r"The name contains the character U\+000A"):
        update_participant(ann, email=ann.email, name="Ann\nB", team=ann.team, active=True)


@pytest.fixture
def consultant(client, auth, make_user, organization):
    user = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(user.email)
    return user


def upload(client, organization, data: bytes, filename: str):
    return client.post(f"/orgs/{organization.id}/roster/import", data={"file": (io.BytesIO(data), filename)})


ROWS = [["email", "team"], *([f"p{n}@example.org", "Sales"] for n in range(4))]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "big.csv",
            b"email,team,note\nann@example.org,Sales," + b"x" * (128 * 1024 + 1) + b"\n",
            "Line 2: the cell holds more than 32,767 characters",
        ),
        ("quotes.csv", b'email,team\n"ann@example.org,Sales\n', "Line 2 of the CSV file cannot be read"),
        ("damaged.xlsx", edit_part(xlsx_bytes(ROWS), SHEET, lambda xml: xml[:-200]), "cannot be read"),
        ("truncated.xlsx", xlsx_bytes(ROWS)[:-100], "cannot be read"),
        ("laughs.xlsx", with_doctype(xlsx_bytes(ROWS), LAUGHS, "p0@example.org", "&d;"), "XML entity"),
        (
            "external.xlsx",
            with_doctype(xlsx_bytes(ROWS), EXTERNAL, "p0@example.org", "&secret;"),
            "external references",
        ),
        (
            "many.csv",
            b"email,team\n" + b"x@example.org,Sales\n" * (MAX_ROWS + 1),
            "more than 20,000 rows below its header",
        ),
    ],  # fmt: skip
    ids=[
        "field over 128 KiB",
        "broken quotes",
        "damaged sheet",
        "truncated zip",
        "entity expansion",
        "external entity",
        "row cap",
    ],  # fmt: skip
)
def test_hostile_roster_files_are_refused_with_a_message(client, consultant, organization, filename, data,
                                                         message):  # fmt: skip
    response = upload(client, organization, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert participants() == {}


def test_every_row_of_a_workbook_is_previewed_whatever_size_its_sheet_claims(
    client, consultant, organization
):
    stale = upload(client, organization, with_dimension(xlsx_bytes(ROWS), "A1:B1"), "stale.xlsx")
    assert "No problems: 4 to add, 0 to update" in stale.get_data(as_text=True)
    started = time.monotonic()
    huge = with_dimension(xlsx_bytes(ROWS), "A1:XFD1048576")
    assert len(huge) < 11 * 1024
    response = upload(client, organization, huge, "huge.xlsx")
    assert time.monotonic() - started < 10
    assert "No problems: 4 to add, 0 to update" in response.get_data(as_text=True)


def _payload(*cells: dict, start: int = 2) -> str:
    return json.dumps([{"row": n, "cells": c} for n, c in enumerate(cells, start=start)])


ANN = {"email": "ann@example.org", "team": "Sales"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_payload(ANN | {"name": "A\x00B"}), "the name contains the character U+0000"),
        (
            _payload(ANN | {"email": "ann\x00@example.org"}),
            "the e-mail address contains the character U+0000",
        ),
        (_payload(ANN | {"name": "\ud800"}), "U+D800"),
        (
            _payload(*({"email": f"p{n}@example.org", "team": "Sales"} for n in range(MAX_ROWS + 1))),
            "at most 20,000 can be imported at once",
        ),
        (json.dumps([{"row": 2, "cells": ANN, "stray": ["C"]}]), "column C has a value but no heading"),
        (_payload(ANN | {f"a{n}": "x" for n in range(21)}), "a roster may have at most 20"),
        ("[" * 100_000 + "]" * 100_000, "The preview could not be read back"),
        (json.dumps([{"row": 2, "cells": {"email": ["nested"]}}]), "The preview could not be read back"),
        (json.dumps([{"row": True, "cells": ANN}]), "The preview could not be read back"),
        (json.dumps({"rows": []}), "The preview could not be read back"),
        ("not json", "The preview could not be read back"),
    ],  # fmt: skip
    ids=[
        "NUL in name",
        "NUL in e-mail",
        "lone surrogate",
        "row cap",
        "stray cells",
        "attribute columns",
        "deeply nested",
        "nested cell",
        "row number",
        "not a list",
        "not JSON",
    ],  # fmt: skip
)
def test_the_confirmation_checks_everything_the_preview_checked(client, consultant, organization, payload,
                                                                message):  # fmt: skip
    response = client.post(f"/orgs/{organization.id}/roster/import", data={"payload": payload})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Participant.id))) == 0
