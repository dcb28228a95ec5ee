"""The base of every form: Flask-WTF's, with WTForms' own messages in the page's language.

WTForms ships its validator messages ("This field is required.", "Not a valid choice.") in
many languages (its ``wtforms`` gettext domain); Flask-WTF only uses them with Flask-Babel,
which Mindgap does not need, so the form asks :func:`survey.i18n.current_language` itself.
"""

from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

from survey.i18n import current_language

__all__ = ["Form"]


@cache
def _wtforms_messages(language: str):
    return get_translations([language])


class Form(FlaskForm):
    """A Flask-WTF form whose built-in messages follow the reader's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _wtforms_messages(current_language())
