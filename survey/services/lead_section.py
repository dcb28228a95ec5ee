"""The report section "What each team counts as a qualified lead", in words.

:func:`lead_definition` words a release's :class:`analysis.CalibrationSummary` (the wave's
lead calibration, computed by :func:`analysis.organization_report`): how much of each
function's judgement each attribute of a lead profile carries (as a share, never a raw
weight), where the two functions differ, the lead profiles they split on described by their
attributes, and the draft lead definition built from the criteria both already use — the
starting point of the hand-over agreement that the "handover" and "lead quality"
recommendations propose (:func:`see_also` links them here). Readers see attribute names and
level texts from the instrument, never their ids.
"""

from __future__ import annotations

import numpy as np

from instruments import Instrument
from survey.services.report_view import Column, Section, Table, Words, cells
from survey.services.wording import Segment, join

__all__ = ["ANCHOR", "LINKED_CAUSES", "lead_definition", "see_also"]

#: The section's id on the page (and its anchor).
ANCHOR = "lead-definition"
#: Recommendation causes whose practice starts from the draft lead definition.
LINKED_CAUSES = frozenset({"handover", "lead_quality", "definitions"})


def _named(instrument, attribute: str, language: str) -> tuple[Segment]:
    return (Segment(_inside_a_sentence(_attribute(instrument, attribute, language), language)),)


def _inside_a_sentence(name: str, language: str) -> str:
    """An attribute's name as it reads inside a sentence: German keeps its capital nouns, the
    other languages lower its first letter unless the word is an abbreviation ("CRM")."""
    if language == "de" or name[1:2].isupper():
        return name
    return name[:1].lower() + name[1:]


def _instrument(instruments: tuple[Instrument, ...]) -> Instrument | None:
    return next((instrument for instrument in instruments if instrument.vignettes), None)


def _shown(words: Words):
    summary = getattr(words.report, "calibration", None)
    return summary if summary is not None and summary.shown else None


def _level(instrument: Instrument, attribute: str, level: str, language: str) -> str:
    return instrument.attribute(attribute).level(level).label(language)


def _attribute(instrument: Instrument, attribute: str, language: str) -> str:
    return instrument.attribute(attribute).label(language)


def profile_text(instrument: Instrument, vignette: str, language: str) -> str:
    """A lead profile in words: "Company: …; Contact: …; …" in the instrument's attribute order."""
    profile = dict(instrument.item(vignette).profile)
    return "; ".join(
        f"{attribute.label(language)}: {attribute.level(profile[attribute.id]).label(language)}"
        for attribute in instrument.attributes
        if attribute.id in profile
    )


def vignette_name(words: Words, instrument: Instrument, vignette: str) -> str:
    """ "Lead 3 of 16": the vignette's place among the instrument's vignettes."""
    ids = [item.id for item in instrument.vignettes]
    return words.say("lead.name", number=ids.index(vignette) + 1, total=len(ids))


def _share(words: Words, value) -> str:
    return words.rate(value / 100) if np.isfinite(value) else "–"


def _verdict(words: Words, row) -> str:
    if row["status"] == "differs":
        return words.say("lead.weighs_more", function=words.function(row["weighs_more"]))
    return words.say(f"lead.status.{row['status']}")


def lead_definition(words: Words, instruments: tuple[Instrument, ...]) -> Section | None:
    """The section, or None when the wave has no lead calibration."""
    summary = getattr(words.report, "calibration", None)
    instrument = _instrument(instruments)
    if summary is None or instrument is None:
        return None
    heading = words.say("section.lead_definition")
    sales, marketing = (words.function(function) for function in summary.pair)
    if not summary.shown:
        note = words.phrase("lead.too_few", threshold=summary.threshold, a=sales, b=marketing)
        return Section(ANCHOR, heading, paragraphs=(note,))
    language = words.language
    index = summary.index
    paragraphs = [
        words.phrase(
            "lead.intro",
            n_a=summary.n[0],
            n_b=summary.n[1],
            a=sales,
            b=marketing,
            vignettes=len(instrument.vignettes),
            index=Segment(words.num(index.index, 0), strong=True),
            interval=words.interval(index.ci_low, index.ci_high, 0),
        )
    ]
    attributes = summary.attributes
    differing = attributes[attributes["status"] == "differs"]
    for function, label in zip(summary.pair, (sales, marketing), strict=True):
        more = differing[differing["weighs_more"] == function]
        if len(more):
            names = [
                (Segment(_inside_a_sentence(_attribute(instrument, a, language), language)),)
                for a in more.index
            ]
            paragraphs.append(words.phrase("lead.differs", function=label, attributes=join(language, names)))
    ordered = attributes.sort_values("share_a", ascending=False, kind="stable")
    rows = tuple(
        cells(
            _attribute(instrument, attribute, language),
            _share(words, row["share_a"]),
            _share(words, row["share_b"]),
            _verdict(words, row),
            kind="significant" if row["status"] == "differs" else "",
        )
        for attribute, row in ordered.iterrows()
    )
    weights = Table(
        words.say("caption.lead_weights", a=sales, b=marketing),
        (
            Column(words.say("col.attribute")),
            Column(words.say("col.share", function=sales), True),
            Column(words.say("col.share", function=marketing), True),
            Column(words.say("col.verdict")),
        ),
        rows,
        words.say("lead.weights_note"),
    )
    tables = [weights]
    splits = summary.splits
    split_rows = tuple(
        cells(
            vignette_name(words, instrument, vignette),
            profile_text(instrument, vignette, language),
            words.rate(splits.at[vignette, "ready_a"]),
            words.rate(splits.at[vignette, "ready_b"]),
        )
        for vignette in summary.split_vignettes
    )
    if split_rows:
        tables.append(
            Table(
                words.say("caption.lead_splits"),
                (
                    *words.columns("col.lead", "col.profile"),
                    Column(words.say("col.ready", function=sales), True),
                    Column(words.say("col.ready", function=marketing), True),
                ),
                split_rows,
            )
        )
    else:
        paragraphs.append(words.phrase("lead.no_splits", a=sales, b=marketing))
    items = tuple(
        (
            Segment(_attribute(instrument, attribute, language), strong=True),
            Segment(f": {_level(instrument, attribute, level, language)}"),
        )
        for attribute, level in summary.definition
    )
    # The draft definition closes the section: its sentence right above its list.
    closing = []
    if len(differing):
        names = [
            (Segment(_inside_a_sentence(_attribute(instrument, a, language), language)),)
            for a in differing.index
        ]
        closing.append(words.phrase("lead.to_agree", attributes=join(language, names)))
    if items:
        closing.append(words.phrase("lead.definition", a=sales, b=marketing))
    else:
        closing.append(words.phrase("lead.no_definition", a=sales, b=marketing))
    return Section(ANCHOR, heading, paragraphs=tuple(paragraphs), tables=tuple(tables),
                   closing=tuple(closing), items=items)  # fmt: skip


def see_also(words: Words, cause: str) -> tuple:
    """A link to the section from a recommendation whose practice starts from the draft definition."""
    if cause not in LINKED_CAUSES or _shown(words) is None:
        return ()
    return words.phrase("lead.see", section=Segment(words.say("section.lead_definition"), href=f"#{ANCHOR}"))
