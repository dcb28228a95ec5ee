"""Stand-in catalogues for the language tests: they translate every message in a way a test can see.

A page built through a stand-in shows which texts passed the catalogue (they carry its mark) and
which did not (plain English), whatever the shipped catalogues hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from babel.support import NullTranslations

from survey import i18n


class StandIn(NullTranslations):
    """A catalogue that answers ``translation(message)`` for every message, singular or plural."""

    def __init__(self, translation: Callable[[str], str]):
        super().__init__()
        self.translation = translation

    def gettext(self, message):
        return self.translation(message)

    def ngettext(self, singular, plural, n):
        return self.translation(singular if n == 1 else plural)


def marked(message: str) -> str:
    """``⟦message⟧``: placeholders kept, the whole message visibly through the catalogue."""
    return f"⟦{message}⟧"


def use_stand_in(monkeypatch, languages: Iterable[str], translation: Callable[[str], str] = marked) -> None:
    """``languages`` answer through a :class:`StandIn`; the others through their real catalogues."""
    languages = set(languages)
    real = i18n.catalogue
    monkeypatch.setattr(
        i18n, "catalogue", lambda language: StandIn(translation) if language in languages else real(language)
    )
