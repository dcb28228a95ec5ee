"""Item banks in spreadsheets: import a table as instrument YAML, and export an instrument as a table.

Consultants keep items in spreadsheets, one row per item:

=========================  ==========================================================
column                     content
=========================  ==========================================================
``item_id``                the item's id (a row whose id is ``page_break`` starts a new page)
``dimension``              the dimension's id
``scale``                  ``agree5`` or ``agree7`` (built-in scales, see :data:`BUILTIN_SCALES`)
``reverse``                yes/no/true/false/1/0; empty means no
``text_<lang>``            the item text, one column per language; the first is the default
``required``               optional; yes/no…, empty means yes
``target``                 optional; system, sales or marketing
``perspective``            optional; own or meta
``mirrors``                optional; for meta items, the own-perspective item anticipated
``audience``               optional; functions separated by commas, e.g. ``sales, other``
``dimension_name_<lang>``  optional; the dimension's name (any row of the dimension)
``dimension_description_<lang>``  optional; the dimension's description
``dimension_min_valid``    optional; fewest valid answers for a dimension score
=========================  ==========================================================

CSV files are read as UTF-8 (with or without a byte-order mark) with ``,``, ``;`` or tab as
separator; XLSX files are read from their first sheet. Every problem is reported at once with its
spreadsheet row number (the header is row 1).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .model import PERSPECTIVES, TARGETS, Instrument
from .tables import read_cells, stray_cells, table_format
from .validator import (
    FUNCTIONS,
    ID_PATTERN,
    LANGUAGE_PATTERN,
    PAGE_BREAK,
    PART_ID_PATTERN,
    VERSION_PATTERN,
    default_min_valid,
    parse,
    suggest,
)
from .validator import check as check_definition

__all__ = [
    "BUILTIN_SCALES",
    "SpreadsheetError",
    "TableProblem",
    "export_table",
    "import_table",
    "instrument_to_rows",
    "read_table",
    "rows_to_yaml",
    "write_table",
]

_PREFER_NOT_TO_SAY = {
    "en": "Prefer not to say",
    "de": "Keine Angabe",
    "fr": "Je préfère ne pas répondre",
    "es": "Prefiero no responder",
}

#: The scales a table can name in its ``scale`` column: labels per point and language, and the
#: "prefer not to say" option (identical to the scales of the shipped instruments).
BUILTIN_SCALES: Mapping[str, Mapping[str, Any]] = {
    "agree5": {
        "kind": "ordinal",
        "labels": {
            1: {
                "en": "Strongly disagree",
                "de": "Stimme überhaupt nicht zu",
                "fr": "Pas du tout d'accord",
                "es": "Totalmente en desacuerdo",
            },
            2: {
                "en": "Disagree",
                "de": "Stimme eher nicht zu",
                "fr": "Plutôt pas d'accord",
                "es": "En desacuerdo",
            },
            3: {
                "en": "Neither agree nor disagree",
                "de": "Teils, teils",
                "fr": "Ni d'accord ni pas d'accord",
                "es": "Ni de acuerdo ni en desacuerdo",
            },
            4: {"en": "Agree", "de": "Stimme eher zu", "fr": "Plutôt d'accord", "es": "De acuerdo"},
            5: {
                "en": "Strongly agree",
                "de": "Stimme voll und ganz zu",
                "fr": "Tout à fait d'accord",
                "es": "Totalmente de acuerdo",
            },
        },
        "prefer_not_to_say": _PREFER_NOT_TO_SAY,
    },
    "agree7": {
        "kind": "ordinal",
        "labels": {
            1: {
                "en": "Strongly disagree",
                "de": "Stimme überhaupt nicht zu",
                "fr": "Pas du tout d'accord",
                "es": "Totalmente en desacuerdo",
            },
            2: {"en": "Disagree", "de": "Stimme nicht zu", "fr": "Pas d'accord", "es": "En desacuerdo"},
            3: {
                "en": "Somewhat disagree",
                "de": "Stimme eher nicht zu",
                "fr": "Plutôt pas d'accord",
                "es": "Algo en desacuerdo",
            },
            4: {
                "en": "Neither agree nor disagree",
                "de": "Teils, teils",
                "fr": "Ni d'accord ni pas d'accord",
                "es": "Ni de acuerdo ni en desacuerdo",
            },
            5: {
                "en": "Somewhat agree",
                "de": "Stimme eher zu",
                "fr": "Plutôt d'accord",
                "es": "Algo de acuerdo",
            },
            6: {"en": "Agree", "de": "Stimme zu", "fr": "D'accord", "es": "De acuerdo"},
            7: {
                "en": "Strongly agree",
                "de": "Stimme voll und ganz zu",
                "fr": "Tout à fait d'accord",
                "es": "Totalmente de acuerdo",
            },
        },
        "prefer_not_to_say": _PREFER_NOT_TO_SAY,
    },
}
#: Languages every built-in scale has labels in.
BUILTIN_LANGUAGES = ("en", "de", "fr", "es")

REQUIRED_COLUMNS = ("item_id", "dimension", "scale", "reverse")
OPTIONAL_COLUMNS = ("required", "target", "perspective", "mirrors", "audience", "dimension_min_valid")
#: Column prefixes followed by a language code.
LANGUAGE_PREFIXES = ("text_", "dimension_name_", "dimension_description_")

_TRUE = ("yes", "true", "1")
_FALSE = ("no", "false", "0")
#: Rough reading pace for agreement items, used for a first ``estimated_minutes``.
ITEMS_PER_MINUTE = 4
_ITEMS_PER_MINUTE = ITEMS_PER_MINUTE


@dataclass(frozen=True)
class TableProblem:
    """One thing wrong with an item table; ``row`` is the spreadsheet row (header = 1)."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.row is None else f"row {self.row}: {self.message}"


