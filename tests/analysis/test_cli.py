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
    for heading in ("Respondents per team", "alpha", "omega", "rwg_j mean", "ICC(1)", "ICC(2)",
                    "Largest team gaps", "p adj."):  # fmt: skip
        assert heading in text
    # The web report's suppression: Tiny is below the threshold, and Ops (the smallest shown
    # team) is hidden with it, or Tiny would be the organisation minus the others.
    # In words, never as codes.
    assert "  Ops (hidden so that a smaller team cannot be worked out by subtraction)\n" in text
    assert "  Tiny (hidden: fewer than 5 responses)\n" in text
    assert "complementary" not in text
    assert "below threshold" not in text

    data = json.loads(out.read_text())
    assert list(data["teams"]) == sorted(SIZES)
    assert data["teams"]["Tiny"] is None
    assert data["teams"]["Ops"] is None
    assert data["suppressed"] == {"Ops": "complementary", "Tiny": "below threshold"}
    assert set(data["means"]) == {"Marketing", "Sales North", "Sales South"}
    assert list(data["dimensions"]) == [d.id for d in alignment.dimensions]
    # 3 shown teams: 3 pairs x 12 dimensions, largest |g| first, adjusted p-values.
    assert len(data["gaps"]) == 3 * 12
    g = [abs(row["g"]) for row in data["gaps"]]
    assert g == sorted(g, reverse=True)
    assert all(row["p_adjusted"] >= row["p"] for row in data["gaps"])
    assert len(data["alignment"]) == 3
    assert all(0 <= row["alignment"] <= 100 for row in data["alignment"])
    # The planted trust deficit of Marketing shows up.
    trust = {t: m["trust"] for t, m in data["means"].items()}
    assert trust["Marketing"] < min(trust["Sales North"], trust["Sales South"])
    # Every simulated straight-liner is among the careless respondents, who are left out.
    straight = simulated.index[simulated["careless_type"] == "straightline"]
    assert len(straight) > 0
    assert set(straight) <= set(data["careless"]["rows"])
    assert data["n_analysed"] == data["n_respondents"] - data["careless"]["count"]
    assert sum(n for n in data["teams"].values() if n is not None) <= data["n_analysed"]
    assert f"Careless respondents left out: {data['careless']['count']}" in text
    assert data["headline"] is None  # no function column


def test_numbers_are_the_organization_report_of_the_file(export, alignment):
    import analysis

    frame = pd.read_csv(export)
    data = team_analysis(frame, alignment, "team", function_column=None)
    kept = frame.drop(index=data["careless"]["rows"])
    scores = analysis.score(kept, alignment)
    keyed = analysis.keyed_items(kept, alignment, dimension="trust")
    assert data["dimensions"]["trust"]["alpha"] == pytest.approx(
        analysis.cronbach_alpha(keyed, missing="pairwise").alpha, abs=1e-12
    )
    assert data["dimensions"]["trust"]["omega"] == pytest.approx(analysis.omega_total(keyed), abs=1e-12)
    shown = kept["team"].isin(["Marketing", "Sales North", "Sales South"]).to_numpy()
    assert data["dimensions"]["trust"]["icc1"] == pytest.approx(
        analysis.icc1(scores.loc[shown, "trust"], kept.loc[shown, "team"])
    )
    north = (kept["team"] == "Sales North").to_numpy()
    assert data["means"]["Sales North"]["trust"] == pytest.approx(scores.loc[north, "trust"].mean())
    assert data["organization"]["trust"] == pytest.approx(scores["trust"].mean())
    # The same numbers as the report assembled directly from the file's flat tree.
    teams = pd.DataFrame({"name": sorted(SIZES), "function": "other", "parent": None}, index=sorted(SIZES))
    report = analysis.organization_report(frame[[*alignment.item_ids, "team"]], teams, alignment, threshold=5)
    pd.testing.assert_frame_equal(
        data["gaps"].sort_values(["team_a", "team_b", "dimension"]).reset_index(drop=True),
        report.gaps.sort_values(["team_a", "team_b", "dimension"]).reset_index(drop=True),
    )


