"""Agreement indices and ICCs against R's multilevel package (bh1996, lq2002, bhr2000).

Reference values: tests/analysis/reference/agreement_gaps.R -> agreement_gaps.json, and for
team labels mixing numbers and text and for ICCs without variance
tests/analysis/reference/edge_cases.R -> edge_cases.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis

REFERENCE = Path(__file__).parent / "reference"
DATA = REFERENCE / "data"
TOLERANCE = 1e-4
LQ_SCALES = {
    "TSIG": [f"TSIG{i:02d}" for i in range(1, 4)],
    "LEAD": [f"LEAD{i:02d}" for i in range(1, 12)],
    "HOSTIL": [f"HOSTIL{i:02d}" for i in range(1, 6)],
}


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "agreement_gaps.json").read_text())


@pytest.fixture(scope="module")
def edge():
    return json.loads((REFERENCE / "edge_cases.json").read_text())


@pytest.fixture(scope="module")
def bh1996():
    return pd.read_csv(DATA / "bh1996.csv.gz")


@pytest.fixture(scope="module")
def lq2002():
    return pd.read_csv(DATA / "lq2002.csv")


@pytest.fixture(scope="module")
def bhr2000():
    return pd.read_csv(DATA / "bhr2000.csv")


def blank(frame: pd.DataFrame, first: int, fifth: int) -> pd.DataFrame:
    """Remove the answers the R script removes (every 41st / every 53rd from the 7th row)."""
    frame = frame.copy()
    frame.iloc[::41, first] = np.nan
    frame.iloc[6::53, fifth] = np.nan
    return frame


def assert_matches(table: pd.DataFrame, column: str, reference: dict) -> None:
    """Compare a per-team table with R's, team by team, including missing values and sizes."""
    teams = [float(label) for label in reference["group"]]
    ours = table.loc[teams]
    theirs = np.array([np.nan if v is None else v for v in reference["value"]], dtype=float)
    np.testing.assert_array_equal(np.isnan(ours[column].to_numpy()), np.isnan(theirs))
    np.testing.assert_allclose(ours[column].to_numpy(), theirs, rtol=0, atol=TOLERANCE, equal_nan=True)
    np.testing.assert_array_equal(ours["n"].to_numpy(), reference["n"])


@pytest.mark.parametrize("variable", ["COHES", "LEAD", "WBEING", "HRS"])
def test_rwg_matches_multilevel(bh1996, expected, variable):
    table = analysis.rwg(bh1996[variable], bh1996["GRP"], n_options=5)
    assert list(table.columns) == ["rwg", "n"]
    assert_matches(table, "rwg", expected["rwg"][variable])


def test_rwg_truncates_variances_above_the_null(bh1996, expected):
    table = analysis.rwg(bh1996["HRS"], bh1996["GRP"], n_options=7)
    assert_matches(table, "rwg", expected["rwg"]["HRS_A7"])
    assert (table["rwg"] == 0).sum() > 0
    assert table["rwg"].between(0, 1).all()


def unbalanced_with_missing(bh1996: pd.DataFrame) -> pd.DataFrame:
    """The R script's variant: group 1 cut to three members, every 29th WBEING blanked."""
    frame = bh1996.drop(bh1996.index[bh1996["GRP"] == 1][3:]).reset_index(drop=True)
    frame.loc[frame.index[::29], "WBEING"] = np.nan
    return frame


def test_rwg_with_missing_values_and_unbalanced_teams(bh1996, expected):
    frame = unbalanced_with_missing(bh1996)
    table = analysis.rwg(frame["WBEING"], frame["GRP"], n_options=5)
    assert_matches(table, "rwg", expected["rwg"]["WBEING_missing"])


@pytest.mark.parametrize("variable", ["COHES", "LEAD", "WBEING", "HRS"])
def test_icc_matches_multilevel(bh1996, expected, variable):
    assert analysis.icc1(bh1996[variable], bh1996["GRP"]) == pytest.approx(
        expected["icc"][variable]["icc1"], abs=TOLERANCE
    )
    assert analysis.icc2(bh1996[variable], bh1996["GRP"]) == pytest.approx(
        expected["icc"][variable]["icc2"], abs=TOLERANCE
    )


