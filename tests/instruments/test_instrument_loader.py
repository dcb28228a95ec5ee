"""Loading instruments: shipped files, paths, stored texts, versions and the changed-hash refusal."""

import dataclasses
import hashlib
from pathlib import Path

import pytest

import instruments
from instruments import (
    InstrumentChangedError,
    InstrumentError,
    InstrumentNotFoundError,
    InstrumentRef,
    available,
    content_hash,
    load,
    loads,
    read_definition,
    validate_file,
    version_key,
)
from instruments import loader as loader_module

SHIPPED = sorted((Path(instruments.__file__).parent / "definitions").glob("*/*.yaml"))


def test_at_least_one_instrument_is_shipped():
    assert SHIPPED, "no instrument files under instruments/definitions/"


@pytest.mark.parametrize("path", SHIPPED, ids=[f"{path.parent.name}@{path.stem}" for path in SHIPPED])
def test_every_shipped_file_loads_and_validates(path):
    assert [
        str(problem) for problem in validate_file(path, expected_location=(path.parent.name, path.stem))
    ] == []
    instrument = load(path.parent.name, path.stem)
    assert (instrument.id, instrument.version) == (path.parent.name, path.stem)
    assert instrument.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert InstrumentRef(instrument.id, instrument.version) in available()
    # Every item is on exactly one page, in display order.
    assert tuple(item_id for page in instrument.pages for item_id in page) == instrument.item_ids
    for dimension in instrument.dimensions:
        assert 1 <= dimension.min_valid <= len(dimension.item_ids)


def test_load_a_path_outside_the_package(valid_path):
    instrument = load(valid_path)
    assert instrument.key == "fixture_check@1.0"
    assert instrument.source == str(valid_path.resolve())
    assert instrument.languages == ("en", "de")
    assert instrument.default_language == "en"
    assert instrument.item_ids == ("cl_1", "cl_2", "cl_3", "tr_own", "tr_meta", "tr_3")
    assert instrument.pages == (("cl_1", "cl_2", "cl_3"), ("tr_own", "tr_meta", "tr_3"))
    assert [(d.id, d.item_ids, d.min_valid) for d in instrument.dimensions] == [
        ("clarity", ("cl_1", "cl_2", "cl_3"), 2),  # default: ceil(3 / 2)
        ("trust", ("tr_own", "tr_meta", "tr_3"), 3),
    ]
    agree5 = instrument.scales["agree5"]
    assert (agree5.min, agree5.max, agree5.values, agree5.kind) == (1, 5, (1, 2, 3, 4, 5), "ordinal")
    assert agree5.points[2].label("de") == "Teils, teils"
    assert agree5.prefer_not_to_say is True
    assert dict(agree5.prefer_not_to_say_labels) == {"en": "Prefer not to say", "de": "Keine Angabe"}
    cl_3 = instrument.item("cl_3")
    assert (cl_3.reverse, cl_3.required, cl_3.perspective, cl_3.audience) == (True, False, "own", ())
    meta = instrument.item("tr_meta")
    # A meta item about marketing is asked of marketing unless the file says otherwise.
    assert (meta.target, meta.perspective, meta.mirrors, meta.audience) == (
        "marketing",
        "meta",
        "tr_own",
        ("marketing",),
    )
    assert instrument.item("tr_3").audience == ("sales", "other")
    assert [(p.id, p.dimension) for p in instrument.prompts] == [
        ("comment_trust", "trust"),
        ("comment_general", None),
    ]


def test_without_page_breaks_each_dimension_is_a_page(edited, valid_text):
    lines = valid_text.splitlines(keepends=True)
    clarity, trust = "".join(lines[20:23]), "".join(lines[23:27])  # the two dimension entries
    text = edited(("  - page_break\n", ""), (clarity + trust, trust + clarity))
    instrument = loads(text)
    assert [dimension.id for dimension in instrument.dimensions] == ["trust", "clarity"]
    # Pages follow the order in which dimensions first appear among the items.
    assert instrument.pages == (("cl_1", "cl_2", "cl_3"), ("tr_own", "tr_meta", "tr_3"))


