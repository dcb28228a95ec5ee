"""Speed benchmark of the full team analysis, against the same analysis in R.

Builds 100,000 respondents x 60 items (12 dimensions of 5 items, 5-point scale) in 200
teams with :func:`analysis.simulate`, then times the analysis a consultant runs on a
whole organisation:

1. scoring (dimension scores and reverse-keyed item answers),
2. Cronbach's alpha per dimension,
3. r_wg(j), ICC(1) and ICC(2) per dimension,
4. all pairwise team gaps per dimension (19,900 pairs x 12 dimensions).

It reports the wall time per step (median and best of ``--repeat`` runs), the total and
the peak resident memory of the process. When ``Rscript`` is installed it writes the
same data to a temporary CSV and runs the equivalent R calls (rowMeans scoring,
``psych::alpha``, ``multilevel::rwg.j`` / ``ICC1`` / ``ICC2`` and a loop of
``t.test`` plus d and g over the team pairs), timing R's computations only (not reading
the CSV), checks that both give the same numbers, and prints the ratio.

Usage::

    .venv/bin/python benchmarks/analysis.py [--repeat 3] [--no-r] [--teams 200] [--per-team 500]
"""

import os

# One BLAS thread, set before numpy is imported. The benchmark machine has 2 cores;
# multi-threaded OpenBLAS competing with other processes for them was seen to run the
# matrix steps 8x slower, and one thread gives stable, comparable figures (R gets the
# same setting through the environment).
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis  # noqa: E402

STEPS = ("scoring", "alpha", "agreement", "gaps")

R_SCRIPT = r"""
suppressPackageStartupMessages({
  library(psych)
  library(multilevel)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
spec <- fromJSON(args[2])
team <- data$team
dimensions <- names(spec$dimensions)
clock <- function() proc.time()[["elapsed"]]
timing <- list()
check <- list()

# 1. scoring: reverse keying, then the mean of valid items with the min_valid rule.
started <- clock()
for (item in spec$reverse) data[[item]] <- spec$min + spec$max - data[[item]]
scores <- sapply(dimensions, function(d) {
  x <- as.matrix(data[, spec$dimensions[[d]]])
  m <- rowMeans(x, na.rm = TRUE)
  m[rowSums(!is.na(x)) < spec$min_valid] <- NA
  m
})
timing$scoring <- clock() - started

# 2. Cronbach's alpha per dimension (pairwise-complete correlations, psych's default).
started <- clock()
check$alpha <- sapply(dimensions, function(d) {
  psych::alpha(data[, spec$dimensions[[d]]], check.keys = FALSE, warnings = FALSE)$total$raw_alpha
})
timing$alpha <- clock() - started

# 3. rwg(j) (uniform null, listwise), ICC(1), ICC(2) per dimension.
started <- clock()
agreement <- lapply(dimensions, function(d) {
  x <- data[, spec$dimensions[[d]]]
  complete <- complete.cases(x)
  rwgj <- multilevel::rwg.j(x[complete, ], team[complete], ranvar = (spec$n_options^2 - 1) / 12)
  model <- aov(scores[, d] ~ as.factor(team))
  c(rwg_j_mean = mean(rwgj$rwg.j), icc1 = multilevel::ICC1(model), icc2 = multilevel::ICC2(model))
})
timing$agreement <- clock() - started
check$rwg_j_mean <- sapply(agreement, `[[`, "rwg_j_mean")
check$icc1 <- sapply(agreement, `[[`, "icc1")
check$icc2 <- sapply(agreement, `[[`, "icc2")

# 4. every pair of teams on every dimension: Welch t-test, Cohen's d, Hedges' g with CI.
started <- clock()
teams <- sort(unique(team))
g_first <- numeric(0)
n_rows <- 0
for (d in dimensions) {
  by_team <- lapply(split(scores[, d], team)[teams], function(v) v[!is.na(v)])
  for (i in seq_len(length(teams) - 1)) {
    a <- by_team[[i]]
    for (j in (i + 1):length(teams)) {
      b <- by_team[[j]]
      test <- t.test(a, b, var.equal = FALSE)
      na <- length(a); nb <- length(b); df <- na + nb - 2
      pooled <- sqrt(((na - 1) * var(a) + (nb - 1) * var(b)) / df)
      cohen_d <- (mean(a) - mean(b)) / pooled
      J <- exp(lgamma(df / 2) - 0.5 * log(df / 2) - lgamma((df - 1) / 2))
      hedges_g <- J * cohen_d
      se <- J * sqrt((na + nb) / (na * nb) + cohen_d^2 / (2 * (na + nb)))
      ci <- hedges_g + c(-1, 1) * qnorm(0.975) * se
      n_rows <- n_rows + 1
      if (i == 1 && j == 2) g_first <- c(g_first, hedges_g)
    }
  }
}
timing$gaps <- clock() - started
check$g_first_pair <- g_first
check$gap_rows <- n_rows

cat(toJSON(list(timing = timing, check = check, r_version = R.version.string,
                psych = as.character(packageVersion("psych")),
                multilevel = as.character(packageVersion("multilevel"))),
           digits = NA, auto_unbox = TRUE))
"""


