"""Every public function of ``analysis`` on generated data: a result or a ValueError, nothing else.

Data of any shape (no rows, one row, one column, constant columns, missing everywhere), finite
or missing values, answers on and off the scale, team labels of mixed types. The only warnings
allowed are the library's own ``UserWarning`` subclasses (e.g. ``FactorSolutionWarning``): a
numpy ``RuntimeWarning`` or a third-party warning reaching the caller is a finding, as is any
exception other than ``ValueError``. Bounded: a few dozen examples per function, no deadline.
"""

from __future__ import annotations

import contextlib
import inspect
import signal
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import analysis
import instruments

pytestmark = [pytest.mark.slow, pytest.mark.once]

FAST = settings(max_examples=15, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
HEAVY = settings(FAST, max_examples=6)
#: The longest one call may take before the fuzzer calls it a hang.
CALL_SECONDS = 30

#: The library's own warnings: every UserWarning subclass defined in an ``analysis`` module.
OWN_WARNINGS = tuple(
    value
    for module in list(sys.modules.values())
    if getattr(module, "__name__", "").startswith("analysis")
    for value in vars(module).values()
    if inspect.isclass(value) and issubclass(value, UserWarning) and value.__module__.startswith("analysis")
)


@contextlib.contextmanager
def _time_limit(seconds: int):
    def stop(signum, frame):
        raise TimeoutError(f"a call took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(function, *args, **kwargs):
    """``function(*args, **kwargs)``, or ``None`` for a ValueError; fails on anything else."""
    with warnings.catch_warnings(record=True) as caught, _time_limit(CALL_SECONDS):
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except ValueError:
            result = None
    foreign = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
               if not issubclass(w.category, OWN_WARNINGS)]  # fmt: skip
    assert not foreign, f"{function.__name__} let warnings through: {foreign}"
    return result


# --- data

#: Answers as they come: on a 1-5 scale mostly, missing often, now and then any finite number.
values = st.one_of(
    st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0]),
    st.just(np.nan),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.sampled_from([0.0, -0.0, 1e-300, 1e6, -1e6]),
)
#: Team labels: numbers, text, or both in one column.
labels = st.sampled_from([1, 2, 3, "a", "b", 2.5, "sales", "marketing"])


@st.composite
def frames(draw, min_rows=0, max_rows=14, min_cols=0, max_cols=6, elements=values, prefix="i"):
    rows = draw(st.integers(min_rows, max_rows))
    cols = draw(st.integers(min_cols, max_cols))
    data = draw(hnp.arrays(float, (rows, cols), elements=elements))
    if cols and rows and draw(st.booleans()):
        data[:, draw(st.integers(0, cols - 1))] = draw(values)  # a constant (or empty) column
    return pd.DataFrame(data, columns=[f"{prefix}{j}" for j in range(cols)])


@st.composite
def grouped(draw, max_cols=5):
    items = draw(frames(max_cols=max_cols))
    groups = draw(st.lists(labels, min_size=len(items), max_size=len(items)))
    return items, pd.Series(groups, index=items.index, dtype=object)


def series(min_size=0, max_size=20):
    return st.lists(values, min_size=min_size, max_size=max_size).map(lambda v: pd.Series(v, dtype=float))


ITEM_FUNCTIONS = ["bartlett", "correlation_matrix", "covariance_matrix", "cronbach_alpha", "kmo",
                  "pairwise_counts", "irv", "longstring", "mahalanobis"]  # fmt: skip


@pytest.mark.parametrize("name", ITEM_FUNCTIONS)
@FAST
@given(items=frames(), missing=st.sampled_from(["pairwise", "listwise", "everything"]))
def test_item_statistics(name, items, missing):
    function = getattr(analysis, name)
    if "missing" in inspect.signature(function).parameters:
        outcome(function, items, missing=missing)
    else:
        outcome(function, items)


@HEAVY
@given(items=frames(max_cols=6), n_factors=st.integers(-1, 4),
       method=st.sampled_from(["minres", "ml", "principal"]),
       rotation=st.sampled_from([None, "oblimin", "varimax", "promax"]))  # fmt: skip
