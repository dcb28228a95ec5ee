"""Load instrument definitions into the frozen model.

Shipped instruments live in ``instruments/definitions/<id>/<version>.yaml``. A version is
immutable once a wave has used it: the web app stores the exact text (and its
:func:`content_hash`) of every version it runs, re-loads it with :func:`loads`, and passes
``expected_hash`` when it loads a shipped file again, so an edited file is refused instead of
silently changing the meaning of stored answers.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import InstrumentChangedError, InstrumentError, InstrumentNotFoundError
from .model import (
    Attribute,
    AttributeLevel,
    Dimension,
    Instrument,
    Item,
    Prompt,
    Scale,
    ScalePoint,
    _frozen,
)
from .validator import (
    ID_PATTERN,
    PAGE_BREAK,
    VERSION_PATTERN,
    check,
    default_min_valid,
    parse,
)

__all__ = [
    "DEFINITIONS",
    "InstrumentRef",
    "available",
    "content_hash",
    "definition_path",
    "load",
    "loads",
    "read_definition",
    "shipped_location",
    "version_key",
]

#: The folder of shipped instrument files.
DEFINITIONS = Path(__file__).resolve().parent / "definitions"
_SUFFIXES = (".yaml", ".yml")


class InstrumentRef(NamedTuple):
    """A shipped instrument version: unpacks as ``(id, version)``."""

    id: str
    version: str

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def path(self) -> Path:
        return definition_path(self.id, self.version)


def content_hash(text_or_bytes: str | bytes) -> str:
    """SHA-256 (hex) of a definition's bytes; text is hashed as its UTF-8 encoding.

    Reading a file with :func:`read_definition` and hashing the text gives the same value as
    hashing the file's bytes, because no newline translation happens on the way.
    """
    if isinstance(text_or_bytes, str):
        text_or_bytes = text_or_bytes.encode("utf-8")
    if not isinstance(text_or_bytes, bytes):
        raise TypeError(f"text_or_bytes must be str or bytes, got {type(text_or_bytes).__name__}")
    return hashlib.sha256(text_or_bytes).hexdigest()


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version string: its numeric parts, so ``"1.10"`` sorts after ``"1.9"``."""
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise ValueError(f"version must be numbers separated by dots such as '1.0'; got {version!r}")
    return tuple(int(part) for part in version.split("."))


def available() -> list[InstrumentRef]:
    """Every shipped instrument version, sorted by id and then by version."""
    refs = []
    if DEFINITIONS.is_dir():
        for folder in DEFINITIONS.iterdir():
            if not folder.is_dir() or not ID_PATTERN.fullmatch(folder.name):
                continue
            for file in folder.iterdir():
                if file.suffix in _SUFFIXES and VERSION_PATTERN.fullmatch(file.stem):
                    refs.append(InstrumentRef(folder.name, file.stem))
    return sorted(refs, key=lambda ref: (ref.id, version_key(ref.version)))


def definition_path(instrument_id: str, version: str | None = None) -> Path:
    """Path of the shipped file of ``instrument_id`` at ``version`` (the latest when ``None``).

    Raises
    ------
    InstrumentNotFoundError
        When no such instrument or version is shipped.
    """
    versions = [ref.version for ref in available() if ref.id == instrument_id]
    if not versions:
        known = ", ".join(sorted({ref.id for ref in available()})) or "none"
        raise InstrumentNotFoundError(f"no instrument {instrument_id!r} is shipped (available: {known})")
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise InstrumentNotFoundError(
            f"instrument {instrument_id!r} has no version {version!r} (available: {', '.join(versions)})"
        )
    for suffix in _SUFFIXES:
        path = DEFINITIONS / instrument_id / f"{version}{suffix}"
        if path.is_file():
            return path
    raise InstrumentNotFoundError(f"{instrument_id}@{version} vanished while it was being looked up")


def read_definition(id_or_path: str | os.PathLike[str], version: str | None = None) -> str:
    """The exact text of a definition, e.g. to store in the database next to a wave.

    Arguments as for :func:`load`. The text is decoded without newline translation, so
    ``content_hash(read_definition(...))`` equals the hash of the file's bytes.
    """
    path, _ = _locate(id_or_path, version)
    return path.read_bytes().decode("utf-8")


