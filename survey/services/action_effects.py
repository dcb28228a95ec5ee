"""Did it work? Each action evaluated in a later wave's report against its target.

An action answers the results of one wave (its baseline); every later wave with published
results evaluates it. Only published figures are used — the shown groups' respondents,
means and standard deviations of the two waves' latest releases (``report.means``) — so an
evaluation reveals nothing those releases did not, and a group below the threshold never
enters one. The estimate is :func:`analysis.difference_in_differences` on those summaries:

* ``teams``: the targeted teams' change on the dimension against the change of the other
  teams shown in both waves (the topmost ones outside the targeted teams' branches, so that
  nobody counts twice);
* ``pair``: the change of the gap between the two teams (narrowing counts as improvement),
  against the change of the same gap between the other teams of the two teams' functions
  when both functions have such teams (a triple difference); otherwise the gap's change
  alone, in which anything that moved both teams alike cancels already.

Teams also change on their own between waves (a new manager, a reorganisation), more than
their respondents' sampling explains; that variance is estimated from the comparison teams'
changes (:func:`analysis.team_shock_variance`, the finest shown teams outside the targeted
branches) and widens every interval. The p-values of all the actions one report evaluates
are adjusted together (Holm). The
verdicts: ``worked`` / ``worse`` (the adjusted estimate is beyond chance), ``others_moved``
(the targeted teams did improve, and the others by at least half as much), ``no_change``, and the honest
non-answers ``too_early`` (the action was not under way before the wave opened) and
``too_few`` (a targeted team, or every comparison, was not shown in one of the waves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

import analysis
from survey.extensions import db
from survey.models import Action, Wave
from survey.services.releases import earlier_waves, latest_release, release_report

#: Holm's adjustment across the actions of one report; the level of every verdict.
METHOD = "holm"
ALPHA = 0.05
VERDICTS = ("worked", "worse", "others_moved", "no_change", "too_early", "too_few")


@dataclass(frozen=True)
class Evaluation:
    """One action in one wave's report. Changes are in the dimension's answer units."""

    action_id: int
    verdict: str
    #: For ``too_few``: ``targeted`` (a targeted team not shown in a wave), ``comparison``
    #: (no other team shown in both waves); for ``too_early``: ``planned`` or ``started_late``.
    reason: str = ""
    baseline: str = ""
    #: Improvement beyond the comparison, oriented so that > 0 is better (a rise; a gap closing).
    estimate: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan
    p: float = np.nan
    p_adjusted: float = np.nan
    #: The targeted teams' own improvement (a rise; for a pair, how much the gap closed).
    own_change: float = np.nan
    #: The comparison's improvement over the same waves (NaN for a pair without comparison).
    comparison_change: float = np.nan
    #: Respondents of the targeted teams and of the comparison, before and after.
    n_targeted: tuple[int, int] = (0, 0)
    n_comparison: tuple[int, int] = (0, 0)
    #: Whether the comparison is other teams (False: a pair's gap alone).
    compared: bool = True
    #: The scale's range, for "points of 100".
    scale: tuple[float, float] = (np.nan, np.nan)

    @property
    def evaluated(self) -> bool:
        return self.verdict not in ("too_early", "too_few")

    def points(self, value: float) -> float:
        low, high = self.scale
        return 100 * value / (high - low) if high > low else np.nan


@dataclass(frozen=True)
class _Estimate:
    result: analysis.Contrast
    own: analysis.Contrast
    comparison: float
    n_targeted: tuple[int, int]
    n_comparison: tuple[int, int]
    compared: bool


def actions_to_evaluate(wave: Wave) -> list[Action]:
    """The organisation's actions that answer an earlier wave (dropped ones left out)."""
    earlier = [w.id for w in earlier_waves(wave)]
    if not earlier:
        return []
    return list(
        db.session.scalars(
            select(Action).where(Action.wave_id.in_(earlier), Action.status != "dropped").order_by(Action.id)
        )
    )


def _rows(report: analysis.OrganizationReport, dimension: str) -> pd.DataFrame:
    means = report.means
    rows = means[(means["dimension"] == dimension) & (means["team"] != report.suppression.root)]
    rows = rows[rows["n"] > 0].drop_duplicates("team").set_index("team")
    return rows[["n", "mean", "sd"]]


def _parents(report: analysis.OrganizationReport) -> dict:
    teams = report.overview.teams
    return {team: (None if pd.isna(parent) else parent) for team, parent in teams["parent"].items()}


def _lineage(team, parents: dict) -> set:
    seen, current = set(), team
    while current is not None and current not in seen:
        seen.add(current)
        current = parents.get(current)
    return seen


