"""The lead-definition index on the report's pages beside the alignment index: table, first page, trend."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import analysis
import instruments
from survey.extensions import db
from survey.models import Wave
from survey.services import reports as service
from survey.services.decision import decision
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.figures import organization_charts
from survey.services.report_view import Words
from survey.services.sections import alignment, measures, trend
from tests.analysis.test_report_calibration import TEAMS, _wave

pytestmark = pytest.mark.db


def _text(phrase) -> str:
    return "".join(segment.text for segment in phrase)


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    return db.session.scalars(select(Wave).order_by(Wave.id)).all()[2]  # asks the lead calibration


def test_the_alignment_section_lists_both_indexes_with_their_intervals(demo):
    report = service.organization_report(service.wave_release(demo))
    words = Words(report, "en", set())
    head, index = report.alignment.headline, report.calibration.index
    table = measures(words)
    rows = [[_text(cell) for cell in row.cells] for row in table.rows]
    assert rows[0][:3] == [
        "Sales–marketing alignment index",
        words.num(head.alignment, 0),
        words.interval(head.ci_low, head.ci_high, 0),
    ]
    assert rows[1][:3] == [
        "Lead-definition index",
        words.num(index.index, 0),
        words.interval(index.ci_low, index.ci_high, 0),
    ]
    n_sales, n_marketing = report.calibration.n
    basis = f"16 lead profiles judged by {n_sales} people in sales and {n_marketing} in marketing"
    assert rows[1][3] == basis
    assert table.rows[1].cells[0][0].href == "#lead-definition"
    charts = organization_charts(report, service.release_instruments(service.wave_release(demo)), "en")
    assert table in alignment(words, charts).tables

    # the first page names it beside the alignment index
    first = decision(words, service.release_instruments(service.wave_release(demo)))
    assert f"lead-definition index of {words.num(index.index, 0)} of 100" in first.functions

    # the trend: a point per wave that asks it (the demo's second and third), drawn as a panel
    points = report.trend.definition
    assert len(points) == 2
    assert points["index"].iloc[-1] == index.index
    assert "Lead-definition index" in charts["trend"].svgs[1]
    assert "lead-definition index" in charts["trend"].description
    assert trend(words, charts) is not None


def test_below_the_threshold_the_row_shows_no_number():
    lead = instruments.load("lead_calibration")
    frame = _wave(True, 2)
    report = analysis.organization_report(frame, TEAMS, [instruments.load("alignment"), lead], threshold=5)
    assert report.calibration.shown
    words = Words(report, "en", set())
    assert len(measures(words).rows) >= 1
    hidden = analysis.organization_report(frame.iloc[:6], TEAMS, [lead], threshold=5)  # marketing has none
    words = Words(hidden, "en", set())
    row = [_text(cell) for cell in measures(words).rows[-1].cells]
    assert row[1:] == ["–", "–", "Fewer than 5 people in sales or in marketing judged the lead profiles"]
    assert not re.search(r"\d", "".join(row[1:3]))
    assert "lead-definition" not in decision(words, (lead,)).functions
    without = analysis.organization_report(frame, TEAMS, [instruments.load("mindset")], threshold=5)
    assert measures(Words(without, "en", set())) is None


def test_the_page_shows_the_table_on_a_phone_width_without_codes(client, demo):
    response = client.post(
        "/auth/login", data={"email": "manager@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    html = client.get(f"/reports/waves/{demo.id}").get_data(as_text=True)
    section = html[html.index('id="alignment"') :]
    section = section[: section.index("</section>")]
    assert "Sales and marketing on each alignment measure" in section
    assert '<a href="#lead-definition">Lead-definition index</a>' in section
    assert "lead_definition" not in re.sub(r'id="[^"]*"|href="[^"]*"', "", section)
