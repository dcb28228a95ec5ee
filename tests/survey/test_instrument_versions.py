"""Instrument versions are stored when a wave first uses them, and immutable after that."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

import instruments
from survey.extensions import db
from survey.models import InstrumentVersion
from survey.services import ServiceError
from survey.services.instruments import instrument_of
from survey.services.responding import plan_for
from survey.services.waves import create_wave, open_wave

FIXTURE = Path(__file__).parent.parent / "instruments" / "fixtures" / "valid.yaml"


@pytest.fixture
def own_instrument(tmp_path):
    """A consultant's own instrument file outside the package."""
    path = tmp_path / "own.yaml"
    shutil.copy(FIXTURE, path)
    return path


def test_first_use_stores_text_and_hash(app, make_organization):
    organization = make_organization()
    latest = instruments.load("alignment").key
    create_wave(organization, "One", ["alignment"])
    create_wave(organization, "Two", [latest])
    create_wave(organization, "Three", ["alignment@1.0"])
    db.session.commit()
    stored = db.session.scalars(select(InstrumentVersion).order_by(InstrumentVersion.id)).all()
    assert [version.key for version in stored] == [latest, "alignment@1.0"]  # the newest, then the older
    version = stored[0]
    assert len(version.content_hash) == 64
    assert instrument_of(version).key == latest
    assert "lead_quality" in version.definition


def test_an_edited_used_version_is_refused_and_waves_keep_the_stored_text(
    app, make_organization, own_instrument
):
    organization = make_organization()
    wave = open_wave(create_wave(organization, "One", [str(own_instrument)]))
    db.session.commit()
    original_items = [i.id for p in plan_for(wave, "sales").pages for i in p.items]

    edited = own_instrument.read_text(encoding="utf-8").replace("\nitems:", "\n# tweaked\nitems:", 1)
    assert edited != own_instrument.read_text(encoding="utf-8")
    own_instrument.write_text(edited, encoding="utf-8")
    with pytest.raises(
        ServiceError, match="changed after a wave used it.*publish the change as a new version"
    ):
        create_wave(organization, "Two", [str(own_instrument)])
    db.session.rollback()
    assert db.session.scalar(select(func.count(InstrumentVersion.id))) == 1
    # The first wave still works from what it stored.
    assert [i.id for p in plan_for(wave, "sales").pages for i in p.items] == original_items


def test_wave_rejects_unknown_instruments_and_clashing_items(app, make_organization):
    organization = make_organization()
    with pytest.raises(ServiceError, match="no_such"):
        create_wave(organization, "One", ["no_such"])
    with pytest.raises(ServiceError, match="only once"):
        create_wave(organization, "One", ["alignment", "alignment@1.0"])
    with pytest.raises(ServiceError, match="anonymity threshold cannot be below 3"):
        create_wave(organization, "One", ["alignment"], anonymity_threshold=2)
    with pytest.raises(ServiceError, match="no text in it"):
        create_wave(organization, "One", ["alignment"], languages=["it"])