def test_loaded_instruments_are_immutable(valid_path):
    instrument = load(valid_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        instrument.version = "2.0"
    with pytest.raises(TypeError):
        instrument.item("cl_1").text["en"] = "changed"
    with pytest.raises(TypeError):
        instrument.scales["agree7"] = instrument.scales["agree5"]


def test_loads_matches_load_and_is_cached(valid_path, valid_text):
    from_text = loads(valid_text, "stored")
    from_file = load(valid_path)
    assert dataclasses.replace(from_text, source=None) == dataclasses.replace(from_file, source=None)
    assert from_text.source == "stored"
    assert loads(valid_text, "stored") is from_text


def test_content_hash_is_sha256_of_the_bytes():
    assert content_hash(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert content_hash("äbc") == hashlib.sha256("äbc".encode()).hexdigest()
    with pytest.raises(TypeError, match="text_or_bytes must be str or bytes"):
        content_hash(42)


def test_read_definition_keeps_the_bytes(tmp_path, valid_text):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(valid_text.replace("\n", "\r\n").encode("utf-8"))
    text = read_definition(path)
    assert "\r\n" in text
    assert content_hash(text) == load(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_matching_hash_loads(valid_path):
    digest = hashlib.sha256(valid_path.read_bytes()).hexdigest()
    assert load(valid_path, expected_hash=digest).content_hash == digest
    assert loads(valid_path.read_bytes(), expected_hash=digest.upper()).content_hash == digest


def test_changed_file_is_refused(valid_path, valid_text):
    used_hash = content_hash(valid_text)
    edited_text = valid_text.replace("Our plan for this year is written down.", "Our plan is written down.")
    with pytest.raises(InstrumentChangedError) as caught:
        loads(edited_text, "stored", expected_hash=used_hash)
    error = caught.value
    assert (error.key, error.expected_hash, error.actual_hash) == (
        "fixture_check@1.0",
        used_hash,
        content_hash(edited_text),
    )
    message = str(error)
    assert "the file of fixture_check@1.0 (stored) changed after a wave used it" in message
    assert "the author must publish the change as a new version instead of editing a used one" in message
    assert isinstance(error, InstrumentError)


def test_changed_and_broken_file_is_refused_as_changed(valid_text):
    # The edit is what must be undone; its validation problems come second.
    with pytest.raises(InstrumentChangedError, match="changed after a wave used it"):
        loads(
            valid_text.replace("estimated_minutes: 3", "estimated_minutes: x"),
            expected_hash=content_hash(valid_text),
        )


@pytest.fixture
def definitions(tmp_path, monkeypatch, valid_text):
    """A definitions folder with fixture_check 1.2, 1.9 and 1.10 (and a stray file)."""
    folder = tmp_path / "definitions" / "fixture_check"
    folder.mkdir(parents=True)
    for version in ("1.2", "1.9", "1.10"):
        (folder / f"{version}.yaml").write_text(
            valid_text.replace('version: "1.0"', f'version: "{version}"'), "utf-8"
        )
    (folder / "notes.txt").write_text("not an instrument", "utf-8")
    monkeypatch.setattr(loader_module, "DEFINITIONS", tmp_path / "definitions")
    return tmp_path / "definitions"


def test_versions_compare_by_numeric_parts(definitions):
    assert version_key("1.10") > version_key("1.9")
    assert available() == [("fixture_check", "1.2"), ("fixture_check", "1.9"), ("fixture_check", "1.10")]
    assert load("fixture_check").version == "1.10"
    assert load("fixture_check", "1.9").version == "1.9"
    assert load("fixture_check@1.2").version == "1.2"
    assert available()[0].key == "fixture_check@1.2"
    assert available()[0].path == definitions / "fixture_check" / "1.2.yaml"


def test_hash_refusal_names_the_shipped_version(definitions):
    with pytest.raises(InstrumentChangedError, match="the file of fixture_check@1.9 .* changed after a wave"):
        load("fixture_check", "1.9", expected_hash="0" * 64)


def test_a_shipped_file_must_match_its_place(definitions, valid_text):
    (definitions / "fixture_check" / "2.0.yaml").write_text(valid_text, "utf-8")
    with pytest.raises(InstrumentError) as caught:
        load("fixture_check", "2.0")
    assert [(problem.field, problem.message) for problem in caught.value.problems] == [
        ("version", "the file is named 2.0.yaml, so its version must be '2.0'")
    ]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            ("nothing_here",),
            InstrumentNotFoundError,
            "no instrument 'nothing_here' is shipped (available: fixture_check)",
        ),
        (
            ("fixture_check", "3.0"),
            InstrumentNotFoundError,
            "instrument 'fixture_check' has no version '3.0' (available: 1.2, 1.9, 1.10)",
        ),
        (
            ("fixture_check@1.2", "1.9"),
            ValueError,
            "version '1.9' contradicts the key 'fixture_check@1.2'; pass one of them",
        ),
        (("Fixture Check",), InstrumentNotFoundError, "id_or_path must be an instrument id"),
        (("missing/file.yaml",), InstrumentNotFoundError, "no instrument file at"),
    ],
)
def test_bad_arguments(definitions, arguments, error, message):
    with pytest.raises(error) as caught:
        load(*arguments)
    assert message in str(caught.value)


def test_a_path_takes_no_version(valid_path):
    with pytest.raises(ValueError, match="version must be None when id_or_path is a file path"):
        load(valid_path, "1.0")


@pytest.mark.parametrize("bad", ["1.0a", "", "v2", 1.0])
def test_version_key_rejects_non_numeric_versions(bad):
    with pytest.raises(ValueError, match="version must be numbers separated by dots"):
        version_key(bad)
