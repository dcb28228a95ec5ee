"""Taking a survey: the page plan, saving answers, resuming and submitting exactly once.

Everything here receives plain values (the invitation, the posted fields as a mapping)
and leaves the commit to the view, so a rejected request stores nothing.

In anonymous waves nothing written here dates a visit finer than the day, and responses
get random ids (:func:`random_response_id`); page timings keep durations only.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ARRAY, Float, Integer, String, bindparam, case, select, text, update

from instruments import Instrument, Item, Prompt, Scale
from survey.db import dialect_insert, upsert
from survey.extensions import db
from survey.i18n import _, ngettext
from survey.models import (
    MAX_COMMENT_LENGTH,
    Answer,
    Comment,
    InstrumentVersion,
    Invitation,
    Organization,
    PageTiming,
    Response,
    Team,
    Wave,
    WaveInstrument,
    WaveMember,
    utcnow,
)
from survey.models.types import UTCDateTime, now_for
from survey.services import ServiceError, form_design
from survey.services.attribute_wording import reworded
from survey.services.instruments import parse_stored

#: Posted value meaning "prefer not to say"; stored as NULL.
PREFER_NOT_TO_SAY = "pnts"
#: Longest time on one page that counts; longer means the respondent left the tab open.
MAX_PAGE_SECONDS = 3600.0


class LinkError(ServiceError):
    """An invitation link that cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class InvalidSubmissionError(ServiceError):
    """Posted data that no honest form can produce (a tampered request): answered with 400."""


class AlreadySubmittedError(ServiceError):
    """The response is submitted; its answers can no longer change."""


@dataclass(frozen=True)
class SurveyPage:
    number: int  #: 0-based position in the whole survey
    instrument: Instrument
    items: tuple[Item, ...]
    prompts: tuple[Prompt, ...] = ()
    #: The number shown before this page's first question: numbering runs through the survey.
    first_number: int = 1
    #: The scale of the page's first question when it differs from the previous page's
    #: (or the page is the first): the page announces it before its questions.
    new_scale: Scale | None = None

    def scale(self, item: Item) -> Scale:
        return self.instrument.scales[item.scale]

    def numbered(self):
        """``(number, item)`` for each question of the page, numbered through the survey."""
        return enumerate(self.items, self.first_number)


@dataclass(frozen=True)
class SurveyPlan:
    """The pages one respondent sees: every instrument of the wave, items filtered by audience."""

    pages: tuple[SurveyPage, ...]
    languages: tuple[str, ...]
    items: Mapping[str, tuple[Item, Scale]] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def minutes(self) -> int:
        """Expected minutes for a respondent of this plan: see :func:`expected_minutes`."""
        return expected_minutes(self)

    def _first_pages(self):
        seen = set()
        for page in self.pages:
            if page.instrument.key not in seen:
                seen.add(page.instrument.key)
                yield page

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        return tuple(page.instrument for page in self._first_pages())


#: Plans by (wave id, wave creation time, function, languages). A wave's instrument versions
#: never change once stored, nor its attribute wording once it opens (a draft's plan is not
#: kept), and the creation time tells a reused id apart.
_PLANS: dict[tuple, SurveyPlan] = {}
_MAX_PLANS = 512


def plan_for(wave: LinkWave | Wave, function: str, response: ResponseState | int | None = None) -> SurveyPlan:
    """The survey a member of a team with ``function`` answers in ``wave`` (cached per process).

    ``response`` (the respondent's response or its id) narrows the plan to the items that
    respondent is asked when the wave uses a planned-missing form
    (:mod:`survey.services.form_design`); before the response exists (``None``) such a
    plan stands for any respondent in what it counts (languages, items, minutes).
    """
    plan = full_plan(wave, function)
    design = form_design.design_of(wave)
    if not design.planned_missing:
        return plan
    response_id = 0 if response is None else getattr(response, "id", response)
    return _narrowed(wave, function, plan, design, response_id)


#: Narrowed plans by (wave id, creation time, function, languages, response id); see plan_for.
_NARROWED: dict[tuple, SurveyPlan] = {}
_MAX_NARROWED = 4096


def _narrowed(wave, function: str, plan: SurveyPlan, design, response_id: int) -> SurveyPlan:
    key = (wave.id, wave.created_at, function, tuple(wave.languages or ()), response_id)
    narrowed = _NARROWED.get(key) if wave.status != "draft" else None
    if narrowed is None:
        narrowed = narrow(plan, form_design.chosen_items(plan.pages, design, response_id))
        if wave.status != "draft":
            if len(_NARROWED) >= _MAX_NARROWED:
                _NARROWED.clear()
            _NARROWED[key] = narrowed
    return narrowed


