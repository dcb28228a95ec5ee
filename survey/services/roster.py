"""The roster: reading a CSV or XLSX file, previewing it row by row, and writing it.

Import is two steps. :func:`preview_roster` checks every row against the organisation
(unknown team, bad or missing e-mail, the same address twice) and writes nothing;
:func:`import_roster` writes the rows only when the preview found no error. Addresses
already on the roster are updated (team, name, attributes), new ones are added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from instruments.tables import TableError, read_cells
from survey.extensions import db
from survey.models import TEAM_FUNCTIONS, Organization, Participant, Team
from survey.services import ServiceError
from survey.services.addresses import address_problem

#: Column names (lower-case) and the spellings accepted for them.
COLUMN_ALIASES = {"e-mail": "email", "mail": "email", "display_name": "name", "full name": "name"}
REQUIRED_COLUMNS = ("email", "team")
#: Most rows one import may hold; bigger rosters are split into several files.
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RosterRow:
    """One row of an import file, as read and as checked."""

    number: int  #: the row number a spreadsheet shows (header is row 1)
    email: str
    name: str
    team: str
    attributes: dict[str, str]
    errors: tuple[str, ...] = ()
    #: ``add`` or ``update`` for a valid row.
    action: str = ""


@dataclass(frozen=True)
class RosterPreview:
    rows: tuple[RosterRow, ...]
    #: Problems with the file as a whole (missing columns, unreadable file).
    file_errors: tuple[str, ...] = ()
    attribute_columns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(1 for row in self.rows if row.errors)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


def read_roster_file(filename: str, data: bytes) -> list[dict[str, str]]:
    """Read a ``.csv`` or ``.xlsx`` file into rows keyed by lower-case column name.

    CSV files may be UTF-8 (with or without BOM) and separated by commas, semicolons or tabs
    (see :mod:`instruments.tables`).
    """
    try:
        table = read_cells(data, filename)
    except TableError as error:
        raise ServiceError(str(error)) from error
    table = [row for row in table if any(row)]
    if not table:
        raise ServiceError("The file is empty.")
    header = [COLUMN_ALIASES.get(cell.lower(), cell.lower()) for cell in table[0]]
    if len(table) - 1 > MAX_ROWS:
        raise ServiceError(f"The file has {len(table) - 1} rows; at most {MAX_ROWS} can be imported at once.")
    return [
        {column: (row[i] if i < len(row) else "") for i, column in enumerate(header) if column}
        for row in table[1:]
    ]


def preview_roster(organization: Organization, records: Sequence[dict[str, str]]) -> RosterPreview:
    """Check ``records`` (from :func:`read_roster_file`) against ``organization``; write nothing."""
    columns = list(records[0]) if records else []
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    attribute_columns = tuple(c for c in columns if c not in ("email", "name", "team"))
    if missing:
        return RosterPreview((), (f"The file has no {' or '.join(missing)} column.",), attribute_columns)
    teams = {team.name.casefold(): team for team in _teams(organization)}
    existing = set(
        db.session.scalars(select(Participant.email).where(Participant.organization_id == organization.id))
    )
    first_row_of: dict[str, int] = {}
    rows = []
    for offset, record in enumerate(records):
        number = offset + 2
        email = record.get("email", "").strip().lower()
        team_name = record.get("team", "").strip()
        errors = []
        if not email:
            errors.append("no e-mail address")
        elif problem := address_problem(email):
            errors.append(f"{email!r} is not a valid e-mail address ({problem})")
        elif email in first_row_of:
            errors.append(f"duplicate: {email} is also on row {first_row_of[email]}")
        else:
            first_row_of[email] = number
        if not team_name:
            errors.append("no team")
        elif team_name.casefold() not in teams:
            errors.append(f"unknown team {team_name!r}")
        rows.append(
            RosterRow(
                number=number,
                email=email,
                name=record.get("name", "").strip()[:200],
                team=teams[team_name.casefold()].name if team_name.casefold() in teams else team_name,
                attributes={c: record.get(c, "") for c in attribute_columns if record.get(c, "")},
                errors=tuple(errors),
                action="update" if email in existing else "add",
            )
        )
    return RosterPreview(tuple(rows), (), attribute_columns)


@dataclass(frozen=True)
class RosterImport:
    added: int
    updated: int


def import_roster(organization: Organization, preview: RosterPreview) -> RosterImport:
    """Write a preview's rows; refuse (writing nothing) when it has any error."""
    if not preview.ok:
        raise ServiceError(f"The roster has {preview.error_count} problems; nothing was imported.")
    teams = {team.name: team for team in _teams(organization)}
    existing = {
        participant.email: participant
        for participant in db.session.scalars(
            select(Participant).where(Participant.organization_id == organization.id)
        )
    }
    added = updated = 0
    for row in preview.rows:
        participant = existing.get(row.email)
        if participant is None:
            participant = Participant(organization=organization, email=row.email)
            db.session.add(participant)
            added += 1
        else:
            updated += 1
        participant.team = teams[row.team]
        participant.active = True
        if row.name:
            participant.display_name = row.name
        if row.attributes:
            participant.attributes = {**(participant.attributes or {}), **row.attributes}
    db.session.flush()
    return RosterImport(added, updated)


def _teams(organization: Organization) -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.organization_id == organization.id)))


def participants_of(organization: Organization) -> list[Participant]:
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.organization_id == organization.id)
            .order_by(Participant.email)
        )
    )


def update_participant(
    participant: Participant, *, email: str, name: str, team: Team, active: bool
) -> Participant:
    """Change one roster entry; the team must belong to the participant's organisation."""
    if team.organization_id != participant.organization_id:
        raise ServiceError("The team must belong to the same organisation.")
    email = (email or "").strip().lower() or None
    if email is not None and (problem := address_problem(email)):
        raise ServiceError(f"{email!r} is not a valid e-mail address ({problem}).")
    if email is not None and email != participant.email:
        taken = db.session.scalar(
            select(Participant.id).where(
                Participant.organization_id == participant.organization_id, Participant.email == email
            )
        )
        if taken is not None:
            raise ServiceError(f"{email} is already on the roster.")
    participant.email = email
    participant.display_name = (name or "").strip()[:200] or None
    participant.team = team
    participant.active = active
    db.session.flush()
    return participant


def update_team(team: Team, *, name: str, function: str, parent: Team | None) -> Team:
    """Rename a team, change its function or parent (within its organisation, without cycles)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("A team needs a name.")
    if function not in TEAM_FUNCTIONS:
        raise ServiceError(f"Unknown team function {function!r}; choose one of {', '.join(TEAM_FUNCTIONS)}.")
    if parent is not None:
        if parent.organization_id != team.organization_id:
            raise ServiceError("A parent team must belong to the same organisation.")
        ancestor: Team | None = parent
        while ancestor is not None:
            if ancestor.id == team.id:
                raise ServiceError("A team cannot be placed below itself or one of its sub-teams.")
            ancestor = ancestor.parent
    clash = db.session.scalar(
        select(Team.id).where(
            Team.organization_id == team.organization_id, Team.name == name, Team.id != team.id
        )
    )
    if clash is not None:
        raise ServiceError(f"There is already a team called {name!r}.")
    team.name, team.function, team.parent = name, function, parent
    db.session.flush()
    return team
