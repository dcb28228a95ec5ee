"""Reading the tables people keep in spreadsheets: CSV and the first sheet of an XLSX workbook.

Item banks (:mod:`instruments.spreadsheet`) and rosters (``survey.services.roster``) arrive this
way. CSV files are read as UTF-8 (with or without a byte-order mark) with ``,``, ``;`` or tab
as separator (spreadsheets in many European locales write semicolons), chosen by counting them
in the first line outside quotes; cells follow the quoting rules spreadsheets write (a quoted
cell may hold separators, line breaks and doubled quotes ``""``), and a cell whose quotes are
broken is an error naming its line rather than a silently merged cell. Every cell becomes
stripped text: whole numbers lose the ``.0`` a spreadsheet gives them, dates are written as ISO
dates, booleans as ``true``/``false``. A workbook is read row by row as it is stored, whatever
size its sheet claims to have, so no row is left out and none is invented.

Files come from outside, so reading is bounded (:class:`ReadLimits`): by default each file is
read in a separate Python process that the operating system stops at 256 MB of memory and at
10 seconds of processor time, that is ended after 20 seconds whatever it is doing, and whose
memory is returned when it exits. Within those bounds the reader counts rows, columns, cells
and characters, so a file over a limit is refused with a message saying which, usually long
before a hard limit is reached. Workbooks are read by a streaming reader of our own (no row is
padded to a size the sheet claims) whose XML parser is ``defusedxml``'s, with document type
declarations, and so entity expansion and external references, refused.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import logging
import math
import os
import posixpath
import re
import signal
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

__all__ = [
    "DEFAULT_LIMITS",
    "ReadLimits",
    "TableError",
    "cell_text",
    "column_letter",
    "read_cells",
    "read_rows",
    "stray_cells",
    "table_format",
]

logger = logging.getLogger(__name__)


class TableError(ValueError):
    """A file that cannot be read as a table; the message says why, for the person who made it."""


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost; a file beyond any of them is a :class:`TableError`.

    ``seconds``, ``wall_seconds`` and ``memory_bytes`` are hard limits on the reading process
    (processor time and memory need an operating system with ``resource``, such as Linux or
    macOS); the others are counted while reading.
    """

    #: Processor time for reading: what the file costs, however busy the machine is.
    seconds: float = 10.0
    #: Wall-clock time after which the reading process is ended whatever it is doing (on a busy
    #: machine a reader gets less than all of a processor).
    wall_seconds: float = 20.0
    #: Address space of the reading process.
    memory_bytes: int = 256 * 1024 * 1024
    #: Non-empty rows below the first one (the header).
    max_rows: int = 100_000
    #: Cells in one row, up to its last non-empty one.
    max_columns: int = 1_000
    #: Characters in one cell (Excel's own limit is 32,767).
    max_cell_chars: int = 32_767
    #: Cells in the whole table (blank ones included, up to each row's last non-empty one).
    max_cells: int = 1_000_000
    #: Characters in all cells together.
    max_text_chars: int = 16 * 1024 * 1024
    #: Bytes of all the parts of a workbook once unpacked (a ZIP archive may unpack to far more
    #: than it weighs).
    max_unpacked_bytes: int = 128 * 1024 * 1024

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{field.name} must be a positive number, got {value!r}")


#: The limits :func:`read_rows` and :func:`read_cells` apply unless told otherwise.
DEFAULT_LIMITS = ReadLimits()

Row = tuple[int, list[str]]
"""A row number as a spreadsheet shows it (the first row is 1) and the row's cells."""


def read_rows(data: bytes, filename: str, *, limits: ReadLimits | None = DEFAULT_LIMITS) -> list[Row]:
    """The non-blank rows of a ``.csv`` or ``.xlsx`` file (chosen by ``filename``), numbered.

    Each row's cells are text, up to its last non-blank cell; blank rows are left out but keep
    their place in the numbering.

    Parameters
    ----------
    data, filename
        The file's bytes and name; only the name's ending is used.
    limits
        What reading may cost (see :class:`ReadLimits`). ``None`` reads in this process without
        any limit: only for files the caller trusts.

    Raises
    ------
    TableError
        For another kind of file, a CSV file that is not UTF-8 or whose quotes are broken, an
        unreadable or unsafe workbook, or a file beyond ``limits``.
    """
    kind = table_format(filename)
    if limits is None:
        return _read(data, kind, None)
    return _read_in_child(data, kind, limits)