def narrow(plan: SurveyPlan, keep: frozenset[str]) -> SurveyPlan:
    """``plan`` with only the items in ``keep``: each instrument's pages joined up to its
    longest page (:func:`~survey.services.form_design.merged_pages`), renumbered."""
    pages: list[SurveyPage] = []
    for instrument in plan.instruments:
        own = [page.items for page in plan.pages if page.instrument.key == instrument.key]
        shown = [tuple(item for item in items if item.id in keep) for items in own]
        _append_pages(pages, instrument, form_design.merged_pages(shown, max(map(len, own))))
    items = {item_id: entry for item_id, entry in plan.items.items() if item_id in keep}
    return SurveyPlan(tuple(pages), plan.languages, items)


def full_plan(wave: LinkWave | Wave, function: str) -> SurveyPlan:
    """Every item a member of a team with ``function`` can be asked in ``wave`` (cached)."""
    key = (wave.id, wave.created_at, function, tuple(wave.languages or ()))
    plan = _PLANS.get(key) if wave.status != "draft" else None
    if plan is None:
        versions = tuple(
            db.session.execute(
                select(InstrumentVersion.definition, InstrumentVersion.content_hash,
                       InstrumentVersion.instrument_id, InstrumentVersion.version, WaveInstrument.wording)
                .join(WaveInstrument, WaveInstrument.instrument_version_id == InstrumentVersion.id)
                .where(WaveInstrument.wave_id == wave.id)
                .order_by(WaveInstrument.position)
            ).all()
        )  # fmt: skip
        plan = _plan(
            tuple((text, digest, f"{iid}@{v}", json.dumps(wording or {}, sort_keys=True))
                  for text, digest, iid, v, wording in versions),
            function, key[3],
        )  # fmt: skip
        if wave.status == "draft":
            return plan
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


@lru_cache(maxsize=256)
def _plan(versions, function: str, wave_languages: tuple[str, ...]) -> SurveyPlan:
    pages: list[SurveyPage] = []
    items: dict[str, tuple[Item, Scale]] = {}
    languages: list[str] | None = None
    for definition, digest, key, wording in versions:
        instrument = reworded(parse_stored(definition, digest, key), json.loads(wording))
        languages = [lang for lang in (languages or instrument.languages) if lang in instrument.languages]
        shown_pages = []
        for page_ids in instrument.pages:
            shown = tuple(i for i in map(instrument.item, page_ids) if i.shown_to(function))
            if shown:
                shown_pages.append(shown)
        for shown in shown_pages:
            for item in shown:
                items[item.id] = (item, instrument.scales[item.scale])
        _append_pages(pages, instrument, shown_pages)
    offered = tuple(lang for lang in (languages or ()) if not wave_languages or lang in wave_languages)
    return SurveyPlan(tuple(pages), offered or tuple(languages or ("en",)), items)


def _append_pages(
    pages: list[SurveyPage], instrument: Instrument, shown_pages: list[tuple[Item, ...]]
) -> None:
    """Add one instrument's pages (non-empty item tuples) to ``pages``, with their prompts."""
    prompt_pages = _place_prompts(instrument, shown_pages)
    for index, shown in enumerate(shown_pages):
        first = pages[-1].first_number + len(pages[-1].items) if pages else 1
        scale = instrument.scales[shown[0].scale]
        before = pages[-1].scale(pages[-1].items[-1]) if pages else None
        new_scale = scale if before is None or _scale_differs(before, scale) else None
        pages.append(SurveyPage(len(pages), instrument, shown, prompt_pages.get(index, ()), first, new_scale))


def _scale_differs(one: Scale, other: Scale) -> bool:
    """Whether a respondent would notice the change: other points, labels or kind."""
    return (one.kind, one.min, one.max, one.points) != (other.kind, other.min, other.max, other.points)


def items_for(plan: SurveyPlan, response: ResponseState | None = None) -> tuple[Item, ...]:
    """The items this respondent is asked, in survey order.

    The one source of "how much is there to answer": the expected time, "answered N of M",
    where to resume and what a submission needs all count these. ``response`` is the
    respondent's (``None`` before they start); a wave's form design that asks each
    respondent a subset narrows the plan's pages, and so this, per respondent.
    """
    return tuple(item for page in plan.pages for item in page.items)


