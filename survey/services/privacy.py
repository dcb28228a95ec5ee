"""Data-protection duties: erasing a participant, retention periods, and a person's data export.

What each keeps and removes, and why, is set out in docs/CONFIDENTIALITY.md ("Erasure and
retention"). In short:

- :func:`erase_participant` removes the roster entry, its wave memberships, invitations and
  e-mail log, and every response still linked to it (answers, comments, page timings), so
  no later release includes them. A published release stays when every group it showed
  still has at least the threshold without the person (its figures are then statistics of
  that many others and them, not personal data of one); otherwise it is withdrawn.
  Submitted answers in anonymous waves are linked to nobody and cannot be found.
- :func:`apply_retention` (a daily job) deletes the raw answers of waves closed longer ago
  than their organisation's ``retention_days``; published releases keep their computed
  results.
- :func:`export_person` gathers everything stored about one roster entry, as JSON-ready data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from survey.extensions import db
from survey.i18n import _, current_language, in_every_language, short_date
from survey.models import (
    Answer,
    AuditEvent,
    Comment,
    EmailSend,
    Invitation,
    Membership,
    Organization,
    PageTiming,
    Participant,
    Release,
    ReportCache,
    Response,
    User,
    Wave,
    WaveMember,
    utcnow,
)
from survey.services import ServiceError, audit

#: Longest retention period one may set (ten years), and the shortest (a month to read results).
MAX_RETENTION_DAYS = 3650
MIN_RETENTION_DAYS = 30


def _delete_responses(ids: list[int]) -> int:
    """Delete responses and everything hanging off them; returns how many responses went."""
    if not ids:
        return 0
    for model in (Answer, Comment, PageTiming):
        db.session.execute(
            delete(model).where(model.response_id.in_(ids)).execution_options(synchronize_session=False)
        )
    return (
        db.session.execute(
            delete(Response).where(Response.id.in_(ids)).execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


# --- erasure


@dataclass(frozen=True)
class Erasure:
    """What erasing one participant removed."""

    invitations: int
    emails: int
    responses: int
    #: Numbers of the releases kept (every group stays at or above the threshold without them).
    kept_releases: tuple[tuple[int, int], ...]
    #: (wave id, release number) of the releases withdrawn because a group fell below the threshold.
    withdrawn_releases: tuple[tuple[int, int], ...]


def _stays_above(release: Release, erased: set[int]) -> bool:
    """Whether every group ``release`` published keeps its threshold without the ``erased`` responses."""
    limits = {"figures": release.threshold, "comments": release.comment_threshold}
    for kind, groups in (release.groups or {}).items():
        threshold = limits.get(kind, release.threshold)
        for members in groups.values():
            members = set(members)
            if members & erased and len(members - erased) < threshold:
                return False
    return True


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a participant would remove and do to published releases (nothing changed yet)."""

    invitation_ids: tuple[int, ...]
    response_ids: tuple[int, ...]
    #: Waves the person was invited to that are anonymous: their submitted answers cannot be found.
    anonymous_waves: int
    keep: tuple[Release, ...]
    withdraw: tuple[Release, ...]


def erasure_preview(participant: Participant) -> ErasurePlan:
    """What :func:`erase_participant` would do, for the confirmation page."""
    invitations = db.session.execute(
        select(Invitation.id, Wave.mode)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.participant_id == participant.id)
    ).all()
    invitation_ids = tuple(row.id for row in invitations)
    response_ids = tuple(
        db.session.scalars(select(Response.id).where(Response.invitation_id.in_(invitation_ids)))
    )
    erased = set(response_ids)
    keep, withdraw = [], []
    if erased:
        releases = db.session.scalars(
            select(Release)
            .join(Wave, Wave.id == Release.wave_id)
            .where(Wave.organization_id == participant.organization_id, Release.status == "published")
            .order_by(Release.wave_id, Release.number)
        ).all()
        for release in releases:
            if erased & set(release.snapshot.get("responses", [])):
                (keep if _stays_above(release, erased) else withdraw).append(release)
    anonymous = sum(1 for row in invitations if row.mode == "anonymous")
    return ErasurePlan(invitation_ids, response_ids, anonymous, tuple(keep), tuple(withdraw))