def read_cells(data: bytes, filename: str, *, limits: ReadLimits | None = DEFAULT_LIMITS) -> list[list[str]]:
    """The rows of a ``.csv`` or ``.xlsx`` file as lists of cell text, blank rows as ``[]``.

    Row ``n`` of the file is element ``n - 1``; trailing blank cells and rows are left out.
    Arguments and errors as for :func:`read_rows`.
    """
    table: list[list[str]] = []
    for number, cells in read_rows(data, filename, limits=limits):
        table.extend([] for _ in range(number - 1 - len(table)))
        table.append(cells)
    return table


def table_format(filename: str) -> str:
    """``"csv"`` or ``"xlsx"`` by the file name's ending; :class:`TableError` for anything else."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in ("csv", "xlsx"):
        raise TableError(f"{filename or 'The file'} is neither a .csv nor an .xlsx file.")
    return suffix


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def column_letter(number: int) -> str:
    """The spreadsheet name of column ``number`` (1 is ``A``, 27 is ``AA``)."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"number must be a positive integer, got {number!r}")
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def stray_cells(header: Sequence[str], cells: Sequence[str]) -> list[str]:
    """Letters of the columns where ``cells`` holds a value but ``header`` names no column.

    Such a value belongs to no field, so readers report it instead of dropping it.
    """
    return [
        column_letter(index)
        for index, value in enumerate(cells, start=1)
        if value and (index > len(header) or not header[index - 1])
    ]


# --- reading in a process of its own ------------------------------------------------------------


def _read_in_child(data: bytes, kind: str, limits: ReadLimits) -> list[Row]:
    request = json.dumps({"format": kind, "limits": dataclasses.asdict(limits)}).encode() + b"\n"
    try:
        # Isolated mode (-I): no user site, no PYTHON* variables, and this folder not on the path.
        done = subprocess.run(  # noqa: S603 - our own interpreter running this very file
            [sys.executable, "-I", os.path.abspath(__file__)],
            input=request + data,
            capture_output=True,
            timeout=limits.wall_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TableError(
            f"Reading the file did not finish within {limits.wall_seconds:g} seconds. Try again in a "
            "moment; if it happens again, split the file into smaller ones."
        ) from None
    if done.returncode == 0:
        body, _, peak = done.stdout.rpartition(b"\n")
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and "error" in answer:
            logger.debug(
                "Refused a %s file (reader's peak memory %s kB): %s", kind, peak.decode(), answer["error"]
            )
            raise TableError(answer["error"])
        if isinstance(answer, dict) and "rows" in answer:
            logger.debug("Read a %s file of %d rows (reader's peak memory %s kB)", kind, len(answer["rows"]),
                         peak.decode())  # fmt: skip
            return [(number, cells) for number, cells in answer["rows"]]
    logger.warning(
        "The table reader ended with status %s: %s",
        done.returncode,
        done.stderr[-2000:].decode(errors="replace"),
    )
    if getattr(signal, "SIGXCPU", None) is not None and done.returncode == -signal.SIGXCPU:
        raise TableError(_too_slow(limits))
    raise TableError(
        f"The file could not be read within the limits for one file ({limits.seconds:g} seconds of "
        f"processor time, {limits.memory_bytes // 2**20} MB of memory). Save it again from your "
        "spreadsheet program, or split it into smaller files."
    )


def _too_slow(limits: ReadLimits) -> str:
    return (
        f"Reading the file took more than {limits.seconds:g} seconds of processor time, the most one "
        "file may take. Save it again from your spreadsheet program, or split it into smaller files."
    )


#: Memory the reading process holds back, and gives up when the rest has run out, so that it can
#: still say so.
_RESERVE_BYTES = 4 * 1024 * 1024


def _child() -> None:
    """The reading process: a JSON request line and the file on stdin; on stdout a JSON answer,
    a line break and the process's peak resident memory in kB (for the log)."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    request = json.loads(stdin.readline())
    limits = ReadLimits(**request["limits"])
    _confine(limits)
    reserve = [bytearray(_RESERVE_BYTES)]
    data = stdin.read()
    payload = b""
    # Answers are written after the except blocks: inside one, the traceback still holds the
    # frames of the reader, and with them every row read.
    try:
        rows: list[Row] | None = _read(data, request["format"], limits)
    except TableError as refused:
        rows, error = None, str(refused)
    except MemoryError:
        rows, error = None, ""
        reserve.clear()
    del data
    if rows is not None:
        try:
            payload = json.dumps({"rows": rows}, ensure_ascii=False).encode("utf-8")
        except MemoryError:
            payload, error = b"", ""
            reserve.clear()
        rows = None
    if not payload:
        reserve.clear()
        payload = json.dumps({"error": error or _too_big(limits)}).encode()
    stdout.write(payload + b"\n" + _peak_kib().encode())
    stdout.flush()


def _peak_kib() -> str:
    """The process's peak resident memory in kB (``VmHWM``, which starts afresh at exec), or ``?``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next((line.split()[1] for line in status if line.startswith("VmHWM:")), "?")
    except OSError:  # not Linux
        return "?"


def _confine(limits: ReadLimits) -> None:
    import warnings

    warnings.simplefilter("ignore")  # nothing the reader could warn about is the caller's news
    try:
        import resource
    except ImportError:  # no such limits on this system; the time limit still holds
        return
    for kind, wanted in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_CPU, math.ceil(limits.seconds) + 1),
    ):
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(kind, (wanted, wanted))