def build_data(n_teams: int, per_team: int, seed: int):
    """The benchmark instrument (12 x 5 items, 5 points) and simulated responses."""
    instrument = analysis.synthetic_instrument(n_dimensions=12, items_per_dimension=5, points=5)
    functions = ("sales", "marketing", "other")
    teams = {f"T{t:03d}": functions[t % 3] for t in range(n_teams)}
    data = analysis.simulate(instrument, teams, per_team, seed=seed)
    return instrument, data


def run_analysis(instrument, data) -> tuple[dict[str, float], dict]:
    """Run the four steps once; return the wall time per step and the results."""
    dimension_items = {d: list(items) for d, items in analysis.scored_dimensions(instrument).items()}
    n_options = len(instrument.scales["agree"].values)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    # Factorise the team labels once: every statistic groups by team, and grouping by 100,000
    # strings costs ~10 ms a call (36 calls here), by a categorical almost nothing.
    groups = data["team"].astype("category")
    scores = analysis.score(data, instrument)
    keyed = analysis.keyed_items(data, instrument)
    timings["scoring"] = time.perf_counter() - started

    started = time.perf_counter()
    alphas = {
        d: analysis.cronbach_alpha(keyed[[item.id for item in items]], missing="pairwise")
        for d, items in dimension_items.items()
    }
    timings["alpha"] = time.perf_counter() - started

    started = time.perf_counter()
    agreement = {}
    for d, items in dimension_items.items():
        agreement[d] = {
            "rwg_j": analysis.rwg_j(
                keyed[[item.id for item in items]], groups, n_options, missing="listwise"
            ),
            "icc1": analysis.icc1(scores[d], groups),
            "icc2": analysis.icc2(scores[d], groups),
        }
    timings["agreement"] = time.perf_counter() - started

    started = time.perf_counter()
    gaps = analysis.perception_gaps(scores, groups, min_n=2)
    timings["gaps"] = time.perf_counter() - started
    return timings, {"scores": scores, "alphas": alphas, "agreement": agreement, "gaps": gaps}


