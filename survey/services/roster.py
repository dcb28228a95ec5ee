"""The roster: reading a CSV or XLSX file, previewing it row by row, and writing it.

Import is two steps. :func:`preview_roster` checks every row against the organisation
(unknown team, bad or missing e-mail, the same address twice, values outside any column,
characters no roster holds, values too long) and the table as a whole (required columns, row
cap), and writes nothing; :func:`import_roster` writes the rows only when the preview found no
error. Addresses already on the roster are updated (team, name, attributes), new ones are added.
Between the two steps the checked rows travel through the browser (:func:`roster_payload`,
:func:`records_from_payload`), so the confirmation runs :func:`preview_roster` again: whatever
comes back is checked as strictly as the file was.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from babel.numbers import format_decimal
from sqlalchemy import select

from instruments.tables import DEFAULT_LIMITS, TableError, column_letter, read_rows, stray_cells
from survey.extensions import db
from survey.i18n import N_, _, current_language, locale_of
from survey.models import TEAM_FUNCTIONS, Organization, Participant, Team
from survey.services import ServiceError
from survey.services.addresses import address_problem

#: Column names (lower-case) and the spellings accepted for them.
COLUMN_ALIASES = {"e-mail": "email", "mail": "email", "display_name": "name", "full name": "name"}
REQUIRED_COLUMNS = ("email", "team")
#: Most rows one import may hold; bigger rosters are split into several files.
MAX_ROWS = 20_000
#: Most attribute columns (beyond email, name and team) one roster may have.
MAX_ATTRIBUTE_COLUMNS = 20
#: Longest column name, and longest name or attribute value, in characters.
MAX_COLUMN_NAME = 64
MAX_VALUE_LENGTH = 200
#: What reading a roster file may cost (see :class:`instruments.tables.ReadLimits`): 10 s of
#: processor time and 256 MB as for any table, and no more rows, columns or cells than a roster
#: that could be imported has (20,000 rows of email, name, team and 20 attributes, with room).
READ_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_rows=MAX_ROWS, max_columns=256, max_cells=500_000)


@dataclass(frozen=True)
class RosterRecord:
    """One row of a roster as read, before any check."""

    number: int  #: the row number a spreadsheet shows (header is row 1)
    cells: Mapping[str, str]  #: values by lower-case column name
    #: Letters of the columns where the row has a value but the header names no column.
    stray: tuple[str, ...] = ()


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
    #: Problems with the file as a whole (missing columns, too many rows, unreadable file).
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


def read_roster_file(filename: str, data: bytes) -> list[RosterRecord]:
    """Read a ``.csv`` or ``.xlsx`` file into records keyed by lower-case column name.

    CSV files may be UTF-8 (with or without BOM) and separated by commas, semicolons or tabs;
    reading is bounded in time and memory (see :mod:`instruments.tables`). An unreadable file,
    an empty one and a header naming a column twice are a :class:`ServiceError`; everything
    else is for :func:`preview_roster` to report.
    """
    try:
        rows = read_rows(data, filename, limits=READ_LIMITS)
    except TableError as error:
        raise ServiceError(str(error)) from error
    if not rows:
        raise ServiceError(_("The file is empty."))
    header = [COLUMN_ALIASES.get(cell.lower(), cell.lower()) for cell in rows[0][1]]
    first_column: dict[str, int] = {}
    for index, column in enumerate(header, start=1):
        if column and column in first_column:
            raise ServiceError(
                _(
                    "The column '{column}' appears twice in the header (columns {first} and {second}); "
                    "keep one.",
                    column=column,
                    first=column_letter(first_column[column]),
                    second=column_letter(index),
                )
            )
        first_column.setdefault(column, index)
    if len(rows) == 1:
        raise ServiceError(_("The file has a header but no rows below it."))
    return [
        RosterRecord(
            number,
            {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header) if column},
            tuple(stray_cells(header, cells)),
        )
        for number, cells in rows[1:]
    ]


def roster_payload(records: Sequence[RosterRecord]) -> str:
    """``records`` as the JSON text the preview page sends back on confirmation."""
    return json.dumps(
        [{"row": r.number, "cells": dict(r.cells), "stray": list(r.stray)} for r in records],
        ensure_ascii=False,
    )


def records_from_payload(text: str) -> list[RosterRecord]:
    """Read back what :func:`roster_payload` wrote; :class:`ServiceError` for anything else.

    Only the shape is checked here (a list of rows of text cells); the rows themselves are
    checked by :func:`preview_roster`, as those of a file are.
    """
    unreadable = ServiceError(_("The preview could not be read back; upload the file again."))
    try:
        rows = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise unreadable from None
    if not isinstance(rows, list):
        raise unreadable
    records = []
    for row in rows:
        if not isinstance(row, dict) or set(row) - {"row", "cells", "stray"}:
            raise unreadable
        number, cells, stray = row.get("row"), row.get("cells"), row.get("stray", [])
        if isinstance(number, bool) or not isinstance(number, int) or not 2 <= number <= 2**31 - 1:
            raise unreadable
        if not isinstance(cells, dict) or not all(isinstance(v, str) for v in cells.values()):
            raise unreadable
        if not isinstance(stray, list) or not all(isinstance(letter, str) for letter in stray):
            raise unreadable
        records.append(RosterRecord(number, cells, tuple(stray)))
    return records


def preview_roster(organization: Organization, records: Sequence[RosterRecord]) -> RosterPreview:
    """Check ``records`` (from :func:`read_roster_file` or :func:`records_from_payload`) against
    ``organization``; write nothing."""
    if not records:
        return RosterPreview((), (_("The file has no rows below its header."),))
    if len(records) > MAX_ROWS:
        return RosterPreview(
            (),
            (
                _(
                    "The roster has {count} rows; at most {limit} can be imported at once.",
                    count=format_decimal(len(records), locale=locale_of(current_language())),
                    limit=format_decimal(MAX_ROWS, locale=locale_of(current_language())),
                ),
            ),
        )
    columns = list(dict.fromkeys(column for record in records for column in record.cells))
    attribute_columns = tuple(c for c in columns if c not in ("email", "name", "team"))
    file_errors = _column_problems(columns, attribute_columns)
    if file_errors:
        return RosterPreview((), tuple(file_errors), attribute_columns)
    teams = {team.name.casefold(): team for team in _teams(organization)}
    existing = set(
        db.session.scalars(select(Participant.email).where(Participant.organization_id == organization.id))
    )
    first_row_of: dict[str, int] = {}
    rows = []
    for record in records:
        cells = record.cells
        email = cells.get("email", "").strip().lower()
        team_name = cells.get("team", "").strip()
        name = cells.get("name", "").strip()
        attributes = {c: cells[c].strip() for c in attribute_columns if cells.get(c, "").strip()}
        errors = []
        if record.stray:
            letters = ", ".join(record.stray)
            errors.append(
                _("column {letters} has a value but no heading", letters=letters)
                if len(record.stray) == 1
                else _("columns {letters} have values but no heading", letters=letters)
            )
        for text, column, value in (
            (N_("the e-mail address contains {character}, which a roster cannot hold"), "", email),
            (N_("the team contains {character}, which a roster cannot hold"), "", team_name),
            (N_("the name contains {character}, which a roster cannot hold"), "", name),
            *(
                (N_("the value of {column} contains {character}, which a roster cannot hold"), c, v)
                for c, v in attributes.items()
            ),
        ):
            character = _unacceptable_character(value)
            if character:
                errors.append(_(text, character=character, column=column))
        if not email:
            errors.append(_("no e-mail address"))
        elif _unacceptable_character(email):
            pass  # reported above
        elif problem := address_problem(email):
            errors.append(
                _("'{email}' is not a valid e-mail address ({problem})", email=_shown(email), problem=problem)
            )
        elif email in first_row_of:
            errors.append(_("duplicate: {email} is also on row {row}", email=email, row=first_row_of[email]))
        else:
            first_row_of[email] = record.number
        if not team_name:
            errors.append(_("no team"))
        elif team_name.casefold() not in teams:
            errors.append(_("unknown team '{team}'", team=_shown(team_name)))
        if len(name) > MAX_VALUE_LENGTH:
            errors.append(_("the name is longer than {limit} characters", limit=MAX_VALUE_LENGTH))
        errors.extend(
            _(
                "the value of {column} is longer than {limit} characters",
                column=column,
                limit=MAX_VALUE_LENGTH,
            )
            for column, value in attributes.items()
            if len(value) > MAX_VALUE_LENGTH
        )
        rows.append(
            RosterRow(
                number=record.number,
                email=_shown(email),
                name=_shown(name),
                team=teams[team_name.casefold()].name if team_name.casefold() in teams else _shown(team_name),
                attributes={column: _shown(value) for column, value in attributes.items()},
                errors=tuple(errors),
                action="update" if email in existing else "add",
            )
        )
    return RosterPreview(tuple(rows), (), attribute_columns)


def _column_problems(columns: Sequence[str], attribute_columns: Sequence[str]) -> list[str]:
    problems = []
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        problems.append(_("The file has no {columns} column.", columns=" or ".join(missing)))
    for column in columns:
        if not column.strip() or _unacceptable_character(column) or len(column) > MAX_COLUMN_NAME:
            problems.append(
                _(
                    "The column name '{column}' is not usable: a column name has 1 to {limit} characters, "
                    "none of them control characters.",
                    column=_shown(column[:MAX_COLUMN_NAME]),
                    limit=MAX_COLUMN_NAME,
                )
            )
    if len(attribute_columns) > MAX_ATTRIBUTE_COLUMNS:
        problems.append(
            _(
                "The file has {count} attribute columns besides email, name and team; "
                "a roster may have at most {limit}.",
                count=len(attribute_columns),
                limit=MAX_ATTRIBUTE_COLUMNS,
            )
        )
    return problems


def _unacceptable_character(value: str) -> str:
    """A description of the first control character or lone surrogate in ``value``, or ``""``.

    Neither belongs in a name, an address or an attribute: NUL cannot even be stored, line
    breaks would end up in e-mail headers, and a lone surrogate cannot be written as UTF-8.
    """
    for character in value:
        category = unicodedata.category(character)
        if category in ("Cc", "Cs") or character in "\u2028\u2029":
            return _("the character {code}", code=f"U+{ord(character):04X}")
    return ""


def _shown(value: str) -> str:
    """``value`` safe to show on a page: unacceptable characters become U+FFFD."""
    if not _unacceptable_character(value):
        return value
    return "".join("\ufffd" if _unacceptable_character(character) else character for character in value)


@dataclass(frozen=True)
class RosterImport:
    added: int
    updated: int


def import_roster(organization: Organization, preview: RosterPreview) -> RosterImport:
    """Write a preview's rows; refuse (writing nothing) when it has any error."""
    if not preview.ok:
        raise ServiceError(
            _("The roster has {error_count} problems; nothing was imported.", error_count=preview.error_count)
        )
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
        raise ServiceError(_("The team must belong to the same organisation."))
    email = (email or "").strip().lower() or None
    name = (name or "").strip()
    for text, value in (
        (N_("The e-mail address contains {character}, which a roster cannot hold."), email or ""),
        (N_("The name contains {character}, which a roster cannot hold."), name),
    ):
        character = _unacceptable_character(value)
        if character:
            raise ServiceError(_(text, character=character))
    if email is not None and (problem := address_problem(email)):
        raise ServiceError(
            _("'{email}' is not a valid e-mail address ({problem}).", email=email, problem=problem)
        )
    if email is not None and email != participant.email:
        taken = db.session.scalar(
            select(Participant.id).where(
                Participant.organization_id == participant.organization_id, Participant.email == email
            )
        )
        if taken is not None:
            raise ServiceError(_("{email} is already on the roster.", email=email))
    participant.email = email
    participant.display_name = name[:MAX_VALUE_LENGTH] or None
    participant.team = team
    participant.active = active
    db.session.flush()
    return participant


def update_team(team: Team, *, name: str, function: str, parent: Team | None) -> Team:
    """Rename a team, change its function or parent (within its organisation, without cycles)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A team needs a name."))
    if function not in TEAM_FUNCTIONS:
        raise ServiceError(
            _(
                "Unknown team function '{function}'; choose one of {choices}.",
                function=function,
                choices=", ".join(TEAM_FUNCTIONS),
            )
        )
    if parent is not None:
        if parent.organization_id != team.organization_id:
            raise ServiceError(_("A parent team must belong to the same organisation."))
        ancestor: Team | None = parent
        while ancestor is not None:
            if ancestor.id == team.id:
                raise ServiceError(_("A team cannot be placed below itself or one of its sub-teams."))
            ancestor = ancestor.parent
    clash = db.session.scalar(
        select(Team.id).where(
            Team.organization_id == team.organization_id, Team.name == name, Team.id != team.id
        )
    )
    if clash is not None:
        raise ServiceError(_("There is already a team called '{name}'.", name=name))
    team.name, team.function, team.parent = name, function, parent
    db.session.flush()
    return team
