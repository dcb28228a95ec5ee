"""Item tables: the round trip instrument -> table -> instrument, and per-row errors."""

from pathlib import Path

import pytest
from openpyxl import Workbook

import instruments
from instruments import load, loads
from instruments.spreadsheet import (
    BUILTIN_SCALES,
    SpreadsheetError,
    TableProblem,
    export_table,
    import_table,
    instrument_to_rows,
    read_table,
)

SHIPPED = sorted((Path(instruments.__file__).parent / "definitions").glob("*/*.yaml"))
HEADER = "item_id,dimension,scale,reverse,text_en,text_de"


def write_csv(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def import_errors(path: Path) -> list[str]:
    with pytest.raises(SpreadsheetError) as caught:
        import_table(path, instrument_id="bank", version="1.0")
    return [str(problem) for problem in caught.value.problems]


def assert_same_content(imported, original):
    assert imported.items == original.items
    assert imported.dimensions == original.dimensions
    assert dict(imported.scales) == dict(original.scales)
    assert imported.pages == original.pages
    assert imported.languages == original.languages


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_of_the_fixture(tmp_path, valid_path, suffix):
    original = load(valid_path)
    table = tmp_path / f"items{suffix}"
    export_table(original, table)
    text = import_table(table, instrument_id=original.id, version=original.version)
    assert_same_content(loads(text), original)


@pytest.mark.parametrize("path", SHIPPED, ids=[f"{path.parent.name}@{path.stem}" for path in SHIPPED])
def test_round_trip_of_shipped_instruments(tmp_path, path):
    original = load(path)
    if any(scale_id not in BUILTIN_SCALES for scale_id in original.scales):
        pytest.skip(f"{original.key} uses a scale that tables cannot carry")
    export_table(original, tmp_path / "items.csv")
    imported = loads(
        import_table(tmp_path / "items.csv", instrument_id=original.id, version=original.version)
    )
    assert_same_content(imported, original)


def test_exported_rows_of_the_fixture(valid_path):
    columns, rows = instrument_to_rows(load(valid_path))
    assert columns[:6] == ["item_id", "dimension", "scale", "reverse", "text_en", "text_de"]
    # The fixture's page break falls where a new dimension starts anyway, so no page_break row.
    assert [row["item_id"] for row in rows] == ["cl_1", "cl_2", "cl_3", "tr_own", "tr_meta", "tr_3"]
    meta = rows[4]
    # The meta item's audience is its default (its target), so the cell stays empty.
    assert [meta[column] for column in ("perspective", "mirrors", "target", "audience")] == [
        "meta",
        "tr_own",
        "marketing",
        "",
    ]
    assert rows[5]["audience"] == "sales, other"
    assert (rows[2]["reverse"], rows[2]["required"]) == ("yes", "no")
    assert [row["dimension_min_valid"] for row in rows] == ["", "", "", "3", "3", "3"]


def test_page_breaks_inside_a_dimension_become_rows(edited):
    instrument = loads(edited(("  - id: cl_3\n", "  - page_break\n  - id: cl_3\n")))
    assert instrument.pages == (("cl_1", "cl_2"), ("cl_3",), ("tr_own", "tr_meta", "tr_3"))
    _, rows = instrument_to_rows(instrument)
    assert [row["item_id"] for row in rows] == [
        "cl_1", "cl_2", "page_break", "cl_3", "page_break", "tr_own", "tr_meta", "tr_3"
    ]  # fmt: skip


def test_a_minimal_table_becomes_a_valid_definition(tmp_path):
    table = write_csv(
        tmp_path / "bank.csv",
        HEADER,
        "pl_1,planning,agree5,no,We plan together.,Wir planen gemeinsam.",
        "pl_2,planning,agree5,yes,Plans are made alone.,Pläne entstehen allein.",
        "pl_3,planning,agree5,0,We review plans.,Wir prüfen Pläne.",
        "",
        "pl_4,planning,agree5,1,Plans stay secret.,Pläne bleiben geheim.",
    )
    text = import_table(
        table, instrument_id="team_bank", version="2.1", licence="CC-BY-4.0", citation="Us (2026)."
    )
    instrument = loads(text)
    assert (instrument.key, instrument.licence, instrument.citation) == (
        "team_bank@2.1",
        "CC-BY-4.0",
        "Us (2026).",
    )
    assert dict(instrument.title) == {"en": "Team bank", "de": "Team bank"}
    assert instrument.estimated_minutes == 1  # four items at four a minute
    assert [item.reverse for item in instrument.items] == [False, True, False, True]
    assert dict(instrument.dimension("planning").name) == {"en": "Planning", "de": "Planning"}
    assert list(instrument.scales) == ["agree5"]
    assert text.startswith("# Imported from bank.csv.")


def test_csv_with_bom_and_semicolons(tmp_path):
    table = write_csv(
        tmp_path / "excel.csv",
        "Item_ID;dimension;scale;reverse;text_en;text_de;dimension_name_de",
        "a_1;team;agree7;nein;One;Eins;Gemeinsam",
        encoding="utf-8-sig",
    )
    header, rows = read_table(table)
    assert header == ["item_id", "dimension", "scale", "reverse", "text_en", "text_de", "dimension_name_de"]
    assert rows == [
        (
            2,
            {
                "item_id": "a_1",
                "dimension": "team",
                "scale": "agree7",
                "reverse": "nein",
                "text_en": "One",
                "text_de": "Eins",
                "dimension_name_de": "Gemeinsam",
            },
        )
    ]


def test_xlsx_cells_of_any_type(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        ["item_id", "dimension", "scale", "reverse", "text_en", "text_de", "required", "dimension_min_valid"]
    )
    sheet.append(["x_1", "team", "agree5", True, "One", "Eins", None, 2.0])
    sheet.append(["x_2", "team", "agree5", 0, "Two", "Zwei", "no", 2])
    sheet.append(["x_3", "team", "agree5", False, "Three", "Drei", 1, None])
    workbook.save(tmp_path / "bank.xlsx")
    instrument = loads(import_table(tmp_path / "bank.xlsx", instrument_id="bank", version="1.0"))
    assert [(item.reverse, item.required) for item in instrument.items] == [
        (True, True),
        (False, False),
        (False, True),
    ]
    assert instrument.dimension("team").min_valid == 2


def test_every_row_error_is_reported_at_once(tmp_path):
    table = write_csv(
        tmp_path / "bad.csv",
        HEADER + ",target,audience",
        "a_1,team,agree5,no,One,Eins,,",
        "a_2,team,agree4,no,Two,Zwei,,",
        "a_3,team,agree5,maybe,Three,Drei,,",
        "a_1,team,agree5,no,Four,,,",
        ",team,agree5,no,Five,Fünf,teams,",
        "a_6,,agree5,no,Six,Sechs,,sales; finance",
    )
    assert import_errors(table) == [
        "row 3: scale must be agree5 or agree7, got 'agree4'; did you mean 'agree7'?",
        "row 4: reverse must be yes/no/true/false/1/0, got 'maybe'",
        "row 5: item_id 'a_1' repeats row 2",
        "row 5: text_de is empty",
        "row 6: item_id is empty",
        "row 6: target must be empty or one of system, sales, marketing, got 'teams'",
        "row 7: dimension is empty",
        "row 7: audience must list functions from sales, marketing, other separated by commas, got 'finance'",
    ]


def test_quoted_texts_keep_their_quotes(tmp_path):
    table = write_csv(
        tmp_path / "bank.csv",
        HEADER,
        'q_1,quality,agree5,no,"A ""qualified lead"" is defined.","Ein ""guter Lead"" ist definiert."',
        'q_2,quality,agree5,no,"Leads are scored; both teams agree.",Beide Teams stimmen zu.',
        "q_3,quality,agree5,no,We agree.,Wir sind uns einig.",
    )
    instrument = loads(import_table(table, instrument_id="bank", version="1.0"))
    assert [dict(item.text) for item in instrument.items[:2]] == [
        {"en": 'A "qualified lead" is defined.', "de": 'Ein "guter Lead" ist definiert.'},
        {"en": "Leads are scored; both teams agree.", "de": "Beide Teams stimmen zu."},
    ]


def test_values_outside_the_named_columns_are_reported(tmp_path):
    table = write_csv(
        tmp_path / "bank.csv",
        HEADER + ",,required",
        "a_1,team,agree5,no,One,Eins,,yes",
        "a_2,team,agree5,no,Two,Zwei,stray,yes",
        "a_3,team,agree5,no,Three,Drei,,yes,more,and more",
    )
    assert import_errors(table) == [
        "row 3: a value in column G, which has no heading",
        "row 4: values in columns I, J, which have no heading",
    ]


def test_header_errors(tmp_path):
    table = write_csv(
        tmp_path / "bad.csv", "item_id,dimenson,scale,text_it,dimension_name_en,colour", "a,b,c,d,e,f"
    )
    assert import_errors(table) == [
        "row 1: unknown column 'dimenson'; did you mean 'dimension'?",
        "row 1: unknown column 'colour'",
        "row 1: missing column 'dimension'",
        "row 1: missing column 'reverse'",
        "row 1: column 'text_it': the built-in scales have labels in en, de, fr, es only",
        "row 1: column 'dimension_name_en' has no matching text_en column",
    ]


def test_rules_across_rows_are_reported_by_row(tmp_path):
    table = write_csv(
        tmp_path / "bad.csv",
        HEADER + ",target,perspective,mirrors,dimension_name_en",
        "a_1,team,agree5,no,One,Eins,sales,,,Team",
        "a_2,team,agree5,no,Two,Zwei,sales,meta,a_9,Team",
        "a_3,team,agree5,no,Three,Drei,,,,Teamwork",
        "b_1,other,agree5,no,Four,Vier,,,,",
        "b_2,other,agree5,no,Five,Fünf,,,,",
        "page_break,,,,,,,,,",
    )
    assert import_errors(table) == [
        "row 4: dimension_name_en 'Teamwork' differs from 'Team' in row 2 for dimension 'team'",
        "row 7: a page_break row at the end makes an empty page",
    ]
    # With the row errors fixed, the validator's rules come back in table terms.
    table = write_csv(
        tmp_path / "bad.csv",
        HEADER + ",target,perspective,mirrors",
        "a_1,team,agree5,no,One,Eins,sales,,",
        "a_2,team,agree5,no,Two,Zwei,sales,meta,a_9",
        "a_3,team,agree5,no,Three,Drei,,,",
        "b_1,other,agree5,no,Four,Vier,,,",
        "b_2,other,agree5,no,Five,Fünf,,,",
    )
    assert import_errors(table) == [
        "row 3: mirrors: unknown item 'a_9'; did you mean 'a_3'?",
        "row 5: dimension: dimension 'other' has only 2 items; a dimension needs at least 3 to be scored",
    ]


def test_empty_table(tmp_path):
    assert import_errors(write_csv(tmp_path / "empty.csv", "")) == ["the table is empty"]
    assert import_errors(write_csv(tmp_path / "header.csv", HEADER)) == ["the table has no item rows"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"instrument_id": "Bank", "version": "1.0"}, "instrument_id must be lowercase letters"),
        ({"instrument_id": "bank", "version": "v1"}, "version must be numbers separated by dots"),
    ],
)
def test_bad_id_or_version(tmp_path, arguments, message):
    table = write_csv(tmp_path / "bank.csv", HEADER)
    with pytest.raises(ValueError, match=message):
        import_table(table, **arguments)


def test_only_csv_and_xlsx(tmp_path):
    with pytest.raises(ValueError, match=r"items\.ods is neither a \.csv nor an \.xlsx file"):
        read_table(tmp_path / "items.ods")


def test_a_scale_that_tables_cannot_carry(edited):
    instrument = loads(edited(("      1: {en: Strongly disagree,", "      1: {en: Disagree strongly,")))
    with pytest.raises(ValueError, match="uses scale 'agree5', which a table cannot carry"):
        instrument_to_rows(instrument)


def test_table_problem_str():
    assert str(TableProblem(7, "reverse must be yes/no")) == "row 7: reverse must be yes/no"
    assert str(TableProblem(None, "the table is empty")) == "the table is empty"