class SpreadsheetError(ValueError):
    """An item table cannot become an instrument; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: Iterable[TableProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        details = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"cannot import {source} ({len(self.problems)} problems):\n{details}")


Row = tuple[int, dict[str, str]]
"""A spreadsheet row number and its cells by (normalised) column name."""


# --- reading and writing tables ---------------------------------------------------------------


def read_table(path: str | Path) -> tuple[list[str], list[Row]]:
    """Read a CSV or XLSX table: the normalised column names and the non-empty rows.

    Column names are stripped and lower-cased; cells become stripped text (see
    :func:`instruments.tables.cell_text`). Blank rows are skipped but keep their place in the
    row numbering. Raises :class:`~instruments.tables.TableError` (a ``ValueError``) for a file
    that is not a readable table, and :class:`SpreadsheetError` naming every row that has a
    value in a column without a heading (such a value belongs to no field).
    """
    path = Path(path)
    table_format(path.name)  # before opening it: say so even for a missing file
    table = read_cells(path.read_bytes(), path.name)
    if not table:
        return [], []
    header = [name.lower() for name in table[0]]
    rows, stray = [], []
    for number, values in enumerate(table[1:], start=2):
        letters = stray_cells(header, values)
        if letters:
            message = (
                f"a value in column {letters[0]}, which has no heading"
                if len(letters) == 1
                else f"values in columns {', '.join(letters)}, which have no heading"
            )
            stray.append(TableProblem(number, message))
        cells = {name: value for name, value in zip(header, values, strict=False) if name}
        if any(cells.values()):
            rows.append((number, cells))
    if stray:
        raise SpreadsheetError(str(path), stray)
    return header, rows


def write_table(columns: Sequence[str], rows: Iterable[Mapping[str, str]], path: str | Path) -> None:
    """Write rows as a CSV (UTF-8 with a byte-order mark, so Excel reads the umlauts) or XLSX file."""
    path = Path(path)
    table = [list(columns)] + [[row.get(column, "") for column in columns] for row in rows]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(table)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "items"
        for values in table:
            sheet.append(values)
        workbook.save(path)
    else:
        raise ValueError(f"path must name a .csv or .xlsx file; got {path.name!r}")


# --- table -> YAML ----------------------------------------------------------------------------


def import_table(
    path: str | Path,
    *,
    instrument_id: str,
    version: str,
    title: str | Mapping[str, str] | None = None,
    introduction: str | Mapping[str, str] | None = None,
    citation: str = "",
    licence: str = "proprietary",
    estimated_minutes: int | None = None,
) -> str:
    """Read an item table and return the text of a valid instrument definition.

    Parameters
    ----------
    path
        A ``.csv`` or ``.xlsx`` file with the columns described in this module.
    instrument_id, version
        The new instrument's id and version (``"1.0"``).
    title, introduction
        One text for all languages, or a mapping of language to text. Default: the id, written
        out (``"team_check"`` becomes ``"Team check"``), as a placeholder to edit.
    citation, licence
        Written as given.
    estimated_minutes
        Default: the item count divided by four items a minute, rounded up.

    Raises
    ------
    SpreadsheetError
        With every problem in the table, each naming its row.
    """
    header, rows = read_table(path)
    return rows_to_yaml(
        header,
        rows,
        instrument_id=instrument_id,
        version=version,
        title=title,
        introduction=introduction,
        citation=citation,
        licence=licence,
        estimated_minutes=estimated_minutes,
        source=str(path),
    )


def rows_to_yaml(
    header: Sequence[str],
    rows: Sequence[Row],
    *,
    instrument_id: str,
    version: str,
    title: str | Mapping[str, str] | None = None,
    introduction: str | Mapping[str, str] | None = None,
    citation: str = "",
    licence: str = "proprietary",
    estimated_minutes: int | None = None,
    source: str = "<table>",
) -> str:
    """Turn table rows (as from :func:`read_table`) into instrument YAML; see :func:`import_table`."""
    if not isinstance(instrument_id, str) or not ID_PATTERN.fullmatch(instrument_id):
        raise ValueError(
            f"instrument_id must be lowercase letters, digits, '_' and '-', starting with a letter; "
            f"got {instrument_id!r}"
        )
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise ValueError(f"version must be numbers separated by dots such as '1.0'; got {version!r}")
    builder = _TableReader(header, rows)
    builder.read()
    if builder.problems:
        raise SpreadsheetError(source, builder.problems)
    languages = builder.languages
    item_count = sum(1 for entry in builder.entries if entry != PAGE_BREAK)
    fallback_title = instrument_id.replace("_", " ").replace("-", " ").capitalize()
    definition = {
        "id": instrument_id,
        "version": version,
        "title": _per_language(title, languages, fallback_title),
        "introduction": _per_language(introduction, languages, fallback_title),
        "estimated_minutes": estimated_minutes or max(1, math.ceil(item_count / _ITEMS_PER_MINUTE)),
        "citation": citation,
        "licence": licence,
        "languages": list(languages),
        "scales": {
            scale_id: _scale_in(BUILTIN_SCALES[scale_id], languages) for scale_id in builder.scales_used
        },
        "dimensions": builder.dimension_entries(),
        "items": builder.entries,
    }
    text = (
        f"# Imported from {Path(source).name}. Review title, introduction, estimated_minutes,\n"
        f"# citation and licence before the first wave uses this version.\n"
        + yaml.dump(definition, Dumper=_DefinitionDumper, sort_keys=False, allow_unicode=True, width=100)
    )
    # Cross-row rules (dimension sizes, mirrors) are the validator's; report them by table row.
    parsed = parse(text, source)
    check_definition(parsed)
    if parsed.problems:
        problems = [builder.translate(problem.field, problem.message) for problem in parsed.problems]
        problems.sort(key=lambda problem: problem.row if problem.row is not None else math.inf)
        raise SpreadsheetError(source, problems)
    return text


class _Texts(dict):
    """A text per language; short ones are written ``{en: ..., de: ...}``, as authors write them."""


class _DefinitionDumper(yaml.SafeDumper):
    """Writes definitions the way the shipped files look: lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_texts(dumper: yaml.SafeDumper, data: _Texts) -> yaml.Node:
    # Short texts fit on one line; long ones read better one language per line.
    short = sum(len(text) for text in data.values()) <= 70
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=short)


