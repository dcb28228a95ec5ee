"""The API's contract: /api/v1/openapi.json is generated from typed models, and real answers conform.

Every answer is checked twice: by the pydantic model (``Model.model_validate``), and by the JSON
Schema in the published document, which is what a dashboard author or a fuzzer reads.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import jsonschema_rs
import pandas as pd
import pydantic
import pytest

import analysis
import instruments
from survey.blueprints.api import models
from survey.extensions import db
from survey.services.accounts import create_api_token
from survey.services.organizations import create_organization, create_team
from survey.services.response_import import import_responses
from survey.services.users import create_user
from survey.services.waves import close_wave, create_wave, open_wave

pytestmark = pytest.mark.db

PASSWORD = "a long enough password"


def document_validator(name: str):
    """A validator of the document's component schema ``name`` (references resolved in the document)."""
    document = models.openapi_document()
    schemas = json.loads(
        json.dumps(document["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/")
    )
    return jsonschema_rs.validator_for({**schemas[name], "$defs": schemas})


def conforms(name: str, answer: dict) -> None:
    """``answer`` conforms to the model ``name`` and to the published schema of that name."""
    getattr(models, name).model_validate(answer)
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in
              document_validator(name).iter_errors(answer)]  # fmt: skip
    assert not errors, errors[:10]


# --- the document


def test_the_document_is_generated_from_the_models(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    document = served.get_json()
    assert document == json.loads(json.dumps(models.openapi_document()))
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/waves/{wave_id}/report",
        "/organizations/{organization_id}/trend",
        "/organizations/{organization_id}/actions",
    }
    for name in ("Report", "Trend", "Error", "MeanRow", "GapRow", "AlignmentPairRow", "RwgRow"):
        assert name in document["components"]["schemas"]
    for path in document["paths"].values():
        for status, answer in path["get"]["responses"].items():
            reference = answer["content"]["application/json"]["schema"]["$ref"]
            assert reference.removeprefix("#/components/schemas/") in document["components"]["schemas"]
            assert (reference.endswith("/Error")) == (status != "200")


def _untyped(schema, where: str, found: list[str]) -> None:
    """Collect the places where the document says "an object" or "an array" and no more."""
    if isinstance(schema, dict):
        if schema.get("type") == "array" and not schema.get("items"):
            found.append(where)
        if (
            schema.get("type") == "object"
            and "properties" not in schema
            and not isinstance(schema.get("additionalProperties"), dict)
        ):
            found.append(where)
        for key, value in schema.items():
            _untyped(value, f"{where}/{key}", found)
    elif isinstance(schema, list):
        for position, value in enumerate(schema):
            _untyped(value, f"{where}/{position}", found)


def test_every_table_and_section_is_typed():
    schemas = models.openapi_document()["components"]["schemas"]
    found: list[str] = []
    _untyped(schemas, "", found)
    assert found == []
    # Rows list their columns; a statistic that may be missing is a nullable number.
    assert schemas["MeanRow"]["properties"]["rwg_j"]["anyOf"] == [{"type": "number"}, {"type": "null"}]
    assert set(schemas["GapRow"]["required"]) >= {"team_a", "team_b", "dimension", "g", "p_adjusted"}
    assert schemas["GapRow"]["additionalProperties"] is False
    # Every key of the report is described and required.
    report = schemas["Report"]
    assert set(report["required"]) == set(report["properties"])
    assert {"wave_id", "release", "dimensions", "suppression", "heatmap", "comments", "means"} <= set(
        report["required"]
    )


def test_an_undescribed_key_or_a_wrong_type_is_refused(demo_site):
    answer = (
        demo_site.app.test_client()
        .get(f"/api/v1/waves/{demo_site.released[-1]}/report", headers=demo_site.headers)
        .get_json()
    )
    with pytest.raises(pydantic.ValidationError, match="extra"):
        models.Report.model_validate({**answer, "surprise": 1})
    assert not document_validator("Report").is_valid({**answer, "surprise": 1})
    broken = json.loads(json.dumps(answer))
    broken["gaps"][0]["g"] = "large"
    assert not document_validator("Report").is_valid(broken)
    with pytest.raises(pydantic.ValidationError):
        models.Report.model_validate(broken)


# --- the demo organisation's answers


@pytest.mark.slow
def test_the_demo_reports_conform(demo_site):
    client = demo_site.app.test_client()
    for wave_id in demo_site.released:
        answer = client.get(f"/api/v1/waves/{wave_id}/report", headers=demo_site.headers)
        assert answer.status_code == 200
        report = answer.get_json()
        conforms("Report", report)
        assert report["suppression"]["suppressed"]  # the demo hides small teams in every wave
        assert report["profiles"]
        assert report["meta_perception"]
        assert report["trend"]["dimensions"]
        assert report["release"]["number"] >= 1


def test_the_demo_trend_conforms(demo_site):
    answer = demo_site.app.test_client().get(
        f"/api/v1/organizations/{demo_site.organization_id}/trend", headers=demo_site.headers
    )
    assert answer.status_code == 200
    trend = answer.get_json()
    conforms("Trend", trend)
    assert trend["latest_wave_id"] == demo_site.released[-1]
    assert len(trend["waves"]) == len(demo_site.released)


