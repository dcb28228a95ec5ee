"""Invitation links: keyed tokens of which only a hash is stored.

A link's token is an HMAC-SHA256, under a key derived from the secret key for this purpose
alone, over the invitation's id and a random nonce drawn each time the link is issued
(``Invitation.link_nonce``). The database keeps the nonce and the token's SHA-256, never the
token: a dump without the secret key gives no link, while the server can give the current
link again (:func:`current_link`) for reminders and downloads. Re-issuing draws a new nonce,
so the old link stops working. A link cannot be given again after the secret key changed, or
for an invitation issued before links were derived (no nonce): only re-issuing it helps.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from survey.extensions import db
from survey.i18n import N_, _
from survey.models import Invitation, Participant, Team, Wave, WaveMember
from survey.models.types import now_for
from survey.services import ServiceError
from survey.services.spreadsheets import neutralise

#: 32 random bytes: 256 bits, far beyond guessing.
TOKEN_BYTES = 32
#: 16 random bytes per issued link (22 base64url characters).
NONCE_BYTES = 16
#: What the links' key is derived for: a key of its own, not the secret key itself.
LINK_KEY_PURPOSE = b"mindgap invitation links v1"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _link_key(secret_key: str | bytes) -> bytes:
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return hmac.new(key, LINK_KEY_PURPOSE, hashlib.sha256).digest()


def derive_token(invitation_id: int, nonce: str, secret_key: str | bytes | None = None) -> str:
    """The token of invitation ``invitation_id`` issued with ``nonce``, under ``secret_key``.

    43 base64url characters, as long as a random token; without the key it cannot be computed.
    ``secret_key`` defaults to the application's.
    """
    key = _link_key(current_app.config["SECRET_KEY"] if secret_key is None else secret_key)
    digest = hmac.new(key, f"{invitation_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def current_token(invitation: Invitation) -> str | None:
    """The invitation's current token, if it can be derived again (``None`` after a secret key
    change, or for a link issued before links were derived)."""
    if invitation.link_nonce is None or invitation.id is None:
        return None
    token = derive_token(invitation.id, invitation.link_nonce)
    return token if hmac.compare_digest(hash_token(token), invitation.token_hash) else None


def current_link(invitation: Invitation) -> str | None:
    """The invitation's current link, given again without replacing it, or ``None`` when it
    cannot be derived (then only :func:`reissue` gives a working link)."""
    token = current_token(invitation)
    return invitation_link(token) if token else None


def invitation_link(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/s/{token}"


@dataclass(frozen=True)
class IssuedInvitation:
    """A newly issued link with its invitation."""

    invitation: Invitation
    token: str

    @property
    def link(self) -> str:
        return invitation_link(self.token)


def invite(wave: Wave, participants: Iterable[Participant]) -> list[IssuedInvitation]:
    """Invite ``participants`` to ``wave``, recording the team each belongs to now.

    Participants already invited are skipped (their current link is given by
    :func:`current_link`).
    """
    invited = set(db.session.scalars(select(Invitation.participant_id).where(Invitation.wave_id == wave.id)))
    created_at = now_for(wave.mode)
    issued = []
    for participant in participants:
        if participant.id in invited or participant.organization_id != wave.organization_id:
            continue
        # A random placeholder hash until the id is known (the flush below); then the token is derived.
        invitation = Invitation(
            wave=wave, participant=participant, token_hash=hash_token(new_token()), created_at=created_at
        )
        db.session.add(invitation)
        db.session.merge(
            WaveMember(
                wave_id=wave.id,
                participant_id=participant.id,
                team_id=participant.team_id,
                attributes=dict(participant.attributes or {}),
            )
        )
        issued.append(invitation)
        invited.add(participant.id)
    db.session.flush()
    return [reissue(invitation) for invitation in issued]


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose token this is, looked up by its hash."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def reissue(invitation: Invitation) -> IssuedInvitation:
    """Give ``invitation`` a new token (a new nonce); the old link stops working, saved answers stay."""
    if invitation.id is None:
        db.session.flush()
    invitation.link_nonce = secrets.token_urlsafe(NONCE_BYTES)
    token = derive_token(invitation.id, invitation.link_nonce)
    invitation.token_hash = hash_token(token)
    invitation.revoked_at = None
    return IssuedInvitation(invitation, token)


def invite_roster(wave: Wave) -> list[IssuedInvitation]:
    """Invite every active roster entry of the wave's organisation not invited yet."""
    if wave.status == "closed":
        raise ServiceError(_("The wave is closed; clone it to invite people to a new round."))
    participants = db.session.scalars(
        select(Participant)
        .where(Participant.organization_id == wave.organization_id, Participant.active.is_(True))
        .order_by(Participant.id)
    )
    return invite(wave, participants)


#: How the links export names the way a link was handed out (``Invitation.handed_out_via``).
HANDED_OUT_BY = {
    "email": N_("by e-mail"),
    "download": N_("in a links download"),
    "page": N_("on the wave page"),
}


def hand_out(invitation: Invitation, via: str) -> str:
    """``invitation``'s current link for handing out ``via`` e-mail, download or page.

    The current link is given again when it can be derived; otherwise a new one is issued, so
    the caller has checked that no earlier link was handed out (:func:`handed_out`). The first
    hand-out of a link is recorded (the time to the day in anonymous waves).
    """
    link = current_link(invitation)
    if link is None:
        return replace_link(invitation, via).link
    if not handed_out(invitation):
        invitation.handed_out_via, invitation.handed_out_at = via, now_for(invitation.wave.mode)
    return link