def run_r(instrument, data) -> dict | None:
    """Run the same analysis in R on the same data; ``None`` when Rscript is missing."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    scored = analysis.scored_dimensions(instrument)
    scale = instrument.scales["agree"]
    spec = {
        "dimensions": {d: [item.id for item in items] for d, items in scored.items()},
        "reverse": [item.id for items in scored.values() for item in items if item.reverse],
        "min": scale.min,
        "max": scale.max,
        "n_options": len(scale.values),
        "min_valid": instrument.dimensions[0].min_valid,
    }
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "responses.csv"
        spec_file = Path(folder) / "spec.json"
        script = Path(folder) / "analysis.R"
        data[["team", *instrument.item_ids]].to_csv(csv, index=False)
        spec_file.write_text(json.dumps(spec))
        script.write_text(R_SCRIPT)
        finished = subprocess.run(
            [rscript, str(script), str(csv), str(spec_file)],
            capture_output=True,
            text=True,
            check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"Rscript failed:\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def compare_with_r(results: dict, r: dict) -> dict[str, float]:
    """Largest absolute difference between Python's and R's numbers, per statistic."""
    dimensions = list(results["scores"].columns)
    mine = {
        "alpha": [results["alphas"][d].alpha for d in dimensions],
        "rwg_j_mean": [results["agreement"][d]["rwg_j"]["rwg_j"].mean() for d in dimensions],
        "icc1": [results["agreement"][d]["icc1"] for d in dimensions],
        "icc2": [results["agreement"][d]["icc2"] for d in dimensions],
    }
    gaps = results["gaps"]
    first_pair = gaps[(gaps["team_a"] == gaps["team_a"].iloc[0]) & (gaps["team_b"] == gaps["team_b"].iloc[0])]
    mine["g_first_pair"] = first_pair.set_index("dimension").loc[dimensions, "g"].to_list()
    differences = {
        name: float(np.max(np.abs(np.asarray(values) - np.asarray(r["check"][name]))))
        for name, values in mine.items()
    }
    differences["gap_rows"] = float(len(gaps) - r["check"]["gap_rows"])
    return differences


def peak_memory_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--per-team", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the Python analysis (median reported)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    arguments = parser.parse_args(argv)

    print(f"Mindgap analysis benchmark - {datetime.date.today().isoformat()}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, OPENBLAS_NUM_THREADS=1"
    )
    started = time.perf_counter()
    instrument, data = build_data(arguments.teams, arguments.per_team, arguments.seed)
    simulate_seconds = time.perf_counter() - started
    n_items = len(instrument.items)
    print(
        f"data: {len(data):,} respondents x {n_items} items in {arguments.teams} teams "
        f"(simulated in {simulate_seconds:.3f} s)"
    )
    memory_before = peak_memory_mb()

    runs = []
    for _ in range(arguments.repeat):
        timings, results = run_analysis(instrument, data)
        runs.append(timings)
    median = {step: statistics.median(run[step] for run in runs) for step in STEPS}
    best = {step: min(run[step] for run in runs) for step in STEPS}
    print(f"\nPython (median / best of {arguments.repeat} runs)")
    for step in STEPS:
        print(f"  {step:<10} {median[step]:8.3f} s   {best[step]:8.3f} s")
    total = sum(median.values())
    print(f"  {'total':<10} {total:8.3f} s   {sum(best.values()):8.3f} s")
    n_pairs = arguments.teams * (arguments.teams - 1) // 2
    print(
        f"  gap table: {len(results['gaps']):,} rows ({n_pairs:,} pairs x {results['scores'].shape[1]} dims)"
    )
    print(f"  peak memory (max RSS): {peak_memory_mb():.0f} MB (after simulating: {memory_before:.0f} MB)")

    if arguments.no_r:
        return 0
    r = run_r(instrument, data)
    if r is None:
        print("\nRscript not found: no R comparison")
        return 0
    print(f"\nR ({r['r_version']}, psych {r['psych']}, multilevel {r['multilevel']}; computations only)")
    for step in STEPS:
        ratio = r["timing"][step] / median[step]
        print(f"  {step:<10} {r['timing'][step]:8.3f} s   {ratio:8.0f} x")
    r_total = sum(r["timing"][step] for step in STEPS)
    print(f"  {'total':<10} {r_total:8.3f} s   {r_total / total:8.0f} x  (R time / Python time)")
    differences = compare_with_r(results, r)
    print(
        "  largest |Python - R|: " + ", ".join(f"{name} {value:.1e}" for name, value in differences.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
