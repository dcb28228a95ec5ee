"""Instrument versions as used by waves: stored once, immutable afterwards."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select

import instruments
from instruments import Instrument, InstrumentError
from survey.extensions import db
from survey.i18n import _
from survey.models import InstrumentVersion
from survey.services import ServiceError


def register_instrument_version(reference: str) -> InstrumentVersion:
    """Return the stored version for ``"id"`` or ``"id@version"``, storing it on first use.

    The first wave that uses a version stores its exact text and content hash. Afterwards
    the shipped file may not change: a changed file is refused with a message that asks
    the author to publish a new version, and waves keep using the stored text.
    """
    instrument_id, _at, version = reference.partition("@")
    try:
        text = instruments.read_definition(instrument_id, version or None)
        instrument = instruments.loads(text, source=reference)
    except InstrumentError as error:
        raise ServiceError(str(error)) from error
    stored = db.session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument.id, InstrumentVersion.version == instrument.version
        )
    )
    if stored is None:
        stored = InstrumentVersion(
            instrument_id=instrument.id,
            version=instrument.version,
            content_hash=instrument.content_hash,
            definition=text,
        )
        db.session.add(stored)
        db.session.flush()
    elif stored.content_hash != instrument.content_hash:
        raise ServiceError(
            _(
                "The file of {instrument} changed after a wave used it. Used versions are immutable: "
                "publish the change as a new version (e.g. {instrument_id}@<next version>) instead.",
                instrument=instrument.key,
                instrument_id=instrument.id,
            )
        )
    return stored


def instrument_of(version: InstrumentVersion) -> Instrument:
    """The instrument as the wave stored it (parsed once per process; the text never changes)."""
    return parse_stored(version.definition, version.content_hash, version.key)


@lru_cache(maxsize=64)
def parse_stored(text: str, expected_hash: str, key: str) -> Instrument:
    """Parse a stored definition, checking it is the text whose hash was stored."""
    return instruments.loads(text, source=f"stored definition of {key}", expected_hash=expected_hash)
