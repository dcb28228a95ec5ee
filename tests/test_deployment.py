"""What deploys Mindgap: the compose file, the Dockerfile and the dependency floors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_validates_the_compose_file(tmp_path):
    command = _compose_command()
    if command is None:
        if os.environ.get("MINDGAP_REQUIRE_COMPOSE"):
            pytest.fail("MINDGAP_REQUIRE_COMPOSE is set, but no docker compose nor docker-compose is here")
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    # A project folder as a user prepares it: the compose file and the .env made from .env.example.
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    (tmp_path / "Dockerfile").write_text((ROOT / "Dockerfile").read_text())
    result = subprocess.run(
        [*command, "-f", str(tmp_path / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_app_the_worker_and_their_services():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "app", "worker", "postgres", "redis", "mailpit"}
    assert services["migrate"]["command"] == ["mindgap", "db", "upgrade"]
    assert services["worker"]["command"] == ["mindgap", "worker"]
    for name in ("app", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["env_file"] == ".env"
        environment = services[name]["environment"]
        assert environment["MINDGAP_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["MINDGAP_JOBS_URL"].startswith("redis://redis:")
        assert environment["MINDGAP_MAIL_HOST"] == "mailpit"
    assert "mindgap-metrics" in services["app"]["volumes"][0]


def test_the_dockerfile_runs_mindgap_serve_as_a_user_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    final = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER mindgap$", final, re.M)
    assert 'CMD ["mindgap", "serve", "--host", "0.0.0.0", "--port", "8000"]' in final
    assert re.search(r"^HEALTHCHECK .*\n.*127\.0\.0\.1:8000/healthz", final, re.M)
    for package in ("libpango-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"):
        assert package in final
    for path in re.findall(r"^COPY (?:--\S+ )?(\S+)", text, re.M):
        if not path.startswith("/"):
            assert (ROOT / path).exists(), path


def _floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [line for group in project["optional-dependencies"].values() for line in group]
    declared = project["dependencies"] + extras
    floors = {}
    for requirement in declared:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([^,;\s]+).*", requirement)
        assert match, f"{requirement!r} has no floor (>=)"
        floors[match[1].lower().replace("_", "-")] = match[3]
    return floors


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints" / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, _, version = line.partition("==")
            pins[package.lower().replace("_", "-")] = version
    return pins


def _release(version: str) -> tuple[int, ...]:
    """``3.1`` and ``3.1.0`` alike: the numeric release, padded to three parts."""
    parts = [int(part) for part in re.findall(r"\d+", version)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def test_the_lowest_constraints_pin_every_floor():
    pins = {name: _release(version) for name, version in _pins("lowest.txt").items()}
    assert pins == {name: _release(version) for name, version in _floors().items()}


def test_the_production_constraints_cover_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[\[<>=]", line)[0].lower().replace("_", "-") for line in project["dependencies"]}
    pins = _pins("production.txt")
    assert runtime - set(pins) == set()
    floors = _floors()
    for package in runtime:
        assert _release(pins[package]) >= _release(floors[package]), (package, pins[package], floors[package])
