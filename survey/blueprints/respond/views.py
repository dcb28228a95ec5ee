"""Taking a survey from an invitation link: welcome, pages, thank-you.

The token in the URL is the respondent's only credential; it is looked up by its hash
and never appears in logs of ours, referrers or caches. Each request reads what it needs
in one query (:func:`~survey.services.responding.open_link`) and writes in bulk.

Everything a respondent reads is in their survey language: as soon as a view knows it (the
response's language, else the one chosen or the browser's among those offered) it makes it
the request's language (:func:`~survey.i18n.use_language`), so the layout around the page,
the errors the services raise and the page itself all speak it. Pages without a survey
language (an unknown link, a refused form) take the browser's among the shipped languages.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from survey.blueprints.respond.questions import (
    LanguageForm,
    introduction_without_promise,
    language_choices,
    question_markup,
)
from survey.blueprints.respond.text import LANGUAGE_NAMES, readable_date, survey_operator, translator
from survey.extensions import csrf, db
from survey.i18n import LANGUAGES, current_language, use_language
from survey.security import count_unknown_link, link_form_token, valid_link_form_token
from survey.services.branding import branding_for_link
from survey.services.dates import zone_named
from survey.services.invitations import hash_token
from survey.services.responding import (
    PREFER_NOT_TO_SAY,
    AlreadySubmittedError,
    InvalidSubmissionError,
    LinkError,
    Visit,
    check_link,
    expected_minutes,
    open_link,
    organization_of,
    plan_for,
    progress,
    resumption,
    save_and_continue,
    save_answer,
    start_response,
    stored_on,
    time_zone_of,
)

bp = Blueprint("respond", __name__, url_prefix="/s")
# Survey forms carry a value bound to their link instead of Flask-WTF's session-bound token
# (see check_form_token): respondents get no cookie at all.
csrf.exempt(bp)

#: Form fields that are not answers.
CONTROL_FIELDS = {"csrf_token", "action", "shown_at"}


@bp.before_request
def check_form_token():
    """Refuse a POST whose form was not served by this app for this link (cross-site forgery)."""
    if request.method != "POST" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    token = (request.view_args or {}).get("token", "")
    if valid_link_form_token(token, request.form.get("csrf_token", "")):
        return None
    language = _speak(_browser_language(LANGUAGES))
    t = translator(language)
    return _render("respond/message.html", language, 400, title=t("bad_request_title"),
                   message=t("form_expired"), hint=t("bad_request_hint"))  # fmt: skip


@bp.before_request
def forget_brand():
    """The branding is read with the link (:func:`_visit`); none before that."""
    g.pop("brand", None)


@bp.after_request
def private_headers(response):
    """Survey pages carry the token in their URL: never send it on, never cache it."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _browser_language(offered) -> str:
    """The browser's best language among ``offered`` ("fr-CH" finds "fr"), else the first offered."""
    offered = list(offered)
    return request.accept_languages.best_match(offered) or offered[0]


def _speak(language: str) -> str:
    """Make ``language`` the request's language (the catalogue's, or English where it has none
    yet: the instrument's texts are still shown in ``language``); returns ``language``."""
    use_language(language)
    return language


def _render(template: str, language: str, status: int = 200, **context):
    """Render a respondent's page in ``language``: its own texts (``t``) and the layout's."""
    _speak(language)
    context.setdefault("brand", g.get("brand"))  # the client's branding, read with the link
    body = render_template(template, t=translator(language), page_language=language, **context)
    return body, status


def _visit(token: str) -> Visit:
    """The link's state, or :class:`LinkError` (rendered as a clear 4xx page)."""
    visit = open_link(hash_token(token)) if token and len(token) <= 128 else None
    if visit is None:
        count_unknown_link()  # guessing defence, 429 beyond the limit: see survey.security
        raise LinkError("unknown", 404)
    if not visit.done:
        check_link(visit.invitation, visit.wave)
    g.brand = branding_for_link(visit.wave)
    return visit


def _language(visit: Visit, plan) -> str:
    """The survey language of ``visit`` (its response's, else the browser's among those offered),
    made the request's language."""
    return _speak(visit.response.locale if visit.response else _browser_language(plan.languages))