def expected_minutes(plan: SurveyPlan, response: ResponseState | None = None) -> int:
    """Minutes a respondent of ``plan`` is expected to need, rounded up (at least 1).

    Each instrument states the minutes its whole item set takes (``estimated_minutes``);
    a respondent is expected to need that share of it which the items they see are of the
    instrument's items (audience filtering, shorter forms):
    ``ceil(sum_i minutes_i * seen_i / items_i)``. The figure the invitation, the welcome
    page and the README quote.
    """
    seen: dict[str, int] = {}
    instruments = {page.instrument.key: page.instrument for page in plan.pages}
    owner = {item.id: page.instrument.key for page in plan.pages for item in page.items}
    for item in items_for(plan, response):
        seen[owner[item.id]] = seen.get(owner[item.id], 0) + 1
    total = sum(
        instruments[key].estimated_minutes * count / max(len(instruments[key].items), 1)
        for key, count in seen.items()
    )
    return max(1, math.ceil(total - 1e-9))


def _place_prompts(instrument: Instrument, pages: list[tuple[Item, ...]]) -> dict[int, tuple[Prompt, ...]]:
    """A prompt about a dimension goes on the page with that dimension's last item; others last."""
    placed: dict[int, list[Prompt]] = {}
    last = len(pages) - 1
    for prompt in instrument.prompts:
        where = last
        if prompt.dimension:
            holding = [
                n for n, page in enumerate(pages) if any(i.dimension == prompt.dimension for i in page)
            ]
            where = holding[-1] if holding else last
        placed.setdefault(where, []).append(prompt)
    return {n: tuple(prompts) for n, prompts in placed.items()}


# --- invitations and responses


@dataclass(frozen=True)
class LinkInvitation:
    id: int
    wave_id: int
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class LinkWave:
    """The parts of a wave that taking its survey needs."""

    id: int
    created_at: datetime
    languages: list[str] | None
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    mode: str
    anonymity_threshold: int


@dataclass
class ResponseState:
    """A response as a survey request sees it; the writes below keep it up to date."""

    id: int
    status: str
    locale: str
    #: See :attr:`survey.models.Response.furthest_page`.
    furthest_page: int | None
    #: The wave's mode: in anonymous waves every time written for the response is the day's.
    wave_mode: str


@dataclass
class Visit:
    """What one survey request knows about its link, read in a single query."""

    invitation: LinkInvitation
    wave: LinkWave
    team_id: int
    function: str
    response: ResponseState | None

    @property
    def done(self) -> bool:
        return self.invitation.used_at is not None or (
            self.response is not None and self.response.status == "submitted"
        )


def check_link(invitation: LinkInvitation, wave: LinkWave, now: datetime | None = None) -> None:
    """Raise :class:`LinkError` saying why an invitation cannot be used now, if it cannot."""
    now = now or utcnow()
    if invitation.revoked_at is not None:
        raise LinkError("revoked", 410)
    if wave.status == "closed" or (wave.closes_at is not None and wave.closes_at <= now):
        raise LinkError("closed", 410)
    if wave.status != "open" or (wave.opens_at is not None and wave.opens_at > now):
        raise LinkError("not_open", 403)


_INVITATION_COLUMNS = (Invitation.id, Invitation.wave_id, Invitation.used_at, Invitation.revoked_at)
_WAVE_COLUMNS = (Wave.id, Wave.created_at, Wave.languages, Wave.status, Wave.opens_at, Wave.closes_at,
                 Wave.mode, Wave.anonymity_threshold)  # fmt: skip
_RESPONSE_COLUMNS = (Response.id, Response.status, Response.locale, Response.furthest_page)
#: Built once: the invitation, its wave, the team at invitation time and the response, as
#: plain columns (loading ORM objects cost more than the query on this, the busiest path).
_VISIT = (
    select(*_INVITATION_COLUMNS, *_WAVE_COLUMNS, Team.id, Team.function, *_RESPONSE_COLUMNS)
    .join(Wave, Wave.id == Invitation.wave_id)
    .join(WaveMember, (WaveMember.wave_id == Invitation.wave_id)
          & (WaveMember.participant_id == Invitation.participant_id))
    .join(Team, Team.id == WaveMember.team_id)
    .outerjoin(Response, Response.invitation_id == Invitation.id)
    .where(Invitation.token_hash == bindparam("token_hash"))
)  # fmt: skip


def open_link(token_hash: str) -> Visit | None:
    """The invitation with this token hash, its wave, team at invitation time and response.

    Nothing is locked here: requests that change a response serialise on its row in
    :func:`save_page`, which re-checks the status under that lock.
    """
    row = db.session.connection().execute(_VISIT, {"token_hash": token_hash}).first()
    if row is None:
        return None
    i, w = len(_INVITATION_COLUMNS), len(_INVITATION_COLUMNS) + len(_WAVE_COLUMNS)
    wave = LinkWave(*row[i:w])
    response = ResponseState(*row[w + 2 :], wave.mode) if row[w + 2] is not None else None
    return Visit(LinkInvitation(*row[:i]), wave, row[w], row[w + 1], response)


