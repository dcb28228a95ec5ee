"""Reading CSV and XLSX tables: separators, encodings, quoting, spreadsheet cell types, and the
limits that keep a hostile file from costing more than a clear error."""

from __future__ import annotations

import dataclasses
import io
import time
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    # Short names: pytest puts the test's name in PYTEST_CURRENT_TEST, and a 128 kB one is more
    # than the kernel lets one environment variable of the reader's child process be (E2BIG).
    ids=["unclosed quote", "text after a quote", "line past the reader's limit", "cell past Excel's limit"],
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
        (
            {"max_columns": 3},
            b"a,b,c,d\n",
            "Line 1 has more than 3 cells; a table may have at most 3 columns",
        ),
        ({"max_columns": 3}, b'a,"b,c,d"\n"e\nf",g,"h""i",j\n', "Line 3 has more than 3 cells"),
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
    # 400,000 short rows take more than a fifth of a second of processor time to read, and more
    # than 40 MB; no reader starts and answers within 10 milliseconds.
    data = b"n\n" + b"1,2,3\n" * 400_000
    many = dataclasses.replace(DEFAULT_LIMITS, max_rows=10**6, max_cells=10**7)
    with pytest.raises(TableError, match="took more than 0.2 seconds of processor time"):
        read_rows(data, "a.csv", limits=dataclasses.replace(many, seconds=0.2))
    with pytest.raises(TableError, match="needed more than 40 MB of memory"):
        read_rows(data, "a.csv", limits=dataclasses.replace(many, memory_bytes=40 * 2**20))
    with pytest.raises(TableError, match="did not finish within 0.01 seconds"):
        read_rows(data, "a.csv", limits=dataclasses.replace(DEFAULT_LIMITS, wall_seconds=0.01))


def test_limits_are_checked():
    with pytest.raises(ValueError, match="seconds must be a positive number"):
        ReadLimits(seconds=0)
    assert read_rows(b"a\n", "a.csv", limits=None) == [(1, ["a"])]


def _openpyxl_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """What openpyxl reads from the first sheet, as text: the reference for the reader."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((number, cells))
    workbook.close()
    return rows


def _kinds_of_cells(write_only: bool) -> bytes:
    from datetime import time as clock
    from datetime import timedelta

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("first") if write_only else workbook.active
    rows = [
        ["text", "  padded  ", "Jürgen Müller", "日本語", "=not a formula?", "line\nbreak"],
        [3, -7, 0.25, 1e-3, 12345678901234, 2.5e300],
        [
            date(2026, 11, 2),
            datetime(2026, 11, 2, 9, 30, 15),
            clock(9, 30),
            datetime(1900, 2, 28),
            date(1900, 3, 1),
        ],
        [True, False, None, "", None, "after gaps"],
        [timedelta(hours=30, minutes=15)],
    ]
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet.append([CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")]), "=1+2"])
        sheet["D9"] = "far away"
        sheet["B9"].number_format = "0.00%"
        sheet["B9"] = 0.125
        sheet["C9"] = 45678
        sheet["C9"].number_format = "dd/mm/yyyy"
        sheet["E9"] = 1.5
        sheet["E9"].number_format = '"€"#,##0.00;[Red]-"€"#,##0.00'
        workbook.create_sheet("second").append(["never read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["inline strings", "shared strings"])
def test_workbooks_read_as_openpyxl_reads_them(write_only):
    data = _kinds_of_cells(write_only)
    assert read_rows(data, "kinds.xlsx") == _openpyxl_rows(data)
    assert read_rows(data, "kinds.xlsx", limits=None) == _openpyxl_rows(data)


def test_workbooks_of_1904_and_escaped_characters():
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    workbook.active.append([date(2026, 1, 5), "a_x000D_b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_rows(buffer.getvalue(), "mac.xlsx") == [(1, ["2026-01-05T00:00:00", "a\rb"])]


def test_a_workbook_row_beyond_the_columns_allowed_is_refused_before_it_is_built():
    workbook = Workbook()
    workbook.active["A1"] = "email"
    workbook.active["XFD1"] = "far right"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(
        TableError, match="Row 1 has a value in column XFD; a table may have at most 256 columns"
    ):
        read_rows(buffer.getvalue(), "a.xlsx", limits=dataclasses.replace(DEFAULT_LIMITS, max_columns=256))
    with pytest.raises(
        TableError, match="Row 1 has a value in column XFD; a table may have at most 1,000 columns"
    ):
        read_rows(buffer.getvalue(), "a.xlsx")
    assert read_rows(buffer.getvalue(), "a.xlsx", limits=None)[0][1][-1] == "far right"


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400) | st.text(',;\t"\r\n ab').map(str.encode))
def test_any_bytes_are_rows_or_a_table_error(data):
    for filename in ("any.csv", "any.xlsx"):
        try:
            rows = read_rows(data, filename, limits=None)
        except TableError:
            continue
        assert all(isinstance(n, int) and all(isinstance(c, str) for c in cells) for n, cells in rows)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8), max_size=4),
        max_size=5,
    ),
    cut=st.integers(min_value=0, max_value=3000),
)
def test_damaged_workbooks_are_rows_or_a_table_error(rows, cut):
    data = workbook_bytes(rows)
    data = data[:cut] + data[cut + 1 :] if cut < len(data) else data
    try:
        read_rows(data, "damaged.xlsx", limits=None)
    except TableError:
        pass