def test_a_function_column_gives_the_sales_marketing_headline(export, simulated, tmp_path):
    frame = pd.read_csv(export)
    frame["unit"] = simulated["function"].to_numpy()
    path = tmp_path / "functions.csv"
    frame.to_csv(path, index=False)
    data, output = results_of(path, "--function-column", "unit", tmp_path=tmp_path)
    headline = data["headline"]
    assert headline["n_sales"] == data["teams"]["Sales North"] + data["teams"]["Sales South"]
    assert headline["n_marketing"] == data["teams"]["Marketing"]
    assert 0 <= headline["alignment"] <= 100
    assert "Sales-marketing alignment:" in output
    frame.loc[0, "unit"] = "marketing" if frame.loc[0, "unit"] == "sales" else "sales"
    frame.to_csv(path, index=False)
    refused = invoke(path, "--instrument", "alignment", "--function-column", "unit")
    assert refused.exit_code == 2
    assert "the function column gives a team more than one function" in refused.output


def test_instrument_given_as_a_path(export):
    path = instruments.definition_path("alignment", "1.0")
    result = invoke(export, "--instrument", path)
    assert result.exit_code == 0, result.output
    assert "instrument alignment@1.0" in result.output


def test_careless_respondents_are_always_left_out(export, alignment, tmp_path):
    data = team_analysis(pd.read_csv(export), alignment)
    assert data["careless"]["count"] > 0
    assert data["n_analysed"] == data["n_respondents"] - data["careless"]["count"]
    # --drop-careless is still accepted and changes nothing.
    assert (
        results_of(export, "--drop-careless", tmp_path=tmp_path)[0]
        == results_of(export, tmp_path=tmp_path)[0]
    )
    with pytest.raises(ValueError, match="careless respondents are always left out"):
        team_analysis(pd.read_csv(export), alignment, drop_careless=False)


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
    assert "no column is an item of alignment@1.1" in result.output


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
    assert set(data["means"]) == {"Marketing"}


def test_help_is_the_docstring():
    result = CliRunner().invoke(analyze, ["--help"])
    assert result.exit_code == 0
    assert "Score and analyse a response export" in result.output


def test_strict_refuses_unknown_columns(export):
    result = invoke(export, "--instrument", "alignment", "--strict")
    assert result.exit_code == 2
    assert "unknown columns (not items of alignment@1.1, not the team column): respondent_id" in result.output


# ---------------------------------------------------------------------------
# exports as consultants receive them


def results_of(path, *arguments, tmp_path):
    """Run the command on ``path`` and return what it writes with --json (file names left out)."""
    out = tmp_path / f"{path.stem}.json"
    result = invoke(path, "--instrument", "alignment", "--json", out, *arguments)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    data.pop("file")
    data.pop("renamed_columns")
    return data, result.output


def test_a_dimension_answered_alike_leaves_its_icc_blank(export, tmp_path, alignment):
    frame = pd.read_csv(export)
    trust = [item.id for item in alignment.items if item.dimension == "trust" and item.perspective != "meta"]
    frame[trust] = 3
    path = tmp_path / "alike.csv"
    frame.to_csv(path, index=False)
    data, output = results_of(path, tmp_path=tmp_path)
    assert data["dimensions"]["trust"]["icc1"] is None
    assert data["dimensions"]["trust"]["icc2"] is None
    assert data["dimensions"]["trust"]["rwg_j_mean"] == 1.0
    trust_row = next(line for line in output.splitlines() if line.strip().startswith("trust"))
    assert trust_row.split()[-2:] == ["–", "–"]
    assert data["dimensions"]["strategy"]["icc1"] is not None


def test_semicolon_csv_and_xlsx_give_the_same_results(export, tmp_path):
    expected, _ = results_of(export, tmp_path=tmp_path)
    frame = pd.read_csv(export)
    semicolon = tmp_path / "deutsch.csv"
    frame.to_csv(semicolon, sep=";", index=False)
    workbook = tmp_path / "export.xlsx"
    frame.to_excel(workbook, index=False)
    assert results_of(semicolon, tmp_path=tmp_path)[0] == expected
    assert results_of(workbook, tmp_path=tmp_path)[0] == expected


def test_qualtrics_export_with_three_header_rows(export, tmp_path):
    expected, _ = results_of(export, tmp_path=tmp_path)
    lines = export.read_text().splitlines()
    names = lines[0].split(",")
    texts = ",".join(f'"Question text of {name}, as shown"' for name in names)
    import_ids = ",".join('"{""ImportId"":""QID' + str(i) + '""}"' for i in range(len(names)))
    path = tmp_path / "qualtrics.csv"
    path.write_text("\n".join([lines[0], texts, import_ids, *lines[1:]]) + "\n")
    assert results_of(path, "--header-rows", "3", tmp_path=tmp_path)[0] == expected
    refused = invoke(path, "--instrument", "alignment")
    assert refused.exit_code == 2
    assert "looks like a Qualtrics export" in refused.output
    assert "--header-rows 3" in refused.output