_ORGANIZATION_OF = (
    select(Organization.name)
    .join(Wave, Wave.organization_id == Organization.id)
    .where(Wave.id == bindparam("wave"))
)


def organization_of(wave: LinkWave) -> str:
    """The name of the organisation whose survey ``wave`` is (the welcome page names it)."""
    return db.session.connection().execute(_ORGANIZATION_OF, {"wave": wave.id}).scalar_one()


_TIME_ZONE_OF = (
    select(Organization.time_zone)
    .join(Wave, Wave.organization_id == Organization.id)
    .where(Wave.id == bindparam("wave"))
)


def time_zone_of(wave: LinkWave) -> str | None:
    """The IANA time zone of ``wave``'s organisation, in which the welcome page gives the deadline."""
    return db.session.connection().execute(_TIME_ZONE_OF, {"wave": wave.id}).scalar_one()


_RESPONSE_OF = select(*_RESPONSE_COLUMNS).where(Response.invitation_id == bindparam("invitation"))


def _response_of(invitation_id: int, wave_mode: str) -> ResponseState | None:
    row = db.session.connection().execute(_RESPONSE_OF, {"invitation": invitation_id}).first()
    return None if row is None else ResponseState(*row, wave_mode)


#: Responses of anonymous waves get a random id from this range (both ends included), so that
#: an id says nothing about when, or in which order, people answered. The range lies above
#: the ids the sequence gives other responses (it counts up from 1) and within PostgreSQL's
#: 32-bit ``integer``: about a billion ids, so a new one is taken with chance responses / 2**30.
RANDOM_ID_RANGE = (2**30, 2**31 - 1)
#: Draws before giving up on finding a free random id.
RANDOM_ID_ATTEMPTS = 8


def random_response_id() -> int:
    """A response id drawn uniformly from :data:`RANDOM_ID_RANGE` (by the system's CSPRNG)."""
    low, high = RANDOM_ID_RANGE
    return low + secrets.randbelow(high - low + 1)


@lru_cache(maxsize=4)
def _create_statement(dialect: str, anonymous: bool):
    table = Response.__table__
    statement = dialect_insert(dialect)(table)
    # An anonymous wave's random id may be taken: DO NOTHING on any conflict, and the caller
    # tells the two apart. Other waves' ids come from the sequence; only the link can conflict.
    statement = (
        statement.on_conflict_do_nothing()
        if anonymous
        else statement.on_conflict_do_nothing(index_elements=["invitation_id"])
    )
    return statement.returning(table.c.id)


def start_response(visit: Visit, locale: str, plan: SurveyPlan) -> ResponseState:
    """Return the link's response, creating it (once, even under concurrent requests)."""
    if visit.invitation.used_at is not None:
        raise AlreadySubmittedError(_("This survey has been submitted."))
    if locale not in plan.languages:
        raise InvalidSubmissionError(
            _(
                "Language '{code}' is not offered; choose one of {choices}.",
                code=locale,
                choices=", ".join(plan.languages),
            )
        )
    existing = visit.response
    mode = visit.wave.mode
    if existing is not None:
        if existing.status == "in_progress" and existing.locale != locale:
            db.session.execute(
                update(Response)
                .where(Response.id == existing.id, Response.status == "in_progress")
                .values(locale=locale, updated_at=now_for(mode))
            )
            existing.locale = locale
        return existing
    connection = db.session.connection()
    anonymous = mode == "anonymous"
    statement = _create_statement(connection.dialect.name, anonymous)
    now = now_for(mode)
    row = {"wave_id": visit.invitation.wave_id, "invitation_id": visit.invitation.id,
           "team_id": visit.team_id, "locale": locale, "furthest_page": -1, "started_at": now,
           "updated_at": now}  # fmt: skip
    for _attempt in range(RANDOM_ID_ATTEMPTS if anonymous else 1):
        if anonymous:
            row["id"] = random_response_id()
        created = connection.execute(statement, row).first()
        if created is not None:
            return ResponseState(created.id, "in_progress", locale, -1, mode)
        # Nothing was inserted: another request created the link's response a moment ago
        # (the unique invitation_id says so) or, in an anonymous wave, the id was taken.
        existing = _response_of(visit.invitation.id, mode)
        if existing is not None or not anonymous:
            return existing
    raise ServiceError(_("No free response id was found; please try again."))


