"""A wave's own wording of vignette attribute levels: the client's market in the lead profiles.

The lead calibration shows lead profiles built from attribute levels such as "Mid-sized
manufacturer in your core market". A consultant may, per wave and per language, replace a
level's text with the client's own terms (its company-size segments, its buyer roles), so that
respondents judge leads they recognise. Only the words change: the level ids, and so the
design and the analysis, stay those of the instrument version.

The wording is stored on the wave's instrument (:attr:`survey.models.WaveInstrument.wording`,
only the replaced texts) and may change only while the wave is a draft: once it opens, every
answer must have judged the same profiles. Respondent pages, the report section and the
exports read the instruments through :func:`wave_instruments`, which applies it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping

from instruments import Instrument
from survey.i18n import _
from survey.models import User, Wave, WaveInstrument
from survey.services import ServiceError, audit
from survey.services.instruments import instrument_of

__all__ = [
    "MAX_LENGTH",
    "editable",
    "reworded",
    "set_attribute_wording",
    "vignette_link",
    "wave_instruments",
    "wording_languages",
    "wording_rows",
]

#: Longest text of one level (the instrument's own run to about 90 characters; a phone line
#: shows about 40, so a profile line stays within three lines).
MAX_LENGTH = 120
#: Bidirectional-override and isolate characters: they reorder the text around them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def reworded(instrument: Instrument, wording: Mapping | None) -> Instrument:
    """``instrument`` with the level texts of ``wording`` (``{attribute: {level: {language: text}}}``).

    Texts for attributes, levels or languages the instrument lacks are ignored (the service
    never stores them); an empty wording returns ``instrument`` itself.
    """
    if not wording or not instrument.attributes:
        return instrument
    attributes = []
    for attribute in instrument.attributes:
        texts = wording.get(attribute.id) or {}
        levels = tuple(
            dataclasses.replace(level, text={**level.text, **{
                language: text for language, text in (texts.get(level.id) or {}).items()
                if language in level.text or language in instrument.languages
            }})
            if texts.get(level.id) else level
            for level in attribute.levels
        )  # fmt: skip
        attributes.append(dataclasses.replace(attribute, levels=levels))
    return dataclasses.replace(instrument, attributes=tuple(attributes))


def wave_instruments(wave: Wave) -> tuple[Instrument, ...]:
    """The wave's instruments in display order, with the wave's attribute wording applied."""
    return tuple(reworded(instrument_of(link.instrument_version), link.wording) for link in wave.instruments)


def vignette_link(wave: Wave) -> WaveInstrument | None:
    """The wave's instrument with vignettes (the lead calibration), if it has one."""
    for link in wave.instruments:
        if instrument_of(link.instrument_version).attributes:
            return link
    return None


def wording_languages(wave: Wave, instrument: Instrument) -> tuple[str, ...]:
    """The languages in which the wave shows ``instrument``: the wave's, or all of the instrument's."""
    offered = [language for language in instrument.languages if language in (wave.languages or ())]
    return tuple(offered or instrument.languages)


def editable(wave: Wave) -> bool:
    """Whether the wave's wording may still change (a draft: nobody has answered yet)."""
    return wave.status == "draft"


def wording_rows(wave: Wave, link: WaveInstrument) -> list:
    """Per attribute, in order: ``(attribute, [(level, [(language, instrument's text, wave's text)])])``."""
    instrument = instrument_of(link.instrument_version)
    stored = link.wording or {}
    languages = wording_languages(wave, instrument)
    return [
        (attribute, [
            (level, [
                (language, level.label(language),
                 ((stored.get(attribute.id) or {}).get(level.id) or {}).get(language, level.label(language)))
                for language in languages
            ])
            for level in attribute.levels
        ])
        for attribute in instrument.attributes
    ]  # fmt: skip


def _clean(text, where: str) -> str:
    if not isinstance(text, str):
        raise ServiceError(_("The text of {where} must be text.", where=where))
    text = text.strip()
    if not text:
        raise ServiceError(_("Every level needs a text: {where} is empty.", where=where))
    if len(text) > MAX_LENGTH:
        raise ServiceError(
            _(
                "The text of {where} is {length} characters long; at most {limit} fit.",
                where=where,
                length=len(text),
                limit=MAX_LENGTH,
            )
        )
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in text):
        raise ServiceError(
            _(
                "The text of {where} contains a line break, tab or other control character; write it on "
                "one line.",
                where=where,
            )
        )
    return text