def test_efa(items, n_factors, method, rotation):
    outcome(analysis.efa, items, n_factors, method=method, rotation=rotation)


@HEAVY
@given(items=frames(max_cols=7), n_factors=st.integers(0, 3))
def test_omega(items, n_factors):
    outcome(analysis.omega, items, n_factors)
    outcome(analysis.omega_total, items, missing="pairwise" if n_factors % 2 else "listwise")


@HEAVY
@given(items=frames(max_cols=5), threshold=st.sampled_from(["p95", "mean", "median"]))
def test_parallel_analysis(items, threshold):
    outcome(analysis.parallel_analysis, items, n_iter=3, seed=0, threshold=threshold)


@FAST
@given(items=frames(), longstring_min=st.none() | st.integers(-1, 8), irv_max=st.floats(-1, 3),
       irv_min_items=st.integers(0, 12), alpha=st.floats(-0.5, 1.5))  # fmt: skip
def test_careless(items, longstring_min, irv_max, irv_min_items, alpha):
    outcome(analysis.careless, items, longstring_min=longstring_min, irv_max=irv_max,
            irv_min_items=irv_min_items, mahalanobis_alpha=alpha)  # fmt: skip


@FAST
@given(alpha=st.floats(allow_nan=True, allow_infinity=False), n_obs=st.integers(-2, 500),
       n_items=st.integers(-2, 30), level=st.floats(-1, 2))  # fmt: skip
def test_feldt_interval(alpha, n_obs, n_items, level):
    outcome(analysis.feldt_interval, alpha, n_obs, n_items, level)


# --- agreement and groups


@FAST
@given(data=grouped(), n_options=st.integers(-1, 7), missing=st.sampled_from(["listwise", "pairwise"]))
def test_rwg_and_rwg_j(data, n_options, missing):
    items, groups = data
    if items.shape[1]:
        outcome(analysis.rwg, items.iloc[:, 0], groups, n_options)
    outcome(analysis.rwg_j, items, groups, n_options, missing=missing)


@FAST
@given(
    data=grouped(), low=st.floats(-10, 10), high=st.floats(-10, 10), kind=st.sampled_from(["mean", "median"])
)
def test_awg_and_ad_index(data, low, high, kind):
    items, groups = data
    outcome(analysis.awg, items, groups, low, high)
    outcome(analysis.ad_index, items, groups, type=kind)


@FAST
@given(data=grouped(), n_options=st.integers(-1, 7), missing=st.sampled_from(["listwise", "pairwise"]),
       split=st.integers(0, 5))  # fmt: skip
def test_rwg_j_and_icc_of_many_scales(data, n_options, missing, split):
    items, groups = data
    columns = list(items.columns)
    scales = {"first": columns[:split], "second": columns[split:]}
    outcome(analysis.rwg_j_scales, items, groups, scales, n_options, missing=missing)
    outcome(analysis.icc_scores, items, groups)


@FAST
@given(p=st.lists(st.one_of(st.floats(-0.5, 1.5), st.just(np.nan)), max_size=30),
       method=st.sampled_from(["fdr_bh", "bonferroni", "holm", "BH"]), alpha=st.floats(-1, 2))  # fmt: skip
def test_adjust_p_and_multicomp(p, method, alpha):
    outcome(analysis.adjust_p, p, method)
    outcome(analysis.multicomp, p, alpha=alpha, method=method)


@FAST
@given(data=grouped(max_cols=1))
def test_icc1_and_icc2(data):
    items, groups = data
    column = items.iloc[:, 0] if items.shape[1] else pd.Series([], dtype=float)
    outcome(analysis.icc1, column, groups.iloc[: len(column)])
    outcome(analysis.icc2, column, groups.iloc[: len(column)])


# --- gaps, trend, alignment


@FAST
@given(a=series(), b=series(), paired=st.booleans(), confidence=st.floats(-0.5, 1.5))
def test_gap_and_trend(a, b, paired, confidence):
    outcome(analysis.gap, a, b)
    outcome(analysis.trend, a, b, paired=paired, confidence=confidence)


