import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import instruments
from analysis import simulate
from analysis.cli import analyze, team_analysis

TEAMS = {
    "Sales North": "sales",
    "Sales South": "sales",
    "Marketing": "marketing",
    "Ops": "other",
    "Tiny": "other",
}
SIZES = {"Sales North": 40, "Sales South": 35, "Marketing": 50, "Ops": 20, "Tiny": 3}


@pytest.fixture(scope="module")
def alignment():
    return instruments.load("alignment")


@pytest.fixture(scope="module")
def simulated(alignment):
    effects = {"Marketing": {"trust": -1.0}}
    return simulate(alignment, TEAMS, SIZES, effects=effects, seed=7, careless_rate=0.03)


@pytest.fixture
def export(tmp_path, simulated):
    """A response export as another tool would write it: an id column, team, items."""
    path = tmp_path / "responses.csv"
    items = [c for c in simulated.columns if c not in ("function", "careless", "careless_type")]
    simulated[items].to_csv(path, index_label="respondent_id")
    return path


def invoke(*arguments):
    return CliRunner().invoke(analyze, [str(a) for a in arguments])


def test_summary_and_json(export, tmp_path, simulated, alignment):
    out = tmp_path / "result.json"
    result = invoke(export, "--instrument", "alignment@1.0", "--json", out, "--top", "3")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "148 respondents in 5 teams, instrument alignment@1.0" in text
    assert "Columns ignored (not items): respondent_id" in text
    for heading in ("Respondents per team", "alpha", "rwg_j mean", "ICC(1)", "ICC(2)", "Largest team gaps"):
        assert heading in text
    assert "not shown (fewer than 5 respondents): Tiny" in text

    data = json.loads(out.read_text())
    assert data["teams"] == SIZES
    assert list(data["teams"]) == sorted(SIZES)
    assert set(data["means"]) == {"Marketing", "Ops", "Sales North", "Sales South"}
    assert list(data["dimensions"]) == [d.id for d in alignment.dimensions]
    # 4 teams large enough: 6 pairs x 12 dimensions, largest |g| first.
    assert len(data["gaps"]) == 6 * 12
    g = [abs(row["g"]) for row in data["gaps"]]
    assert g == sorted(g, reverse=True)
    assert len(data["alignment"]) == 6
    assert all(0 <= row["alignment"] <= 100 for row in data["alignment"])
    # The planted trust deficit of Marketing shows up.
    trust = {t: m["trust"] for t, m in data["means"].items()}
    assert trust["Marketing"] < min(trust["Sales North"], trust["Sales South"], trust["Ops"])
    # Every simulated straight-liner is among the flagged respondents.
    straight = simulated.index[simulated["careless_type"] == "straightline"]
    assert len(straight) > 0
    assert set(straight) <= set(data["careless"]["rows"])
    assert f"Careless respondents flagged: {data['careless']['count']}" in text


def test_numbers_match_the_library(export, alignment):
    import analysis

    data = team_analysis(pd.read_csv(export), alignment, "team")
    frame = pd.read_csv(export)
    scores = analysis.score(frame, alignment)
    keyed = analysis.keyed_items(frame, alignment, dimension="trust")
    assert data["dimensions"]["trust"]["alpha"] == pytest.approx(
        analysis.cronbach_alpha(keyed, missing="pairwise").alpha, abs=1e-12
    )
    assert data["dimensions"]["trust"]["icc1"] == pytest.approx(analysis.icc1(scores["trust"], frame["team"]))
    assert data["means"]["Ops"]["trust"] == pytest.approx(scores["trust"][frame["team"] == "Ops"].mean())


def test_instrument_given_as_a_path(export):
    path = instruments.definition_path("alignment", "1.0")
    result = invoke(export, "--instrument", path)
    assert result.exit_code == 0, result.output
    assert "instrument alignment@1.0" in result.output


def test_drop_careless(export, alignment):
    kept = team_analysis(pd.read_csv(export), alignment)
    dropped = team_analysis(pd.read_csv(export), alignment, drop_careless=True)
    assert kept["careless"]["count"] > 0
    assert dropped["n_respondents"] == kept["n_respondents"] - kept["careless"]["count"]


def test_other_team_column(export, tmp_path):
    frame = pd.read_csv(export).rename(columns={"team": "Abteilung"})
    path = tmp_path / "renamed.csv"
    frame.to_csv(path, index=False)
    result = invoke(path, "--instrument", "alignment", "--team-column", "Abteilung")
    assert result.exit_code == 0, result.output


def test_missing_team_column_exits_2(export):
    result = invoke(export, "--instrument", "alignment", "--team-column", "department")
    assert result.exit_code == 2
    assert "team column 'department' is not in the file" in result.output


def test_file_without_items_exits_2(tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"team": ["a", "b"], "q1": [1, 2]}).to_csv(path, index=False)
    result = invoke(path, "--instrument", "alignment")
    assert result.exit_code == 2
    assert "no column is an item of alignment@1.0" in result.output


def test_value_off_scale_exits_2(export, tmp_path):
    frame = pd.read_csv(export)
    frame.loc[3, "tr_2"] = 9
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = invoke(path, "--instrument", "alignment")
    assert result.exit_code == 2
    assert "responses['tr_2'] has values outside scale 'agree5'" in result.output
    assert ": 9" in result.output


def test_unknown_instrument_exits_2(export):
    result = invoke(export, "--instrument", "nosuchthing")
    assert result.exit_code == 2
    assert "--instrument 'nosuchthing'" in result.output


def test_unreadable_csv_exits_2(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    result = invoke(path, "--instrument", "alignment")
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_one_team_gives_no_gaps_but_still_a_summary(export, alignment):
    frame = pd.read_csv(export)
    frame = frame[frame["team"] == "Marketing"]
    data = team_analysis(frame, alignment)
    assert data["gaps"].empty
    assert data["alignment"].empty
    assert data["dimensions"]["trust"]["icc1"] is None
    assert data["dimensions"]["trust"]["alpha"] is not None
    assert np.isfinite(data["dimensions"]["trust"]["rwg_j_mean"])


def test_help_is_the_docstring():
    result = CliRunner().invoke(analyze, ["--help"])
    assert result.exit_code == 0
    assert "Score and analyse a response export" in result.output


def test_strict_refuses_unknown_columns(export):
    result = invoke(export, "--instrument", "alignment", "--strict")
    assert result.exit_code == 2
    assert "unknown columns (not items of alignment@1.0, not the team column): respondent_id" in result.output