@pytest.mark.parametrize("variable", ["TSIG01", "LEAD05"])
def test_icc_on_lq2002_items(lq2002, expected, variable):
    assert analysis.icc1(lq2002[variable], lq2002["COMPID"]) == pytest.approx(
        expected["icc"][variable]["icc1"], abs=TOLERANCE
    )
    assert analysis.icc2(lq2002[variable], lq2002["COMPID"]) == pytest.approx(
        expected["icc"][variable]["icc2"], abs=TOLERANCE
    )


def test_icc_drops_missing_values(bh1996, expected):
    frame = unbalanced_with_missing(bh1996)
    reference = expected["icc"]["WBEING_missing"]
    assert analysis.icc1(frame["WBEING"], frame["GRP"]) == pytest.approx(reference["icc1"], abs=TOLERANCE)
    assert analysis.icc2(frame["WBEING"], frame["GRP"]) == pytest.approx(reference["icc2"], abs=TOLERANCE)


def test_icc_on_a_balanced_toy_example():
    # Two teams of three: MS_B = 6 * 1.5^2 / 1 = 13.5... worked by hand:
    # means 2 and 5, grand mean 3.5, SS_B = 3 * (1.5^2 + 1.5^2) = 13.5, MS_B = 13.5;
    # SS_W = 2 + 2 = 4, MS_W = 1; ICC(1) = 12.5 / (13.5 + 2) ; ICC(2) = 12.5 / 13.5.
    values = [1, 2, 3, 4, 5, 6]
    groups = ["a", "a", "a", "b", "b", "b"]
    assert analysis.icc1(values, groups) == pytest.approx(12.5 / 15.5)
    assert analysis.icc2(values, groups) == pytest.approx(12.5 / 13.5)


def test_icc_needs_two_groups():
    with pytest.raises(ValueError, match="at least two groups"):
        analysis.icc1([1.0, 2.0, 3.0], ["a", "a", "a"])


@pytest.mark.parametrize("scale", ["TSIG", "LEAD", "HOSTIL"])
def test_rwg_j_matches_multilevel(lq2002, expected, scale):
    table = analysis.rwg_j(lq2002[LQ_SCALES[scale]], lq2002["COMPID"], n_options=5)
    assert list(table.columns) == ["rwg_j", "n"]
    assert_matches(table, "rwg_j", expected["rwg_j"][scale])


def test_rwg_j_deletes_listwise_as_multilevel(lq2002, expected):
    items = blank(lq2002[LQ_SCALES["TSIG"]], 0, 2)
    table = analysis.rwg_j(items, lq2002["COMPID"], n_options=5, missing="listwise")
    assert_matches(table, "rwg_j", expected["rwg_j"]["TSIG_missing"])


def test_rwg_j_pairwise_uses_available_answers():
    items = pd.DataFrame({"x": [1, 2, 3, np.nan, 5, 5], "y": [1, 1, 1, 4, 5, 5]})
    groups = ["a", "a", "a", "b", "b", "b"]
    # Team a: variances 1 and 0 -> mean 0.5 -> ratio 0.25 on A = 5;
    # rwg_j = 2 * 0.75 / (2 * 0.75 + 0.25) = 6 / 7.
    pairwise = analysis.rwg_j(items, groups, n_options=5, missing="pairwise")
    assert pairwise.loc["a", "rwg_j"] == pytest.approx(6 / 7)
    # Team b pairwise: var(x) = 0, var(y) = 1/3 -> ratio 1/12 -> rwg_j = 2 * 11/12 / (22/12 + 1/12).
    assert pairwise.loc["b", "rwg_j"] == pytest.approx(22 / 23)
    assert pairwise.loc["b", "n"] == 3
    listwise = analysis.rwg_j(items, groups, n_options=5, missing="listwise")
    assert listwise.loc["b", "n"] == 2
    assert listwise.loc["b", "rwg_j"] == pytest.approx(1.0)