_DefinitionDumper.add_representer(_Texts, _represent_texts)


def _per_language(
    value: str | Mapping[str, str] | None, languages: Sequence[str], fallback: str
) -> dict[str, str]:
    if value is None or isinstance(value, str):
        return _Texts(dict.fromkeys(languages, value or fallback))
    return _Texts({language: value.get(language) or fallback for language in languages})


def _scale_in(scale: Mapping[str, Any], languages: Sequence[str]) -> Any:
    """A built-in scale with its labels in ``languages`` only (the validator refuses others)."""

    def texts(labels: Mapping[str, str]) -> Mapping[str, str]:
        return {language: labels[language] for language in languages}

    return _plain(
        {
            **scale,
            "labels": {value: texts(labels) for value, labels in scale["labels"].items()},
            "prefer_not_to_say": texts(scale["prefer_not_to_say"]),
        }
    )


def _plain(value: Any) -> Any:
    """Deep copy of nested mappings as plain dicts, which ``yaml.safe_dump`` can write."""
    if isinstance(value, Mapping):
        if all(isinstance(item, str) for item in value.values()):
            return _Texts(value)
        return {key: _plain(item) for key, item in value.items()}
    return value


class _TableReader:
    """Check the rows of an item table and collect what the definition needs."""

    def __init__(self, header: Sequence[str], rows: Sequence[Row]) -> None:
        self.header = list(header)
        self.rows = rows
        self.problems: list[TableProblem] = []
        self.languages: tuple[str, ...] = ()
        self.entries: list[Any] = []
        self.entry_rows: list[int] = []
        self.scales_used: list[str] = []
        # dimension id -> first row, and field -> (value, row) for its dimension-level cells
        self.dimension_rows: dict[str, int] = {}
        self.dimension_fields: dict[str, dict[str, tuple[str, int]]] = {}

    def add(self, row: int | None, message: str) -> None:
        self.problems.append(TableProblem(row, message))

    def read(self) -> None:
        if not self.header:
            self.add(None, "the table is empty")
            return
        self.read_header()
        if self.problems:
            return  # without the right columns every row would repeat the same complaint
        if not self.rows:
            self.add(None, "the table has no item rows")
        seen: dict[str, int] = {}
        for number, cells in self.rows:
            self.read_row(number, cells, seen)
        if self.entries and self.entries[-1] == PAGE_BREAK:
            self.add(self.entry_rows[-1], "a page_break row at the end makes an empty page")

    def read_header(self) -> None:
        known = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
        languages: list[str] = []
        seen: set[str] = set()
        for name in self.header:
            if not name:
                continue
            if name in seen:
                self.add(1, f"column {name!r} appears twice")
            seen.add(name)
            prefix = next((prefix for prefix in LANGUAGE_PREFIXES if name.startswith(prefix)), None)
            if prefix is not None:
                language = name.removeprefix(prefix)
                if not LANGUAGE_PATTERN.fullmatch(language):
                    self.add(1, f"column {name!r}: {language!r} is not a language code such as 'en'")
                elif prefix == "text_" and language not in languages:
                    languages.append(language)
            elif name not in known:
                hint = suggest(name, [*known, "text_en", "dimension_name_en"])
                self.add(1, f"unknown column {name!r}{hint}")
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                self.add(1, f"missing column {name!r}")
        if not languages:
            self.add(1, "no text column: add one text_<language> column per language, e.g. text_en")
        for language in languages:
            if language not in BUILTIN_LANGUAGES:
                self.add(
                    1,
                    f"column 'text_{language}': the built-in scales have labels in "
                    f"{', '.join(BUILTIN_LANGUAGES)} only",
                )
        for name in seen:
            for prefix in LANGUAGE_PREFIXES[1:]:
                language = name.removeprefix(prefix)
                if (
                    name.startswith(prefix)
                    and LANGUAGE_PATTERN.fullmatch(language)
                    and language not in languages
                ):
                    self.add(1, f"column {name!r} has no matching text_{language} column")
        self.languages = tuple(languages)

    def read_row(self, number: int, cells: dict[str, str], seen: dict[str, int]) -> None:
        item_id = cells.get("item_id", "")
        if item_id == PAGE_BREAK:
            if not self.entries or self.entries[-1] == PAGE_BREAK:
                self.add(
                    number, "a page_break row at the start or after another page_break makes an empty page"
                )
            self.entries.append(PAGE_BREAK)
            self.entry_rows.append(number)
            return
        item: dict[str, Any] = {}
        if not item_id:
            self.add(number, "item_id is empty")
        elif not PART_ID_PATTERN.fullmatch(item_id):
            self.add(
                number,
                f"item_id must start with a letter and use letters, digits, '_' and '-', got {item_id!r}",
            )
        elif item_id in seen:
            self.add(number, f"item_id {item_id!r} repeats row {seen[item_id]}")
        else:
            seen[item_id] = number
        item["id"] = item_id
        dimension = cells.get("dimension", "")
        if not dimension:
            self.add(number, "dimension is empty")
        elif not PART_ID_PATTERN.fullmatch(dimension):
            self.add(
                number,
                f"dimension must start with a letter and use letters, digits, '_' and '-', got {dimension!r}",
            )
        else:
            self.note_dimension(number, dimension, cells)
        item["dimension"] = dimension
        scale = cells.get("scale", "")
        if scale not in BUILTIN_SCALES:
            names = " or ".join(BUILTIN_SCALES)
            self.add(number, f"scale must be {names}, got {scale!r}{suggest(scale, BUILTIN_SCALES)}")
        elif scale not in self.scales_used:
            self.scales_used.append(scale)
        item["scale"] = scale
        item["text"] = _Texts()
        for language in self.languages:
            text = cells.get(f"text_{language}", "")
            if not text:
                self.add(number, f"text_{language} is empty")
            item["text"][language] = text
        if self.flag(number, cells, "reverse", default=False):
            item["reverse"] = True
        if not self.flag(number, cells, "required", default=True):
            item["required"] = False
        for column, allowed in (("target", TARGETS), ("perspective", PERSPECTIVES)):
            value = cells.get(column, "")
            if value and value not in allowed:
                self.add(number, f"{column} must be empty or one of {', '.join(allowed)}, got {value!r}")
            elif value and not (column == "perspective" and value == "own"):
                item[column] = value
        if cells.get("mirrors"):
            item["mirrors"] = cells["mirrors"]
        if cells.get("audience"):
            functions = [part for part in re.split(r"[,;\s]+", cells["audience"]) if part]
            wrong = [function for function in functions if function not in FUNCTIONS]
            if wrong:
                self.add(
                    number,
                    f"audience must list functions from {', '.join(FUNCTIONS)} separated by commas, "
                    f"got {', '.join(repr(function) for function in wrong)}",
                )
            item["audience"] = functions
        self.entries.append(item)
        self.entry_rows.append(number)

    def flag(self, number: int, cells: dict[str, str], column: str, *, default: bool) -> bool:
        value = cells.get(column, "").lower()
        if not value:
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        self.add(number, f"{column} must be yes/no/true/false/1/0, got {cells[column]!r}")
        return default

    def note_dimension(self, number: int, dimension: str, cells: dict[str, str]) -> None:
        self.dimension_rows.setdefault(dimension, number)
        fields = self.dimension_fields.setdefault(dimension, {})
        for column, value in cells.items():
            if not value or not (
                column.startswith(("dimension_name_", "dimension_description_"))
                or column == "dimension_min_valid"
            ):
                continue
            if column == "dimension_min_valid" and not value.isdigit():
                self.add(number, f"dimension_min_valid must be a whole number, got {value!r}")
                continue
            if column in fields and fields[column][0] != value:
                earlier, earlier_row = fields[column]
                self.add(
                    number,
                    f"{column} {value!r} differs from {earlier!r} in row {earlier_row} "
                    f"for dimension {dimension!r}",
                )
            else:
                fields.setdefault(column, (value, number))

    def dimension_entries(self) -> list[dict[str, Any]]:
        entries = []
        for dimension, fields in self.dimension_fields.items():
            fallback = dimension.replace("_", " ").replace("-", " ").capitalize()
            entry: dict[str, Any] = {
                "id": dimension,
                "name": _Texts(
                    {
                        language: fields.get(f"dimension_name_{language}", (fallback,))[0]
                        for language in self.languages
                    }
                ),
            }
            descriptions = _Texts(
                {
                    language: fields[f"dimension_description_{language}"][0]
                    for language in self.languages
                    if f"dimension_description_{language}" in fields
                }
            )
            if descriptions:
                entry["description"] = descriptions
            if "dimension_min_valid" in fields:
                entry["min_valid"] = int(fields["dimension_min_valid"][0])
            entries.append(entry)
        return entries

    def translate(self, field: str, message: str) -> TableProblem:
        """Restate a validator problem about the generated definition in terms of the table."""
        match = re.fullmatch(r"items\[(\d+)\](?:\.(\w+))?(.*)", field)
        if match:
            row = self.entry_rows[int(match[1])]
            column = match[2] or "item"
            return TableProblem(row, f"{column}: {message}")
        match = re.fullmatch(r"dimensions\[(\d+)\](?:\.(\w+))?.*", field)
        if match:
            dimension = list(self.dimension_fields)[int(match[1])]
            column = {"min_valid": "dimension_min_valid"}.get(match[2] or "", "dimension")
            return TableProblem(self.dimension_rows[dimension], f"{column}: {message}")
        return TableProblem(None, f"{field}: {message}" if field else message)


