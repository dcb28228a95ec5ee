"""Alignment reports: HTML, PDF, CSV and XLSX of a wave, and a team's own report.

Views only check access, find the wave's latest results release, pick its cached output
and send it; the numbers come from the release through :mod:`survey.services.reports`,
the words and charts from :mod:`survey.services.presenter`, the files from
:mod:`survey.services.exports`. A wave without a release answers 404 with a page that
shows its progress and says when its results come.
"""

from __future__ import annotations

import base64
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from analysis.charts import font_path
from survey.extensions import db
from survey.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    current_language,
    force_language,
    format_number,
    format_percentage,
    translate,
    use_language,
)
from survey.services import access, audit, branding, exports, presenter
from survey.services import reports as service
from survey.services.action_effects import evaluate as evaluate_actions
from survey.services.action_effects import evaluations_by_wave
from survey.services.action_section import actions_state
from survey.services.board import wave_progress
from survey.services.dates import readable_date, zone_named
from survey.services.releases import not_released_text

bp = Blueprint("reports", __name__, url_prefix="/reports")
#: ``?paper=`` values of the PDF and their CSS page sizes.
PAPERS = {"a4": "A4", "letter": "Letter"}
#: The report's titles, downloads and footer, translated into the report's language where shown.
TEXT = {
    "title": N_("Alignment report · {wave}"),
    "team_title": N_("Team report · {wave}"),
    "pdf_a4": N_("PDF (A4)"),
    "pdf_letter": N_("PDF (Letter)"),
    "results_xlsx": N_("Results (Excel)"),
    "results_csv": N_("Results (CSV)"),
    "responses_csv": N_("Anonymised responses (CSV)"),
    "paper": N_("The PDF comes in A4 (paper=a4) or Letter (paper=letter)."),
    "no_team": N_("This team was not part of the wave's released results."),
    "footer": N_("Mindgap alignment report · confidential"),
    "page_of": N_("Page {page} of {pages}"),
}
#: The font files pages load: name -> (bold, italic).
FONTS = {
    "DejaVuSans.ttf": (False, False),
    "DejaVuSans-Bold.ttf": (True, False),
    "DejaVuSans-Oblique.ttf": (False, True),
    "DejaVuSans-BoldOblique.ttf": (True, True),
}


def _text(language: str, key: str, **values) -> str:
    """The page's message ``key`` in ``language``."""
    return translate(language, TEXT[key], **values)


@bp.app_template_filter("rows")
def rows_filter(frame):
    """A DataFrame as a list of plain dicts (NaN as None), for templates."""
    return exports.records(frame)


@bp.app_template_filter("num")
def number_filter(value, digits: int = 2) -> str:
    """A number for people in the page's language: fixed decimals, a dash for missing values."""
    value = exports.plain(value)
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        return value
    return format_number(value, digits)


@bp.app_template_filter("pct")
def percent_filter(value) -> str:
    """A share (0–1) as a percentage in the page's language."""
    value = exports.plain(value)
    return "–" if value is None else format_percentage(value)


@bp.app_template_global("results_due")
def results_due(wave) -> str:
    """When a wave without released results will have them, in a sentence (for wave lists)."""
    return not_released_text(wave)


def _language() -> str:
    """The report's language: ``?lang=`` if the product ships it, else the reader's language.

    It becomes the language of the whole page (:func:`~survey.i18n.use_language`).
    """
    asked = request.args.get("lang", "")
    return use_language(asked if asked in LANGUAGES else current_language())


def _language_links(endpoint: str, language: str, **values) -> list[tuple[str, str, str, bool]]:
    """The report in each language the product ships: (code, name, url, whether it is this one)."""
    return [(code, LANGUAGE_NAMES[code], url_for(endpoint, **values, lang=code), code == language)
            for code in LANGUAGES]  # fmt: skip


def _released(wave):
    """The release outputs read now; a 404 page with the wave's progress if there is none."""
    release = service.wave_release(wave)
    db.session.commit()  # keep a release a live wave just made
    if release is None:
        manages = access.can(current_user, wave.organization, access.MANAGE)
        progress = None
        if wave.status != "draft":
            progress = wave_progress(wave, merge_below=0 if manages else wave.anonymity_threshold)
        trend = service.organization_trend(wave.organization)
        db.session.commit()
        latest = trend["latest_wave_id"] if trend["latest_wave_id"] != wave.id else None
        language = current_language()
        closes = ""
        if wave.status == "open" and wave.closes_at:
            closes = readable_date(wave.closes_at, language, zone_named(wave.organization.time_zone))
        page = render_template("reports/not_released.html", wave=wave, organization=wave.organization,
                               reason=not_released_text(wave), progress=progress, latest=latest,
                               closes=closes)  # fmt: skip
        abort(make_response(page, 404))
    return release


