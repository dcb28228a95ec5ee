"""One assembler: the same CSV gives the same numbers in ``mindgap analyze`` and in the web report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import analysis
import instruments
from analysis.cli import analyze
from survey.extensions import db
from survey.services.organizations import create_organization, create_team
from survey.services.releases import latest_release, release_report
from survey.services.response_import import import_responses
from survey.services.waves import close_wave, create_wave, open_wave

pytestmark = pytest.mark.db

#: Tiny is below the threshold and Ops is hidden with it (complementary suppression).
TEAMS = {
    "Marketing": "marketing",
    "Ops": "other",
    "Sales North": "sales",
    "Sales South": "sales",
    "Tiny": "other",
}
SIZES = {"Marketing": 30, "Ops": 12, "Sales North": 26, "Sales South": 22, "Tiny": 3}


@pytest.fixture
def responses():
    alignment = instruments.load("alignment")
    effects = {"Marketing": {"trust": -0.8, "lead_quality": 0.6}}
    frame = analysis.simulate(alignment, TEAMS, SIZES, effects=effects, seed=11, careless_rate=0.05)
    assert frame["careless"].sum() > 0
    return frame.drop(columns=["careless", "careless_type"])


def _cli_numbers(responses, tmp_path) -> dict:
    path, out = tmp_path / "export.csv", tmp_path / "result.json"
    responses.to_csv(path, index=False)
    arguments = [str(path), "--instrument", "alignment", "--function-column", "function", "--json", str(out)]
    result = CliRunner().invoke(analyze, arguments)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def _web_report(responses) -> analysis.OrganizationReport:
    organization = create_organization("Acme", "acme")
    ids = {name: create_team(organization, name, function).id for name, function in TEAMS.items()}
    db.session.flush()
    wave = open_wave(create_wave(organization, "Spring", ["alignment"]))
    db.session.flush()
    imported = responses.drop(columns="function").assign(team=responses["team"].map(ids))
    assert import_responses(wave, imported) == len(responses)
    close_wave(wave)
    db.session.commit()
    return release_report(latest_release(wave))


def _by_names(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A pair table keyed by team names, each pair in name order (the two assemblies may orient it
    differently only if their team orders differ)."""
    frame = table.copy()
    swap = (frame["name_a"] > frame["name_b"]).to_numpy()
    assert not swap.any()
    return frame.set_index(["name_a", "name_b", *([c for c in ("dimension",) if c in frame])])[
        columns
    ].sort_index()


def test_the_cli_and_the_web_report_give_the_same_numbers(app, responses, tmp_path):
    cli = _cli_numbers(responses, tmp_path)
    web = _web_report(responses)
    names = web.overview.teams["name"]

    # n: submitted, careless left out, analysed per team; the same teams suppressed.
    assert cli["n_respondents"] == web.overview.n_submitted == len(responses)
    assert cli["careless"]["count"] == web.quality.n_careless > 0
    assert cli["n_analysed"] == web.overview.n_analysed
    web_n = {names[t]: (None if pd.isna(n) else int(n)) for t, n in web.overview.teams["n"].items()}
    assert cli["teams"] == web_n
    assert cli["suppressed"] == {names[t]: reason for t, reason in web.suppression.suppressed.items()}
    assert set(cli["suppressed"]) == {"Ops", "Tiny"}

    # Means of the organisation and of every shown team.
    root = web.suppression.root
    organization = web.means[web.means["team"] == root].set_index("dimension")["mean"]
    assert cli["organization"] == pytest.approx(organization.to_dict(), rel=1e-12)
    teams = web.means[web.means["team"] != root]
    web_means = {
        name: block.set_index("dimension")["mean"].to_dict() for name, block in teams.groupby("name")
    }
    assert set(cli["means"]) == set(web_means) == {"Marketing", "Sales North", "Sales South"}
    for name, means in web_means.items():
        assert cli["means"][name] == pytest.approx(means, rel=1e-12)

    # Gaps with their p-values (raw and adjusted over the same table) and significance.
    columns = ["n_a", "n_b", "mean_a", "mean_b", "g", "g_ci_low", "g_ci_high", "p", "p_adjusted"]
    cli_gaps = _by_names(pd.DataFrame(cli["gaps"]), [*columns, "significant"])
    web_gaps = _by_names(web.gaps, [*columns, "significant"])
    assert len(cli_gaps) == len(web_gaps) == 3 * 12
    np.testing.assert_allclose(
        cli_gaps[columns].to_numpy(float), web_gaps[columns].to_numpy(float), rtol=1e-9
    )
    assert cli_gaps["significant"].tolist() == web_gaps["significant"].tolist()
    assert web_gaps["significant"].any()

    # Alignment per pair, and the sales-marketing headline with its bootstrap interval.
    cli_pairs = _by_names(pd.DataFrame(cli["alignment"]), ["alignment", "level", "mean_abs_g"])
    web_pairs = _by_names(web.alignment.pairs, ["alignment", "level", "mean_abs_g"])
    np.testing.assert_allclose(cli_pairs.to_numpy(float), web_pairs.to_numpy(float), rtol=1e-9)
    headline = web.alignment.headline
    assert cli["headline"] == pytest.approx(
        {"alignment": headline.alignment, "ci_low": headline.ci_low, "ci_high": headline.ci_high,
         "level": headline.level, "n_sales": headline.n_sales, "n_marketing": headline.n_marketing},
        rel=1e-9,
    )  # fmt: skip

    # Reliability and agreement.
    for dimension, entry in cli["dimensions"].items():
        assert entry["alpha"] == pytest.approx(web.overview.reliability.at[dimension, "alpha"], rel=1e-12)
        assert entry["icc1"] == pytest.approx(web.agreement.icc.at[dimension, "icc1"], rel=1e-9)
