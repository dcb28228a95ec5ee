"""A client's branding: contrast checked with the WCAG formula, logos checked and served safely,
and the branding on survey pages, invitation e-mails and reports."""

from __future__ import annotations

import struct
import zlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEvent, Organization, Participant
from survey.models import user as user_model
from survey.services import ServiceError
from survey.services.branding import (
    MAX_LOGO_BYTES,
    WHITE,
    branding_of,
    contrast_ratio,
    darker_passing,
    image_size,
    parse_colour,
    set_accent_colour,
    set_logo,
    set_sender_name,
)
from survey.services.mailing import MailSettings, compose
from tests.factories import PASSWORD


def png(width: int, height: int) -> bytes:
    """A valid greyscale PNG of the given size (one zero byte per row, compressed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG: SOI, an APP0 segment, then a baseline frame header with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + frame + b"\xff\xd9"


# --- contrast (no database)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        # Reference values of the WCAG formula (as WebAIM's contrast checker gives them).
        ("#767676", "#ffffff", 4.54),
        ("#777777", "#ffffff", 4.48),
        ("#ff0000", "#ffffff", 4.00),
    ],
)
def test_contrast_ratio_follows_wcag(first, second, ratio):
    assert contrast_ratio(parse_colour(first), parse_colour(second)) == pytest.approx(ratio, abs=0.01)


def test_a_suggested_shade_passes_and_stays_close():
    for colour in ("#ffcc00", "#7fb3ff", "#ff0000", "#ffffff"):
        shade = darker_passing(parse_colour(colour))
        assert contrast_ratio(shade, WHITE) >= 4.5
        assert contrast_ratio(shade, WHITE) < 4.7  # the lightest that passes, not black


def test_colours_are_read_strictly():
    assert parse_colour("#abc") == (0xAA, 0xBB, 0xCC)
    assert parse_colour(" 1F5FAE ") == (0x1F, 0x5F, 0xAE)
    for bad in ("", "red", "#12345", "#gggggg", "rgb(1,2,3)", "#1f5fae; x: y"):
        with pytest.raises(ServiceError, match="not a colour"):
            parse_colour(bad)


def test_image_sizes_are_read_from_the_headers():
    assert image_size(png(120, 40)) == ("image/png", 120, 40)
    assert image_size(jpeg_header(640, 200)) == ("image/jpeg", 640, 200)
    for bad, reason in [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 20, "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "damaged"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "damaged"),
    ]:
        with pytest.raises(ServiceError, match=reason):
            image_size(bad)


# --- stored branding


@pytest.fixture
def organization(app, make_organization):
    return make_organization("Acme", "acme")


@pytest.mark.db
def test_a_low_contrast_colour_is_refused_and_changes_nothing(organization):
    with pytest.raises(ServiceError, match=r"contrast of 1\.5:1.*#[0-9a-f]{6} \(4\.5:1\)"):
        set_accent_colour(None, organization, "#ffcc00")
    assert organization.accent_colour is None
    assert set_accent_colour(None, organization, "#1A7F37") == "#1a7f37"
    assert set_accent_colour(None, organization, "") is None
    assert [e.details["colour"] for e in db.session.scalars(select(AuditEvent))] == ["#1a7f37", None]


@pytest.mark.db
def test_logo_limits(organization):
    with pytest.raises(ServiceError, match="kB"):
        set_logo(None, organization, png(100, 100) + b"\x00" * MAX_LOGO_BYTES)
    with pytest.raises(ServiceError, match="2000 pixels"):
        set_logo(None, organization, png(2400, 20))
    with pytest.raises(ServiceError, match="16 to"):
        set_logo(None, organization, png(8, 8))
    assert organization.logo_digest is None
    digest = set_logo(None, organization, png(200, 60))
    assert len(digest) == 64
    assert organization.logo_type == "image/png"


@pytest.mark.db
def test_sender_names_are_one_line(app):
    organization = Organization(name="Acme", slug="acme")
    assert set_sender_name(None, organization, "  Acme\r\nBcc: x@example.org  ") == "Acme Bcc: x@example.org"
    with pytest.raises(ServiceError, match="at most 100"):
        set_sender_name(None, organization, "x" * 101)


@pytest.fixture
def consultant_client(client, make_workspace, monkeypatch):
    monkeypatch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    workspace = make_workspace()
    client.post("/auth/login", data={"email": workspace.users["consultant"], "password": PASSWORD})
    return client, workspace


@pytest.mark.db
def test_the_logo_is_uploaded_checked_and_served_at_its_digest(consultant_client):
    client, workspace = consultant_client
    org_id = workspace["own"]["org_id"]
    refused = client.post(f"/orgs/{org_id}/branding/logo", data={"file": (_file(b"<svg/>"), "logo.svg")},
                          content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 400
    assert "PNG or JPEG" in refused.get_data(as_text=True)
    assert db.session.get(Organization, org_id).logo_digest is None
    image = png(300, 90)
    saved = client.post(f"/orgs/{org_id}/branding/logo", data={"file": (_file(image), "logo.png")},
                        content_type="multipart/form-data")  # fmt: skip
    assert saved.status_code == 302
    digest = db.session.get(Organization, org_id).logo_digest
    served = client.application.test_client().get(f"/brand/{org_id}/{digest}")  # public
    assert served.status_code == 200
    assert served.data == image
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert client.get(f"/brand/{org_id}/{'0' * 64}").status_code == 404
    other = workspace["other"]["org_id"]
    assert client.get(f"/brand/{other}/{digest}").status_code == 404
    removed = client.post(f"/orgs/{org_id}/branding/logo/remove")
    assert removed.status_code == 302
    assert client.get(f"/brand/{org_id}/{digest}").status_code == 404


def _file(data: bytes):
    import io

    return io.BytesIO(data)


@pytest.mark.db
def test_the_branding_form_refuses_low_contrast_with_a_suggestion(consultant_client):
    client, workspace = consultant_client
    org_id = workspace["own"]["org_id"]
    page = client.post(f"/orgs/{org_id}/branding", data={"accent_colour": "#7fb3ff", "sender_name": "Acme"})
    assert page.status_code == 400
    assert "nearest darker shade" in page.get_data(as_text=True)
    organization = db.session.get(Organization, org_id)
    assert (organization.accent_colour, organization.sender_name) == (None, None)
    saved = client.post(
        f"/orgs/{org_id}/branding", data={"accent_colour": "#0b5394", "sender_name": "Acme People"}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert (organization.accent_colour, organization.sender_name) == ("#0b5394", "Acme People")


@pytest.mark.db
def test_branding_reaches_survey_pages_and_invitations(client, make_survey):
    setup = make_survey()
    organization = setup.wave.organization
    set_accent_colour(None, organization, "#0b5394")
    set_sender_name(None, organization, "Acme People Team")
    set_logo(None, organization, png(120, 40))
    db.session.commit()
    page = client.get(f"/s/{setup.token()}").get_data(as_text=True)
    assert "--accent: #0b5394" in page
    assert f"/brand/{organization.id}/{organization.logo_digest}" in page
    participant = db.session.scalar(select(Participant).where(Participant.email == "sales1@example.org"))
    settings = MailSettings("localhost", 25, False, "", "", "surveys@mindgap.example")
    message = compose(setup.wave, participant, "invitation", "http://mindgap.test/s/x", settings)
    assert message["From"].addresses[0].display_name == "Acme People Team"
    assert message["From"].addresses[0].addr_spec == "surveys@mindgap.example"
    assert branding_of(organization).state.startswith("-b")


@pytest.mark.db
def test_branding_reaches_the_report_page_and_its_pdf_key(client, make_user):
    from survey.services.releases import latest_release
    from tests.survey.test_privacy import released_wave

    organization, wave, _, _ = released_wave(threshold=5)
    make_user("c@example.org", role="consultant", organization=organization)
    client.post("/auth/login", data={"email": "c@example.org", "password": PASSWORD})
    plain = branding_of(organization).state
    set_accent_colour(None, organization, "#0b5394")
    set_logo(None, organization, png(120, 40))
    db.session.commit()
    assert latest_release(wave) is not None
    page = client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert "--accent: #0b5394" in page
    assert f"/brand/{organization.id}/{organization.logo_digest}" in page
    # The PDF's cache key changes with the branding, so a cached PDF is not served unbranded.
    assert plain == ""
    assert branding_of(organization).state not in ("", plain)
