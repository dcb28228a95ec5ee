"""Background jobs: the request that starts a large send, and downloads a job pre-built.

    python benchmarks/jobs.py [--invitations 5000] [--respondents 5000] [--teams 40] [--repeat 20]

1. A wave with ``--invitations`` invited people (each with an address): the wave page's
   "Send invitations" POST is timed; it only records the job and queues it (SQLite job file,
   no worker running), so nothing is sent.
2. A closed wave of ``--respondents`` respondents (built as benchmarks/reports.py does) is
   released, and a pre-build job (run in this process) fills the cache; then the PDF and
   Excel downloads are timed, as a reader gets them.
Prints the figures as JSON; docs/PERFORMANCE.md keeps them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=5000)
    parser.add_argument("--respondents", type=int, default=5000)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from survey import create_app
    from survey.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="mindgap-jobs-"))
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": "bench",
              "WTF_CSRF_ENABLED": False, "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite'}"}  # fmt: skip
    app = create_app(config)
    figures: dict = {"invitations": args.invitations, "respondents": args.respondents}
    with app.app_context():
        db.create_all()
    _time_send(app, args, figures)
    _time_downloads(create_app({**config, "JOBS_IMMEDIATE": True}), args, figures)
    print(json.dumps(figures, indent=2))
    return 0


def _time_send(app, args, figures) -> None:
    from survey.extensions import db
    from survey.models import Participant
    from survey.services.invitations import invite_roster
    from survey.services.organizations import create_organization, create_team
    from survey.services.users import create_user
    from survey.services.waves import create_wave, open_wave

    with app.app_context():
        organization = create_organization("Send Co", "send")
        team = create_team(organization, "Everyone", "sales")
        db.session.add_all(
            [Participant(organization=organization, team=team, email=f"p{n}@example.org")
             for n in range(args.invitations)]
        )  # fmt: skip
        create_user("send@example.org", "benchmark password", "admin")
        wave = create_wave(organization, "Send wave", ["alignment"])
        open_wave(wave)
        invite_roster(wave)
        db.session.commit()
        wave_id = wave.id
        db.session.remove()
    client = app.test_client()
    client.post("/auth/login", data={"email": "send@example.org", "password": "benchmark password"})
    times = []
    for _ in range(args.repeat):
        begin = time.perf_counter()
        response = client.post(f"/waves/{wave_id}/send")
        times.append(time.perf_counter() - begin)
        assert response.status_code == 302, response.status_code
    figures["send_post_first"] = times[0]
    figures["send_post_median"] = statistics.median(times)
    figures["send_post_max"] = max(times)


def _time_downloads(app, args, figures) -> None:
    from benchmarks.reports import _large
    from survey import jobs
    from survey.extensions import db
    from survey.models import Wave
    from survey.services import background
    from survey.services.releases import latest_release

    bench = argparse.Namespace(respondents=args.respondents, teams=args.teams)
    wave_id = _large(app, bench, figures)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        job = background.request_prebuild(wave, latest_release(wave))
        db.session.commit()
        begin = time.perf_counter()
        jobs.enqueue(job)  # immediate: runs here, as the worker would
        figures["prebuild_job_seconds"] = time.perf_counter() - begin
        db.session.remove()
    client = app.test_client()
    client.post("/auth/login", data={"email": "bench@example.org", "password": "benchmark password"})
    for name, path in (("pdf", "report.pdf"), ("xlsx", "results.xlsx")):
        times = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            response = client.get(f"/reports/waves/{wave_id}/{path}")
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.status_code
        figures[f"{name}_prebuilt_median"] = statistics.median(times)
        figures[f"{name}_prebuilt_max"] = max(times)


if __name__ == "__main__":
    raise SystemExit(main())
