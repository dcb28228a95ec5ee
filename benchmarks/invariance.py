"""Speed benchmark of confirmatory factor analysis and measurement invariance, against lavaan.

Two cases:

1. ``hs1939``: lavaan's HolzingerSwineford1939 (301 pupils, 9 tests, 3 factors) by school, the
   scalar model (``group_equal = loadings, intercepts``), and the whole invariance sequence
   (configural, metric, scalar, strict, with the partial-invariance search);
2. ``alignment``: two groups x 5,000 respondents answering all 54 items of the shipped alignment
   instrument (12 dimensions of 4-6 items), simulated from its dimension structure: loadings 0.7,
   factor correlations 0.3, answers cut into the 5-point scale, the second group's factor means
   0.2 higher, two items with a shifted intercept and one with a weaker loading. Timed: the scalar
   model and the whole invariance sequence.

Each step is run ``--repeat`` times; the median and the best are printed. When ``Rscript`` (with
lavaan) is on the ``PATH`` and ``--no-r`` is not given, lavaan fits the same scalar models on the
same data (timing ``cfa()`` only) and the chi-squares are compared.

Usage::

    .venv/bin/python benchmarks/invariance.py [--repeat 3] [--no-r] [--per-group 5000]
"""

import os

# One BLAS thread, set before numpy is imported, as in benchmarks/analysis.py: on the 2-core
# benchmark machine a multi-threaded OpenBLAS competing with other processes ran the fit
# about 10 x slower.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import analysis  # noqa: E402
import instruments  # noqa: E402

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], check.names = FALSE)
model <- readLines(args[2])
started <- proc.time()[["elapsed"]]
fit <- cfa(model, data = data, group = "group", group.equal = c("loadings", "intercepts"))
elapsed <- proc.time()[["elapsed"]] - started
cat(sprintf("%.6f %.6f\n", elapsed, fitMeasures(fit, "chisq")))
"""


def alignment_data(per_group: int, seed: int = 20261203):
    """Two groups answering the alignment instrument's 54 items; the model and the planted items."""
    instrument = instruments.load("alignment")
    model = {d.id: [i.id for i in instrument.items if i.dimension == d.id] for d in instrument.dimensions}
    names = list(model)
    shifted = [model[names[1]][2], model[names[6]][3]]
    weaker = model[names[9]][2]
    rng = np.random.default_rng(seed)
    m = len(names)
    frames = []
    for g, label in enumerate(["sales", "marketing"]):
        cov = np.full((m, m), 0.3) + 0.7 * np.eye(m)
        eta = rng.multivariate_normal(np.full(m, 0.2 * g), cov, size=per_group)
        columns = {}
        for k, items in enumerate(model.values()):
            for item in items:
                loading = 0.4 if g == 1 and item == weaker else 0.7
                shift = 0.5 if g == 1 and item in shifted else 0.0
                latent = shift + loading * eta[:, k] + np.sqrt(1 - 0.49) * rng.standard_normal(per_group)
                columns[item] = np.clip(np.floor(latent + 3.5), 1, 5)  # cuts at -1.5 .. 1.5
        frames.append(pd.DataFrame(columns).assign(group=label))
    return pd.concat(frames, ignore_index=True), model, shifted, weaker


def timed(function, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


def lavaan_scalar(data: pd.DataFrame, model_text: str):
    with tempfile.TemporaryDirectory() as folder:
        csv, syntax, script = Path(folder, "data.csv"), Path(folder, "model.txt"), Path(folder, "fit.R")
        data.to_csv(csv, index=False)
        syntax.write_text(model_text)
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(syntax)], capture_output=True, text=True, check=True
        )
    elapsed, chisq = out.stdout.split()[-2:]
    return float(elapsed), float(chisq)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-group", type=int, default=5000)
    parser.add_argument("--no-r", action="store_true", help="skip the lavaan runs")
    args = parser.parse_args()
    with_r = not args.no_r and shutil.which("Rscript") is not None

    print(f"{datetime.date.today()}  {platform.processor() or platform.machine()}  {os.cpu_count()} cores")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")

    hs = pd.read_csv(ROOT / "tests" / "analysis" / "reference" / "data" / "holzinger1939.csv")
    hs_scalar = timed(
        lambda: analysis.cfa(hs, HS_MODEL, group="school", group_equal=["loadings", "intercepts"]),
        args.repeat,
    )
    hs_sequence = timed(lambda: analysis.measurement_invariance(hs, HS_MODEL, "school"), args.repeat)
    print(f"HS1939 scalar model              {hs_scalar[0]:7.3f} s (best {hs_scalar[1]:.3f})")
    print(
        f"HS1939 invariance sequence       {hs_sequence[0]:7.3f} s (best {hs_sequence[1]:.3f})  "
        f"freed {dict(hs_sequence[2].freed)}"
    )

    started = time.perf_counter()
    data, model, shifted, weaker = alignment_data(args.per_group)
    print(f"simulated {len(data)} x {sum(map(len, model.values()))} in {time.perf_counter() - started:.2f} s")
    scalar = timed(
        lambda: analysis.cfa(data, model, group="group", group_equal=["loadings", "intercepts"]), args.repeat
    )
    sequence = timed(lambda: analysis.measurement_invariance(data, model, "group"), args.repeat)
    result = sequence[2]
    print(
        f"alignment scalar model           {scalar[0]:7.3f} s (best {scalar[1]:.3f})  "
        f"npar {scalar[2].fit['npar']:.0f}"
    )
    print(f"alignment invariance sequence    {sequence[0]:7.3f} s (best {sequence[1]:.3f})")
    print(f"  planted: intercepts {shifted}, loading {weaker}; freed {dict(result.freed)}")

    if with_r:
        for name, frame, text, ours in [
            ("HS1939", hs.rename(columns={"school": "group"}), HS_MODEL, hs_scalar[2]),
            (
                "alignment",
                data,
                "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in model.items()),
                scalar[2],
            ),
        ]:
            elapsed, chisq = lavaan_scalar(frame, text)
            print(
                f"lavaan {name} scalar model: {elapsed:.3f} s, chisq {chisq:.4f} "
                f"(ours {ours.fit['chisq']:.4f}, difference {abs(chisq - ours.fit['chisq']):.1e})"
            )


if __name__ == "__main__":
    main()
