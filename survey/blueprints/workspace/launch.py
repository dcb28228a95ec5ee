"""Launching a wave safely: time zone, checklist, preview, test e-mail, links, confirmations, reopening.

Registered on the workspace blueprint (:mod:`survey.blueprints.workspace.views`); every view
finds its objects through :mod:`survey.services.access` like the others there. Actions that
break links, close or delete have a confirmation page (a GET) that says what will happen, and
act only on its POST.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from survey.blueprints.respond.questions import (
    LanguageForm,
    introduction_without_promise,
    language_choices,
    question_markup,
)
from survey.blueprints.respond.text import LANGUAGE_NAMES as RESPONDENT_LANGUAGE_NAMES
from survey.blueprints.respond.text import readable_date, survey_operator, translator
from survey.blueprints.workspace.forms import ActionForm, ReopenForm, TimeZoneForm
from survey.blueprints.workspace.views import EXPIRED, bp
from survey.extensions import db
from survey.i18n import (
    LANGUAGES,
    _,
    current_language,
    force_language,
    lazy_gettext,
    locale_of,
    ngettext,
    short_date,
)
from survey.models import Invitation, Participant, Team, WaveMember
from survey.services import ServiceError, access, audit
from survey.services.branding import branding_for_link
from survey.services.invitations import (
    current_link,
    export_links,
    handed_out,
    handed_out_text,
    links_csv,
    lost_links,
    reissue_link,
    replaceable_links,
)
from survey.services.launch import (
    in_zone,
    language_name,
    launch_checklist,
    set_time_zone,
    time_zones,
    to_utc,
    zone_of,
)
from survey.services.mailing import MailSettings, send_test_message
from survey.services.responding import expected_minutes, organization_of, plan_for, progress
from survey.services.waves import reopen_blocker, reopen_wave


def _label(wave) -> str:
    return f'wave {wave.id} "{wave.name}"'


def _expired(wave_id: int):
    flash(EXPIRED, "error")
    return redirect(url_for("workspace.wave", wave_id=wave_id))


# --- the organisation's time zone


@bp.route("/orgs/<int:org_id>/time-zone", methods=["GET", "POST"])
def time_zone(org_id: int):
    """Choose the IANA time zone in which the organisation's dates are shown and typed."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = TimeZoneForm()
    form.time_zone.choices = [SelectChoice(name, name.replace("_", " ")) for name in time_zones()]
    if request.method == "GET":
        form.time_zone.data = organization.time_zone or "UTC"
    status = 200
    if form.validate_on_submit():
        try:
            set_time_zone(current_user, organization, form.time_zone.data)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 400
        else:
            flash(
                _(
                    "Times of {name} are now shown in {zone}.",
                    name=organization.name,
                    zone=organization.time_zone,
                ),
                "success",
            )
            return redirect(url_for("workspace.organization", org_id=org_id))
    return render_template("workspace/time_zone.html", organization=organization, form=form), status


# --- the launch checklist, the preview and the test e-mail


def launch_context(wave) -> dict:
    """What the wave page's launch section shows (used by :func:`survey.blueprints.workspace.views`)."""
    plan_languages = _languages(wave)
    return {
        "checklist": launch_checklist(wave) if wave.status == "draft" else [],
        "preview_languages": [(code, language_name(code)) for code in plan_languages],
        "mail_languages": [(code, language_name(code)) for code in plan_languages if code in LANGUAGES],
        "reopen_form": ReopenForm(),
        "reopen_blocker": reopen_blocker(wave) if wave.status == "closed" else "",
        "zone": zone_of(wave.organization),
    }


def _languages(wave) -> list[str]:
    return list(plan_for(wave, "sales").languages)


#: The functions a preview can be seen as (each sees the statements its audience is asked).
PREVIEW_FUNCTIONS = {"sales": lazy_gettext("a member of a sales team"),
                     "marketing": lazy_gettext("a member of a marketing team"),
                     "other": lazy_gettext("a member of another team")}  # fmt: skip


def preview_url(wave_id: int, language: str, function: str = "sales", number: int = 1, **options) -> str:
    return url_for(
        "workspace.preview", wave_id=wave_id, lang=language, function=function, page=number, **options
    )


