"""Speed benchmark of the lead-calibration analysis.

Simulates 5,000 respondents (2,500 in sales, 2,500 in marketing) judging the 16 vignettes of a
2^(6-2) fractional-factorial design on a 3-point scale, with 5 % of the judgements missing and
the planted difference of the demo (sales weighs budget and timing, marketing engagement),
then times the analysis of one wave:

1. ``function_agreement`` (Krippendorff's alpha and Fleiss' kappa per function, in everyone,
   within and between the two functions),
2. ``vignette_splits`` (per vignette: means, shares "ready for sales", intervals),
3. ``policy_weights`` (the clustered linear model with the function x attribute tests),
4. ``definition_index`` with a 1,000-resample bootstrap interval.

It prints the wall time per step (median and best of ``--repeat`` runs) and the total; the
target is under 1 s. ``--recovery N`` then simulates ``N`` organisations of 30 + 30 raters and
reports the bias of the estimated level weights and of their difference against the values the
planted model implies (:func:`analysis.calibration_simulation.expected_weights`), and how often
the 95 % intervals of the difference cover them.

Usage::

    .venv/bin/python benchmarks/calibration.py [--repeat 5] [--respondents 5000] [--recovery 500]
"""

import os

# One BLAS thread, as in benchmarks/analysis.py: stable figures on a shared 2-core machine.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis  # noqa: E402
from analysis.calibration_simulation import (  # noqa: E402
    expected_weights,
    fractional_factorial,
    simulate_calibration,
)

LEVELS = {
    "fit": ("target", "outside"),
    "role": ("decision_maker", "junior"),
    "budget": ("confirmed", "unknown"),
    "timing": ("this_quarter", "none"),
    "engagement": ("demo", "download"),
    "source": ("inbound", "list"),
}
SHARED = {"fit=target": 0.4, "role=decision_maker": 0.3}
WEIGHTS = {
    "sales": {**SHARED, "budget=confirmed": 0.7, "timing=this_quarter": 0.6, "engagement=demo": 0.2},
    "marketing": {**SHARED, "budget=confirmed": 0.2, "timing=this_quarter": 0.2, "engagement=demo": 0.7},
}
THRESHOLDS = {"sales": [-0.3, 0.9], "marketing": [-0.6, 0.5]}


def design() -> pd.DataFrame:
    codes = fractional_factorial(4, [(0, 1, 2), (1, 2, 3)])
    return pd.DataFrame(
        {
            name: pd.Categorical([levels[0] if c == 1 else levels[1] for c in codes[:, j]], categories=levels)
            for j, (name, levels) in enumerate(LEVELS.items())
        },
        index=[f"lead{i + 1:02d}" for i in range(len(codes))],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--respondents", type=int, default=5000)
    parser.add_argument(
        "--recovery", type=int, default=0, help="simulated organisations for bias and coverage"
    )
    args = parser.parse_args()
    plan = design()
    half = args.respondents // 2
    start = time.perf_counter()
    judgements, functions = simulate_calibration(
        plan,
        {"sales": half, "marketing": args.respondents - half},
        WEIGHTS,
        THRESHOLDS,
        leniency_sd=0.4,
        noise_sd=0.8,
        missing_rate=0.05,
        seed=2026,
    )
    simulated = time.perf_counter() - start
    steps = {
        "function_agreement": lambda: analysis.function_agreement(judgements, functions, level="ordinal"),
        "vignette_splits": lambda: analysis.vignette_splits(judgements, functions, ready=3),
        "policy_weights": lambda: analysis.policy_weights(judgements, functions, plan),
        "definition_index (1,000 resamples)": lambda: analysis.definition_index(
            judgements, functions, n_boot=1000, seed=1
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    totals = []
    results = {}
    for _ in range(args.repeat):
        total = 0.0
        for name, step in steps.items():
            start = time.perf_counter()
            results[name] = step()
            elapsed = time.perf_counter() - start
            times[name].append(elapsed)
            total += elapsed
        totals.append(total)
    print(
        f"{datetime.date.today():%d %B %Y}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(
        f"{len(judgements):,} respondents x {judgements.shape[1]} vignettes, simulated in {simulated:.3f} s"
    )
    for name, values in times.items():
        print(f"  {name:36s} {statistics.median(values):.3f} s (best {min(values):.3f})")
    print(f"  {'total':36s} {statistics.median(totals):.3f} s (best {min(totals):.3f})")
    index = results["definition_index (1,000 resamples)"]
    weights = results["policy_weights"].attributes
    print(f"definition index {index.index:.1f} [{index.ci_low:.1f}, {index.ci_high:.1f}]")
    print(weights[["importance_a", "importance_b", "p"]].round(3).to_string())
    if args.recovery:
        recovery(plan, args.recovery)
    return 0 if statistics.median(totals) < 1.0 else 1


def recovery(plan: pd.DataFrame, organisations: int) -> None:
    truth = expected_weights(plan, WEIGHTS, THRESHOLDS, leniency_sd=0.4, noise_sd=0.8)
    difference = truth["sales"] - truth["marketing"]
    estimates, covered, covered_a = [], [], []
    for seed in range(organisations):
        judgements, functions = simulate_calibration(
            plan,
            {"sales": 30, "marketing": 30},
            WEIGHTS,
            THRESHOLDS,
            leniency_sd=0.4,
            noise_sd=0.8,
            seed=seed,
        )
        levels = analysis.policy_weights(judgements, functions, plan).levels
        estimates.append(levels[["weight_a", "weight_b", "difference"]])
        covered.append((levels["low"] <= difference) & (difference <= levels["high"]))
        half = 1.959964 * levels["se_a"]
        covered_a.append(
            (levels["weight_a"] - half <= truth["sales"]) & (truth["sales"] <= levels["weight_a"] + half)
        )
    mean = sum(estimates) / organisations
    coverage = pd.concat(covered, axis=1).mean(axis=1)
    coverage_a = pd.concat(covered_a, axis=1).mean(axis=1)
    print(f"recovery, {organisations} organisations of 30 + 30 raters:")
    print(
        f"  largest |bias|: sales {np.abs(mean['weight_a'] - truth['sales']).max():.4f}, "
        f"marketing {np.abs(mean['weight_b'] - truth['marketing']).max():.4f}, "
        f"difference {np.abs(mean['difference'] - difference).max():.4f} scale points"
    )
    print(
        f"  coverage of the 95 % interval of the difference: mean {coverage.mean():.3f}, "
        f"range {coverage.min():.3f} to {coverage.max():.3f}"
    )
    print(f"  coverage of sales' weights (normal 95 % interval): mean {coverage_a.mean():.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