def _too_big(limits: ReadLimits) -> str:
    return (
        f"Reading the file needed more than {limits.memory_bytes // 2**20} MB of memory, the most one "
        "file may use. Save it again from your spreadsheet program, or split it into smaller files."
    )


# --- the readers --------------------------------------------------------------------------------


def _read(data: bytes, kind: str, limits: ReadLimits | None) -> list[Row]:
    rows = _Rows(limits)
    if kind == "csv":
        _read_csv(data, rows)
    else:
        _read_xlsx(data, rows, limits)
    return rows.rows


class _Rows:
    """The rows read so far, counted against the limits as they come."""

    def __init__(self, limits: ReadLimits | None) -> None:
        self.limits = limits
        self.rows: list[Row] = []
        self.cells = self.chars = 0
        # Leave the last tenth of the time for the answer, so the process says why it stopped.
        self.deadline = time.process_time() + 0.9 * limits.seconds if limits else math.inf
        self.calls = 0

    def check_time(self) -> None:
        if self.limits is not None and time.process_time() > self.deadline:
            raise TableError(_too_slow(self.limits))

    def add(self, number: int, cells: list[str]) -> None:
        while cells and not cells[-1]:
            cells.pop()
        if self.limits is None:
            if cells:
                self.rows.append((number, cells))
            return
        self.calls += 1
        if self.calls % 256 == 0:
            self.check_time()
        if not cells:
            return
        limits = self.limits
        if len(self.rows) > limits.max_rows:
            raise TableError(
                f"The file has more than {limits.max_rows:,} rows below its header; "
                f"split it into files of at most {limits.max_rows:,} rows."
            )
        if len(cells) > limits.max_columns:
            raise TableError(
                f"Row {number} has {len(cells):,} cells; a table may have at most {limits.max_columns:,} "
                "columns."
            )
        for index, cell in enumerate(cells, start=1):
            if len(cell) > limits.max_cell_chars:
                raise TableError(_cell_too_long(f"Row {number}, column {column_letter(index)}", limits))
        self.cells += len(cells)
        self.chars += sum(map(len, cells))
        if self.cells > limits.max_cells:
            raise TableError(
                f"The file has more than {limits.max_cells:,} cells; split it into smaller files."
            )
        if self.chars > limits.max_text_chars:
            raise TableError(
                f"The file holds more than {limits.max_text_chars:,} characters of text; "
                "split it into smaller files."
            )
        self.rows.append((number, cells))