@dataclass(frozen=True)
class PageInput:
    answers: dict[str, int | None]
    comments: dict[str, str]


def parse_page(page: SurveyPage, form: Mapping[str, list[str]], allowed: set[str]) -> PageInput:
    """Check posted fields against the page's items and scales; raise :class:`InvalidSubmissionError`.

    ``form`` maps field names to all their values. Fields are ``item-<id>`` (a scale value
    or ``pnts``) and ``comment-<prompt id>``; other names must be in ``allowed``.
    """
    items = {item.id: item for item in page.items}
    prompts = {prompt.id for prompt in page.prompts}
    answers: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    for name, values in form.items():
        if name in allowed:
            continue
        if len(values) != 1:
            raise InvalidSubmissionError(
                _("Field '{name}' was sent {count} times.", name=name, count=len(values))
            )
        value = values[0]
        kind, _dash, key = name.partition("-")
        if kind == "item" and key in items:
            answers[key] = _parse_value(items[key], page.scale(items[key]), value)
        elif kind == "comment" and key in prompts:
            text = value.replace("\r\n", "\n").strip()
            if len(text) > MAX_COMMENT_LENGTH:
                raise InvalidSubmissionError(
                    _(
                        "The comment '{key}' has {length} characters; at most {limit} are kept.",
                        key=key,
                        length=len(text),
                        limit=MAX_COMMENT_LENGTH,
                    )
                )
            if "\x00" in text:
                raise InvalidSubmissionError(_("The comment '{key}' contains a NUL character.", key=key))
            comments[key] = text
        elif kind == "item":
            raise InvalidSubmissionError(_("Unknown item '{key}' on this page.", key=key))
        else:
            raise InvalidSubmissionError(_("Unexpected field '{name}'.", name=name))
    return PageInput(answers, comments)


def _parse_value(item: Item, scale: Scale, raw: str) -> int | None:
    if raw == PREFER_NOT_TO_SAY:
        if not scale.prefer_not_to_say:
            raise InvalidSubmissionError(_("Item '{item}' has no 'prefer not to say' option.", item=item.id))
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidSubmissionError(
            _("Item '{item}': '{value}' is not a whole number.", item=item.id, value=raw[:20])
        ) from None
    if not scale.accepts(value):
        raise InvalidSubmissionError(
            _(
                "Item '{item}': {value} is not on its scale ({low} to {high}).",
                item=item.id,
                value=value,
                low=scale.min,
                high=scale.max,
            )
        )
    return value


def save_page(response: ResponseState, page: SurveyPage, data: PageInput, seconds: float | None,
              next_page: int) -> None:  # fmt: skip
    """Store a page's answers and comments (in bulk), its timing, and where to resume.

    The response's row is updated first, only while it is in progress: that holds its lock
    until the commit, so a save racing a submission either finishes before it or finds the
    response submitted and raises :class:`AlreadySubmittedError`, storing nothing.
    """
    if response.status != "in_progress":
        raise AlreadySubmittedError(_("This survey has been submitted; answers can no longer change."))
    now = now_for(response.wave_mode)
    if seconds is not None:
        seconds = min(max(seconds, 0.0), MAX_PAGE_SECONDS) if math.isfinite(seconds) else None
    connection = db.session.connection()
    progress = {"response": response.id, "page": next_page, "saved": page.number, "now": now}
    if connection.dialect.name == "postgresql":
        answers = {"items": list(data.answers), "values": list(data.answers.values())}
        furthest = connection.execute(
            _SAVE_PAGE_POSTGRESQL, {**progress, **answers, "seconds": seconds}
        ).first()
    else:
        furthest = connection.execute(_SAVE_PROGRESS, progress).first()
        if furthest is not None:
            _store_answers(response, data, now)
            if seconds is not None:
                add_page_time(response.id, page.number, seconds)
    if furthest is None:
        raise AlreadySubmittedError(_("This survey has been submitted; answers can no longer change."))
    response.furthest_page = furthest.furthest_page
    _store_comments(response, data, now)


def _store_answers(response: ResponseState, data: PageInput, now: datetime) -> None:
    upsert(
        Answer,
        [
            {"response_id": response.id, "item_id": k, "value": v, "answered_at": now}
            for k, v in data.answers.items()
        ],
        key=["response_id", "item_id"],
        update=["value", "answered_at"],
    )


