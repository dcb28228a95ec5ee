"""Respondents' e-mail addresses: what the roster takes, and what a message is sent to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Participant
from survey.services import ServiceError
from survey.services.addresses import AddressError, Recipient, address_problem, recipient
from survey.services.roster import import_roster, preview_roster, read_roster_file, update_participant


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.org",
        "jürgen.mueller@example.org",
        "anna@bücher.example.org",
        "o'neil+survey@example.co.uk",
        "x@demo.mindgap.test",
    ],  # fmt: skip
)
def test_addresses_the_roster_takes(address):
    assert address_problem(address) == ""


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("jane,doe@example.org", "invalid characters before the @-sign: ','"),
        ("jane doe@example.org", "invalid characters before the @-sign"),
        ("ann@example", "it should have a period"),
        ("ann@corp.local", "special-use or reserved name"),
        ("ann@localhost", "it should have a period"),
        ("ann..b@example.org", "two periods in a row"),
        ('"ann b"@example.org', "quoting the part before the @-sign is not allowed"),
        ("ann@[192.0.2.1]", "bracketed ip address"),
        ("ann@@example.org", "@"),
        ("<ann@example.org>", "angle brackets"),
        ("a" * 250 + "@example.org", "too long"),
    ],
)
def test_addresses_the_roster_refuses_say_why(address, why):
    assert why in address_problem(address).lower()


def test_what_a_message_is_sent_to():
    assert recipient("ann@example.org") == Recipient("ann", "example.org", smtputf8=False)
    assert recipient("anna@bücher.example.org") == Recipient(
        "anna", "xn--bcher-kva.example.org", smtputf8=False
    )
    assert recipient("jürgen.mueller@example.org") == Recipient(
        "jürgen.mueller", "example.org", smtputf8=True
    )
    # Stored before the roster checked addresses: sent as written, or not at all.
    assert recipient("someone@intranet").address == "someone@intranet"
    with pytest.raises(AddressError, match=r"not a valid e-mail address \(.*','\); correct it on the roster"):
        recipient("jane,doe@example.org")
    with pytest.raises(AddressError):
        recipient("ann@example.org\nBcc: b@example.org")


@pytest.fixture
def organization(make_organization, make_team):
    organization = make_organization("Acme", "acme")
    make_team(organization, "Sales", "sales")
    return organization


def test_the_roster_import_checks_addresses_and_keeps_international_ones(organization):
    csv = (
        "email,team\n"
        "jürgen.mueller@example.org,Sales\n"
        "jane,doe@example.org,Sales\n"  # a comma inside the address: quoted, as a spreadsheet writes it
        "ann@corp.local,Sales\n"
    ).replace("jane,doe@example.org", '"jane,doe@example.org"')
    preview = preview_roster(organization, read_roster_file("staff.csv", csv.encode()))
    errors = {row.email: row.errors for row in preview.rows}
    assert errors["jürgen.mueller@example.org"] == ()
    [comma] = errors["jane,doe@example.org"]
    assert comma.startswith("'jane,doe@example.org' is not a valid e-mail address (")
    assert "','" in comma
    [local] = errors["ann@corp.local"]
    assert "special-use or reserved name" in local
    with pytest.raises(ServiceError, match="2 problems; nothing was imported"):
        import_roster(organization, preview)
    assert db.session.scalars(select(Participant.email)).all() == []


def test_an_international_address_is_imported(organization):
    csv = "email,team\njürgen.mueller@example.org,Sales\n"
    preview = preview_roster(organization, read_roster_file("staff.csv", csv.encode()))
    assert preview.ok
    import_roster(organization, preview)
    assert db.session.scalars(select(Participant.email)).all() == ["jürgen.mueller@example.org"]


def test_editing_an_entry_checks_the_address(organization):
    preview = preview_roster(organization, read_roster_file("s.csv", b"email,team\nann@example.org,Sales\n"))
    import_roster(organization, preview)
    ann = db.session.scalar(select(Participant))
    with pytest.raises(ServiceError, match=r"'jane,doe@example.org' is not a valid e-mail address \("):
        update_participant(ann, email="jane,doe@example.org", name="", team=ann.team, active=True)
    update_participant(ann, email="jürgen.mueller@example.org", name="", team=ann.team, active=True)
    assert ann.email == "jürgen.mueller@example.org"
