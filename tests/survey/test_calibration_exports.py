"""The lead calibration in the results files and the API: the report's numbers, and its wording."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import analysis
import instruments
from survey.extensions import db
from survey.models import Wave
from survey.services import reports as service
from survey.services.accounts import create_api_token
from survey.services.attribute_wording import vignette_link
from survey.services.calibration_tables import TABLES, calibration_tables
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.lead_section import ANCHOR, lead_definition
from survey.services.report_view import Words

pytestmark = pytest.mark.db


@pytest.fixture
def demo(app, client):
    load_demo()
    db.session.commit()
    wave = db.session.scalars(select(Wave).order_by(Wave.id)).all()[2]  # asks the lead calibration
    response = client.post(
        "/auth/login", data={"email": "consultant@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return wave


def _csv_tables(text: str) -> dict[str, pd.DataFrame]:
    tables = {}
    for block in text.split("# table: ")[1:]:
        name, _, body = block.partition("\n")
        body = body.strip("\n")
        tables[name] = pd.read_csv(io.StringIO(body)) if body else pd.DataFrame()
    return tables


def test_results_files_and_api_carry_the_report_s_calibration_numbers(client, demo):
    summary = service.organization_report(service.wave_release(demo)).calibration
    assert summary is not None
    assert summary.shown
    workbook = pd.read_excel(
        io.BytesIO(client.get(f"/reports/waves/{demo.id}/results.xlsx").data), sheet_name=None
    )
    csv = _csv_tables(client.get(f"/reports/waves/{demo.id}/results.csv").data.decode("utf-8-sig"))
    for tables in (workbook, csv):
        assert set(TABLES) <= set(tables)
        index = tables["lead_definition_index"].iloc[0]
        assert index["index"] == pytest.approx(summary.index.index, abs=1e-9)
        assert (index["ci_low"], index["ci_high"]) == pytest.approx(
            (summary.index.ci_low, summary.index.ci_high)
        )
        assert (index["n_sales"], index["n_marketing"]) == summary.n

        weights = tables["lead_attribute_weights"].set_index("attribute")
        expected = summary.attributes
        assert list(weights.index) == list(expected.index)
        for column in ("share", "importance", "p"):
            assert weights[f"{column}_sales"].to_numpy() == pytest.approx(expected[f"{column}_a"].to_numpy())
            assert weights[f"{column}_marketing"].to_numpy() == pytest.approx(
                expected[f"{column}_b"].to_numpy()
            )
        assert weights["p_adjusted"].to_numpy() == pytest.approx(expected["p_adjusted"].to_numpy())
        assert list(weights["status"]) == list(expected["status"])
        assert weights.loc["engagement", "weighs_more"] == "marketing"  # the demo's planted difference

        levels = tables["lead_level_weights"].set_index(["attribute", "level"])
        own = summary.weights.levels.drop(index="intercept", level=0)
        assert levels["weight_sales"].to_numpy() == pytest.approx(own["weight_a"].to_numpy())
        assert levels["difference"].to_numpy() == pytest.approx(own["difference"].to_numpy())

        agreement = tables["lead_agreement"].set_index("group")
        assert agreement["alpha"].to_numpy() == pytest.approx(
            summary.agreement["alpha"].to_numpy(), nan_ok=True
        )

        vignettes = tables["lead_vignettes"].set_index("vignette")
        assert list(vignettes.index) == list(summary.splits.index)
        assert vignettes["ready_sales"].to_numpy() == pytest.approx(summary.splits["ready_a"].to_numpy())
        assert vignettes["agree_between"].to_numpy() == pytest.approx(
            summary.splits["agree_between"].to_numpy(), nan_ok=True
        )
        assert list(vignettes.index[vignettes["split"].astype(bool)]) == list(summary.split_vignettes)

        definition = tables["lead_definition"]
        assert list(zip(definition["attribute"], definition["level"], strict=True)) == list(
            summary.definition
        )

    token = create_api_token("manager@demo.mindgap.test").token
    db.session.commit()
    api = client.get(
        f"/api/v1/waves/{demo.id}/report", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    calibration = api["calibration"]
    assert calibration["index"]["index"] == pytest.approx(summary.index.index, abs=1e-12)
    assert [row["share_a"] for row in calibration["attributes"]] == pytest.approx(
        summary.attributes["share_a"].tolist()
    )
    assert [row["vignette"] for row in calibration["splits"]] == list(summary.splits.index)


def test_below_the_threshold_the_tables_have_no_rows():
    lead = instruments.load("lead_calibration")
    teams = pd.DataFrame({"name": ["S", "M"], "function": ["sales", "marketing"], "parent": [None, None]},
                         index=["s", "m"])  # fmt: skip
    answers = pd.DataFrame(
        np.random.default_rng(5).integers(1, 4, size=(8, 16)).astype(float),
        columns=[v.id for v in lead.vignettes],
    )
    answers.insert(0, "team", ["s"] * 4 + ["m"] * 4)
    hidden = calibration_tables(analysis.organization_report(answers, teams, [lead], threshold=5))
    assert list(hidden) == list(TABLES)
    assert all(table.empty for table in hidden.values())
    assert "share_sales" in hidden["lead_attribute_weights"].columns
    shown = calibration_tables(analysis.organization_report(answers, teams, [lead], threshold=4))
    assert len(shown["lead_attribute_weights"]) == len(lead.attributes)
    assert len(shown["lead_vignettes"]) == 16
    without = analysis.organization_report(
        answers[["team"]], teams, [instruments.load("alignment")], threshold=4
    )
    assert calibration_tables(without) == {}


def test_the_report_section_shows_the_wave_s_wording(client, demo):
    # The demo wave was worded for its client before it opened (the service refuses it afterwards).
    link = vignette_link(demo)
    link.wording = {"contact": {"decision_maker": {"en": "Plant manager with purchasing authority"}}}
    db.session.commit()
    release = service.wave_release(demo)
    report = service.organization_report(release)
    assert ("contact", "decision_maker") in report.calibration.definition
    section = lead_definition(Words(report, "en", set()), service.release_instruments(release))
    items = ["".join(segment.text for segment in item) for item in section.items]
    assert "Contact: Plant manager with purchasing authority" in items
    html = client.get(f"/reports/waves/{demo.id}").get_data(as_text=True)
    part = html[html.index(f'id="{ANCHOR}"') :]
    part = part[: part.index("</section>")]
    assert "Plant manager with purchasing authority" in part
    assert "Head of operations, who signs off purchases" not in re.sub(r"<[^>]+>", " ", part)
