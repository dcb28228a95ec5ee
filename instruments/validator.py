"""Check an instrument definition and report every problem in it at once.

The YAML text is *composed* (not loaded) first, so every value keeps the line it came from;
then the plain data is checked field by field. Checks never stop at the first problem: an
author fixing a new instrument wants the whole list, each entry as ``file:line: field: message``.

Public functions: :func:`validate_text` and :func:`validate_file` return the problems (an empty
list means the definition is valid); :func:`parse` also returns the parsed data for the loader.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .model import PERSPECTIVES, TARGETS

__all__ = [
    "FUNCTIONS",
    "MIN_ITEMS_PER_DIMENSION",
    "PAGE_BREAK",
    "SCALE_KINDS",
    "ParsedDefinition",
    "default_min_valid",
    "parse",
    "validate_file",
    "validate_text",
]

#: Team functions an item can be shown to (``audience``).
FUNCTIONS = ("sales", "marketing", "other")
#: Kinds of response scale: ``ordinal`` is numeric and scored, ``categorical`` only codes answers.
SCALE_KINDS = ("ordinal", "categorical")
#: The bare entry in ``items`` that starts a new page.
PAGE_BREAK = "page_break"
#: Fewest items a dimension may have. Fewer items make reliability (alpha, omega) meaningless and
#: a single odd item dominate the scale score.
MIN_ITEMS_PER_DIMENSION = 3

ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]*")
#: Ids inside an instrument (items, dimensions, scales, prompts) may also use capitals.
PART_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
VERSION_PATTERN = re.compile(r"\d+(\.\d+)*")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")

# Field name -> required? (insertion order is the order used in messages)
TOP_LEVEL_FIELDS = {
    "id": True,
    "version": True,
    "title": True,
    "introduction": True,
    "estimated_minutes": True,
    "citation": True,
    "licence": True,
    "languages": True,
    "scales": True,
    "dimensions": True,
    "items": True,
    "prompts": False,
    "attributes": False,
}
SCALE_FIELDS = {"kind": False, "labels": True, "prefer_not_to_say": False}
DIMENSION_FIELDS = {"id": True, "name": True, "description": False, "min_valid": False}
ITEM_FIELDS = {
    "id": True,
    "dimension": True,
    "scale": True,
    "text": True,
    "reverse": False,
    "required": False,
    "target": False,
    "perspective": False,
    "mirrors": False,
    "audience": False,
    "profile": False,
}
ATTRIBUTE_FIELDS = {"id": True, "name": True, "levels": True}
PROMPT_FIELDS = {"id": True, "dimension": False, "text": True}

_MERGE_TAG = "tag:yaml.org,2002:merge"
#: Most values (mapping entries, list elements and plain values) a definition may hold once
#: its YAML aliases are expanded; the shipped instruments hold about 600. An alias may repeat
#: a value that itself repeats others, so a short file can stand for billions of values (the
#: "billion laughs"); such a file is refused instead of expanded.
MAX_VALUES = 100_000
#: Deepest nesting of mappings and lists; a definition needs five levels.
MAX_DEPTH = 32
#: libyaml's loader composes about ten times faster and keeps the same line marks.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FieldPath = tuple[str | int, ...]
"""A field path: mapping keys as ``str``, list positions as ``int``."""


def default_min_valid(item_count: int) -> int:
    """Fewest valid answers a dimension needs by default: half its items, rounded up."""
    return math.ceil(item_count / 2)


def field_path(path: FieldPath) -> str:
    """Format a path as ``items[12].dimension``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def describe(value: Any) -> str:
    """Name a parsed YAML value and its type for a message, e.g. ``integer 5``."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def suggest(value: object, known: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for a near miss among ``known``, else ``""``."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def _join(words: Iterable[str]) -> str:
    return ", ".join(words)


@dataclass
class ParsedDefinition:
    """The plain data of a definition with the line of every field, and the problems found."""

    source: str
    data: Any = None
    lines: dict[FieldPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: FieldPath) -> int | None:
        """Line of ``path``, or of its nearest enclosing field when it has none (e.g. missing)."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def add(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.source, self.line(path), field_path(path), message))


