"""The ``instruments`` command group through click's CliRunner."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import instruments
from instruments import loader as loader_module
from instruments import loads
from instruments.cli import cli

DEFINITIONS = Path(instruments.__file__).parent / "definitions"


@pytest.fixture
def runner():
    return CliRunner()


def test_check_valid_file(runner, valid_path):
    result = runner.invoke(cli, ["check", str(valid_path)])
    assert result.exit_code == 0
    assert result.output == f"{valid_path}: ok\n"


def test_check_prints_every_problem_and_fails(runner, tmp_path, valid_path, edited):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        edited(
            ("estimated_minutes: 3", "estimated_minutes: 0"),
            ("    scale: agree5\n    text: {en: Our", "    scale: agre5\n    text: {en: Our"),
        ),
        "utf-8",
    )
    result = runner.invoke(cli, ["check", str(valid_path), str(bad)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{valid_path}: ok",
        f"{bad}:6: estimated_minutes: must be at least 1, got 0",
        f"{bad}:31: items[0].scale: unknown scale 'agre5'; did you mean 'agree5'?",
    ]
    assert result.stderr == "1 of 2 files have problems\n"


def test_check_a_folder(runner, tmp_path, valid_text):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(valid_text, "utf-8")
    (tmp_path / "two.yml").write_text(valid_text, "utf-8")
    (tmp_path / "notes.txt").write_text("ignored", "utf-8")
    result = runner.invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output == f"{tmp_path / 'a' / 'one.yaml'}: ok\n{tmp_path / 'two.yml'}: ok\n"


def test_check_the_shipped_definitions(runner):
    result = runner.invoke(cli, ["check", str(DEFINITIONS)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok\n") == len(list(DEFINITIONS.glob("*/*.yaml")))


def test_check_needs_files(runner, tmp_path):
    result = runner.invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"no .yaml files found in {tmp_path}" in result.stderr
    assert runner.invoke(cli, ["check"]).exit_code == 2  # click: missing argument


@pytest.fixture
def definitions(tmp_path, monkeypatch, valid_text):
    folder = tmp_path / "definitions"
    for version in ("1.0", "1.10"):
        (folder / "fixture_check").mkdir(parents=True, exist_ok=True)
        (folder / "fixture_check" / f"{version}.yaml").write_text(
            valid_text.replace('version: "1.0"', f'version: "{version}"'), "utf-8"
        )
    monkeypatch.setattr(loader_module, "DEFINITIONS", folder)
    return folder


def test_list(runner, definitions):
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "id             version  languages  items  dimensions",
        "fixture_check  1.0      en, de     6      2",
        "fixture_check  1.10     en, de     6      2",
    ]


def test_list_flags_an_invalid_file(runner, definitions):
    path = definitions / "fixture_check" / "1.10.yaml"
    path.write_text(path.read_text("utf-8").replace("estimated_minutes: 3", "estimated_minutes: -1"), "utf-8")
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "fixture_check  1.10     invalid    -      -"
    assert f"{path}:6: estimated_minutes: must be at least 1, got -1" in result.stderr


def test_list_shows_the_shipped_instruments(runner):
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    shipped = sorted(
        (path.parent.name, path.stem) for path in DEFINITIONS.glob("*/*.yaml")
    )  # one line per version
    listed = [tuple(line.split()[:2]) for line in result.output.splitlines()[1:]]
    assert sorted(listed) == shipped


TABLE = (
    "item_id,dimension,scale,reverse,text_en,text_de\n"
    "a_1,team,agree5,no,One,Eins\n"
    "a_2,team,agree5,no,Two,Zwei\n"
    "a_3,team,agree5,yes,Three,Drei\n"
)


def test_import_to_stdout(runner, tmp_path):
    (tmp_path / "bank.csv").write_text(TABLE, "utf-8")
    result = runner.invoke(
        cli, ["import", str(tmp_path / "bank.csv"), "--id", "bank", "--version", "1.0", "--title", "Bank"]
    )
    assert result.exit_code == 0, result.output
    instrument = loads(result.stdout)
    assert (instrument.key, dict(instrument.title), dict(instrument.introduction)) == (
        "bank@1.0",
        {"en": "Bank", "de": "Bank"},
        {"en": "Bank", "de": "Bank"},
    )
    assert instrument.item_ids == ("a_1", "a_2", "a_3")


def test_import_to_a_file_and_never_over_it(runner, tmp_path):
    (tmp_path / "bank.csv").write_text(TABLE, "utf-8")
    out = tmp_path / "bank" / "1.0.yaml"
    arguments = ["import", str(tmp_path / "bank.csv"), "--id", "bank", "--version", "1.0", "--out", str(out)]
    result = runner.invoke(cli, [*arguments, "--licence", "CC-BY-4.0", "--minutes", "2"])
    assert result.exit_code == 0
    assert result.stderr == f"wrote {out}\n"
    assert (instruments.load(out).licence, instruments.load(out).estimated_minutes) == ("CC-BY-4.0", 2)
    again = runner.invoke(cli, arguments)
    assert again.exit_code == 1
    assert "exists; a published version must not be overwritten" in again.stderr
    assert runner.invoke(cli, [*arguments, "--force"]).exit_code == 0


def test_import_reports_every_row_error(runner, tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text(TABLE.replace("no,Two", "maybe,Two").replace("Drei", ""), "utf-8")
    out = tmp_path / "bad.yaml"
    result = runner.invoke(cli, ["import", str(table), "--id", "bank", "--version", "1.0", "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{table}: row 3: reverse must be yes/no/true/false/1/0, got 'maybe'",
        f"{table}: row 4: text_de is empty",
        "2 problems; nothing written",
    ]
    assert not out.exists()


def test_import_rejects_a_bad_version(runner, tmp_path):
    (tmp_path / "bank.csv").write_text(TABLE, "utf-8")
    result = runner.invoke(cli, ["import", str(tmp_path / "bank.csv"), "--id", "bank", "--version", "one"])
    assert result.exit_code == 2
    assert "version must be numbers separated by dots such as '1.0'; got 'one'" in result.stderr


def test_export_then_import(runner, tmp_path, valid_path):
    table = tmp_path / "items.xlsx"
    result = runner.invoke(cli, ["export", str(valid_path), "--out", str(table)])
    assert result.exit_code == 0
    result = runner.invoke(cli, ["import", str(table), "--id", "fixture_check", "--version", "1.0"])
    assert result.exit_code == 0
    assert loads(result.stdout).items == instruments.load(valid_path).items


def test_export_of_an_unknown_instrument(runner, tmp_path):
    result = runner.invoke(cli, ["export", "no_such_thing", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "no instrument 'no_such_thing' is shipped" in result.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id: &a [*a]\n", "id[0]: a YAML alias (*name) refers to a value that contains it"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            )
            + "id: *h\n",
            "the file holds more than 100,000 values once its YAML aliases (*name) are expanded",
        ),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "the values are nested more than 32 levels deep"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "the values are nested more than 32 levels deep"),
    ],
    ids=["recursive alias", "billion laughs", "deep", "deeper than libyaml goes"],
)
def test_check_reports_hostile_yaml_as_a_problem(runner, tmp_path, text, problem):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert problem in result.output


def test_loading_hostile_yaml_is_an_instrument_error():
    with pytest.raises(instruments.InstrumentError, match="refers to a value that contains it"):
        loads("id: &a [*a]\n")
