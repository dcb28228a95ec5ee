"""How survey questions are rendered, chosen from instrument data.

Each response format (an instrument scale's ``kind``) maps to a template macro in
``RESPONSE_FORMATS``; a new kind of question is one entry there and one macro, not a new
branch. Answers are parsed strictly by the service, so pages need no WTForms fields: the
macros write plain inputs, which keeps rendering cheap under load.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

#: Scale kind -> macro in ``templates/respond/formats.html``.
RESPONSE_FORMATS: dict[str, str] = {
    "ordinal": "rating",
    "categorical": "choice_list",
}


class LanguageForm(FlaskForm):
    language = RadioField("Language", validators=[Optional()])


def language_choices(languages, names) -> list[SelectChoice]:
    return [SelectChoice(code, names.get(code, code)) for code in languages]
