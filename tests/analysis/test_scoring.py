import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import keyed_items, score, scored_dimensions
from instruments.model import Dimension, Instrument, Item, Scale, ScalePoint

REFERENCE = Path(__file__).parent / "reference"


def make_scale(scale_id, low, high, kind="ordinal"):
    points = tuple(ScalePoint(value=v, labels={"en": str(v)}) for v in range(low, high + 1))
    return Scale(id=scale_id, min=low, max=high, points=points, kind=kind)


def make_instrument(keys, *, scales=None, item_scale=None, min_valid=None, extra_items=()):
    """An instrument with one dimension per key list; ``-ID`` marks a reverse-keyed item."""
    scales = scales or {"agree6": make_scale("agree6", 1, 6)}
    item_scale = item_scale or {}
    min_valid = min_valid or {}
    items, dimensions = [], []
    for dimension_id, key in keys.items():
        ids = []
        for entry in key:
            item_id = entry.lstrip("-")
            ids.append(item_id)
            items.append(
                Item(
                    id=item_id,
                    text={"en": item_id},
                    dimension=dimension_id,
                    scale=item_scale.get(item_id, next(iter(scales))),
                    reverse=entry.startswith("-"),
                )
            )
        dimensions.append(
            Dimension(
                id=dimension_id,
                name={"en": dimension_id},
                description={"en": ""},
                item_ids=tuple(ids),
                min_valid=min_valid.get(dimension_id, 1),
            )
        )
    return Instrument(
        id="test",
        version="1.0",
        title={"en": "Test"},
        introduction={"en": ""},
        estimated_minutes=5,
        citation="",
        licence="CC-BY-4.0",
        languages=("en",),
        scales=scales,
        dimensions=tuple(dimensions),
        items=tuple(items) + tuple(extra_items),
    )


@pytest.fixture
def small():
    scales = {"agree5": make_scale("agree5", 1, 5), "freq7": make_scale("freq7", 0, 6)}
    instrument = make_instrument(
        {"trust": ["t1", "-t2", "t3"], "handover": ["h1", "-h2"]},
        scales=scales,
        item_scale={"h1": "freq7", "h2": "freq7"},
        min_valid={"trust": 2, "handover": 1},
    )
    responses = pd.DataFrame(
        {
            "team": ["a", "a", "b", "b"],
            "t1": [5, 1, np.nan, np.nan],
            "t2": [1, 5, 2, np.nan],
            "t3": [4, 2, 3, 4],
            "h1": [6, 0, np.nan, 3],
            "h2": [0, 6, np.nan, 1],
        },
        index=pd.Index([10, 11, 12, 13], name="respondent"),
    )
    return instrument, responses


def test_score_by_hand(small):
    instrument, responses = small
    scores = score(responses, instrument)
    assert list(scores.columns) == ["trust", "handover"]
    assert scores.index.equals(responses.index)
    # trust: t2 reversed on 1..5 -> 6 - x; min_valid 2.
    # row 10: (5 + 5 + 4) / 3; row 11: (1 + 1 + 2) / 3; row 12: (4 + 3) / 2; row 13: one answer -> NaN
    np.testing.assert_allclose(scores["trust"], [14 / 3, 4 / 3, 3.5, np.nan])
    # handover: h2 reversed on 0..6 -> 6 - x.
    # row 10: (6 + 6) / 2; row 11: (0 + 0) / 2; row 12: nothing -> NaN; row 13: (3 + 5) / 2
    np.testing.assert_allclose(scores["handover"], [6.0, 0.0, np.nan, 4.0])


def test_missing_item_column_counts_as_missing(small):
    instrument, responses = small
    scores = score(responses.drop(columns=["t1"]), instrument)
    # Without t1, row 10 has t2 (5) and t3 (4); row 11 has 1 and 2; rows 12, 13 too few.
    np.testing.assert_allclose(scores["trust"], [4.5, 1.5, 3.5, np.nan])


def test_value_off_scale_names_item_and_values(small):
    instrument, responses = small
    responses = responses.astype({"t3": float})
    responses.loc[11, "t3"] = 7
    responses.loc[12, "t3"] = 2.5
    with pytest.raises(ValueError, match=r"responses\['t3'\].*agree5.*2\.5, 7"):
        score(responses, instrument)


def test_zero_is_on_a_scale_starting_at_zero_but_not_on_one_to_five(small):
    instrument, responses = small
    responses = responses.copy()
    responses.loc[13, "h1"] = 0  # freq7 is 0..6: fine
    score(responses, instrument)
    responses.loc[13, "t3"] = 0
    with pytest.raises(ValueError, match="t3"):
        score(responses, instrument)


def test_non_contiguous_scale_uses_its_points():
    points = tuple(ScalePoint(value=v, labels={"en": str(v)}) for v in (1, 3, 5))
    scales = {"odd": Scale(id="odd", min=1, max=5, points=points)}
    instrument = make_instrument({"d": ["x", "-y"]}, scales=scales)
    scores = score(pd.DataFrame({"x": [1, 5], "y": [5, 3]}), instrument)
    np.testing.assert_allclose(scores["d"], [1.0, 4.0])
    with pytest.raises(ValueError, match=r"responses\['x'\].*: 2"):
        score(pd.DataFrame({"x": [2, 5], "y": [5, 3]}), instrument)


