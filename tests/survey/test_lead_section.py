"""The report section "What each team counts as a qualified lead", on the demo's planted difference."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import analysis
import instruments
from survey.extensions import db
from survey.models import Wave
from survey.services import reports as service
from survey.services.demo import DEMO_CALIBRATION_WAVES, DEMO_HISTORY, DEMO_PASSWORD, load_demo
from survey.services.lead_section import ANCHOR, lead_definition
from survey.services.releases import release_report
from survey.services.report_view import Words
from survey.services.wave_data import load_wave_data

pytestmark = pytest.mark.db


@pytest.fixture
def demo(app):
    load_demo()
    db.session.commit()
    return db.session.scalars(select(Wave).order_by(Wave.id)).all()


def _visible(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_demo_plants_a_difference_the_report_finds_in_published_groups_only(demo):
    asked = [any(i.id == "lead_calibration" for i in load_wave_data(w).instruments) for w in demo]
    # the past waves that ask it, and not the open wave people try the survey in
    assert asked == [number in DEMO_CALIBRATION_WAVES for number in range(len(DEMO_HISTORY))] + [False]

    # the report finds the planted difference
    report = release_report(service.wave_release(demo[2]))
    summary = report.calibration
    assert summary is not None
    assert summary.shown
    assert release_report(service.wave_release(demo[0])).calibration is None  # not asked there
    status = summary.attributes["status"].to_dict()
    more = summary.attributes["weighs_more"].to_dict()
    # marketing weighs engagement, sales weighs budget and timing (DEMO_CALIBRATION_WEIGHTS)
    assert (status["engagement"], more["engagement"]) == ("differs", "marketing")
    assert (status["budget"], more["budget"]) == ("differs", "sales")
    assert (status["timing"], more["timing"]) == ("differs", "sales")
    # both count the company's fit and the contact's seniority: the draft definition
    assert dict(summary.definition) == {"company": "target", "contact": "decision_maker"}
    assert summary.split_vignettes
    assert 0 < summary.index.index < 90

    # its respondents are the sales and marketing members of shown teams: function:* of published_groups
    release = service.wave_release(demo[2])
    data = service.report_inputs(demo[2]).data
    groups = analysis.published_groups(
        data.responses, data.teams, data.instruments, threshold=release.threshold
    )
    report = release_report(release)
    judged = (
        data.responses[[item.id for item in instruments.load("lead_calibration").vignettes]]
        .notna()
        .any(axis=1)
    )
    for position, function in enumerate(report.calibration.pair):
        members = groups[f"function:{function}"]
        assert report.calibration.n[position] == int(judged.loc[sorted(members)].sum())
    # Sales Enablement (3 people, suppressed) is not in them
    enablement = data.teams.index[data.teams["name"] == "Sales Enablement"][0]
    hidden = set(data.responses.index[(data.responses["team"] == enablement).to_numpy()])
    assert hidden
    assert not hidden & set(groups["function:sales"])


def test_below_the_threshold_the_section_shows_no_number():
    lead = instruments.load("lead_calibration")
    teams = pd.DataFrame({"name": ["S", "M"], "function": ["sales", "marketing"], "parent": [None, None]},
                         index=["s", "m"])  # fmt: skip
    rng = np.random.default_rng(3)
    answers = pd.DataFrame(
        rng.integers(1, 4, size=(8, 16)).astype(float), columns=[v.id for v in lead.vignettes]
    )
    answers.insert(0, "team", ["s"] * 4 + ["m"] * 4)
    assert analysis.organization_report(answers, teams, [lead], threshold=4).calibration.shown
    report = analysis.organization_report(answers, teams, [lead], threshold=5)  # each team of 4 is hidden
    summary = report.calibration
    assert not summary.shown
    assert summary.attributes is None
    assert summary.index is None
    section = lead_definition(Words(report, "en", set()), (lead,))
    text = "".join(segment.text for paragraph in section.paragraphs for segment in paragraph)
    assert not section.tables
    assert not section.items
    assert "Fewer than 5 people" in text
    assert not re.search(r"of 100", text)


def test_the_page_shows_weights_splits_and_the_draft_definition_linked_from_the_recommendations(client, demo):
    response = client.post(
        "/auth/login", data={"email": "manager@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    html = client.get(f"/reports/waves/{demo[2].id}").get_data(as_text=True)
    assert f'id="{ANCHOR}"' in html
    section = html[html.index(f'id="{ANCHOR}"') :]
    section = section[: section.index("</section>")]
    text = _visible(section)
    assert "What each team counts as a qualified lead" in text
    for words in ("Budget", "Timing", "Engagement", "Sales weighs it more", "Marketing weighs it more"):
        assert words in text
    assert re.search(r"Lead \d+ of 16", text)  # the split vignettes are named, with their profile in words
    assert "Head of operations, who signs off purchases" in text  # the draft definition in the level's words
    # ... introduced right above its list, after the tables (not in the opening sentences)
    introduced = section.index("A draft lead definition")
    assert section.rindex("</table>") < introduced < section.index("<ul")
    for code in ("lead01", "budget=confirmed", "decision_maker", "this_quarter", "importance", "nan"):
        assert code not in text
    assert not re.search(r"\d\.\d{3,}", text)  # no raw floats
    # the hand-over / lead-quality recommendations point to the section
    summary = html[html.index('id="summary"') : html.index(f'id="{ANCHOR}"')]
    assert f'href="#{ANCHOR}"' in summary