def _submitted_language(visit: Visit) -> str:
    """The language of a visit whose answers are in (an anonymous response is no longer linked)."""
    return _speak(visit.response.locale if visit.response else _browser_language(LANGUAGES))


@bp.route("/<token>", methods=["GET"])
def entry(token: str):
    visit = _visit(token)
    if visit.done:
        return redirect(url_for("respond.thanks", token=token))
    plan = plan_for(visit.wave, visit.function, visit.response)
    language = _language(visit, plan)
    if request.args.get("lang") in plan.languages:
        language = _speak(request.args["lang"])
    form = LanguageForm(data={"language": language})
    form.language.choices = language_choices(plan.languages, LANGUAGE_NAMES)
    introductions = [
        introduction_without_promise(instrument.introduction.get(language, ""))
        for instrument in plan.instruments
    ]
    resumed = resumption(plan, visit.response) if visit.response is not None else None
    operator, contact = _operator()
    zone = zone_named(time_zone_of(visit.wave))
    closes = readable_date(visit.wave.closes_at, language, zone) if visit.wave.closes_at else None
    return _render(
        "respond/welcome.html", language, form=form, plan=plan, wave=visit.wave, token=token,
        introductions=introductions, resumed=resumed, form_token=link_form_token(token),
        minutes=expected_minutes(plan, visit.response), organization=_organization(visit),
        operator=operator, contact=contact, closes=closes,
        title=" · ".join(instrument.title_in(language) for instrument in plan.instruments),
    )  # fmt: skip


def _organization(visit: Visit) -> str:
    """The client's name: from the branding read with the link (cached), else asked for."""
    brand = g.get("brand")
    return brand.name if brand is not None else organization_of(visit.wave)


def _operator() -> tuple[str, str]:
    """Who runs the survey, and the address to write to: whom the invitations came from (the
    client's sender name when it has one, else the sender's), see :func:`survey_operator`."""
    brand = g.get("brand")
    sender_name = brand.sender_name if brand is not None else None
    return survey_operator(str(current_app.config.get("MAIL_FROM") or ""), sender_name)


@bp.route("/<token>/start", methods=["POST"])
def start(token: str):
    visit = _visit(token)
    if visit.done:
        return redirect(url_for("respond.thanks", token=token))
    plan = plan_for(visit.wave, visit.function, visit.response)
    language = request.form.get("language") or _browser_language(plan.languages)
    # A language the survey does not offer is refused; the refusal is in one it offers.
    _speak(language if language in plan.languages else _browser_language(plan.languages))
    try:
        response = start_response(visit, language, plan)
    except InvalidSubmissionError as error:
        return _bad_request(str(error), _browser_language(plan.languages))
    plan = plan_for(visit.wave, visit.function, response)  # a shorter form's items are the response's
    if response is not visit.response:
        return _show_page(token, plan, response, 1)
    resumed = resumption(plan, response)
    return _show_page(token, plan, response, resumed.page, resumed=resumed)


