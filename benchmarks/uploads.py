"""Roster uploads at the size limit: every file parses, or is refused, within 10 s and 256 MB.

    python benchmarks/uploads.py                 # every case, a table of figures
    python benchmarks/uploads.py --json out.json
    python benchmarks/uploads.py --case xlsx-huge-dimension

Builds honest and hostile roster files no larger than an upload may be (just under the 8 MiB
request limit, ``MAX_CONTENT_LENGTH``): the largest roster one import takes (20,000 rows) as CSV
and XLSX, and files made to cost as much as possible to read: one enormous row, millions of rows,
a cell of megabytes, an unclosed quote, a sheet claiming a million rows of 16,384 columns, sheets
and shared strings that unpack to hundreds of megabytes, one long string referenced a million
times, entity expansion. Each case runs :func:`survey.services.roster.read_roster_file` (the
upload's parse, with its limits) in a fresh Python process, which reports the wall time, the
outcome, the peak resident memory of the reading process the reader starts (its ``VmHWM``,
from the reader's debug log; a reader killed at its limit reports none), and how much the
caller's own resident memory grew while it waited for and used the answer.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: The largest file an upload can carry: the request limit less room for the multipart envelope.
MAX_FILE_BYTES = 8 * 1024 * 1024 - 64 * 1024
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
#: What reading one upload may cost: processor seconds, and megabytes of the reading process.
LIMITS = {"seconds": 10.0, "memory_mb": 256}


# --- the files ----------------------------------------------------------------------------------


def _roster_rows(count: int) -> list[list[str]]:
    header = ["email", "name", "team", "language", "tenure", "region"]
    return [header] + [
        [f"person{n}@example.org", f"Person {n}", "Sales" if n % 2 else "Marketing", "de", "2-5y", "EMEA"]
        for n in range(count)
    ]


def _csv(rows) -> bytes:
    return "".join(",".join(row) + "\n" for row in rows).encode()


def _fill(unit: bytes, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """``prefix``, ``unit`` repeated, ``suffix``: as large as an upload may be."""
    repeat = (MAX_FILE_BYTES - len(prefix) - len(suffix)) // len(unit)
    return prefix + unit * repeat + suffix


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _replace_parts(parts: dict[str, object]) -> bytes:
    """A small real workbook with some parts replaced; a part may be a callable writing chunks."""
    base = zipfile.ZipFile(io.BytesIO(_xlsx([["email", "team"], ["a@example.org", "Sales"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        names = [info.filename for info in base.infolist()]
        for name in names + [name for name in parts if name not in names]:
            content = parts.get(name, base.read(name) if name in names else b"")
            if callable(content):
                with target.open(name, "w", force_zip64=True) as handle:
                    content(handle)
            else:
                target.writestr(name, content)
    return out.getvalue()


def _with_shared_strings(sheet_writer, strings_writer) -> bytes:
    base = zipfile.ZipFile(io.BytesIO(_xlsx([["email", "team"], ["a@example.org", "Sales"]])))
    rels = base.read("xl/_rels/workbook.xml.rels").decode()
    if "sharedStrings" not in rels:
        rels = rels.replace(
            "</Relationships>",
            '<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/sharedStrings"/></Relationships>',
        )
    types = base.read("[Content_Types].xml").decode()
    if "sharedStrings" not in types:
        types = types.replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    return _replace_parts(
        {SHEET: sheet_writer, STRINGS: strings_writer, "xl/_rels/workbook.xml.rels": rels,
         "[Content_Types].xml": types}
    )  # fmt: skip


def _sheet(rows_writer):
    def write(handle):
        handle.write(f"<worksheet {MAIN}><sheetData>".encode())
        rows_writer(handle)
        handle.write(b"</sheetData></worksheet>")

    return write


def _repeat_rows(make_row, count: int):
    def write(handle):
        chunk = []
        for number in range(1, count + 1):
            chunk.append(make_row(number))
            if len(chunk) == 10_000:
                handle.write("".join(chunk).encode())
                chunk = []
        handle.write("".join(chunk).encode())

    return write


def _huge_dimension() -> bytes:
    data = _xlsx(_roster_rows(4))
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read(SHEET).decode()
    start = sheet.index("<sheetData")
    sheet = sheet[:start] + '<dimension ref="A1:XFD1048576"/>' + sheet[start:]
    return _replace_parts({SHEET: sheet.encode()})


def _laughs() -> bytes:
    entities = (
        '<!ENTITY a "'
        + "ha" * 50
        + '">'
        + "".join(
            f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        )
    )
    sheet = (
        f'<!DOCTYPE worksheet [{entities}]><worksheet {MAIN}><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row></sheetData></worksheet>'
    )
    return _replace_parts({SHEET: sheet.encode()})


def _strings(count: int, text: str):
    def write(handle):
        handle.write(f'<sst {MAIN} count="{count}" uniqueCount="{count}">'.encode())
        item = f"<si><t>{text}</t></si>".encode()
        for _ in range(count // 1000):
            handle.write(item * 1000)
        handle.write(b"</sst>")

    return write


def _distinct_strings(count: int, width: int):
    def write(handle):
        handle.write(f'<sst {MAIN} count="{count}" uniqueCount="{count}">'.encode())
        for start in range(0, count, 10_000):
            handle.write(
                "".join(
                    f"<si><t>{n:0{width}d}</t></si>" for n in range(start, min(count, start + 10_000))
                ).encode()
            )
        handle.write(b"</sst>")

    return write


def _numbered_rows(count: int):
    """A sheet of ``count`` two-cell rows, each with its row and cell references."""
    return _sheet(
        _repeat_rows(lambda n: f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="B{n}"><v>2</v></c></row>', count)
    )


def _identical_rows(count: int):
    """A sheet of ``count`` identical rows without references: compresses about 1,000 : 1."""
    return _sheet(_repeat_rows(lambda n: "<row><c><v>1</v></c></row>", count))


def _far_right_cells(count: int):
    """``count`` rows, each with one cell in the last column a sheet has (XFD, 16,384)."""
    return _sheet(_repeat_rows(lambda n: f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>', count))


def _shared_text_rows(count: int):
    """``count`` rows, each a cell showing shared text number 0."""
    return _sheet(_repeat_rows(lambda n: f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>', count))


CASES = {
    "csv-roster-20000-rows": ("staff.csv", lambda: _csv(_roster_rows(20_000))),
    "csv-one-row-of-tiny-cells": ("staff.csv", lambda: _fill(b"ab,", b"email,team\n")),
    "csv-blank-lines": ("staff.csv", lambda: _fill(b"\n", b"email,team\n")),
    "csv-millions-of-rows": ("staff.csv", lambda: _fill(b"a@x.org,S\n", b"email,team\n")),
    "csv-one-huge-cell": ("staff.csv", lambda: _fill(b"x", b"email,team\na@x.org,")),
    "csv-unclosed-quote": ("staff.csv", lambda: _fill(b"a@x.org,Sales\n", b'email,team\n"')),
    "xlsx-roster-20000-rows": ("staff.xlsx", lambda: _xlsx(_roster_rows(20_000))),
    "xlsx-huge-dimension": ("staff.xlsx", _huge_dimension),
    "xlsx-entity-expansion": ("staff.xlsx", _laughs),
    "xlsx-sheet-of-100-mb": ("staff.xlsx", lambda: _replace_parts({SHEET: _numbered_rows(1_000_000)})),
    "xlsx-sheet-of-120-mb-identical-rows": (
        "staff.xlsx",
        lambda: _replace_parts({SHEET: _identical_rows(4_500_000)}),
    ),
    "xlsx-sheet-of-1-gb": ("staff.xlsx", lambda: _replace_parts({SHEET: _identical_rows(40_000_000)})),
    "xlsx-cells-in-column-xfd": ("staff.xlsx", lambda: _replace_parts({SHEET: _far_right_cells(1_000_000)})),
    "xlsx-one-long-text-a-million-times": (
        "staff.xlsx",
        lambda: _with_shared_strings(_shared_text_rows(1_000_000), _strings(1_000, "x" * 32_000)),
    ),
    "xlsx-100-mb-of-shared-texts": (
        "staff.xlsx",
        lambda: _with_shared_strings(_sheet(lambda handle: None), _strings(3_000, "y" * 32_000)),
    ),
    "xlsx-3-million-shared-texts": (
        "staff.xlsx",
        lambda: _with_shared_strings(_sheet(lambda handle: None), _distinct_strings(3_000_000, 12)),
    ),
}


# --- measuring ----------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _Peaks(logging.Handler):
    """Collects the reading process's peak memory from the reader's debug log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kib: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"peak memory (\d+) kB", record.getMessage())
        if found:
            self.kib.append(int(found.group(1)))


