"""Cuts by roster attributes: how long the protection takes and how much of a cut it can show.

Simulates organisations of ``n`` respondents in teams of about 15 (half sales, half marketing,
suppressed as a report suppresses them), with one to three roster attributes of a few values
each: the first follows the teams (most of a team shares its region), the others are drawn at
random. For each setting it runs :func:`analysis.cuts.cut_results` with the teams and pooled
functions published, within sales and marketing as well, and reports the time taken, the
share of cells shown, and how many were hidden for each reason (below the threshold, hidden
so that nothing smaller follows, or dropped because the search could not be exhaustive).
Every result is then checked again with :func:`analysis.disclosures` over everything
published: it must be safe.

Usage::

    .venv/bin/python benchmarks/cuts.py                 # 200, 500 and 1,000 respondents
    .venv/bin/python benchmarks/cuts.py --sizes 100 --replicates 2
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis  # noqa: E402
from analysis.cuts import cut_results  # noqa: E402

THRESHOLD = 5


def organisation(n: int, attributes: int, values: int, seed: int):
    """Scores, attributes, functions and the published team groups of one simulated organisation."""
    rng = np.random.default_rng(seed)
    n_teams = max(2, n // 15)
    teams = rng.integers(0, n_teams, n)
    scores = pd.DataFrame({"d": rng.normal(4, 1, n)})
    columns = {}
    for position in range(attributes):
        if position == 0:  # regions follow teams, with a few people elsewhere
            shifted = (teams + (rng.random(n) < 0.2) * rng.integers(1, values, n)) % values
            columns["region"] = [f"r{v}" for v in shifted]
        else:
            columns[f"attribute {position}"] = [f"v{v}" for v in rng.integers(0, values, n)]
    functions = pd.Series(np.where(teams < n_teams // 2, "sales", "marketing"))
    decision = analysis.suppression(pd.Series(teams).value_counts().to_dict(), THRESHOLD)
    published = {f"team {t}": set(np.flatnonzero(teams == t)) for t in range(n_teams) if t in decision.shown}
    for function in ("sales", "marketing"):
        published[function] = set(np.flatnonzero(functions == function))
    return scores, pd.DataFrame(columns), functions, published


def run(n: int, attributes: int, values: int, seed: int) -> dict:
    scores, frame, functions, published = organisation(n, attributes, values, seed)
    start = time.perf_counter()
    result = cut_results(scores, frame, threshold=THRESHOLD, functions=functions, published=published)
    seconds = time.perf_counter() - start
    groups = {**published, "organisation": set(range(n)), **result.groups}
    check = analysis.disclosures(groups, THRESHOLD)
    assert check.safe, (n, attributes, values, seed)
    reasons = Counter(str(r) for r in result.cells["reason"].dropna())
    return {
        "seconds": seconds,
        "cells": len(result.cells),
        "shown": int(result.cells["shown"].sum()),
        **reasons,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--values", type=int, default=4)
    args = parser.parse_args(argv)
    print("respondents attributes  seconds(median)  cells shown  below  complementary  uncheckable")
    for n in args.sizes:
        for attributes in (1, 2, 3):
            runs = [run(n, attributes, args.values, seed) for seed in range(args.replicates)]
            seconds = float(np.median([r["seconds"] for r in runs]))
            cells = sum(r["cells"] for r in runs)
            shown = sum(r["shown"] for r in runs)
            below = sum(r.get("below threshold", 0) for r in runs)
            complementary = sum(r.get("complementary", 0) for r in runs)
            unchecked = sum(r.get("uncheckable", 0) for r in runs)
            print(f"{n:11d} {attributes:10d} {seconds:16.2f}  {shown:5d}/{cells:<5d} {below:6d} "
                  f"{complementary:14d} {unchecked:12d}")  # fmt: skip


if __name__ == "__main__":
    main()