def _comparison(shown: set, targeted: set, trees: list[dict], function=None, functions=None) -> list:
    """Topmost shown teams outside the targeted teams' branches (of ``function`` if given)."""
    related = set()
    for parents in trees:
        for team in shown | targeted:
            if _lineage(team, parents) & targeted:
                related.add(team)  # the targeted teams and everything under them
        for team in targeted:
            related |= _lineage(team, parents)  # and everything above them
    candidates = {t for t in shown - related if function is None or functions.get(t) == function}
    return sorted(
        t for t in candidates if not any((_lineage(t, parents) - {t}) & candidates for parents in trees)
    )


def _finest(shown: set, targeted: set, trees: list[dict]) -> list:
    """The finest shown teams outside the targeted branches: for the teams' own shocks."""
    top = set(_comparison(shown, targeted, trees))
    candidates = {t for t in shown if any(_lineage(t, parents) & top for parents in trees)} - targeted
    candidates = {t for t in candidates if not any(_lineage(t, parents) & targeted for parents in trees)}
    return sorted(
        t
        for t in candidates
        if not any(t in (_lineage(u, parents) - {u}) for u in candidates for parents in trees)
    )


def _shares(cells: list) -> float:
    n = np.array([cell[0] for cell in cells], dtype=float)
    return float(((n / n.sum()) ** 2).sum())


def _cells(rows: pd.DataFrame, teams: list) -> list[tuple[int, float, float]]:
    return [(int(rows.at[t, "n"]), float(rows.at[t, "mean"]), float(rows.at[t, "sd"])) for t in teams]


def _estimate(action: Action, before, after) -> _Estimate | str:
    rows0, rows1 = _rows(before, action.dimension), _rows(after, action.dimension)
    shown = set(rows0.index) & set(rows1.index)
    targeted = [link.team_id for link in action.teams]
    if not targeted or any(t not in shown for t in targeted):
        return "targeted"
    trees = [_parents(before), _parents(after)]
    functions = after.overview.teams["function"].to_dict()
    finest = _finest(shown, set(targeted), trees)
    # The teams' own changes beyond sampling, from the comparison teams (0 with fewer than two).
    shocks = analysis.team_shock_variance(_cells(rows0, finest), _cells(rows1, finest))
    if action.target == "teams":
        others = _comparison(shown, set(targeted), trees)
        if not others:
            return "comparison"
        result = analysis.difference_in_differences(
            _cells(rows0, targeted), _cells(rows1, targeted), _cells(rows0, others), _cells(rows1, others),
            shock_variance=shocks,
        )  # fmt: skip
        t0, t1 = analysis.pool(_cells(rows0, targeted)), analysis.pool(_cells(rows1, targeted))
        c0, c1 = analysis.pool(_cells(rows0, others)), analysis.pool(_cells(rows1, others))
        extra = shocks * _shares(_cells(rows1, targeted))
        own = analysis.linear_contrast([t0, t1, c0, c1], (-1, 1, 0, 0), extra_variance=extra)
        return _Estimate(result, own, c1.mean - c0.mean, (t0.n, t1.n), (c0.n, c1.n), True)
    a, b = targeted
    sign = 1.0 if rows0.at[a, "mean"] >= rows0.at[b, "mean"] else -1.0
    # Improvement = the gap (oriented at the baseline) closing: -sign * ((A1 - B1) - (A0 - B0)).
    cells = [*_cells(rows0, [a, b]), *_cells(rows1, [a, b])]
    gap_weights = [sign, -sign, -sign, sign]
    own = analysis.linear_contrast(cells, gap_weights, extra_variance=2 * shocks)
    n_targeted = (cells[0][0] + cells[1][0], cells[2][0] + cells[3][0])
    side_a = _comparison(shown, {a, b}, trees, functions.get(a), functions)
    side_b = _comparison(shown, {a, b}, trees, functions.get(b), functions)
    if functions.get(a) == functions.get(b) or not side_a or not side_b:
        return _Estimate(own, own, np.nan, n_targeted, (0, 0), False)
    ca0, ca1 = analysis.pool(_cells(rows0, side_a)), analysis.pool(_cells(rows1, side_a))
    cb0, cb1 = analysis.pool(_cells(rows0, side_b)), analysis.pool(_cells(rows1, side_b))
    cells += [ca0, cb0, ca1, cb1]
    weights = gap_weights + [-w for w in gap_weights]
    extra = shocks * (2 + _shares(_cells(rows1, side_a)) + _shares(_cells(rows1, side_b)))
    result = analysis.linear_contrast(cells, weights, extra_variance=extra)
    own = analysis.linear_contrast(cells, gap_weights + [0, 0, 0, 0], extra_variance=2 * shocks)
    comparison = -sign * ((ca1.mean - cb1.mean) - (ca0.mean - cb0.mean))
    return _Estimate(result, own, comparison, n_targeted, (ca0.n + cb0.n, ca1.n + cb1.n), True)


