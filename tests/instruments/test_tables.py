"""Reading CSV and XLSX tables: separators, encodings, quoting, spreadsheet cell types, and the
limits that keep a hostile file from costing more than a clear error."""

from __future__ import annotations

import dataclasses
import io
import time
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from instruments.tables import (
    DEFAULT_LIMITS,
    ReadLimits,
    TableError,
    cell_text,
    column_letter,
    read_cells,
    read_rows,
    stray_cells,
)
from tests.workbooks import EXTERNAL, LAUGHS, SHEET, edit_part, with_dimension, with_doctype, workbook_bytes


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
    assert rows[1] == ["3", "0.25", "2026-11-02T00:00:00", "2026-11-02T09:30:00", "true"]
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


def test_doubled_quotes_are_read_whatever_the_header_looks_like():
    # The header has no quotes at all: the dialect must not be guessed from it.
    data = b'name,email\n"John ""Johnny"" Smith",j@example.org\n"""qualified lead""",x\n'
    assert read_cells(data, "a.csv")[1:] == [
        ['John "Johnny" Smith', "j@example.org"],
        ['"qualified lead"', "x"],
    ]


def test_the_separator_is_counted_outside_quotes():
    data = b'"e-mail; work";name;team\n"a@x.org";"Ann, B.";Sales\n'
    assert read_cells(data, "a.csv") == [["e-mail; work", "name", "team"], ["a@x.org", "Ann, B.", "Sales"]]


def test_extra_cells_are_kept_for_the_reader_to_report():
    rows = read_rows(b"email,team\n\na@x.org,Sales,surplus\n", "a.csv")
    assert rows == [(1, ["email", "team"]), (3, ["a@x.org", "Sales", "surplus"])]
    assert stray_cells(["email", "team"], rows[1][1]) == ["C"]
    assert stray_cells(["email", "", "team"], ["a", "b", "c"]) == ["B"]
    assert [column_letter(n) for n in (1, 26, 27, 703)] == ["A", "Z", "AA", "AAA"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'id,text\nq1,"unclosed\n', "Line 2 of the CSV file cannot be read"),
        (b'id,text\nq1,"quoted"then more\n', "Line 2 of the CSV file cannot be read"),
        (b"id,text\nq1," + b"x" * (128 * 1024 + 1) + b"\n", "more than 32,767 characters"),
        (b"id,text\nq1," + b"x" * 40_000 + b"\n", "Line 2: the cell holds more than 32,767 characters"),
    ],
)
def test_broken_quotes_and_huge_cells_are_clear_errors(data, message):
    with pytest.raises(TableError, match=message):
        read_rows(data, "items.csv")


def test_every_row_of_a_workbook_is_read_whatever_size_its_sheet_claims():
    rows = [["email", "team"], *([f"p{n}@x.org", "Sales"] for n in range(4))]
    stale = with_dimension(workbook_bytes(rows), "A1:B1")
    assert len(read_rows(stale, "a.xlsx")) == 5
    started = time.monotonic()
    huge = with_dimension(workbook_bytes(rows), "A1:XFD1048576")
    assert len(huge) < 11 * 1024
    assert read_rows(huge, "a.xlsx") == [(n + 1, row) for n, row in enumerate(rows)]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("declarations", [LAUGHS, EXTERNAL])
def test_workbooks_with_xml_entities_are_refused(declarations):
    data = with_doctype(workbook_bytes([["email"], ["a@x.org"]]), declarations, "a@x.org", "&d;&secret;")
    with pytest.raises(TableError, match="XML entity declarations or external references"):
        read_rows(data, "a.xlsx")


def test_a_damaged_sheet_is_a_clear_error():
    data = edit_part(workbook_bytes([["email"], ["a@x.org"]]), SHEET, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(TableError, match="The XLSX file cannot be read"):
        read_rows(data, "a.xlsx")


@pytest.mark.parametrize(
    ("limits", "data", "message"),
    [
        ({"max_rows": 2}, b"h\n1\n2\n3\n", "more than 2 rows below its header"),
        ({"max_columns": 3}, b"a,b,c,d\n", "Row 1 has 4 cells; a table may have at most 3 columns"),
        ({"max_cells": 5}, b"a,b\nc,d\ne,f\n", "more than 5 cells"),
        ({"max_text_chars": 5}, b"abc\ndef\n", "more than 5 characters of text"),
    ],
)
def test_limits_are_counted_while_reading(limits, data, message):
    with pytest.raises(TableError, match=message):
        read_rows(data, "a.csv", limits=dataclasses.replace(DEFAULT_LIMITS, **limits))


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_unread():
    data = workbook_bytes([["text"], ["x" * 30_000]])
    with pytest.raises(TableError, match="The workbook unpacks to"):
        read_rows(data, "a.xlsx", limits=dataclasses.replace(DEFAULT_LIMITS, max_unpacked_bytes=20_000))


def test_time_and_memory_are_hard_limits():
    # 400,000 short rows take longer than a fifth of a second to read, and more than 40 MB.
    data = b"n\n" + b"1,2,3\n" * 400_000
    with pytest.raises(TableError, match="took longer than 0.2 seconds"):
        read_rows(data, "a.csv", limits=dataclasses.replace(DEFAULT_LIMITS, seconds=0.2))
    with pytest.raises(TableError, match="more than 40 MB of memory"):
        read_rows(data, "a.csv", limits=dataclasses.replace(DEFAULT_LIMITS, memory_bytes=40 * 2**20))


def test_limits_are_checked():
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        ReadLimits(seconds=0)
    assert read_rows(b"a\n", "a.csv", limits=None) == [(1, ["a"])]