def load(
    id_or_path: str | os.PathLike[str],
    version: str | None = None,
    *,
    expected_hash: str | None = None,
) -> Instrument:
    """Load and validate an instrument.

    Parameters
    ----------
    id_or_path
        A shipped instrument's id (``"alignment"``), an ``"id@version"`` key, or the path of a
        ``.yaml`` file anywhere on disk.
    version
        Version of a shipped instrument; the latest (by numeric parts) when ``None``. Not
        allowed with a path or with a key that already names a version.
    expected_hash
        The :func:`content_hash` recorded when the version was first used. A different hash
        raises :class:`InstrumentChangedError`.

    Raises
    ------
    InstrumentError
        With every :class:`~instruments.errors.Problem` when the definition is invalid.
    InstrumentNotFoundError
        When the id, version or file does not exist.
    InstrumentChangedError
        When ``expected_hash`` is given and differs.
    """
    path, expected_location = _locate(id_or_path, version)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InstrumentNotFoundError(f"cannot read {path}: {error.strerror or error}") from error
    return _load_bytes(raw, str(path), expected_hash, expected_location)


def loads(text: str | bytes, source: str = "<string>", *, expected_hash: str | None = None) -> Instrument:
    """Load and validate an instrument from its text (e.g. the copy stored with a wave).

    ``source`` names the text in problem messages. See :func:`load` for ``expected_hash`` and
    the errors raised.
    """
    if not isinstance(text, str | bytes):
        raise TypeError(f"text must be str or bytes, got {type(text).__name__}")
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return _load_bytes(raw, source, expected_hash, None)


def _locate(id_or_path: str | os.PathLike[str], version: str | None) -> tuple[Path, tuple[str, str] | None]:
    """Resolve the arguments of :func:`load` to a file and the (id, version) its place promises."""
    if isinstance(id_or_path, os.PathLike) or (
        isinstance(id_or_path, str)
        and (id_or_path.endswith(_SUFFIXES) or os.sep in id_or_path or "/" in id_or_path)
    ):
        if version is not None:
            raise ValueError("version must be None when id_or_path is a file path (the file is one version)")
        path = Path(id_or_path).resolve()
        if not path.is_file():
            raise InstrumentNotFoundError(f"no instrument file at {path}")
        return path, shipped_location(path)
    if not isinstance(id_or_path, str):
        raise TypeError(f"id_or_path must be an instrument id or a path, got {type(id_or_path).__name__}")
    instrument_id = id_or_path
    if "@" in id_or_path:
        instrument_id, _, key_version = id_or_path.partition("@")
        if version is not None and version != key_version:
            raise ValueError(f"version {version!r} contradicts the key {id_or_path!r}; pass one of them")
        version = key_version
    if not ID_PATTERN.fullmatch(instrument_id):
        # Not found rather than a plain ValueError: callers handle one error for a bad reference.
        raise InstrumentNotFoundError(
            f"id_or_path must be an instrument id (lowercase letters, digits, '_' and '-'), "
            f"an 'id@version' key or a .yaml path; got {id_or_path!r}"
        )
    path = definition_path(instrument_id, version)
    return path, (path.parent.name, path.stem)