def test_single_member_teams_get_no_agreement():
    values = pd.Series([1.0, 2.0, 3.0, 4.0])
    groups = pd.Series(["a", "a", "a", "solo"])
    assert np.isnan(analysis.rwg(values, groups, n_options=5).loc["solo", "rwg"])
    items = pd.DataFrame({"x": values, "y": values})
    assert np.isnan(analysis.rwg_j(items, groups, n_options=5).loc["solo", "rwg_j"])
    assert np.isnan(analysis.awg(items, groups, low=1, high=5).loc["solo", "awg"])
    assert np.isnan(analysis.ad_index(items, groups).loc["solo", "ad"])


def test_teams_without_answers_stay_in_the_table():
    values = pd.Series([1.0, 2.0, np.nan, np.nan])
    groups = pd.Series(["a", "a", "empty", "empty"])
    table = analysis.rwg(values, groups, n_options=5)
    assert table.loc["empty", "n"] == 0
    assert np.isnan(table.loc["empty", "rwg"])
    assert table.loc["a", "rwg"] == pytest.approx(1 - 0.5 / 2)


def test_awg_on_several_items_matches_multilevel(bhr2000, expected):
    table = analysis.awg(bhr2000.drop(columns="GRP"), bhr2000["GRP"], low=1, high=5)
    assert list(table.columns) == ["awg", "n", "n_items"]
    assert (table["n_items"] == 11).all()
    assert_matches(table, "awg", expected["awg"]["items"])


def test_awg_on_one_item_matches_multilevel(bhr2000, expected):
    table = analysis.awg(bhr2000["AF06"], bhr2000["GRP"], low=1, high=5)
    assert list(table.columns) == ["awg", "n"]
    assert_matches(table, "awg", expected["awg"]["AF06"])


def test_awg_with_missing_answers(bhr2000, expected):
    items = blank(bhr2000.drop(columns="GRP"), 0, 4)
    assert_matches(
        analysis.awg(items, bhr2000["GRP"], low=1, high=5), "awg", expected["awg"]["items_missing"]
    )


def test_awg_skips_items_whose_mean_is_out_of_bounds(lq2002, expected):
    table = analysis.awg(lq2002[LQ_SCALES["TSIG"]], lq2002["COMPID"], low=1, high=5)
    assert_matches(table, "awg", expected["awg"]["TSIG"])


def test_awg_bounds_and_extremes():
    # Everyone at the top of the scale: a_wg is 1 by convention.
    assert analysis.awg([5, 5, 5], ["t"] * 3, low=1, high=5).loc["t", "awg"] == 1.0
    # Two members can only reach the largest variance at the midpoint; elsewhere missing.
    assert np.isnan(analysis.awg([1, 2], ["t"] * 2, low=1, high=5).loc["t", "awg"])
    # Largest disagreement possible for the mean: a_wg = -1.
    assert analysis.awg([1, 5], ["t"] * 2, low=1, high=5).loc["t", "awg"] == pytest.approx(-1.0)


def test_awg_rejects_an_empty_range():
    with pytest.raises(ValueError, match="high must be greater than low"):
        analysis.awg([1, 2], ["t", "t"], low=5, high=1)


@pytest.mark.parametrize("centre", ["mean", "median"])
def test_ad_index_matches_multilevel(bhr2000, expected, centre):
    items = bhr2000.drop(columns="GRP")
    assert_matches(
        analysis.ad_index(items, bhr2000["GRP"], type=centre), "ad", expected["ad"][f"items_{centre}"]
    )
    assert_matches(
        analysis.ad_index(bhr2000["AF06"], bhr2000["GRP"], type=centre),
        "ad",
        expected["ad"][f"AF06_{centre}"],
    )
    assert_matches(
        analysis.ad_index(blank(items, 0, 4), bhr2000["GRP"], type=centre),
        "ad",
        expected["ad"][f"items_missing_{centre}"],
    )


