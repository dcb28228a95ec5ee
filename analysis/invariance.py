r"""Measurement invariance across groups: configural, metric, scalar and strict, with partial invariance.

A difference between two groups' scale means is a difference in the trait only if both groups
read the items the same way. Multigroup CFA (Jöreskog 1971; Meredith 1993) tests this in nested
steps, each adding equality constraints across groups to the one before:

========== ================================== ==========================================
level      equal across groups                what it allows
========== ================================== ==========================================
configural nothing (same pattern of loadings)  the same factors in every group
metric     loadings                            comparing factor variances and covariances
scalar     loadings and intercepts             comparing factor (and scale) means
strict     loadings, intercepts, residuals     comparing observed scores as such
========== ================================== ==========================================

Each step is compared with the one before by the chi-square difference test
:math:`\Delta\chi^2 = \chi^2_{restricted} - \chi^2_{free}` on :math:`\Delta df` degrees of
freedom (the likelihood-ratio test of nested ML models), and by the changes in CFI, RMSEA and
SRMR. With ``criterion="chisq"`` (the default) a level holds when :math:`p \ge \alpha`; with
``criterion="fit"`` when :math:`\Delta CFI \ge -0.01` (Cheung & Rensvold 2002) and
:math:`\Delta RMSEA \le 0.015` (Chen 2007), the rule for large samples, where the chi-square
difference rejects trivial differences.

Partial invariance (Byrne, Shavelson & Muthén 1989). When a level does not hold, the equality
constraint whose release would most improve the fit, by the univariate score test (Lagrange
multiplier, the modification index of Sörbom 1989; lavaan's ``lavTestScore``), is released
(``group_partial``), the model refitted, and so on while the level still does not hold, the best
score test is significant at ``alpha`` and fewer than ``max_free`` parameters have been freed at
that level. For one constraint that ties parameter :math:`\theta_k` of a later group to the
first group's, with :math:`g` the gradient of the discrepancy :math:`F` and :math:`H` its expected
Hessian, both in the parameterisation without that constraint (columns :math:`T` of the
remaining free parameters),

.. math::

    X^2_k = \frac{N}{2} \, \frac{g_k^2}{H_{kk} - H_{kT} H_{TT}^{-1} H_{Tk}} \sim \chi^2_1 .

A factor's means are *comparable* when scalar invariance holds with nothing freed on it;
*partly comparable* when it holds after freeing loadings or intercepts of some of its items and at
least two of its items keep both equal (Byrne, Shavelson & Muthén 1989); *not comparable* otherwise
(and *not tested* when the scalar level was not fitted).

References
----------
Jöreskog, K. G. (1971). Simultaneous factor analysis in several populations. *Psychometrika*, 36,
409–426. Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
*Psychometrika*, 58, 525–543. Byrne, B. M., Shavelson, R. J., & Muthén, B. (1989). Testing for the
equivalence of factor covariance and mean structures: the issue of partial measurement invariance.
*Psychological Bulletin*, 105, 456–466. Bentler, P. M., & Chou, C.-P. (1987). Practical issues in
structural modeling. *Sociological Methods & Research*, 16, 78–117. Sörbom, D. (1989). Model
modification. *Psychometrika*, 54, 371–384. Cheung, G. W., & Rensvold, R. B. (2002). Evaluating
goodness-of-fit indexes for testing measurement invariance. *Structural Equation Modeling*, 9,
233–255. Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
invariance. *Structural Equation Modeling*, 14, 464–504.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import check_choice, check_int
from .cfa import CFAResult, CFAWarning, _Model, _table, cfa, parse_model
from .scoring import keyed_items

__all__ = ["LEVELS", "InvarianceResult", "comparability", "measurement_invariance", "score_tests"]

#: The invariance levels, each with the ``group_equal`` words it adds to the one before.
LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
_OP_OF = {"metric": "=~", "scalar": "~1", "strict": "~~"}
CRITERIA = ("chisq", "fit")
STATUSES = ("comparable", "partial", "not comparable", "not tested")


def score_tests(result: CFAResult) -> pd.DataFrame:
    """Univariate score tests of releasing each equality constraint of a multigroup fit.

    One row per constraint, named by the parameter of the later group that it ties to the first
    group's (``lhs, op, rhs, group``), with ``X2`` (1 df) and ``pvalue``; lavaan's
    ``lavTestScore(fit)$uni``. Empty for a model without equality constraints.
    """
    if not isinstance(result, CFAResult) or result._fitted is None:
        raise ValueError("result must be a CFAResult returned by analysis.cfa")
    fitted = result._fitted
    spec = fitted.spec
    columns = ["lhs", "op", "rhs", "group", "X2", "df", "pvalue"]
    free_c = np.array([r[4] for r in spec.rows], dtype=np.intp)
    shared = np.bincount(free_c[free_c >= 0], minlength=spec.n_free) > 1
    tied = [r for r, row in enumerate(spec.rows) if row[0] > 0 and row[4] >= 0 and shared[row[4]]]
    if not tied:
        return pd.DataFrame(columns=columns)
    rows_u, n_u = _table(
        spec.items,
        spec.factors,
        spec.loads,
        spec.markers,
        spec.n_groups,
        spec.meanstructure,
        fitted.group_equal,
        fitted.partial,
        untie=True,
    )
    free_u = np.array([r[4] for r in rows_u], dtype=np.intp)
    x_u = np.zeros(n_u)
    keep = free_u >= 0
    x_u[free_u[keep]] = fitted.x[free_c[keep]]
    untied = _Model(spec, rows_u, n_u)
    gradient = untied.gradient(x_u)
    info = untied.information(x_u)
    t = np.zeros((n_u, spec.n_free))
    t[free_u[keep], free_c[keep]] = 1.0
    h_tt = t.T @ info @ t
    h_kt = info @ t  # row k: H_kT
    try:
        solved = np.linalg.solve(h_tt, h_kt.T)  # H_TT^-1 H_Tk for every k
    except np.linalg.LinAlgError:
        solved = np.full((spec.n_free, n_u), np.nan)
    n_total = float(spec.n.sum())
    records = []
    for r in tied:
        k = free_u[r]
        denominator = info[k, k] - h_kt[k] @ solved[:, k]
        x2 = n_total / 2.0 * gradient[k] ** 2 / denominator if denominator > 0 else np.nan
        pvalue = float(stats.chi2.sf(x2, 1)) if np.isfinite(x2) else np.nan
        lhs, op, rhs = spec.rows[r][6]
        records.append((lhs, op, rhs, spec.rows[r][0] + 1, float(x2), 1, pvalue))
    return pd.DataFrame.from_records(records, columns=columns)


@dataclass(frozen=True)
class InvarianceResult:
    """Configural, metric, scalar and strict fits of one model across groups, and their comparison.

    Attributes
    ----------
    fits : mapping
        Level -> :class:`~analysis.cfa.CFAResult` with the level's full constraints.
    partial_fits : mapping
        Level -> the fit after freeing the parameters in ``freed`` (the full fit when none).
    comparisons : DataFrame
        Index: level; columns ``npar, chisq, df, cfi, rmsea, srmr`` of the full fits, and against
        the level before (full fits): ``chisq_diff, df_diff, pvalue, cfi_diff, rmsea_diff,
        srmr_diff`` (NaN for configural) and ``holds``.
    partial_comparisons : DataFrame
        The same for the partial fits, each against the partial fit of the level before.
    freed : mapping
        Level -> parameters freed for partial invariance, in lavaan syntax (``"trust=~t3"``,
        ``"t2~1"``), in the order they were freed.
    established : mapping
        Level -> whether it holds, after freeing (``partial_comparisons['holds']``, with every
        level before it held).
    dimensions : DataFrame
        One row per factor: ``status`` (``"comparable"``, ``"partial"``, ``"not comparable"``, or
        ``"not tested"`` without the scalar level: whether its means can be compared across the
        groups), ``items`` (tuple of the items with a
        freed loading or intercept) and ``invariant_items`` (how many have neither).
    groups : tuple
        The group labels, in lavaan's order.
    """

    fits: Mapping[str, CFAResult]
    partial_fits: Mapping[str, CFAResult]
    comparisons: pd.DataFrame
    partial_comparisons: pd.DataFrame
    freed: Mapping[str, tuple[str, ...]]
    established: Mapping[str, bool]
    dimensions: pd.DataFrame
    groups: tuple


def _compare(fits: Mapping[str, CFAResult], criterion: str, alpha: float) -> pd.DataFrame:
    records = []
    previous = None
    for level, result in fits.items():
        fit = result.fit
        row = {"level": level, **{k: fit[k] for k in ("npar", "chisq", "df", "cfi", "rmsea", "srmr")}}
        if previous is None:
            row.update(chisq_diff=np.nan, df_diff=np.nan, pvalue=np.nan, cfi_diff=np.nan)
            row.update(rmsea_diff=np.nan, srmr_diff=np.nan, holds=True)
        else:
            before = previous.fit
            chisq_diff = fit["chisq"] - before["chisq"]
            df_diff = fit["df"] - before["df"]
            pvalue = float(stats.chi2.sf(chisq_diff, df_diff)) if df_diff > 0 else np.nan
            row.update(
                chisq_diff=chisq_diff,
                df_diff=df_diff,
                pvalue=pvalue,
                cfi_diff=fit["cfi"] - before["cfi"],
                rmsea_diff=fit["rmsea"] - before["rmsea"],
                srmr_diff=fit["srmr"] - before["srmr"],
            )
            row["holds"] = _holds(row, criterion, alpha)
        records.append(row)
        previous = result
    return pd.DataFrame.from_records(records).set_index("level")


def _holds(row, criterion: str, alpha: float) -> bool:
    if criterion == "chisq":
        return bool(not (row["pvalue"] < alpha))
    return bool(row["cfi_diff"] >= -0.01 and row["rmsea_diff"] <= 0.015)


def measurement_invariance(
    data: pd.DataFrame,
    model,
    group: str,
    *,
    levels=("configural", "metric", "scalar", "strict"),
    partial: bool = True,
    criterion: str = "chisq",
    alpha: float = 0.05,
    max_free: int = 10,
    missing: str = "listwise",
) -> InvarianceResult:
    """Test configural, metric, scalar and strict invariance of ``model`` across ``group``.

    See the module docstring for the levels, the tests and the partial-invariance search.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one column per item and the group column.
    model : mapping or str
        Factor -> items, or lavaan ``=~`` syntax (as :func:`analysis.cfa`).
    group : str
        Column of ``data`` with the groups (team functions, waves, ...).
    levels : sequence of str
        Levels to fit, a leading run of ``"configural", "metric", "scalar", "strict"``.
    partial : bool
        Free parameters level by level, guided by score tests, where a level does not hold.
    criterion : {"chisq", "fit"}
        When a level holds: the chi-square difference test at ``alpha``, or the changes in fit
        (ΔCFI ≥ -0.01 and ΔRMSEA ≤ 0.015).
    alpha : float
        Significance level of the chi-square difference and score tests, in (0, 1).
    max_free : int
        Most parameters freed at one level.
    missing : {"listwise"}
        As :func:`analysis.cfa`.

    Returns
    -------
    InvarianceResult

    Raises
    ------
    ValueError
        For arguments out of range, and everything :func:`analysis.cfa` refuses.

    Examples
    --------
    >>> result = measurement_invariance(answers, model, "function")   # doctest: +SKIP
    >>> result.comparisons[["chisq_diff", "df_diff", "pvalue", "cfi_diff"]]   # doctest: +SKIP
    >>> result.dimensions                                            # doctest: +SKIP
    """
    names = tuple(LEVELS)
    levels = tuple(levels)
    for level in levels:
        check_choice(level, "levels", names)
    if not levels or levels != names[: len(levels)]:
        raise ValueError(f"levels must be a leading run of {list(names)}; got {list(levels)}")
    check_choice(criterion, "criterion", CRITERIA)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1); got {alpha!r}")
    max_free = check_int(max_free, "max_free", minimum=0)
    if not isinstance(partial, bool):
        raise ValueError(f"partial must be True or False; got {partial!r}")
    factors = parse_model(model)

    fits: dict[str, CFAResult] = {}
    partial_fits: dict[str, CFAResult] = {}
    freed: dict[str, tuple[str, ...]] = {}
    freed_so_far: list[str] = []
    previous_partial = None
    for level in levels:
        full = cfa(
            data,
            factors,
            group=group,
            group_equal=LEVELS[level],
            missing=missing,
            _start_from=previous_partial,
        )
        fits[level] = full
        if freed_so_far:
            current = _refit(data, factors, group, level, freed_so_far, missing, previous_partial)
        else:
            current = full
        freed_here: list[str] = []
        if level != "configural":
            while partial and not _level_holds(current, previous_partial, criterion, alpha):
                if len(freed_here) >= max_free:
                    break
                candidate = _best_release(current, _OP_OF[level], alpha)
                if candidate is None:
                    break
                freed_here.append(candidate)
                current = _refit(data, factors, group, level, freed_so_far + freed_here, missing, current)
        freed[level] = tuple(freed_here)
        freed_so_far.extend(freed_here)
        partial_fits[level] = current
        previous_partial = current

    comparisons = _compare(fits, criterion, alpha)
    partial_comparisons = _compare(partial_fits, criterion, alpha)
    established: dict[str, bool] = {}
    holding = True
    for level in levels:
        holding = holding and bool(partial_comparisons.loc[level, "holds"])
        established[level] = holding
    dimensions = _dimensions(factors, freed, established, partial_fits, alpha)
    return InvarianceResult(
        fits=MappingProxyType(fits),
        partial_fits=MappingProxyType(partial_fits),
        comparisons=comparisons,
        partial_comparisons=partial_comparisons,
        freed=MappingProxyType(freed),
        established=MappingProxyType(established),
        dimensions=dimensions,
        groups=fits[levels[0]].groups,
    )


def _refit(data, factors, group, level, released, missing, start_from) -> CFAResult:
    return cfa(
        data,
        factors,
        group=group,
        group_equal=LEVELS[level],
        group_partial=released,
        missing=missing,
        _start_from=start_from,
    )


def _level_holds(current: CFAResult, before: CFAResult | None, criterion: str, alpha: float) -> bool:
    if before is None:
        return True
    table = _compare({"before": before, "current": current}, criterion, alpha)
    return bool(table.loc["current", "holds"])


def _best_release(result: CFAResult, op: str, alpha: float) -> str | None:
    """The constrained parameter (lavaan syntax) with the largest significant score test, or None."""
    tests = score_tests(result)
    tests = tests[tests["op"] == op]
    if op == "~~":
        tests = tests[tests["lhs"] == tests["rhs"]]
    if tests.empty:
        return None
    # With more than two groups a parameter has one constraint per later group; group.partial
    # frees it in all of them, so the parameters are ranked by their largest test.
    best = tests.loc[tests["X2"].idxmax()]
    if not best["pvalue"] < alpha:
        return None
    return f"{best['lhs']}{best['op']}{best['rhs']}"


def _items_of(parameter: str, factors: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(factor, item) pairs a freed parameter concerns."""
    if "=~" in parameter:
        factor, item = parameter.split("=~")
        return [(factor, item)]
    item = parameter.split("~")[0]
    return [(f, item) for f, items in factors.items() if item in items]