def _store_comments(response: ResponseState, data: PageInput, now: datetime) -> None:
    kept = {k: v for k, v in data.comments.items() if v}
    upsert(
        Comment,
        [
            {"response_id": response.id, "subject_id": k, "text": v, "created_at": now}
            for k, v in kept.items()
        ],
        key=["response_id", "subject_id"],
        update=["text"],
    )
    cleared = [k for k, v in data.comments.items() if not v]
    if cleared:
        db.session.execute(
            Comment.__table__.delete().where(
                Comment.response_id == response.id, Comment.subject_id.in_(cleared)
            )
        )


_RESPONSES = Response.__table__
_SAVE_PROGRESS = (
    update(_RESPONSES)
    .where(_RESPONSES.c.id == bindparam("response"), _RESPONSES.c.status == "in_progress")
    .values(
        current_page=bindparam("page"),
        updated_at=bindparam("now"),
        # NULL (unknown, responses from before the column) stays NULL.
        furthest_page=case(
            (_RESPONSES.c.furthest_page < bindparam("saved"), bindparam("saved")),
            else_=_RESPONSES.c.furthest_page,
        ),
    )
    .returning(_RESPONSES.c.furthest_page)
)


#: On PostgreSQL a page is saved in one statement: :data:`_SAVE_PROGRESS`, then the answers
#: and the page time as data-modifying CTEs that write only if the progress UPDATE found the
#: response in progress (and so holds its row lock). One round trip instead of three, and
#: about a third less app CPU for these writes (docs/PERFORMANCE.md). SQLite runs the three
#: statements, which cost no round trips there. Keep the two in step: the tests run both.
_SAVE_PAGE_POSTGRESQL = text(
    """
    WITH progress AS (
        UPDATE response
        SET current_page = :page, updated_at = :now,
            furthest_page = CASE WHEN furthest_page < :saved THEN :saved ELSE furthest_page END
        WHERE id = :response AND status = 'in_progress'
        RETURNING furthest_page
    ), answers AS (
        INSERT INTO answer (response_id, item_id, value, answered_at)
        SELECT :response, posted.item_id, posted.value, :now
        FROM unnest(CAST(:items AS varchar[]), CAST(:values AS integer[])) AS posted (item_id, value)
        WHERE EXISTS (SELECT FROM progress)
        ON CONFLICT (response_id, item_id)
        DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at
    ), timing AS (
        INSERT INTO page_timing (response_id, page, seconds, visits)
        SELECT :response, :saved, CAST(:seconds AS double precision), 1
        WHERE CAST(:seconds AS double precision) IS NOT NULL AND EXISTS (SELECT FROM progress)
        ON CONFLICT (response_id, page)
        DO UPDATE SET seconds = page_timing.seconds + excluded.seconds, visits = page_timing.visits + 1
    )
    SELECT furthest_page FROM progress
    """
).bindparams(
    bindparam("response", type_=Integer), bindparam("page", type_=Integer), bindparam("saved", type_=Integer),
    bindparam("now", type_=UTCDateTime()), bindparam("seconds", type_=Float),
    bindparam("items", type_=ARRAY(String)), bindparam("values", type_=ARRAY(Integer)),
).columns(furthest_page=Integer)  # fmt: skip


@lru_cache(maxsize=4)
def _page_time_statement(dialect: str):
    table = PageTiming.__table__
    statement = dialect_insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=["response_id", "page"],
        set_={"seconds": table.c.seconds + statement.excluded.seconds, "visits": table.c.visits + 1},
    )


def add_page_time(response_id: int, page: int, seconds: float) -> None:
    """Add one visit of ``seconds`` to a page's timing, in one statement (SQLite's save)."""
    statement = _page_time_statement(db.session.get_bind().dialect.name)
    db.session.connection().execute(
        statement, {"response_id": response_id, "page": page, "seconds": seconds, "visits": 1}
    )


_PAGE_ANSWERS = select(Answer.item_id, Answer.value).where(
    Answer.response_id == bindparam("response"), Answer.item_id.in_(bindparam("ids", expanding=True))
)
_PAGE_COMMENTS = select(Comment.subject_id, Comment.text).where(
    Comment.response_id == bindparam("response"), Comment.subject_id.in_(bindparam("ids", expanding=True))
)


def answers_on(response: ResponseState, page: SurveyPage) -> dict[str, int | None]:
    """The stored answers to the items of one page."""
    ids = [item.id for item in page.items]
    return dict(db.session.connection().execute(_PAGE_ANSWERS, {"response": response.id, "ids": ids}).all())


def comments_on(response: ResponseState, page: SurveyPage) -> dict[str, str]:
    if not page.prompts:
        return {}
    ids = [prompt.id for prompt in page.prompts]
    return dict(db.session.connection().execute(_PAGE_COMMENTS, {"response": response.id, "ids": ids}).all())


