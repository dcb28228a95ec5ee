"""The instrument model: frozen dataclasses that a loaded instrument file becomes.

An :class:`Instrument` is immutable data. The web layer renders it, ``analysis`` scores
with it, and nothing here knows about Flask, databases or numbers beyond plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: What a perception item is about.
TARGETS = ("system", "sales", "marketing")
#: Whose view a perception item asks for: the respondent's own, or what the respondent
#: expects the *other* team to answer (meta-perception).
PERSPECTIVES = ("own", "meta")


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ScalePoint:
    """One labelled answer option of a response scale."""

    value: int
    #: Label per language code, e.g. ``{"en": "Agree", "de": "Stimme zu"}``.
    labels: Mapping[str, str]

    def label(self, language: str) -> str:
        return self.labels.get(language) or next(iter(self.labels.values()), str(self.value))


@dataclass(frozen=True)
class Scale:
    """A numeric response scale with a label for every point."""

    id: str
    min: int
    max: int
    points: tuple[ScalePoint, ...]
    #: ``"ordinal"`` scales are numeric (scored, averaged, reversible); ``"categorical"``
    #: scales only code answers (e.g. a role level) and are never scored.
    kind: str = "ordinal"
    #: Offer a "prefer not to say" option; choosing it stores a missing value.
    prefer_not_to_say: bool = False
    #: Label of the "prefer not to say" option per language.
    prefer_not_to_say_labels: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    @property
    def numeric(self) -> bool:
        return self.kind == "ordinal"

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(point.value for point in self.points)

    def reverse(self, value: float) -> float:
        """Score a reverse-keyed answer as ``min + max - value``."""
        return self.min + self.max - value

    def accepts(self, value: int) -> bool:
        return value in self.values


@dataclass(frozen=True)
class AttributeLevel:
    """One level of a vignette attribute, e.g. "budget confirmed"."""

    id: str
    #: The words shown in the profile, per language code.
    text: Mapping[str, str]

    def label(self, language: str) -> str:
        return self.text.get(language) or next(iter(self.text.values()))


@dataclass(frozen=True)
class Attribute:
    """A property a vignette's profile shows at one of its levels (e.g. company fit, budget)."""

    id: str
    name: Mapping[str, str]
    levels: tuple[AttributeLevel, ...]

    def label(self, language: str) -> str:
        return self.name.get(language) or next(iter(self.name.values()), self.id)

    def level(self, level_id: str) -> AttributeLevel:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)


@dataclass(frozen=True)
class Item:
    """One statement or question."""

    id: str
    #: Text per language code.
    text: Mapping[str, str]
    dimension: str
    scale: str
    reverse: bool = False
    required: bool = True
    #: For perception items: what the statement is about (see :data:`TARGETS`), else ``None``.
    target: str | None = None
    #: ``"own"`` (the respondent's view) or ``"meta"`` (what the other team would answer).
    perspective: str = "own"
    #: For a meta item: the id of the own-perspective item whose answers it anticipates.
    mirrors: str | None = None
    #: Team functions shown the item (``("sales",)`` …); empty means everyone. Meta items
    #: about a team are asked of that team only.
    audience: tuple[str, ...] = ()
    #: For a vignette: the level id of each attribute its profile shows (attribute id ->
    #: level id), in the instrument's attribute order; empty for an ordinary item.
    profile: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    @property
    def is_vignette(self) -> bool:
        return bool(self.profile)

    def shown_to(self, function: str) -> bool:
        return not self.audience or function in self.audience

    def label(self, language: str) -> str:
        return self.text.get(language) or next(iter(self.text.values()))


@dataclass(frozen=True)
class Dimension:
    """A scale: items scored together as the mean of their valid answers."""

    id: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    item_ids: tuple[str, ...]
    #: Fewest valid answers for a score; fewer gives a missing score.
    min_valid: int

    def label(self, language: str) -> str:
        return self.name.get(language) or next(iter(self.name.values()), self.id)


@dataclass(frozen=True)
class Prompt:
    """An optional free-text question, shown after the items of its page."""

    id: str
    text: Mapping[str, str]
    #: The dimension it asks about, or ``None`` for a general comment.
    dimension: str | None = None

    def label(self, language: str) -> str:
        return self.text.get(language) or next(iter(self.text.values()))


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire, as loaded from one instrument file."""

    id: str
    version: str
    title: Mapping[str, str]
    introduction: Mapping[str, str]
    estimated_minutes: int
    citation: str
    licence: str
    languages: tuple[str, ...]
    scales: Mapping[str, Scale]
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    prompts: tuple[Prompt, ...] = ()
    #: Vignette attributes, in display order (empty when the instrument has no vignettes).
    attributes: tuple[Attribute, ...] = ()
    #: Item ids per page, in order; derived from the file's page breaks (or one page
    #: per dimension when the file has none).
    pages: tuple[tuple[str, ...], ...] = ()
    #: SHA-256 of the file's bytes, used to detect an edited version.
    content_hash: str = ""
    #: Where it was loaded from (for messages), if from a file.
    source: str | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def key(self) -> str:
        """``"id@version"``, the form used on the command line and in the database."""
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def dimension(self, dimension_id: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(dimension_id)

    def scale_of(self, item: Item | str) -> Scale:
        if isinstance(item, str):
            item = self.item(item)
        return self.scales[item.scale]

    def items_of(self, dimension_id: str) -> tuple[Item, ...]:
        return tuple(self.item(i) for i in self.dimension(dimension_id).item_ids)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def attribute(self, attribute_id: str) -> Attribute:
        for attribute in self.attributes:
            if attribute.id == attribute_id:
                return attribute
        raise KeyError(attribute_id)

    @property
    def vignettes(self) -> tuple[Item, ...]:
        """The items that show a profile, in order."""
        return tuple(item for item in self.items if item.is_vignette)

    def design(self) -> dict[str, dict[str, str]]:
        """The level each vignette shows: ``{item id: {attribute id: level id}}``."""
        return {item.id: dict(item.profile) for item in self.vignettes}

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title[self.default_language]
