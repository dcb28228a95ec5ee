"""Reading the tables people keep in spreadsheets: CSV and the first sheet of an XLSX workbook.

Item banks (:mod:`instruments.spreadsheet`) and rosters (``survey.services.roster``) arrive this
way. CSV files are read as UTF-8 (with or without a byte-order mark) with ``,``, ``;`` or tab
as separator (spreadsheets in many European locales write semicolons). Every cell becomes
stripped text: whole numbers lose the ``.0`` a spreadsheet gives them, dates are written as ISO
dates, booleans as ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

__all__ = ["TableError", "cell_text", "read_cells", "table_format"]


class TableError(ValueError):
    """A file that cannot be read as a table; the message says why, for the person who made it."""


def read_cells(data: bytes, filename: str) -> list[list[str]]:
    """The rows of a ``.csv`` or ``.xlsx`` file (chosen by ``filename``) as lists of cell text.

    Raises
    ------
    TableError
        For another kind of file, a CSV file that is not UTF-8, or an unreadable workbook.
    """
    return _csv_cells(data) if table_format(filename) == "csv" else _xlsx_cells(data)


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


def _csv_cells(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.") from error
    first_line = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]


def _xlsx_cells(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # imported here: only this format needs it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise TableError("The XLSX file cannot be read; is it an Excel workbook?") from error
    try:
        sheet = workbook.worksheets[0]
        return [[cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
