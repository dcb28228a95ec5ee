"""Load test: many respondents take a survey at once against gunicorn on PostgreSQL.

Every request goes to 127.0.0.1 only; the run is bounded by --respondents and --timeout.

    python benchmarks/load.py                      # 1,000 respondents, 200 at a time, one instance
    python benchmarks/load.py --instances 2        # two app instances on one database
    python benchmarks/load.py --respondents 100 --concurrency 20         # the CI-sized run

What it does: creates a fresh PostgreSQL database, migrates it, seeds an organisation with
one open wave (the alignment instrument) and invitations for both runs below, starts gunicorn
with the production settings (``mindgap serve``'s), then lets simulated respondents open
their link, start, save every page and submit: once as a crowd (each respondent through the
whole survey, ``--concurrency`` at a time), once step by step (all open, then all start, then
all answer page 1 one question at a time as the page's script does, then all save their pages),
which gives each step a throughput of its own. Afterwards it checks the database:
exactly one submitted response per invitation, every answer present, no 5xx. It reports
throughput and p50 / p99 latency per step, and the same figures for a bare Flask "hello
world" served the same way in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
RADIO = re.compile(r'type="radio" id="[^"]*" name="(item-[^"]+)" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="survey-page"')
SHOWN_AT = re.compile(r'name="shown_at" value="([^"]*)"')
ANSWER_URL = re.compile(r'data-answer-url="([^"]+)"')
THANKS = "Thank you"


# --- set-up


def fresh_database(server_url: str) -> str:
    import sqlalchemy as sa

    name = f"mindgap_load_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def seed(env: dict, respondents: int) -> list[str]:
    """Migrate, then create the organisation, wave and invitations; return the invitation tokens."""
    subprocess.run([sys.executable, "-m", "survey.cli", "db", "upgrade"], env=env, check=True, cwd=ROOT,
                   capture_output=True)  # fmt: skip
    os.environ.update(env)
    from survey import create_app
    from survey.extensions import db
    from survey.models import Participant
    from survey.services.invitations import invite
    from survey.services.organizations import create_organization, create_team
    from survey.services.waves import create_wave, open_wave

    app = create_app()
    with app.app_context():
        organization = create_organization("Load test", f"load-{uuid.uuid4().hex[:6]}")
        teams = [create_team(organization, f"Team {n}", ("sales", "marketing")[n % 2]) for n in range(20)]
        people = [Participant(organization=organization, team=teams[n % len(teams)], email=f"p{n}@load.test")
                  for n in range(respondents)]  # fmt: skip
        db.session.add_all(people)
        db.session.flush()
        wave = open_wave(create_wave(organization, "Load", ["alignment"]))
        db.session.flush()
        tokens = [issued.token for issued in invite(wave, people)]
        db.session.commit()
        db.engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict, workers: int | None = None, threads: int | None = None,
                   access_log: str = "/dev/null") -> subprocess.Popen:  # fmt: skip
    """gunicorn with the production settings of ``mindgap serve`` (:mod:`survey.serving`)."""
    from survey.serving import gunicorn_command

    command = gunicorn_command("127.0.0.1", port, workers, threads, access_log=access_log, app=target)
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start on port {port}: {process.stderr.read().decode()[-2000:]}")


def wait_until_idle(processes, timeout: float = 60.0) -> None:
    """Wait until freshly started servers stop using the CPU.

    gunicorn accepts connections as soon as its master listens, while its workers may still be
    importing the app for a few seconds of CPU each. Measured then, the first yardstick came
    out a third slower than the same measurement a minute later.
    """
    deadline = time.time() + timeout
    before = sum(cpu_seconds(process.pid) for process in processes)
    while time.time() < deadline:
        time.sleep(0.5)
        now = sum(cpu_seconds(process.pid) for process in processes)
        if now - before < 0.05:
            return
        before = now


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    pids = [pid, *map(int, children.stdout.split())]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def database_cpu_seconds() -> float:
    """CPU seconds of this machine's PostgreSQL processes (0 when the database runs elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = subprocess.run(["ps", "-C", "postgres", "-o", "pid="], capture_output=True, text=True)
    total = 0.0
    for pid in found.stdout.split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# --- the client