def measure(path: Path, filename: str) -> dict:
    """Read one file as the roster upload does, in this (fresh) process; the figures as a dict."""
    from survey.services import ServiceError
    from survey.services.roster import read_roster_file

    peaks = _Peaks()
    reader_log = logging.getLogger("instruments.tables")
    reader_log.addHandler(peaks)
    reader_log.setLevel(logging.DEBUG)
    data = path.read_bytes()
    before = _rss_mb()
    started = time.perf_counter()
    try:
        records = read_roster_file(filename, data)
        outcome = f"read {len(records):,} rows"
    except ServiceError as error:
        outcome = f"refused: {error}"
    seconds = time.perf_counter() - started
    reader = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The reader reports its own peak (VmHWM): ru_maxrss of a child also counts the memory of the
    # parent it was started from, up to the moment it replaced itself with the reader.
    child = max(peaks.kib) / 1024 if peaks.kib else float("nan")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "bytes": len(data),
        "seconds": round(seconds, 2),
        "reader_cpu_seconds": round(reader.ru_utime + reader.ru_stime, 2),
        "reader_peak_mb": round(child, 1),
        "caller_growth_mb": round(max(0.0, own - before), 1),
        "outcome": outcome,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append", help="run only these cases")
    parser.add_argument("--json", type=Path, help="write the figures here as well")
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1])))
        return 0
    results = {}
    failed = []
    with tempfile.TemporaryDirectory(prefix="mindgap-uploads-") as folder:
        for name in args.case or list(CASES):
            filename, build = CASES[name]
            data = build()
            if len(data) > MAX_FILE_BYTES:
                raise SystemExit(f"{name}: {len(data):,} bytes is more than an upload may carry")
            path = Path(folder) / filename
            path.write_bytes(data)
            del data
            done = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), filename],
                capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )  # fmt: skip
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            results[name] = figures
            # A reader stopped at its memory limit reports no peak: the operating system held it there.
            peak = figures["reader_peak_mb"]
            within = figures["reader_cpu_seconds"] <= LIMITS["seconds"] and not peak > LIMITS["memory_mb"]
            if not within:
                failed.append(name)
            print(
                f"{name:38} {figures['bytes'] / 2**20:5.2f} MiB {figures['seconds']:6.2f} s "
                f"(reader CPU {figures['reader_cpu_seconds']:5.2f} s) reader {peak:6.1f} MB  "
                f"caller +{figures['caller_growth_mb']:5.1f} MB  "
                f"{'ok ' if within else 'OVER'} {figures['outcome'][:110]}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if failed:
        print(f"Over the limits ({LIMITS}): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