@bp.route("/waves/<int:wave_id>/preview", methods=["GET", "POST"])
def preview(wave_id: int):
    """The survey exactly as a respondent of ``function`` sees it in ``lang``: ``page`` 0 is the
    welcome page, 1… the questionnaire's pages.

    The respondents' own templates render it, with the client's branding; nothing is stored
    (the buttons only move between pages), and a notice at the top says it is a preview.
    Without arguments: the welcome page in the reader's language (the wave's first if it lacks
    it), as a member of a sales team.
    """
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    function = request.args.get("function", "sales")
    if function not in PREVIEW_FUNCTIONS:
        abort(404)
    plan = plan_for(wave, function)
    reader = current_language()  # the reader's own language first, when the wave offers it
    language = request.args.get("lang") or (reader if reader in plan.languages else plan.languages[0])
    number = request.args.get("page", "0")
    number = int(number) if number.isascii() and number.isdigit() and len(number) < 5 else -1
    if language not in plan.languages or not 0 <= number <= plan.page_count:
        abort(404)
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            return _expired(wave_id)
        action = request.form.get("action", "next" if number == 0 else "")
        if number == 0 and request.form.get("language") in plan.languages:
            language = request.form["language"]  # the welcome page's language choice
        step = {"back": -1, "next": 1}.get(action, 0)
        if action == "submit":
            flash(_("In the survey this button submits the answers. The preview stores nothing."), "preview")
        target = min(max(number + step, 1 if number else 0), plan.page_count)
        return redirect(preview_url(wave_id, language, function, target))
    t = translator(language)
    here = preview_url(wave_id, language, function, number)
    brand = branding_for_link(wave)
    with force_language(language):  # the respondents' page in their language; the notice in the reader's
        if number == 0:
            body = _welcome(wave, plan, language, t, brand, here)
        else:
            survey_page = plan.pages[number - 1]
            body = render_template(
                "respond/page.html", t=t, page_language=language, page=survey_page, plan=plan, number=number,
                errors=[], percent=progress(plan, number - 1), comments={}, shown_at=f"{time.time():.3f}",
                questions=question_markup(survey_page, language, {}, [], t), page_url=here,
                form_token=generate_csrf(), answer_url="", resumed=None, brand=brand,
            )  # fmt: skip
    notice = render_template("workspace/_preview_notice.html", wave=wave, plan=plan, number=number,
                             language=language, function=function, functions=PREVIEW_FUNCTIONS,
                             language_name=language_name)  # fmt: skip
    # The respondents' page as it is, with the notice at the top of its content.
    body = body.replace('<main id="main" tabindex="-1">', '<main id="main" tabindex="-1">' + notice, 1)
    response = Response(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


#: Stands for a respondent's link on the previewed welcome page; its form is sent to the preview.
PREVIEW_LINK = "preview"


def _welcome(wave, plan, language: str, t, brand, here: str) -> str:
    """The welcome page as :func:`survey.blueprints.respond.views.entry` renders it, its form sent here."""
    form = LanguageForm(data={"language": language})
    form.language.choices = language_choices(plan.languages, RESPONDENT_LANGUAGE_NAMES)
    sender_name = brand.sender_name if brand is not None else None
    operator, contact = survey_operator(str(current_app.config.get("MAIL_FROM") or ""), sender_name)
    introductions = [
        introduction_without_promise(instrument.introduction.get(language, ""))
        for instrument in plan.instruments
    ]
    body = render_template(
        "respond/welcome.html", t=t, page_language=language, form=form, plan=plan, wave=wave,
        token=PREVIEW_LINK, introductions=introductions, resumed=None, form_token=generate_csrf(),
        minutes=expected_minutes(plan, None),
        organization=organization_of(wave), operator=operator, contact=contact,
        closes=readable_date(wave.closes_at, language, zone_of(wave.organization)) if wave.closes_at
        else None, brand=brand,
        title=" · ".join(instrument.title_in(language) for instrument in plan.instruments),
    )  # fmt: skip
    start = url_for("respond.start", token=PREVIEW_LINK)
    return body.replace(f'action="{start}"', f'action="{escape(here)}"', 1)


@bp.route("/waves/<int:wave_id>/test-email", methods=["POST"])
def test_email(wave_id: int):
    """Send the invitation (or reminder) to oneself, through the same mail settings as the real ones."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        return _expired(wave_id)
    kind = request.form.get("kind", "invitation")
    language = request.form.get("language", "")
    offered = _languages(wave)
    link = preview_url(wave.id, language if language in offered else offered[0], _external=True)
    try:
        address = send_test_message(
            wave, current_user, kind, language, link, MailSettings.from_config(current_app.config)
        )
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        values = {"language_name": language_name(language), "address": address}
        if kind == "reminder":
            message = _(
                "Sent a test reminder in {language_name} to {address}. Its link opens the preview "
                "(respondents get their personal link instead).",
                **values,
            )
        else:
            message = _(
                "Sent a test invitation in {language_name} to {address}. Its link opens the preview "
                "(respondents get their personal link instead).",
                **values,
            )
        flash(message, "success")  # fmt: skip
    return redirect(url_for("workspace.wave", wave_id=wave_id) + "#launch")


# --- links: shown without re-issuing; re-issued only on request


@bp.route("/waves/<int:wave_id>/links")
def links_page(wave_id: int):
    """Everyone invited, how their link was handed out, and the buttons to re-issue."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    rows = db.session.execute(
        select(Invitation, Participant, Team.name)
        .join(Participant, Participant.id == Invitation.participant_id)
        .join(
            WaveMember,
            (WaveMember.wave_id == Invitation.wave_id) & (WaveMember.participant_id == Participant.id),
        )
        .join(Team, Team.id == WaveMember.team_id)
        .where(Invitation.wave_id == wave.id)
        .order_by(Team.name, Participant.email, Participant.id)
    ).all()
    people = [
        {
            "participant": participant,
            "team": team,
            "state": _state(invitation),
            "can_reissue": invitation.used_at is None
            and invitation.revoked_at is None
            and wave.status != "closed",
        }
        for invitation, participant, team in rows
    ]
    return render_template("workspace/links.html", wave=wave, organization=wave.organization, people=people,
                           lost=lost_links(wave), replaceable=replaceable_links(wave),
                           action=ActionForm())  # fmt: skip


