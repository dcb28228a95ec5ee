"""Fault injection: kill -9 workers during submissions; restart PostgreSQL under load.

All traffic goes to 127.0.0.1; every loop is bounded.

    python benchmarks/faults.py kill-worker            # safe anywhere: only our gunicorn is hurt
    python benchmarks/faults.py restart-postgres       # restarts the local PostgreSQL cluster (root)

kill-worker: respondents fill their survey, then all submit at once while one gunicorn
worker after another is killed with SIGKILL. A respondent whose request dies retries, as a
browser would. Afterwards every response must be submitted exactly once with every answer.

restart-postgres: respondents save pages in a loop while the PostgreSQL cluster restarts.
While it is down the app must answer 503 with Retry-After (never 500), and it must recover
by itself; afterwards the data is checked as above.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import (  # noqa: E402
    DEFAULT_SERVER,
    THANKS,
    Browser,
    csrf_token,
    drop_database,
    free_port,
    fresh_database,
    page_form,
    seed,
    start_gunicorn,
    stop,
)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def fill_until_last_page(browser: Browser, token: str) -> tuple[str, dict]:
    """Open the link, start, and answer every page but the last; return the last page's form."""
    _, _, html = browser.request("GET", f"/s/{token}")
    start = {"language": "en", "csrf_token": csrf_token(html)}
    _, _, html = browser.request("POST", f"/s/{token}/start", start)
    while True:
        location, form, last = page_form(html)
        if last:
            return location, form
        _, _, html = browser.request("POST", location, form)


def submit_with_retries(browser: Browser, location: str, form: dict, statuses: Counter, lock) -> bool:
    for _ in range(20):
        try:
            status, _, html = browser.request("POST", location, form)
        except OSError:
            with lock:
                statuses["connection lost"] += 1
            browser.connection = None
            time.sleep(0.2)
            continue
        with lock:
            statuses[status] += 1
        if status == 200 and THANKS in html:
            return True
        time.sleep(0.2)
    return False


def verify(url: str) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as c:
        result = {
            "responses": c.execute(sa.text("SELECT count(*) FROM response")).scalar(),
            "submitted": c.execute(
                sa.text("SELECT count(*) FROM response WHERE status='submitted'")
            ).scalar(),
            "answers_per_response": sorted(
                set(c.execute(sa.text("SELECT count(*) FROM answer GROUP BY response_id")).scalars())
            ),  # fmt: skip
            "used_invitations": c.execute(
                sa.text("SELECT count(*) FROM invitation WHERE used_at IS NOT NULL")
            ).scalar(),
        }
    engine.dispose()
    return result


def kill_worker(args, url, env) -> dict:
    tokens = seed(env, args.respondents)
    port = free_port()
    server = start_gunicorn("survey:create_app()", port, env, workers=3, threads=2)
    browsers = [Browser(port, 30) for _ in tokens]
    with ThreadPoolExecutor(max_workers=20) as pool:
        prepared = list(
            pool.map(lambda pair: fill_until_last_page(*pair), zip(browsers, tokens, strict=True))
        )
    statuses, lock, killed = Counter(), threading.Lock(), []

    def killer():
        for _ in range(args.kills):
            time.sleep(0.05)
            pids = worker_pids(server.pid)
            if pids:
                try:
                    os.kill(pids[0], 9)
                    killed.append(pids[0])
                except ProcessLookupError:  # it was being replaced already
                    pass

    thread = threading.Thread(target=killer)
    thread.start()
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        done = list(pool.map(lambda n: submit_with_retries(browsers[n], *prepared[n], statuses, lock),
                             range(len(tokens))))  # fmt: skip
    thread.join()
    stop(server)
    return {"scenario": "kill-worker", "respondents": len(tokens), "workers_killed": len(killed),
            "completed": sum(done), "statuses": {str(k): v for k, v in statuses.items()},
            "database": verify(url)}  # fmt: skip


def restart_postgres(args, url, env) -> dict:
    tokens = seed(env, args.respondents)
    port = free_port()
    server = start_gunicorn("survey:create_app()", port, env, workers=3, threads=2)
    statuses, lock = Counter(), threading.Lock()
    retry_after = set()
    stop_at = time.time() + args.seconds

    class CountingBrowser(Browser):
        """Counts every answer, so the 503s while the database is down are seen."""

        def request(self, method, path, form=None):
            try:
                status, headers, text = super().request(method, path, form)
            except OSError:
                with lock:
                    statuses["connection lost"] += 1
                raise
            with lock:
                statuses[status] += 1
                if status == 503:
                    retry_after.add(headers.get("Retry-After"))
            return status, headers, text

    def respondent(token):
        browser = CountingBrowser(port, 10)
        while time.time() < stop_at:
            try:
                location, form = fill_until_last_page(browser, token)
                if submit_with_retries(browser, location, form, statuses, lock):
                    return True
            except Exception:  # noqa: BLE001 - a failed step is retried, like a person would
                browser.connection = None
            time.sleep(0.5)
        return False

    cluster = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True).stdout.split()[0]

    def restarter():
        # Restart once the respondents are well under way (a bounded wait).
        deadline = time.time() + 30
        while sum(statuses.values()) < 4 * len(tokens) and time.time() < deadline:
            time.sleep(0.05)
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart", "-m", "fast"]
        subprocess.run(command, check=True)

    thread = threading.Thread(target=restarter)
    thread.start()
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        done = list(pool.map(respondent, tokens))
    thread.join()
    stop(server)
    return {"scenario": "restart-postgres", "respondents": len(tokens), "completed": sum(done),
            "statuses": {str(k): v for k, v in statuses.items()},
            "retry_after_values": sorted(map(str, retry_after)), "database": verify(url)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=("kill-worker", "restart-postgres"))
    parser.add_argument("--respondents", type=int, default=40)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="upper bound for restart-postgres")
    parser.add_argument("--server-url", default=os.environ.get("MINDGAP_LOAD_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    url = fresh_database(args.server_url)
    env = {**os.environ, "MINDGAP_DATABASE_URL": url, "MINDGAP_SECRET_KEY": uuid.uuid4().hex * 2,
           "MINDGAP_INSTANCE_PATH": tempfile.mkdtemp(prefix="mindgap-faults-"),
           "MINDGAP_INVITE_LOOKUP_LIMIT": '"100000 per minute"'}  # fmt: skip
    try:
        result = (kill_worker if args.scenario == "kill-worker" else restart_postgres)(args, url, env)
    finally:
        for _ in range(30):  # after a restart the server may need a moment before DROP DATABASE works
            try:
                drop_database(args.server_url, url)
                break
            except Exception:  # noqa: BLE001
                time.sleep(1)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    database = result["database"]
    ok = (result["completed"] == database["submitted"] == database["responses"] == args.respondents
          and len(database["answers_per_response"]) <= 1 and "500" not in result["statuses"]
          and database["used_invitations"] == args.respondents)  # fmt: skip
    print("OK" if ok else "FAILED: see above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
