"""Survey page forms, generated from instrument data.

Each response format (an instrument scale's ``kind``) maps to a field factory in
``RESPONSE_FORMATS``; a new kind of question is one entry there, not a new branch.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from instruments import Item, Prompt, Scale
from survey.models import MAX_COMMENT_LENGTH
from survey.services.responding import PREFER_NOT_TO_SAY, SurveyPage


def _choices(scale: Scale, language: str) -> list[SelectChoice]:
    choices = [SelectChoice(str(point.value), point.label(language)) for point in scale.points]
    if scale.prefer_not_to_say:
        labels = scale.prefer_not_to_say_labels
        choices.append(
            SelectChoice(PREFER_NOT_TO_SAY, labels.get(language) or next(iter(labels.values()), "—"))
        )
    return choices


def language_choices(languages, names) -> list[SelectChoice]:
    return [SelectChoice(code, names.get(code, code)) for code in languages]


def choice_field(item: Item, scale: Scale, language: str) -> Field:
    """One radio button per labelled scale point (and "prefer not to say").

    Ordinal scales are laid out as a rating row on wide screens; categorical ones as a list.
    """
    return RadioField(item.label(language), choices=_choices(scale, language), validators=[Optional()])


RESPONSE_FORMATS: dict[str, Callable[[Item, Scale, str], Field]] = {
    "ordinal": choice_field,
    "categorical": choice_field,
}


def comment_field(prompt: Prompt, language: str) -> Field:
    return TextAreaField(prompt.label(language), validators=[Optional(), Length(max=MAX_COMMENT_LENGTH)])


class LanguageForm(FlaskForm):
    language = RadioField("Language", validators=[Optional()])


class PageForm(FlaskForm):
    """CSRF token and the time the page was shown; question fields are added per page."""

    shown_at = HiddenField()


def item_field_name(item_id: str) -> str:
    return f"item-{item_id}"


def comment_field_name(prompt_id: str) -> str:
    return f"comment-{prompt_id}"


def page_form(page: SurveyPage, language: str, *, data: dict | None = None) -> PageForm:
    """A form for ``page`` in ``language``, filled from ``data`` (the saved answers)."""

    class Form(PageForm):
        pass

    for item in page.items:
        scale = page.scale(item)
        setattr(Form, item_field_name(item.id), RESPONSE_FORMATS[scale.kind](item, scale, language))
    for prompt in page.prompts:
        setattr(Form, comment_field_name(prompt.id), comment_field(prompt, language))
    # Answers are parsed strictly by the service; this form renders them and carries CSRF.
    return Form(formdata=None, data=data or {})
