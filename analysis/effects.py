r"""Did an action work? Effects of a change in some teams, against the change in the others.

An action is taken in some teams (the *treated* ones) after one wave; the next wave
measures them again. Their change alone mixes the action's effect with everything else
that moved the whole organisation between the waves (a reorganisation, a good quarter,
the survey being familiar). The other teams, measured in the same two waves, estimate
that common change; the *difference in differences* removes it:

.. math::

    \hat\delta = (\bar y_{T,1} - \bar y_{T,0}) - (\bar y_{C,1} - \bar y_{C,0})

with :math:`\bar y_{g,t}` the mean of group :math:`g` (treated, control) in wave
:math:`t` (0 before, 1 after). It is the coefficient of the interaction in the ordinary
least-squares model :math:`y = \beta_0 + \beta_1\,\mathrm{after} + \beta_2\,\mathrm{treated}
+ \delta\,\mathrm{after}\times\mathrm{treated} + \varepsilon` fitted to the respondents of
both waves (Angrist & Pischke, 2009, ch. 5; Wooldridge, 2010, §6.5.2), and its standard
error is that model's.

Every function here works from group summaries (respondents, mean, standard deviation),
which is what a report publishes for a shown group: an effect computed from published
figures reveals nothing the figures did not. Summaries of several groups (the treated
teams, the comparison teams) are pooled exactly (:func:`pool`), so the results equal the
model fitted to the individual answers. The model treats respondents as independent:
it does not model team-level shocks, so with few teams its interval is narrower than a
cluster-aware one would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "Cell",
    "Contrast",
    "did_power",
    "difference_in_differences",
    "linear_contrast",
    "pool",
    "team_shock_variance",
]


@dataclass(frozen=True)
class Cell:
    """A group's summary in one wave: respondents, mean and standard deviation (ddof 1)."""

    n: int
    mean: float
    sd: float


@dataclass(frozen=True)
class Contrast:
    """A linear contrast of cell means with its t interval and two-sided p-value."""

    estimate: float
    se: float
    df: int
    ci_low: float
    ci_high: float
    p: float
    #: Respondents in all the cells.
    n: int


def _cell(value, name: str) -> Cell:
    if isinstance(value, Cell):
        cell = value
    else:
        try:
            n, mean, sd = value
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a Cell or an (n, mean, sd) triple; got {value!r}") from None
        cell = Cell(n, mean, sd)
    try:
        n, mean, sd = int(cell.n), float(cell.mean), float(cell.sd) if cell.n > 1 else 0.0
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers; got {value!r}") from None
    if n < 1:
        raise ValueError(f"{name} must have at least one respondent; got n={cell.n!r}")
    if not np.isfinite(mean) or not np.isfinite(sd) or sd < 0:
        raise ValueError(f"{name} must have a finite mean and a non-negative sd; got {value!r}")
    return Cell(n, mean, sd)


def pool(cells: Sequence) -> Cell:
    r"""The summary of the union of several disjoint groups.

    .. math::

        n = \sum_j n_j,\quad \bar y = \frac{1}{n}\sum_j n_j \bar y_j,\quad
        s^2 = \frac{1}{n-1}\Big[\sum_j (n_j - 1) s_j^2 + \sum_j n_j (\bar y_j - \bar y)^2\Big]

    Parameters
    ----------
    cells : sequence of Cell or (n, mean, sd)
        The groups' summaries; a group of one respondent has sd 0.

    Returns
    -------
    Cell
        Equal to the summary of the groups' respondents taken together.

    Raises
    ------
    ValueError
        When ``cells`` is empty or a cell has no respondent or a non-finite mean.

    Examples
    --------
    >>> pool([(3, 1.0, 1.0), (3, 3.0, 1.0)]).mean
    2.0
    """
    checked = [_cell(cell, f"cells[{position}]") for position, cell in enumerate(cells)]
    if not checked:
        raise ValueError("cells must hold at least one group")
    n = np.array([c.n for c in checked], dtype=float)
    mean = np.array([c.mean for c in checked])
    sd = np.array([c.sd for c in checked])
    total = n.sum()
    grand = float((n * mean).sum() / total)
    squares = float(((n - 1) * sd**2).sum() + (n * (mean - grand) ** 2).sum())
    return Cell(int(total), grand, float(np.sqrt(squares / (total - 1))) if total > 1 else 0.0)


