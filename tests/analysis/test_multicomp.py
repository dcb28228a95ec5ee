"""Multiple-comparison adjustments against R's p.adjust.

Reference values: tests/analysis/reference/multicomp.R -> multicomp.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import analysis
from analysis.multicomp import METHODS, adjust_p, multicomp

REFERENCE = json.loads((Path(__file__).parent / "reference" / "multicomp.json").read_text())


def _array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("case", sorted(REFERENCE))
@pytest.mark.parametrize("method", METHODS)
def test_adjust_p_matches_r_p_adjust(case, method):
    expected = REFERENCE[case]
    ours = adjust_p(_array(expected["p"]), method)
    np.testing.assert_allclose(ours, _array(expected[method]), rtol=1e-12, atol=0, equal_nan=True)


def test_missing_p_values_stay_missing_and_do_not_count():
    with_gap = adjust_p([0.01, np.nan, 0.02], "bonferroni")
    np.testing.assert_allclose(with_gap, [0.02, np.nan, 0.04], equal_nan=True)
    assert np.isnan(adjust_p([np.nan, np.nan])).all()
    assert adjust_p([]).shape == (0,)


def test_the_order_of_the_input_is_kept():
    p = np.array([0.04, 0.001, 0.3, 0.01])
    for method in METHODS:
        shuffled = [3, 0, 2, 1]
        np.testing.assert_allclose(adjust_p(p[shuffled], method), adjust_p(p, method)[shuffled])


def test_adjusted_p_values_are_ordered_like_the_raw_ones_and_never_smaller():
    p = np.random.default_rng(3).uniform(0, 0.2, size=200)
    for method in METHODS:
        adjusted = adjust_p(p, method)
        assert (adjusted >= p).all()
        order = np.argsort(p)
        assert (np.diff(adjusted[order]) >= -1e-15).all()
    # Holm is uniformly less conservative than Bonferroni, BH less than Holm.
    assert (adjust_p(p, "holm") <= adjust_p(p, "bonferroni")).all()
    assert (adjust_p(p, "fdr_bh") <= adjust_p(p, "holm") + 1e-15).all()


def test_multicomp_rejects_below_alpha():
    reject, adjusted = multicomp([0.001, 0.2, 0.03, 0.04, np.nan], alpha=0.05, method="fdr_bh")
    assert reject.tolist() == [True, False, False, False, False]
    np.testing.assert_allclose(adjusted, [0.004, 0.2, 0.04 * 4 / 3, 0.04 * 4 / 3, np.nan], equal_nan=True)
    reject, _ = multicomp([0.001, 0.2, 0.03, 0.04], alpha=0.1, method="holm")
    assert reject.tolist() == [True, False, True, True]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: adjust_p([0.1, 1.2]), r"pvalues must lie in \[0, 1\]; pvalues\[1\] is 1.2"),
        (lambda: adjust_p([-0.1]), r"pvalues\[0\] is -0.1"),
        (lambda: adjust_p([[0.1, 0.2]]), "one-dimensional"),
        (lambda: adjust_p(["a"]), "pvalues must be numbers"),
        (lambda: adjust_p([0.1], "BH"), "method must be one of 'fdr_bh', 'bonferroni', 'holm'"),
        (lambda: multicomp([0.1], alpha=1.5), "alpha must lie strictly between 0 and 1"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_report_adjusts_its_gaps_with_benjamini_hochberg():
    # The report's p_adjusted column is this function on its whole gap table.
    from analysis import report

    assert report.adjust_p is adjust_p
    assert "adjust_p" in analysis.__all__