def _state(invitation: Invitation) -> str:
    if invitation.revoked_at is not None:
        return _("withdrawn")
    if invitation.used_at is not None:
        return _("submitted")
    if handed_out(invitation):
        if current_link(invitation):
            return _("link handed out {how}", how=handed_out_text(invitation))
        return _(
            "link handed out {how}; it cannot be given again, re-issue it", how=handed_out_text(invitation)
        )
    return _("link not handed out yet")


def _csv(wave, rows) -> Response:
    return Response(
        links_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="wave-{wave.id}-links.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/waves/<int:wave_id>/links/reissue", methods=["GET", "POST"])
def reissue_all(wave_id: int):
    """Confirm, then give everyone who has not submitted a new link (downloaded as CSV)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if wave.status == "closed":
        flash(_("The wave is closed: new links would not open the survey."), "error")
        return redirect(url_for("workspace.links_page", wave_id=wave_id))
    if request.method == "GET":
        return render_template("workspace/confirm.html", wave=wave, organization=wave.organization,
                               form=ActionForm(), **_reissue_all_text(wave))  # fmt: skip
    if not ActionForm().validate_on_submit():
        return _expired(wave_id)
    rows = export_links(wave, replace=True)
    audit.record(current_user, "links.reissued", organization=wave.organization, subject=_label(wave),
                 details={"links": sum(1 for row in rows if row.link)}, wave=wave)  # fmt: skip
    db.session.commit()
    return _csv(wave, rows)


def _reissue_all_text(wave) -> dict:
    count = replaceable_links(wave)
    return {
        "title": _("Re-issue everyone's link?"),
        "consequences": [
            ngettext(
                "{count} link handed out before (by e-mail, a download or on this site) stops working "
                "at once.",
                "{count} links handed out before (by e-mail, a download or on this site) stop working "
                "at once.",
                count,
            )
            if count
            else _("No link has been handed out yet: nothing stops working."),
            _(
                "Everyone who has not submitted gets a new link, in the file you download next; later "
                "downloads, reminders and e-mails carry the new links."
            ),
            _("Saved answers stay: people continue where they stopped with the new link."),
            _("People who have submitted keep their status and get no link."),
        ],
        "button": _("Re-issue all links and download them"),
        "action_url": url_for("workspace.reissue_all", wave_id=wave.id),
        "cancel_url": url_for("workspace.links_page", wave_id=wave.id),
    }


@bp.route("/waves/<int:wave_id>/people/<int:participant_id>/reissue", methods=["GET", "POST"])
def reissue_one(wave_id: int, participant_id: int):
    """Confirm, then replace one person's link and show the new one once."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    participant = access.participant_in(wave.organization, participant_id)
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.wave_id == wave.id, Invitation.participant_id == participant.id)
    )
    if invitation is None:
        abort(404)
    who = participant.display_name or participant.email or _("roster entry {id}", id=participant.id)
    if request.method == "GET":
        before = (
            _("The link handed out {how} stops working at once.", how=handed_out_text(invitation))
            if handed_out(invitation)
            else _("Their link has not been handed out yet: nothing stops working.")
        )
        return render_template(
            "workspace/confirm.html", wave=wave, organization=wave.organization, form=ActionForm(),
            title=_("Re-issue the link of {who}?", who=who),
            consequences=[before, _("The new link is shown on the next page: give it to them yourself (later "
                                    "reminders and downloads carry it too)."),
                          _("Their saved answers stay.")],
            button=_("Re-issue this link"), action_url=request.path,
            cancel_url=url_for("workspace.links_page", wave_id=wave.id),
        )  # fmt: skip
    if not ActionForm().validate_on_submit():
        return _expired(wave_id)
    try:
        issued = reissue_link(invitation)
        audit.record(current_user, "link.reissued", organization=wave.organization, subject=_label(wave),
                     details={"participant": participant.id}, wave=wave)  # fmt: skip
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("workspace.links_page", wave_id=wave_id))
    response = Response(render_template("workspace/new_link.html", wave=wave, organization=wave.organization,
                                        who=who, link=issued.link))  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


