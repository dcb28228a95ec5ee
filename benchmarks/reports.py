"""Report speed: a 5,000-respondent, 40-team wave (or the demo's wave), first computation and from the cache.

    python benchmarks/reports.py                          # SQLite in a temporary folder
    python benchmarks/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/reports.py --demo                   # the demo organisation's latest closed wave

Builds an organisation of 40 teams under 4 departments (half sales, half marketing), a closed
wave with both shipped instruments and simulated answers (``analysis.simulate``), then times
the results release (snapshot, reading the answers, the full analysis, the differencing check,
storing it) and, in the app (Flask test client, no network): the HTML report from the release
(its charts, rendering), the same page from the cache, the PDF after the page (WeasyPrint on the
cached page body), the PDF with nothing cached (page body and PDF), the Letter PDF, and the Excel
export. With ``--demo`` the wave is the demo's "Follow-up (September)" (73 responses, 7 teams, two
earlier waves in the trend) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see benchmarks/README.md
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=5000)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=20, help="cached requests to time")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--demo", action="store_true", help="time the demo wave instead")
    args = parser.parse_args()

    import sqlalchemy as sa

    from survey import create_app
    from survey.extensions import db

    server_url, database = args.database_url, None
    if server_url.startswith("postgresql"):
        database = f"mindgap_reports_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        url = sa.engine.make_url(server_url).set(database=database).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='mindgap-reports-')}/bench.sqlite"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    figures: dict = {"respondents": args.respondents, "teams": args.teams, "database": url.split(":")[0]}
    login = ("bench@example.org", "benchmark password")
    try:
        with app.app_context():
            db.create_all()
        if args.demo:
            wave_id, login = _demo(app, figures)
        else:
            wave_id = _large(app, args, figures)
        _time_requests(app, wave_id, login, args, figures)
    finally:
        if database:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _demo(app, figures) -> tuple[int, tuple[str, str]]:
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Wave
    from survey.services.demo import DEMO_PASSWORD, load_demo

    with app.app_context():
        begin = time.perf_counter()
        load_demo()
        db.session.commit()
        figures["seed_seconds"] = time.perf_counter() - begin
        wave = db.session.scalar(select(Wave).where(Wave.name == "Follow-up (September)"))
        figures["teams"] = len(wave.organization.teams)
        wave_id = wave.id
        db.session.remove()
    return wave_id, ("consultant@demo.mindgap.test", DEMO_PASSWORD)


def _large(app, args, figures) -> int:
    import pandas as pd

    import analysis
    import instruments
    from survey.extensions import db
    from survey.models import Participant
    from survey.services.organizations import create_organization, create_team
    from survey.services.response_import import import_responses
    from survey.services.users import create_user
    from survey.services.waves import create_wave

    with app.app_context():
        organization = create_organization("Benchmark Co", "bench")
        departments = [create_team(organization, f"Department {n}", ("sales", "marketing")[n % 2])
                       for n in range(4)]  # fmt: skip
        teams = [
            create_team(organization, f"Team {n:02d}", departments[n % 4].function, departments[n % 4])
            for n in range(args.teams)
        ]
        db.session.add_all([Participant(organization=organization, team=team) for team in teams])
        create_user("bench@example.org", "benchmark password", "admin")
        wave = create_wave(organization, "Benchmark wave", ["alignment", "mindset"])
        wave.status = "closed"
        db.session.flush()
        functions = {str(team.id): team.function for team in teams}
        per_team = args.respondents // args.teams
        effects = {key: {"lead_quality": -0.6 if f == "sales" else 0.2} for key, f in functions.items()}
        started = time.perf_counter()
        loaded = [instruments.load("alignment"), instruments.load("mindset")]
        frames = [analysis.simulate(loaded[0], functions, per_team, effects, seed=1),
                  analysis.simulate(loaded[1], functions, per_team, None, seed=2)]  # fmt: skip
        frame = pd.concat([frames[0], frames[1][list(loaded[1].item_ids)]], axis=1)
        frame["team"] = frame["team"].astype(int)
        import_responses(wave, frame)
        db.session.commit()
        figures["seed_seconds"] = time.perf_counter() - started
        # The release: snapshot, answers read, report computed, differencing check, stored.
        from survey.services.releases import publish

        begin = time.perf_counter()
        release = publish(wave, made_by="benchmark")
        db.session.commit()
        figures["release_seconds"] = time.perf_counter() - begin
        assert release.status == "published", release.reason
        figures["release_payload_bytes"] = len(release.payload)
        wave_id = wave.id
        db.session.remove()
    return wave_id


def _time_requests(app, wave_id: int, login: tuple[str, str], args, figures) -> None:
    import analysis
    from survey.extensions import db
    from survey.models import ReportCache, Wave

    client = app.test_client()
    client.post("/auth/login", data={"email": login[0], "password": login[1]})

    def timed(path: str) -> tuple[float, int, int]:
        begin = time.perf_counter()
        response = client.get(path)
        return time.perf_counter() - begin, response.status_code, len(response.data)

    figures["html_first"], status, size = timed(f"/reports/waves/{wave_id}")
    assert status == 200, status
    figures["html_bytes"] = size
    cached = [timed(f"/reports/waves/{wave_id}")[0] for _ in range(args.repeat)]
    figures["html_cached_median"] = statistics.median(cached)
    figures["html_cached_max"] = max(cached)
    figures["pdf_first"], status, figures["pdf_bytes"] = timed(f"/reports/waves/{wave_id}/report.pdf")
    assert status == 200, status
    figures["pdf_cached"] = timed(f"/reports/waves/{wave_id}/report.pdf")[0]
    figures["pdf_letter"] = timed(f"/reports/waves/{wave_id}/report.pdf?paper=letter")[0]
    with app.app_context():  # nothing cached: the page body is made for the PDF
        db.session.query(ReportCache).filter(ReportCache.wave_id == wave_id).delete()
        db.session.commit()
        db.session.remove()
    figures["pdf_nothing_cached"] = timed(f"/reports/waves/{wave_id}/report.pdf")[0]
    figures["xlsx_first"] = timed(f"/reports/waves/{wave_id}/results.xlsx")[0]
    with app.app_context():
        from survey.services import figures as report_figures
        from survey.services import reports

        wave = db.session.get(Wave, wave_id)
        begin = time.perf_counter()
        inputs = reports.report_inputs(wave)
        figures["read_release_inputs"] = time.perf_counter() - begin
        begin = time.perf_counter()
        report = reports.organization_report(inputs.release)
        figures["read_release_report"] = time.perf_counter() - begin
        begin = time.perf_counter()
        analysis.organization_report(
            inputs.data.responses, inputs.data.teams, inputs.data.instruments, threshold=5,
            invited=inputs.data.invited,
        )  # fmt: skip
        figures["analysis"] = time.perf_counter() - begin
        begin = time.perf_counter()
        charts = report_figures.organization_charts(report, reports.release_instruments(inputs.release))
        figures["charts"] = time.perf_counter() - begin
        figures["chart_count"] = len(charts)
        figures["svg_count"] = sum(len(chart.svgs) for chart in charts.values())
        figures["respondents"] = len(inputs.data.responses)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
