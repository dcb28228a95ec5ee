"""A client's branding: logo, accent colour and the sender name of its e-mails.

The accent colour is used for links, buttons and headings on white, so it must reach the
WCAG 2 contrast ratio for normal text, 4.5:1, against white (success criterion 1.4.3);
white text on an accent button then has the same ratio. A colour that falls short is
refused, with the nearest darker shade of the same hue that passes as a suggestion.

A logo is a PNG or JPEG file (no SVG: it can carry scripts and links), at most
:data:`MAX_LOGO_BYTES`, with a size read from the file's own header between
:data:`MIN_LOGO_SIDE` and :data:`MAX_LOGO_SIDE` pixels a side. It is kept in the database
with its SHA-256, which is part of the address it is served at, so a new logo has a new
address and browsers may cache each one for good.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from survey.extensions import db
from survey.i18n import _, format_number
from survey.models import Organization, User, Wave
from survey.services import ServiceError, audit

#: WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5
MAX_LOGO_BYTES = 512 * 1024
MIN_LOGO_SIDE, MAX_LOGO_SIDE = 16, 2000
MAX_SENDER_NAME = 100
LOGO_TYPES = ("image/png", "image/jpeg")
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG start-of-frame markers (baseline, progressive, …) that carry the image size.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class Branding:
    """What pages, e-mails and reports show of a client's branding (plain values for templates)."""

    organization_id: int
    name: str
    #: ``#rrggbb`` or ``None`` (Mindgap's own colour).
    accent: str | None
    #: The logo's digest (its address), or ``None`` without a logo.
    logo_digest: str | None
    sender_name: str | None

    @property
    def state(self) -> str:
        """A short fingerprint of what a rendered report shows of the branding (for its cache key);
        ``""`` without branding, so unbranded outputs keep their keys."""
        if not self.accent and not self.logo_digest:
            return ""
        seen = f"{self.accent or ''}/{self.logo_digest or ''}".encode()
        return "-b" + hashlib.sha256(seen).hexdigest()[:10]


def logo_data_uri(organization: Organization) -> str | None:
    """The logo as a ``data:`` URI, for the PDF (which loads nothing from the network)."""
    if not organization.logo_digest or not organization.logo:
        return None
    return f"data:{organization.logo_type};base64,{base64.b64encode(organization.logo).decode()}"


#: How long survey pages reuse a wave's branding before reading it again (seconds): a change
#: reaches respondents within this time, and a survey page costs no query for it meanwhile.
BRAND_CACHE_SECONDS = 60.0
_BRAND_CACHE: dict[tuple, tuple[float, Branding]] = {}
_BRAND_CACHE_SIZE = 1024


def branding_for_link(wave) -> Branding:
    """The branding of a respondent's wave (a ``LinkWave``), read at most once a minute per process.

    Keyed by the wave's id and creation time, so a new wave with a reused id is read afresh.
    """
    key = (wave.id, wave.created_at)
    now = time.monotonic()
    cached = _BRAND_CACHE.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    brand = branding_for_wave(wave.id)
    if len(_BRAND_CACHE) >= _BRAND_CACHE_SIZE:
        _BRAND_CACHE.clear()
    _BRAND_CACHE[key] = (now + BRAND_CACHE_SECONDS, brand)
    return brand


def branding_for_wave(wave_id: int) -> Branding:
    """The branding of the organisation running wave ``wave_id``, in one query (logo bytes not read)."""
    row = db.session.execute(
        select(Organization.id, Organization.name, Organization.accent_colour, Organization.logo_digest,
               Organization.sender_name)
        .join(Wave, Wave.organization_id == Organization.id)
        .where(Wave.id == wave_id)
    ).one()  # fmt: skip
    return Branding(*row)


def branding_of(organization: Organization) -> Branding:
    return Branding(
        organization.id,
        organization.name,
        organization.accent_colour,
        organization.logo_digest,
        organization.sender_name,
    )


# --- colour


def parse_colour(text: str) -> tuple[int, int, int]:
    """``#rrggbb`` or ``#rgb`` (the ``#`` optional) as red, green and blue 0-255."""
    match = _HEX.match((text or "").strip())
    if not match:
        raise ServiceError(
            _("'{text}' is not a colour: write it as #rrggbb, e.g. #1f5fae.", text=(text or "").strip()[:20])
        )
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance: L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised channels.

    Each channel c = value / 255 is linearised as c / 12.92 when c <= 0.03928, else
    ((c + 0.055) / 1.055) ** 2.4 (WCAG 2.2, "relative luminance").
    """

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter; from 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


WHITE = (255, 255, 255)


def darker_passing(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The lightest shade of ``rgb`` (its channels scaled down together) that reaches 4.5:1 on white."""
    low, high = 0.0, 1.0  # scale factors: 0 is black (passes), 1 the colour itself
    for _step in range(30):
        middle = (low + high) / 2
        shade = tuple(round(v * middle) for v in rgb)
        if contrast_ratio(shade, WHITE) >= MIN_CONTRAST:
            low = middle
        else:
            high = middle
    return tuple(round(v * low) for v in rgb)