def _dimensions(factors, freed, established, partial_fits, alpha) -> pd.DataFrame:
    mean_levels = [level for level in ("metric", "scalar") if level in freed]
    reached = all(established.get(level, False) for level in ("configural", "metric", "scalar"))
    flagged: dict[str, set[str]] = {f: set() for f in factors}
    for level in mean_levels:
        for parameter in freed[level]:
            for factor, item in _items_of(parameter, factors):
                flagged[factor].add(item)
    unresolved: set[str] = set()
    if not reached and "scalar" in partial_fits:
        tests = score_tests(partial_fits["scalar"])
        for row in tests[(tests["pvalue"] < alpha) & tests["op"].isin(["=~", "~1"])].itertuples():
            parameter = f"{row.lhs}{row.op}{row.rhs}"
            unresolved.update(f for f, _ in _items_of(parameter, factors))
    records = []
    for factor, items in factors.items():
        invariant = len(items) - len(flagged[factor])
        if "scalar" not in partial_fits:
            status = "not tested"
        elif not reached and (flagged[factor] or factor in unresolved):
            status = "not comparable"
        elif not flagged[factor]:
            status = "comparable"
        elif invariant >= 2:
            status = "partial"
        else:
            status = "not comparable"
        ordered = tuple(i for i in items if i in flagged[factor])
        records.append({"factor": factor, "status": status, "items": ordered, "invariant_items": invariant})
    return pd.DataFrame.from_records(records).set_index("factor")


