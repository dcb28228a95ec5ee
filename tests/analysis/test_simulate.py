import numpy as np
import pandas as pd
import pytest

from analysis import score, simulate, synthetic_instrument
from instruments.model import Dimension, Instrument, Item, Scale, ScalePoint

TEAMS = {"S1": "sales", "S2": "sales", "M1": "marketing", "M2": "marketing", "O1": "other"}


@pytest.fixture(scope="module")
def instrument():
    return synthetic_instrument(n_dimensions=4, items_per_dimension=5)


def _item_columns(frame, instrument):
    return frame[list(instrument.item_ids)]


def test_synthetic_instrument_shape():
    instrument = synthetic_instrument(n_dimensions=12, items_per_dimension=5, points=7)
    assert len(instrument.items) == 60
    assert [d.id for d in instrument.dimensions][:2] == ["d01", "d02"]
    assert instrument.dimension("d01").item_ids == ("d01_1", "d01_2", "d01_3", "d01_4", "d01_5")
    assert [item.reverse for item in instrument.items_of("d01")] == [False, False, True, False, False]
    assert instrument.dimension("d01").min_valid == 3
    assert instrument.scales["agree"].values == (1, 2, 3, 4, 5, 6, 7)


def test_shape_columns_and_teams(instrument):
    frame = simulate(instrument, TEAMS, {"S1": 10, "S2": 20, "M1": 30, "M2": 5, "O1": 7}, seed=3)
    assert frame.shape == (72, 2 + 20 + 2)
    assert list(frame.columns[:2]) == ["team", "function"]
    assert list(frame.columns[2:22]) == list(instrument.item_ids)
    assert list(frame.columns[-2:]) == ["careless", "careless_type"]
    assert frame["team"].value_counts().to_dict() == {"M1": 30, "S2": 20, "S1": 10, "O1": 7, "M2": 5}
    assert (frame.loc[frame["team"] == "M2", "function"] == "marketing").all()
    assert frame.index.name == "respondent"