# --- closing (confirmed) and reopening


@bp.route("/waves/<int:wave_id>/close/confirm")
def confirm_close(wave_id: int):
    """What closing does, with the two ways to close (release now, or later)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    if wave.status != "open":
        flash(_("Only an open wave can be closed."), "error")
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    return render_template("workspace/close_confirm.html", wave=wave, organization=wave.organization,
                           form=ActionForm())  # fmt: skip


@bp.route("/waves/<int:wave_id>/reopen", methods=["POST"])
def reopen(wave_id: int):
    """Open a closed wave again, until its results are published (the service's rule)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("The closing time is not a date and time; nothing changed.") if form.closes_at.errors
              else EXPIRED, "error")  # fmt: skip
        return redirect(url_for("workspace.wave", wave_id=wave_id))
    try:
        reopen_wave(wave, current_user, to_utc(form.closes_at.data, zone_of(wave.organization)))
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("The wave is open again: links handed out before work again."), "success")
    return redirect(url_for("workspace.wave", wave_id=wave_id))


# --- the new-wave form: ordered instruments, language names, the organisation's time zone


def prepare_wave_form(form, organization) -> None:
    """Label the languages by name, give every instrument a position and name the time zone."""
    form.languages.choices = [SelectChoice(c.value, language_name(c.value)) for c in form.languages.choices]
    count = len(form.instruments.choices)
    # Rebuilt in the listed order from what was posted (entries missing or not a number: listed order).
    # (Read from the request itself: a FieldList renumbers the entries it was sent.)
    form.positions.entries, form.positions.last_index = [], -1
    for place in range(count):
        wanted = request.form.get(f"positions-{place}", "")
        wanted = int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) < 4 else 0
        wanted = wanted if wanted in range(1, count + 1) else place + 1
        entry = form.positions.append_entry(wanted)
        entry.choices = [SelectChoice(n, f"{n}.") for n in range(1, count + 1)]
        entry.label.text = _("Position of {instrument}", instrument=form.instruments.choices[place].label)
    zone = zone_of(organization).key
    form.opens_at.label.text = _("Opens ({zone} time, optional)", zone=zone)
    form.closes_at.label.text = _("Closes ({zone} time, optional; closed automatically then)", zone=zone)


def ordered_instruments(form) -> list[str]:
    """The ticked instruments by their chosen position (ties keep the listed order)."""
    ticked = set(form.instruments.data or [])
    keyed = [
        (form.positions[place].data, place, choice.value)
        for place, choice in enumerate(form.instruments.choices)
        if choice.value in ticked
    ]
    return [value for _position, _place, value in sorted(keyed)]


def wave_times(form, organization):
    """The form's opening and closing times as UTC (typed in the organisation's zone)."""
    zone = zone_of(organization)
    return to_utc(form.opens_at.data, zone), to_utc(form.closes_at.data, zone)


def _moment(moment, zone, seconds: bool = False) -> str:
    """``7 December 2026, 14:00 Europe/Berlin`` in the current language; "" for no time."""
    local = in_zone(moment, zone)
    if local is None:
        return ""
    language = current_language()
    clock = format_time(local, "HH:mm:ss" if seconds else "HH:mm", locale=locale_of(language))
    return _("{date}, {time} {zone}", date=short_date(moment, language, zone), time=clock, zone=zone.key)


@bp.app_template_filter("org_time")
def org_time(moment, organization) -> str:
    """A stored time in the organisation's zone, the zone named (``7 December 2026, 14:00 Europe/Berlin``)."""
    return _moment(moment, zone_of(organization))


@bp.app_template_filter("org_day")
def org_day(moment, organization) -> str:
    """The day of a stored time in the organisation's zone (``7 December 2026``)."""
    return short_date(moment, current_language(), zone_of(organization)) if moment else ""


@bp.app_template_filter("utc_time")
def utc_time(moment, seconds: bool = False) -> str:
    """A stored time in UTC (``7 December 2026, 14:00 UTC``)."""
    return _moment(moment, ZoneInfo("UTC"), seconds)


@bp.app_template_filter("utc_day")
def utc_day(moment) -> str:
    """The UTC day of a stored time (``7 December 2026``)."""
    return short_date(moment, current_language()) if moment else ""
