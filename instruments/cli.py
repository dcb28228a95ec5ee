"""``instruments`` command group: check, list, import and export instrument definitions.

The web app registers :data:`cli` under its ``mindgap`` command; the commands are thin wrappers
over :mod:`instruments.loader`, :mod:`instruments.validator` and :mod:`instruments.spreadsheet`.
"""

from __future__ import annotations

from pathlib import Path

import click

from .errors import InstrumentError
from .loader import DEFINITIONS, available, load, shipped_location
from .spreadsheet import SpreadsheetError, export_table, import_table
from .validator import validate_file

__all__ = ["cli"]


@click.group(name="instruments")
def cli() -> None:
    """Check, list, import and export instrument definitions."""


def _definition_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(file for file in path.rglob("*") if file.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate instrument files, or every .yaml file in the folders given.

    Prints every problem as FILE:LINE: FIELD: MESSAGE and exits with status 1 if any file has
    one; prints "FILE: ok" for each valid file.
    """
    files = _definition_files(paths)
    if not files:
        raise click.ClickException("no .yaml files found in " + ", ".join(str(path) for path in paths))
    invalid = 0
    for file in files:
        problems = validate_file(file, expected_location=shipped_location(file))
        if problems:
            invalid += 1
            for problem in problems:
                click.echo(str(problem))
        else:
            click.echo(f"{file}: ok")
    if invalid:
        click.echo(f"{invalid} of {len(files)} files have problems", err=True)
        raise SystemExit(1)


@cli.command("list")
def list_command() -> None:
    """List the shipped instruments: id, version, languages, items and dimensions."""
    header = ("id", "version", "languages", "items", "dimensions")
    rows = []
    broken = []
    for ref in available():
        try:
            instrument = load(ref.id, ref.version)
        except InstrumentError as error:
            broken.append(error)
            rows.append((ref.id, ref.version, "invalid", "-", "-"))
            continue
        rows.append(
            (
                instrument.id,
                instrument.version,
                ", ".join(instrument.languages),
                str(len(instrument.items)),
                str(len(instrument.dimensions)),
            )
        )
    if not rows:
        click.echo(f"no instruments in {DEFINITIONS}")
        return
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for error in broken:
        click.echo(str(error), err=True)
    if broken:
        raise SystemExit(1)


@cli.command("import")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "instrument_id", required=True, help="Id of the new instrument, e.g. team_check.")
@click.option("--version", required=True, help='Version of the new instrument, e.g. "1.0".')
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the YAML here instead of to standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.option("--title", help="Title for every language (default: the id, written out).")
@click.option("--introduction", help="Introduction for every language (default: the title).")
@click.option("--citation", default="", show_default=True, help="How to cite the instrument.")
@click.option("--licence", default="proprietary", show_default=True, help="Licence of the items.")
@click.option("--minutes", type=click.IntRange(min=1), help="Estimated minutes (default: items / 4).")
def import_command(
    table: Path,
    instrument_id: str,
    version: str,
    out: Path | None,
    force: bool,
    title: str | None,
    introduction: str | None,
    citation: str,
    licence: str,
    minutes: int | None,
) -> None:
    """Turn an item table (FILE.csv or FILE.xlsx) into instrument YAML.

    The table has one row per item with the columns item_id, dimension, scale (agree5 or agree7),
    reverse and text_<lang> per language; see docs/INSTRUMENTS.md for the optional columns. Every
    problem is reported with its row number, and nothing is written unless the result is valid.
    """
    if out is not None and out.exists() and not force:
        raise click.ClickException(
            f"{out} exists; a published version must not be overwritten. "
            "Choose a new version or pass --force."
        )
    try:
        text = import_table(
            table,
            instrument_id=instrument_id,
            version=version,
            title=title,
            introduction=introduction or title,
            citation=citation,
            licence=licence,
            estimated_minutes=minutes,
        )
    except SpreadsheetError as error:
        for problem in error.problems:
            click.echo(f"{table}: {problem}", err=True)
        click.echo(f"{len(error.problems)} problems; nothing written", err=True)
        raise SystemExit(1) from error
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@cli.command("export")
@click.argument("instrument")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.csv or FILE.xlsx"
)
def export_command(instrument: str, out: Path) -> None:
    """Write the items of INSTRUMENT (an id, id@version or .yaml path) as a table."""
    try:
        export_table(load(instrument), out)
    except (InstrumentError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {out}", err=True)