@FAST
@given(data=grouped(), min_n=st.integers(-1, 4), effect=st.sampled_from(["g", "d"]))
def test_perception_gaps_alignment_and_similarity(data, min_n, effect):
    scores, teams = data
    table = outcome(analysis.perception_gaps, scores, teams, min_n=min_n)
    if table is not None:
        outcome(analysis.alignment_index, table, effect=effect)
        outcome(analysis.profile_similarity, table)
    half = len(scores) // 2
    outcome(analysis.alignment_index, scores.iloc[:half], scores.iloc[half:], effect=effect)
    outcome(analysis.profile_similarity, scores.iloc[:half], scores.iloc[half:])
    outcome(analysis.alignment_index, scores.to_numpy().ravel())
    outcome(analysis.alignment_estimate, scores.iloc[:half], scores.iloc[half:], replicates=100, seed=0)


# --- anonymity


@st.composite
def team_trees(draw, min_teams=1, max_teams=6):
    """A ``teams`` table: keys of one type or mixed, parents earlier in the list (or, rarely, a cycle)."""
    keys = draw(st.lists(labels, min_size=min_teams, max_size=max_teams, unique_by=str).filter(
        lambda k: len(set(k)) == len(k)))  # fmt: skip
    parents = []
    for position in range(len(keys)):
        choices = [None, *keys[:position]]
        parents.append(
            draw(st.sampled_from(choices)) if draw(st.integers(0, 19)) else draw(st.sampled_from(keys))
        )
    functions = draw(st.lists(st.sampled_from(["sales", "marketing", "other"]), min_size=len(keys),
                              max_size=len(keys)))  # fmt: skip
    return pd.DataFrame(
        {
            "name": [f"Team {k}" for k in keys],
            "function": functions,
            "parent": pd.Series(parents, dtype=object),
        }
    ).set_axis(pd.Index(keys, dtype=object))


@FAST
@given(teams=team_trees(), sizes=st.lists(st.integers(-1, 12), min_size=6, max_size=6),
       threshold=st.integers(-1, 8), how=st.sampled_from(["drop", "blank", "keep"]))  # fmt: skip
def test_suppression_and_its_tables(teams, sizes, threshold, how):
    counts = pd.Series(sizes[: len(teams)], index=teams.index)
    result = outcome(analysis.suppression, counts, threshold, teams["parent"])
    if result is None:
        return
    table = pd.DataFrame({"n": counts, "mean": np.linspace(1, 5, len(counts))}, index=teams.index)
    outcome(analysis.suppress_rows, table, result, how=how)
    keys = list(teams.index)
    pairs = pd.DataFrame({"team_a": keys, "team_b": keys[::-1], "g": 0.1})
    outcome(analysis.suppress_pairs, pairs, result)


@FAST
@given(groups=st.dictionaries(st.text(max_size=3), st.frozensets(st.integers(0, 12), max_size=10),
                              max_size=6),
       threshold=st.integers(-1, 6), limit=st.integers(-1, 1000))  # fmt: skip
def test_disclosures(groups, threshold, limit):
    outcome(analysis.disclosures, groups, threshold, limit=limit)


@FAST
@given(teams=team_trees(), data=st.data(), threshold=st.integers(-1, 6))
def test_comment_visibility(teams, data, threshold):
    keys = list(teams.index)
    respondents = pd.DataFrame(
        {"team": data.draw(st.lists(st.sampled_from(keys), max_size=15)), "function": "x"}
    )
    comments = pd.DataFrame(
        {
            "text": data.draw(
                st.lists(st.text(max_size=5), min_size=len(respondents), max_size=len(respondents))
            ),
            "team": respondents["team"],
            "function": "x",
        }
    )
    outcome(analysis.comment_visibility, comments, respondents, threshold=threshold,
            parents=teams["parent"], attributes=data.draw(st.sampled_from([(), ("function",)])))  # fmt: skip


