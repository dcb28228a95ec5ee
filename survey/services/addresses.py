"""Respondents' e-mail addresses: checked when they reach the roster, prepared when mail goes out.

Both checks use `email-validator <https://pypi.org/project/email-validator/>`_, which reads
addresses as RFC 5321/5322 and RFC 6531 (internationalised addresses) define them, without a
DNS lookup. On the roster an address must also have a domain that can receive mail on the
internet: a dot, and no special-use name such as ``.local`` or ``.localhost`` (``.test`` is
let through, for the demo and for trials). At sending, only what SMTP can carry unambiguously
is required (a domain without a dot passes), so that rows stored before these checks are
either sent exactly where they say or refused, never split (``jane,doe@…`` is not mailed to
``doe@…``).

Addresses whose part before the ``@`` is ASCII go out in ASCII (an internationalised domain
as its ``xn--`` form), which every mail server accepts; the others need a server that
supports SMTPUTF8, and :attr:`Recipient.smtputf8` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from survey.i18n import _
from survey.services import ServiceError

__all__ = ["AddressError", "Recipient", "address_problem", "recipient"]


class AddressError(ServiceError):
    """An address a message cannot be sent to; the text says why."""


def _reason(error: EmailNotValidError) -> str:
    text = str(error).strip().rstrip(".")
    return text[:1].lower() + text[1:]


def address_problem(address: str) -> str:
    """Why ``address`` cannot go on a roster (a phrase to show); ``""`` when it can.

    >>> address_problem("jürgen.mueller@example.org")
    ''
    >>> address_problem("jane,doe@example.org")
    "the email address contains invalid characters before the @-sign: ','"
    """
    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        return _reason(error)
    return ""


@dataclass(frozen=True)
class Recipient:
    """An address as a message's envelope and ``To`` header carry it."""

    #: The part before the ``@`` and the domain (IDNA-encoded when the part before is ASCII).
    username: str
    domain: str
    #: Whether the address needs a server that supports SMTPUTF8 (non-ASCII before the ``@``).
    smtputf8: bool

    @property
    def address(self) -> str:
        return f"{self.username}@{self.domain}"


def recipient(address: str) -> Recipient:
    """Prepare ``address`` for sending; :class:`AddressError` if it cannot be sent to as it is."""
    try:
        valid = validate_email(
            address or "", check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as error:
        reason = _reason(error)
        raise AddressError(
            _("not a valid e-mail address ({reason}); correct it on the roster", reason=reason)
        ) from None
    if valid.ascii_email:
        username, _at, domain = valid.ascii_email.rpartition("@")
        return Recipient(username, domain, smtputf8=False)
    return Recipient(valid.local_part, valid.domain, smtputf8=True)
