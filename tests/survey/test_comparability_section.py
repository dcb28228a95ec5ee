"""Comparability of sales and marketing where readers see it: the appendix table and the gap markers."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

import instruments
from analysis.report import organization_report
from survey.extensions import db
from survey.models import Wave
from survey.services import reports as service
from survey.services import sections
from survey.services.comparability_section import comparability_section
from survey.services.decision import decision, top_gaps
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.releases import release_report
from survey.services.report_view import Words
from survey.services.wording import plain
from tests.analysis.test_report_comparability import PLANTED_ITEM, TEAMS, _wave


@pytest.fixture(scope="module")
def alignment():
    return instruments.load("alignment")


@pytest.fixture(scope="module")
def planted(alignment):
    return organization_report(_wave(110), TEAMS, alignment, threshold=5)


def _texts(section) -> list[list[str]]:
    return [[plain(cell) for cell in row.cells] for table in section.tables for row in table.rows]


def test_the_appendix_names_the_statements_that_differ_by_their_text(planted, alignment):
    words = Words(planted, "en", set())
    section = comparability_section(words, (alignment,))
    rows = {row[0]: row for row in _texts(section)}
    strategy = rows[alignment.dimension("strategy").label("en")]
    assert strategy[1] in {"Partly comparable", "Not comparable"}
    assert alignment.item(PLANTED_ITEM).label("en") in strategy[2]
    assert PLANTED_ITEM not in " ".join(" ".join(row) for row in rows.values())
    statuses = {"Comparable", "Partly comparable", "Not comparable", "Not tested"}
    assert {row[1] for row in rows.values()} <= statuses
    # no raw numbers for readers: no p-value or CFI difference in the table
    assert not re.search(r"\d\.\d", " ".join(" ".join(row) for row in rows.values()))


def test_a_gap_on_a_dimension_read_differently_is_marked(planted, alignment):
    words = Words(planted, "en", set())
    gaps = sections.gaps(words, {})
    table = gaps.tables[0]
    name = alignment.dimension("strategy").label("en")
    cells = [[plain(cell) for cell in row.cells] for row in table.rows]
    strategy = [row for row in cells if row[0].startswith(name)]
    assert strategy, "the planted gap is among the gaps shown"
    # marked where a sales team meets a marketing team; two sales teams are not compared by it
    for row in strategy:
        across = "Sales" in row[1] and ("Brand" in row[1] or "Demand" in row[1])
        assert row[0].endswith("†") == across, row
    assert any(row[0].endswith("†") for row in strategy)
    assert "reading, not in the practice" in table.note
    # a dimension both read alike is not marked
    comparable = set(planted.comparability.index[planted.comparability["status"] == "comparable"])
    names = {alignment.dimension(d).label("en") for d in comparable}
    assert not [row for row in cells if row[0].rstrip(" †") in names and row[0].endswith("†")]
    # the first page says so under the gap, and the sales-marketing sentence too
    first = {plain(gap.title): gap for gap in top_gaps(words, (alignment,))}
    marked = [gap for title, gap in first.items() if name in title]
    assert marked
    assert all("differently" in gap.reading for gap in marked)
    assert all(gap.reading == "" for title, gap in first.items() if any(n in title for n in names))
    page = decision(words, (alignment,))
    if any(r.dimension == "strategy" and r.basis == "gap" for r in planted.recommendations):
        assert "Read with care" in page.functions
        assert name in page.functions


def test_a_not_comparable_dimension_says_the_gap_may_be_in_the_reading(planted, alignment):
    table = planted.comparability.copy()
    table.loc["strategy", "status"] = "not comparable"
    report = dataclasses.replace(planted, comparability=table)
    words = Words(report, "en", set())
    name = alignment.dimension("strategy").label("en")
    marked = [gap for gap in top_gaps(words, (alignment,)) if name in plain(gap.title)]
    assert marked
    assert marked[0].reading.startswith("Sales and marketing read these statements differently")


def test_tiny_groups_show_not_tested_with_the_reason(alignment):
    report = organization_report(_wave(8, plant=False), TEAMS, alignment, threshold=5)
    words = Words(report, "en", set())
    section = comparability_section(words, (alignment,))
    assert not _texts(section)  # no table of identical rows: one sentence per reason
    (sentence,) = [plain(p) for p in section.closing]
    assert sentence.startswith("Not tested: ")
    assert "too few respondents: each function needs at least 5 complete answers per statement" in sentence
    for dimension in alignment.dimensions:
        assert dimension.label("en") in sentence
    assert all("†" not in plain(row.cells[0]) for t in sections.gaps(words, {}).tables for row in t.rows)


@pytest.mark.db
def test_the_demo_report_shows_the_table_in_its_appendix(app, client, monkeypatch):
    load_demo()
    db.session.commit()
    wave = db.session.scalars(select(Wave).order_by(Wave.id)).all()[2]
    report = release_report(service.wave_release(wave))
    alignment = instruments.load("alignment")
    assert set(report.comparability.index) >= {d.id for d in alignment.dimensions}
    assert (report.comparability["status"] != "not tested").any()  # the demo's functions are big enough
    client.post("/auth/login", data={"email": "manager@demo.mindgap.test", "password": DEMO_PASSWORD})
    html = client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert 'id="comparability"' in html
    appendix = html[html.index('id="comparability"') :]
    assert "Do sales and marketing read the statements the same way?" in appendix
    for dimension in alignment.dimensions:
        assert dimension.label("en") in appendix
    # in German the stored table is reused, not fitted again

    def refit(*args, **kwargs):
        raise AssertionError("the comparability table was fitted again")

    monkeypatch.setattr("analysis.report.comparability", refit)
    german = release_report(service.wave_release(wave), "de")
    assert german.comparability.equals(report.comparability)