class Browser:
    """One respondent: a keep-alive HTTP connection and a cookie jar, nothing more."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        body = urlencode(form, doseq=True) if form is not None else None
        headers = {"Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), text

    def close(self):
        if self.connection is not None:
            self.connection.close()


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.errors: list[str] = []
        self.answers_sent: dict[str, set[str]] = defaultdict(set)

    def timed(self, step: str, browser: Browser, method: str, path: str, form=None):
        started = time.perf_counter()
        status, headers, text = browser.request(method, path, form)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[step].append(elapsed)
            self.statuses[status] += 1
        if status >= 500:
            with self.lock:
                self.errors.append(f"{method} {path} -> {status}")
        return status, headers, text

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.errors.append(f"{type(error).__name__}: {error}")


def csrf_token(html: str) -> str:
    return next(group for group in CSRF.search(html).groups() if group)


def page_form(html: str) -> tuple[str, dict, bool]:
    """Where a survey page posts to, its form with every question answered, and if it is the last."""
    last = 'value="submit"' in html
    form = {name: "4" for name, _ in RADIO.findall(html)}
    form.update(csrf_token=csrf_token(html), action="submit" if last else "next")
    form["shown_at"] = SHOWN_AT.search(html).group(1)  # a browser sends it too: it times the page
    return FORM_ACTION.search(html).group(1), form, last


def respondent(token: str, port: int, recorder: Recorder, timeout: float) -> bool:
    """Open the link, start, save every page and submit; each save answers with the next page."""
    browser = Browser(port, timeout)
    try:
        status, _, html = recorder.timed("open link", browser, "GET", f"/s/{token}")
        status, _, html = recorder.timed("start", browser, "POST", f"/s/{token}/start",
                                         {"language": "en", "csrf_token": csrf_token(html)})  # fmt: skip
        return status == 200 and save_pages(token, html, browser, recorder)
    except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
        recorder.failed(error)
        return False
    finally:
        browser.close()


def save_pages(token: str, html: str, browser: Browser, recorder: Recorder) -> bool:
    """Save every page from the one in ``html`` on and submit; ``True`` when thanked."""
    while True:
        location, form, last = page_form(html)
        with recorder.lock:
            recorder.answers_sent[token].update(name for name in form if name.startswith("item-"))
        status, _, html = recorder.timed("save page", browser, "POST", location, form)
        if status != 200 or last:
            return status == 200 and THANKS in html


class StepByStep:
    """Respondents taking the survey one step at a time: all open their link, then all start,
    then all save their pages, ``concurrency`` at a time.

    A crowd taking the survey (:func:`respondent`) mixes the steps, so its saves per second
    are what is left for saving beside opening and starting. Running the steps one after the
    other gives each its own throughput, measured like the yardsticks: one kind of request at
    a time, the server's and the database's CPU per request included.
    """

    STEPS = ("open link", "start", "save answer", "save page")

    def __init__(self, tokens: list[str], ports: list[int], processes, recorder: Recorder, concurrency: int,
                 timeout: float):  # fmt: skip
        self.tokens, self.ports, self.processes = tokens, ports, processes
        self.recorder, self.concurrency, self.timeout = recorder, concurrency, timeout
        self.pages: dict[str, str] = {}  # the page each respondent has in front of them
        self.local = threading.local()
        self.browsers: list[Browser] = []

    def browser(self, port: int) -> Browser:
        # Respondents carry no cookie, so a thread's keep-alive connection can serve several.
        mine = self.local.__dict__.setdefault("browsers", {})
        if port not in mine:
            mine[port] = Browser(port, self.timeout)
            with self.recorder.lock:
                self.browsers.append(mine[port])
        return mine[port]

    def open_link(self, n: int) -> bool:
        token = self.tokens[n]
        status, _, self.pages[token] = self.recorder.timed(
            "open link", self.browser(self.ports[n % len(self.ports)]), "GET", f"/s/{token}"
        )
        return status == 200

    def start(self, n: int) -> bool:
        token = self.tokens[n]
        form = {"language": "en", "csrf_token": csrf_token(self.pages[token])}
        status, _, self.pages[token] = self.recorder.timed(
            "start", self.browser(self.ports[n % len(self.ports)]), "POST", f"/s/{token}/start", form
        )
        return status == 200

    def save_answers(self, n: int) -> bool:
        """Answer page 1 one question at a time, as ``respond.js`` does (a POST per answer, 204)."""
        token = self.tokens[n]
        browser = self.browser(self.ports[n % len(self.ports)])
        html = self.pages[token]
        location, token_value = ANSWER_URL.search(html).group(1), csrf_token(html)
        for name in dict(RADIO.findall(html)):
            with self.recorder.lock:
                self.recorder.answers_sent[token].add(name)
            status, _, _ = self.recorder.timed("save answer", browser, "POST", location,
                                               {"csrf_token": token_value, name: "2"})  # fmt: skip
            if status != 204:
                return False
        return True

    def save_page(self, n: int) -> bool:
        token = self.tokens[n]
        browser = self.browser(self.ports[n % len(self.ports)])
        return save_pages(token, self.pages[token], browser, self.recorder)

    def run(self) -> tuple[dict, int]:
        """Figures per step, and how many respondents submitted."""
        figures, going = {}, list(range(len(self.tokens)))
        actions = (self.open_link, self.start, self.save_answers, self.save_page)
        for step, action in zip(self.STEPS, actions, strict=True):
            before = len(self.recorder.latencies[step])
            server_cpu = self.server_cpu()
            database_cpu = database_cpu_seconds()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                succeeded = list(pool.map(self.guarded(action), going))
            elapsed = time.perf_counter() - started
            requests = len(self.recorder.latencies[step]) - before
            figures[step] = {
                "requests": requests, "seconds": elapsed, "throughput": requests / elapsed,
                "server_cpu_ms_per_request": 1000 * (self.server_cpu() - server_cpu) / requests,
                "database_cpu_ms_per_request": 1000 * (database_cpu_seconds() - database_cpu) / requests,
                **summary(self.recorder.latencies[step][before:]),
            }  # fmt: skip
            going = [n for n, ok in zip(going, succeeded, strict=True) if ok]
        for browser in self.browsers:
            browser.close()
        return figures, len(going)

    def server_cpu(self) -> float:
        return sum(cpu_seconds(process.pid) for process in self.processes)

    def guarded(self, action):
        def run(n):
            try:
                return action(n)
            except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                self.recorder.failed(error)
                return False

        return run


def yardstick(port: int, path: str, requests: int, concurrency: int, timeout: float, pid: int) -> dict:
    """Throughput, latency and server CPU of ``requests`` GETs of ``path``, ``concurrency`` at a time."""
    recorder = Recorder()

    def worker(count):
        browser = Browser(port, timeout)
        for _ in range(count):
            recorder.timed(path, browser, "GET", path)
        browser.close()

    per = [requests // concurrency + (1 if n < requests % concurrency else 0) for n in range(concurrency)]
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, per))
    elapsed = time.perf_counter() - started
    return {"requests": requests, "seconds": elapsed, "throughput": requests / elapsed,
            "errors": sum(n for status, n in recorder.statuses.items() if status != 200),
            "server_cpu_ms_per_request": 1000 * (cpu_seconds(pid) - cpu_before) / requests,
            **summary(recorder.latencies[path])}  # fmt: skip


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(values), "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}  # fmt: skip


def verify(url: str, tokens: int, answers_sent: int) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as c:
        submitted = c.execute(sa.text("SELECT count(*) FROM response WHERE status = 'submitted'")).scalar()
        responses = c.execute(sa.text("SELECT count(*) FROM response")).scalar()
        answers = c.execute(sa.text("SELECT count(*) FROM answer")).scalar()
    engine.dispose()
    return {"invited": tokens, "responses": responses, "submitted": submitted, "answers": answers,
            "answers_sent": answers_sent}  # fmt: skip


def tokens_logged(logs: list[Path], tokens: list[str]) -> int:
    """How many invitation tokens appear in the access logs (there must be none)."""
    text = "".join(log.read_text() for log in logs)
    if text.count("\n") < len(tokens):  # every respondent's requests must have been logged
        raise RuntimeError(f"the access logs hold only {text.count(chr(10))} lines")
    return sum(token in text for token in tokens)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--instances", type=int, default=1, choices=(1, 2))
    parser.add_argument("--workers", type=int, help="gunicorn workers per run (default: mindgap serve's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: mindgap serve's)")
    parser.add_argument("--server-url", default=os.environ.get("MINDGAP_LOAD_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    from survey.serving import default_threads, default_workers

    url = fresh_database(args.server_url)
    env = {**os.environ, "MINDGAP_DATABASE_URL": url, "MINDGAP_SECRET_KEY": uuid.uuid4().hex * 2,
           "MINDGAP_INSTANCE_PATH": tempfile.mkdtemp(prefix="mindgap-load-"),
           "MINDGAP_INVITE_LOOKUP_LIMIT": '"100000 per minute"', "OPENBLAS_NUM_THREADS": "1"}  # fmt: skip
    processes, helpers = [], []
    try:
        # One set of invitations for the crowd, another for the step-by-step run.
        tokens = seed(env, 2 * args.respondents)
        crowd_tokens, step_tokens = tokens[: args.respondents], tokens[args.respondents :]
        ports = [free_port() for _ in range(args.instances)]
        # With several instances the machine's cores are shared between them.
        workers = max(1, (args.workers or default_workers()) // args.instances)
        logs = [Path(env["MINDGAP_INSTANCE_PATH"]) / f"access-{port}.log" for port in ports]
        processes = [
            start_gunicorn("survey:create_app()", port, env, workers, args.threads, access_log=str(log))
            for port, log in zip(ports, logs, strict=True)
        ]
        # The yardsticks run the same way, with the same worker count as one Mindgap instance
        # of a single-instance run. Hello world runs before and after the respondents (the
        # machine is shared, so one short measurement can be off by a fifth); the ratios use
        # the mean of both.
        from benchmarks.hello import create_table

        create_table(url)
        yard_port = free_port()
        yard = start_gunicorn("benchmarks.hello:app", yard_port, env, args.workers, args.threads)
        helpers.append(yard)
        wait_until_idle(processes + [yard])
        calibration_requests = max(1500, args.respondents * 2)
        hello_requests = max(6000, args.respondents * 8)

        def measure(path, requests):
            # Unmeasured first: connections, the database pool, first-request work.
            yardstick(yard_port, path, requests // 10, args.concurrency, args.timeout, yard.pid)
            return yardstick(yard_port, path, requests, args.concurrency, args.timeout, yard.pid)

        yardsticks = {"hello_world_before": measure("/", hello_requests),
                      "insert_only": measure("/insert", calibration_requests),
                      "form_only": measure("/form", calibration_requests)}  # fmt: skip

        recorder = Recorder()
        crowd = crowd_run(crowd_tokens, ports, processes, recorder, args.concurrency, args.timeout)
        step_recorder = Recorder()
        steps, step_completed = StepByStep(step_tokens, ports, processes, step_recorder, args.concurrency,
                                           args.timeout).run()  # fmt: skip
        yardsticks["hello_world_after"] = measure("/", hello_requests)
        stop(yard)
        hello = {
            key: (yardsticks["hello_world_before"][key] + yardsticks["hello_world_after"][key]) / 2
            for key in ("throughput", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
        }
        yardsticks["hello_world"] = hello
        crowd["save_vs_hello"] = crowd["page_saves_per_second"] / hello["throughput"]
        crowd["requests_vs_hello"] = crowd["requests_per_second"] / hello["throughput"]
        for figures in steps.values():
            figures["vs_hello"] = figures["throughput"] / hello["throughput"]
        statuses = defaultdict(int)
        for one in (recorder, step_recorder):
            for status, n in one.statuses.items():
                statuses[status] += n
        result = {
            "respondents": args.respondents, "concurrency": args.concurrency, "instances": args.instances,
            "workers_per_instance": workers, "threads": args.threads or default_threads(),
            "save_vs_hello": steps["save page"]["vs_hello"],
            "answer_save_vs_hello": steps["save answer"]["vs_hello"],
            "crowd": crowd, "step_by_step": {"completed": step_completed, "steps": steps},
            "completed": crowd["completed"] + step_completed,
            "server_errors": sum(n for status, n in statuses.items() if status >= 500),
            "statuses": dict(statuses), "errors": (recorder.errors + step_recorder.errors)[:10],
            **yardsticks,
            "insert_vs_hello": yardsticks["insert_only"]["throughput"] / hello["throughput"],
            "form_vs_hello": yardsticks["form_only"]["throughput"] / hello["throughput"],
        }  # fmt: skip
        answers_sent = sum(
            len(sent) for one in (recorder, step_recorder) for sent in one.answers_sent.values()
        )
        result["database"] = verify(url, len(tokens), answers_sent)
        result["tokens_in_access_logs"] = tokens_logged(logs, tokens)
    finally:
        for process in processes + helpers:
            stop(process)
        if not args.keep_database:
            drop_database(args.server_url, url)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    database = result["database"]
    ok = (result["server_errors"] == 0 and result["completed"] == len(tokens)
          and result["tokens_in_access_logs"] == 0
          and database["submitted"] == database["responses"] == len(tokens)
          and database["answers"] == database["answers_sent"])  # fmt: skip
    print("OK" if ok else "FAILED: see above", file=sys.stderr)
    return 0 if ok else 1


def crowd_run(tokens: list[str], ports: list[int], processes, recorder: Recorder, concurrency: int,
              timeout: float) -> dict:  # fmt: skip
    """Respondents taking the whole survey, ``concurrency`` at a time: the launch of a survey."""
    server_cpu_before = sum(cpu_seconds(process.pid) for process in processes)
    database_cpu_before = database_cpu_seconds()
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(lambda n: respondent(tokens[n], ports[n % len(ports)], recorder, timeout),
                             range(len(tokens))))  # fmt: skip
    elapsed = time.perf_counter() - started
    requests = max(sum(recorder.statuses.values()), 1)
    server_cpu = sum(cpu_seconds(process.pid) for process in processes) - server_cpu_before
    return {
        "respondents": len(tokens), "seconds": elapsed, "completed": sum(done),
        "steps": {step: summary(values) for step, values in recorder.latencies.items()},
        "page_saves_per_second": len(recorder.latencies["save page"]) / elapsed,
        "requests_per_second": requests / elapsed,
        "server_cpu_ms_per_request": 1000 * server_cpu / requests,
        "database_cpu_ms_per_request": 1000 * (database_cpu_seconds() - database_cpu_before) / requests,
        "client_cpu_seconds": time.process_time() - client_cpu_before,
    }  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
