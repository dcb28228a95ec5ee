"""What the survey pages say to respondents, by key, in every language the product ships.

Instrument texts come from the instrument files; these are the words around them.
"""

from __future__ import annotations

from email.utils import parseaddr

from survey.i18n import LANGUAGE_NAMES, N_, translate
from survey.services.dates import readable_date  # noqa: F401 (the survey pages' dates)

__all__ = ["LANGUAGE_NAMES", "TEXT", "readable_date", "survey_operator", "translator"]

#: Message key -> the English text; the catalogue translates it (survey/translations).
TEXT: dict[str, str] = {
    "welcome_title": N_("Welcome"),
    "minutes": N_(
        "It takes about {minutes} minutes. You can stop at any time and come back to this link later: "
        "your answers are saved as you go."
    ),
    "minutes_one": N_(
        "It takes about a minute. You can stop at any time and come back to this link later: "
        "your answers are saved as you go."
    ),
    "asked_by": N_("{organization} asks you to take part."),
    "run_by": N_("The survey is run by {operator} for {organization}."),
    "run_by_contact": N_("The survey is run by {operator} ({contact}) for {organization}."),
    "deadline": N_("Please answer by {date}."),
    "confidential_title": N_("Your answers are confidential"),
    "confidential": N_(
        "Results are only shown for groups of at least {threshold} people. Nobody in your "
        "organisation, your manager included, ever sees your individual answers."
    ),
    "resume": N_("You answered {answered} of {total} questions; continuing on page {page}."),
    "new_scale": N_(
        "From here on, answer on a scale from {low} to {high}: {low} means “{low_label}”, "
        "{high} means “{high_label}”."
    ),
    "new_choice": N_("From here on, choose one of these answers: {labels}."),
    "autosave_failed": N_("This answer could not be kept just now; it will be saved with the page."),
    "anonymous": N_(
        "This survey is anonymous: when you submit, your answers are separated from your invitation for good."
    ),
    "language": N_("Language"),
    "start": N_("Start the survey"),
    "continue": N_("Continue where you left off"),
    "page_of": N_("Page {page} of {pages}"),
    "done_percent": N_("{percent} done"),
    "back": N_("Back"),
    "next": N_("Save and continue"),
    "submit": N_("Submit my answers"),
    "required_hint": N_(
        "Questions marked * need an answer. If you would rather not answer, choose “Prefer not to say”."
    ),
    "required_hint_plain": N_("Questions marked * need an answer."),
    "vignette_name": N_("Lead {number} of {total}"),
    "required": N_("required"),
    "error_summary": N_("Please answer these questions before you continue:"),
    "error_item": N_("Please choose an answer."),
    "comment_hint": N_("Optional. Please do not write names: comments are only shown for larger groups."),
    "thanks_title": N_("Thank you"),
    "thanks": N_("Your answers have been submitted. You can close this page."),
    "thanks_results": N_(
        "Results are shared for groups of at least {threshold} people once the survey has closed."
    ),
    "unknown_title": N_("This link does not work"),
    "unknown": N_(
        "We could not find a survey for this link. Please check that you copied the whole link from "
        "your invitation, or ask the person who sent it for a new one."
    ),
    "revoked_title": N_("This link has been withdrawn"),
    "revoked": N_(
        "This invitation is no longer valid. If you think that is a mistake, ask the person who sent "
        "it for a new link."
    ),
    "closed_title": N_("This survey has closed"),
    "closed": N_("The survey is no longer accepting answers. Thank you for your interest."),
    "not_open_title": N_("This survey has not opened yet"),
    "not_open": N_("Please come back once the survey has opened."),
    "bad_request_title": N_("We could not save this page"),
    "bad_request": N_("The form sent something the survey cannot accept:"),
    "bad_request_hint": N_("Please go back to the survey page and try again."),
    "form_expired": N_("This page's form did not come from your survey link, or it has expired."),
    "already_submitted_title": N_("Already submitted"),
    "already_submitted": N_("These answers were submitted and can no longer be changed."),
    "back_to_survey": N_("Back to the survey"),
    "skip": N_("Skip to the questions"),
}


def translator(language: str):
    """Return ``t(key, **values)``: the survey page's message ``key`` in ``language``."""

    def t(key: str, **values) -> str:
        return translate(language, TEXT[key], **values)

    return t


def survey_operator(mail_from: str, sender_name: str | None = None) -> tuple[str, str]:
    """Who runs the survey, and the address to write to, as the welcome page names them.

    The operator is the client's sender name when it has one, else the name in ``mail_from``,
    else "Mindgap"; the address is ``mail_from``'s unless it is a local placeholder
    (``…@localhost``), which is never shown.
    """
    name, address = parseaddr(mail_from or "")
    return sender_name or name or "Mindgap", "" if address.endswith("@localhost") else address
