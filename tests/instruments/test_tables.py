"""Reading CSV and XLSX tables: separators, encodings and spreadsheet cell types."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from instruments.tables import TableError, cell_text, read_cells


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_separators_and_byte_order_mark(separator):
    text = f"item_id{separator}text_en\nq1{separator} Works well \n"
    rows = read_cells(("\ufeff" + text).encode(), "items.csv")
    assert rows == [["item_id", "text_en"], ["q1", "Works well"]]


def test_quoted_cells_keep_their_separators_and_line_breaks():
    data = b'id,text\nq1,"First line\nsecond, with a comma"\n'
    assert read_cells(data, "x.CSV")[1] == ["q1", "First line\nsecond, with a comma"]


def test_workbook_cells_become_text():
    workbook = Workbook()
    workbook.active.append(["n", "share", "when", "at", "flag", "empty"])
    workbook.active.append([3.0, 0.25, date(2026, 11, 2), datetime(2026, 11, 2, 9, 30), True, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = read_cells(buffer.getvalue(), "roster.xlsx")
    assert rows[1] == ["3", "0.25", "2026-11-02T00:00:00", "2026-11-02T09:30:00", "true", ""]
    assert cell_text(date(2026, 1, 5)) == "2026-01-05"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("items.ods", b"", "items.ods is neither a .csv nor an .xlsx file"),
        ("items.csv", "id\nü\n".encode("latin-1"), "not UTF-8"),
        ("items.xlsx", b"PK not really", "cannot be read"),
    ],
)
def test_unreadable_files_say_why(filename, data, message):
    with pytest.raises(TableError, match=message):
        read_cells(data, filename)