def shipped_location(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``(id, version)`` promised by a path inside the definitions folder, else ``None``."""
    path = Path(path).resolve()
    if path.parent.parent == DEFINITIONS:
        return path.parent.name, path.stem
    return None


def _load_bytes(
    raw: bytes, source: str, expected_hash: str | None, location: tuple[str, str] | None
) -> Instrument:
    digest = content_hash(raw)
    if expected_hash is not None and expected_hash.lower() != digest:
        # Checked before validation: an edited used version is the problem to fix, whatever
        # else the edit broke.
        key = f"{location[0]}@{location[1]}" if location else _key_from_text(raw) or source
        raise InstrumentChangedError(key, expected_hash, digest, source)
    return _load_valid(raw, source, digest, location)


@lru_cache(maxsize=64)
def _load_valid(raw: bytes, source: str, digest: str, location: tuple[str, str] | None) -> Instrument:
    # Instruments are immutable, so one parse per distinct text and source is enough; the web
    # app loads the same few versions on every request.
    parsed = parse(raw, source)
    check(parsed, expected_location=location)
    if parsed.problems:
        raise InstrumentError.from_problems(source, parsed.problems)
    return build(parsed.data, source=source, content_hash=digest)


def _key_from_text(raw: bytes) -> str | None:
    parsed = parse(raw)
    data = parsed.data
    if isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("version"), str):
        return f"{data['id']}@{data['version']}"
    return None


def build(data: dict[str, Any], *, source: str | None = None, content_hash: str = "") -> Instrument:
    """Turn validated definition data into an :class:`~instruments.model.Instrument`.

    ``data`` must have passed :func:`instruments.validator.check`; defaults are filled in here.
    """
    languages = tuple(data["languages"])
    scales = {scale_id: _build_scale(scale_id, scale) for scale_id, scale in data["scales"].items()}
    entries = data["items"]
    attributes = tuple(
        Attribute(
            id=attribute["id"],
            name=_frozen(attribute["name"]),
            levels=tuple(
                AttributeLevel(id=level_id, text=_frozen(text))
                for level_id, text in attribute["levels"].items()
            ),
        )
        for attribute in data.get("attributes") or ()
    )
    order = [attribute.id for attribute in attributes]
    items = tuple(_build_item(entry, order) for entry in entries if entry != PAGE_BREAK)
    dimensions = []
    for dimension in data["dimensions"]:
        item_ids = tuple(item.id for item in items if item.dimension == dimension["id"])
        dimensions.append(
            Dimension(
                id=dimension["id"],
                name=_frozen(dimension["name"]),
                description=_frozen(dimension.get("description")),
                item_ids=item_ids,
                min_valid=dimension.get("min_valid", default_min_valid(len(item_ids))),
            )
        )
    prompts = tuple(
        Prompt(id=prompt["id"], text=_frozen(prompt["text"]), dimension=prompt.get("dimension"))
        for prompt in data.get("prompts") or ()
    )
    return Instrument(
        id=data["id"],
        version=data["version"],
        title=_frozen(data["title"]),
        introduction=_frozen(data["introduction"]),
        estimated_minutes=data["estimated_minutes"],
        citation=data["citation"],
        licence=data["licence"],
        languages=languages,
        scales=MappingProxyType(scales),
        dimensions=tuple(dimensions),
        items=items,
        prompts=prompts,
        attributes=attributes,
        pages=_pages(entries, items),
        content_hash=content_hash,
        source=source,
    )


def _build_scale(scale_id: str, scale: dict[str, Any]) -> Scale:
    points = tuple(
        ScalePoint(value=value, labels=_frozen(labels)) for value, labels in sorted(scale["labels"].items())
    )
    return Scale(
        id=scale_id,
        min=points[0].value,
        max=points[-1].value,
        points=points,
        kind=scale.get("kind", "ordinal"),
        prefer_not_to_say="prefer_not_to_say" in scale,
        prefer_not_to_say_labels=_frozen(scale.get("prefer_not_to_say")),
    )


def _build_item(entry: dict[str, Any], attribute_order: list[str]) -> Item:
    perspective = entry.get("perspective", "own")
    target = entry.get("target")
    audience = entry.get("audience")
    if audience is None:
        # A meta item about a team asks that team how the other team sees it.
        audience = [target] if perspective == "meta" and target in ("sales", "marketing") else []
    return Item(
        id=entry["id"],
        text=_frozen(entry["text"]),
        dimension=entry["dimension"],
        scale=entry["scale"],
        reverse=entry.get("reverse", False),
        required=entry.get("required", True),
        target=target,
        perspective=perspective,
        mirrors=entry.get("mirrors"),
        audience=tuple(audience),
        profile=_frozen({a: entry["profile"][a] for a in attribute_order if a in entry.get("profile", {})}),
    )


def _pages(entries: list[Any], items: tuple[Item, ...]) -> tuple[tuple[str, ...], ...]:
    """Item ids per page: split at the page breaks, or one page per dimension without any."""
    if PAGE_BREAK in entries:
        pages: list[list[str]] = [[]]
        for entry in entries:
            if entry == PAGE_BREAK:
                pages.append([])
            else:
                pages[-1].append(entry["id"])
        return tuple(tuple(page) for page in pages if page)
    by_dimension: dict[str, list[str]] = {}  # insertion order = order of first appearance
    for item in items:
        by_dimension.setdefault(item.dimension, []).append(item.id)
    return tuple(tuple(ids) for ids in by_dimension.values())
