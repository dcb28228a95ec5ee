"""What the survey pages say to respondents, in every language the shipped instruments use.

Instrument texts come from the instrument files; these are the words around them.
"""

from __future__ import annotations

from email.utils import parseaddr

from survey.services.dates import readable_date  # noqa: F401 (the survey pages' dates)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "welcome_title": "Welcome",
        "minutes": "It takes about {minutes} minutes. You can stop at any time and come back to this link later: "
        "your answers are saved as you go.",
        "minutes_one": "It takes about a minute. You can stop at any time and come back to this link later: "
        "your answers are saved as you go.",
        "asked_by": "{organization} asks you to take part.",
        "run_by": "The survey is run by {operator} for {organization}.",
        "run_by_contact": "The survey is run by {operator} ({contact}) for {organization}.",
        "deadline": "Please answer by {date}.",
        "confidential_title": "Your answers are confidential",
        "confidential": "Results are only shown for groups of at least {threshold} people. Nobody in your "
        "organisation, your manager included, ever sees your individual answers.",
        "resume": "You answered {answered} of {total} questions; continuing on page {page}.",
        "new_scale": "From here on, answer on a scale from {low} to {high}: {low} means “{low_label}”, "
        "{high} means “{high_label}”.",
        "new_choice": "From here on, choose one of these answers: {labels}.",
        "autosave_failed": "This answer could not be kept just now; it will be saved with the page.",
        "anonymous": "This survey is anonymous: when you submit, your answers are separated from your invitation "
        "for good.",
        "language": "Language",
        "start": "Start the survey",
        "continue": "Continue where you left off",
        "page_of": "Page {page} of {pages}",
        "done_percent": "{percent} % done",
        "back": "Back",
        "next": "Save and continue",
        "submit": "Submit my answers",
        "required_hint": "Questions marked * need an answer. If you would rather not answer, choose "
        "“Prefer not to say”.",
        "required_hint_plain": "Questions marked * need an answer.",
        "vignette_name": "Lead {number} of {total}",
        "required": "required",
        "error_summary": "Please answer these questions before you continue:",
        "error_item": "Please choose an answer.",
        "comment_hint": "Optional. Please do not write names: comments are only shown for larger groups.",
        "thanks_title": "Thank you",
        "thanks": "Your answers have been submitted. You can close this page.",
        "thanks_results": "Results are shared for groups of at least {threshold} people once the survey has closed.",
        "unknown_title": "This link does not work",
        "unknown": "We could not find a survey for this link. Please check that you copied the whole link from "
        "your invitation, or ask the person who sent it for a new one.",
        "revoked_title": "This link has been withdrawn",
        "revoked": "This invitation is no longer valid. If you think that is a mistake, ask the person who sent "
        "it for a new link.",
        "closed_title": "This survey has closed",
        "closed": "The survey is no longer accepting answers. Thank you for your interest.",
        "not_open_title": "This survey has not opened yet",
        "not_open": "Please come back once the survey has opened.",
        "bad_request_title": "We could not save this page",
        "bad_request": "The form sent something the survey cannot accept:",
        "bad_request_hint": "Please go back to the survey page and try again.",
        "form_expired": "This page's form did not come from your survey link, or it has expired.",
        "already_submitted_title": "Already submitted",
        "already_submitted": "These answers were submitted and can no longer be changed.",
        "back_to_survey": "Back to the survey",
        "skip": "Skip to the questions",
    },
    "de": {
        "welcome_title": "Willkommen",
        "minutes": "Die Befragung dauert etwa {minutes} Minuten. Sie können jederzeit unterbrechen und später "
        "über diesen Link weitermachen: Ihre Antworten werden laufend gespeichert.",
        "minutes_one": "Die Befragung dauert etwa eine Minute. Sie können jederzeit unterbrechen und später "
        "über diesen Link weitermachen: Ihre Antworten werden laufend gespeichert.",
        "asked_by": "{organization} bittet Sie um Ihre Teilnahme.",
        "run_by": "Die Befragung führt {operator} für {organization} durch.",
        "run_by_contact": "Die Befragung führt {operator} ({contact}) für {organization} durch.",
        "deadline": "Bitte antworten Sie bis {date}.",
        "confidential_title": "Ihre Antworten bleiben vertraulich",
        "confidential": "Ergebnisse werden nur für Gruppen ab {threshold} Personen gezeigt. Niemand in Ihrer "
        "Organisation, auch nicht Ihre Führungskraft, sieht jemals Ihre einzelnen Antworten.",
        "resume": "Sie haben {answered} von {total} Fragen beantwortet; es geht weiter auf Seite {page}.",
        "new_scale": "Ab hier antworten Sie auf einer Skala von {low} bis {high}: {low} bedeutet „{low_label}“, "
        "{high} bedeutet „{high_label}“.",
        "new_choice": "Ab hier wählen Sie eine dieser Antworten: {labels}.",
        "autosave_failed": "Diese Antwort konnte gerade nicht gespeichert werden; sie wird mit der Seite "
        "gespeichert.",
        "anonymous": "Diese Befragung ist anonym: Beim Absenden werden Ihre Antworten endgültig von Ihrer "
        "Einladung getrennt.",
        "language": "Sprache",
        "start": "Befragung beginnen",
        "continue": "Dort weitermachen, wo Sie aufgehört haben",
        "page_of": "Seite {page} von {pages}",
        "done_percent": "{percent} % geschafft",
        "back": "Zurück",
        "next": "Speichern und weiter",
        "submit": "Antworten absenden",
        "required_hint": "Fragen mit * brauchen eine Antwort. Wenn Sie nicht antworten möchten, wählen Sie "
        "„Keine Angabe“.",
        "required_hint_plain": "Fragen mit * brauchen eine Antwort.",
        "vignette_name": "Lead {number} von {total}",
        "required": "Pflichtfrage",
        "error_summary": "Bitte beantworten Sie diese Fragen, bevor Sie weitermachen:",
        "error_item": "Bitte wählen Sie eine Antwort.",
        "comment_hint": "Freiwillig. Bitte nennen Sie keine Namen: Kommentare werden nur für größere Gruppen "
        "gezeigt.",
        "thanks_title": "Vielen Dank",
        "thanks": "Ihre Antworten wurden übermittelt. Sie können diese Seite schließen.",
        "thanks_results": "Ergebnisse werden nach Abschluss der Befragung für Gruppen ab {threshold} Personen "
        "geteilt.",
        "unknown_title": "Dieser Link funktioniert nicht",
        "unknown": "Zu diesem Link gibt es keine Befragung. Bitte prüfen Sie, ob Sie den ganzen Link aus Ihrer "
        "Einladung kopiert haben, oder bitten Sie um einen neuen.",
        "revoked_title": "Dieser Link wurde zurückgezogen",
        "revoked": "Diese Einladung gilt nicht mehr. Wenn Sie das für einen Irrtum halten, bitten Sie die "
        "absendende Person um einen neuen Link.",
        "closed_title": "Diese Befragung ist beendet",
        "closed": "Es werden keine Antworten mehr angenommen. Vielen Dank für Ihr Interesse.",
        "not_open_title": "Diese Befragung hat noch nicht begonnen",
        "not_open": "Bitte kommen Sie wieder, sobald die Befragung geöffnet ist.",
        "bad_request_title": "Diese Seite konnte nicht gespeichert werden",
        "bad_request": "Das Formular hat etwas gesendet, das die Befragung nicht annehmen kann:",
        "bad_request_hint": "Bitte gehen Sie zur Befragung zurück und versuchen Sie es erneut.",
        "form_expired": "Das Formular dieser Seite stammt nicht von Ihrem Befragungslink oder ist abgelaufen.",
        "already_submitted_title": "Bereits abgesendet",
        "already_submitted": "Diese Antworten wurden abgesendet und können nicht mehr geändert werden.",
        "back_to_survey": "Zurück zur Befragung",
        "skip": "Zu den Fragen springen",
    },
}

#: Month and weekday names for :func:`readable_date`.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "fr": "Français"}


def translator(language: str):
    """Return ``t(key, **values)`` for ``language``, falling back to English."""
    table = TEXT.get(language, TEXT["en"])

    def t(key: str, **values) -> str:
        return (table.get(key) or TEXT["en"][key]).format(**values)

    return t


def survey_operator(mail_from: str, sender_name: str | None = None) -> tuple[str, str]:
    """Who runs the survey, and the address to write to, as the welcome page names them.

    The operator is the client's sender name when it has one, else the name in ``mail_from``,
    else "Mindgap"; the address is ``mail_from``'s unless it is a local placeholder
    (``…@localhost``), which is never shown.
    """
    name, address = parseaddr(mail_from or "")
    return sender_name or name or "Mindgap", "" if address.endswith("@localhost") else address