def linear_contrast(
    cells: Sequence, weights: Sequence[float], level: float = 0.95, extra_variance: float = 0.0
) -> Contrast:
    r"""A contrast :math:`\sum_k w_k \bar y_k` of cell means with the pooled-variance t interval.

    The ordinary least-squares fit with one parameter per cell (a saturated model, such as
    the 2 x 2 model with an interaction term) gives

    .. math::

        \hat\sigma^2 = \frac{\sum_k (n_k - 1)\, s_k^2}{N - K},\qquad
        \mathrm{SE} = \hat\sigma \sqrt{\sum_k w_k^2 / n_k},\qquad
        t = \frac{\sum_k w_k \bar y_k}{\mathrm{SE}} \sim t_{N-K}

    with :math:`N` respondents in :math:`K` cells (Scheffé, 1959, §3.1). ``extra_variance``
    is added to :math:`\mathrm{SE}^2` (e.g. the part of team-level changes that respondents'
    sampling does not explain, :func:`team_shock_variance`).

    Parameters
    ----------
    cells : sequence of Cell or (n, mean, sd)
        One summary per cell.
    weights : sequence of float
        One weight per cell, not all zero.
    level : float
        Confidence level of the interval, in (0, 1).
    extra_variance : float
        Non-negative variance added to the contrast's (0: the plain least-squares interval).

    Returns
    -------
    Contrast

    Raises
    ------
    ValueError
        For cells that are not summaries, ``weights`` of another length or all zero,
        ``level`` outside (0, 1), fewer respondents than cells plus one, or no variation
        within any cell (``cells``).
    """
    checked = [_cell(cell, f"cells[{position}]") for position, cell in enumerate(cells)]
    try:
        w = np.asarray(weights, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"weights must be numbers; got {weights!r}") from None
    if len(w) != len(checked) or not len(w):
        raise ValueError(f"weights must give one weight per cell ({len(checked)}); got {len(w)}")
    if not np.isfinite(w).all() or not w.any():
        raise ValueError(f"weights must be finite and not all zero; got {weights!r}")
    level = float(level)
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1; got {level!r}")
    extra_variance = float(extra_variance)
    if not np.isfinite(extra_variance) or extra_variance < 0:
        raise ValueError(f"extra_variance must be a finite number >= 0; got {extra_variance!r}")
    n = np.array([c.n for c in checked], dtype=float)
    mean = np.array([c.mean for c in checked])
    sd = np.array([c.sd for c in checked])
    df = int(n.sum()) - len(checked)
    if df < 1:
        raise ValueError(f"cells must hold more respondents than cells; got {int(n.sum())} in {len(checked)}")
    variance = float(((n - 1) * sd**2).sum() / df)
    if variance <= 0:
        raise ValueError("cells show no variation within any cell; the interval is not defined")
    estimate = float(w @ mean)
    se = float(np.sqrt(variance * (w**2 / n).sum() + extra_variance))
    quantile = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(estimate / se), df))
    return Contrast(estimate, se, df, estimate - quantile * se, estimate + quantile * se, p, int(n.sum()))


