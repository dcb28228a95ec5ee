"""The report's charts in the report's language: the SVG the figure helper returns carries the
chart's own texts translated by the catalogue, and its numbers with the language's separators."""

from __future__ import annotations

import html
import re

import pytest

import instruments
from analysis.report import organization_report
from survey.services import figures
from tests.analysis.test_charts import TEAMS, _simulate
from tests.analysis.test_charts_language import pseudo_german
from tests.catalogues import use_stand_in

#: Texts of the charts themselves (not of the messages the page already translated).
CHART_TEXTS = (
    "Mean rating",
    "could be chance",
    "pair of teams",
    "aligned, positive",
    "Mean score",
    "team without consensus",
    "consensus line",
    "How the team rates itself",
    "Level: mean rating",
)


@pytest.fixture(scope="module")
def used():
    return (instruments.load("alignment"), instruments.load("mindset"))


@pytest.fixture(scope="module")
def report(used):
    history = [("Spring", _simulate(5))]
    return organization_report(_simulate(1), TEAMS, used, threshold=5, history=history, wave="Autumn")


def _svg_text(charts) -> str:
    return html.unescape("\n".join(svg for chart in charts.values() for svg in chart.svgs))


def test_the_report_s_charts_in_german_draw_no_english_text_of_their_own(report, used, monkeypatch):
    english = _svg_text(figures.organization_charts(report, used, "en"))
    for text in CHART_TEXTS:
        assert text in english, text
    use_stand_in(monkeypatch, ["de"], pseudo_german)
    charts = figures.organization_charts(report, used, "de")
    german = _svg_text(charts)
    for text in CHART_TEXTS:
        assert text not in german, text
        assert pseudo_german(text) in german, text
    assert re.search(r">[\u2212]?\d+,\d+<", german)  # tick labels with a decimal comma
    assert not re.search(r">[\u2212]?\d+\.\d+<", german)
    for chart in charts.values():  # the text alternatives come from the catalogue too
        assert re.search("[äëïöü]", chart.description)
