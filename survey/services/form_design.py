"""Which items each respondent of a wave is asked: the full form or a planned-missing one.

Under ``planned_missing`` every respondent answers ``form_items`` of each dimension's items
(the own-perspective statements of a dimension form one pool, an instrument's
meta-perception statements another), drawn uniformly at random without replacement. The
draw is a pure function of the wave's ``form_secret`` and the response id (HMAC-SHA-256
seeds a generator per pool), so a respondent who comes back sees the same items and
nothing needs storing; without the secret the draw cannot be predicted from an id.
Vignettes (lead calibration) and items on categorical scales are always asked: the first
need every judgement for the policy weights, the second are not scored.

Because which items are missing is decided by a coin the answers cannot influence, the
missing answers are missing completely at random: team means and gaps stay unbiased, and
the analysis (:func:`analysis.organization_report` with ``form_items``) adapts reliability
and agreement (docs/ANALYSIS.md, "Shorter forms").

The choice is made on a draft wave and frozen once it opens (:func:`set_form`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from instruments import Instrument, Item
from survey.extensions import db
from survey.i18n import _
from survey.models import Team, User, Wave
from survey.models.wave import WAVE_FORMS
from survey.services import ServiceError, audit
from survey.services.instruments import instrument_of

FULL, PLANNED_MISSING = WAVE_FORMS
#: Items per dimension a planned-missing form may ask (at least two, so that every pair of a
#: dimension's items is answered together by some respondents and alpha can be estimated).
FORM_ITEM_CHOICES = (2, 3)
#: The short form's aim: both shipped instruments within this many minutes at the median.
SHORT_FORM_MINUTES = 10


@dataclass(frozen=True)
class FormDesign:
    """A wave's form: ``full``, or ``planned_missing`` with ``items`` per dimension."""

    form: str = FULL
    items: int | None = None
    secret: str | None = None

    @property
    def planned_missing(self) -> bool:
        return self.form == PLANNED_MISSING


_FULL_FORM = FormDesign()
#: Designs of waves that are no longer drafts (frozen then), by (wave id, creation time).
_DESIGNS: dict[tuple, FormDesign] = {}
_MAX_DESIGNS = 1024


def design_of(wave) -> FormDesign:
    """The form design of ``wave`` (a :class:`~survey.models.Wave` or the respondent's ``LinkWave``).

    A link's wave carries no form columns; its design is read once per process and kept,
    since it cannot change after the wave opens (a draft's is read each time).
    """
    if isinstance(wave, Wave):
        return _design(wave.form, wave.form_items, wave.form_secret)
    key = (wave.id, wave.created_at)
    design = _DESIGNS.get(key)
    if design is None:
        row = db.session.execute(
            select(Wave.form, Wave.form_items, Wave.form_secret, Wave.status).where(Wave.id == wave.id)
        ).first()
        if row is None:
            return _FULL_FORM
        design = _design(row.form, row.form_items, row.form_secret)
        if row.status != "draft":
            if len(_DESIGNS) >= _MAX_DESIGNS:
                _DESIGNS.clear()
            _DESIGNS[key] = design
    return design


def _design(form: str | None, items: int | None, secret: str | None) -> FormDesign:
    if form != PLANNED_MISSING or not items or not secret:
        return _FULL_FORM
    return FormDesign(PLANNED_MISSING, items, secret)


def _pooled(item: Item, instrument: Instrument) -> bool:
    return not item.is_vignette and instrument.scale_of(item).numeric


def pools(pages) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """The groups of item ids a planned-missing form draws from, in survey order.

    ``pages`` are a plan's pages (objects with ``instrument`` and ``items``). Keys are
    ``(instrument key, dimension id, "own")`` for a dimension's own-perspective items and
    ``(instrument key, "", "meta")`` for an instrument's meta-perception items.
    """
    found: dict[tuple[str, str, str], list[str]] = {}
    for page in pages:
        for item in page.items:
            if not _pooled(item, page.instrument):
                continue
            if item.perspective == "meta":
                key = (page.instrument.key, "", "meta")
            else:
                key = (page.instrument.key, item.dimension, "own")
            found.setdefault(key, []).append(item.id)
    return {key: tuple(ids) for key, ids in found.items()}


def _generator(secret: str, response_id: int, pool: tuple[str, str, str]) -> random.Random:
    message = f"{response_id}\x1f{pool[0]}\x1f{pool[1]}\x1f{pool[2]}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    # The seed is a keyed hash: without the wave's secret the draw cannot be foreseen, and
    # the generator only spreads it over the pool (nothing secret is derived from it).
    return random.Random(int.from_bytes(digest, "big"))  # noqa: S311


def chosen_items(pages, design: FormDesign, response_id: int) -> frozenset[str]:
    """Ids of the items respondent ``response_id`` is asked among ``pages``' items.

    The full form asks everything. A planned-missing form asks ``design.items`` of each
    pool (:func:`pools`; a pool that small is asked whole) drawn uniformly without
    replacement, plus every item outside the pools.
    """
    every = frozenset(item.id for page in pages for item in page.items)
    if not design.planned_missing:
        return every
    left_out: set[str] = set()
    for key, ids in pools(pages).items():
        if len(ids) <= design.items:
            continue
        kept = set(_generator(design.secret, response_id, key).sample(ids, design.items))
        left_out.update(i for i in ids if i not in kept)
    return every - left_out


def merged_pages(pages: Sequence[tuple[Item, ...]], size: int) -> list[tuple[Item, ...]]:
    """Consecutive non-empty pages joined while a page stays within ``size`` items.

    A shorter form leaves pages half empty; joining them keeps the number of page loads in
    proportion to the items asked, and never mixes instruments (called per instrument).
    """
    joined: list[tuple[Item, ...]] = []
    for page in pages:
        if not page:
            continue
        if joined and len(joined[-1]) + len(page) <= size:
            joined[-1] = joined[-1] + tuple(page)
        else:
            joined.append(tuple(page))
    return joined