def _baseline_report(action: Action, cache: dict):
    if action.wave_id not in cache:
        release = latest_release(action.wave) if action.wave is not None else None
        cache[action.wave_id] = release_report(release) if release is not None else None
    return cache[action.wave_id]


def evaluate(wave: Wave, report: analysis.OrganizationReport) -> tuple[Evaluation, ...]:
    """Every action answering an earlier wave, evaluated in ``wave``'s ``report`` (adjusted together)."""
    started = wave.opens_at or wave.created_at
    cache: dict = {}
    pending: list[tuple[Action, object]] = []
    for action in actions_to_evaluate(wave):
        if action.status == "planned":
            pending.append((action, ("too_early", "planned")))
            continue
        if started is not None and action.created_at > started:
            pending.append((action, ("too_early", "started_late")))
            continue
        baseline = _baseline_report(action, cache)
        if baseline is None or action.dimension not in report.dimensions.index:
            pending.append((action, ("too_few", "targeted")))
            continue
        try:
            estimate = _estimate(action, baseline, report)
        except ValueError:  # e.g. no variation at all in the cells
            estimate = "targeted"
        pending.append((action, ("too_few", estimate) if isinstance(estimate, str) else estimate))
    p = [item.result.p if isinstance(item, _Estimate) else np.nan for _, item in pending]
    adjusted = analysis.adjust_p(p, METHOD) if pending else np.array([])
    out = []
    for (action, item), p_adjusted in zip(pending, adjusted, strict=True):
        dimension = (
            report.dimensions.loc[action.dimension] if action.dimension in report.dimensions.index else None
        )
        scale = (float(dimension["scale_min"]), float(dimension["scale_max"])) if dimension is not None else (
            np.nan, np.nan)  # fmt: skip
        baseline = action.wave.name if action.wave is not None else ""
        if not isinstance(item, _Estimate):
            out.append(Evaluation(action.id, item[0], item[1], baseline, scale=scale))
            continue
        result = item.result
        if p_adjusted < ALPHA:
            verdict = "worked" if result.estimate > 0 else "worse"
        elif (
            item.compared
            and item.own.p < ALPHA
            and item.own.estimate > 0
            and (item.comparison >= item.own.estimate / 2)
        ):
            verdict = "others_moved"  # the targeted teams rose, and the others about as much
        else:
            verdict = "no_change"
        out.append(
            Evaluation(
                action.id, verdict, "", baseline, result.estimate, result.ci_low, result.ci_high, result.p,
                float(p_adjusted), item.own.estimate, item.comparison, item.n_targeted, item.n_comparison,
                item.compared, scale,
            )
        )  # fmt: skip
    return tuple(out)


def history(action: Action) -> list[tuple[Wave, Evaluation]]:
    """The action's evaluation in every later wave with published results, oldest first."""
    if action.wave is None:
        return []
    return evaluations_of(action.organization_id).get(action.id, [])


def evaluations_of(organization_id: int) -> dict[int, list[tuple[Wave, Evaluation]]]:
    """Action id -> its evaluation in every wave with published results after its own, oldest first."""
    found: dict[int, list[tuple[Wave, Evaluation]]] = {}
    for wave, evaluations in evaluations_by_wave(organization_id):
        for evaluation in evaluations:
            found.setdefault(evaluation.action_id, []).append((wave, evaluation))
    return found


def evaluations_by_wave(
    organization_id: int, until: Wave | None = None, *, including: bool = True
) -> list[tuple[Wave, tuple[Evaluation, ...]]]:
    """Each wave with published results that evaluates actions, with its evaluations, oldest first.

    Every wave reads its own latest release, as its report does (:func:`evaluate`). With ``until``,
    only the waves up to that one (``including`` it, or only those before it).
    """
    waves = db.session.scalars(
        select(Wave).where(Wave.organization_id == organization_id, Wave.status != "draft")
    ).all()

    def order(wave: Wave) -> tuple:
        return (wave.opens_at or wave.created_at, wave.id)

    out: list[tuple[Wave, tuple[Evaluation, ...]]] = []
    for wave in sorted(waves, key=order):
        if until is not None and (order(wave) > order(until) or (not including and wave.id == until.id)):
            continue
        if not actions_to_evaluate(wave):
            continue
        release = latest_release(wave)
        if release is None:
            continue
        evaluations = evaluate(wave, release_report(release))
        if evaluations:
            out.append((wave, evaluations))
    return out
