"""Reading a wave's submitted answers into frames, and recording responses in bulk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis
from survey.extensions import db
from survey.services import ServiceError
from survey.services.response_import import import_responses
from survey.services.wave_data import load_wave_data


def simulated(setup, n_per_team=6, seed=1):
    instrument = setup.plan().instruments[0]
    teams = {str(team.id): function for function, team in setup.teams.items()}
    frame = analysis.simulate(instrument, teams, n_per_team, seed=seed)
    frame["team"] = frame["team"].astype(int)
    return frame, instrument


def test_import_then_load_round_trip(make_survey):
    setup = make_survey(instruments=("alignment",))
    frame, instrument = simulated(setup)
    assert import_responses(setup.wave, frame) == len(frame)
    db.session.commit()

    data = load_wave_data(setup.wave)
    assert len(data.responses) == len(frame)
    loaded = data.responses[list(instrument.item_ids)].to_numpy()
    np.testing.assert_array_equal(np.isnan(loaded), np.isnan(frame[list(instrument.item_ids)].to_numpy()))
    np.testing.assert_array_equal(
        np.nan_to_num(loaded), np.nan_to_num(frame[list(instrument.item_ids)].to_numpy())
    )
    assert data.responses["team"].tolist() == frame["team"].tolist()
    assert set(data.teams["function"]) == {"sales", "marketing", "other"}

    # A release's subset: only the responses it names, in the same shape.
    chosen = data.responses.index[::2].tolist()
    subset = load_wave_data(setup.wave, chosen)
    assert subset.responses.index.tolist() == chosen
    pd.testing.assert_frame_equal(subset.responses, data.responses.loc[chosen])
    assert data.invited.sum() == 9  # 3 per team invited by make_survey
    assert data.started.sum() == len(frame)
    assert data.threshold == 5


def test_import_rejects_bad_tables_and_writes_nothing(make_survey):
    setup = make_survey(instruments=("alignment",))
    frame, instrument = simulated(setup)
    first = instrument.item_ids[0]
    off_scale = frame.copy()
    off_scale.loc[off_scale.index[0], first] = 9
    with pytest.raises(ServiceError, match=f"Item '{first}' has values off its scale"):
        import_responses(setup.wave, off_scale)
    with pytest.raises(ServiceError, match="Unknown team ids"):
        import_responses(setup.wave, frame.assign(team=999_999))
    with pytest.raises(ServiceError, match="no 'team' column"):
        import_responses(setup.wave, frame.drop(columns="team"))
    db.session.rollback()
    assert load_wave_data(setup.wave).responses.empty
    assert isinstance(load_wave_data(setup.wave).responses, pd.DataFrame)