def test_ad_index_by_hand():
    # Answers 1, 2, 6: mean 3 -> AD = (2 + 1 + 3) / 3 = 2; median 2 -> AD = (1 + 0 + 4) / 3.
    assert analysis.ad_index([1, 2, 6], ["t"] * 3, type="mean").loc["t", "ad"] == pytest.approx(2.0)
    assert analysis.ad_index([1, 2, 6], ["t"] * 3, type="median").loc["t", "ad"] == pytest.approx(5 / 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: analysis.rwg([1, 2], ["a", "a"], n_options=1), "n_options must be at least 2"),
        (lambda: analysis.rwg([1, 2], ["a", "a"], n_options=4.5), "n_options must be an integer"),
        (lambda: analysis.rwg_j([[1, 2], [2, 3]], ["a", "a"], 5, missing="drop"), "missing must be one of"),
        (lambda: analysis.ad_index([1, 2], ["a", "a"], type="mode"), "type must be one of"),
        (lambda: analysis.rwg([1, 2], ["a"], n_options=5), "groups must have one label per row"),
    ],
)
def test_arguments_are_checked(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# inputs at the edge


def test_icc_of_values_without_variance_is_an_error_not_a_crash(edge):
    # multilevel gives NaN for both; the CLI shows a statistic's ValueError as a blank.
    assert edge["icc_degenerate"]["constant"] == {"icc1": None, "icc2": None}
    groups = ["a", "a", "b", "b", "c", "c"]
    for icc in (analysis.icc1, analysis.icc2):
        with pytest.raises(ValueError, match=r"values have no variance \(every value is 3\)"):
            icc([3.0] * 6, groups)
        with pytest.raises(ValueError, match="no variance"):
            icc(pd.Series([0.1] * 6), groups)  # a mean of 0.1s is not exactly 0.1


def test_icc_with_equal_team_means(edge):
    reference = edge["icc_degenerate"]["equal_means"]
    assert analysis.icc1([1, 3, 1, 3], ["a", "a", "b", "b"]) == pytest.approx(reference["icc1"])
    # multilevel's ICC(2) is 1 - MS_W / MS_B with MS_B a rounding error (-4e31).
    assert reference["icc2"] < -1e30
    with pytest.raises(ValueError, match=r"every team has the same mean \(MS_B = 0\)"):
        analysis.icc2([1, 3, 1, 3], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="same mean"):
        analysis.icc2([0.1, 0.3, 0.3, 0.1, 0.1, 0.3], ["a", "a", "b", "b", "c", "c"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v, t: analysis.icc1(v["x"], t), r"values must be finite .*infinite at index \[2\]"),
        (lambda v, t: analysis.icc2(v["x"], t), r"values must be finite .*infinite at index \[2\]"),
        (lambda v, t: analysis.rwg(v["x"], t, 5), r"values must be finite .*infinite at index \[2\]"),
        (lambda v, t: analysis.rwg_j(v, t, 5), r"items must be finite .*\['x'\], the first in row 2 of 'x'"),
        (lambda v, t: analysis.awg(v, t, 1, 5), r"values_or_items must be finite .*\['x'\]"),
        (lambda v, t: analysis.ad_index(v, t), r"items must be finite .*\['x'\]"),
    ],
)
@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_infinite_values_are_refused(call, message, infinity):
    values = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 1], "x": [1.0, 2, infinity, 4, 5, 1]})
    teams = ["a", "a", "b", "b", "c", "c"]
    with pytest.raises(ValueError, match=message):
        call(values, teams)


def test_rwg_j_pairwise_counts_only_items_with_a_variance():
    # In team b only one member answered y: J is 1 there, as if y were not in the scale.
    items = pd.DataFrame({"x": [1, 2, 3, 4, 5, 3], "y": [2, 3, 3, np.nan, np.nan, 4]})
    groups = ["a", "a", "a", "b", "b", "b"]
    pairwise = analysis.rwg_j(items, groups, n_options=5, missing="pairwise")
    alone = analysis.rwg_j(items[["x"]], groups, n_options=5, missing="pairwise")
    assert pairwise.loc["b", "rwg_j"] == pytest.approx(alone.loc["b", "rwg_j"])
    assert pairwise.loc["b", "n"] == 3
    # Team a has both variances (1 and 1/3): J = 2.
    ratio = (1 + 1 / 3) / 2 / 2
    assert pairwise.loc["a", "rwg_j"] == pytest.approx(2 * (1 - ratio) / (2 * (1 - ratio) + ratio))