# --- YAML -> plain data with lines ------------------------------------------------------------


def parse(text: str | bytes, source: str = "<string>") -> ParsedDefinition:
    """Parse YAML text into plain data, recording the line of every value.

    Syntax errors, duplicate keys and unsupported YAML features become problems; the data is
    ``None`` when the text cannot be parsed at all.
    """
    parsed = ParsedDefinition(source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            parsed.add((), f"the file is not UTF-8 text ({error.reason} at byte {error.start})")
            return parsed
    try:
        root = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        root = None
    try:
        if root is None:
            # Parse again with the pure-Python loader: its messages are the same on every
            # installation (libyaml words its errors differently), and it names the problem.
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        parsed.problems.append(Problem(source, line, "", f"YAML syntax error: {reason}"))
        return parsed
    except RecursionError:  # the pure-Python composer recurses once per level
        parsed.add((), _too_deep())
        return parsed
    if root is None:
        parsed.add((), "the file is empty")
        return parsed
    constructor = yaml.SafeLoader("")
    try:
        parsed.data = _to_data(root, (), parsed, constructor, _Walk())
    except _TooManyValuesError:
        parsed.data = None
        parsed.add(
            (),
            f"the file holds more than {MAX_VALUES:,} values once its YAML aliases (*name) are expanded; "
            "write the values out instead of repeating aliases of aliases",
        )
    return parsed


class _TooManyValuesError(Exception):
    """Raised out of the walk over a file that expands beyond :data:`MAX_VALUES`."""


class _Walk:
    """What the walk over one file has seen: values so far, and the collections it is inside."""

    def __init__(self) -> None:
        self.values = 0
        self.inside: set[int] = set()


def _too_deep() -> str:
    return f"the values are nested more than {MAX_DEPTH} levels deep; a definition needs five"


def _to_data(
    node: yaml.Node, path: FieldPath, parsed: ParsedDefinition, constructor: yaml.SafeLoader, walk: _Walk
) -> Any:
    parsed.lines.setdefault(path, node.start_mark.line + 1)
    walk.values += 1
    if walk.values > MAX_VALUES:
        raise _TooManyValuesError
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # An alias to a collection that contains the alias would be walked forever.
        if id(node) in walk.inside:
            parsed.add(path, "a YAML alias (*name) refers to a value that contains it; write the value out")
            return None
        if len(path) >= MAX_DEPTH:
            parsed.add(path, _too_deep())
            return None
        walk.inside.add(id(node))
        try:
            return _collection(node, path, parsed, constructor, walk)
        finally:
            walk.inside.discard(id(node))
    return _construct(node, path, parsed, constructor)


def _collection(
    node: yaml.Node, path: FieldPath, parsed: ParsedDefinition, constructor: yaml.SafeLoader, walk: _Walk
) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                parsed.problems.append(
                    Problem(
                        parsed.source, key_line, field_path(path), "YAML merge keys (<<) are not supported"
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                parsed.problems.append(
                    Problem(parsed.source, key_line, field_path(path), "a key must be a plain value")
                )
                continue
            key = _construct(key_node, path, parsed, constructor)
            child = (*path, str(key))
            if key in result:
                parsed.problems.append(
                    Problem(
                        parsed.source,
                        key_line,
                        field_path(child),
                        _duplicate_key_message(path, key, parsed.lines[child]),
                    )
                )
                continue
            parsed.lines[child] = key_line
            result[key] = _to_data(value_node, child, parsed, constructor, walk)
        return result
    return [
        _to_data(child, (*path, index), parsed, constructor, walk) for index, child in enumerate(node.value)
    ]


def _duplicate_key_message(path: FieldPath, key: Any, first_line: int) -> str:
    if path == ("scales",):
        return f"duplicate scale id {key!r} (first defined at line {first_line})"
    return f"duplicate key {key!r} (first at line {first_line}); YAML would keep only the last"


def _construct(
    node: yaml.Node, path: FieldPath, parsed: ParsedDefinition, constructor: yaml.SafeLoader
) -> Any:
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as error:
        message = getattr(error, "problem", None) or str(error)
        parsed.problems.append(
            Problem(
                parsed.source, node.start_mark.line + 1, field_path(path), f"cannot read value: {message}"
            )
        )
        return None


# --- the checks -------------------------------------------------------------------------------


def validate_text(text: str | bytes, source: str = "<string>") -> list[Problem]:
    """Return every problem in the definition ``text`` (empty when it is valid)."""
    parsed = parse(text, source)
    check(parsed)
    return parsed.problems


def validate_file(path: str | Path, *, expected_location: tuple[str, str] | None = None) -> list[Problem]:
    """Return every problem in the definition file at ``path`` (empty when it is valid).

    ``expected_location`` is the ``(id, version)`` the file's place in the definitions folder
    promises (``definitions/<id>/<version>.yaml``); a file that says otherwise is a problem.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [Problem(str(path), None, "", f"cannot read the file: {error.strerror or error}")]
    parsed = parse(raw, str(path))
    check(parsed, expected_location=expected_location)
    return parsed.problems


def check(parsed: ParsedDefinition, *, expected_location: tuple[str, str] | None = None) -> None:
    """Add the problems of ``parsed.data`` to ``parsed.problems``."""
    if parsed.data is None:
        return
    _DefinitionChecker(parsed).run(expected_location)
    parsed.problems.sort(key=lambda problem: problem.line if problem.line is not None else 0)


@dataclass
class _ItemFacts:
    """What cross-checks need to know about one valid-looking item."""

    index: int
    id: str
    target: str | None
    target_valid: bool
    perspective: str | None  # None when the file gives an invalid one
    mirrors: str | None


class _DefinitionChecker:
    """Walks the parsed data once, adding problems; cross-references are checked at the end."""

    def __init__(self, parsed: ParsedDefinition) -> None:
        self.parsed = parsed
        self.data = parsed.data
        self.languages: tuple[str, ...] = ()
        self.scale_kinds: dict[str, str] = {}
        self.dimension_ids: dict[str, int] = {}  # id -> position in dimensions
        self.dimension_items: dict[str, list[str]] = {}
        self.items: dict[str, _ItemFacts] = {}
        #: Attribute id -> its level ids, for the attributes defined validly enough to check against.
        self.attributes: dict[str, list[str]] = {}
        self.attribute_positions: dict[str, int] = {}
        #: Item id -> (position in items, profile), for the items that show a profile.
        self.profiles: dict[str, tuple[int, dict[Any, Any]]] = {}

    def add(self, path: FieldPath, message: str) -> None:
        self.parsed.add(path, message)

    # generic checks, each returning whether the value is usable

    def mapping(
        self,
        value: Any,
        path: FieldPath,
        fields: Mapping[str, bool],
        missing_messages: Mapping[str, str] | None = None,
    ) -> bool:
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping with the keys {_join(fields)}, got {describe(value)}")
            return False
        for key in value:
            if key not in fields:
                hint = suggest(key, fields) or f"; allowed keys are {_join(fields)}"
                self.add((*path, str(key)), f"unknown key {key!r}{hint}")
        for name, required in fields.items():
            if required and name not in value:
                message = (missing_messages or {}).get(name, "required field is missing")
                self.add((*path, name), message)
        return True

    def text(self, value: Any, path: FieldPath, *, allow_empty: bool = False) -> bool:
        if not isinstance(value, str):
            hint = ""
            if isinstance(value, bool):
                hint = " (YAML reads unquoted yes/no/on/off/true/false as booleans: put the text in quotes)"
            elif isinstance(value, int | float):
                hint = " (put it in quotes)"
            self.add(path, f"must be text, got {describe(value)}{hint}")
            return False
        if not allow_empty and not value.strip():
            self.add(path, "must not be empty")
            return False
        return True

    def identifier(self, value: Any, path: FieldPath, pattern: re.Pattern[str] = PART_ID_PATTERN) -> bool:
        if not self.text(value, path):
            return False
        if not pattern.fullmatch(value):
            allowed = "lowercase letters" if pattern is ID_PATTERN else "letters"
            self.add(
                path,
                f"{value!r} is not a valid id: use {allowed}, digits, '_' and '-', starting with a letter",
            )
            return False
        return True

    def boolean(self, value: Any, path: FieldPath) -> bool:
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, got {describe(value)}")
            return False
        return True

    def whole_number(self, value: Any, path: FieldPath) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be a whole number, got {describe(value)}")
            return False
        return True

    def choice(self, value: Any, path: FieldPath, allowed: tuple[str, ...]) -> bool:
        if not isinstance(value, str) or value not in allowed:
            self.add(path, f"must be one of {_join(allowed)}, got {describe(value)}{suggest(value, allowed)}")
            return False
        return True

    def reference(self, value: Any, path: FieldPath, known: Iterable[str], what: str) -> bool:
        if not self.text(value, path):
            return False
        known = list(known)
        if value not in known:
            hint = suggest(value, known) or (f"; the {what}s are {_join(known)}" if known else "")
            self.add(path, f"unknown {what} {value!r}{hint}")
            return False
        return True

    def translations(self, value: Any, path: FieldPath) -> None:
        """A text given per language: every declared language, non-empty, nothing undeclared."""
        if not isinstance(value, dict):
            example = ", ".join(f"{code}: ..." for code in self.languages) or "en: ..."
            self.add(
                path, f"must be a mapping of language to text such as {{{example}}}, got {describe(value)}"
            )
            return
        for code, text in value.items():
            if not isinstance(code, str):
                self.add((*path, str(code)), f"a language code must be text, got {describe(code)}")
            elif self.languages and code not in self.languages:
                self.add(
                    (*path, code),
                    f"text in {code!r}, a language not declared in languages ({_join(self.languages)})",
                )
            else:
                self.text(text, (*path, code))
        for code in self.languages:
            if code not in value:
                self.add(
                    (*path, code),
                    f"the {code!r} text is missing (languages declares {_join(self.languages)})",
                )

    def unique_id(self, value: str, path: FieldPath, seen: dict[str, FieldPath], what: str) -> bool:
        if value in seen:
            self.add(
                path, f"duplicate {what} id {value!r} (first defined at line {self.parsed.line(seen[value])})"
            )
            return False
        seen[value] = path
        return True

    def list_of(self, value: Any, path: FieldPath, what: str) -> bool:
        if not isinstance(value, list):
            self.add(path, f"must be a list of {what}, got {describe(value)}")
            return False
        if not value:
            self.add(path, f"must contain at least one {what.rstrip('s')}")
            return False
        return True

    # the definition

    def run(self, expected_location: tuple[str, str] | None) -> None:
        data = self.data
        if not self.mapping(data, (), TOP_LEVEL_FIELDS):
            return
        self.check_languages(data.get("languages"))
        if "id" in data and self.identifier(data["id"], ("id",), ID_PATTERN) and expected_location:
            expected_id = expected_location[0]
            if data["id"] != expected_id:
                self.add(
                    ("id",), f"the file lies in the folder {expected_id!r}, so its id must be {expected_id!r}"
                )
        if "version" in data:
            self.check_version(data["version"], expected_location)
        for name in ("title", "introduction"):
            if name in data:
                self.translations(data[name], (name,))
        if "estimated_minutes" in data:
            minutes = data["estimated_minutes"]
            if self.whole_number(minutes, ("estimated_minutes",)) and minutes < 1:
                self.add(("estimated_minutes",), f"must be at least 1, got {minutes}")
        if "citation" in data:
            self.text(data["citation"], ("citation",), allow_empty=True)
        if "licence" in data:
            self.text(data["licence"], ("licence",))
        if "scales" in data:
            self.check_scales(data["scales"])
        if "dimensions" in data:
            self.check_dimensions(data["dimensions"])
        if "attributes" in data:
            self.check_attributes(data["attributes"])
        if "items" in data:
            self.check_items(data["items"])
        self.check_dimension_sizes()
        self.check_mirrors()
        self.check_design()
        if "prompts" in data:
            self.check_prompts(data["prompts"])

    def check_languages(self, value: Any) -> None:
        path: FieldPath = ("languages",)
        if value is None and "languages" not in self.data:
            return
        if not self.list_of(value, path, "language codes"):
            return
        codes: list[str] = []
        for index, code in enumerate(value):
            if isinstance(code, bool):
                self.add(
                    (*path, index),
                    f"must be a language code, got {describe(code)}; put the code in quotes "
                    f"(YAML reads unquoted no/yes/on/off as booleans)",
                )
            elif not isinstance(code, str) or not LANGUAGE_PATTERN.fullmatch(code):
                self.add(
                    (*path, index), f"must be a language code such as 'en' or 'pt-BR', got {describe(code)}"
                )
            elif code in codes:
                self.add((*path, index), f"language {code!r} is listed twice")
            else:
                codes.append(code)
        self.languages = tuple(codes)

    def check_version(self, value: Any, expected_location: tuple[str, str] | None) -> None:
        path: FieldPath = ("version",)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.add(
                path,
                f'must be text such as "1.0" in quotes (unquoted, YAML reads a number), '
                f"got {describe(value)}",
            )
            return
        if not self.text(value, path):
            return
        if not VERSION_PATTERN.fullmatch(value):
            self.add(
                path, f"{value!r} is not a valid version: use numbers separated by dots, such as 1.0 or 2.1.3"
            )
        elif expected_location and value != expected_location[1]:
            self.add(
                path,
                f"the file is named {expected_location[1]}.yaml, "
                f"so its version must be {expected_location[1]!r}",
            )

    def check_scales(self, value: Any) -> None:
        path: FieldPath = ("scales",)
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of scale id to scale, got {describe(value)}")
            return
        if not value:
            self.add(path, "must define at least one scale")
        for scale_id, scale in value.items():
            scale_path = (*path, str(scale_id))
            id_ok = self.identifier(scale_id, scale_path)
            if not self.mapping(scale, scale_path, SCALE_FIELDS):
                continue
            kind = scale.get("kind", "ordinal")
            if not self.choice(kind, (*scale_path, "kind"), SCALE_KINDS):
                kind = "ordinal"
            if id_ok:
                self.scale_kinds[scale_id] = kind
            if "labels" in scale:
                self.check_labels(scale["labels"], (*scale_path, "labels"))
            if "prefer_not_to_say" in scale:
                self.translations(scale["prefer_not_to_say"], (*scale_path, "prefer_not_to_say"))

    def check_labels(self, labels: Any, path: FieldPath) -> None:
        if not isinstance(labels, dict):
            self.add(path, f"must be a mapping of answer code to labels, got {describe(labels)}")
            return
        points: list[int] = []
        for code, label in labels.items():
            if isinstance(code, bool) or not isinstance(code, int):
                self.add((*path, str(code)), f"an answer code must be a whole number, got {describe(code)}")
                continue
            points.append(code)
            self.translations(label, (*path, str(code)))
        if len(points) < 2:
            self.add(path, "a scale needs at least two labelled points")
            return
        low, high = min(points), max(points)
        missing = sorted(set(range(low, high + 1)) - set(points))
        if missing:
            self.add(
                path,
                f"no label for {_join(str(point) for point in missing)}: "
                f"every whole number from {low} to {high} needs a label",
            )

    def check_dimensions(self, value: Any) -> None:
        path: FieldPath = ("dimensions",)
        if not self.list_of(value, path, "dimensions"):
            return
        seen: dict[str, FieldPath] = {}
        for index, dimension in enumerate(value):
            dimension_path = (*path, index)
            if not self.mapping(dimension, dimension_path, DIMENSION_FIELDS):
                continue
            dimension_id = dimension.get("id")
            if "id" in dimension and self.identifier(dimension_id, (*dimension_path, "id")):
                if self.unique_id(dimension_id, (*dimension_path, "id"), seen, "dimension"):
                    self.dimension_ids[dimension_id] = index
                    self.dimension_items[dimension_id] = []
            if "name" in dimension:
                self.translations(dimension["name"], (*dimension_path, "name"))
            if "description" in dimension:
                self.translations(dimension["description"], (*dimension_path, "description"))
            if "min_valid" in dimension:
                self.whole_number(dimension["min_valid"], (*dimension_path, "min_valid"))

    def check_items(self, value: Any) -> None:
        path: FieldPath = ("items",)
        if not self.list_of(value, path, "items"):
            return
        seen: dict[str, FieldPath] = {}
        previous_was_break = True  # a break before the first item would make an empty page
        for index, entry in enumerate(value):
            entry_path = (*path, index)
            if isinstance(entry, str):
                if entry != PAGE_BREAK:
                    hint = suggest(entry, [PAGE_BREAK]) or f"; the only bare entry allowed is {PAGE_BREAK!r}"
                    self.add(entry_path, f"unknown entry {entry!r}{hint}")
                elif previous_was_break:
                    where = "at the start of items" if index == 0 else "right after another page_break"
                    self.add(entry_path, f"page_break {where} makes an empty page")
                previous_was_break = True
                continue
            previous_was_break = False
            if not isinstance(entry, dict):
                self.add(entry_path, f"must be an item (a mapping) or {PAGE_BREAK!r}, got {describe(entry)}")
                continue
            self.check_item(entry, index, seen)
        if value and value[-1] == PAGE_BREAK and len(value) > 1:
            self.add((*path, len(value) - 1), "page_break at the end of items makes an empty page")

    def check_item(self, item: dict[Any, Any], index: int, seen: dict[str, FieldPath]) -> None:
        path: FieldPath = ("items", index)
        item_id = item.get("id")
        id_ok = "id" in item and isinstance(item_id, str) and item_id.strip() != ""
        name = f"item {item_id!r}" if id_ok else "the item"
        self.mapping(
            item, path, ITEM_FIELDS, {"dimension": f"{name} is in no dimension: add 'dimension: <id>'"}
        )
        unique = False
        if "id" in item:
            id_ok = self.identifier(item_id, (*path, "id"))
            unique = id_ok and self.unique_id(item_id, (*path, "id"), seen, "item")
        if "dimension" in item:
            known = self.reference(item["dimension"], (*path, "dimension"), self.dimension_ids, "dimension")
            if known and id_ok:
                # A duplicate id still counts here, so the size check does not add a second
                # problem for the same mistake.
                self.dimension_items[item["dimension"]].append(item_id)
        scale_id = item.get("scale")
        scale_known = "scale" in item and self.reference(
            scale_id, (*path, "scale"), self.scale_kinds, "scale"
        )
        if "text" in item:
            self.translations(item["text"], (*path, "text"))
        if "required" in item:
            self.boolean(item["required"], (*path, "required"))
        reverse = item.get("reverse", False)
        if "reverse" in item and self.boolean(reverse, (*path, "reverse")) and reverse:
            if scale_known and self.scale_kinds[scale_id] == "categorical":
                self.add(
                    (*path, "reverse"),
                    f"{name} is reverse-keyed but its scale {scale_id!r} is categorical; "
                    f"only ordinal scales can be reversed",
                )
        target = item.get("target")
        target_valid = "target" not in item or self.choice(target, (*path, "target"), TARGETS)
        perspective = item.get("perspective", "own")
        if "perspective" in item and not self.choice(perspective, (*path, "perspective"), PERSPECTIVES):
            perspective = None
        if perspective == "meta" and "target" not in item:
            self.add(
                (*path, "target"),
                f"{name} is a meta-perception item and needs a target ({_join(TARGETS)}): "
                f"the team or system whose rating it anticipates",
            )
        mirrors = item.get("mirrors")
        if "mirrors" in item:
            if perspective == "own":
                self.add(
                    (*path, "mirrors"),
                    "only meta-perception items (perspective: meta) can mirror another item",
                )
                mirrors = None
            elif not self.text(mirrors, (*path, "mirrors")):
                mirrors = None
        if "audience" in item:
            self.check_audience(item["audience"], (*path, "audience"))
        if "profile" in item:
            self.check_profile(item["profile"], (*path, "profile"), name)
            if scale_known and self.scale_kinds[scale_id] != "ordinal":
                self.add(
                    (*path, "scale"),
                    f"{name} is a vignette, so its judgement scale {scale_id!r} must be ordinal "
                    f"(ordered from 'not a lead' to 'ready for sales'), not categorical",
                )
            if id_ok and isinstance(item["profile"], dict):
                self.profiles.setdefault(item_id, (index, item["profile"]))
        if unique:
            self.items[item_id] = _ItemFacts(index, item_id, target, target_valid, perspective, mirrors)

    def check_attributes(self, value: Any) -> None:
        path: FieldPath = ("attributes",)
        if not self.list_of(value, path, "attributes"):
            return
        seen: dict[str, FieldPath] = {}
        for index, attribute in enumerate(value):
            attribute_path = (*path, index)
            if not self.mapping(attribute, attribute_path, ATTRIBUTE_FIELDS):
                continue
            attribute_id = attribute.get("id")
            id_ok = (
                "id" in attribute
                and self.identifier(attribute_id, (*attribute_path, "id"))
                and self.unique_id(attribute_id, (*attribute_path, "id"), seen, "attribute")
            )
            if "name" in attribute:
                self.translations(attribute["name"], (*attribute_path, "name"))
            if "levels" not in attribute:
                continue
            levels = attribute["levels"]
            levels_path = (*attribute_path, "levels")
            if not isinstance(levels, dict):
                self.add(levels_path, f"must be a mapping of level id to its text, got {describe(levels)}")
                continue
            level_ids = []
            for level_id, text in levels.items():
                if self.identifier(level_id, (*levels_path, str(level_id))):
                    level_ids.append(level_id)
                self.translations(text, (*levels_path, str(level_id)))
            if len(levels) < 2:
                self.add(levels_path, "an attribute needs at least two levels for its weight to be estimated")
            if id_ok:
                self.attributes[attribute_id] = level_ids
                self.attribute_positions[attribute_id] = index

    def check_profile(self, value: Any, path: FieldPath, name: str) -> None:
        if "attributes" not in self.data:
            self.add(path, f"{name} has a profile, but the instrument defines no attributes")
            return
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of attribute id to level id, got {describe(value)}")
            return
        for attribute_id, level_id in value.items():
            if not self.reference(attribute_id, (*path, str(attribute_id)), self.attributes, "attribute"):
                continue
            self.reference(level_id, (*path, str(attribute_id)), self.attributes[attribute_id], "level")
        for attribute_id in self.attributes:
            if attribute_id not in value:
                self.add((*path, attribute_id), f"{name} shows no level of attribute {attribute_id!r}")

    def check_design(self) -> None:
        """Every level appears in some vignette, and no two vignettes show the same profile."""
        if not self.profiles:
            return
        shown: dict[str, set[Any]] = {attribute: set() for attribute in self.attributes}
        seen: dict[tuple[Any, ...], str] = {}
        for item_id, (index, profile) in self.profiles.items():
            for attribute, level in profile.items():
                if attribute in shown:
                    shown[attribute].add(level)
            key = tuple(sorted((str(a), str(level)) for a, level in profile.items()))
            if key in seen:
                self.add(
                    ("items", index, "profile"),
                    f"vignette {item_id!r} shows the same profile as {seen[key]!r}",
                )
            else:
                seen[key] = item_id
        for attribute, levels in self.attributes.items():
            position = self.attribute_positions[attribute]
            unused = [level for level in levels if level not in shown[attribute]]
            if unused:
                self.add(
                    ("attributes", position, "levels"),
                    f"no vignette shows level(s) {_join(str(u) for u in unused)} of attribute {attribute!r}, "
                    f"so its weight cannot be estimated",
                )

    def check_audience(self, value: Any, path: FieldPath) -> None:
        if not isinstance(value, list):
            example = f"[{value}]" if isinstance(value, str) else "[sales]"
            self.add(path, f"must be a list of team functions such as {example}, got {describe(value)}")
            return
        if not value:
            self.add(path, "must name at least one team function; leave it out to show the item to everyone")
        listed: list[str] = []
        for index, function in enumerate(value):
            if self.choice(function, (*path, index), FUNCTIONS):
                if function in listed:
                    self.add((*path, index), f"function {function!r} is listed twice")
                listed.append(function)

    def check_dimension_sizes(self) -> None:
        dimensions = self.data.get("dimensions")
        if "items" not in self.data or not isinstance(dimensions, list):
            return
        for dimension_id, position in self.dimension_ids.items():
            count = len(self.dimension_items[dimension_id])
            path: FieldPath = ("dimensions", position)
            if count < MIN_ITEMS_PER_DIMENSION:
                have = "no items" if count == 0 else f"only {count} item{'s' if count > 1 else ''}"
                self.add(
                    path,
                    f"dimension {dimension_id!r} has {have}; a dimension needs at least "
                    f"{MIN_ITEMS_PER_DIMENSION} to be scored",
                )
            min_valid = dimensions[position].get("min_valid")
            if isinstance(min_valid, int) and not isinstance(min_valid, bool) and count:
                if not 1 <= min_valid <= count:
                    self.add(
                        (*path, "min_valid"),
                        f"must be between 1 and {count} (the number of items in {dimension_id!r}), "
                        f"got {min_valid}",
                    )

    def check_mirrors(self) -> None:
        for facts in self.items.values():
            if facts.mirrors is None:
                continue
            path: FieldPath = ("items", facts.index, "mirrors")
            mirrored = self.items.get(facts.mirrors)
            if mirrored is None:
                hint = suggest(facts.mirrors, self.items) or ""
                self.add(path, f"unknown item {facts.mirrors!r}{hint}")
            elif mirrored.perspective != "own":
                self.add(path, f"mirrors {facts.mirrors!r}, which is not an own-perspective item")
            elif (
                facts.target is not None
                and facts.target_valid
                and mirrored.target_valid
                and mirrored.target != facts.target
            ):
                self.add(
                    path,
                    f"mirrors {facts.mirrors!r}, whose target is "
                    f"{repr(mirrored.target) if mirrored.target else 'not set'} instead of {facts.target!r}",
                )

    def check_prompts(self, value: Any) -> None:
        path: FieldPath = ("prompts",)
        if not isinstance(value, list):
            self.add(path, f"must be a list of prompts, got {describe(value)}")
            return
        seen: dict[str, FieldPath] = {}
        for index, prompt in enumerate(value):
            prompt_path = (*path, index)
            if not self.mapping(prompt, prompt_path, PROMPT_FIELDS):
                continue
            prompt_id = prompt.get("id")
            if "id" in prompt and self.identifier(prompt_id, (*prompt_path, "id")):
                if (
                    self.unique_id(prompt_id, (*prompt_path, "id"), seen, "prompt")
                    and prompt_id in self.items
                ):
                    # Answers to items and prompts are stored by id side by side.
                    self.add((*prompt_path, "id"), f"prompt id {prompt_id!r} is also an item id")
            if "dimension" in prompt:
                self.reference(
                    prompt["dimension"], (*prompt_path, "dimension"), self.dimension_ids, "dimension"
                )
            if "text" in prompt:
                self.translations(prompt["text"], (*prompt_path, "text"))