# --- instruments: scoring, simulation, reports

SYNTHETIC = analysis.synthetic_instrument(2, 3)
ALIGNMENT = instruments.load("alignment")


@st.composite
def responses(draw, instrument, teams, max_rows=16, all_items=True):
    items = [item.id for item in instrument.items]
    if not all_items:
        items = draw(st.lists(st.sampled_from(items), unique=True))
    rows = draw(st.integers(0, max_rows))
    answers = draw(hnp.arrays(float, (rows, len(items)), elements=values if draw(st.booleans()) else
                              st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])))  # fmt: skip
    frame = pd.DataFrame(answers, columns=items)
    labels = draw(st.lists(st.sampled_from(list(teams.index)), min_size=rows, max_size=rows))
    frame["team"] = pd.Series(labels, dtype=object)
    return frame


@FAST
@given(data=st.data(), instrument=st.sampled_from([SYNTHETIC, ALIGNMENT]), reverse=st.booleans())
def test_scoring(data, instrument, reverse):
    teams = data.draw(team_trees())
    frame = data.draw(responses(instrument, teams, all_items=data.draw(st.booleans())))
    outcome(analysis.keyed_items, frame, instrument, reverse=reverse)
    outcome(analysis.score, frame, instrument)
    outcome(analysis.scored_dimensions, instrument)
    functions = teams["function"].to_dict()
    outcome(analysis.meta_perception_gaps, frame, frame["team"], instrument, functions)


@FAST
@given(n_dimensions=st.integers(-1, 4), per_dimension=st.integers(-1, 4), points=st.integers(-1, 8),
       reverse_every=st.integers(-1, 4), n=st.integers(-1, 6), icc=st.floats(-0.5, 1.5),
       loading=st.floats(-1.5, 1.5), correlation=st.floats(-1.5, 1.5), missing=st.floats(-0.5, 1.5),
       careless=st.floats(-0.5, 1.5))  # fmt: skip
def test_synthetic_instrument_and_simulate(n_dimensions, per_dimension, points, reverse_every, n, icc,
                                           loading, correlation, missing, careless):  # fmt: skip
    instrument = outcome(analysis.synthetic_instrument, n_dimensions, per_dimension, points=points,
                         reverse_every=reverse_every)  # fmt: skip
    outcome(analysis.simulate, instrument or SYNTHETIC, {"s": "sales", "m": "marketing"}, n, seed=0,
            icc=icc, loading=loading, dimension_correlation=correlation, missing_rate=missing,
            careless_rate=careless)  # fmt: skip


@HEAVY
@given(data=st.data(), instrument=st.sampled_from([SYNTHETIC, ALIGNMENT]), threshold=st.integers(0, 4),
       with_history=st.booleans())  # fmt: skip
def test_reports(data, instrument, threshold, with_history):
    teams = data.draw(team_trees())
    frame = data.draw(responses(instrument, teams))
    history = [("earlier", data.draw(responses(instrument, teams)))] if with_history else []
    invited = {key: 20 for key in teams.index}
    comments = pd.DataFrame({"text": ["fine"] * len(frame), "team": frame["team"]})
    report = outcome(analysis.organization_report, frame, teams, instrument, threshold=threshold,
                     history=history, invited=invited, comments=comments,
                     comment_threshold=max(threshold, 1))  # fmt: skip
    outcome(analysis.published_groups, frame, teams, instrument, threshold=threshold)
    team = data.draw(st.sampled_from(list(teams.index)))
    outcome(analysis.team_report, frame, teams, instrument, team, threshold=threshold, history=history,
            invited=invited, organization=report)  # fmt: skip


@HEAVY
@given(data=grouped(max_cols=6), split=st.integers(1, 3),
       equal=st.sampled_from([(), ("loadings",), ("loadings", "intercepts")]))  # fmt: skip
