"""The sections of the organisation report after its first page, and its appendix.

Each function returns a :class:`~survey.services.report_view.Section` (or ``None`` when
the report has nothing for it): a heading, a sentence on how to read it, its charts and
tables with readers' labels. Long tables show the rows that matter most (the least
aligned pairs, the largest gaps) and say that every row is in the Excel and CSV results.
The appendix, "Method and data quality", holds who answered, reliability, agreement and
ICCs (ICC(2) "not estimable" where ICC(1) is not above zero), careless answers and how to
read the statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.services.comparability_section import marked
from survey.services.decision import previous_wave
from survey.services.figures import heatmap_table
from survey.services.report_view import Column, Section, Table, Words, cells, significant
from survey.services.result_words import reason_text, reliability_text
from survey.services.wording import Segment, join

#: Rows of a long table shown on the page (all are in the Excel and CSV results).
TABLE_ROWS = 12
#: Teams per table of team means (wider tables are split).
MATRIX_TEAMS = 8
#: Rows of the trend's changes that are 0-100 indexes (shown in whole points), not dimension means.
INDEXES = frozenset({"alignment", "lead_definition"})


def _charts(charts: dict, *names: str) -> tuple:
    return tuple(charts[name] for name in names if name in charts)


def _pair(words: Words, a, b) -> tuple:
    return join(words.language, [(words.team(a),), (words.team(b),)])


def measures(words: Words) -> Table | None:
    """Sales and marketing on each 0-100 alignment measure: the alignment index of the perception
    dimensions and the lead-definition index of the lead calibration, each with its interval.

    None when the wave does not ask the lead calibration (the alignment index alone is the
    first page's headline). The lead-definition index is shown under the calibration's rule:
    only when each function has ``threshold`` judges (:func:`analysis.calibration_summary`).
    """
    report = words.report
    summary = getattr(report, "calibration", None)
    if summary is None:
        return None
    rows = []
    head = report.alignment.headline
    if head is not None and np.isfinite(head.alignment):
        dimensions = sum(1 for kind in report.dimensions["kind"] if kind == "perception")
        basis = words.say(
            "measures.alignment", dimensions=dimensions, n_sales=head.n_sales, n_marketing=head.n_marketing
        )
        interval = words.interval(head.ci_low, head.ci_high, 0)
        rows.append(cells(words.say("alignment.index"), words.num(head.alignment, 0), interval, basis))
    name = Segment(words.say("definition.index"), href="#lead-definition")
    if summary.shown:
        index = summary.index
        rows.append(cells(
            name, words.num(index.index, 0), words.interval(index.ci_low, index.ci_high, 0),
            words.say("measures.definition", vignettes=index.n_vignettes, n_sales=summary.n[0],
                      n_marketing=summary.n[1]),
        ))  # fmt: skip
    else:
        rows.append(cells(name, "–", "–", words.say("measures.too_few", threshold=summary.threshold)))
    note = "".join(segment.text for segment in words.phrase(
        "measures.note", section=Segment(words.say("section.lead_definition"))
    ))  # fmt: skip
    return Table(
        words.say("caption.measures"),
        words.columns("col.measure", "col.alignment#", "col.interval#", "col.basis"),
        tuple(rows),
        note,
    )


def alignment(words: Words, charts: dict) -> Section | None:
    pairs = words.report.alignment.pairs
    table_of_measures = measures(words)
    if pairs.empty and "quadrant" not in charts and table_of_measures is None:
        return None
    ordered = pairs.dropna(subset=["alignment"]).sort_values("alignment", kind="stable")
    shown = ordered.head(TABLE_ROWS)
    rows = tuple(
        cells(
            _pair(words, r.team_a, r.team_b),
            words.num(r.alignment, 0),
            words.num(r.level),
            words.quadrant(r.quadrant),
        )
        for r in shown.itertuples(index=False)
    )
    table = Table(
        words.say("caption.pairs"),
        words.columns("col.teams", "col.alignment#", "col.level#", "col.quadrant"),
        rows,
        words.shown_note(len(shown), len(ordered)),
    )
    tables = ((table_of_measures,) if table_of_measures is not None else ()) + ((table,) if rows else ())
    return Section(
        "alignment",
        words.say("section.alignment"),
        paragraphs=(words.phrase("method.alignment"),),
        charts=_charts(charts, "quadrant"),
        tables=tables,
    )


def gaps(words: Words, charts: dict) -> Section | None:
    report = words.report
    table = report.gaps
    if table.empty and report.means.empty:
        return None
    ordered = table.reindex(table["g"].abs().sort_values(ascending=False, kind="stable").index)
    chosen = ordered[significant(ordered)]
    chosen = chosen if len(chosen) else ordered
    shown = chosen.head(TABLE_ROWS)
    rows = []
    any_marked = False
    for r in shown.itertuples(index=False):
        # A sales-marketing gap on a dimension the two read differently is not a plain difference.
        mark = marked(words, r.team_a, r.team_b, r.dimension)
        any_marked = any_marked or bool(mark)
        dimension = words.on_scale(r.dimension, shown["dimension"])  # the means' scale where they mix
        means = (
            words.team(r.team_a),
            Segment(f" {words.num(r.mean_a)}"),
            Segment("\n"),
            words.team(r.team_b),
            Segment(f" {words.num(r.mean_b)}"),
        )
        rows.append(
            cells(
                f"{dimension} {words.say('reading.marker')}" if mark else dimension,
                means,
                words.num(r.g),
                words.interval(r.g_ci_low, r.g_ci_high),
                words.p(r.p_adjusted, relation=False),
                "★" if r.significant else "",
                kind="significant" if r.significant else "",
            )
        )
    columns = words.columns(
        "col.dimension", "col.means", "col.g#", "col.g_interval#", "col.p_adjusted#", "col.significant"
    )
    note = " ".join(
        text
        for text in (
            words.shown_note(len(shown), len(chosen)),
            words.say("reading.table_note") if any_marked else "",
        )
        if text
    )
    tables = [Table(words.say("caption.gaps"), columns, tuple(rows), note)]
    tables = (tables if rows else []) + _means_tables(words)
    return Section(
        "gaps",
        words.say("section.gaps"),
        paragraphs=(words.phrase("method.gaps"),),
        charts=_charts(charts, "gaps"),
        tables=tuple(tables),
    )


def _means_tables(words: Words) -> list[Table]:
    """Dimensions x shown teams: each mean, or "no consensus" where a team disagrees."""
    means = words.report.means
    if means.empty:
        return []
    teams = list(dict.fromkeys(means["team"]))
    dimensions = list(dict.fromkeys(means["dimension"]))
    indexed = means.set_index(["team", "dimension"])
    chunks = [teams[start : start + MATRIX_TEAMS] for start in range(0, len(teams), MATRIX_TEAMS)]
    tables = []
    for part, chunk in enumerate(chunks, start=1):
        rows = []
        for dimension in dimensions:
            values = [words.on_scale(dimension, dimensions)]  # scales named where they mix
            for team in chunk:
                if (team, dimension) not in indexed.index:
                    values.append("–")
                    continue
                value = indexed.loc[(team, dimension)]
                consensus = bool(value["consensus"])
                values.append(words.num(value["mean"]) if consensus else words.say("consensus.none"))
            rows.append(cells(*values))
        caption = words.say("caption.means")
        if len(chunks) > 1:
            caption = words.say("caption.part", caption=caption, part=part, parts=len(chunks))
        columns = (*words.columns("col.dimension"), *(Column(words.team(t).text, True) for t in chunk))
        tables.append(Table(caption, columns, tuple(rows)))
    return tables


def meta(words: Words, charts: dict) -> Section | None:
    """Self, other and expected ratings: one row per function rated and dimension."""
    table = words.report.meta_perception
    if table.empty:
        return None
    own = table[table["comparison"] == "perception"].set_index(["target", "dimension"])
    expected = table[table["comparison"] == "meta_accuracy"].set_index(["target", "dimension"])
    rows = []
    for key, r in own.iterrows():
        guess = expected.loc[key] if key in expected.index else None
        shown = bool(
            r.get("significant", False) is True or (guess is not None and guess.get("significant") is True)
        )
        rows.append(
            cells(
                words.function(key[0]),
                words.dimension(key[1]),
                words.num(r["mean_a"]),
                words.num(r["mean_b"]),
                words.num(guess["mean_a"]) if guess is not None else "–",
                words.num(r["g"]),
                words.num(guess["g"]) if guess is not None else "–",
                kind="significant" if shown else "",
            )
        )
    columns = words.columns(
        "col.function_rated",
        "col.dimension",
        "col.self#",
        "col.other#",
        "col.expected#",
        "col.g_self#",
        "col.g_expected#",
    )
    return Section(
        "meta",
        words.say("section.meta"),
        charts=_charts(charts, "meta"),
        tables=(Table(words.say("caption.meta"), columns, tuple(rows)),),
    )


def mindset(words: Words, charts: dict) -> Section | None:
    if "profiles" not in charts:
        return None
    similarity = words.report.profile_similarity
    ordered = (
        similarity.sort_values("distance", ascending=False, kind="stable") if len(similarity) else similarity
    )
    shown = ordered.head(TABLE_ROWS)
    rows = tuple(
        cells(_pair(words, r.team_a, r.team_b), words.num(r.correlation), words.num(r.distance))
        for r in shown.itertuples(index=False)
    )
    table = Table(
        words.say("caption.similarity"),
        words.columns("col.teams", "col.correlation#", "col.distance#"),
        rows,
        words.shown_note(len(shown), len(ordered)),
    )
    return Section(
        "mindset",
        words.say("section.mindset"),
        charts=_charts(charts, "profiles"),
        tables=(table,) if rows else (),
    )


def items(words: Words, charts: dict, instruments) -> Section | None:
    """Statement by statement: a table for a few teams, a chart per page for many."""
    heat = heatmap_table(words.report, instruments, words.language)
    if heat is None and "heatmap" not in charts:
        return None
    return Section(
        "items",
        words.say("section.items"),
        charts=_charts(charts, "heatmap") if heat is None else (),
        heat=heat,
    )


def trend(words: Words, charts: dict, actions: Table | None = None) -> Section | None:
    """What changed over the waves; ``actions`` is the table of the actions' verdicts per wave."""
    if "trend" not in charts:
        return None
    latest = words.report.trend.latest_change
    rows = tuple(
        cells(
            words.dimension(r.dimension),
            words.num(r.change, 0 if r.dimension in INDEXES else 2, sign=True),
            words.interval(r.ci_low, r.ci_high, 0 if r.dimension in INDEXES else 2, sign=True),
            words.num(r.p, 3),
            "★" if r.significant else "",
            kind="significant" if r.significant else "",
        )
        for r in latest.itertuples(index=False)
    )
    table = Table(
        words.say("caption.trend", previous=previous_wave(words.report.trend)),
        words.columns("col.measure", "col.change#", "col.interval#", "col.p#", "col.beyond_chance"),
        rows,
    )
    return Section(
        "trend",
        words.say("section.trend"),
        paragraphs=(words.phrase("method.trend"),),
        charts=_charts(charts, "trend"),
        tables=((table,) if rows else ()) + ((actions,) if actions is not None else ()),
    )


def comments(words: Words) -> Section | None:
    table = words.report.comments
    if table is None or not len(table):
        return None
    listed = []
    for row in table.itertuples(index=False):
        team = getattr(row, "team", "")
        listed.append(
            (Segment(str(row.text)), Segment(f" ({team})" if isinstance(team, str) and team else ""))
        )
    return Section("comments", words.say("section.comments"), items=tuple(listed))


def team_links(words: Words, heading_key: str = "section.teams", leave_out=None) -> Section | None:
    """Links to the team reports of the shown teams."""
    teams = [t for t in words.report.overview.teams.index if t in words.linked and t != leave_out]
    if not teams:
        return None
    return Section("teams", words.say(heading_key), items=tuple((words.team(t),) for t in teams))


# --------------------------------------------------------------------------- appendix


def _responses(words: Words) -> Table:
    teams = words.report.overview.teams
    suppressed = words.report.suppression.suppressed
    rows = []
    for key, r in teams.iterrows():
        note = reason_text(suppressed.get(key), words.report.threshold, words.language)
        rows.append(
            cells(
                words.team(key),
                words.function(r["function"]),
                words.num(r["invited"], 0),
                words.num(r["submitted"], 0),
                words.rate(r["response_rate"]),
                note,
            )
        )
    columns = words.columns(
        "col.team", "col.function", "col.invited#", "col.answered#", "col.rate#", "col.note"
    )
    return Table(words.say("caption.responses"), columns, tuple(rows))


def _reliability(words: Words) -> Table | None:
    reliability = words.report.overview.reliability
    if reliability.empty:
        return None
    rows = []
    # A shorter (planned-missing) form adds the reliability of the scores each respondent has.
    short = "alpha_answered" in reliability.columns
    not_computable = words.say("reliability.not_computable")
    for dimension, r in reliability.iterrows():
        omega = words.num(r["omega"]) if pd.notna(r["omega"]) else not_computable
        warning = reliability_text(r["alpha"], r["omega"], words.language)
        answered = ()
        if short:
            answered = (words.num(r["alpha_answered"]) if pd.notna(r["alpha_answered"]) else not_computable,)
        rows.append(
            cells(
                words.dimension(dimension),
                words.num(r["n_items"], 0),
                words.num(r["alpha"]),
                words.interval(r["alpha_ci_low"], r["alpha_ci_high"]),
                *answered,
                omega,
                warning,
                kind="warn" if warning else "",
            )
        )
    keys = ["col.dimension", "col.items#", "col.alpha#", "col.interval#", "col.omega#", "col.note"]
    if short:
        keys.insert(4, "col.alpha_answered#")
        caption = words.say("caption.reliability_short", k=int(reliability["n_answered"].min()))
    else:
        caption = words.say("caption.reliability")
    return Table(caption, words.columns(*keys), tuple(rows))


def icc2_text(words: Words, icc1, icc2) -> str:
    """ICC(2) as shown: "not estimable" where ICC(1) is zero or below, or ICC(2) is missing."""
    finite = [value is not None and np.isfinite(value) for value in (icc1, icc2)]
    if not all(finite) or icc1 <= 0:
        return words.say("icc.not_estimable")
    return words.num(icc2)


def _icc(words: Words) -> Table | None:
    table = words.report.agreement.icc
    if table.empty:
        return None
    rows = []
    for dimension, r in table.iterrows():
        icc1 = float(r["icc1"]) if pd.notna(r["icc1"]) else None
        icc2 = float(r["icc2"]) if pd.notna(r["icc2"]) else None
        rows.append(
            cells(
                words.dimension(dimension),
                words.num(icc1),
                icc2_text(words, icc1, icc2),
                words.num(r["n_teams"], 0),
            )
        )
    columns = words.columns("col.dimension", "col.icc1#", "col.icc2#", "col.n_teams#")
    return Table(words.say("caption.icc"), columns, tuple(rows), note=words.say("icc.note"))


def appendix(words: Words, charts: dict) -> tuple[Section, ...]:
    """Method and data quality: who answered, reliability, agreement, careless answers, method."""
    report = words.report
    sections = [Section("responses", words.say("appendix.responses"), tables=(_responses(words),))]
    reliability = _reliability(words)
    if reliability is not None:
        sections.append(Section("reliability", words.say("appendix.reliability"), tables=(reliability,)))
    icc = _icc(words)
    if icc is not None or "agreement" in charts:
        sections.append(
            Section(
                "agreement",
                words.say("appendix.agreement"),
                charts=_charts(charts, "agreement"),
                tables=(icc,) if icc is not None else (),
            )
        )
    quality = report.quality
    if quality.n_submitted is not None:
        text = words.phrase(
            "quality.text",
            careless=quality.n_careless,
            submitted=quality.n_submitted,
            analysed=quality.n_analysed,
        )
    else:
        text = words.phrase("quality.hidden")
    sections.append(Section("quality", words.say("appendix.quality"), paragraphs=(text,)))
    method = tuple(
        words.phrase(key, threshold=report.threshold)
        for key in ("method.threshold", "method.gaps", "method.alignment", "method.trend")
    )
    sections.append(Section("method", words.say("appendix.method"), paragraphs=method))
    return tuple(sections)
