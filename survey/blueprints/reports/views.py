"""Alignment reports: HTML, PDF, CSV and XLSX of a wave, and a team's own report.

Views only check access, pick the cached output and send it; the numbers come from
``analysis`` through :mod:`survey.services.reports`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from survey.extensions import db
from survey.services import access, audit
from survey.services import reports as service

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


def _report_body(inputs, language: str) -> str:
    """The report itself, the same for every reader: this is what is cached and printed."""
    report = service.organization_report(inputs, language)
    return render_template(
        "reports/_organization.html", report=report, wave=inputs.wave, charts=service.report_charts(report),
        names=service.dimension_names(report), top_gaps=service.top_gaps(report),
        matrix=service.means_matrix(report), language=language,
    )  # fmt: skip


def _print_css() -> str:
    """The stylesheets inlined, so the PDF renderer never fetches anything over the network."""
    with current_app.open_resource("static/mindgap.css", "r") as screen, \
            current_app.open_resource("static/report-print.css", "r") as printed:  # fmt: skip
        return screen.read() + "\n" + printed.read()


def _output(wave, kind: str, language: str, build) -> bytes:
    state = service.report_state(wave)
    payload = service.cached(wave, kind, language, lambda: build(service.report_inputs(wave)), state)
    db.session.commit()
    return payload


def _cached_body(wave, language: str, state: str | None = None) -> bytes:
    """The report body of the page and the PDF: built once per wave state and language."""

    def build() -> bytes:
        return _report_body(service.report_inputs(wave), language).encode()

    return service.cached(wave, "html", language, build, state)


@bp.route("/waves/<int:wave_id>")
@login_required
def wave_report(wave_id: int):
    """The organisation report of a wave, as a page."""
    wave = access.wave_for(current_user, wave_id)
    language = _language()
    body = _cached_body(wave, language)
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
    state = service.report_state(wave)

    def build() -> bytes:
        from weasyprint import HTML

        # The page's report body, from the cache when someone has looked at the page.
        html = render_template("reports/print.html", title=f"Alignment report · {wave.name}",
                               body=_cached_body(wave, language, state).decode(), print_css=_print_css(),
                               language=language)  # fmt: skip
        return HTML(string=html).write_pdf()

    pdf = service.cached(wave, "pdf", language, build, state)
    db.session.commit()
    return _download(pdf, "application/pdf", f"mindgap-wave-{wave.id}.pdf")


@bp.route("/waves/<int:wave_id>/results.<any(csv, xlsx):extension>")
@login_required
def wave_results(wave_id: int, extension: str):
    """The aggregated, suppressed results as CSV or XLSX."""
    wave = access.wave_for(current_user, wave_id)
    build = service.results_csv if extension == "csv" else service.results_xlsx
    payload = _output(wave, extension, "en", lambda inputs: build(service.organization_report(inputs)))
    audit.record(current_user, "results exported", organization=wave.organization, subject=f"wave {wave.id}",
                 details={"format": extension})  # fmt: skip
    db.session.commit()
    mimetype = "text/csv" if extension == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    return _download(payload, mimetype, f"mindgap-wave-{wave.id}-results.{extension}")


@bp.route("/waves/<int:wave_id>/responses.csv")
@login_required
def wave_responses(wave_id: int):
    """Anonymised raw responses, for consultants only (no ids, times or comments; small teams unnamed)."""
    wave = access.wave_for(current_user, wave_id, access.MANAGE)
    inputs = service.report_inputs(wave)
    payload = service.raw_responses_csv(inputs, service.organization_report(inputs))
    audit.record(
        current_user, "responses exported", organization=wave.organization, subject=f"wave {wave.id}"
    )
    db.session.commit()
    return _download(payload, "text/csv", f"mindgap-wave-{wave.id}-responses.csv")


@bp.route("/waves/<int:wave_id>/teams/<int:team_id>")
@login_required
def team_report(wave_id: int, team_id: int):
    """One team against the organisation: profile, gaps to each other team, agreement, trend."""
    wave = access.wave_for(current_user, wave_id)
    access.team_in(wave.organization, team_id)
    language = _language()

    def build(inputs) -> bytes:
        organization = service.organization_report(inputs, language)
        report = service.team_report(inputs, team_id, organization)
        return render_template(
            "reports/_team.html", report=report, organization=organization, wave=inputs.wave,
            names=service.dimension_names(organization), charts=service.team_charts(report, organization),
        ).encode()  # fmt: skip

    body = _output(wave, f"team-{team_id}", language, build)
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