def _cell_too_long(where: str, limits: ReadLimits) -> str:
    return (
        f"{where}: the cell holds more than {limits.max_cell_chars:,} characters, the most a cell may hold."
    )


_SEPARATORS = (",", ";", "\t")


def _read_csv(data: bytes, rows: _Rows) -> None:
    # Decoded as it is read: the file's text is never held twice.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    not_utf8 = TableError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.")
    try:
        first = stream.readline()
    except UnicodeDecodeError as error:
        raise not_utf8 from error
    separator = _separator(first)
    if rows.limits is not None:
        # This process reads nothing else, so the csv module's global limit can be ours.
        csv.field_size_limit(rows.limits.max_cell_chars + 1)
    lines = itertools.chain([first], stream)
    if rows.limits is not None and _has_long_line(data, rows.limits.max_columns):
        lines = _counted_lines(lines, separator, rows.limits)
    reader = csv.reader(lines, delimiter=separator, quotechar='"', doublequote=True, strict=True)
    try:
        for number, cells in enumerate(reader, start=1):
            if cells:
                rows.add(number, [cell.strip() for cell in cells])
            elif number % 4096 == 0:  # blank lines cost time too
                rows.check_time()
    except UnicodeDecodeError as error:
        raise not_utf8 from error
    except csv.Error as error:
        if "field larger than field limit" in str(error) and rows.limits is not None:
            raise TableError(_cell_too_long(f"Line {reader.line_num}", rows.limits)) from None
        raise TableError(
            f"Line {reader.line_num} of the CSV file cannot be read ({error}): a quoted cell must end "
            "with a quote followed by the separator or the end of the line, and quotes inside it are "
            'doubled (""). Save the file again from your spreadsheet program.'
        ) from None


def _outside_quotes(line: str, quoted: bool) -> tuple[list[str], bool]:
    """The stretches of ``line`` outside quotes, and whether the line ends inside quotes.

    A doubled quote inside a quoted cell toggles twice, so it changes nothing; that is why
    counting quotes is enough.
    """
    parts = line.split('"')
    outside = parts[1::2] if quoted else parts[0::2]
    return outside, quoted != (len(parts) % 2 == 0)


def _has_long_line(data: bytes, length: int) -> bool:
    """Whether a line of ``data`` is ``length`` bytes or longer (only such a line can hold
    ``length`` cells), found without splitting the file."""
    return re.search(rb"[^\n]{%d}" % length, data) is not None


def _counted_lines(lines, separator: str, limits: ReadLimits):
    """``lines`` as they are, refusing one with more cells than ``limits`` allow before the csv
    module builds them all (a single line of millions of cells would take it all the memory)."""
    quoted = False
    for number, line in enumerate(lines, start=1):
        outside, ends_quoted = _outside_quotes(line, quoted)
        if sum(part.count(separator) for part in outside) >= limits.max_columns:
            raise TableError(
                f"Line {number} has more than {limits.max_columns:,} cells; a table may have at most "
                f"{limits.max_columns:,} columns."
            )
        quoted = ends_quoted
        yield line


