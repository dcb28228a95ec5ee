"""The demo organisation tells the story the reports are built to show."""

from __future__ import annotations

from sqlalchemy import select

import analysis
from survey.extensions import db
from survey.models import Team, Wave
from survey.services.demo import DEMO_HISTORY, load_demo
from survey.services.wave_data import load_wave_data


def test_demo_history_plants_a_gap_that_narrows(app):
    load_demo()
    db.session.commit()
    waves = db.session.scalars(select(Wave).order_by(Wave.id)).all()
    assert [wave.name for wave in waves[:3]] == [name for name, _, _ in DEMO_HISTORY]
    assert [wave.status for wave in waves] == ["closed", "closed", "closed", "open"]
    enablement = db.session.scalar(select(Team).where(Team.name == "Sales Enablement"))

    gaps = []
    for wave in waves[:3]:
        data = load_wave_data(wave)
        counts = data.responses["team"].value_counts()
        assert counts[enablement.id] == 3 < wave.anonymity_threshold  # shows suppression at work
        assert (counts.drop(enablement.id) >= wave.anonymity_threshold).all()
        scores = analysis.score(data.responses, data.instruments[0])
        function = data.responses["team"].map(data.teams["function"])
        gap = analysis.gap(scores.loc[function == "sales", "lead_quality"],
                           scores.loc[function == "marketing", "lead_quality"])  # fmt: skip
        gaps.append(gap.g)
    assert gaps[0] < gaps[1] < gaps[2]  # sales rates lead quality below marketing, less so each wave
    assert gaps[0] < -0.5
