"""Confirmatory factor analysis against lavaan 0.6.

Reference values: tests/analysis/reference/cfa_lavaan.R -> cfa_lavaan.json (lavaan's
HolzingerSwineford1939, exported to data/holzinger1939.csv): the three-factor model on one group,
with a cross-loading, and with ``group = "school"`` at each invariance level and with
``group.partial``, with factor variances, covariances and means equal as well, and the scalar
model by a grouping with three groups (pupil id modulo 3). Every estimate, standard error and fit
measure is held to 1e-3 (they agree to about 2e-5, lavaan's own convergence tolerance).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis.cfa import CFAWarning, cfa, parse_model

REFERENCE = Path(__file__).parent / "reference"
LAVAAN = json.loads((REFERENCE / "cfa_lavaan.json").read_text())
HS = pd.read_csv(REFERENCE / "data" / "holzinger1939.csv")
THREE = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
TOLERANCE = 1e-3


def _fit(name: str):
    ref = LAVAAN["fits"][name]
    return ref, cfa(
        HS,
        ref["model"],
        group=ref["group"],
        group_equal=ref["group_equal"],
        group_partial=ref["group_partial"],
    )


@pytest.mark.parametrize("name", list(LAVAAN["fits"]))
def test_estimates_and_fit_match_lavaan(name):
    ref, result = _fit(name)
    expected = pd.DataFrame(ref["estimates"])
    expected["rhs"] = expected["rhs"].fillna("")
    merged = expected.merge(
        result.estimates,
        on=["lhs", "op", "rhs", "group"],
        how="outer",
        suffixes=("_lavaan", ""),
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["est"], merged["est_lavaan"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(merged["se"], merged["se_lavaan"], rtol=0, atol=TOLERANCE)
    for measure, value in ref["fit"].items():
        assert result.fit[measure] == pytest.approx(value, abs=TOLERANCE), measure
    assert list(result.nobs) == ref["nobs"]
    assert list(result.groups) == ref["group_labels"]
    assert result.converged


def test_result_is_frozen_and_lavaan_shaped():
    result = cfa(HS, THREE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.converged = False
    with pytest.raises(TypeError):
        result.fit["cfi"] = 1.0
    assert list(result.estimates.columns[:6]) == ["lhs", "op", "rhs", "group", "est", "se"]
    assert set(result.fit) >= {"npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                               "rmsea.ci.upper", "srmr"}  # fmt: skip
    marker = result.estimates.query("lhs == 'visual' and op == '=~' and rhs == 'x1'").iloc[0]
    assert (marker["est"], marker["se"]) == (1.0, 0.0)
    assert np.isnan(marker["z"])
    # One group: no mean structure, as lavaan.
    assert "~1" not in set(result.estimates["op"])


def test_lavaan_syntax_and_mapping_give_the_same_fit():
    syntax = """
    # the three HS1939 abilities
    visual =~ x1 + x2 +
              x3
    textual =~ x4 + x5 + x6; speed =~ x7 + x8   ! two lines for one factor
    speed =~ x9
    """
    assert parse_model(syntax) == {k: tuple(v) for k, v in THREE.items()}
    assert cfa(HS, syntax).fit["chisq"] == pytest.approx(cfa(HS, THREE).fit["chisq"], abs=1e-9)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("visual =~ x1 + x2 + x3\nx1 ~~ x2", "x1 ~~ x2"),
        ("visual =~ 1*x1 + x2 + x3", "1\\*x1"),
        ("visual ~ x1 + x2", "visual ~ x1"),
        ("", "no '=~' line"),
        ({"visual": ["x1"]}, "needs at least two"),
        ({"visual": ["x1", "x1", "x2"]}, "more than once"),
        ({"visual": ["x1", "x2"], "x1": ["x3", "x4"]}, "second-order"),
        ({"visual": "x1 + x2"}, "sequence of item names"),
        ({}, "no factor"),
        (["x1", "x2"], "mapping"),
        ({"visual": ["x1", "x2", "nope"]}, "nope"),
    ],
)
def test_model_errors_name_the_line_or_item(model, message):
    with pytest.raises(ValueError, match=message):
        cfa(HS, model)


def test_listwise_deletion_drops_incomplete_rows():
    holes = HS.copy()
    holes.loc[[3, 10, 200], "x2"] = np.nan
    holes.loc[[50], "x9"] = np.nan
    result = cfa(holes, THREE, group="school")
    complete = cfa(holes.dropna(subset=[f"x{i}" for i in range(1, 10)]), THREE, group="school")
    assert sum(result.nobs) == len(HS) - 4
    assert result.fit["chisq"] == pytest.approx(complete.fit["chisq"], abs=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_equal": ["loadings"]}, "needs a group"),
        ({"group": "school", "group_equal": ["slopes"]}, "group_equal must be one of"),
        ({"group": "nope"}, "'nope' is not a column"),
        ({"group": 3}, "name of a column"),
        ({"group": "grade"}, "1 missing labels"),
        ({"group": "school", "group_partial": ["x1 ~ x2"]}, "group_partial entries"),
        ({"group": "school", "group_partial": ["visual=~x9"]}, "not in the model"),
        ({"missing": "fiml"}, "missing must be one of"),
        ({"estimator": "MLR"}, "estimator must be one of"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cfa(HS, THREE, **kwargs)


def test_one_group_value_is_refused():
    with pytest.raises(ValueError, match="at least two groups"):
        cfa(HS.assign(all="one"), THREE, group="all")


def test_degenerate_data_get_a_value_error_naming_the_item():
    with pytest.raises(ValueError, match=r"\['x5'\] have no variance"):
        cfa(HS.assign(x5=2.0), THREE)
    with pytest.raises(ValueError, match=r"linearly dependent"):
        cfa(HS.assign(x6=HS["x4"] + HS["x5"]), THREE)
    with pytest.raises(ValueError, match="more respondents than items"):
        cfa(HS.head(8), THREE)
    with pytest.raises(ValueError, match=r"group 'Pasteur'"):
        cfa(
            pd.concat([HS[HS.school == "Pasteur"].head(5), HS[HS.school != "Pasteur"]]), THREE, group="school"
        )
    with pytest.raises(ValueError, match="infinite values"):
        cfa(HS.assign(x1=np.where(HS.index == 7, np.inf, HS["x1"])), THREE)
    with pytest.raises(ValueError, match="must be numeric"):
        cfa(HS.assign(x1="a"), THREE)
    with pytest.raises(ValueError, match="DataFrame"):
        cfa(HS[["x1", "x2", "x3"]].to_numpy(), {"f": ["x1", "x2", "x3"]})


def test_a_model_with_more_parameters_than_moments_is_refused():
    with pytest.raises(ValueError, match="not identified"):
        cfa(HS, {"f": ["x1", "x2"]})


def test_negative_residual_variance_warns_as_lavaan_does():
    rng = np.random.default_rng(2)
    eta = rng.standard_normal(40)
    data = pd.DataFrame({f"y{j}": lam * eta + np.sqrt(1 - lam**2) * rng.standard_normal(40)
                         for j, lam in enumerate([0.98, 0.5, 0.5])})  # fmt: skip
    with pytest.warns(CFAWarning, match=r"negative \(a Heywood case\): \['y0'\]"):
        result = cfa(data, {"f": ["y0", "y1", "y2"]})
    assert result.estimates.query("lhs == 'y0' and op == '~~'")["est"].iloc[0] < 0


def test_non_convergence_warns(monkeypatch):
    cfa_module = sys.modules["analysis.cfa"]  # analysis.cfa is the function
    original = cfa_module._optimise

    def stalled(model, start):
        x, value, _ = original(model, start)
        return x, value, False

    monkeypatch.setattr(cfa_module, "_optimise", stalled)
    with pytest.warns(CFAWarning, match="did not find a solution"):
        result = cfa(HS, THREE)
    assert not result.converged


def test_exported_from_the_package():
    assert analysis.cfa is cfa
    assert {"cfa", "measurement_invariance", "score_tests"} <= set(analysis.__all__)
