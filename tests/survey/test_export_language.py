"""Results files in the export's language: the Excel workbook names its sheets and columns in
words in the reader's language; the CSV file keeps the codes scripts and the API rely on."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

import instruments
from analysis.report import organization_report
from survey.services import exports
from tests.analysis.test_charts import TEAMS, _simulate
from tests.catalogues import use_stand_in

#: A few real French headings; every other message gets a stand-in (its vowels changed), as
#: the catalogue's French is filled in centrally.
FRENCH = {
    "Teams": "Équipes",
    "Perception gaps": "Écarts de perception",
    "Mean": "Moyenne",
    "{column} (A)": "{column} (A)",
}
VOWELS = str.maketrans("aeiouAEIOU", "âêîôûÂÊÎÔÛ")
#: Statistical symbols, the same in every language.
SYMBOLS = {"n", "d", "g", "t", "df", "p", "F"}


def _stand_in_french(message: str) -> str:
    if message in FRENCH:
        return FRENCH[message]
    parts = re.split(r"(\{[^}]*\})", message)
    return "".join(part if part.startswith("{") else part.translate(VOWELS) for part in parts)


@pytest.fixture
def french(monkeypatch):
    use_stand_in(monkeypatch, ["fr"], _stand_in_french)


@pytest.fixture(scope="module")
def report():
    used = (instruments.load("alignment"), instruments.load("mindset"))
    return organization_report(
        _simulate(1), TEAMS, used, threshold=5, history=[("Spring", _simulate(5))], wave="Autumn"
    )


def _english_words(messages) -> set[str]:
    words = set()
    for message in messages:
        for word in re.findall(r"[A-Za-z']{3,}", re.sub(r"\{[^}]*\}", " ", message)):
            if re.search("[aeiou]", word, re.IGNORECASE):
                words.add(word)
    return words


def test_an_excel_file_in_french_has_french_sheet_names_and_headings(report, french):
    workbook = pd.read_excel(io.BytesIO(exports.results_xlsx(report, language="fr")), sheet_name=None)
    tables = exports.result_tables(report, language="fr")
    names = exports.sheet_names(tables, "fr")
    assert list(workbook) == [names[table] for table in tables]
    assert "Équipes" in workbook
    assert "Écarts de perception" in workbook
    assert not set(workbook) & set(tables)  # no sheet keeps its code
    gaps = workbook["Écarts de perception"]
    assert {"Moyenne (A)", "Moyenne (B)", "Dîmênsîôn", "g", "p"} <= set(gaps.columns)
    messages = [*exports.SHEET_NAMES.values(), *exports.COLUMN_NAMES.values(), *exports.SUFFIXES.values()]
    messages += [m for table in exports.TABLE_COLUMN_NAMES.values() for m in table.values()]
    english = _english_words(messages)
    dimensions = set(report.dimensions["name"].astype(str))
    for (table, frame), sheet in zip(tables.items(), workbook.values(), strict=True):
        assert len(sheet.columns) == len(frame.columns)
        for code, heading in zip(frame.columns, sheet.columns, strict=True):
            if code in SYMBOLS or (table == "profiles" and heading in dimensions):
                continue
            assert heading != code, (table, code)
            assert not [w for w in english if re.search(rf"\b{w}\b", heading)], (table, heading)
    # The same numbers as the English file, under the French headings.
    assert gaps["g"].tolist() == pytest.approx(tables["gaps"]["g"].tolist())
    # The notes in the cells are French too.
    teams = workbook["Équipes"]
    tiny = teams[teams.iloc[:, 0] == "Tiny Team"]
    assert re.search("[âêîôû]", tiny.iloc[0, -1])


def test_the_english_workbook_and_the_csv_file_keep_the_codes(report, french):
    english = pd.read_excel(io.BytesIO(exports.results_xlsx(report, language="en")), sheet_name=None)
    assert list(english) == list(exports.result_tables(report))
    assert {"team_a", "team_b", "mean_a", "g", "p_adjusted"} <= set(english["gaps"].columns)
    text = exports.results_csv(report, language="fr").decode("utf-8-sig")
    sections = {block.partition("\n")[0]: block.partition("\n")[2] for block in text.split("# table: ")[1:]}
    assert list(sections) == list(exports.result_tables(report))
    gaps = pd.read_csv(io.StringIO(sections["gaps"]))
    assert {"team_a", "team_b", "mean_a", "g", "p_adjusted"} <= set(gaps.columns)
    teams = pd.read_csv(io.StringIO(sections["teams"])).set_index("name")
    assert re.search("[âêîôû]", teams.loc["Tiny Team", "note"])  # the words in the cells: French


def test_sheet_names_fit_excel_whatever_the_translation(monkeypatch):
    use_stand_in(monkeypatch, ["fr"], lambda message: "Résultats: [tableau] / détail * très long, vraiment?")
    names = exports.sheet_names(list(exports.SHEET_NAMES), "fr")
    assert len(set(name.casefold() for name in names.values())) == len(exports.SHEET_NAMES)
    for name in names.values():
        assert len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
    assert exports.sheet_names(["gaps", "other"], "en") == {"gaps": "gaps", "other": "other"}
