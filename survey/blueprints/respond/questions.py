"""How survey questions are rendered, chosen from instrument data.

Each response format (an instrument scale's ``kind``) maps to a template macro in
``RESPONSE_FORMATS``, and each question type (a plain statement, or a vignette that shows a
lead profile above its judgement) to the macro that draws the question around the options in
``QUESTION_TYPES``; a new kind of question is one entry there and one macro, not a new
branch. Answers are parsed strictly by the service, so pages need no WTForms fields: the
macros write plain inputs.

A question's markup depends only on its instrument version, the item, its number, the
language, the chosen answer and whether it is flagged as missing, so it is rendered once per
process and kept here (:data:`RENDERED`, bounded): a page of ten questions then costs ten
lookups instead of some seventy macro calls. The service's pages stay plain frozen values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import current_app
from markupsafe import Markup
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from survey.blueprints.forms import Form
from survey.i18n import lazy_gettext
from survey.services.responding import PREFER_NOT_TO_SAY, SurveyPage

#: Scale kind -> macro in ``templates/respond/formats.html``.
RESPONSE_FORMATS: dict[str, str] = {
    "ordinal": "rating",
    "categorical": "choice_list",
}
#: Question type -> macro in ``templates/respond/formats.html``.
QUESTION_TYPES: dict[str, str] = {
    "statement": "question",
    "vignette": "vignette",
}
FORMATS_TEMPLATE = "respond/formats.html"
#: Question markup by (instrument key, item id, number, language, chosen answer, flagged).
RENDERED: dict[tuple, Markup] = {}
#: Entries kept before :data:`RENDERED` starts again (a few thousand per busy wave).
MAX_RENDERED = 50_000


def question_type(item) -> str:
    """The key of ``item`` in :data:`QUESTION_TYPES`."""
    return "vignette" if item.is_vignette else "statement"


class LanguageForm(Form):
    language = RadioField(lazy_gettext("Language"), validators=[Optional()])

    class Meta:
        # The welcome page's form carries the link-bound token instead (survey.security).
        csrf = False


def language_choices(languages, names) -> list[SelectChoice]:
    return [SelectChoice(code, names.get(code, code)) for code in languages]


#: Words by which an instrument introduction's sentence promises confidentiality: the welcome
#: page makes that promise once, under its own heading, so such sentences are left out there.
PROMISE_WORDS = ("confidential", "vertraulich", "confidencial", "confidentiel")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def introduction_without_promise(text: str) -> str:
    """``text`` without its sentences that promise confidentiality (see :data:`PROMISE_WORDS`)."""
    sentences = _SENTENCE_END.split(text.strip())
    kept = [s for s in sentences if not any(word in s.lower() for word in PROMISE_WORDS)]
    return " ".join(kept)


def _attribute_texts(instrument) -> tuple:
    """The texts of ``instrument``'s vignette attribute levels, as a hashable key (``()``: none)."""
    return tuple(
        (attribute.id, tuple((level.id, tuple(sorted(level.text.items()))) for level in attribute.levels))
        for attribute in instrument.attributes or ()
    )


def question_markup(
    page: SurveyPage, language: str, chosen: Mapping[str, str], failed, t: Callable[..., str]
) -> list[Markup]:
    """The fieldset of every question on ``page``, with ``chosen`` answers checked.

    ``chosen`` maps item ids to the posted form of their answer; ``failed`` holds the ids of
    required items to flag as missing; ``t`` translates the words around the questions.
    """
    macros = None
    markup = []
    instrument = page.instrument.key
    # A wave may word the attribute levels of vignettes its own way (the instrument's content
    # hash stays that of the shipped file): the texts are part of the key.
    wording = _attribute_texts(page.instrument)
    for number, item in page.numbered():
        answer = chosen.get(item.id)
        key = (instrument, page.instrument.content_hash, wording, item.id, number, language, answer,
               item.id in failed)  # fmt: skip
        html = RENDERED.get(key)
        if html is None:
            macros = macros or current_app.jinja_env.get_template(FORMATS_TEMPLATE).module
            scale = page.scale(item)
            options = getattr(macros, RESPONSE_FORMATS[scale.kind])(item, scale, answer, language,
                                                                    PREFER_NOT_TO_SAY)  # fmt: skip
            draw = getattr(macros, QUESTION_TYPES[question_type(item)])
            html = draw(item, number, scale, options, key[7], language, t("required"), t("error_item"),
                        page.instrument)  # fmt: skip
            assert isinstance(html, Markup), "the formats template must be autoescaped"
            if len(RENDERED) >= MAX_RENDERED:
                RENDERED.clear()
            RENDERED[key] = html
        markup.append(html)
    return markup