def stored_on(response: ResponseState, page: SurveyPage) -> tuple[dict[str, int | None], dict[str, str]]:
    """The stored answers and comments of one page.

    A page past the furthest one saved holds nothing, so it is not read: moving forward
    through a survey costs no query for the page shown next.
    """
    if response.furthest_page is not None and page.number > response.furthest_page:
        return {}, {}
    return answers_on(response, page), comments_on(response, page)


_ANSWERED = select(Answer.item_id).where(Answer.response_id == bindparam("response"))


def answered_ids(response: ResponseState) -> set[str]:
    return set(db.session.connection().execute(_ANSWERED, {"response": response.id}).scalars())


def missing_required(items, answered) -> list[str]:
    """The required-answer rule, in one place: ids of required ``items`` (in their order) that
    ``answered`` does not hold. "Prefer not to say" is an answer (stored as ``None``)."""
    return [item.id for item in items if item.required and item.id not in answered]


def resume_page(plan: SurveyPlan, answered: set[str], response: ResponseState | None = None) -> int:
    """The first page with an unanswered item, or the last page when everything is answered."""
    asked = {item.id for item in items_for(plan, response)}
    for page in plan.pages:
        if any(item.id in asked and item.id not in answered for item in page.items):
            return page.number
    return plan.page_count - 1


@dataclass(frozen=True)
class Resumption:
    """Where a respondent who comes back stands: ``answered`` of ``total`` items, going on at
    page ``page`` (1-based)."""

    answered: int
    total: int
    page: int


def resumption(plan: SurveyPlan, response: ResponseState) -> Resumption:
    """How far ``response`` got, counted over the items this respondent is asked."""
    answered = answered_ids(response)
    asked = items_for(plan, response)
    done = sum(1 for item in asked if item.id in answered)
    return Resumption(done, len(asked), resume_page(plan, answered, response) + 1)


class IncompleteSubmissionError(ServiceError):
    def __init__(self, missing: list[str], first_page: int):
        super().__init__(
            ngettext(
                "{count} required answer is missing.", "{count} required answers are missing.", len(missing)
            )
        )
        self.missing = missing
        self.first_page = first_page


def submit(visit: Visit, plan: SurveyPlan) -> bool:
    """Submit the visit's response exactly once; return ``True`` if this call submitted it.

    A second call (double click, retry, another tab) finds it submitted and returns
    ``False`` without changing anything: the conditional UPDATE is the arbiter, so two
    concurrent calls cannot both succeed. In anonymous waves the response is unlinked from
    its invitation, so it cannot be matched to a person: its id is random and every time
    stored for it (as for its invitation) is midnight UTC of the day (:func:`now_for`).
    """
    response = visit.response
    missing = missing_required(items_for(plan, response), answered_ids(response))
    if missing:
        first = next(p.number for p in plan.pages if any(i.id in missing for i in p.items))
        raise IncompleteSubmissionError(missing, first)
    statement = _SUBMIT_ANONYMOUSLY if visit.wave.mode == "anonymous" else _SUBMIT
    now = now_for(visit.wave.mode)
    connection = db.session.connection()
    result = connection.execute(statement, {"response": response.id, "now": now})
    response.status = "submitted"
    if result.rowcount != 1:
        return False
    connection.execute(_MARK_USED, {"invitation": visit.invitation.id, "now": now})
    return True


_IN_PROGRESS = update(_RESPONSES).where(
    _RESPONSES.c.id == bindparam("response"), _RESPONSES.c.status == "in_progress"
)
_SUBMIT = _IN_PROGRESS.values(status="submitted", submitted_at=bindparam("now"), updated_at=bindparam("now"))
#: Anonymous waves: no link to the invitation, and ``now`` is the day (see :func:`now_for`).
#: The start becomes the day of submission, which also covers responses begun before times
#: were cut to the day.
_SUBMIT_ANONYMOUSLY = _IN_PROGRESS.values(
    status="submitted", invitation_id=None, submitted_at=bindparam("now"), updated_at=bindparam("now"),
    started_at=bindparam("now"),
)  # fmt: skip
_INVITATIONS = Invitation.__table__
_MARK_USED = (
    update(_INVITATIONS).where(_INVITATIONS.c.id == bindparam("invitation")).values(used_at=bindparam("now"))
)


def progress(plan: SurveyPlan, page_number: int) -> int:
    """Percent of pages completed before ``page_number``."""
    return round(100 * page_number / max(plan.page_count, 1))


#: What a page's main buttons post as ``action``.
PAGE_ACTIONS = ("back", "next", "submit")


