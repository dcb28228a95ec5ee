"""Measurement invariance: score tests and nested comparisons against lavaan, planted non-invariance.

Reference values: tests/analysis/reference/cfa_lavaan.R -> cfa_lavaan.json (``lavTestScore(fit)$uni``
for the metric and scalar HS1939 models by school, ``lavTestLRT`` between adjacent levels). The
simulation plants two shifted intercepts and one different loading in three dimensions of the
shipped mindset instrument and checks that exactly those are freed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
import instruments
from analysis import cfa, measurement_invariance, score_tests
from analysis.invariance import comparability

REFERENCE = Path(__file__).parent / "reference"
LAVAAN = json.loads((REFERENCE / "cfa_lavaan.json").read_text())
HS = pd.read_csv(REFERENCE / "data" / "holzinger1939.csv")
THREE = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
EQUAL = {"metric": ["loadings"], "scalar": ["loadings", "intercepts"]}


@pytest.fixture(scope="module")
def hs_invariance():
    return measurement_invariance(HS, THREE, "school")


@pytest.mark.parametrize("level", ["metric", "scalar", "three_groups"])
def test_score_tests_match_lavtestscore(level):
    # three_groups: the scalar model by a grouping with three values, so two constraints per
    # parameter (each later group tied to the first).
    group = "third" if level == "three_groups" else "school"
    tests = score_tests(cfa(HS, THREE, group=group, group_equal=EQUAL.get(level, EQUAL["scalar"])))
    expected = pd.DataFrame(LAVAAN["score_tests"][level])
    expected["rhs"] = expected["rhs"].fillna("")
    merged = expected.merge(tests, on=["lhs", "op", "rhs", "group"], suffixes=("_lavaan", ""))
    assert len(merged) == len(expected) == len(tests)
    np.testing.assert_allclose(merged["X2"], merged["X2_lavaan"], rtol=0, atol=1e-3)
    np.testing.assert_allclose(merged["pvalue"], merged["p"], rtol=0, atol=1e-4)


def test_comparisons_match_lavtestlrt(hs_invariance):
    table = hs_invariance.comparisons
    for pair, ref in LAVAAN["comparisons"].items():
        later = pair.split("_")[1]
        assert table.loc[later, "chisq_diff"] == pytest.approx(ref["chisq_diff"], abs=1e-3)
        assert table.loc[later, "df_diff"] == ref["df_diff"]
        assert table.loc[later, "pvalue"] == pytest.approx(ref["p"], abs=1e-4)
    for level in ("metric", "scalar", "strict"):
        fits = {name: LAVAAN["fits"][name]["fit"] for name in LAVAAN["fits"]}
        before = {"metric": "configural", "scalar": "metric", "strict": "scalar"}[level]
        for measure in ("cfi", "rmsea", "srmr"):
            expected = fits[level][measure] - fits[before][measure]
            assert table.loc[level, f"{measure}_diff"] == pytest.approx(expected, abs=1e-3)


def test_hs1939_partial_scalar_frees_x3_and_x7(hs_invariance):
    # The textbook result: metric invariance holds; scalar does not until the intercepts of x3
    # and x7 are freed (e.g. the lavaan tutorial and semTools' partialInvariance).
    result = hs_invariance
    assert dict(result.freed) == {"configural": (), "metric": (), "scalar": ("x3~1", "x7~1"), "strict": ()}
    assert result.comparisons["holds"].tolist() == [True, True, False, False]
    assert result.established["scalar"]
    assert not result.established["strict"]
    assert result.partial_fits["scalar"].group_partial == ("x3~1", "x7~1")
    assert result.dimensions["status"].to_dict() == {
        "visual": "partial",
        "textual": "comparable",
        "speed": "partial",
    }
    assert result.dimensions.loc["visual", "items"] == ("x3",)
    assert result.groups == ("Pasteur", "Grant-White")


def test_without_partial_search_and_with_max_free_zero_nothing_is_freed():
    result = measurement_invariance(
        HS, THREE, "school", levels=("configural", "metric", "scalar"), max_free=0
    )
    assert all(not freed for freed in result.freed.values())
    assert not result.established["scalar"]
    # x3's and x7's intercept tests stay significant: their factors are not comparable.
    assert result.dimensions["status"].to_dict() == {
        "visual": "not comparable",
        "textual": "comparable",
        "speed": "not comparable",
    }
    no_search = measurement_invariance(HS, THREE, "school", levels=("configural", "metric"), partial=False)
    assert list(no_search.fits) == ["configural", "metric"]
    assert set(no_search.dimensions["status"]) == {"not tested"}


def test_fit_criterion_uses_cfi_and_rmsea_changes():
    result = measurement_invariance(
        HS, THREE, "school", levels=("configural", "metric", "scalar"), criterion="fit"
    )
    table = result.comparisons
    # metric -> scalar: CFI drops by 0.039, more than 0.01: not invariant by Cheung & Rensvold.
    assert table.loc["scalar", "cfi_diff"] < -0.01
    assert not table.loc["scalar", "holds"]
    assert table.loc["metric", "holds"]
    assert result.partial_comparisons.loc["scalar", "cfi_diff"] >= -0.01


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": ("metric",)}, "leading run"),
        ({"levels": ("configural", "weak")}, "levels must be one of"),
        ({"criterion": "aic"}, "criterion must be one of"),
        ({"alpha": 1.5}, "alpha must be"),
        ({"max_free": -1}, "max_free must be at least 0"),
        ({"partial": "yes"}, "partial must be"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        measurement_invariance(HS, THREE, "school", **kwargs)


def test_score_tests_need_a_fit_and_are_empty_without_constraints():
    with pytest.raises(ValueError, match="CFAResult"):
        score_tests("fit")
    assert score_tests(cfa(HS, THREE)).empty
    assert score_tests(cfa(HS, THREE, group="school")).empty


# --- planted non-invariance ----------------------------------------------------------------


def _planted(seed: int, n: int, dimensions, intercepts, loading_item) -> pd.DataFrame:
    """Two functions answering the items of ``dimensions`` from a three-factor model.

    Loadings 0.7, residual variance 0.51, factor correlations 0.3, marketing's factor means
    0.3 higher; in marketing the items in ``intercepts`` have intercepts 0.5 higher and
    ``loading_item`` a loading of 0.3.
    """
    rng = np.random.default_rng(seed)
    m = len(dimensions)
    frames = []
    for g, function in enumerate(["sales", "marketing"]):
        cov = np.full((m, m), 0.3) + 0.7 * np.eye(m)
        eta = rng.multivariate_normal(np.full(m, 0.3 * g), cov, size=n)
        columns = {}
        for k, items in enumerate(dimensions.values()):
            for item in items:
                loading = 0.3 if g == 1 and item == loading_item else 0.7
                intercept = 3.0 + (0.5 if g == 1 and item in intercepts else 0.0)
                columns[item] = intercept + loading * eta[:, k] + np.sqrt(0.51) * rng.standard_normal(n)
        frames.append(pd.DataFrame(columns).assign(function=function))
    return pd.concat(frames, ignore_index=True)


def test_planted_non_invariant_items_are_found():
    mindset = instruments.load("mindset")
    dimensions = {d.id: list(d.item_ids) for d in mindset.dimensions[:3]}
    first, second, third = dimensions.values()
    intercepts, loading_item = [first[2], second[4]], third[3]
    data = _planted(1, 400, dimensions, intercepts, loading_item)
    result = measurement_invariance(data, dimensions, "function", levels=("configural", "metric", "scalar"))
    third_name = list(dimensions)[2]
    assert result.freed["metric"] == (f"{third_name}=~{loading_item}",)
    assert set(result.freed["scalar"]) == {f"{item}~1" for item in intercepts}
    assert result.established["scalar"]
    assert result.dimensions["status"].tolist() == ["partial", "partial", "partial"]
    assert [list(items) for items in result.dimensions["items"]] == [[first[2]], [second[4]], [loading_item]]
    # Without planted differences nothing is freed and every dimension is comparable.
    clean = _planted(1, 400, dimensions, [], None)
    clean_result = measurement_invariance(
        clean, dimensions, "function", levels=("configural", "metric", "scalar")
    )
    assert all(not freed for freed in clean_result.freed.values())
    assert set(clean_result.dimensions["status"]) == {"comparable"}


def test_comparability_per_dimension_of_an_instrument():
    alignment = instruments.load("alignment")
    teams = {"S1": "sales", "S2": "sales", "M1": "marketing", "M2": "marketing"}
    data = analysis.simulate(alignment, teams, 150, seed=3, careless_rate=0.0)
    marketing = data["function"] == "marketing"
    data.loc[marketing, "st_3"] = np.minimum(data.loc[marketing, "st_3"] + 1, 5)  # a shifted intercept
    data["tr_2"] = 3.0  # an item without variance: its dimension cannot be fitted
    data = data.drop(columns=["fb_1", "fb_2"])  # two of feedback's four items not asked
    table = comparability(data, alignment, "function")
    assert list(table.index) == [d.id for d in alignment.dimensions]
    assert table.loc["strategy", "status"] in {"partial", "not comparable"}
    assert "st_3" in table.loc["strategy", "items"]
    assert table.loc["strategy", "scalar_pvalue"] < 1e-6
    assert table.loc["shared_definitions", "status"] == "comparable"
    # Meta items are asked of one function only and are left out: 4 of lead quality's 6 items.
    assert table.loc["lead_quality", "n_items"] == 4
    assert tuple(table.loc["feedback", ["status", "reason"]]) == ("not tested", "too_few_items")
    assert tuple(table.loc["trust", ["status", "reason"]]) == ("not tested", "unusable_data")
    assert set(table["status"]) <= {"comparable", "partial", "not comparable", "not tested"}
    with pytest.raises(ValueError, match="not a column"):
        comparability(data, alignment, "wave")
    with pytest.raises(ValueError, match="at least two groups"):
        comparability(data[~marketing], alignment, "function")


def test_analyze_command_prints_the_comparability_table(tmp_path):
    from click.testing import CliRunner

    from analysis.cli import analyze

    alignment = instruments.load("alignment")
    teams = {"S1": "sales", "S2": "sales", "M1": "marketing", "M2": "marketing"}
    data = analysis.simulate(alignment, teams, 120, seed=5)
    marketing = data["function"] == "marketing"
    data.loc[marketing, "st_3"] = np.minimum(data.loc[marketing, "st_3"] + 2, 5)
    path = tmp_path / "responses.csv"
    data.drop(columns=["careless", "careless_type"]).to_csv(path, index_label="respondent_id")
    arguments = [
        str(path),
        "--instrument",
        "alignment",
        "--invariance",
        "function",
        "--json",
        str(tmp_path / "r.json"),
    ]
    result = CliRunner().invoke(analyze, arguments)
    assert result.exit_code == 0, result.output
    assert "Measurement invariance by function" in result.output
    table = result.output.split("Measurement invariance by function")[1].splitlines()
    line = next(row for row in table if row.split()[:1] == ["strategy"])
    assert "st_3" in line
    assert "partly comparable" in line or "not comparable" in line
    shared = next(row for row in table if row.split()[:1] == ["shared_definitions"])
    assert shared.split()[1] == "comparable"
    written = json.loads((tmp_path / "r.json").read_text())
    assert [row["dimension"] for row in written["invariance"]] == [d.id for d in alignment.dimensions]
    refused = CliRunner().invoke(analyze, [str(path), "--instrument", "alignment", "--invariance", "wave"])
    assert refused.exit_code == 2
    assert "no column 'wave'" in refused.output
