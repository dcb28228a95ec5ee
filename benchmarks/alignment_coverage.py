"""Coverage simulation of the alignment index's interval (``analysis.alignment_estimate``).

For every setting it simulates ``--organisations`` organisations with
:func:`analysis.simulate`: sales and marketing teams, Likert answers cut from latent normal
scores (4 items per dimension, correlated dimensions as in the simulator's defaults, no random
team effect, so that the planted gaps are the only ones), scores them with
:func:`analysis.score`, pools the respondents by function as the report's headline does and
computes the report's estimate and interval (each function's teams as strata, as the
headline has them). Settings:

* one sales and one marketing team, equal and unequal sizes (10 + 10 to 200 + 200, 10 + 60),
  6-12 dimensions, 5- and 7-point scales, gaps planted as a mix from none on the first
  dimension to the largest on the last, all in one direction;
* the demo's shape: three sales teams (20, 17 and 3 answering) and two marketing teams (14
  and 19), 12 dimensions, gaps in both directions (sales below marketing on some dimensions,
  above on others) and teams of one function that differ from each other;
* two waves (independent samples) for ``AlignmentEstimate.change_since``: no change at
  complete alignment, no change with a gap, and a gap that narrows.

It reports per setting:

* coverage of the 95 % interval (share containing the true index) with its Monte-Carlo
  standard error ``sqrt(c (1 - c) / R)``, and how often the truth lay below / above it;
* the point estimate's mean and median error and the shares of estimates below and above the
  truth (the estimate is median-unbiased: both at most about one half), and, for comparison,
  the mean error of the positive-part index (the test statistic) and of the plug-in index;
* mean width of the interval and the share of intervals that contain their own estimate
  (must be 100 %);
* for two waves: coverage of the change's interval and the share of "significant" changes
  (p < 0.05), which is the test's size when the true change is 0.

The true index is that of the observed scale scores (coarsened Likert means, not the latent
traits), computed once per setting from 10,000 simulated respondents per answering person of
the smallest team (at least 100,000 per function), with the pooled SD weighted as in the
estimator for that setting's function sizes.

Usage::

    .venv/bin/python benchmarks/alignment_coverage.py [--organisations 1000] [--replicates 500] [--workers 2]
    .venv/bin/python benchmarks/alignment_coverage.py --quick      # 200 organisations per setting
    .venv/bin/python benchmarks/alignment_coverage.py --only demo,waves   # names containing a word
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
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

# The repository root first: this folder's analysis.py would otherwise shadow the package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np  # noqa: E402

import analysis  # noqa: E402
from analysis.alignment import overlap  # noqa: E402


@dataclass(frozen=True)
class Setting:
    """One simulated organisation shape: its teams, sizes, questionnaire and planted gaps."""

    name: str
    #: team -> (function, answering people)
    teams: tuple[tuple[str, str, int], ...]
    dimensions: int
    points: int
    #: team -> gap (latent SD) per dimension, as a tuple of K numbers; teams not named have none.
    effects: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def sizes(self, scale: int = 1) -> dict[str, int]:
        return {team: n * scale for team, _, n in self.teams}

    def per_function(self) -> tuple[int, int]:
        sales = sum(n for _, function, n in self.teams if function == "sales")
        return sales, sum(n for _, function, n in self.teams if function == "marketing")


def _ramp(level: float, k: int, sign=None) -> tuple[float, ...]:
    """Gaps from 0 on the first dimension to ``level`` on the last (times ``sign`` per dimension)."""
    sign = sign or [1] * k
    return tuple(level * j / (k - 1) * sign[j] for j in range(k))


def _pair(n_sales: int, n_marketing: int, dimensions: int, points: int, level: float) -> Setting:
    effects = (("S", _ramp(level, dimensions)),) if level else ()
    return Setting(
        f"pair {n_sales}+{n_marketing}", (("S", "sales", n_sales), ("M", "marketing", n_marketing)),
        dimensions, points, effects,
    )  # fmt: skip


#: The demo's answering teams (its rosters of 24, 20, 3, 16 and 22 at an 85 % response rate).
DEMO_TEAMS = (("S1", "sales", 20), ("S2", "sales", 17), ("S3", "sales", 3),
              ("M1", "marketing", 14), ("M2", "marketing", 19))  # fmt: skip
#: Directions of the demo-shaped gaps per dimension: sales below marketing on some, above on others.
DEMO_SIGNS = [1, -1, 1, 1, -1, 1, -1, 1, 1, -1, 1, -1]


def _demo(level: float) -> Setting:
    if not level:
        return Setting("demo-shaped", DEMO_TEAMS, 12, 5)
    gaps = _ramp(level, 12, DEMO_SIGNS)
    # The second sales team shares the first one's gaps at 60 %, the small one has none; the second
    # marketing team sits a fifth of an SD above the first on the first four dimensions.
    effects = (
        ("S1", gaps), ("S2", tuple(0.6 * g for g in gaps)),
        ("M2", tuple(0.2 if j < 4 else 0.0 for j in range(12))),
    )  # fmt: skip
    return Setting("demo-shaped", DEMO_TEAMS, 12, 5, effects)


#: Single-wave settings: (setting, largest latent gap). 0 is an aligned organisation (true index 100).
SETTINGS = [
    *[(_pair(s, m, k, p, level), level)
      for s, m, k, p in [(10, 10, 8, 5), (20, 40, 12, 5), (60, 60, 6, 7), (200, 200, 10, 7)]
      for level in (0.0, 0.6, 1.2)],
    (_pair(10, 10, 8, 5, 2.2), 2.2),
    *[(_pair(10, 60, 8, 5, level), level) for level in (0.0, 0.6)],
    *[(_demo(level), level) for level in (0.0, 0.8, 1.6)],
]  # fmt: skip
#: Two-wave settings for change_since: (name, earlier setting, later setting).
WAVES = [
    ("waves 20+20, aligned both times", _pair(20, 20, 8, 5, 0.0), _pair(20, 20, 8, 5, 0.0)),
    ("waves 20+20, same gap both times", _pair(20, 20, 8, 5, 1.2), _pair(20, 20, 8, 5, 1.2)),
    ("waves 20+20, gap narrows", _pair(20, 20, 8, 5, 1.6), _pair(20, 20, 8, 5, 0.6)),
    ("waves demo-shaped, gap narrows", _demo(1.6), _demo(0.8)),
]


def _instrument(setting: Setting):
    return analysis.synthetic_instrument(
        n_dimensions=setting.dimensions, items_per_dimension=4, points=setting.points
    )


def _effects(setting: Setting, instrument):
    if not setting.effects:
        return None
    ids = [d.id for d in instrument.dimensions]
    return {team: dict(zip(ids, gaps, strict=True)) for team, gaps in setting.effects}


def _organisation(setting: Setting, instrument, seed: int, scale: int = 1):
    teams = {team: function for team, function, _ in setting.teams}
    frame = analysis.simulate(
        instrument, teams, setting.sizes(scale), effects=_effects(setting, instrument), seed=seed,
        icc=0.0, missing_rate=0.0, careless_rate=0.0,
    )  # fmt: skip
    scores = analysis.score(frame, instrument)
    sales = (frame["function"] == "sales").to_numpy()
    teams = frame["team"].to_numpy()
    return scores[sales], scores[~sales], teams[sales], teams[~sales]


def _truth(setting: Setting, instrument) -> float:
    if not setting.effects:
        return 100.0
    smallest = min(n for _, _, n in setting.teams)
    scale = max(10_000 // smallest, 100_000 // min(setting.per_function()), 1)
    a, b, _, _ = _organisation(setting, instrument, seed=2**31 - 1, scale=scale)
    n_sales, n_marketing = setting.per_function()
    pooled = (n_sales * a.var(ddof=0) + n_marketing * b.var(ddof=0)) / (n_sales + n_marketing)
    delta = (a.mean() - b.mean()) / np.sqrt(pooled)
    return float(100 * overlap(delta.to_numpy()).mean())


def _run(task):
    settings, seeds, replicates = task
    instruments = [_instrument(s) for s in settings]
    rows = []
    for seed in seeds:
        results = []
        for wave, (setting, instrument) in enumerate(zip(settings, instruments, strict=True)):
            a, b, teams_a, teams_b = _organisation(setting, instrument, seed + 1_000_003 * wave)
            results.append(analysis.alignment_estimate(
                a, b, groups_a=teams_a, groups_b=teams_b, replicates=replicates, seed=seed + 7 * wave
            ))  # fmt: skip
        last = results[-1]
        row = [last.alignment, last.positive_part, last.uncorrected, last.ci_low, last.ci_high]
        if len(results) == 2:
            row.extend(last.change_since(results[0]))
        rows.append(row)
    return np.array(rows)


def _split(organisations: int, chunks: int = 8):
    return [[int(s) for s in part] for part in np.array_split(np.arange(organisations), chunks)]


def _single(pool, setting: Setting, level: float, organisations: int, replicates: int) -> None:
    truth = _truth(setting, _instrument(setting))
    rows = np.vstack(pool.map(_run, [((setting,), part, replicates) for part in _split(organisations)]))
    estimate, positive_part, plug_in, low, high = rows.T
    coverage = np.mean((low <= truth) & (truth <= high))
    se = np.sqrt(coverage * (1 - coverage) / len(rows))
    contains = np.mean((low <= estimate) & (estimate <= high))
    n_sales, n_marketing = setting.per_function()
    teams = "" if len(setting.teams) == 2 else f" ({len(setting.teams)} teams)"
    print(f"| {setting.name.split()[0]}{teams} | {n_sales} + {n_marketing} | {setting.dimensions} "
          f"| 1-{setting.points} | {level:.1f} | {truth:.1f} | {100 * coverage:.1f} % ({100 * se:.1f}) "
          f"| {100 * np.mean(truth < low):.1f} / {100 * np.mean(truth > high):.1f} % "
          f"| {np.mean(estimate - truth):+.2f} / {np.median(estimate) - truth:+.2f} "
          f"| {100 * np.mean(estimate < truth - 1e-9):.0f} / {100 * np.mean(estimate > truth + 1e-9):.0f} % "
          f"| {np.mean(positive_part - truth):+.2f} ({np.mean(plug_in - truth):+.2f}) "
          f"| {np.mean(high - low):.1f} | {100 * contains:.0f} % |", flush=True)  # fmt: skip


def _waves(pool, name: str, earlier: Setting, later: Setting, organisations: int, replicates: int) -> None:
    truths = [_truth(s, _instrument(s)) for s in (earlier, later)]
    true_change = truths[1] - truths[0]
    tasks = [((earlier, later), part, replicates) for part in _split(organisations)]
    rows = np.vstack(pool.map(_run, tasks))
    change, low, high, p = rows[:, 5:9].T
    coverage = np.mean((low <= true_change) & (true_change <= high))
    se = np.sqrt(coverage * (1 - coverage) / len(rows))
    consistent = np.mean((p < 0.05) == ~((low <= 0) & (0 <= high)))
    print(f"| {name} | {truths[0]:.1f} -> {truths[1]:.1f} | {100 * coverage:.1f} % ({100 * se:.1f}) "
          f"| {100 * np.mean(true_change < low):.1f} / {100 * np.mean(true_change > high):.1f} % "
          f"| {np.mean(change - true_change):+.2f} | {np.mean(high - low):.1f} "
          f"| {100 * np.mean(p < 0.05):.1f} % | {100 * consistent:.0f} % |", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 organisations per setting")
    parser.add_argument("--only", default="", help="comma-separated words; settings whose name has one")
    parser.add_argument(
        "--gaps", default="", help="comma-separated largest gaps; single-wave settings with one"
    )
    args = parser.parse_args()
    organisations = 200 if args.quick else args.organisations
    words = [w for w in args.only.split(",") if w]

    def chosen(name: str) -> bool:
        return not words or any(w in name for w in words)

    started = time.perf_counter()
    print(f"# alignment index coverage, {datetime.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, {organisations} organisations per setting, "
          f"{args.replicates} simulated samples each")  # fmt: skip
    with multiprocessing.Pool(args.workers) as pool:
        gaps = [float(g) for g in args.gaps.split(",") if g]
        single = [(s, level) for s, level in SETTINGS if chosen(s.name) and (not gaps or level in gaps)]
        if single:
            print("\n| teams | sales + marketing | dimensions | scale | largest gap | true index "
                  "| coverage (MC SE) | truth below / above | error mean / median "
                  "| estimates below / above truth | positive part (plug-in) error | mean width "
                  "| contains estimate |")  # fmt: skip
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            for setting, level in single:
                _single(pool, setting, level, organisations, args.replicates)
        waves = [w for w in WAVES if chosen(w[0])]
        if waves:
            print(
                "\n| two waves | true index | coverage of the change (MC SE) | true change below / above "
                "| mean error | mean width | significant (p < 0.05) | p agrees with the interval |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for name, earlier, later in waves:
                _waves(pool, name, earlier, later, organisations, args.replicates)
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