# --- instrument -> table ----------------------------------------------------------------------


def instrument_to_rows(instrument: Instrument) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of an item table for ``instrument``, in display order.

    Prompts, title, introduction, citation and licence have no place in the table and are left
    out. Raises ``ValueError`` when an item uses a scale that is not one of :data:`BUILTIN_SCALES`,
    and for an instrument with vignettes (a table has no columns for attributes and profiles).
    """
    if instrument.attributes:
        raise ValueError(
            f"instrument {instrument.key} has vignettes (attributes and profiles), which a table cannot "
            f"carry; edit its YAML file instead"
        )
    for scale in instrument.scales.values():
        builtin = BUILTIN_SCALES.get(scale.id)
        same = builtin is not None and {point.value: dict(point.labels) for point in scale.points} == {
            value: {language: labels[language] for language in instrument.languages if language in labels}
            for value, labels in builtin["labels"].items()
        }
        if not same and any(item.scale == scale.id for item in instrument.items):
            raise ValueError(
                f"instrument {instrument.key} uses scale {scale.id!r}, which a table cannot carry: "
                f"tables name one of the built-in scales {', '.join(BUILTIN_SCALES)} with their labels"
            )
    languages = instrument.languages
    columns = [*REQUIRED_COLUMNS, *(f"text_{language}" for language in languages)]
    columns += ["required", "target", "perspective", "mirrors", "audience"]
    columns += [f"dimension_name_{language}" for language in languages]
    columns += [f"dimension_description_{language}" for language in languages]
    columns += ["dimension_min_valid"]
    page_starts = {page[0] for page in instrument.pages[1:]} if _has_page_breaks(instrument) else set()
    rows: list[dict[str, str]] = []
    for item in instrument.items:
        if item.id in page_starts:
            rows.append({"item_id": PAGE_BREAK})
        rows.append(_item_row(instrument, item.id))
    return columns, rows


def _has_page_breaks(instrument: Instrument) -> bool:
    """Whether the pages differ from the default of one page per dimension."""
    by_dimension: dict[str, list[str]] = {}
    for item in instrument.items:
        by_dimension.setdefault(item.dimension, []).append(item.id)
    return instrument.pages != tuple(tuple(ids) for ids in by_dimension.values())


def _item_row(instrument: Instrument, item_id: str) -> dict[str, str]:
    item = instrument.item(item_id)
    dimension = instrument.dimension(item.dimension)
    default_audience = (
        (item.target,) if item.perspective == "meta" and item.target in ("sales", "marketing") else ()
    )
    row = {
        "item_id": item.id,
        "dimension": item.dimension,
        "scale": item.scale,
        "reverse": "yes" if item.reverse else "no",
        "required": "" if item.required else "no",
        "target": item.target or "",
        "perspective": item.perspective if item.perspective != "own" else "",
        "mirrors": item.mirrors or "",
        "audience": ", ".join(item.audience) if item.audience != default_audience else "",
        "dimension_min_valid": (
            str(dimension.min_valid)
            if dimension.min_valid != default_min_valid(len(dimension.item_ids))
            else ""
        ),
    }
    for language in instrument.languages:
        row[f"text_{language}"] = item.text.get(language, "")
        row[f"dimension_name_{language}"] = dimension.name.get(language, "")
        row[f"dimension_description_{language}"] = dimension.description.get(language, "")
    return row


def export_table(instrument: Instrument, path: str | Path) -> None:
    """Write ``instrument``'s items as a ``.csv`` or ``.xlsx`` table that :func:`import_table` reads."""
    columns, rows = instrument_to_rows(instrument)
    write_table(columns, rows, path)
