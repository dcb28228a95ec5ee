"""The reader's language: one gettext catalogue (Babel) for every page, e-mail, report and file.

Every sentence a person reads is written in English in the code, inside ``_()`` (Python),
``{{ _("…") }}`` or ``{% trans %}`` (templates), and translated through the catalogue of
``survey/translations/<language>/LC_MESSAGES/messages.po``, compiled to the ``.mo`` file
next to it (``make messages`` extracts, updates and compiles; docs/TRANSLATING.md tells how
to add a language).

Which language applies:

* :func:`current_language` answers for the request being served: the language a view chose
  (a respondent's survey language, a report's language switch; :func:`use_language`), else
  the signed-in user's preference, else the browser's ``Accept-Language``, else English;
* code that writes for someone else (an e-mail in the participant's language, a PDF built by
  the worker) passes the language explicitly (:func:`translate`, :func:`force_language`).

Two placeholder styles meet in the catalogue: Python messages use ``{name}`` (filled with
:meth:`str.format` by :func:`translate`), templates use ``%(name)s`` (Jinja's ``trans``).
The catalogue check in the tests makes every translation keep its message's placeholders.
Numbers, percentages and dates are formatted with Babel's CLDR data for the language.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from babel.support import LazyProxy, NullTranslations, Translations
from flask import g, has_app_context, has_request_context, request

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "current_language",
    "force_language",
    "in_every_language",
    "format_number",
    "format_percentage",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "readable_date",
    "short_date",
    "stored_text",
    "translate",
    "translate_plural",
    "use_language",
]

#: The languages the product ships, English first (the language of the code and the fallback).
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
#: Each language named in itself, as a language menu shows it.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
#: The CLDR locale that formats numbers and dates for each language (British English spelling
#: and dates, as the English texts are written).
LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools know)
    """Mark ``message`` for the catalogue without translating it (it is translated where shown)."""
    return message


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (English and unknown languages: the messages as written)."""
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], DOMAIN)


def supported(language: str | None) -> str:
    """``language`` if the product ships it (``"de-CH"`` counts as ``"de"``), else English."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def translate(language: str, message: str, /, **values) -> str:
    """``message`` in ``language``, its ``{fields}`` filled from ``values``; ``""`` stays ``""``."""
    if not message:
        return message
    text = catalogue(supported(language)).gettext(message)
    return text.format(**values) if values else text


def translate_plural(language: str, singular: str, plural: str, count: int, /, **values) -> str:
    """The singular or plural form for ``count`` in ``language``; ``{count}`` is filled too."""
    text = catalogue(supported(language)).ngettext(singular, plural, count)
    return text.format(**{"count": count, **values})


def gettext(message: str, /, **values) -> str:
    """``message`` in the current language (:func:`current_language`), its ``{fields}`` filled."""
    return translate(current_language(), message, **values)


_ = gettext


def ngettext(singular: str, plural: str, count: int, /, **values) -> str:
    """The singular or plural form for ``count`` in the current language."""
    return translate_plural(current_language(), singular, plural, count, **values)


def lazy_gettext(message: str, /, **values) -> LazyProxy:
    """A message translated when it is shown (form labels and other module-level texts)."""
    return LazyProxy(gettext, message, enable_cache=False, **values)


def browser_language() -> str | None:
    """The best shipped language in the request's ``Accept-Language``, if any is there."""
    if not has_request_context():
        return None
    for tag, _quality in request.accept_languages:  # best first; "fr-CH" asks for French
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return None


#: Where a request keeps the language its view chose (per request, even when tests share an app context).
_ENVIRON_KEY = "mindgap.language"


def _chosen() -> str | None:
    if has_request_context():
        return request.environ.get(_ENVIRON_KEY)
    return g.get("language") if has_app_context() else None


def _choose(language: str | None) -> None:
    if has_request_context():
        request.environ[_ENVIRON_KEY] = language
    else:
        g.language = language


def current_language() -> str:
    """The language of what is being shown now (see the module's description)."""
    chosen = _chosen()
    if chosen:
        return chosen
    if has_request_context():
        from flask_login import current_user

        preference = getattr(current_user, "language", None) if current_user else None
        if preference in LANGUAGES:
            return preference
        return browser_language() or "en"
    return "en"


def use_language(language: str | None) -> str:
    """Make ``language`` (or English) the language of the rest of this request; returns it."""
    _choose(supported(language))
    return current_language()


@contextlib.contextmanager
def force_language(language: str | None) -> Iterator[str]:
    """Within the block, :func:`current_language` is ``language`` (templates rendered for a PDF, say).

    Needs an application context (a worker's job has one).
    """
    previous = _chosen()
    _choose(supported(language))
    try:
        yield current_language()
    finally:
        _choose(previous)