def test_cfa_and_measurement_invariance(data, split, equal):
    items, groups = data
    columns = list(items.columns)
    model = {"f1": columns[:split], "f2": columns[split:]} if len(columns) > split else {"f1": columns}
    frame = items.assign(group=groups)
    outcome(analysis.cfa, frame, model)
    fit = outcome(analysis.cfa, frame, model, group="group", group_equal=equal)
    if fit is not None:
        outcome(analysis.score_tests, fit)
    outcome(analysis.measurement_invariance, frame, model, "group", levels=("configural", "metric", "scalar"))


@HEAVY
@given(data=st.data())
def test_comparability(data):
    teams = data.draw(team_trees())
    frame = data.draw(responses(SYNTHETIC, teams, max_rows=40))
    outcome(analysis.comparability, frame, SYNTHETIC, "team")


#: A group's published summary as it might come: counts, means and SDs of any sign or size.
cells = st.tuples(
    st.sampled_from([-1, 0, 1, 2, 3, 12, 40]),
    st.sampled_from([3.0, 4.5, np.nan, np.inf, -1e300, 1e300]) | st.floats(-10, 10),
    st.sampled_from([0.0, 1.0, -1.0, np.nan, 1e-300, 1e300]) | st.floats(0, 5),
)


@FAST
@given(groups=st.lists(cells, min_size=0, max_size=4), weights=st.lists(st.floats(-2, 2), max_size=4),
       level=st.sampled_from([0.95, 0.0, 1.0, 1.5, np.nan]), extra=st.sampled_from([0.0, -1.0, 0.5, np.inf]),
       effect=st.sampled_from([0.5, 0.0, -1.0, np.nan, np.inf]), sizes=st.tuples(st.integers(-1, 30),
       st.integers(-1, 30)), tests=st.integers(-1, 5))  # fmt: skip
def test_effects(groups, weights, level, extra, effect, sizes, tests):
    outcome(analysis.pool, groups)
    outcome(analysis.linear_contrast, groups, weights, level=level, extra_variance=extra)
    padded = (groups + [(5, 3.0, 1.0)] * 4)[:4]
    outcome(analysis.difference_in_differences, *padded, level=level, shock_variance=extra)
    outcome(analysis.difference_in_differences, [padded[0], padded[1]], padded[1], padded[2], [padded[3]])
    outcome(analysis.team_shock_variance, groups, list(reversed(groups)))
    outcome(analysis.did_power, effect, *sizes, tests=tests)


@FAST
@given(reliability=st.sampled_from([0.8, 0.0, 1.0, -0.2, 1.5, np.nan, np.inf]) | st.floats(-2, 2),
       ratio=st.sampled_from([0.5, 2.0, 0.0, -1.0, np.nan, np.inf, 1e-300]) | st.floats(-3, 3))  # fmt: skip
def test_spearman_brown(reliability, ratio):
    outcome(analysis.spearman_brown, reliability, ratio)


COVERED = {
    *ITEM_FUNCTIONS, "efa", "omega", "parallel_analysis", "careless", "feldt_interval", "rwg", "rwg_j", "awg",
    "ad_index", "icc1", "icc2", "gap", "trend", "perception_gaps", "alignment_index", "alignment_estimate",
    "profile_similarity",
    "suppression", "suppress_rows", "suppress_pairs", "disclosures", "comment_visibility", "keyed_items",
    "score", "scored_dimensions", "meta_perception_gaps", "synthetic_instrument", "simulate",
    "organization_report", "published_groups", "team_report", "omega_total", "rwg_j_scales", "icc_scores",
    "adjust_p", "multicomp", "cfa", "score_tests", "measurement_invariance",
    "comparability",
    # Fuzzed beside their reference tests: tests/analysis/test_interrater.py and test_calibration.py.
    "krippendorff_alpha", "fleiss_kappa", "function_agreement", "vignette_splits", "definition_index",
    "policy_weights", "calibration_summary",
    "spearman_brown", "pool", "linear_contrast", "difference_in_differences", "team_shock_variance",
    "did_power",
}  # fmt: skip


def test_every_public_function_is_fuzzed():
    public = {name for name in analysis.__all__ if inspect.isfunction(getattr(analysis, name))}
    assert public - COVERED == set()