def difference_in_differences(
    treated_before,
    treated_after,
    control_before,
    control_after,
    level: float = 0.95,
    shock_variance: float = 0.0,
) -> Contrast:
    r"""The difference-in-differences estimate of an effect in the treated groups.

    :math:`\hat\delta = (\bar y_{T,1} - \bar y_{T,0}) - (\bar y_{C,1} - \bar y_{C,0})`, with
    the standard error of the interaction coefficient in
    :math:`y = \beta_0 + \beta_1\,\mathrm{after} + \beta_2\,\mathrm{treated} +
    \delta\,\mathrm{after}\times\mathrm{treated} + \varepsilon` (ordinary least squares,
    homoskedastic errors): :math:`\hat\sigma\sqrt{1/n_{T,0} + 1/n_{T,1} + 1/n_{C,0} +
    1/n_{C,1}}` with :math:`N - 4` degrees of freedom (:func:`linear_contrast`).

    Parameters
    ----------
    treated_before, treated_after, control_before, control_after : Cell, (n, mean, sd) or sequence of them
        The summaries of the treated and the comparison respondents before and after; a
        sequence of summaries (several teams) is pooled first (:func:`pool`).
    level : float
        Confidence level of the interval.
    shock_variance : float
        The variance :math:`\tau^2` of teams' own changes between the waves
        (:func:`team_shock_variance`); :math:`\tau^2 \sum_j w_j^2` over the teams of both
        groups, with :math:`w_j` a team's share of its group's respondents after, is added
        to the variance. 0 (the default) gives exactly the least-squares interval.

    Returns
    -------
    Contrast
        ``estimate`` is :math:`\hat\delta`.

    Raises
    ------
    ValueError
        As :func:`linear_contrast`, naming the argument whose summary is not valid.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics*, ch. 5.
    Princeton University Press.

    Examples
    --------
    >>> effect = difference_in_differences((10, 3.0, 1.0), (10, 4.0, 1.0), (30, 3.0, 1.0), (30, 3.2, 1.0))
    >>> round(effect.estimate, 2)
    0.8
    """
    named = {
        "treated_before": treated_before,
        "treated_after": treated_after,
        "control_before": control_before,
        "control_after": control_after,
    }
    cells = [_group(value, name) for name, value in named.items()]
    shock_variance = float(shock_variance)
    if not np.isfinite(shock_variance) or shock_variance < 0:
        raise ValueError(f"shock_variance must be a finite number >= 0; got {shock_variance!r}")
    extra = shock_variance * (_squared_shares(treated_after) + _squared_shares(control_after))
    return linear_contrast(cells, (-1.0, 1.0, 1.0, -1.0), level, extra)


def _squared_shares(value) -> float:
    """Sum of squared shares of respondents of the teams in a group (1 for one team)."""
    if isinstance(value, Cell) or (isinstance(value, tuple) and len(value) == 3 and not isinstance(
            value[0], tuple | list | Cell)):  # fmt: skip
        return 1.0
    n = np.array([_cell(cell, "group").n for cell in value], dtype=float)
    return float(((n / n.sum()) ** 2).sum())


def _group(value, name: str) -> Cell:
    if isinstance(value, Cell) or (
        isinstance(value, tuple) and len(value) == 3 and not isinstance(value[0], tuple | list | Cell)
    ):
        return _cell(value, name)
    if isinstance(value, Sequence) and not isinstance(value, str):
        try:
            return pool(value)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    raise ValueError(f"{name} must be a Cell, an (n, mean, sd) triple or a sequence of them; got {value!r}")


