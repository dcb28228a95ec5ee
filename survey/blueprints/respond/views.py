"""Taking a survey from an invitation link: welcome, pages, thank-you.

The token in the URL is the respondent's only credential; it is looked up by its hash
and never appears in logs of ours, referrers or caches.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from survey.blueprints.respond.forms import (
    LanguageForm,
    comment_field_name,
    item_field_name,
    language_choices,
    page_form,
)
from survey.blueprints.respond.text import LANGUAGE_NAMES, translator
from survey.extensions import db, limiter
from survey.services.invitations import find_invitation
from survey.services.responding import (
    PREFER_NOT_TO_SAY,
    AlreadySubmittedError,
    IncompleteSubmissionError,
    InvalidSubmissionError,
    LinkError,
    check_link,
    missing_required,
    parse_page,
    plan_for,
    progress,
    response_of,
    resume_page,
    save_page,
    saved_answers,
    start_response,
    submit,
    team_function,
)

bp = Blueprint("respond", __name__, url_prefix="/s")
# Only failed lookups count: respondents clicking through their own survey are never limited.
limiter.limit(
    lambda: current_app.config["INVITE_LOOKUP_LIMIT"],
    deduct_when=lambda response: response.status_code == 404,
    scope="invitation-lookup",
)(bp)

#: Form fields that are not answers.
CONTROL_FIELDS = {"csrf_token", "action", "shown_at"}


@bp.after_request
def private_headers(response):
    """Survey pages carry the token in their URL: never send it on, never cache it."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _browser_language(offered) -> str:
    return request.accept_languages.best_match(list(offered)) or list(offered)[0]


def _render(template: str, language: str, status: int = 200, **context):
    body = render_template(template, t=translator(language), page_language=language, **context)
    return body, status


def _open(token: str):
    """The invitation, its plan and response for ``token``, or a clear 4xx page."""
    invitation = find_invitation(token)
    if invitation is None:
        raise LinkError("unknown", 404)
    if invitation.used_at is None:
        check_link(invitation)
    _, function = team_function(invitation)
    plan = plan_for(invitation.wave, function)
    response = response_of(invitation, lock=request.method == "POST")
    return invitation, plan, response


def _is_done(invitation, response) -> bool:
    return invitation.used_at is not None or (response is not None and response.status == "submitted")


@bp.route("/<token>", methods=["GET"])
def entry(token: str):
    invitation, plan, response = _open(token)
    if _is_done(invitation, response):
        return redirect(url_for("respond.thanks", token=token))
    language = response.locale if response else _browser_language(plan.languages)
    if request.args.get("lang") in plan.languages:
        language = request.args["lang"]
    form = LanguageForm(data={"language": language})
    form.language.choices = language_choices(plan.languages, LANGUAGE_NAMES)
    introductions = [instrument.introduction.get(language, "") for instrument in plan.instruments]
    return _render(
        "respond/welcome.html", language, form=form, plan=plan, wave=invitation.wave, token=token,
        introductions=introductions, resuming=response is not None,
        title=" · ".join(instrument.title_in(language) for instrument in plan.instruments),
    )  # fmt: skip


@bp.route("/<token>/start", methods=["POST"])
def start(token: str):
    invitation, plan, response = _open(token)
    if _is_done(invitation, response):
        return redirect(url_for("respond.thanks", token=token))
    language = request.form.get("language") or _browser_language(plan.languages)
    try:
        response = start_response(invitation, language, plan)
    except InvalidSubmissionError as error:
        return _bad_request(str(error), _browser_language(plan.languages))
    db.session.commit()
    answered, _ = saved_answers(response)
    return redirect(url_for("respond.page", token=token, number=resume_page(plan, set(answered)) + 1))