def test_text_numerals_from_a_csv_are_accepted_and_words_refused(small):
    instrument, responses = small
    as_text = responses.astype({"t3": str})
    np.testing.assert_allclose(score(as_text, instrument)["trust"], score(responses, instrument)["trust"])
    as_text.loc[12, "t3"] = "agree"
    with pytest.raises(ValueError, match="non-numeric.*'agree'"):
        score(as_text, instrument)


def test_categorical_scale_is_not_scored():
    scales = {"agree5": make_scale("agree5", 1, 5), "role": make_scale("role", 1, 4, kind="categorical")}
    instrument = make_instrument(
        {"trust": ["t1", "t2"], "about_you": ["level"]}, scales=scales, item_scale={"level": "role"}
    )
    scores = score(pd.DataFrame({"t1": [1, 5], "t2": [3, 5], "level": [4, 2]}), instrument)
    assert list(scores.columns) == ["trust"]
    assert list(scored_dimensions(instrument)) == ["trust"]


def test_responses_must_be_a_dataframe(small):
    instrument, responses = small
    with pytest.raises(ValueError, match="responses must be a pandas DataFrame"):
        score(responses.to_numpy(), instrument)


def test_keyed_items_reverses_and_filters(small):
    instrument, responses = small
    keyed = keyed_items(responses, instrument, dimension="handover")
    assert list(keyed.columns) == ["h1", "h2"]
    np.testing.assert_allclose(keyed["h2"], [6, 0, np.nan, 5])
    everything = keyed_items(responses, instrument)
    assert list(everything.columns) == ["t1", "t2", "t3", "h1", "h2"]
    np.testing.assert_allclose(everything["t2"], [5, 1, 4, np.nan])
    with pytest.raises(ValueError, match="dimension must be one of"):
        keyed_items(responses, instrument, dimension="nope")


@pytest.fixture(scope="module")
def bfi_reference():
    reference = json.loads((REFERENCE / "scoring.json").read_text())
    items = pd.read_csv(REFERENCE / "data" / "bfi_scoring.csv")
    return reference, items


def _as_frame(columns):
    return pd.DataFrame({k: [np.nan if v is None else v for v in values] for k, values in columns.items()})


def test_matches_psych_score_items(bfi_reference):
    reference, items = bfi_reference
    instrument = make_instrument(reference["keys"])
    expected = _as_frame(reference["psych"])
    scores = score(items, instrument)
    assert list(scores.columns) == list(expected.columns)
    np.testing.assert_allclose(scores.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


def test_min_valid_matches_rowmeans_in_r(bfi_reference):
    reference, items = bfi_reference
    keys = reference["keys"]
    instrument = make_instrument(keys, min_valid=dict.fromkeys(keys, 5))
    expected = _as_frame(reference["rowmeans_min5"])
    scores = score(items, instrument)
    assert scores.isna().to_numpy().sum() == expected.isna().to_numpy().sum() > 0
    np.testing.assert_allclose(scores.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


def test_keyed_items_without_reverse_keys_gives_answers_as_given(small):
    instrument, responses = small
    raw = keyed_items(responses, instrument, reverse=False)
    np.testing.assert_allclose(raw["t2"], [1, 5, 2, np.nan])
    np.testing.assert_allclose(raw["h2"], [0, 6, np.nan, 1])


def test_meta_items_are_not_scored_but_are_keyed():
    meta = Item(
        id="m1",
        text={"en": "m1"},
        dimension="trust",
        scale="agree6",
        reverse=True,
        target="sales",
        perspective="meta",
        mirrors="t1",
        audience=("sales",),
    )
    base = make_instrument({"trust": ["t1", "t2"]}, min_valid={"trust": 2})
    trust = base.dimension("trust")
    instrument = make_instrument({"trust": ["t1", "t2"]}, min_valid={"trust": 3}, extra_items=(meta,))
    instrument = Instrument(
        **{
            **instrument.__dict__,
            "dimensions": (Dimension(**{**trust.__dict__, "item_ids": ("t1", "t2", "m1"), "min_valid": 3}),),
        }
    )
    responses = pd.DataFrame({"t1": [2, 6], "t2": [4, np.nan], "m1": [6, 1]})
    assert [item.id for item in scored_dimensions(instrument)["trust"]] == ["t1", "t2"]
    # min_valid 3 counted the meta item; capped at the 2 scored items.
    np.testing.assert_allclose(score(responses, instrument)["trust"], [3.0, np.nan])
    keyed = keyed_items(responses, instrument)
    assert list(keyed.columns) == ["t1", "t2", "m1"]
    np.testing.assert_allclose(keyed["m1"], [1, 6])
    assert list(keyed_items(responses, instrument, dimension="trust").columns) == ["t1", "t2"]


def test_nullable_integer_columns(small):
    instrument, responses = small
    nullable = responses.astype({c: "Int64" for c in ["t1", "t2", "t3", "h1", "h2"]})
    assert nullable["t1"].isna().sum() == 2
    pd.testing.assert_frame_equal(score(nullable, instrument), score(responses, instrument))


def test_score_of_no_respondents_is_an_empty_frame():
    instrument = analysis.synthetic_instrument(n_dimensions=2, items_per_dimension=3)
    empty = pd.DataFrame(columns=list(instrument.item_ids), dtype=float)
    scores = analysis.score(empty, instrument)
    assert scores.shape == (0, 2)
    assert list(scores.columns) == [dimension.id for dimension in instrument.dimensions]