@bp.route("/<token>/p/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int):
    """Show a page; a POST saves it and answers with the page the respondent goes to next.

    Answering a POST with the next page itself, instead of redirecting to it, halves the
    requests of a survey. The form of every page posts to that page's own address, and
    ``respond.js`` puts the address in the location bar; without JavaScript a reload posts
    the same answers again, which stores nothing new.
    """
    posting = request.method == "POST"
    visit = _visit(token)
    if visit.done:
        # A repeated submit (double click, browser retry, second tab) lands where the first did;
        # any other change after submission is refused.
        if posting and request.form.get("action") != "submit":
            return _already_submitted(_submitted_language(visit), token)
        if posting:
            return _thanks(token, visit)
        return redirect(url_for("respond.thanks", token=token))
    if visit.response is None:
        return redirect(url_for("respond.entry", token=token))
    response = visit.response
    _speak(response.locale)  # the errors of the save, too
    plan = plan_for(visit.wave, visit.function, response)
    if not 1 <= number <= plan.page_count:
        abort(404)
    if not posting:
        return _show_page(token, plan, response, number)

    try:
        step = save_and_continue(
            visit, plan, number, request.form.to_dict(flat=False), CONTROL_FIELDS, time.time()
        )
    except InvalidSubmissionError as error:
        return _bad_request(str(error), response.locale)
    except AlreadySubmittedError:  # submitted by another request a moment ago
        return _already_submitted(response.locale, token)
    if step.submitted:
        return _thanks(token, visit)
    return _show_page(token, plan, response, step.page, step.missing)


@bp.route("/<token>/p/<int:number>/answer", methods=["POST"])
def answer(token: str, number: int):
    """Keep one answer as it is given (``respond.js``): 204, or a 4xx that stored nothing.

    The same link rules hold as for a page save (closed waves, withdrawn links, a submitted
    response, the link-bound form token); pages work without it, saving on every page.
    """
    visit = _visit(token)
    if visit.done:
        return _already_submitted(_submitted_language(visit), token)
    if visit.response is None:
        abort(404)
    _speak(visit.response.locale)
    plan = plan_for(visit.wave, visit.function, visit.response)
    if not 1 <= number <= plan.page_count:
        abort(404)
    try:
        save_answer(visit, plan, number, request.form.to_dict(flat=False), CONTROL_FIELDS)
    except InvalidSubmissionError as error:
        return _bad_request(str(error), visit.response.locale)
    except AlreadySubmittedError:
        return _already_submitted(visit.response.locale, token)
    db.session.commit()
    return "", 204


@bp.route("/<token>/thanks")
def thanks(token: str):
    visit = _visit(token)
    if not visit.done:
        return redirect(url_for("respond.entry", token=token))
    return _thanks(token, visit)


def _show_page(token: str, plan, response, number: int, missing=(), resumed=None):
    """Commit the request's changes and render page ``number`` (1-based) with its stored answers.

    ``missing`` are required items to flag (answered with 422); ``resumed`` says how far a
    returning respondent got. Everything the page shows is read before the commit, so
    rendering runs outside the transaction and touches no row.
    """
    survey_page = plan.pages[number - 1]
    answers, comments = stored_on(response, survey_page)
    language = response.locale
    db.session.commit()
    chosen = {
        item_id: PREFER_NOT_TO_SAY if value is None else str(value) for item_id, value in answers.items()
    }
    errors = [item.id for item in survey_page.items if item.id in missing]
    t = translator(language)
    return _render(
        "respond/page.html", language, 422 if errors else 200, page=survey_page, plan=plan, number=number,
        errors=errors, percent=progress(plan, number - 1), comments=comments, shown_at=f"{time.time():.3f}",
        questions=question_markup(survey_page, language, chosen, errors, t),
        page_url=url_for("respond.page", token=token, number=number), form_token=link_form_token(token),
        answer_url=url_for("respond.answer", token=token, number=number), resumed=resumed,
    )  # fmt: skip


def _thanks(token: str, visit: Visit):
    language = _submitted_language(visit)
    threshold = visit.wave.anonymity_threshold
    db.session.commit()
    return _render("respond/thanks.html", language, threshold=threshold,
                   page_url=url_for("respond.thanks", token=token))  # fmt: skip


def _bad_request(detail: str, language: str):
    """The 400 page: what the form sent that no survey page sends (``detail``, already translated)."""
    db.session.rollback()
    t = translator(language)
    return _render("respond/message.html", language, 400, title=t("bad_request_title"),
                   message=t("bad_request"), detail=detail, hint=t("bad_request_hint"))  # fmt: skip


def _already_submitted(language: str, token: str | None = None):
    db.session.rollback()
    t = translator(language)
    return _render("respond/message.html", language, 409, title=t("already_submitted_title"),
                   message=t("already_submitted"), token=token)  # fmt: skip


@bp.errorhandler(AlreadySubmittedError)
def already_submitted(error):
    """Submitted by another request meanwhile: in the language the view chose, else the browser's."""
    return _already_submitted(current_language())


@bp.errorhandler(LinkError)
def link_problem(problem: LinkError):
    """Unknown, withdrawn, closed or not yet open: say so in the browser's language."""
    db.session.rollback()
    language = _browser_language(LANGUAGES)
    t = translator(language)
    return _render("respond/link_problem.html", language, problem.status, title=t(f"{problem.reason}_title"),
                   message=t(problem.reason))  # fmt: skip