MIXED_CASES = {
    "rwg": lambda b, labels, items: analysis.rwg(b["AF06"], labels, n_options=5),
    "rwg_j": lambda b, labels, items: analysis.rwg_j(b[items], labels, n_options=5),
    "awg": lambda b, labels, items: analysis.awg(b[items], labels, low=1, high=5),
    "ad": lambda b, labels, items: analysis.ad_index(b[items], labels, type="mean"),
}


@pytest.mark.parametrize("index", list(MIXED_CASES))
def test_team_labels_mixing_numbers_and_text(bhr2000, edge, index):
    # The R script renames bhr2000's even-numbered groups "team<n>"; here they mix with ints.
    labels = [g if g % 2 else f"team{g}" for g in bhr2000["GRP"]]
    items = [c for c in bhr2000.columns if c != "GRP"]
    table = MIXED_CASES[index](bhr2000, labels, items)
    numbers = [label for label in table.index if isinstance(label, int)]
    texts = [label for label in table.index if isinstance(label, str)]
    assert list(table.index) == sorted(numbers) + sorted(texts)
    reference = edge["mixed_labels"][index]
    ours = table.set_axis(table.index.map(str)).loc[reference["group"]]
    theirs = np.array([np.nan if v is None else v for v in reference["value"]], dtype=float)
    np.testing.assert_allclose(ours[index].to_numpy(), theirs, rtol=0, atol=TOLERANCE, equal_nan=True)
    np.testing.assert_array_equal(ours["n"].to_numpy(), reference["n"])


# --- many scales at once (the report's batched form) -------------------------------


def _scale_table(table: pd.DataFrame, scale: str) -> pd.DataFrame:
    return table[table["scale"] == scale].set_index("team")[["rwg_j", "n"]]


def test_rwg_j_scales_matches_multilevel_for_every_scale(lq2002, expected):
    items = lq2002[[c for columns in LQ_SCALES.values() for c in columns]]
    table = analysis.rwg_j_scales(items, lq2002["COMPID"], LQ_SCALES, 5)
    assert list(table.columns) == ["team", "scale", "rwg_j", "n"]
    assert list(pd.unique(table["scale"])) == list(LQ_SCALES)
    for scale in LQ_SCALES:
        assert_matches(_scale_table(table, scale), "rwg_j", expected["rwg_j"][scale])


def test_rwg_j_scales_deletes_listwise_per_scale(lq2002, expected):
    tsig = blank(lq2002[LQ_SCALES["TSIG"]], 0, 2)
    items = pd.concat([tsig, lq2002[LQ_SCALES["LEAD"]]], axis=1)
    scales = {"TSIG": LQ_SCALES["TSIG"], "LEAD": LQ_SCALES["LEAD"]}
    table = analysis.rwg_j_scales(items, lq2002["COMPID"], scales, {"TSIG": 5, "LEAD": 5})
    assert_matches(_scale_table(table, "TSIG"), "rwg_j", expected["rwg_j"]["TSIG_missing"])
    # A member missing a TSIG item still counts on LEAD.
    assert_matches(_scale_table(table, "LEAD"), "rwg_j", expected["rwg_j"]["LEAD"])


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_rwg_j_scales_equals_rwg_j_one_scale_at_a_time(bhr2000, missing):
    items = blank(bhr2000.drop(columns="GRP"), 0, 4)
    groups = bhr2000["GRP"].where(bhr2000.index % 97 != 5, 999)  # a team of a few members
    scales = {"affect": ["AF06", "AF07"], "appraisal": ["AP12", "AP17", "AP33", "AP34"],
              "assess": ["AS14", "AS15", "AS16", "AS17", "AS28"], "one": ["AF06"]}  # fmt: skip
    options = {"affect": 5, "appraisal": 5, "assess": 7, "one": 5}
    table = analysis.rwg_j_scales(items, groups, scales, options, missing=missing)
    for scale, columns in scales.items():
        single = analysis.rwg_j(items[columns], groups, options[scale], missing=missing)
        pd.testing.assert_frame_equal(_scale_table(table, scale), single, check_names=False, rtol=1e-12)


