"""The first page of a report: what a sales director has to decide, in sentences.

* The sales-marketing alignment index with its interval, who it compares, and its change
  since the previous wave with whether that change is beyond chance.
* The gaps that matter most (at most three): the significant gaps between two shown
  teams on the alignment dimensions, largest first, one per dimension, so that each points
  to a different cause. Each names the two teams and the dimension, the two or three
  statements (item texts, in the report's language) on which the teams' average answers
  differ most, the cause the dimension measures, what aligned organisations do about it,
  and who should own it: the two teams, led as the cause needs.
* What both functions rate low (the report's ``"level"`` recommendations) and, for sales
  and marketing as a whole, where they differ (its ``"gap"`` recommendations).
* Which dimensions changed beyond chance since the previous wave, in points of 100.
"""

from __future__ import annotations

import numpy as np

from analysis.recommendations import CAUSES
from instruments import Instrument
from survey.services.comparability_section import MARKED, gap_reading, marked
from survey.services.figures import perception_dimensions
from survey.services.lead_section import see_also
from survey.services.report_view import Decision, Gap, Headline, Level, Statement, Words, significant
from survey.services.wording import CAUSE_TEXT, OWNERS, PRACTICES, Segment, join, lookup

#: Gaps on the first page, and statements shown for each.
FIRST_PAGE_GAPS = 3
STATEMENTS_PER_GAP = 3
#: Smallest difference of two teams' average answers worth naming a statement for.
STATEMENT_SPLIT = 0.05


def decision(words: Words, instruments: tuple[Instrument, ...]) -> Decision:
    """The first page of the organisation report."""
    head = words.report.alignment.headline
    headline = None
    if head is not None and np.isfinite(head.alignment):
        headline = Headline(
            value=words.num(head.alignment, 0),
            label=words.say("headline.label"),
            interval=words.say(
                "headline.interval", low=words.num(head.ci_low, 0), high=words.num(head.ci_high, 0)
            ),
            basis=words.say("headline.basis", n_sales=head.n_sales, n_marketing=head.n_marketing),
            meaning=words.say("headline.meaning"),
        )
    gaps = top_gaps(words, instruments)
    changes_heading, changes = dimension_changes(words)
    return Decision(
        heading=words.say("decision.heading"),
        headline=headline,
        headline_none=words.say("headline.none"),
        change=alignment_change(words) if headline is not None else "",
        functions=" ".join(text for text in (_functions(words), _definition(words)) if text),
        gaps_heading=words.say("gaps.heading.3" if len(gaps) == FIRST_PAGE_GAPS else "gaps.heading.n"),
        gaps=gaps,
        gaps_none=words.say("gaps.none"),
        levels_heading=words.say("levels.heading"),
        levels=_levels(words),
        changes_heading=changes_heading,
        changes=changes,
    )


def _items(instruments: tuple[Instrument, ...], language: str) -> dict:
    """Item id -> (text in ``language``, reverse-keyed?, scale)."""
    return {
        item.id: (item.label(language), item.reverse, instrument.scale_of(item))
        for instrument in instruments
        for item in instrument.items
    }


def _statements(words: Words, gap, items: dict) -> tuple[str, tuple[Statement, ...]]:
    """The statements of the gap's dimension on which its two teams' answers differ most."""
    heatmap = words.report.heatmap
    a, b = gap.team_a, gap.team_b
    if a not in heatmap.means.index or b not in heatmap.means.index:
        return "", ()
    ids = [
        item
        for item in heatmap.means.columns
        if heatmap.item_dimension.get(item) == gap.dimension and item in items
    ]
    keyed_a = heatmap.means.loc[a, ids].astype(float)
    keyed_b = heatmap.means.loc[b, ids].astype(float)
    split = (keyed_a - keyed_b).abs().dropna()
    chosen = [
        item
        for item in split.sort_values(ascending=False, kind="stable").index
        if split[item] >= STATEMENT_SPLIT
    ][:STATEMENTS_PER_GAP]
    if not chosen:
        return "", ()
    statements = []
    for item in chosen:
        text, reverse, scale = items[item]

        def answer(keyed, reverse=reverse, scale=scale):
            """The average answer as given: the heatmap holds reverse-keyed items turned round."""
            return scale.min + scale.max - keyed if reverse else keyed

        means = words.say(
            "gap.statement_means",
            team_a=words.teams.get(a, str(a)),
            team_b=words.teams.get(b, str(b)),
            mean_a=words.num(answer(keyed_a[item]), 1),
            mean_b=words.num(answer(keyed_b[item]), 1),
        )
        statements.append(Statement(f"“{text}”", means))
    scale = items[chosen[0]][2]
    ends = [point for point in scale.points if point.value in (scale.min, scale.max)]
    labels = ", ".join(f"{point.value} = {point.label(words.language)}" for point in ends)
    return words.say("gap.statements", scale_labels=labels), tuple(statements)


