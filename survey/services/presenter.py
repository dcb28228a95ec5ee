"""A report as a reader sees it: the decision first, then the sections, method in an appendix.

:func:`organization_view` and :func:`team_view` turn a release's report (codes and
numbers from :mod:`analysis`) into the plain values of :mod:`survey.services.report_view`
that the report templates render: the cover, the first page (:mod:`survey.services.decision`),
the sections and the appendix (:mod:`survey.services.sections`), the charts with their text
alternatives (:mod:`survey.services.figures`). Readers see dimension names, item texts and
"not estimable", never a code such as ``meta_accuracy`` or ``lq_mkt_own``; the words come
from :mod:`survey.services.wording`, ready for translation.
"""

from __future__ import annotations

import numpy as np

import analysis
from instruments import Instrument
from survey.services import sections
from survey.services.action_section import actions_section, trend_table
from survey.services.comparability_section import comparability_section
from survey.services.cut_section import cut_sections
from survey.services.dates import short_date, zone_named
from survey.services.decision import decision
from survey.services.figures import organization_charts, team_charts
from survey.services.lead_section import lead_definition
from survey.services.report_view import Cover, OrganizationView, Section, Table, TeamView, Words, cells
from survey.services.result_words import reason_text
from survey.services.sections import TABLE_ROWS
from survey.services.wording import Segment

__all__ = ["organization_view", "team_view"]


def _cover(words: Words, wave, release, organization_name: str) -> Cover:
    report = words.report
    overview = report.overview
    organization = getattr(wave, "organization", None)
    zone = zone_named(getattr(organization, "time_zone", None))

    def day(value) -> str:
        """A day as the report's language writes it, in the organisation's time zone."""
        return short_date(value, words.language, zone) if value is not None else ""

    facts = []
    if wave.opens_at and wave.closes_at:
        facts.append(
            (
                words.say("cover.wave"),
                words.say("cover.dates", opens=day(wave.opens_at), closes=day(wave.closes_at)),
            )
        )
    elif wave.opens_at:
        facts.append((words.say("cover.wave"), words.say("cover.opened", opens=day(wave.opens_at))))
    if overview.n_submitted is None:
        responses = words.say("cover.too_few", threshold=report.threshold)
    elif np.isfinite(overview.n_invited) and overview.n_invited > 0:
        responses = words.say(
            "cover.responses",
            submitted=overview.n_submitted,
            invited=words.num(overview.n_invited, 0),
            rate=words.rate(overview.response_rate),
        )
    else:
        responses = words.say("cover.responses_no_invites", submitted=overview.n_submitted)
    facts.append((words.say("cover.responses_label"), responses))
    facts.append(
        (
            words.say("cover.results"),
            words.say("cover.release", number=release.number, date=day(release.created_at)),
        )
    )
    notes = [words.say("cover.open_wave")] if wave.status == "open" else []
    notes.append(
        words.say("cover.threshold", threshold=report.threshold, comment_threshold=report.comment_threshold)
    )
    return Cover(organization_name, words.say("cover.title"), str(report.wave), tuple(facts), tuple(notes))


def organization_view(
    report: analysis.OrganizationReport,
    *,
    wave,
    release,
    organization_name: str,
    instruments: tuple[Instrument, ...],
    linked: set,
    language: str = "en",
    actions: tuple = (),
    trend_actions: tuple = (),
) -> OrganizationView:
    """Everything the organisation report page and its PDF show, in words, in reading order.

    ``linked`` holds the ids of the teams whose names link to their team reports (the
    shown teams of the release's tree); ``instruments`` are the release's, for item texts.
    ``actions`` are the evaluations of the actions answering earlier waves
    (:func:`survey.services.action_effects.evaluate`), worded after the trend;
    ``trend_actions`` are each wave's evaluations up to this one
    (:func:`survey.services.action_effects.evaluations_by_wave`), a table in the trend.
    """
    words = Words(report, language, linked)
    cover = _cover(words, wave, release, organization_name)
    if report.overview.n_submitted is None:
        return OrganizationView(
            language, cover, words.say("report.nothing", threshold=report.threshold), None, (), "", "", ()
        )
    charts = organization_charts(report, instruments, language)
    parts = (
        sections.alignment(words, charts),
        sections.gaps(words, charts),
        sections.meta(words, charts),
        lead_definition(words, instruments),
        sections.mindset(words, charts),
        sections.items(words, charts, instruments),
        sections.trend(words, charts, trend_table(words, trend_actions)),
        actions_section(words, actions),
        *cut_sections(words, getattr(release, "cuts", None)),
        sections.comments(words),
        sections.team_links(words),
    )
    return OrganizationView(
        language=language,
        cover=cover,
        nothing="",
        decision=decision(words, instruments),
        sections=tuple(part for part in parts if part is not None),
        appendix_heading=words.say("appendix.heading"),
        appendix_intro=words.say("appendix.intro"),
        appendix=_with_comparability(sections.appendix(words, charts), words, instruments),
    )