def test_rwg_j_scales_checks_its_arguments():
    items = pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 3.0]})
    with pytest.raises(ValueError, match=r"scales\['s'\] names columns that are not in items: \['z'\]"):
        analysis.rwg_j_scales(items, ["a", "a"], {"s": ["x", "z"]}, 5)
    with pytest.raises(ValueError, match="n_options has no entry for scale 't'"):
        analysis.rwg_j_scales(items, ["a", "a"], {"s": ["x"], "t": ["y"]}, {"s": 5})
    with pytest.raises(ValueError, match=r"n_options\['s'\] must be at least 2"):
        analysis.rwg_j_scales(items, ["a", "a"], {"s": ["x"]}, 1)
    with pytest.raises(ValueError, match="scales must map"):
        analysis.rwg_j_scales(items, ["a", "a"], {}, 5)


def test_icc_scores_match_multilevel_and_icc1_icc2(bh1996, expected):
    variables = ["COHES", "LEAD", "WBEING", "HRS"]
    table = analysis.icc_scores(bh1996[variables], bh1996["GRP"])
    assert list(table.columns) == ["icc1", "icc2", "n_teams", "n"]
    for variable in variables:
        assert table.at[variable, "icc1"] == pytest.approx(expected["icc"][variable]["icc1"], abs=TOLERANCE)
        assert table.at[variable, "icc2"] == pytest.approx(expected["icc"][variable]["icc2"], abs=TOLERANCE)
        assert table.at[variable, "icc1"] == pytest.approx(analysis.icc1(bh1996[variable], bh1996["GRP"]))
        assert table.at[variable, "icc2"] == pytest.approx(analysis.icc2(bh1996[variable], bh1996["GRP"]))
    assert (table["n"] == len(bh1996)).all()
    assert (table["n_teams"] == bh1996["GRP"].nunique()).all()


def test_icc_scores_drop_missing_values_per_score(bh1996, expected):
    frame = unbalanced_with_missing(bh1996)
    table = analysis.icc_scores(frame[["WBEING", "COHES"]], frame["GRP"])
    reference = expected["icc"]["WBEING_missing"]
    assert table.at["WBEING", "icc1"] == pytest.approx(reference["icc1"], abs=TOLERANCE)
    assert table.at["WBEING", "icc2"] == pytest.approx(reference["icc2"], abs=TOLERANCE)
    assert table.at["WBEING", "n"] == frame["WBEING"].notna().sum()
    assert table.at["COHES", "icc1"] == pytest.approx(analysis.icc1(frame["COHES"], frame["GRP"]), rel=1e-12)


def test_icc_scores_leave_blank_what_icc1_and_icc2_refuse():
    scores = pd.DataFrame(
        {
            "fine": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "constant": [3.0] * 6,
            "equal_means": [1.0, 3.0, 2.0, 1.0, 3.0, 2.0],
            "one_team": [1.0, 2.0, 3.0, np.nan, np.nan, np.nan],
        }
    )
    groups = ["a", "a", "a", "b", "b", "b"]
    table = analysis.icc_scores(scores, groups)
    assert table.at["fine", "icc1"] == pytest.approx(analysis.icc1(scores["fine"], groups))
    assert table.loc["constant", ["icc1", "icc2"]].isna().all()
    assert table.loc["one_team", ["icc1", "icc2"]].isna().all()
    assert table.at["one_team", "n_teams"] == 1
    # Every team has the same mean: ICC(1) is defined (and negative), ICC(2) is not.
    assert table.at["equal_means", "icc1"] == pytest.approx(analysis.icc1(scores["equal_means"], groups))
    assert np.isnan(table.at["equal_means", "icc2"])
    with pytest.raises(ValueError, match="MS_B = 0"):
        analysis.icc2(scores["equal_means"], groups)