def test_limesurvey_headings_are_read_as_items(export, tmp_path, alignment):
    expected, _ = results_of(export, tmp_path=tmp_path)
    frame = pd.read_csv(export)
    # Question "sd" with subquestions 1..4 reads as sd_1..sd_4; other subquestion codes
    # may be the item ids themselves.
    renamed = {
        item: (f"{item.split('_')[0]}[{item.split('_')[1]}]" if item.startswith("sd_") else f"G1Q1[{item}]")
        for item in alignment.item_ids
        if item in frame.columns
    }
    path = tmp_path / "limesurvey.csv"
    frame.rename(columns=renamed).to_csv(path, index=False)
    data, output = results_of(path, tmp_path=tmp_path)
    assert data == expected
    assert "Columns read as items: sd[1] as sd_1, sd[2] as sd_2" in output


def test_column_map_names_the_item_of_any_column(export, tmp_path):
    expected, _ = results_of(export, tmp_path=tmp_path)
    frame = pd.read_csv(export)
    items = [c for c in frame.columns if c not in ("respondent_id", "team")]
    codes = {item: f"Q1[SQ{i + 1:03d}]" for i, item in enumerate(items)}
    path = tmp_path / "coded.csv"
    frame.rename(columns=codes).to_csv(path, index=False)
    mapping = tmp_path / "map.csv"
    pd.DataFrame({"column": list(codes.values()), "item": list(codes)}).to_csv(mapping, index=False)
    assert results_of(path, "--column-map", mapping, tmp_path=tmp_path)[0] == expected
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame({"column": ["Q1[SQ001]"], "item": ["no_such_item"]}).to_csv(wrong, index=False)
    refused = invoke(path, "--instrument", "alignment", "--column-map", wrong)
    assert refused.exit_code == 2
    assert "the column map names items alignment@1.1 does not have: ['no_such_item']" in refused.output


def test_missing_codes(export, tmp_path):
    frame = pd.read_csv(export)
    blanked = frame.copy()
    blanked.loc[[1, 5, 8], "tr_2"] = np.nan
    blanked.loc[3, "sd_1"] = np.nan
    plain = tmp_path / "blank.csv"
    blanked.to_csv(plain, index=False)
    expected, _ = results_of(plain, tmp_path=tmp_path)
    coded = frame.copy()
    coded.loc[[1, 5, 8], "tr_2"] = -99
    coded.loc[3, "sd_1"] = 99
    path = tmp_path / "coded.csv"
    coded.to_csv(path, index=False)
    refused = invoke(path, "--instrument", "alignment")
    assert refused.exit_code == 2
    assert "outside scale" in refused.output
    data, _ = results_of(path, "--missing-code", "-99", "--missing-code", "99", tmp_path=tmp_path)
    assert data == expected


def test_numeric_team_ids_with_blanks_keep_their_form(export, tmp_path, alignment):
    frame = pd.read_csv(export)
    numbers = {team: i + 1 for i, team in enumerate(sorted(SIZES))}
    frame["team"] = frame["team"].map(numbers).astype("Int64")
    frame.loc[[0, 7], "team"] = pd.NA  # respondents without a team
    path = tmp_path / "numbered.csv"
    frame.to_csv(path, index=False)
    assert pd.read_csv(path)["team"].dtype == float  # which pandas reads as 1.0, 2.0, ...
    data, output = results_of(path, tmp_path=tmp_path)
    assert set(data["teams"]) == {"1", "2", "3", "4", "5"}
    team_table = output.split("Respondents per team (analysed)\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in team_table[1:]] == ["1", "2", "3", "4", "5"]
    library = team_analysis(pd.read_csv(path), alignment)  # pandas reads the ids as floats
    assert set(library["teams"]) == {"1", "2", "3", "4", "5"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("team,sd_1\nA,3,4\n", "row 2 of bad.csv has 3 cells but only 2 columns are named"),
        ("team,sd_1,sd_1\nA,3,4\n", "column names repeat: 'sd_1'"),
        ("team,,sd_1\nA,3,4\n", "column(s) 2 of the first row have no name"),
        ("team,sd_1\n", "no respondents below its 1 header row(s)"),
    ],
)
def test_malformed_exports_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = invoke(path, "--instrument", "alignment")
    assert result.exit_code == 2
    assert message in result.output