def _with_comparability(appendix: tuple[Section, ...], words: Words, instruments) -> tuple[Section, ...]:
    """The appendix with the comparability table of sales and marketing before "How to read"."""
    table = comparability_section(words, instruments)
    ids = [section.id for section in appendix]
    at = ids.index("method") if "method" in ids else len(appendix)
    return appendix[:at] + (table,) + appendix[at:]


def team_view(
    report: analysis.TeamReport,
    organization: analysis.OrganizationReport,
    *,
    organization_name: str,
    release,
    linked: set,
    language: str = "en",
) -> TeamView:
    """The team report page: the team's profile against the organisation, its gaps, its trend."""
    words = Words(organization, language, linked)
    eyebrow = words.say(
        "team.eyebrow_full", organization=organization_name, wave=organization.wave, number=release.number
    )
    back = words.say("team.back")
    if not report.shown:
        note = reason_text(report.reason, organization.threshold, language)
        return TeamView(language, eyebrow, report.name, back, False, note)
    charts = team_charts(report, organization, language)
    parts = [_team_profile(words, report, charts), _team_gaps(words, report)]
    if "trend" in charts:
        parts.append(Section("trend", words.say("team.trend"), charts=(charts["trend"],)))
    parts.append(sections.team_links(words, "team.other_reports", leave_out=report.team))
    return TeamView(language, eyebrow, report.name, back, True, "", tuple(p for p in parts if p is not None))


def _team_profile(words: Words, report: analysis.TeamReport, charts: dict) -> Section:
    profile = report.profile
    differences = profile.dropna(subset=["difference"]) if len(profile) else profile
    summary = ()
    if len(differences) >= 2:
        ordered = differences.sort_values("difference", kind="stable")
        summary = (
            words.phrase(
                "team.summary",
                team=Segment(report.name, strong=True),
                high=words.dimension(ordered["dimension"].iloc[-1]),
                low=words.dimension(ordered["dimension"].iloc[0]),
            ),
        )
    rows = tuple(
        cells(
            words.on_scale(r.dimension, profile["dimension"]),  # the scale named where scales mix
            words.num(r.team_mean) if r.consensus else words.say("consensus.none"),
            # Without consensus the mean is not reported, and neither is its interval.
            words.interval(r.team_ci_low, r.team_ci_high) if r.consensus else "",
            words.num(r.organization_mean),
            words.num(r.difference, sign=True),
            words.num(r.rwg_j),
        )
        for r in profile.itertuples(index=False)
    )
    columns = words.columns(
        "col.dimension", "col.team_mean#", "col.interval#", "col.org_mean#", "col.difference#", "col.rwg#"
    )
    return Section(
        "profile",
        words.say("team.profile"),
        paragraphs=summary,
        charts=tuple(charts[k] for k in ("profile",) if k in charts),
        tables=(Table(words.say("caption.team_profile"), columns, rows),),
    )


def _team_gaps(words: Words, report: analysis.TeamReport) -> Section | None:
    gaps = report.gaps
    if not len(gaps):
        return None
    ordered = gaps.reindex(gaps["g"].abs().sort_values(ascending=False, kind="stable").index)
    shown = ordered.head(TABLE_ROWS)
    rows = tuple(
        cells(
            words.team(r.team_b),
            words.dimension(r.dimension),
            words.num(r.mean_a),
            words.num(r.mean_b),
            words.num(r.g),
            words.interval(r.g_ci_low, r.g_ci_high),
            "★" if r.significant else "",
            kind="significant" if r.significant else "",
        )
        for r in shown.itertuples(index=False)
    )
    columns = words.columns(
        "col.other_team",
        "col.dimension",
        "col.this_team#",
        "col.other_mean#",
        "col.g#",
        "col.interval#",
        "col.significant",
    )
    tables = [
        Table(
            words.say("caption.team_gaps", team=report.name),
            columns,
            rows,
            words.shown_note(len(shown), len(ordered)),
        )
    ]
    if len(report.alignment):
        alignment = report.alignment.sort_values("alignment", kind="stable")
        first = alignment.head(TABLE_ROWS)
        align_rows = tuple(
            cells(words.team(r.team_b), words.num(r.alignment, 0), words.quadrant(r.quadrant))
            for r in first.itertuples(index=False)
        )
        tables.append(
            Table(
                words.say("caption.team_alignment"),
                words.columns("col.other_team", "col.alignment#", "col.quadrant"),
                align_rows,
                words.shown_note(len(first), len(alignment)),
            )
        )
    return Section("team-gaps", words.say("team.gaps"), tables=tuple(tables))
