"""The report section "Did the actions work?", in words.

:func:`actions_section` words the evaluations of :func:`survey.services.action_effects.evaluate`
for one wave's report: one sentence per action (its verdict, the targeted teams' change and the
other teams', in points of 100 on the dimension's scale, and the difference with its interval),
and a table of the numbers. The honest non-answers are said as such: too early to tell, not
enough respondents to tell, or the other teams moved as much. :func:`actions_state` is the
part of the report's cache key that changes when the actions do.
"""

from __future__ import annotations

import hashlib
import math

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import N_, translate
from survey.models import Action, Wave
from survey.services.action_effects import Evaluation, actions_to_evaluate
from survey.services.report_view import Column, Section, Table, Words, cells
from survey.services.wording import Segment, join, number

__all__ = ["ANCHOR", "actions_section", "actions_state", "sentence", "trend_rows", "trend_table"]

ANCHOR = "actions"

#: Message key -> template, in English; the catalogue translates it.
MESSAGES = {
    "heading": N_("Did the actions work?"),
    "intro": N_(
        "Each action agreed after an earlier wave is measured against its target: how much the "
        "targeted teams changed on the dimension since that wave, against how much the other teams "
        "changed in the same time (a difference in differences). Changes are in points of 100 on the "
        "dimension's scale; intervals are 95 %, and the verdicts allow for the {count} actions "
        "evaluated together. Only groups shown in both waves' reports are used."
    ),
    "caption": N_("The actions and their effects (points of 100; positive is better)"),
    "col.action": N_("Action"),
    "col.own": N_("Targeted teams"),
    "col.others": N_("Other teams"),
    "col.effect": N_("Difference"),
    "col.interval": N_("95 % interval"),
    "col.verdict": N_("Verdict"),
    "target.teams": N_("{dimension} in {teams}, since {baseline}"),
    "target.pair": N_("the gap on {dimension} between {teams}, since {baseline}"),
    "verdict.worked": N_("It worked"),
    "verdict.worse": N_("Moved the wrong way"),
    "verdict.others_moved": N_("The other teams moved as much"),
    "verdict.no_change": N_("No change beyond chance"),
    "verdict.too_early": N_("Too early to tell"),
    "verdict.too_few": N_("Not enough respondents to tell"),
    "say.teams": N_(
        "{teams} changed by {own} points and the other teams by {others}: a difference of {effect} "
        "points (95 % interval {low} to {high})."
    ),
    "say.pair": N_(
        "The gap closed by {own} points, against {others} between the other teams of the same "
        "functions: a difference of {effect} points (95 % interval {low} to {high})."
    ),
    "say.pair_alone": N_(
        "The gap closed by {own} points (95 % interval {low} to {high}); there are no other teams of "
        "both functions to compare with, and a change that moved both teams alike does not count."
    ),
    "why.planned": N_("The action was still planned when this wave opened."),
    "why.started_late": N_("The action was agreed after this wave opened."),
    "why.targeted": N_(
        "A targeted team was too small to be shown in one of the two waves, so its change cannot be "
        "measured without revealing a group below the threshold."
    ),
    "why.comparison": N_("No other team was shown in both waves to compare with."),
    "trend.caption": N_(
        "The actions over the waves: each action's verdict in each wave that evaluated it (in "
        "brackets, the difference from the other teams in points of 100)"
    ),
    "trend.note": N_('Why each verdict, with its interval: "Did the actions work?" in that wave\'s report.'),
    "col.wave": N_("Wave"),
}


def _say(language: str, key: str, **values) -> str:
    return translate(language, MESSAGES[key], **values)


def _target(words: Words, action: Action, evaluation: Evaluation) -> str:
    names = [link.team.name for link in action.teams]
    teams = "".join(segment.text for segment in join(words.language, names))
    key = "target.pair" if action.target == "pair" else "target.teams"
    return _say(words.language, key, dimension=words.dimension(action.dimension), teams=teams,
                baseline=evaluation.baseline or "–")  # fmt: skip


def _points(words: Words | str, evaluation: Evaluation, value: float) -> str:
    language = words if isinstance(words, str) else words.language
    return number(evaluation.points(value), 0, language, sign=True)


def _effect(words: Words | str, evaluation: Evaluation) -> str:
    """The effect in points as the difference of the two changes as shown (each rounded to a whole
    point), so that "+18 against −10" reads "+28", never a separately rounded "+29"."""
    language = words if isinstance(words, str) else words.language
    if not evaluation.compared:
        return _points(words, evaluation, evaluation.estimate)
    own, others = (evaluation.points(v) for v in (evaluation.own_change, evaluation.comparison_change))
    if not (math.isfinite(own) and math.isfinite(others)):
        return _points(words, evaluation, evaluation.estimate)
    return number(round(own) - round(others), 0, language, sign=True)


def sentence(language: str, action: Action, evaluation: Evaluation) -> str:
    """The verdict on ``action`` and its numbers, in a sentence or two."""
    words = language
    verdict = _say(language, f"verdict.{evaluation.verdict}")
    if not evaluation.evaluated:
        return f"{verdict}. {_say(language, f'why.{evaluation.reason}')}"
    values = {
        "own": _points(words, evaluation, evaluation.own_change),
        "others": _points(words, evaluation, evaluation.comparison_change),
        "effect": _effect(words, evaluation),
        "low": _points(words, evaluation, evaluation.ci_low),
        "high": _points(words, evaluation, evaluation.ci_high),
    }
    if action.target == "pair":
        key = "say.pair" if evaluation.compared else "say.pair_alone"
    else:
        key = "say.teams"
        names = [link.team.name for link in action.teams]
        values["teams"] = "".join(segment.text for segment in join(language, names))
    return f"{verdict}. {_say(language, key, **values)}"


