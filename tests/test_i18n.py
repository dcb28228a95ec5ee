"""The catalogues: complete in every shipped language, in step with the code, no text left outside them."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from survey import i18n

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [language for language in i18n.LANGUAGES if language != "en"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None,
            "translate": (2,), "translate_plural": (2, 3)}  # fmt: skip

#: Words that are the same in every language (names, file formats, units).
SAME_EVERYWHERE = {"Mindgap", "CSV", "XLSX", "PDF", "API", "JSON", "UTC", "SMTP", "URL", "ICC", "OK", "rwg",
                   "Excel", "Hedges", "g", "p", "alpha", "omega", "Cronbach", "McDonald"}  # fmt: skip
#: Attributes whose values people read (or hear, with a screen reader).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description"}


def catalogue(language: str):
    path = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def extracted() -> set:
    """The messages the code and templates mark, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message)
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)\}", text)) | set(re.findall(r"%\((\w+)\)s", text))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_a_shipped_language_is_translated_and_not_fuzzy(language):
    untranslated, fuzzy, broken = [], [], []
    for message in catalogue(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if not all(strings):
            untranslated.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
        for string in strings:
            if string and placeholders(string) != placeholders(ids[0]):
                broken.append(f"{ids[0]!r} -> {string!r}")
    assert not untranslated, f"{len(untranslated)} untranslated in {language}, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}, e.g. {fuzzy[:5]}"
    assert not broken, f"placeholders differ in {language}: {broken[:5]}"


def test_the_catalogues_hold_exactly_what_the_code_marks():
    """`make messages` was run after the last change of a text: nothing missing, nothing stale."""
    marked = extracted()
    for language in TRANSLATED:
        held = {message.id for message in catalogue(language) if message.id}
        missing = sorted(str(m) for m in marked - held)
        stale = sorted(str(m) for m in held - marked)
        assert not missing, f"{len(missing)} texts missing in {language} (run make messages): {missing[:5]}"
        assert not stale, f"{len(stale)} texts in {language} the code no longer has: {stale[:5]}"


def _plain(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_catalogue(language):
    """The shipped .mo file was compiled from the .po file as it is now (its translated messages)."""
    source = {
        _plain(m.id): _plain(m.string)
        for m in catalogue(language)
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    with (i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, "run make messages and commit the .mo files"


class _ReadText(HTMLParser):
    """Collects what a reader sees: text outside scripts and styles, and the read attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def english_words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", text.replace("\x00", " "))
    return [word for word in words if word not in SAME_EVERYWHERE]


def literal_template_text(path: Path) -> list[str]:
    """Words written straight into a template, outside ``_()`` and ``{% trans %}``."""
    environment = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    tree = environment.parse(path.read_text("utf-8"))
    pieces = []
    for node in tree.find_all((nodes.TemplateData, nodes.Output)):
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                pieces.append(child.data if isinstance(child, nodes.TemplateData) else "\x00")
    reader = _ReadText()
    reader.feed("".join(pieces))
    reader.close()
    return [word for text in reader.texts for word in english_words(text)]


@pytest.mark.parametrize("path", sorted((ROOT / "templates").rglob("*.html")), ids=lambda p: str(p.name))
def test_no_template_writes_text_outside_the_catalogue(path):
    words = literal_template_text(path)
    assert not words, f"{path.relative_to(ROOT)} writes {words[:8]} outside _() or {{% trans %}}"


#: Calls whose first argument is shown to people as it is.
SHOWN = {"flash", "ServiceError", "ValidationError", "StopValidation", "BadRequest"}
#: The command line speaks English to operators (its messages are not in the catalogue).
COMMAND_LINE = {"cli.py", "commands.py", "action_commands.py", "privacy_commands.py"}


def _literal(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_literal(value) for value in node.values)
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    return False


def test_no_message_shown_to_people_is_a_bare_literal():
    """flash() and the errors shown to people take their text through the catalogue."""
    found = []
    for path in sorted((ROOT / "survey").rglob("*.py")):
        if path.name in COMMAND_LINE:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in SHOWN and _literal(node.args[0]):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"{len(found)} shown texts outside _(): {found[:10]}"


def test_numbers_and_dates_follow_the_language():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert i18n.format_number(1234.5, 1, "de") == "1234,5"
    assert i18n.format_number(-0.25, 2, "fr") == "\u22120,25"
    assert i18n.format_number(-0.001, 2, "en") == "0.00"
    assert i18n.format_number(float("nan"), 2, "es") == "–"
    assert i18n.format_number(0.5, 1, "en", sign=True) == "+0.5"
    assert i18n.format_percentage(0.42, "de") == "42\xa0%"
    assert i18n.format_percentage(0.42, "en") == "42%"
    moment = datetime(2026, 12, 18, 16, 0)
    assert i18n.readable_date(moment, "en") == "Friday, 18 December 2026, 16:00 UTC"
    berlin = i18n.readable_date(moment, "fr", ZoneInfo("Europe/Berlin"))
    assert berlin.startswith("vendredi 18 décembre 2026")
    assert "17:00" in berlin
    assert "Europe/Berlin" in berlin
    assert i18n.short_date(moment, "es") == "18 de diciembre de 2026"


def test_the_language_of_a_request_follows_the_view_then_the_user_then_the_browser(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr-CH, de;q=0.8"}):
        assert i18n.current_language() == "fr"
        i18n.use_language("es-MX")
        assert i18n.current_language() == "es"
        with i18n.force_language("de"):
            assert i18n.gettext("Language") == i18n.translate("de", "Language")
        assert i18n.current_language() == "es"
    with app.test_request_context("/", headers={"Accept-Language": "it, pt"}):
        assert i18n.current_language() == "en"


def test_a_text_stored_for_later_is_read_in_the_reader_s_language(app):
    """What the worker writes once (a job's summary, a withheld release's reason) is read in each
    reader's language; a text stored before in one language only is shown as it is."""
    stored = i18n.in_every_language(lambda: i18n.gettext("Results released (release {number}).", number=3))
    assert i18n.stored_text(stored, "en") == "Results released (release 3)."
    assert i18n.stored_text(stored, "de") == "Ergebnisse freigegeben (Freigabe 3)."
    assert i18n.stored_text(stored, "es") == "Resultados publicados (publicación 3)."
    assert i18n.stored_text(stored, "it") == "Results released (release 3)."  # not shipped: English
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert i18n.stored_text(stored) == "Ergebnisse freigegeben (Freigabe 3)."
    assert i18n.stored_text("Sent 3.") == "Sent 3."
    assert i18n.stored_text("{not json") == "{not json"
    assert i18n.stored_text(None) == ""