def top_gaps(words: Words, instruments: tuple[Instrument, ...]) -> tuple[Gap, ...]:
    """The significant gaps between two teams that matter most, one per dimension."""
    gaps = words.report.gaps
    if gaps.empty:
        return ()
    perception = set(perception_dimensions(words.report)) & set(CAUSES)
    rows = gaps[gaps["dimension"].isin(perception) & significant(gaps)]
    rows = rows.iloc[np.argsort(-rows["g"].abs().to_numpy(dtype=float), kind="stable")]
    rows = rows.drop_duplicates("dimension").head(FIRST_PAGE_GAPS)
    items = _items(instruments, words.language)
    return tuple(_gap(words, row, items, instruments) for row in rows.itertuples(index=False))


def _gap(words: Words, row, items: dict, instruments=()) -> Gap:
    cause = CAUSES[row.dimension]
    first_higher = row.mean_a >= row.mean_b
    higher, lower = (row.team_a, row.team_b) if first_higher else (row.team_b, row.team_a)
    mean_high, mean_low = (row.mean_a, row.mean_b) if first_higher else (row.mean_b, row.mean_a)
    title = words.phrase(
        "gap.title",
        team_a=words.team(row.team_a),
        team_b=words.team(row.team_b),
        dimension=Segment(words.dimension(row.dimension), strong=True),
    )
    detail = words.phrase(
        "gap.detail",
        higher=words.team(higher),
        lower=words.team(lower),
        mean_high=words.num(mean_high),
        mean_low=words.num(mean_low),
        scale=words.scale(row.dimension),
        size=words.size(row.g),
        g=words.num(abs(row.g)),
        p=words.p(row.p_adjusted),
    )
    intro, statements = _statements(words, row, items)
    practice, action = lookup(PRACTICES, words.language, cause)
    owners = words.phrase(
        "gap.owners",
        team_a=words.team(row.team_a),
        team_b=words.team(row.team_b),
        lead=lookup(OWNERS, words.language, cause),
    )
    return Gap(
        title=title,
        detail=detail,
        statements_intro=intro,
        statements=statements,
        cause=words.say("gap.cause", cause=lookup(CAUSE_TEXT, words.language, cause)),
        action=words.say("gap.action", title=practice, action=action),
        owners=owners,
        see=see_also(words, cause),
        reading=gap_reading(
            words, marked(words, row.team_a, row.team_b, row.dimension), row.dimension, instruments
        ),
    )


def _levels(words: Words) -> tuple[Level, ...]:
    levels = []
    for recommendation in words.report.recommendations:
        cause = CAUSES.get(recommendation.dimension)
        if recommendation.basis != "level" or cause is None:
            continue
        practice, action = lookup(PRACTICES, words.language, cause)
        levels.append(
            Level(
                title=words.say("level.title", dimension=words.dimension(recommendation.dimension)),
                detail=words.say(
                    "level.detail",
                    mean=words.num(recommendation.mean),
                    scale=words.scale(recommendation.dimension),
                ),
                cause=words.say("gap.cause", cause=lookup(CAUSE_TEXT, words.language, cause)),
                action=words.say("gap.action", title=practice, action=action),
                owners=words.say("level.owners", lead=lookup(OWNERS, words.language, cause)),
                see=see_also(words, cause),
            )
        )
    return tuple(levels)


