"""Mindgap's instruments: versioned questionnaire definitions and the machinery to read them.

Typical use::

    alignment = instruments.load("alignment")              # latest shipped version
    pinned = instruments.load("alignment@1.0", expected_hash=digest_stored_with_the_wave)
    stored = instruments.loads(text_stored_with_the_wave)  # re-load the exact text a wave used

Shipped files live in ``instruments/definitions/<id>/<version>.yaml``; the format is described
in ``docs/INSTRUMENTS.md``.
"""

from .errors import InstrumentChangedError, InstrumentError, InstrumentNotFoundError, Problem
from .loader import (
    DEFINITIONS,
    InstrumentRef,
    available,
    content_hash,
    definition_path,
    load,
    loads,
    read_definition,
    version_key,
)
from .model import Dimension, Instrument, Item, Prompt, Scale, ScalePoint
from .validator import FUNCTIONS, SCALE_KINDS, validate_file, validate_text

__all__ = [
    "DEFINITIONS",
    "FUNCTIONS",
    "SCALE_KINDS",
    "Dimension",
    "Instrument",
    "InstrumentChangedError",
    "InstrumentError",
    "InstrumentNotFoundError",
    "InstrumentRef",
    "Item",
    "Problem",
    "Prompt",
    "Scale",
    "ScalePoint",
    "available",
    "content_hash",
    "definition_path",
    "load",
    "loads",
    "read_definition",
    "validate_file",
    "validate_text",
    "version_key",
]