# --- the time a form takes


def share_minutes(instrument: Instrument, asked: int) -> float:
    """Median minutes for ``asked`` items of ``instrument``: its ``estimated_minutes`` pro rata.

    The figure the respondent pages quote (:func:`survey.services.responding.expected_minutes`):
    an instrument's stated minutes divided by its items give its time per item.
    """
    return instrument.estimated_minutes * asked / max(len(instrument.items), 1)


@dataclass(frozen=True)
class FormEstimate:
    """Expected answering time of one form for one function."""

    function: str
    items: int
    #: Median minutes as respondents are told (instruments' stated minutes, pro rata), rounded up.
    minutes: int


def estimates(plans: dict[str, object], design: FormDesign) -> list[FormEstimate]:
    """Items and median minutes per function (``plans``: function -> its full plan, or anything
    with ``pages`` of ``instrument`` and ``items``).

    Every respondent of a function is asked the same number of items under either form, so
    one draw (response id 0, with a fixed key when the wave has none yet) stands for all.
    """
    if design.planned_missing and not design.secret:
        design = FormDesign(design.form, design.items, "estimate")
    result = []
    for function, plan in plans.items():
        asked = chosen_items(plan.pages, design, 0)
        per_instrument: dict[str, tuple[Instrument, int]] = {}
        for page in plan.pages:
            count = sum(item.id in asked for item in page.items)
            instrument, so_far = per_instrument.get(page.instrument.key, (page.instrument, 0))
            per_instrument[page.instrument.key] = (instrument, so_far + count)
        minutes = sum(share_minutes(instrument, count) for instrument, count in per_instrument.values())
        result.append(FormEstimate(function, len(asked), max(1, math.ceil(minutes - 1e-9))))
    return result


# --- choosing the form


def set_form(wave: Wave, form: str, items: int | None, actor: User | None) -> bool:
    """Choose ``wave``'s form while it is a draft; return whether anything changed.

    ``items`` is the number of items per dimension under ``planned_missing`` (one of
    :data:`FORM_ITEM_CHOICES`) and ignored for ``full``. A new secret is drawn whenever a
    planned-missing form is chosen anew. Raises :class:`ServiceError` (and changes nothing)
    for an open or closed wave or an unknown choice; writes an audit record on a change.
    """
    if form not in WAVE_FORMS:
        raise ServiceError(
            _("Unknown form '{form}'; choose one of {choices}.", form=form, choices=", ".join(WAVE_FORMS))
        )
    if form == PLANNED_MISSING:
        if items not in FORM_ITEM_CHOICES:
            choices = " or ".join(map(str, FORM_ITEM_CHOICES))
            raise ServiceError(
                _(
                    "A shorter form asks {choices} statements of each dimension; got '{items}'.",
                    choices=choices,
                    items=items,
                )
            )
    else:
        items = None
    if (wave.form, wave.form_items) == (form, items):
        return False
    if wave.status != "draft":
        raise ServiceError(
            _(
                "The form cannot change once the wave has opened: respondents have already been asked "
                "their statements. Clone the wave for a round with another form."
            )
        )
    wave.form, wave.form_items = form, items
    wave.form_secret = secrets.token_hex(16) if form == PLANNED_MISSING else None
    audit.record(
        actor,
        "wave.form_set",
        organization=wave.organization,
        subject=f'wave {wave.id} "{wave.name}"',
        details={"form": form, "items_per_dimension": items},
        wave=wave,
    )
    return True


@dataclass(frozen=True)
class FormOption:
    """One form a wave can use, with what it asks of each function."""

    form: str
    items: int | None
    estimates: tuple[FormEstimate, ...]
    #: Whether this is the wave's form now.
    current: bool

    @property
    def longest_minutes(self) -> int:
        return max((estimate.minutes for estimate in self.estimates), default=0)


def form_options(wave: Wave) -> list[FormOption]:
    """The full form and each shorter one, with items and median minutes per function.

    Functions are those of the organisation's teams (sales and marketing when it has none).
    """
    functions = sorted(
        set(db.session.scalars(select(Team.function).where(Team.organization_id == wave.organization_id)))
    ) or ["marketing", "sales"]
    stored = [instrument_of(link.instrument_version) for link in wave.instruments]
    plans = {function: _FullForm(stored, function) for function in functions}
    current = design_of(wave)
    choices = [FormDesign()] + [FormDesign(PLANNED_MISSING, items) for items in FORM_ITEM_CHOICES]
    return [
        FormOption(
            choice.form,
            choice.items,
            tuple(estimates(plans, choice)),
            (choice.form, choice.items) == (current.form, current.items),
        )
        for choice in choices
    ]


@dataclass(frozen=True)
class _Page:
    instrument: Instrument
    items: tuple[Item, ...]


class _FullForm:
    """What :func:`estimates` reads of a plan: one page per instrument, its items for ``function``."""

    def __init__(self, stored: Sequence[Instrument], function: str):
        self.pages = [_Page(i, tuple(item for item in i.items if item.shown_to(function))) for i in stored]


def analysed_items(wave: Wave) -> int | None:
    """``form_items`` for :func:`analysis.organization_report`: items per dimension asked, or None."""
    design = design_of(wave)
    return design.items if design.planned_missing else None


def release_items(release) -> int | None:
    """:func:`analysed_items` of a release's wave (a release being made may not have it loaded yet)."""
    wave = release.wave if release.wave is not None else db.session.get(Wave, release.wave_id)
    return analysed_items(wave)
