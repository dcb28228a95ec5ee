"""The consultant's clients: the console, a client's people, its branding and its privacy duties.

Objects are found through :mod:`survey.services.access` like everywhere in the workspace:
another organisation's answers 404, a missing capability 403. The logo is the one public
route: respondents see it on survey pages without signing in, at an address that names its
digest, so it cannot be guessed and each version can be cached for good.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from survey.blueprints.clients.forms import (
    ActionForm,
    AddPersonForm,
    BrandingForm,
    EraseForm,
    LogoForm,
    RetentionForm,
)
from survey.extensions import db
from survey.i18n import _, ngettext
from survey.models import Organization
from survey.services import ServiceError, access, branding, privacy
from survey.services.console import client_rows
from survey.services.mailing import MailSettings, send_one
from survey.services.people import add_person, members_of
from survey.services.roster import participants_of

bp = Blueprint("clients", __name__)

#: One year: a logo's address changes with its content.
LOGO_MAX_AGE = 365 * 24 * 3600


def _failed(error: ServiceError) -> None:
    db.session.rollback()
    flash(str(error), "error")


@bp.route("/clients")
@login_required
def console():
    """Every client organisation with its latest alignment index, response rate and open actions."""
    rows = client_rows(current_user)
    db.session.commit()
    return render_template("clients/console.html", rows=rows)


# --- people


@bp.route("/orgs/<int:org_id>/people", methods=["GET", "POST"])
@login_required
def people(org_id: int):
    """Who has access to a client; invite a manager or add an existing user by e-mail."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = AddPersonForm()
    status = 200
    if form.validate_on_submit():
        try:
            outgoing = add_person(current_user, organization, form.email.data, form.role.data)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
            status = 400
        else:
            if form.role.data == "consultant":
                flash(_("{address} has access as consultant.", address=outgoing.to), "success")
            else:
                flash(_("{address} has access as manager.", address=outgoing.to), "success")
            try:
                settings = MailSettings.from_config(current_app.config)
                send_one(outgoing.compose(settings, organization), settings)
            except ServiceError as error:
                flash(_("The e-mail to {address} was not sent ({error}). Add them again to send a new link.",
                        address=outgoing.to, error=error), "error")  # fmt: skip
            else:
                flash(_("An e-mail tells them how to sign in."), "info")
            return redirect(url_for("clients.people", org_id=org_id))
    return render_template(
        "clients/people.html", organization=organization, form=form, members=members_of(organization)
    ), status


# --- branding


@bp.route("/orgs/<int:org_id>/branding", methods=["GET", "POST"])
@login_required
def branding_page(org_id: int):
    """The client's accent colour and sender name (the logo has a form of its own)."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = BrandingForm(obj=None)
    status = 200
    if form.validate_on_submit():
        try:
            branding.set_accent_colour(current_user, organization, form.accent_colour.data or "")
            branding.set_sender_name(current_user, organization, form.sender_name.data or "")
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.accent_colour.errors = [*form.accent_colour.errors, str(error)]
            status = 400
        else:
            flash(_("Saved the branding."), "success")
            return redirect(url_for("clients.branding_page", org_id=org_id))
    elif not form.is_submitted():
        form.accent_colour.data = organization.accent_colour or ""
        form.sender_name.data = organization.sender_name or ""
    return _branding(organization, form, LogoForm(), status)


def _branding(organization: Organization, form: BrandingForm, logo_form: LogoForm, status: int):
    return render_template(
        "clients/branding.html", organization=organization, form=form, logo_form=logo_form,
        brand=branding.branding_of(organization), action=ActionForm(), max_kb=branding.MAX_LOGO_BYTES // 1024,
    ), status  # fmt: skip


@bp.route("/orgs/<int:org_id>/branding/logo", methods=["POST"])
@login_required
def logo_upload(org_id: int):
    """Upload the client's logo (checked: PNG or JPEG, size and dimensions)."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    logo_form = LogoForm()
    status = 200  # an incomplete form is shown again with its message
    if logo_form.validate_on_submit():
        try:
            branding.set_logo(
                current_user, organization, logo_form.file.data.read(branding.MAX_LOGO_BYTES + 1)
            )
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            logo_form.file.errors = [*logo_form.file.errors, str(error)]
            status = 400
        else:
            flash(_("Saved the logo."), "success")
            return redirect(url_for("clients.branding_page", org_id=org_id))
    form = BrandingForm(formdata=None, data={"accent_colour": organization.accent_colour or "",
                                             "sender_name": organization.sender_name or ""})  # fmt: skip
    return _branding(organization, form, logo_form, status)