@dataclass(frozen=True)
class NextStep:
    """What to show after a page save: page ``page`` (1-based) flagging the required items
    ``missing`` (answered with 422), or, when ``submitted``, the thank-you page."""

    page: int | None
    missing: tuple[str, ...] = ()
    submitted: bool = False


def save_and_continue(visit: Visit, plan: SurveyPlan, number: int, form: Mapping[str, list[str]],
                      allowed: set[str], now: float) -> NextStep:  # fmt: skip
    """Save page ``number`` (1-based) from its posted ``form`` and say what to show next.

    ``form`` maps field names to all their values, including ``action`` (one of
    :data:`PAGE_ACTIONS`) and the page's hidden ``shown_at`` timestamp, compared with
    ``now`` (seconds since the epoch) for the page's timing. Going back saves without
    checking; going on stays on the page while a required answer is missing (neither posted
    nor stored), and the last page's ``submit`` submits (:func:`submit`). Raises
    :class:`InvalidSubmissionError` for a tampered form and :class:`AlreadySubmittedError`
    when the response was submitted meanwhile (except for a repeated ``submit``, which lands
    on the thank-you page). Nothing is committed here.
    """
    response = visit.response
    page = plan.pages[number - 1]
    action = _single(form, "action") if "action" in form else "next"
    if action not in PAGE_ACTIONS:
        raise InvalidSubmissionError(_("Unknown action '{action}'.", action=action[:20]))
    data = parse_page(page, form, allowed)
    _check_asked(data, plan, response)
    seconds = seconds_on_page(_single(form, "shown_at"), now)
    target = min(max(number - 2 if action == "back" else number, 0), plan.page_count - 1)
    try:
        save_page(response, page, data, seconds, target)
    except AlreadySubmittedError:  # submitted by another request a moment ago
        if action == "submit":
            return NextStep(None, submitted=True)
        raise
    if action == "back":
        return NextStep(max(number - 1, 1))
    # The page posts every answer it shows, so stored answers are read only when some are missing.
    missing = missing_required(page.items, data.answers)
    if missing:
        missing = missing_required(page.items, data.answers.keys() | answers_on(response, page).keys())
    if missing:  # keep what was answered; show what is missing
        return NextStep(number, tuple(missing))
    if action == "next" and number < plan.page_count:
        return NextStep(number + 1)
    try:
        submit(visit, plan)
    except IncompleteSubmissionError as incomplete:
        return NextStep(incomplete.first_page + 1, tuple(incomplete.missing))
    return NextStep(None, submitted=True)


def save_answer(visit: Visit, plan: SurveyPlan, number: int, form: Mapping[str, list[str]],
                allowed: set[str]) -> None:  # fmt: skip
    """Store the one answer given on page ``number`` (1-based) as it is given.

    ``form`` holds exactly one ``item-<id>`` field of that page (besides ``allowed`` control
    fields). Saving the same answer again stores nothing new, and an answer to an item the
    page does not ask, a value off its scale or more than one answer raise
    :class:`InvalidSubmissionError`; a submitted response raises :class:`AlreadySubmittedError`.
    It writes as a page save of that one answer does (see :func:`save_page`): the response's
    row first, under its lock and only while in progress, then the answer; the page's timing
    is left to the page save.
    """
    page = plan.pages[number - 1]
    data = parse_page(page, form, allowed)
    if len(data.answers) != 1 or data.comments:
        raise InvalidSubmissionError(_("An answer save carries exactly one answer."))
    _check_asked(data, plan, visit.response)
    save_page(visit.response, page, data, None, page.number)


def _check_asked(data: PageInput, plan: SurveyPlan, response: ResponseState) -> None:
    if not data.answers:
        return
    asked = {item.id for item in items_for(plan, response)}
    unasked = [item_id for item_id in data.answers if item_id not in asked]
    if unasked:
        raise InvalidSubmissionError(_("Item '{item}' is not asked of you.", item=unasked[0]))


def _single(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    if len(values) != 1:
        raise InvalidSubmissionError(
            _("Field '{name}' was sent {count} times.", name=name, count=len(values))
        )
    return values[0]


def seconds_on_page(sent: str, now: float) -> float | None:
    """Seconds since the page was rendered, from its hidden timestamp (for quality checks only).

    ``None`` when the form has no timestamp; :class:`InvalidSubmissionError` when it has one
    that is not a finite number, which no page of ours sends.
    """
    if not sent:
        return None
    try:
        shown = float(sent)
    except ValueError:
        shown = math.nan
    if not math.isfinite(shown):
        raise InvalidSubmissionError(_("The page's hidden timestamp is not a time; reload the page."))
    return now - shown