def in_every_language(build) -> str:
    """A text stored for later readers: ``build()`` worded in every shipped language (JSON).

    For sentences written once (by the worker, say) and read later by people of any language,
    such as the reason a release was withheld; :func:`stored_text` reads it back.
    """
    import json

    texts = {}
    for language in LANGUAGES:
        with force_language(language):
            texts[language] = build()
    return json.dumps(texts, ensure_ascii=False)


def stored_text(value: str | None, language: str | None = None) -> str:
    """A text stored by :func:`in_every_language`, in ``language`` (default the reader's); a text
    stored in one language only (older rows) as it is."""
    import json

    if not value or not value.startswith("{"):
        return value or ""
    try:
        texts = json.loads(value)
    except ValueError:
        return value
    if not isinstance(texts, dict):
        return value
    return str(texts.get(supported(language or current_language())) or texts.get("en") or "")


def locale_of(language: str) -> Locale:
    """The Babel locale that formats numbers and dates in ``language``."""
    return Locale.parse(LOCALES[supported(language)])


def format_number(value, digits: int = 2, language: str | None = None, sign: bool = False) -> str:
    """A number for people: ``digits`` decimals, the language's separators, a real minus sign.

    A missing or non-finite value is a dash, and a value that rounds to zero has no sign.
    """
    if value is None:
        return "–"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(value):
        return "–"
    if round(value, digits) == 0:
        value = 0.0
    pattern = "0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(abs(value), format=pattern, locale=locale_of(language or current_language()))
    if value < 0:
        return "\u2212" + text
    return ("+" + text) if sign and value > 0 else text


def format_percentage(fraction, language: str | None = None, digits: int = 0) -> str:
    """``fraction`` (0.42) as a percentage for people ("42 %" in German, "42%" in English)."""
    if fraction is None or (isinstance(fraction, float) and not math.isfinite(fraction)):
        return "–"
    locale = locale_of(language or current_language())
    pattern = locale.percent_formats[None].pattern
    if digits > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits)
    return format_percent(fraction, format=pattern, locale=locale)


def _local(moment: datetime, zone: ZoneInfo | None) -> datetime:
    zone = zone or ZoneInfo("UTC")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def readable_date(moment: datetime, language: str, zone: ZoneInfo | None = None) -> str:
    """``moment`` (stored in UTC) as people write it in ``language``, in ``zone`` (default UTC).

    The zone is named after the time.

    E.g. "Friday, 18 December 2026, 17:00 UTC" or "Freitag, 18. Dezember 2026, 18:00 Uhr
    (Zeitzone Europe/Berlin)".
    """
    local = _local(moment, zone)
    locale = locale_of(language)
    key = getattr(local.tzinfo, "key", "UTC")
    named = "UTC" if key == "UTC" else translate(language, "({zone} time)", zone=key)
    return translate(
        language,
        "{date}, {time} {zone}",
        date=format_date(local, "full", locale=locale),
        time=format_time(local, "HH:mm", locale=locale),
        zone=named,
    )


def short_date(moment: datetime | None, language: str, zone: ZoneInfo | None = None) -> str:
    """A date without weekday or time ("18 December 2026", "18. Dezember 2026"); a dash for none."""
    if moment is None:
        return "–"
    return format_date(_local(moment, zone), "long", locale=locale_of(language))


def compile_catalogues(directory: Path = TRANSLATIONS) -> dict[str, tuple[int, int]]:
    """Compile every ``<language>/LC_MESSAGES/messages.po`` below ``directory`` to its ``.mo`` file.

    Returns ``{language: (translated, total)}``. Unlike ``pybabel compile`` this does not run
    Babel's printf-format check, which takes "95 % interval" in a ``{brace}`` message for a
    ``% i`` conversion; the catalogue tests check both placeholder styles instead.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    counts = {}
    for source in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = source.parent.parent.name
        with source.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        messages = [message for message in catalog if message.id]
        done = [m for m in messages if (all(m.string) if isinstance(m.string, tuple) else m.string)]
        for message in messages:  # an untranslated plural would otherwise be shown as ""
            if message not in done:
                catalog.delete(message.id, message.context)
        with source.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        counts[language] = (len(done), len(messages))
    return counts


def literal(text, language: str | None = None):
    """``text`` people typed, or written in another language, marked as such for the page.

    Screen readers and translation tools leave it alone (``translate="no"``, ``lang``), and
    so does the check that pages read wholly in their language.
    """
    from markupsafe import Markup, escape

    lang = f' lang="{escape(language)}"' if language else ""
    return Markup(f'<span translate="no"{lang}>{escape(text)}</span>')  # noqa: S704 (both parts escaped)


def install(app) -> None:
    """Give the app's templates ``_``, ``ngettext``, ``{% trans %}`` and the current language."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        lambda message: catalogue(current_language()).gettext(message),
        lambda singular, plural, n: catalogue(current_language()).ngettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        language_names=LANGUAGE_NAMES,
        format_number=format_number,
        format_percentage=format_percentage,
        literal=literal,
    )
    app.jinja_env.filters["stored_text"] = stored_text