def actions_section(words: Words, evaluations: tuple[Evaluation, ...]) -> Section | None:
    """The section, or None when no action answers an earlier wave."""
    if not evaluations:
        return None
    language = words.language
    actions = {action.id: action for action in db.session.scalars(
        select(Action).where(Action.id.in_([e.action_id for e in evaluations])))}  # fmt: skip
    evaluated = sum(1 for e in evaluations if e.evaluated)
    rows, items = [], []
    for evaluation in evaluations:
        action = actions[evaluation.action_id]
        shown = evaluation.evaluated
        title = (
            Segment(action.title, strong=True, literal=True),
            Segment("\n"),
            Segment(_target(words, action, evaluation)),
        )
        dash = "–"
        own = _points(words, evaluation, evaluation.own_change) if shown else dash
        others = (
            _points(words, evaluation, evaluation.comparison_change)
            if shown and evaluation.compared
            else dash
        )
        effect = _effect(words, evaluation) if shown else dash
        low, high = evaluation.points(evaluation.ci_low), evaluation.points(evaluation.ci_high)
        interval = words.interval(low, high, 0, sign=True) if shown else dash
        verdict = _say(language, f"verdict.{evaluation.verdict}")
        kind = "significant" if evaluation.verdict == "worked" else ""
        rows.append(cells(title, own, others, effect, interval, verdict, kind=kind))
        items.append(
            (
                Segment(action.title, strong=True, literal=True),
                Segment(": " + sentence(language, action, evaluation)),
            )
        )
    columns = (
        Column(_say(language, "col.action")),
        Column(_say(language, "col.own"), True),
        Column(_say(language, "col.others"), True),
        Column(_say(language, "col.effect"), True),
        Column(_say(language, "col.interval"), True),
        Column(_say(language, "col.verdict")),
    )
    return Section(
        ANCHOR,
        _say(language, "heading"),
        paragraphs=((Segment(_say(language, "intro", count=max(evaluated, 1))),),),
        tables=(Table(_say(language, "caption"), columns, tuple(rows)),),
        items=tuple(items),
    )


def trend_rows(language: str, by_wave) -> list[dict]:
    """One row per wave and action evaluated in it, oldest wave first (the trend's actions).

    ``by_wave`` is :func:`survey.services.action_effects.evaluations_by_wave`'s answer (each wave
    with the evaluations its report shows), so the trend reads exactly what those reports read.
    Each row holds the wave, the action, the verdict (its key and its words) and, when
    evaluated, the difference and its interval in points of 100 (else None).
    """
    ids = {e.action_id for _, evaluations in by_wave for e in evaluations}
    if not ids:
        return []
    titles = dict(db.session.execute(select(Action.id, Action.title).where(Action.id.in_(ids))).all())
    rows = []
    for wave, evaluations in by_wave:
        for e in evaluations:
            rows.append(
                {
                    "wave_id": wave.id,
                    "wave": wave.name,
                    "action_id": e.action_id,
                    "title": titles.get(e.action_id, ""),
                    "verdict": e.verdict,
                    "verdict_text": _say(language, f"verdict.{e.verdict}"),
                    "effect": _finite_points(e, e.estimate),
                    "ci_low": _finite_points(e, e.ci_low),
                    "ci_high": _finite_points(e, e.ci_high),
                }
            )
    return rows


def _finite_points(evaluation: Evaluation, value: float) -> float | None:
    """``value`` in points of 100; None when the action was not evaluated."""
    points = float(evaluation.points(value)) if evaluation.evaluated else float("nan")
    return points if math.isfinite(points) else None


def trend_table(words: Words, by_wave) -> Table | None:
    """The trend's table of actions: per wave, each action it evaluated and the verdict, in words."""
    rows = trend_rows(words.language, by_wave)
    if not rows:
        return None
    body = tuple(
        cells(
            Segment(row["wave"], literal=True),
            Segment(row["title"], literal=True),
            row["verdict_text"]
            if row["effect"] is None
            else f"{row['verdict_text']} ({words.num(row['effect'], 0, sign=True)})",
            kind="significant" if row["verdict"] == "worked" else "",
        )
        for row in rows
    )
    columns = (
        Column(_say(words.language, "col.wave")),
        Column(_say(words.language, "col.action")),
        Column(_say(words.language, "col.verdict")),
    )
    language = words.language
    return Table(_say(language, "trend.caption"), columns, body, note=_say(language, "trend.note"))


def actions_state(wave: Wave) -> str:
    """A short fingerprint of what the section of ``wave``'s report depends on (for the cache key)."""
    parts = [
        f"{a.id}:{a.status}:{a.dimension}:{a.target}:{a.wave_id}:{a.created_at:%Y%m%d%H%M%S}:"
        + ",".join(str(link.team_id) for link in a.teams)
        for a in actions_to_evaluate(wave)
    ]
    if not parts:
        return ""
    return "-a" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
