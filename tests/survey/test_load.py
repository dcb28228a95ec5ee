"""The CI-sized load test: real gunicorn processes on PostgreSQL, one and two app instances.

Runs in the PostgreSQL pass (``MINDGAP_TEST_DATABASE_URL`` pointing at PostgreSQL); the full
1,000-respondent run is ``python benchmarks/load.py`` and its figures are in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SERVER_URL

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.db,
    pytest.mark.slow,
    pytest.mark.skipif(not SERVER_URL.startswith("postgresql"), reason="the load test runs on PostgreSQL"),
]


@pytest.mark.parametrize(("instances", "respondents"), [(1, 100), (2, 60)])
def test_respondents_under_load_lose_nothing(tmp_path, instances, respondents):
    figures = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--respondents", str(respondents), "--concurrency", "20",
         "--instances", str(instances), "--server-url", SERVER_URL, "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert result["server_errors"] == 0
    # ``respondents`` take the survey as a crowd, as many again step by step.
    assert result["crowd"]["completed"] == result["step_by_step"]["completed"] == respondents
    database = result["database"]
    assert database["submitted"] == database["responses"] == 2 * respondents
    assert database["answers"] == database["answers_sent"] > 0
    assert result["tokens_in_access_logs"] == 0
    steps = result["step_by_step"]["steps"]
    assert [steps[step]["requests"] for step in ("open link", "start")] == [respondents, respondents]
    assert steps["save page"]["requests"] == result["crowd"]["steps"]["save page"]["n"] > respondents
    # Step by step, each respondent first answers page 1 one question at a time, as respond.js does.
    assert steps["save answer"]["requests"] > respondents
    assert result["statuses"].get("204") == steps["save answer"]["requests"]


def test_killing_workers_mid_submission_loses_and_duplicates_nothing(tmp_path):
    figures = tmp_path / "faults.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/faults.py", "kill-worker", "--respondents", "30", "--kills", "3",
         "--server-url", SERVER_URL, "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert result["workers_killed"] >= 1
    database = result["database"]
    assert result["completed"] == database["submitted"] == database["responses"] == 30
    assert len(database["answers_per_response"]) == 1  # every response complete