def set_accent_colour(actor: User | None, organization: Organization, text: str) -> str | None:
    """Set (or, with an empty ``text``, clear) the accent colour; returns what is stored.

    Refused when its contrast with white is below :data:`MIN_CONTRAST`; the message names
    the ratio and the nearest darker shade that passes.
    """
    if not (text or "").strip():
        organization.accent_colour = None
        audit.record(
            actor,
            "branding.colour_changed",
            organization=organization,
            subject="accent colour",
            details={"colour": None},
        )
        return None
    rgb = parse_colour(text)
    ratio = contrast_ratio(rgb, WHITE)
    if ratio < MIN_CONTRAST:
        suggestion = darker_passing(rgb)
        raise ServiceError(
            _(
                "{colour} on white has a contrast of {ratio}:1; text needs at least {minimum}:1 "
                "to be readable (WCAG AA). The nearest darker shade that passes is {suggestion} "
                "({suggestion_ratio}:1).",
                colour=_hex(rgb),
                ratio=format_number(ratio, 1),
                minimum=format_number(MIN_CONTRAST, 1),
                suggestion=_hex(suggestion),
                suggestion_ratio=format_number(contrast_ratio(suggestion, WHITE), 1),
            )
        )
    organization.accent_colour = _hex(rgb)
    audit.record(
        actor,
        "branding.colour_changed",
        organization=organization,
        subject="accent colour",
        details={"colour": organization.accent_colour},
    )
    return organization.accent_colour


# --- sender name


def set_sender_name(actor: User | None, organization: Organization, text: str) -> str | None:
    """Set the display name invitations come from (one line, at most :data:`MAX_SENDER_NAME`)."""
    name = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in (text or "")).split())
    if len(name) > MAX_SENDER_NAME:
        raise ServiceError(
            _(
                "The sender name is {length} characters long; at most {limit} fit.",
                length=len(name),
                limit=MAX_SENDER_NAME,
            )
        )
    organization.sender_name = name or None
    audit.record(
        actor,
        "branding.sender_changed",
        organization=organization,
        subject="sender name",
        details={"sender_name": organization.sender_name},
    )
    return organization.sender_name


def sender_header(address: str, organization: Organization | None) -> str:
    """The ``From`` header of a message about ``organization``: its sender name, Mindgap's address."""
    from email.headerregistry import Address

    name = (organization.sender_name or "").strip() if organization is not None else ""
    if not name:
        return address
    try:
        return str(Address(name, addr_spec=address))
    except (ValueError, IndexError):
        return address  # an address the header class cannot parse goes out as configured


# --- logo


def image_size(data: bytes) -> tuple[str, int, int]:
    """The type (``image/png`` or ``image/jpeg``), width and height read from the file's header.

    Raises :class:`ServiceError` for anything else (SVG, GIF, WebP, a damaged file).
    """
    if data.startswith(_PNG_SIGNATURE):
        # The first chunk must be IHDR: length 13, then width and height as big-endian integers.
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise ServiceError(_("The PNG file is damaged (no image header)."))
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data.startswith(b"\xff\xd8"):
        position = 2
        while position + 4 <= len(data):
            if data[position] != 0xFF:
                break
            marker = data[position + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
                position += 2
                continue
            (length,) = struct.unpack(">H", data[position + 2 : position + 4])
            if marker in _JPEG_FRAMES and position + 9 <= len(data):
                height, width = struct.unpack(">HH", data[position + 5 : position + 9])
                return "image/jpeg", width, height
            if length < 2:
                break
            position += 2 + length
        raise ServiceError(_("The JPEG file is damaged (no image size found)."))
    raise ServiceError(_("A logo must be a PNG or JPEG image (SVG, GIF and other formats are not accepted)."))


def set_logo(actor: User | None, organization: Organization, data: bytes) -> str:
    """Check and store ``data`` as the organisation's logo; returns its digest."""
    if not data:
        raise ServiceError(_("The file is empty."))
    if len(data) > MAX_LOGO_BYTES:
        raise ServiceError(
            _(
                "The logo is {size} kB; at most {limit} kB are accepted.",
                size=format_number(len(data) / 1024, 0),
                limit=MAX_LOGO_BYTES // 1024,
            )
        )
    kind, width, height = image_size(data)
    if not (MIN_LOGO_SIDE <= width <= MAX_LOGO_SIDE and MIN_LOGO_SIDE <= height <= MAX_LOGO_SIDE):
        raise ServiceError(
            _(
                "The logo is {width} × {height} pixels; each side must be {minimum} to {maximum} pixels.",
                width=width,
                height=height,
                minimum=MIN_LOGO_SIDE,
                maximum=MAX_LOGO_SIDE,
            )
        )
    organization.logo = data
    organization.logo_type = kind
    organization.logo_digest = hashlib.sha256(data).hexdigest()
    audit.record(
        actor,
        "branding.logo_changed",
        organization=organization,
        subject="logo",
        details={"type": kind, "width": width, "height": height, "bytes": len(data)},
    )
    return organization.logo_digest


def remove_logo(actor: User | None, organization: Organization) -> None:
    organization.logo = None
    organization.logo_type = None
    organization.logo_digest = None
    audit.record(actor, "branding.logo_removed", organization=organization, subject="logo")