@bp.route("/orgs/<int:org_id>/branding/logo/remove", methods=["POST"])
@login_required
def logo_remove(org_id: int):
    """Remove the client's logo."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif organization.logo_digest is None:
        flash(_("There is no logo to remove."), "error")
    else:
        branding.remove_logo(current_user, organization)
        db.session.commit()
        flash(_("Removed the logo."), "success")
    return redirect(url_for("clients.branding_page", org_id=org_id))


@bp.route("/brand/<int:org_id>/<digest>")
def logo(org_id: int, digest: str):
    """A client's logo, at the address of its digest (public: survey pages show it)."""
    organization = db.session.get(Organization, org_id)
    if organization is None or not organization.logo_digest or digest != organization.logo_digest:
        abort(404)
    response = Response(organization.logo, mimetype=organization.logo_type)
    response.headers["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}, immutable"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- privacy


@bp.route("/orgs/<int:org_id>/privacy", methods=["GET", "POST"])
@login_required
def privacy_page(org_id: int):
    """The client's retention period, and the data-protection actions on its roster."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    form = RetentionForm()
    status = 200
    if form.validate_on_submit():
        try:
            privacy.set_retention(current_user, organization, form.days.data)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
            status = 400
        else:
            days = organization.retention_days
            if days:
                flash(ngettext("Raw answers are now deleted {count} day after a wave closes.",
                               "Raw answers are now deleted {count} days after a wave closes.", days),
                      "success")  # fmt: skip
            else:
                flash(_("Raw answers are now kept until deleted by hand."), "success")
            return redirect(url_for("clients.privacy_page", org_id=org_id))
    elif not form.is_submitted():
        form.days.data = organization.retention_days
    due = privacy.retention_due(organization)
    return render_template(
        "clients/privacy.html", organization=organization, form=form, due=due,
        participants=participants_of(organization),
    ), status  # fmt: skip


@bp.route("/orgs/<int:org_id>/roster/<int:participant_id>/erase", methods=["GET", "POST"])
@login_required
def erase(org_id: int, participant_id: int):
    """Erase one person: says first what goes and what stays, then asks for confirmation."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    participant = access.participant_in(organization, participant_id)
    form = EraseForm()
    status = 200
    if form.validate_on_submit():
        label = participant.display_name or participant.email or _("person {number}", number=participant.id)
        try:
            result = privacy.erase_participant(current_user, participant)
            db.session.commit()
        except ServiceError as error:
            _failed(error)
            status = 400
        else:
            flash(_("Erased {person}: {invitations}, {emails} and {responses}.", person=label,
                    invitations=ngettext("{count} invitation", "{count} invitations", result.invitations),
                    emails=ngettext("{count} e-mail record", "{count} e-mail records", result.emails),
                    responses=ngettext("{count} response", "{count} responses", result.responses)),
                  "success")  # fmt: skip
            if result.withdrawn_releases:
                flash(ngettext("{count} published release was withdrawn: without this person a group "
                               "would fall below the threshold.",
                               "{count} published releases were withdrawn: without this person a group "
                               "would fall below the threshold.", len(result.withdrawn_releases)),
                      "info")  # fmt: skip
            return redirect(url_for("clients.privacy_page", org_id=org_id))
    return render_template(
        "clients/erase.html", organization=organization, participant=participant, form=form,
        preview=privacy.erasure_preview(participant),
    ), status  # fmt: skip


@bp.route("/orgs/<int:org_id>/roster/<int:participant_id>/export", methods=["POST"])
@login_required
def export(org_id: int, participant_id: int):
    """Everything stored about one person, as a JSON download."""
    organization = access.organization_for(current_user, org_id, access.MANAGE)
    participant = access.participant_in(organization, participant_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("clients.privacy_page", org_id=org_id))
    data = privacy.export_person(current_user, participant)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{participant.id}.json"',
            "Cache-Control": "no-store",
        },
    )