def _linked(release, report) -> set[int]:
    """Teams whose names link to their team reports: shown, and in the release's tree."""
    shown = report.suppression.shown
    return {team for team in service.release_teams(release) if team in shown}


def _report_body(release, language: str) -> str:
    """The report itself, the same for every reader: this is what is cached and printed."""
    report = service.organization_report(release, language)
    wave = release.wave
    actions = evaluate_actions(wave, report)
    earlier = evaluations_by_wave(wave.organization_id, wave, including=False) if actions else []
    view = presenter.organization_view(
        report, wave=release.wave, release=release, organization_name=release.wave.organization.name,
        instruments=service.release_instruments(release), linked=_linked(release, report), language=language,
        actions=actions, trend_actions=(*earlier, (wave, actions)) if actions else (),
    )  # fmt: skip
    with force_language(language):
        return render_template("reports/_organization.html", view=view, wave=release.wave, release=release)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _footer_css(language: str) -> str:
    """The PDF's running footer in ``language``: "Page 3 of 12" from the page counters, the title."""
    page, pages = "\x00page\x00", "\x00pages\x00"
    parts = _text(language, "page_of", page=page, pages=pages).split("\x00")
    counters = {"page": "counter(page)", "pages": "counter(pages)"}
    content = " ".join(counters.get(part) or _css_string(part) for part in parts if part)
    footer = _css_string(_text(language, "footer"))
    return (f"@page {{ @bottom-right {{ content: {content}; }} @bottom-left {{ content: {footer}; }} }}\n"
            "@page cover { @bottom-right { content: none; } @bottom-left { content: none; } }\n")  # fmt: skip


def _print_css(paper: str, language: str = "en") -> str:
    """The stylesheets inlined, so the PDF renderer fetches nothing but the shipped font."""
    with current_app.open_resource("static/mindgap.css", "r") as screen, \
            current_app.open_resource("static/report-print.css", "r") as printed:  # fmt: skip
        css = screen.read() + "\n" + printed.read()
    faces = "".join(
        f'@font-face {{ font-family: "DejaVu Sans"; font-weight: {"bold" if bold else "normal"}; '
        f"font-style: {'italic' if italic else 'normal'}; "
        f'src: url("{font_path(bold, italic).as_uri()}"); }}\n'
        for bold, italic in FONTS.values()
    )
    return faces + css + f"\n@page {{ size: {PAPERS[paper]}; }}\n" + _footer_css(language)


def _font_fetcher():
    """WeasyPrint's fetcher, limited to the shipped font files and inline data (no network)."""
    from weasyprint import URLFetcher

    allowed = {font_path(bold, italic).as_uri() for bold in (False, True) for italic in (False, True)}

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url in allowed or url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"The report PDF loads nothing from {url[:60]!r}")

    return FontsOnly(allowed_protocols=("file", "data"))


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _svg_as_image(match: re.Match) -> str:
    """An inline chart as an image: WeasyPrint then parses and styles it apart from the page."""
    data = base64.b64encode(match.group(0).encode()).decode()
    return f'<img class="svg" alt="" src="data:image/svg+xml;base64,{data}">'


def _cached_body(wave, release, language: str) -> bytes:
    """The report body of the page and the PDF: built once per release and language."""
    return service.cached(wave, "html", language, lambda: _report_body(release, language).encode(),
                          service.release_state(release) + actions_state(wave))  # fmt: skip


def _fonts() -> list[str]:
    return [url_for("reports.font", name=name) for name in FONTS]


@bp.route("/waves/<int:wave_id>")
@login_required
def wave_report(wave_id: int):
    """The organisation report of a wave's latest release, as a page."""
    wave = access.wave_for(current_user, wave_id)
    language = _language()
    release = _released(wave)
    body = _cached_body(wave, release, language)
    db.session.commit()
    pdf = "reports.wave_report_pdf"
    downloads = [
        ("pdf_a4", url_for(pdf, wave_id=wave.id, lang=language)),
        ("pdf_letter", url_for(pdf, wave_id=wave.id, lang=language, paper="letter")),
        ("results_xlsx", url_for("reports.wave_results", wave_id=wave.id, extension="xlsx")),
        ("results_csv", url_for("reports.wave_results", wave_id=wave.id, extension="csv")),
    ]
    if access.can(current_user, wave.organization, access.MANAGE):
        downloads.append(("responses_csv", url_for("reports.wave_responses", wave_id=wave.id)))
    downloads = [(_text(language, key), url) for key, url in downloads]
    return render_template("reports/page.html", title=_text(language, "title", wave=wave.name),
                           body=body.decode(), downloads=downloads, organization=wave.organization,
                           fonts=_fonts(), languages=_language_links("reports.wave_report", language,
                                                                     wave_id=wave.id),
                           new_action_url=url_for("actions.new", org_id=wave.organization_id,
                                                  wave=wave.id))  # fmt: skip