def test_error_answers_conform(demo_site):
    client = demo_site.app.test_client()
    unreleased = client.get(f"/api/v1/waves/{demo_site.open}/report", headers=demo_site.headers)
    assert unreleased.status_code == 404
    conforms("Error", unreleased.get_json())
    assert "released" in unreleased.get_json()["message"]
    for path, headers in (
        (f"/api/v1/waves/{demo_site.released[0]}/report", {}),
        (f"/api/v1/waves/{demo_site.released[0]}/report", {"Authorization": "Bearer mgp_nope"}),
        (f"/api/v1/waves/{2**31}/report", demo_site.headers),
        ("/api/v1/organizations/999999/trend", demo_site.headers),
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code in (401, 404)
        assert answer.mimetype == "application/json"
        conforms("Error", answer.get_json())


# --- small waves: suppressed teams, an organisation below the threshold, nothing released yet


@pytest.fixture
def acme(app):
    """Acme: Sales (North, South) and Marketing, a manager with an API token."""
    organization = create_organization("Acme", "acme")
    sales = create_team(organization, "Sales", "sales")
    teams = SimpleNamespace(
        sales=sales,
        north=create_team(organization, "Sales North", "sales", parent=sales),
        south=create_team(organization, "Sales South", "sales", parent=sales),
        marketing=create_team(organization, "Marketing", "marketing"),
    )
    create_user("manager@acme.test", PASSWORD, "manager", organization)
    db.session.flush()
    token = create_api_token("manager@acme.test").token
    db.session.commit()
    return SimpleNamespace(
        organization=organization, teams=teams, headers={"Authorization": f"Bearer {token}"}
    )


def released_wave(acme, answers: dict, name: str = "Spring"):
    """A closed (and so released) alignment wave with ``answers[team] = n`` simulated responses."""
    wave = open_wave(create_wave(acme.organization, name, ["alignment"]))
    db.session.flush()
    instrument = instruments.load("alignment")
    frames = []
    for position, (team, n) in enumerate(answers.items()):
        frame = analysis.simulate(instrument, {"t": team.function}, n, seed=position, missing_rate=0.1,
                                  careless_rate=0.0)  # fmt: skip
        frames.append(frame.assign(team=team.id))
    import_responses(wave, pd.concat(frames, ignore_index=True))
    close_wave(wave)
    db.session.commit()
    return wave


def test_a_wave_with_a_suppressed_team_conforms(client, acme):
    teams = acme.teams
    wave = released_wave(acme, {teams.north: 8, teams.south: 2, teams.marketing: 7})
    answer = client.get(f"/api/v1/waves/{wave.id}/report", headers=acme.headers)
    assert answer.status_code == 200
    report = answer.get_json()
    conforms("Report", report)
    assert str(teams.south.id) in report["suppression"]["suppressed"]
    south = next(row for row in report["overview"]["teams"] if row["team"] == teams.south.id)
    assert south["n"] is None
    # The code for programs, and the same in words for people (as before the code existed).
    assert (south["reason"], south["note"]) == ("below threshold", "fewer than 5 responses")
    north = next(row for row in report["overview"]["teams"] if row["team"] == teams.north.id)
    assert (north["reason"], north["note"]) == (
        "complementary", "not shown, so that a smaller team cannot be worked out"
    )  # fmt: skip
    marketing = next(row for row in report["overview"]["teams"] if row["team"] == teams.marketing.id)
    assert (marketing["reason"], marketing["note"]) == (None, "")
    for row in report["overview"]["reliability"]:
        assert row["alpha_low"] == (row["alpha"] is not None and row["alpha"] < 0.70)
        assert bool(row["warning"]) == (row["alpha_low"] or row["omega_low"])
        assert row["omega_note"] == ("not computable" if row["omega"] is None else "")

    trend = client.get(f"/api/v1/organizations/{acme.organization.id}/trend", headers=acme.headers)
    conforms("Trend", trend.get_json())


def test_a_wave_whose_organisation_is_below_the_threshold_conforms(client, acme):
    wave = released_wave(acme, {acme.teams.north: 2, acme.teams.marketing: 1})
    answer = client.get(f"/api/v1/waves/{wave.id}/report", headers=acme.headers)
    if answer.status_code == 404:  # withheld: nothing to show is not released
        conforms("Error", answer.get_json())
        return
    report = answer.get_json()
    conforms("Report", report)
    assert report["alignment"]["headline"] is None
    assert report["overview"]["n_submitted"] is None
    assert report["means"] == []
    assert report["gaps"] == []


def test_the_trend_before_any_release_conforms(client, acme):
    answer = client.get(f"/api/v1/organizations/{acme.organization.id}/trend", headers=acme.headers)
    assert answer.status_code == 200
    trend = answer.get_json()
    conforms("Trend", trend)
    assert trend["latest_wave_id"] is None
    assert trend["waves"] == []