def did_power(effect: float, n_treated: int, n_control: int, alpha: float = 0.05, tests: int = 1) -> float:
    r"""The power of the difference-in-differences test for an effect of ``effect`` SDs.

    With :math:`n_T` treated and :math:`n_C` comparison respondents in each of the two
    waves and a common standard deviation, the test statistic follows a noncentral t
    with :math:`\lambda = \delta / \sqrt{2/n_T + 2/n_C}` and :math:`2n_T + 2n_C - 4`
    degrees of freedom; the power of the two-sided test at level :math:`\alpha/m`
    (Bonferroni over ``tests`` = :math:`m` actions, a lower bound for Holm's) is
    :math:`P(|T| > t_{1-\alpha/2m})`.

    Parameters
    ----------
    effect : float
        The true effect in standard deviations of the answers (e.g. 0.5).
    n_treated, n_control : int
        Respondents per wave in the treated and in the comparison teams (at least 2).
    alpha : float
        The level of the test, in (0, 1).
    tests : int
        Actions evaluated together (at least 1).

    Returns
    -------
    float
        The probability that the test finds the effect.

    Raises
    ------
    ValueError
        Naming the argument out of range.
    """
    if int(n_treated) < 2:
        raise ValueError(f"n_treated must be at least 2; got {n_treated!r}")
    if int(n_control) < 2:
        raise ValueError(f"n_control must be at least 2; got {n_control!r}")
    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha!r}")
    if int(tests) < 1:
        raise ValueError(f"tests must be at least 1; got {tests!r}")
    if not np.isfinite(float(effect)):
        raise ValueError(f"effect must be a finite number; got {effect!r}")
    nt, nc = int(n_treated), int(n_control)
    df = 2 * nt + 2 * nc - 4
    noncentrality = float(effect) / np.sqrt(2 / nt + 2 / nc)
    critical = stats.t.ppf(1 - float(alpha) / (2 * int(tests)), df)
    return float(stats.nct.sf(critical, df, noncentrality) + stats.nct.cdf(-critical, df, noncentrality))


def team_shock_variance(before: Sequence, after: Sequence) -> float:
    r"""How much teams' changes between two waves vary beyond what sampling explains.

    Each team :math:`j` of :math:`k` changes by :math:`d_j = \bar y_{j,1} - \bar y_{j,0}`,
    with sampling variance :math:`v_j = \hat\sigma^2 (1/n_{j,0} + 1/n_{j,1})` (the pooled
    within-team variance of :func:`linear_contrast`). The method-of-moments estimate of the
    variance :math:`\tau^2` of the teams' own shocks (DerSimonian & Laird, 1986) is

    .. math::

        Q = \sum_j \frac{(d_j - \bar d_w)^2}{v_j},\qquad
        \hat\tau^2 = \max\Big(0,\ \frac{Q - (k - 1)}{\sum_j v_j^{-1} - \sum_j v_j^{-2} / \sum_j v_j^{-1}}\Big)

    with :math:`\bar d_w` the mean of the :math:`d_j` weighted by :math:`1/v_j`. A team
    whose change is more than its respondents' sampling can produce (a new manager, a
    reorganisation) is such a shock; the independent-respondents interval of
    :func:`difference_in_differences` ignores it, and adding :math:`\hat\tau^2` times the
    squared team weights to its variance widens it accordingly.

    Parameters
    ----------
    before, after : sequence of Cell or (n, mean, sd)
        The same :math:`k` teams' summaries in the two waves, in the same order.

    Returns
    -------
    float
        :math:`\hat\tau^2` (0 for fewer than two teams, which cannot show it).

    Raises
    ------
    ValueError
        When ``before`` and ``after`` differ in length or hold invalid summaries, or there
        is no variation within the teams.

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials*, 7(3), 177-188.
    """
    first = [_cell(cell, f"before[{position}]") for position, cell in enumerate(before)]
    second = [_cell(cell, f"after[{position}]") for position, cell in enumerate(after)]
    if len(first) != len(second):
        raise ValueError(f"before and after must hold the same teams; got {len(first)} and {len(second)}")
    if len(first) < 2:
        return 0.0
    cells = first + second
    n = np.array([c.n for c in cells], dtype=float)
    sd = np.array([c.sd for c in cells])
    df = n.sum() - len(cells)
    variance = float(((n - 1) * sd**2).sum() / df) if df > 0 else 0.0
    if variance <= 0:
        raise ValueError("before and after show no variation within the teams")
    change = np.array([b.mean - a.mean for a, b in zip(first, second, strict=True)])
    v = variance * np.array([1 / a.n + 1 / b.n for a, b in zip(first, second, strict=True)])
    w = 1 / v
    centre = (w * change).sum() / w.sum()
    q = float((w * (change - centre) ** 2).sum())
    scale = float(w.sum() - (w**2).sum() / w.sum())
    return max(0.0, (q - (len(first) - 1)) / scale)