@bp.route("/waves/<int:wave_id>/report.pdf")
@login_required
def wave_report_pdf(wave_id: int):
    """The same report as a print-quality PDF: a cover, page numbers, A4 or ``?paper=letter``."""
    wave = access.wave_for(current_user, wave_id)
    language = _language()
    paper = request.args.get("paper", "a4").lower()
    if paper not in PAPERS:
        abort(404, description=_text(language, "paper"))
    release = _released(wave)
    pdf = _cached_pdf(wave, release, language, paper)
    db.session.commit()
    suffix = "" if paper == "a4" else f"-{paper}"
    return _download(pdf, "application/pdf", f"mindgap-wave-{wave.id}-release-{release.number}{suffix}.pdf")


def _cached_pdf(wave, release, language: str, paper: str) -> bytes:
    def build() -> bytes:
        from weasyprint import HTML

        # The page's report body, from the cache when someone has looked at the page.
        body = _SVG.sub(_svg_as_image, _cached_body(wave, release, language).decode())
        with force_language(language):
            title = _text(language, "title", wave=wave.name)
            html = render_template("reports/print.html", title=title, body=body, language=language,
                                   print_css=_print_css(paper, language), brand=brand,
                                   logo=branding.logo_data_uri(wave.organization))  # fmt: skip
        return HTML(string=html, url_fetcher=_font_fetcher()).write_pdf()

    brand = branding.branding_of(wave.organization)
    kind = "pdf" if paper == "a4" else f"pdf-{paper}"
    state = service.release_state(release) + actions_state(wave) + brand.state
    return service.cached(wave, kind, language, build, state)


def _cached_results(wave, release, extension: str) -> bytes:
    build = exports.results_csv if extension == "csv" else exports.results_xlsx
    return service.cached(wave, extension, "en",
                          lambda: build(service.organization_report(release), release.cuts),
                          service.release_state(release))  # fmt: skip


def prebuild(wave, release) -> None:
    """Build and cache what a release's readers download: the report page body and the A4 PDF
    in each of the wave's languages (other languages are built when first asked for; every
    cached output is kept per language), and the results as XLSX and CSV (a background job)."""
    for language in [code for code in wave.languages or [] if code in LANGUAGES] or ["en"]:
        _cached_pdf(wave, release, language, "a4")
        db.session.commit()
    for extension in ("xlsx", "csv"):
        _cached_results(wave, release, extension)
        db.session.commit()


@bp.route("/waves/<int:wave_id>/results.<any(csv, xlsx):extension>")
@login_required
def wave_results(wave_id: int, extension: str):
    """The aggregated, suppressed results of the latest release as CSV or XLSX."""
    wave = access.wave_for(current_user, wave_id)
    release = _released(wave)
    payload = _cached_results(wave, release, extension)
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
    payload = exports.raw_responses_csv(release, service.organization_report(release))
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
    language = _language()
    if team_id not in service.release_teams(release):
        abort(404, description=_text(language, "no_team"))

    def build() -> bytes:
        organization = service.organization_report(release, language)
        report = service.team_report(release, team_id, organization)
        view = presenter.team_view(
            report, organization, organization_name=wave.organization.name, release=release,
            linked=_linked(release, organization), language=language,
        )  # fmt: skip
        with force_language(language):
            return render_template("reports/_team.html", view=view, wave=wave, release=release).encode()

    body = service.cached(wave, f"team-{team_id}", language, build, service.release_state(release))
    db.session.commit()
    return render_template("reports/page.html", title=_text(language, "team_title", wave=wave.name),
                           body=body.decode(), downloads=[], organization=wave.organization, fonts=_fonts(),
                           languages=_language_links("reports.team_report", language, wave_id=wave.id,
                                                     team_id=team_id))  # fmt: skip


@bp.route("/fonts/<name>")
def font(name: str):
    """The report's one font (DejaVu Sans, as matplotlib ships it), for pages and their charts."""
    if name not in FONTS:
        abort(404)
    return send_file(font_path(*FONTS[name]), mimetype="font/ttf", max_age=7 * 24 * 3600)


def _download(payload: bytes, mimetype: str, filename: str) -> Response:
    response = Response(payload, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.before_request
def _known_wave_id():
    if request.view_args and request.view_args.get("wave_id", 1) < 1:
        abort(404)