#: Why a dimension was not tested, as codes (the application words them).
NOT_TESTED = ("too_few_items", "too_few_respondents", "unusable_data", "improper_solution")


def comparability(
    responses: pd.DataFrame,
    instrument,
    group: str,
    *,
    criterion: str = "chisq",
    alpha: float = 0.05,
    max_free: int = 10,
    per_item: int = 0,
) -> pd.DataFrame:
    """Whether each dimension of ``instrument`` measures the same thing in every group of ``group``.

    One one-factor model per dimension, on its scored items keyed (reverse-keyed items reversed,
    :func:`analysis.keyed_items`) and without the items some group is never shown (meta items),
    through configural, metric and scalar invariance with the partial-invariance search of
    :func:`measurement_invariance`; listwise deletion per dimension.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, one column per item id, and the ``group`` column.
    instrument : Instrument
        Supplies the dimensions, their items and reverse keys.
    group : str
        Column of ``responses`` with the groups (team functions, waves, ...).
    criterion, alpha, max_free
        As :func:`measurement_invariance`.
    per_item : int
        Fewest respondents with every item of a dimension answered that each group needs per
        item (default 0: no floor). Bentler & Chou (1987) ask for about five respondents per
        free parameter; five per item, the report's floor, is a looser version of that rule
        (a one-factor model has three parameters per item and group) that still keeps the
        chi-square difference tests from resting on a handful of answers.

    Returns
    -------
    DataFrame
        Index: dimension id (instrument order). Columns: ``status`` (``"comparable"``,
        ``"partial"``, ``"not comparable"``, ``"not tested"``), ``items`` (tuple of the items that
        differ), ``reason`` (for ``"not tested"``: ``"too_few_items"``, fewer than three items
        shown to every group; ``"too_few_respondents"``, a group with fewer than ``per_item``
        times ``n_items`` complete answers; ``"unusable_data"``, data :func:`analysis.cfa`
        refuses; ``"improper_solution"``, a fit :func:`analysis.cfa` warns about (no
        convergence, a negative variance, no standard errors); else ``""``), ``n_items``,
        ``n_min`` (complete answers in the smallest group), ``metric_pvalue`` and
        ``scalar_pvalue`` (chi-square difference tests of the full constraints),
        ``scalar_cfi_diff``. No :class:`analysis.CFAWarning` leaves this function.

    Raises
    ------
    ValueError
        For a ``group`` that is not a column of ``responses`` or has fewer than two groups.
    """
    if not isinstance(responses, pd.DataFrame) or group not in responses.columns:
        raise ValueError(f"group {group!r} is not a column of responses")
    labels = responses[group]
    if labels.dropna().nunique() < 2:
        raise ValueError(f"group {group!r} needs at least two groups")
    per_item = check_int(per_item, "per_item", minimum=0)
    known = labels.notna()
    records = []
    for dimension in instrument.dimensions:
        keyed = keyed_items(responses[known], instrument, dimension.id)
        shown = [c for c in keyed.columns if keyed[c].notna().groupby(labels[known]).any().all()]
        row = {
            "dimension": dimension.id,
            "status": "not tested",
            "items": (),
            "reason": "",
            "n_items": len(shown),
        }
        complete = keyed[shown].notna().all(axis=1).groupby(labels[known]).sum()
        row["n_min"] = int(complete.min())
        row.update(metric_pvalue=np.nan, scalar_pvalue=np.nan, scalar_cfi_diff=np.nan)
        if len(shown) < 3:
            row["reason"] = "too_few_items"
            records.append(row)
            continue
        if row["n_min"] < per_item * len(shown):
            row["reason"] = "too_few_respondents"
            records.append(row)
            continue
        data = keyed[shown].assign(**{group: labels[known]})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", CFAWarning)
                result = measurement_invariance(
                    data,
                    {dimension.id: shown},
                    group,
                    levels=("configural", "metric", "scalar"),
                    criterion=criterion,
                    alpha=alpha,
                    max_free=max_free,
                )
        except CFAWarning:
            row["reason"] = "improper_solution"
            records.append(row)
            continue
        except ValueError:
            row["reason"] = "unusable_data"
            records.append(row)
            continue
        table = result.comparisons
        status = result.dimensions.loc[dimension.id]
        row.update(status=status["status"], items=status["items"])
        row.update(
            metric_pvalue=table.loc["metric", "pvalue"],
            scalar_pvalue=table.loc["scalar", "pvalue"],
            scalar_cfi_diff=table.loc["scalar", "cfi_diff"],
        )
        records.append(row)
    return pd.DataFrame.from_records(records).set_index("dimension")