def erase_participant(
    actor: User | None, participant: Participant, *, now: datetime | None = None
) -> Erasure:
    """Erase ``participant`` (see the module's description); audited without their name or address."""
    now = now or utcnow()
    organization = participant.organization
    plan = erasure_preview(participant)
    invitation_ids, response_ids = list(plan.invitation_ids), list(plan.response_ids)
    kept = [(release.wave_id, release.number) for release in plan.keep]
    withdrawn = []
    for release in plan.withdraw:
        withdrawn.append((release.wave_id, release.number))
        release.reason = in_every_language(
            lambda number=release.number: _(
                "Release {number} was withdrawn on {date}: a participant's data was erased, "
                "and without them a group it showed would be smaller than the threshold.",
                number=number,
                date=short_date(now, current_language()),
            )
        )
        release.status, release.number, release.payload, release.groups = "withheld", None, None, {}
        db.session.execute(delete(ReportCache).where(ReportCache.wave_id == release.wave_id))
    db.session.flush()
    responses = _delete_responses(response_ids)
    emails = (
        db.session.execute(
            delete(EmailSend)
            .where(EmailSend.invitation_id.in_(invitation_ids))
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    db.session.execute(
        delete(Invitation)
        .where(Invitation.id.in_(invitation_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(WaveMember)
        .where(WaveMember.participant_id == participant.id)
        .execution_options(synchronize_session=False)
    )
    subject = f"participant {participant.id}"
    db.session.delete(participant)
    db.session.flush()
    result = Erasure(len(invitation_ids), emails, responses, tuple(kept), tuple(withdrawn))
    audit.record(
        actor,
        "participant.erased",
        organization=organization,
        subject=subject,
        details={
            "invitations": result.invitations,
            "emails": emails,
            "responses": responses,
            "kept_releases": [list(r) for r in kept],
            "withdrawn_releases": [list(r) for r in withdrawn],
        },
    )
    return result


# --- retention


def set_retention(actor: User | None, organization: Organization, days: int | None) -> int | None:
    """Set how many days after a wave closes its raw answers are kept (``None``: without end)."""
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ServiceError(
            _(
                "A retention period is {min_retention_days} to {max_retention_days} days (or none, to keep "
                "raw answers until they are deleted by hand).",
                min_retention_days=MIN_RETENTION_DAYS,
                max_retention_days=MAX_RETENTION_DAYS,
            )
        )
    before = organization.retention_days
    organization.retention_days = days
    audit.record(
        actor,
        "retention.changed",
        organization=organization,
        subject="retention period",
        details={"from": before, "to": days},
    )
    return days


@dataclass
class RetentionRun:
    """What one run of :func:`apply_retention` deleted: responses per wave id."""

    deleted: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def retention_due(organization: Organization, now: datetime | None = None) -> list[Wave]:
    """The organisation's closed waves whose raw answers are past its retention period."""
    if organization.retention_days is None:
        return []
    cutoff = (now or utcnow()) - timedelta(days=organization.retention_days)
    return list(
        db.session.scalars(
            select(Wave)
            .where(
                Wave.organization_id == organization.id,
                Wave.status == "closed",
                Wave.closes_at.is_not(None),
                Wave.closes_at <= cutoff,
            )
            .order_by(Wave.id)
        )
    )


def apply_retention(now: datetime | None = None) -> RetentionRun:
    """Delete the raw answers of every wave past its organisation's retention period (audited).

    Published releases keep their computed results; a wave whose answers are gone reads its
    stored report (:func:`survey.services.releases.release_report`). Running it again finds
    nothing more to delete.
    """
    run = RetentionRun()
    organizations = db.session.scalars(select(Organization).where(Organization.retention_days.is_not(None)))
    for organization in organizations:
        for wave in retention_due(organization, now):
            ids = list(db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)))
            if not ids:
                continue
            run.deleted[wave.id] = _delete_responses(ids)
            # Files built from the raw answers (e.g. the anonymised responses) go with them.
            db.session.execute(delete(ReportCache).where(ReportCache.wave_id == wave.id))
            audit.record(
                None,
                "retention.applied",
                organization=organization,
                wave=wave,
                subject=f'wave {wave.id} "{wave.name}"',
                details={"responses": run.deleted[wave.id], "days": organization.retention_days},
            )
    db.session.flush()
    return run


# --- export


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(actor: User | None, participant: Participant, *, now: datetime | None = None) -> dict:
    """Everything stored about ``participant`` (and their workspace account, if one has their address).

    Invitation tokens are never stored, so none is exported; answers given in anonymous
    waves are linked to nobody and are not part of it (the export says so). Audited.
    """
    organization = participant.organization
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.participant_id == participant.id).order_by(Invitation.id)
    ).all()
    memberships = db.session.execute(
        select(WaveMember, Wave)
        .join(Wave, Wave.id == WaveMember.wave_id)
        .where(WaveMember.participant_id == participant.id)
        .order_by(Wave.id)
    ).all()
    waves_data = [
        {
            "wave_id": wave.id,
            "wave": wave.name,
            "team": member.team.name,
            "attributes": dict(member.attributes or {}),
        }
        for member, wave in memberships
    ]
    invitation_rows, email_rows, response_rows = [], [], []
    for invitation in invitations:
        invitation_rows.append(
            {
                "wave_id": invitation.wave_id,
                "wave": invitation.wave.name,
                "created_at": _when(invitation.created_at),
                "sent_at": _when(invitation.sent_at),
                "reminded_at": _when(invitation.reminded_at),
                "revoked_at": _when(invitation.revoked_at),
                "submitted_at": _when(invitation.used_at),
            }
        )
        for send in db.session.scalars(
            select(EmailSend).where(EmailSend.invitation_id == invitation.id).order_by(EmailSend.id)
        ):
            email_rows.append(
                {
                    "wave_id": invitation.wave_id,
                    "kind": send.kind,
                    "round": send.round,
                    "status": send.status,
                    "attempts": send.attempts,
                    "error": send.error,
                    "created_at": _when(send.created_at),
                    "sent_at": _when(send.sent_at),
                }
            )
        response = db.session.scalar(select(Response).where(Response.invitation_id == invitation.id))
        if response is None:
            continue
        timings = db.session.scalars(
            select(PageTiming).where(PageTiming.response_id == response.id).order_by(PageTiming.page)
        ).all()
        response_rows.append(
            {
                "wave_id": response.wave_id,
                "status": response.status,
                "language": response.locale,
                "started_at": _when(response.started_at),
                "submitted_at": _when(response.submitted_at),
                "answers": [
                    {"item": a.item_id, "value": a.value, "answered_at": _when(a.answered_at)}
                    for a in sorted(response.answers, key=lambda a: a.item_id)
                ],
                "comments": [
                    {"about": c.subject_id, "text": c.text, "created_at": _when(c.created_at)}
                    for c in sorted(response.comments, key=lambda c: c.subject_id)
                ],
                "page_timings": [
                    {"page": t.page, "seconds": round(t.seconds, 1), "visits": t.visits} for t in timings
                ],
            }
        )
    export = {
        "exported_at": _when(now or utcnow()),
        "organization": {"id": organization.id, "name": organization.name},
        "roster_entry": {
            "id": participant.id,
            "email": participant.email,
            "name": participant.display_name,
            "team": participant.team.name,
            "attributes": dict(participant.attributes or {}),
            "active": participant.active,
            "created_at": _when(participant.created_at),
        },
        "waves": waves_data,
        "invitations": invitation_rows,
        "emails": email_rows,
        "responses": response_rows,
        "account": _account(participant.email, organization),
        "not_included": [
            _("Answers submitted in anonymous waves: they are linked to nobody, so they cannot be found."),
            _("Invitation links: only a one-way hash of each is stored."),
            _(
                "Published results: statistics of groups at or above the anonymity threshold, not of one "
                "person."
            ),
        ],
    }
    audit.record(
        actor, "participant.exported", organization=organization, subject=f"participant {participant.id}"
    )
    return export


def _account(email: str | None, organization: Organization) -> dict | None:
    """The workspace account with the same address, if it belongs to ``organization``."""
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        return None
    roles = {
        m.organization_id: m.role
        for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    }
    if organization.id not in roles:
        return None  # someone else's account in another client: not this organisation's to disclose
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.user_id == user.id, AuditEvent.organization_id == organization.id)
        .order_by(AuditEvent.id)
    ).all()
    return {
        "email": user.email,
        "role": user.role,
        "role_here": roles[organization.id],
        "created_at": _when(user.created_at),
        "last_sign_in": _when(user.last_login_at),
        "actions_here": [
            {"action": e.action, "subject": e.subject, "at": _when(e.created_at)} for e in events
        ],
    }
