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
read in a separate Python process that the operating system stops at 256 MB of memory and that
is ended after 10 seconds, and whose memory is returned when it exits. Within those bounds the
reader counts rows, columns, cells and characters, so a file over a limit is refused with a
message saying which, usually long before a hard limit is reached. Workbooks are parsed with
``defusedxml`` (XML entity declarations and external references are refused).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
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

    ``seconds`` and ``memory_bytes`` are hard limits on the reading process (the memory limit
    needs an operating system with ``resource``, such as Linux or macOS); the others are
    counted while reading.
    """

    #: Wall-clock time for reading, process start included.
    seconds: float = 10.0
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
    # Isolated mode (-I): no user site, no PYTHON* variables, and this folder not on the path.
    # openpyxl's XML goes through defusedxml only without lxml, so lxml is kept out.
    environment = {**os.environ, "OPENPYXL_DEFUSEDXML": "True", "OPENPYXL_LXML": "False"}
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter running this very file
            [sys.executable, "-I", os.path.abspath(__file__)],
            input=request + data,
            capture_output=True,
            timeout=limits.seconds,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TableError(_too_slow(limits)) from None
    if done.returncode == 0:
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and "error" in answer:
            raise TableError(answer["error"])
        if isinstance(answer, dict) and "rows" in answer:
            return [(number, cells) for number, cells in answer["rows"]]
    logger.warning(
        "The table reader ended with status %s: %s",
        done.returncode,
        done.stderr[-2000:].decode(errors="replace"),
    )
    if getattr(signal, "SIGXCPU", None) is not None and done.returncode == -signal.SIGXCPU:
        raise TableError(_too_slow(limits))
    raise TableError(
        f"The file could not be read within the limits for one file ({limits.seconds:g} seconds, "
        f"{limits.memory_bytes // 2**20} MB of memory). Save it again from your spreadsheet program, "
        "or split it into smaller files."
    )


def _too_slow(limits: ReadLimits) -> str:
    return (
        f"Reading the file took longer than {limits.seconds:g} seconds, the most one file may take. "
        "Save it again from your spreadsheet program, or split it into smaller files."
    )


def _child() -> None:
    """The reading process: a JSON request line and the file on stdin, a JSON answer on stdout."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    request = json.loads(stdin.readline())
    limits = ReadLimits(**request["limits"])
    _confine(limits)
    data = stdin.read()
    try:
        answer: dict[str, Any] = {"rows": _read(data, request["format"], limits)}
        del data
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    except TableError as error:
        payload = json.dumps({"error": str(error)}).encode()
    except MemoryError:
        payload = json.dumps({"error": _too_big(limits)}).encode()
    stdout.write(payload)
    stdout.flush()


def _confine(limits: ReadLimits) -> None:
    import warnings

    warnings.simplefilter("ignore")  # a workbook's unsupported extensions are not the reader's news
    # openpyxl imports numpy and Pillow when it finds them, for writing; reading needs neither,
    # and numpy's start-up alone reserves more address space than the memory limit leaves.
    sys.modules.update(numpy=None, PIL=None)
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
        self.deadline = time.monotonic() + 0.9 * limits.seconds if limits else math.inf

    def add(self, number: int, cells: list[str]) -> None:
        while cells and not cells[-1]:
            cells.pop()
        if self.limits is None:
            if cells:
                self.rows.append((number, cells))
            return
        if time.monotonic() > self.deadline:
            raise TableError(_too_slow(self.limits))
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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.") from error
    if rows.limits is not None:
        # This process reads nothing else, so the csv module's global limit can be ours.
        csv.field_size_limit(rows.limits.max_cell_chars + 1)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=_separator(text),
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=True,
    )
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 - the number is wanted after the loop
            rows.add(number, [cell.strip() for cell in cells])
    except csv.Error as error:
        if "field larger than field limit" in str(error) and rows.limits is not None:
            raise TableError(_cell_too_long(f"Line {reader.line_num}", rows.limits)) from None
        raise TableError(
            f"Line {reader.line_num} of the CSV file cannot be read ({error}): a quoted cell must end "
            "with a quote followed by the separator or the end of the line, and quotes inside it are "
            'doubled (""). Save the file again from your spreadsheet program.'
        ) from None


def _separator(text: str) -> str:
    """The separator that occurs most often in the first line outside quotes; a comma if none does."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    quoted = False
    for character in text[: text.find("\n") if "\n" in text else len(text)]:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(_SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _read_xlsx(data: bytes, rows: _Rows, limits: ReadLimits | None) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise TableError(_NOT_A_WORKBOOK) from error
    if limits is not None and unpacked > limits.max_unpacked_bytes:
        raise TableError(
            f"The workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the "
            f"{limits.max_unpacked_bytes // 2**20} MB one file may hold; split it into smaller files."
        )
    from openpyxl import load_workbook  # imported here: only this format needs it
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML and limits is not None:
        raise RuntimeError("defusedxml is not installed: workbooks from outside are not read without it")
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The size a sheet records may be stale (rows beyond it would be dropped) or absurd
        # (every row padded to it): read the rows as they are stored instead.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.add(number, [cell_text(value) for value in values])
    except (TableError, MemoryError):
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise TableError(_workbook_problem(error)) from error
    finally:
        if workbook is not None:
            workbook.close()


_NOT_A_WORKBOOK = "The XLSX file cannot be read; is it an Excel workbook? It is damaged or of another kind."


def _workbook_problem(error: Exception) -> str:
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - a dependency
        return _NOT_A_WORKBOOK
    seen: BaseException | None = error
    while seen is not None and not isinstance(seen, DefusedXmlException):
        seen = seen.__cause__ or seen.__context__  # openpyxl wraps what the parser raised
    if seen is not None:
        return (
            "The XLSX file contains XML entity declarations or external references, which spreadsheet "
            "programs never write; it was not read. Save it again from your spreadsheet program."
        )
    return _NOT_A_WORKBOOK


if __name__ == "__main__":
    _child()