def test_same_seed_same_data_other_seed_other_data(instrument):
    first = simulate(instrument, TEAMS, 40, seed=11)
    again = simulate(instrument, TEAMS, 40, seed=11)
    other = simulate(instrument, TEAMS, 40, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not _item_columns(first, instrument).equals(_item_columns(other, instrument))
    from_generator = simulate(instrument, TEAMS, 40, seed=np.random.default_rng(11))
    pd.testing.assert_frame_equal(first, from_generator)


def test_values_are_scale_points(instrument):
    frame = simulate(instrument, TEAMS, 200, seed=5)
    answers = _item_columns(frame, instrument).to_numpy().ravel()
    answered = answers[~np.isnan(answers)]
    assert set(np.unique(answered)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # Score() accepts it (it refuses off-scale values).
    assert score(frame, instrument).shape == (1000, 4)


def test_category_shares_follow_the_fixed_thresholds(instrument):
    # Thresholds -1.5, -0.5, 0.5, 1.5 on a standard normal response.
    frame = simulate(instrument, {"A": "sales"}, 20000, seed=8, icc=0.0, careless_rate=0.0, missing_rate=0.0)
    shares = frame["d01_1"].value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(shares, [0.0668, 0.2417, 0.3829, 0.2417, 0.0668], atol=0.01)


def test_planted_effects_are_recovered(instrument):
    effects = {"S1": {"d01": 0.8}, "M1": {"d01": np.float64(-0.8), "d02": 0.6}}
    frame = simulate(instrument, TEAMS, 600, effects=effects, seed=21, icc=0.05)
    means = score(frame, instrument).groupby(frame["team"]).mean()
    assert means.loc["S1", "d01"] > means.loc["S2", "d01"] + 0.3
    assert means.loc["M1", "d01"] < means.loc["M2", "d01"] - 0.3
    assert means.loc["M1", "d02"] > means.loc["M2", "d02"] + 0.2
    # Reverse-keyed items run against the trait before keying.
    raw = frame.groupby("team")[["d01_1", "d01_3"]].mean()
    assert raw.loc["S1", "d01_1"] > raw.loc["M1", "d01_1"]
    assert raw.loc["S1", "d01_3"] < raw.loc["M1", "d01_3"]


def _icc1(values, groups):
    """One-way ANOVA ICC(1) with the mean group size (for a balanced design)."""
    frame = pd.DataFrame({"v": values, "g": groups}).dropna()
    grouped = frame.groupby("g")["v"]
    k = grouped.size().mean()
    grand = frame["v"].mean()
    ms_between = (grouped.size() * (grouped.mean() - grand) ** 2).sum() / (grouped.ngroups - 1)
    ms_within = ((frame["v"] - grouped.transform("mean")) ** 2).sum() / (len(frame) - grouped.ngroups)
    return (ms_between - ms_within) / (ms_between + (k - 1) * ms_within)


def test_observed_icc_is_realistic(instrument):
    teams = {f"T{i:02d}": "sales" for i in range(60)}
    frame = simulate(instrument, teams, 60, seed=2)
    scores = score(frame, instrument)
    iccs = [_icc1(scores[d], frame["team"]) for d in scores.columns]
    assert 0.05 < np.mean(iccs) < 0.20


def test_missing_rate(instrument):
    frame = simulate(instrument, TEAMS, 2000, seed=4, missing_rate=0.05, careless_rate=0.0)
    assert _item_columns(frame, instrument).isna().to_numpy().mean() == pytest.approx(0.05, abs=0.003)
    none = simulate(instrument, TEAMS, 200, seed=4, missing_rate=0.0)
    assert not _item_columns(none, instrument).isna().any().any()


def test_careless_respondents_are_flagged(instrument):
    frame = simulate(instrument, TEAMS, 400, seed=9, careless_rate=0.05)
    items = _item_columns(frame, instrument)
    assert frame["careless"].sum() == 100
    assert (frame["careless_type"] == "straightline").sum() == 50
    assert (frame["careless_type"] == "random").sum() == 50
    assert (frame["careless"] == (frame["careless_type"] != "")).all()
    straight = items[frame["careless_type"] == "straightline"]
    assert (straight.nunique(axis=1) == 1).all()
    assert not straight.isna().any().any()  # careless respondents answer everything
    attentive = items[~frame["careless"]]
    assert (attentive.nunique(axis=1) > 1).mean() > 0.99


def _audience_instrument():
    scale = Scale(id="a", min=1, max=5, points=tuple(ScalePoint(v, {"en": str(v)}) for v in range(1, 6)))
    items = (
        Item(id="own1", text={"en": "x"}, dimension="lead", scale="a", target="sales"),
        Item(id="own2", text={"en": "x"}, dimension="lead", scale="a", target="sales"),
        Item(
            id="meta1",
            text={"en": "x"},
            dimension="lead",
            scale="a",
            target="sales",
            perspective="meta",
            mirrors="own1",
            audience=("sales",),
        ),
    )
    dimension = Dimension(
        id="lead",
        name={"en": "Lead"},
        description={"en": ""},
        item_ids=("own1", "own2", "meta1"),
        min_valid=1,
    )
    return Instrument(
        id="aud",
        version="1",
        title={"en": "t"},
        introduction={"en": ""},
        estimated_minutes=1,
        citation="",
        licence="CC0-1.0",
        languages=("en",),
        scales={"a": scale},
        dimensions=(dimension,),
        items=items,
    )


def test_items_are_only_answered_by_their_audience():
    frame = simulate(_audience_instrument(), TEAMS, 50, seed=1, missing_rate=0.0)
    sales = frame["function"] == "sales"
    assert frame.loc[~sales, "meta1"].isna().all()
    assert frame.loc[sales, "meta1"].notna().all()
    assert frame["own1"].notna().all()


def test_categorical_items_are_uniform_codes():
    scales = {
        "a": Scale(id="a", min=1, max=5, points=tuple(ScalePoint(v, {"en": str(v)}) for v in range(1, 6))),
        "role": Scale(
            id="role",
            min=1,
            max=3,
            points=tuple(ScalePoint(v, {"en": str(v)}) for v in (1, 2, 3)),
            kind="categorical",
        ),
    }
    base = synthetic_instrument(1, 3)
    role = Item(id="level", text={"en": "Level"}, dimension="about", scale="role")
    about = Dimension(
        id="about", name={"en": "About"}, description={"en": ""}, item_ids=("level",), min_valid=1
    )
    instrument = Instrument(
        **{
            **base.__dict__,
            "scales": {"agree": base.scales["agree"], **scales},
            "items": base.items + (role,),
            "dimensions": base.dimensions + (about,),
        }
    )
    frame = simulate(instrument, {"A": "sales"}, 3000, seed=6, missing_rate=0.0, careless_rate=0.0)
    shares = frame["level"].value_counts(normalize=True).sort_index()
    assert list(shares.index) == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(shares.to_numpy(), 1 / 3, atol=0.03)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"teams": {"A": "finance"}}, r"teams\['A'\] must be one of 'sales', 'marketing', 'other'"),
        ({"teams": {}}, "teams must be a non-empty mapping"),
        ({"n_per_team": 0}, "n_per_team must be at least 1"),
        ({"n_per_team": {"S1": 5}}, "n_per_team must give a size for every team"),
        ({"effects": {"X9": {"d01": 1}}}, "effects names unknown team 'X9'"),
        ({"effects": {"S1": {"zz": 1}}}, r"effects\['S1'\] names unknown dimension 'zz'"),
        ({"effects": {"S1": {"d01": "big"}}}, "must be a finite number"),
        ({"icc": 1.0}, r"icc must be in \[0, 1\)"),
        ({"missing_rate": -0.1}, "missing_rate must be in"),
        ({"loading": 0}, "loading must be in"),
        ({"seed": "abc"}, "seed must be an integer"),
    ],
)
def test_bad_arguments(instrument, kwargs, message):
    arguments = {"teams": TEAMS, "n_per_team": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate(instrument, **arguments)


def test_a_large_simulation_has_every_row_and_column():
    # Its speed is measured in benchmarks/analysis.py, not here.
    instrument = synthetic_instrument(12, 5)
    teams = {f"T{i:03d}": "sales" if i % 2 else "marketing" for i in range(200)}
    frame = simulate(instrument, teams, 500, seed=1)
    assert frame.shape == (100_000, 64)
    assert frame["team"].value_counts().eq(500).all()


def test_careless_finds_the_simulated_careless_respondents(instrument):
    from analysis import careless, keyed_items

    frame = simulate(instrument, TEAMS, 400, seed=1, careless_rate=0.05)
    flags = careless(keyed_items(frame, instrument, reverse=False))
    kind = frame["careless_type"]
    # Straight-liners are caught by longstring every time, most random responders by
    # Mahalanobis distance (uniform answers ignore the items' correlations), and
    # hardly any attentive respondent is flagged.
    assert flags.loc[kind == "straightline", "flag_longstring"].all()
    assert flags.loc[kind == "random", "flag_mahalanobis"].mean() > 0.6
    assert flags.loc[kind == "", "careless"].mean() < 0.01
