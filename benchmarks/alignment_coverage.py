"""Coverage simulation of the alignment index's interval (``analysis.alignment_estimate``).

For every setting (team sizes x true alignment) it simulates ``--organisations``
organisations with :func:`analysis.simulate`: one sales and one marketing team, Likert
answers cut from latent normal scores (4 items per dimension, correlated dimensions as in
the simulator's defaults, no team-level random effect so that the planted gap is the only
one), scores them with :func:`analysis.score` and computes the report's estimate and
interval. It reports per setting:

* coverage of the interval (share containing the true index) with its Monte-Carlo
  standard error ``sqrt(c (1 - c) / R)``, and how often the truth lay below / above it;
* mean bias of the corrected estimate and, for comparison, of the plug-in index;
* mean width of the interval;
* the share of intervals that contain their own estimate (must be 100 %).

The true index of a misaligned setting is that of the observed scale scores (coarsened
Likert means, not the latent traits), computed once from 100,000 simulated respondents per
team, with the pooled SD weighted as in the estimator for that setting's team sizes.

Usage::

    .venv/bin/python benchmarks/alignment_coverage.py [--organisations 1000] [--replicates 500] [--workers 2]
    .venv/bin/python benchmarks/alignment_coverage.py --quick      # 200 organisations per setting
"""

import os

# One BLAS thread per process, set before numpy is imported (2-core machine, see analysis.py).
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

# The repository root first: this folder's analysis.py would otherwise shadow the package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np  # noqa: E402

import analysis  # noqa: E402
from analysis.alignment import overlap  # noqa: E402

#: (sales, marketing, dimensions, scale points): small to large organisations, 6-12 dimensions,
#: 5- and 7-point scales.
DESIGNS = [(10, 10, 8, 5), (20, 40, 12, 5), (60, 60, 6, 7), (200, 200, 10, 7)]
#: Largest latent gap (SD) of the dimensions; dimension k gets ``level * k / (K - 1)``, a mix
#: from no gap to the largest. 0 is an aligned organisation (true index 100).
LEVELS = [0.0, 0.6, 1.2, 2.2]
TEAMS = {"S": "sales", "M": "marketing"}


def _instrument(dimensions: int, points: int):
    return analysis.synthetic_instrument(n_dimensions=dimensions, items_per_dimension=4, points=points)


def _effects(instrument, level: float):
    if level == 0:
        return None
    ids = [d.id for d in instrument.dimensions]
    return {"S": {d: level * k / (len(ids) - 1) for k, d in enumerate(ids)}}


def _organisation(instrument, n_sales: int, n_marketing: int, effects, seed: int):
    frame = analysis.simulate(
        instrument, TEAMS, {"S": n_sales, "M": n_marketing}, effects=effects, seed=seed,
        icc=0.0, missing_rate=0.0, careless_rate=0.0,
    )  # fmt: skip
    scores = analysis.score(frame, instrument)
    sales = (frame["team"] == "S").to_numpy()
    return scores[sales], scores[~sales]


def _truth(instrument, effects, n_sales: int, n_marketing: int) -> float:
    if effects is None:
        return 100.0
    a, b = _organisation(instrument, 100_000, 100_000, effects, seed=2**31 - 1)
    pooled = (n_sales * a.var(ddof=0) + n_marketing * b.var(ddof=0)) / (n_sales + n_marketing)
    delta = (a.mean() - b.mean()) / np.sqrt(pooled)
    return float(100 * overlap(delta.to_numpy()).mean())


def _run(task):
    n_sales, n_marketing, dimensions, points, level, truth, seeds, replicates = task
    instrument = _instrument(dimensions, points)
    effects = _effects(instrument, level)
    rows = []
    for seed in seeds:
        a, b = _organisation(instrument, n_sales, n_marketing, effects, seed)
        result = analysis.alignment_estimate(a, b, replicates=replicates, seed=seed)
        rows.append((result.alignment, result.uncorrected, result.ci_low, result.ci_high))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 organisations per setting")
    args = parser.parse_args()
    organisations = 200 if args.quick else args.organisations
    started = time.perf_counter()
    print(f"# alignment index coverage, {datetime.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {organisations} organisations per setting, "
          f"{args.replicates} bootstrap replicates")  # fmt: skip
    print("| sales + marketing | dimensions | scale | true index | coverage (MC SE) | truth below / above "
          "| bias (plug-in bias) | mean width | contains estimate |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    chunks = 8
    with multiprocessing.Pool(args.workers) as pool:
        for n_sales, n_marketing, dimensions, points in DESIGNS:
            instrument = _instrument(dimensions, points)
            for level in LEVELS:
                truth = _truth(instrument, _effects(instrument, level), n_sales, n_marketing)
                seeds = np.array_split(np.arange(organisations), chunks)
                tasks = [(n_sales, n_marketing, dimensions, points, level, truth, [int(s) for s in part],
                          args.replicates) for part in seeds]  # fmt: skip
                rows = np.vstack(pool.map(_run, tasks))
                estimate, plug_in, low, high = rows.T
                covered = (low <= truth) & (truth <= high)
                coverage = covered.mean()
                se = np.sqrt(coverage * (1 - coverage) / len(rows))
                contains = ((low <= estimate) & (estimate <= high)).mean()
                print(f"| {n_sales} + {n_marketing} | {dimensions} | 1-{points} | {truth:.1f} "
                      f"| {100 * coverage:.1f} % ({100 * se:.1f}) "
                      f"| {100 * np.mean(truth < low):.1f} / {100 * np.mean(truth > high):.1f} % "
                      f"| {np.mean(estimate - truth):+.2f} ({np.mean(plug_in - truth):+.2f}) "
                      f"| {np.mean(high - low):.1f} | {100 * contains:.0f} % |", flush=True)  # fmt: skip
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