def _separator(line: str) -> str:
    """The separator that occurs most often in ``line`` outside quotes; a comma if none does."""
    outside, _ = _outside_quotes(line, False)
    counts = {separator: sum(part.count(separator) for part in outside) for separator in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


# --- workbooks -----------------------------------------------------------------------------------
#
# An XLSX file is a ZIP archive of XML parts: the workbook names its sheets and points, through
# its relationships, at each sheet, the shared strings (text that cells refer to by number) and
# the styles (which say, among other things, that a number is a date). The first sheet is read
# as it is stored, row by row, with every XML part parsed by defusedxml, which refuses document
# type declarations (and with them entity expansion and external references).

#: Rows a sheet can have (Excel's limit); a larger row number is a damaged or forged file.
MAX_SHEET_ROWS = 1_048_576
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#: Built-in number formats that show a date or time (ECMA-376 part 1, 18.8.30).
_DATE_FORMAT_IDS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_NOT_A_WORKBOOK = "The XLSX file cannot be read; is it an Excel workbook? It is damaged or of another kind."
_UNSAFE_WORKBOOK = (
    "The XLSX file contains XML entity declarations or external references, which spreadsheet programs "
    "never write; it was not read. Save it again from your spreadsheet program."
)


def _read_xlsx(data: bytes, rows: _Rows, limits: ReadLimits | None) -> None:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise TableError(_NOT_A_WORKBOOK) from error
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if limits is not None and unpacked > limits.max_unpacked_bytes:
            raise TableError(
                f"The workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the "
                f"{limits.max_unpacked_bytes // 2**20} MB one file may hold; split it into smaller files."
            )
        try:
            _read_workbook(archive, rows)
        except DefusedXmlException as error:
            raise TableError(_UNSAFE_WORKBOOK) from error
        except (ParseError, KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            if isinstance(error, TableError):
                raise
            raise TableError(_NOT_A_WORKBOOK) from error


def _read_workbook(archive, rows: _Rows) -> None:
    workbook_path = next(
        (path for kind, path in _relationships(archive, "").values() if kind == "officeDocument"),
        "xl/workbook.xml",
    )
    workbook = _Elements("sheet", "workbookPr")
    _parse(archive, workbook_path, workbook)
    sheets = [attrib for local, attrib, _ in workbook.found if local == "sheet"]
    if not sheets:
        raise TableError("The XLSX file has no sheet.")
    properties = next((attrib for local, attrib, _ in workbook.found if local == "workbookPr"), {})
    date1904 = properties.get("date1904", "false").lower() in ("1", "true")
    related = _relationships(archive, workbook_path)
    sheet_id = next((value for name, value in sheets[0].items() if name.endswith("}id")), "")
    if sheet_id not in related:
        raise TableError(_NOT_A_WORKBOOK)
    paths = {kind: path for kind, path in related.values()}
    dates = _date_styles(archive, paths["styles"]) if "styles" in paths else {}
    strings = _shared_strings(archive, paths["sharedStrings"], rows) if "sharedStrings" in paths else []
    _parse(archive, related[sheet_id][1], _Sheet(rows, strings, dates, date1904))


def _parse(archive, path: str, target) -> None:
    """Feed the XML part ``path`` to ``target`` (start, end, data) through defusedxml."""
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    with archive.open(path) as part:
        while chunk := part.read(1 << 16):
            parser.feed(chunk)
    parser.close()


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """``row`` for ``{namespace}row``: parts are matched by local name, whatever the namespace."""
    local = _LOCAL_NAMES.get(tag)
    if local is None:
        local = _LOCAL_NAMES[tag] = tag[tag.rfind("}") + 1 :]
    return local


class _Elements:
    """Collects the attributes of the elements with the given local names, and their parents."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)
        self.found: list[tuple[str, dict[str, str], str]] = []
        self.open: list[str] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        local = _local(tag)
        if local in self.names:
            self.found.append((local, attrib, self.open[-1] if self.open else ""))
        self.open.append(local)

    def end(self, tag: str) -> None:
        self.open.pop()

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _relationships(archive, source: str) -> dict[str, tuple[str, str]]:
    """The relationships of the part ``source`` (``""``: the package): id -> (kind, part path)."""
    folder, name = posixpath.split(source)
    rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_path not in archive.namelist():
        return {}
    found = _Elements("Relationship")
    _parse(archive, rels_path, found)
    related = {}
    for _, attrib, _ in found.found:
        target = attrib.get("Target", "")
        if attrib.get("TargetMode") == "External" or not target:
            continue
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        related[attrib.get("Id", "")] = (attrib.get("Type", "").rsplit("/", 1)[-1], path)
    return related


def _date_styles(archive, path: str) -> dict[int, str]:
    """Cell style index -> ``"date"`` or ``"duration"`` for the styles that show numbers so."""
    found = _Elements("numFmt", "xf")
    _parse(archive, path, found)
    formats = {
        int(attrib["numFmtId"]): attrib.get("formatCode", "")
        for local, attrib, _ in found.found
        if local == "numFmt" and attrib.get("numFmtId", "").isdigit()
    }
    styles = {}
    cell_formats = [attrib for local, attrib, parent in found.found if local == "xf" and parent == "cellXfs"]
    for index, attrib in enumerate(cell_formats):
        number_format = int(attrib.get("numFmtId", "0") or 0)
        kind = "date" if number_format in _DATE_FORMAT_IDS else _format_kind(formats.get(number_format, ""))
        if kind:
            styles[index] = kind
    return styles


def _format_kind(code: str) -> str:
    """``"duration"`` for an elapsed-time format (``[h]:mm``), ``"date"`` for one showing a date or
    time of day, else ``""``. Quoted text, escaped characters and bracketed colours, conditions
    and currencies say nothing about it and are left out first."""
    code = code.split(";", 1)[0]
    if any(part in code.lower() for part in ("[h]", "[hh]", "[m]", "[mm]", "[s]", "[ss]")):
        return "duration"
    plain, quoted, index = [], False, 0
    while index < len(code):
        character = code[index]
        if character == '"':
            quoted = not quoted
        elif quoted:
            pass
        elif character in "\\_*":  # the next character is shown (or used for padding) as it is
            index += 1
        elif character == "[":
            index = code.find("]", index) if "]" in code[index:] else len(code)
        else:
            plain.append(character.lower())
        index += 1
    return "date" if any(letter in "dmyhs" for letter in plain) else ""


class _Texts:
    """The shared strings: text per ``<si>``, runs joined, phonetic guides (``<rPh>``) left out."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.strings: list[str] = []
        self.parts: list[str] | None = None
        self.phonetic = 0
        self.reading = False
        self.chars = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            self.parts = []
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and not self.phonetic:
            self.reading = self.parts is not None

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local == "t":
            self.reading = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si" and self.parts is not None:
            text = _unescape("".join(self.parts))
            self.parts = None
            self.strings.append(text)
            self.chars += len(text)
            limits = self.rows.limits
            if limits is not None and (
                len(text) > limits.max_cell_chars
                or self.chars > limits.max_text_chars
                or len(self.strings) > limits.max_cells
            ):
                raise TableError(
                    "The workbook's shared texts are more than one file may hold (at most "
                    f"{limits.max_cells:,} texts of {limits.max_cell_chars:,} characters, "
                    f"{limits.max_text_chars:,} characters in all); split it into smaller files."
                )
            if len(self.strings) % 1024 == 0:
                self.rows.check_time()

    def data(self, text: str) -> None:
        if self.reading and self.parts is not None:
            self.parts.append(text)

    def close(self) -> None:
        pass


def _shared_strings(archive, path: str, rows: _Rows) -> list[str]:
    texts = _Texts(rows)
    _parse(archive, path, texts)
    return texts.strings


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Undo Excel's ``_xHHHH_`` escapes (characters XML cannot carry, such as a carriage return)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), text)


class _Sheet:
    """Turns a sheet's ``<row>`` and ``<c>`` elements into numbered rows of cell text."""

    def __init__(self, rows: _Rows, strings: list[str], dates: dict[int, str], date1904: bool) -> None:
        self.rows, self.strings, self.dates, self.date1904 = rows, strings, dates, date1904
        self.number = 0
        self.cells: list[str] | None = None
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.parts: list[str] | None = None
        self.inline = self.phonetic = 0
        self.wide = rows.limits.max_columns if rows.limits else 16_384

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c" and self.cells is not None:
            reference = attrib.get("r")
            self.column = _column_number(reference) if reference else self.column + 1
            self.kind = attrib.get("t", "n")
            style = attrib.get("s", "0")
            self.style = int(style) if style.isdigit() else 0
            self.parts = None
        elif local == "v" and self.cells is not None:
            self.parts = []
        elif local == "is":
            self.inline += 1
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.inline and not self.phonetic:
            self.parts = [] if self.parts is None else self.parts
        elif local == "row":
            number = attrib.get("r", "")
            number = int(number) if number.isdigit() else self.number + 1
            if number <= self.number or number > MAX_SHEET_ROWS:
                raise TableError(
                    f"The XLSX file is damaged: its sheet has a row {number} after row {self.number}."
                )
            self.number, self.cells, self.column = number, [], 0

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local == "c" and self.cells is not None:
            value = self._value("".join(self.parts) if self.parts is not None else "")
            self.parts = None
            if value:
                if self.column > self.wide:
                    raise TableError(
                        f"Row {self.number} has a value in column {column_letter(self.column)}; a table may "
                        f"have at most {self.wide:,} columns."
                    )
                self.cells.extend([""] * (self.column - 1 - len(self.cells)))
                if self.column <= len(self.cells):
                    raise TableError(f"The XLSX file is damaged: row {self.number} names a cell twice.")
                self.cells.append(value)
        elif local == "is":
            self.inline -= 1
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "row" and self.cells is not None:
            self.rows.add(self.number, self.cells)
            self.cells = None

    def data(self, text: str) -> None:
        if self.parts is not None and not self.phonetic:
            self.parts.append(text)

    def close(self) -> None:
        pass

    def _value(self, text: str) -> str:
        kind = self.kind
        if kind == "s":
            if not text.strip().isdigit() or int(text) >= len(self.strings):
                raise TableError(f"The XLSX file is damaged: row {self.number} refers to a missing text.")
            return self.strings[int(text)].strip()
        if kind in ("inlineStr", "str", "e"):
            return _unescape(text).strip()
        if kind == "b":
            return cell_text(text.strip() in ("1", "true"))
        text = text.strip()
        if not text:
            return ""
        if kind == "d":
            try:
                return datetime.fromisoformat(text).isoformat()
            except ValueError:
                return text
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return text
        style = self.dates.get(self.style)
        if style and math.isfinite(number):
            return _serial_text(number, style, self.date1904)
        return cell_text(number)


def _column_number(reference: str) -> int:
    """The column of a cell reference such as ``AB12`` (28)."""
    number = 0
    for character in reference:
        if "A" <= character <= "Z":
            number = number * 26 + ord(character) - 64
        elif "a" <= character <= "z":
            number = number * 26 + ord(character) - 96
        else:
            break
        if number > 16_384:
            raise TableError(f"The XLSX file is damaged: it has a cell {reference[:20]!r} beyond column XFD.")
    return number or 1


def _serial_text(serial: float, kind: str, date1904: bool) -> str:
    """A spreadsheet's date number as text: ISO date and time, time of day, or a duration.

    Days count from 1904-01-01 in workbooks made so (old Macs), else from 1899-12-30, where the
    count is one off before 1 March 1900 because Lotus 1-2-3 (and so Excel) has a 29 February 1900.
    """
    if kind == "duration":
        return str(timedelta(milliseconds=round(serial * 86_400_000)))
    whole, fraction = divmod(serial, 1)
    moment = timedelta(milliseconds=round(fraction * 86_400_000))
    if 0 <= serial < 1 and moment.days == 0:
        return (datetime.min + moment).time().isoformat()
    if date1904:
        start = datetime(1904, 1, 1)
    else:
        start = datetime(1899, 12, 31) if 0 < serial < 60 else datetime(1899, 12, 30)
    try:
        return (start + timedelta(days=whole) + moment).isoformat()
    except OverflowError:  # beyond year 9999: not a date after all
        return cell_text(serial)


if __name__ == "__main__":
    _child()
