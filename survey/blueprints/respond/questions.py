"""How survey questions are rendered, chosen from instrument data.

Each response format (an instrument scale's ``kind``) maps to a template macro in
``RESPONSE_FORMATS``, and each question type (a plain statement, or a vignette that shows a
lead profile above its judgement) to the macro that draws the question around the options in
``QUESTION_TYPES``; a new kind of question is one entry there and one macro, not a new
branch. Answers are parsed strictly by the service, so pages need no WTForms fields: the
macros write plain inputs.

A question's markup depends only on the item, the language, the chosen answer and whether
it is flagged as missing, so it is rendered once per process and kept with its page
(:attr:`~survey.services.responding.SurveyPage.rendered`): a page of ten questions then costs
ten lookups instead of some seventy macro calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import current_app
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

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


def question_type(item) -> str:
    """The key of ``item`` in :data:`QUESTION_TYPES`."""
    return "vignette" if item.is_vignette else "statement"


class LanguageForm(FlaskForm):
    language = RadioField("Language", validators=[Optional()])

    class Meta:
        # The welcome page's form carries the link-bound token instead (survey.security).
        csrf = False


def language_choices(languages, names) -> list[SelectChoice]:
    return [SelectChoice(code, names.get(code, code)) for code in languages]


def question_markup(
    page: SurveyPage, language: str, chosen: Mapping[str, str], failed, t: Callable[..., str]
) -> list[Markup]:
    """The fieldset of every question on ``page``, with ``chosen`` answers checked.

    ``chosen`` maps item ids to the posted form of their answer; ``failed`` holds the ids of
    required items to flag as missing; ``t`` translates the words around the questions.
    """
    macros = None
    markup = []
    for number, item in enumerate(page.items, 1):
        key = (language, item.id, chosen.get(item.id), item.id in failed)
        html = page.rendered.get(key)
        if html is None:
            macros = macros or current_app.jinja_env.get_template(FORMATS_TEMPLATE).module
            scale = page.scale(item)
            options = getattr(macros, RESPONSE_FORMATS[scale.kind])(item, scale, key[2], language,
                                                                    PREFER_NOT_TO_SAY)  # fmt: skip
            draw = getattr(macros, QUESTION_TYPES[question_type(item)])
            html = draw(item, number, scale, options, key[3], language, t("required"), t("error_item"),
                        page.instrument)  # fmt: skip
            assert isinstance(html, Markup), "the formats template must be autoescaped"
            page.rendered[key] = html
        markup.append(html)
    return markup