@bp.route("/<token>/p/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int):
    invitation, plan, response = _open(token)
    if _is_done(invitation, response):
        if request.method == "POST":
            language = response.locale if response else _browser_language(plan.languages)
            t = translator(language)
            return _render("respond/message.html", language, 409, title=t("already_submitted_title"),
                           message=t("already_submitted"), token=token)  # fmt: skip
        return redirect(url_for("respond.thanks", token=token))
    if response is None:
        return redirect(url_for("respond.entry", token=token))
    if not 1 <= number <= plan.page_count:
        abort(404)
    survey_page = plan.pages[number - 1]
    language = response.locale
    answers, comments = saved_answers(response)
    errors: list[str] = []

    if request.method == "POST":
        action = request.form.get("action", "next")
        if action not in ("back", "next", "submit"):
            return _bad_request(f"Unknown action {action[:20]!r}.", language)
        try:
            data = parse_page(survey_page, request.form.to_dict(flat=False), CONTROL_FIELDS)
        except InvalidSubmissionError as error:
            return _bad_request(str(error), language)
        target = number - 2 if action == "back" else number  # 0-based index of the page to show next
        target = min(max(target, 0), plan.page_count - 1)
        save_page(response, survey_page, data, _seconds_on_page(), target)
        answers.update(data.answers)
        errors = [] if action == "back" else missing_required(plan, set(answers), [survey_page])
        if action == "back":
            db.session.commit()
            return redirect(url_for("respond.page", token=token, number=max(number - 1, 1)))
        if not errors:
            if action == "next" and number < plan.page_count:
                db.session.commit()
                return redirect(url_for("respond.page", token=token, number=number + 1))
            try:
                submit(response, plan)
            except IncompleteSubmissionError as incomplete:
                db.session.commit()
                return redirect(url_for("respond.page", token=token, number=incomplete.first_page + 1))
            db.session.commit()
            return redirect(url_for("respond.thanks", token=token))
        db.session.commit()  # keep what was answered; show what is missing
        comments.update(data.comments)

    data = {item_field_name(k): (PREFER_NOT_TO_SAY if v is None else str(v)) for k, v in answers.items()}
    data.update({comment_field_name(k): v for k, v in comments.items()})
    data["shown_at"] = f"{time.time():.3f}"
    form = page_form(survey_page, language, data=data)
    return _render(
        "respond/page.html", language, 422 if errors else 200, form=form, page=survey_page, plan=plan,
        number=number, token=token, errors=errors, percent=progress(plan, number - 1),
        wave=invitation.wave, item_field_name=item_field_name, comment_field_name=comment_field_name,
    )  # fmt: skip


@bp.route("/<token>/thanks")
def thanks(token: str):
    invitation, plan, response = _open(token)
    if not _is_done(invitation, response):
        return redirect(url_for("respond.entry", token=token))
    language = response.locale if response else _browser_language(plan.languages)
    return _render("respond/thanks.html", language, wave=invitation.wave)


def _seconds_on_page() -> float | None:
    """Seconds since the page was rendered, from its hidden timestamp (for quality checks only)."""
    try:
        shown = float(request.form.get("shown_at", ""))
    except ValueError:
        return None
    return time.time() - shown


def _bad_request(message: str, language: str):
    db.session.rollback()
    t = translator(language)
    return _render("respond/message.html", language, 400, title=t("bad_request_title"),
                   message=f"{t('bad_request')} {message}", hint=t("bad_request_hint"))  # fmt: skip


@bp.errorhandler(AlreadySubmittedError)
def already_submitted(error):
    db.session.rollback()
    t = translator("en")
    return _render("respond/message.html", "en", 409, title=t("already_submitted_title"),
                   message=t("already_submitted"))  # fmt: skip


@bp.errorhandler(LinkError)
def link_problem(problem: LinkError):
    """Unknown, withdrawn, closed or not yet open: say so in the browser's language."""
    db.session.rollback()
    language = _browser_language(("en", "de"))
    t = translator(language)
    return _render("respond/link_problem.html", language, problem.status, title=t(f"{problem.reason}_title"),
                   message=t(problem.reason))  # fmt: skip