def replace_link(invitation: Invitation, via: str) -> IssuedInvitation:
    """Issue ``invitation`` a new link, handed out now ``via`` e-mail, download or page; an
    earlier link stops working. Only on request (or when nobody has the current link)."""
    issued = reissue(invitation)
    invitation.handed_out_via, invitation.handed_out_at = via, now_for(invitation.wave.mode)
    return issued


def handed_out(invitation: Invitation) -> bool:
    """Whether someone has been given the invitation's current link (re-issuing it would break it)."""
    return invitation.handed_out_via is not None


def handed_out_text(invitation: Invitation) -> str:
    """How and when the current link was handed out, e.g. ``by e-mail on 2026-12-07``."""
    how = _(HANDED_OUT_BY.get(invitation.handed_out_via or "", ""))
    if invitation.handed_out_at is None:
        return how
    return _("{how} on {date}", how=how, date=f"{invitation.handed_out_at:%Y-%m-%d}").strip()


@dataclass(frozen=True)
class LinkRow:
    """One line of the links export."""

    email: str
    name: str
    team: str
    #: ``submitted``, ``new link`` (handed out now for the first time), ``same link as handed
    #: out …`` (given again) or ``handed out …; re-issue it …`` (given out before and not
    #: derivable again: no link, it cannot be shown without replacing it).
    status: str
    link: str


def _open_invitations(wave: Wave):
    return db.session.execute(
        select(Invitation, Participant, Team.name)
        .join(Participant, Participant.id == Invitation.participant_id)
        .join(
            WaveMember,
            (WaveMember.wave_id == Invitation.wave_id) & (WaveMember.participant_id == Participant.id),
        )
        .join(Team, Team.id == WaveMember.team_id)
        .where(Invitation.wave_id == wave.id, Invitation.revoked_at.is_(None))
        .order_by(Team.name, Participant.email, Participant.id)
    ).all()


def export_links(wave: Wave, *, replace: bool = False) -> list[LinkRow]:
    """The links of everyone invited who has not submitted, as far as they can be shown.

    Without ``replace`` everyone gets their current link, the same in every download
    (:func:`current_link`); a link that cannot be derived again (secret key changed, or issued
    before links were derived) is issued when nobody has been given it yet, and otherwise
    listed as handed out, without a link: nothing handed out before stops working. With
    ``replace`` (asked for on a confirmation page) everyone who has not submitted gets a new
    link and earlier ones stop working; saved answers stay. People who have submitted are
    listed without a link; revoked invitations are left out.
    """
    lines = []
    for invitation, participant, team_name in _open_invitations(wave):
        email, name = participant.email or "", participant.display_name or ""
        if invitation.used_at is not None:
            lines.append(LinkRow(email, name, team_name, _("submitted"), ""))
        elif replace:
            status = _("new link (replaces the earlier one)") if handed_out(invitation) else _("new link")
            lines.append(LinkRow(email, name, team_name, status, replace_link(invitation, "download").link))
        elif current_link(invitation) is not None or not handed_out(invitation):
            given = handed_out(invitation)
            status = (
                _("same link as handed out {how}", how=handed_out_text(invitation))
                if given
                else _("new link")
            )
            lines.append(LinkRow(email, name, team_name, status, hand_out(invitation, "download")))
        else:
            status = _("handed out {how}; re-issue it to get a new link", how=handed_out_text(invitation))
            lines.append(LinkRow(email, name, team_name, status, ""))
    db.session.flush()
    return lines


def lost_links(wave: Wave) -> int:
    """How many handed-out links the export cannot give again (not derivable; re-issue them)."""
    return sum(
        1
        for invitation, _participant, _team in _open_invitations(wave)
        if invitation.used_at is None and handed_out(invitation) and current_link(invitation) is None
    )


def replaceable_links(wave: Wave) -> int:
    """How many handed-out links re-issuing everyone's would break (not submitted, not revoked)."""
    return sum(
        1
        for invitation, _participant, _team in _open_invitations(wave)
        if invitation.used_at is None and handed_out(invitation)
    )


def reissue_link(invitation: Invitation) -> IssuedInvitation:
    """Replace one person's link at the consultant's request; the new one is shown once, on the page.

    Refused for a submitted or revoked invitation and for a closed wave (the link would lead
    nowhere).
    """
    if invitation.wave.status == "closed":
        raise ServiceError(_("The wave is closed: a new link would not open the survey."))
    if invitation.used_at is not None:
        raise ServiceError(_("This person has submitted: there is nothing left to answer."))
    if invitation.revoked_at is not None:
        raise ServiceError(_("This invitation was withdrawn."))
    return replace_link(invitation, "page")


def links_csv(rows: Iterable[LinkRow]) -> str:
    """The rows of :func:`export_links` as CSV text (participant, name, team, status, link).

    Roster and team names are typed by people: every cell is neutralised, so a spreadsheet
    shows ``=HYPERLINK(...)`` as text instead of running it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "name", "team", "status", "link"])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in (row.email, row.name, row.team, row.status, row.link)])
    return buffer.getvalue()
