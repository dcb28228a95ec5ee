"""Alignment reports: HTML, PDF, CSV and XLSX of a wave, and a team's own report.

Views only check access, find the wave's latest results release, pick its cached output
and send it; the numbers come from the release through :mod:`survey.services.reports`.
A wave without a release answers 404 with a page that says when its results come.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from survey.extensions import db
from survey.services import access, audit
from survey.services import reports as service
from survey.services.releases import not_released_text

bp = Blueprint("reports", __name__, url_prefix="/reports")
LANGUAGES = ("en", "de")


@bp.app_template_filter("rows")
def rows_filter(frame):
    """A DataFrame as a list of plain dicts (NaN as None), for templates."""
    return service.records(frame)


@bp.app_template_filter("num")
def number_filter(value, digits: int = 2) -> str:
    """A number for people: fixed decimals, a dash for missing values."""
    value = service.plain(value)
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


@bp.app_template_filter("pct")
def percent_filter(value) -> str:
    value = service.plain(value)
    return "–" if value is None else f"{100 * value:.0f} %"


def _language() -> str:
    language = request.args.get("lang", "en")
    return language if language in LANGUAGES else "en"


def _released(wave):
    """The release outputs read now; a 404 that says when results come if there is none."""
    release = service.wave_release(wave)
    db.session.commit()  # keep a release a live wave just made
    if release is None:
        abort(404, description=not_released_text(wave))
    return release


def _report_body(release, language: str) -> str:
    """The report itself, the same for every reader: this is what is cached and printed."""
    report = service.organization_report(release, language)
    return render_template(
        "reports/_organization.html", report=report, wave=release.wave, release=release,
        charts=service.report_charts(report), names=service.dimension_names(report),
        top_gaps=service.top_gaps(report), matrix=service.means_matrix(report), language=language,
    )  # fmt: skip


def _print_css() -> str:
    """The stylesheets inlined, so the PDF renderer never fetches anything over the network."""
    with current_app.open_resource("static/mindgap.css", "r") as screen, \
            current_app.open_resource("static/report-print.css", "r") as printed:  # fmt: skip
        return screen.read() + "\n" + printed.read()


def _cached_body(wave, release, language: str) -> bytes:
    """The report body of the page and the PDF: built once per release and language."""
    return service.cached(wave, "html", language, lambda: _report_body(release, language).encode(),
                          service.release_state(release))  # fmt: skip


@bp.route("/waves/<int:wave_id>")
@login_required
def wave_report(wave_id: int):
    """The organisation report of a wave's latest release, as a page."""
    wave = access.wave_for(current_user, wave_id)
    language = _language()
    release = _released(wave)
    body = _cached_body(wave, release, language)
    db.session.commit()
    downloads = [
        ("PDF", url_for("reports.wave_report_pdf", wave_id=wave.id, lang=language)),
        ("Results (Excel)", url_for("reports.wave_results", wave_id=wave.id, extension="xlsx")),
        ("Results (CSV)", url_for("reports.wave_results", wave_id=wave.id, extension="csv")),
    ]
    if access.can(current_user, wave.organization, access.MANAGE):
        downloads.append(("Anonymised responses (CSV)", url_for("reports.wave_responses", wave_id=wave.id)))
    return render_template("reports/page.html", title=f"Alignment report · {wave.name}",
                           body=body.decode(), downloads=downloads)  # fmt: skip


@bp.route("/waves/<int:wave_id>/report.pdf")
@login_required
def wave_report_pdf(wave_id: int):
    """The same report as a print-quality PDF with page numbers."""
    wave = access.wave_for(current_user, wave_id)
    language = _language()
    release = _released(wave)

    def build() -> bytes:
        from weasyprint import HTML

        # The page's report body, from the cache when someone has looked at the page.
        html = render_template("reports/print.html", title=f"Alignment report · {wave.name}",
                               body=_cached_body(wave, release, language).decode(),
                               print_css=_print_css(), language=language)  # fmt: skip
        return HTML(string=html).write_pdf()

    pdf = service.cached(wave, "pdf", language, build, service.release_state(release))
    db.session.commit()
    return _download(pdf, "application/pdf", f"mindgap-wave-{wave.id}-release-{release.number}.pdf")


@bp.route("/waves/<int:wave_id>/results.<any(csv, xlsx):extension>")
@login_required
def wave_results(wave_id: int, extension: str):
    """The aggregated, suppressed results of the latest release as CSV or XLSX."""
    wave = access.wave_for(current_user, wave_id)
    release = _released(wave)
    build = service.results_csv if extension == "csv" else service.results_xlsx
    payload = service.cached(wave, extension, "en", lambda: build(service.organization_report(release)),
                             service.release_state(release))  # fmt: skip
    audit.record(current_user, "results exported", organization=wave.organization, subject=f"wave {wave.id}",
                 details={"format": extension, "release": release.number})  # fmt: skip
    db.session.commit()
    mimetype = "text/csv" if extension == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    filename = f"mindgap-wave-{wave.id}-release-{release.number}-results.{extension}"
    return _download(payload, mimetype, filename)


@bp.route("/waves/<int:wave_id>/responses.csv")
@login_required
def wave_responses(wave_id: int):
    """A release's anonymised raw responses, for consultants only (no ids, times or comments)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    release = _released(wave)
    payload = service.raw_responses_csv(release, service.organization_report(release))
    audit.record(current_user, "responses exported", organization=wave.organization,
                 subject=f"wave {wave.id}", details={"release": release.number})  # fmt: skip
    db.session.commit()
    return _download(payload, "text/csv", f"mindgap-wave-{wave.id}-release-{release.number}-responses.csv")


@bp.route("/waves/<int:wave_id>/teams/<int:team_id>")
@login_required
def team_report(wave_id: int, team_id: int):
    """One team against the organisation: profile, gaps to each other team, agreement, trend."""
    wave = access.wave_for(current_user, wave_id)
    release = _released(wave)
    if team_id not in service.release_teams(release):
        abort(404, description="This team was not part of the wave's released results.")
    language = _language()

    def build() -> bytes:
        organization = service.organization_report(release, language)
        report = service.team_report(release, team_id, organization)
        return render_template(
            "reports/_team.html", report=report, organization=organization, wave=wave, release=release,
            names=service.dimension_names(organization), charts=service.team_charts(report, organization),
        ).encode()  # fmt: skip

    body = service.cached(wave, f"team-{team_id}", language, build, service.release_state(release))
    db.session.commit()
    return render_template(
        "reports/page.html", title=f"Team report · {wave.name}", body=body.decode(), downloads=[]
    )


def _download(payload: bytes, mimetype: str, filename: str) -> Response:
    response = Response(payload, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.before_request
def _known_wave_id():
    if request.view_args and request.view_args.get("wave_id", 1) < 1:
        abort(404)