def _functions(words: Words) -> str:
    """Sales and marketing as a whole: the dimensions where they differ beyond chance."""
    gaps = [r for r in words.report.recommendations if r.basis == "gap"]
    if not gaps:
        return ""
    listed = [
        words.phrase(
            "functions.item",
            dimension=words.dimension(r.dimension),
            sales=words.num(getattr(r, "mean_sales", np.nan)),
            marketing=words.num(getattr(r, "mean_marketing", np.nan)),
        )
        for r in gaps
    ]
    text = words.say("functions.gap", dimensions=join(words.language, listed))
    # Sales and marketing read these dimensions' statements differently: never a plain gap.
    careful = [words.dimension(r.dimension) for r in gaps if getattr(r, "comparability", "") in MARKED]
    if careful:
        text += " " + words.say("reading.functions", dimensions=join(words.language, careful))
    return text


def _definition(words: Words) -> str:
    """The lead-definition index beside the alignment index, where the wave shows the calibration."""
    summary = getattr(words.report, "calibration", None)
    if summary is None or not summary.shown:
        return ""
    index = summary.index
    return words.say(
        "functions.definition",
        index=words.num(index.index, 0),
        interval=words.interval(index.ci_low, index.ci_high, 0),
    )


def previous_wave(trend) -> str:
    """The label of the wave before this one in the trend, or ``""``."""
    waves = list(dict.fromkeys(trend.dimensions["wave"])) if len(trend.dimensions) else []
    return str(waves[-2]) if len(waves) >= 2 else ""


def alignment_change(words: Words) -> str:
    """The alignment index's change since the previous wave, and whether it is beyond chance."""
    trend = words.report.trend
    latest = trend.latest_change
    row = latest[latest["dimension"] == "alignment"] if len(latest) else latest
    if row.empty:
        return words.say("change.first") if len(trend.alignment) <= 1 else ""
    row = row.iloc[0]
    previous = str(trend.alignment["wave"].iloc[-2]) if len(trend.alignment) >= 2 else previous_wave(trend)
    change = float(row["change"])
    key = "change.same" if round(abs(change)) == 0 else "change.up" if change > 0 else "change.down"
    text = words.say(key, change=words.num(abs(change), 0), previous=previous)
    verdict = "change.real" if bool(row["significant"]) else "change.chance"
    return text + words.say(
        verdict,
        low=words.num(row["ci_low"], 0, sign=True),
        high=words.num(row["ci_high"], 0, sign=True),
        p=words.num(row["p"], 3),
    )


def dimension_changes(words: Words) -> tuple[str, tuple[str, ...]]:
    """The heading and sentences of the dimensions that changed beyond chance since the last wave."""
    trend = words.report.trend
    previous = previous_wave(trend)
    if not previous or trend.latest_change.empty:
        return "", ()
    latest = trend.latest_change
    rows = latest[(latest["dimension"] != "alignment") & significant(latest)]
    rows = rows.reindex(rows["change"].abs().sort_values(ascending=False, kind="stable").index)
    means = trend.dimensions.set_index(["wave", "dimension"])["mean"]
    current = str(trend.dimensions["wave"].iloc[-1])
    sentences = []
    for row in rows.itertuples(index=False):
        low, high = words.scales.get(row.dimension, (np.nan, np.nan))
        points = 100 * abs(row.change) / (high - low) if high > low else np.nan
        sentences.append(
            words.say(
                "changes.rose" if row.change > 0 else "changes.fell",
                dimension=words.dimension(row.dimension),
                points=words.num(points, 0),
                before=words.num(means.get((previous, row.dimension), np.nan)),
                after=words.num(means.get((current, row.dimension), np.nan)),
                scale=words.scale(row.dimension),
            )
        )
    if not sentences:
        sentences.append(words.say("changes.none", previous=previous))
    return words.say("changes.heading", previous=previous), tuple(sentences)