def set_attribute_wording(
    wave: Wave, texts: Mapping, *, actor: User | None = None, reset: bool = False
) -> int:
    """Replace level texts of the wave's lead calibration; return how many texts changed.

    ``texts`` is ``{attribute id: {level id: {language: text}}}``, all or some of the levels;
    a level or language left out keeps its current text, and a text equal to the instrument's
    own drops the replacement. ``reset=True`` first restores the instrument's wording.

    Refused with a :class:`ServiceError`, and nothing changed, when the wave is no longer a
    draft, has no lead calibration, or a text is empty, longer than :data:`MAX_LENGTH`, holds
    control characters, names an unknown attribute, level or language, or would give two levels
    of one attribute the same text. Writes one audit record when something changed.
    """
    if not editable(wave):
        raise ServiceError(
            _(
                "The wave is open or closed: its lead profiles are fixed, so that every answer judged the "
                "same wording. Change the wording in a draft wave (e.g. the next round)."
            )
        )
    link = vignette_link(wave)
    if link is None:
        raise ServiceError(_("The wave has no lead calibration: there is no attribute wording to change."))
    instrument = instrument_of(link.instrument_version)
    languages = wording_languages(wave, instrument)
    if not isinstance(texts, Mapping):
        raise ServiceError(_("The wording must map attribute ids to their levels' texts."))
    current = {} if reset else {a: {lv: dict(t) for lv, t in levels.items()}
                                for a, levels in (link.wording or {}).items()}  # fmt: skip
    for attribute_id, levels in texts.items():
        try:
            attribute = instrument.attribute(str(attribute_id))
        except KeyError:
            known = ", ".join(a.id for a in instrument.attributes)
            raise ServiceError(
                _(
                    "Unknown attribute '{attribute}'; the attributes are {known}.",
                    attribute=str(attribute_id)[:40],
                    known=known,
                )
            ) from None
        if not isinstance(levels, Mapping):
            raise ServiceError(
                _("The wording of {attribute} must map its level ids to texts.", attribute=attribute.id)
            )
        for level_id, by_language in levels.items():
            try:
                level = attribute.level(str(level_id))
            except KeyError:
                known = ", ".join(lv.id for lv in attribute.levels)
                raise ServiceError(
                    _(
                        "Unknown level '{level}' of {attribute}; its levels are {known}.",
                        level=str(level_id)[:40],
                        attribute=attribute.id,
                        known=known,
                    )
                ) from None
            if not isinstance(by_language, Mapping):
                raise ServiceError(
                    _(
                        "The wording of {attribute}.{level} must map languages to texts.",
                        attribute=attribute.id,
                        level=level.id,
                    )
                )
            for language, text in by_language.items():
                if language not in languages:
                    raise ServiceError(
                        _(
                            "The wave is not offered in '{code}'; its languages are {languages}.",
                            code=str(language)[:20],
                            languages=", ".join(languages),
                        )
                    )
                where = f"{attribute.label('en')} – {level.id} ({language})"
                clean = _clean(text, where)
                entry = current.setdefault(attribute.id, {}).setdefault(level.id, {})
                if clean == level.label(language):
                    entry.pop(language, None)
                else:
                    entry[language] = clean
    wording = {
        attribute: {level: dict(sorted(t.items())) for level, t in levels.items() if t}
        for attribute, levels in current.items()
    }
    wording = {attribute: levels for attribute, levels in wording.items() if levels}
    shown = reworded(instrument, wording)
    for attribute in shown.attributes:
        for language in languages:
            seen: dict[str, str] = {}
            for level in attribute.levels:
                text = level.label(language).casefold()
                if text in seen:
                    raise ServiceError(
                        _(
                            "Two levels of {attribute} would read the same in {code} ({first} and "
                            "{second}): each level needs its own text.",
                            attribute=attribute.label(language),
                            code=language,
                            first=seen[text],
                            second=level.id,
                        )
                    )
                seen[text] = level.id
    before = link.wording or {}
    changed = sorted(
        f"{attribute}.{level}.{language}"
        for attribute, levels in {**before, **wording}.items()
        for level in set(before.get(attribute) or {}) | set(wording.get(attribute) or {})
        for language in languages
        if ((before.get(attribute) or {}).get(level) or {}).get(language)
        != ((wording.get(attribute) or {}).get(level) or {}).get(language)
    )
    if not changed:
        return 0
    link.wording = wording
    audit.record(
        actor, "wave.wording_changed", organization=wave.organization, wave=wave,
        subject=f'wave {wave.id} "{wave.name}"',
        details={"instrument": link.instrument_version.key, "changed": changed,
                 "replaced": sum(len(t) for levels in wording.values() for t in levels.values())},
    )  # fmt: skip
    return len(changed)
