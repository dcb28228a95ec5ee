"""Team-level precision of the shorter (planned-missing) form against the full form.

Simulates organisations shaped like the demo (four teams of 14 to 20 respondents: the demo's
rosters at its 85 % response rate; its team of three is below the anonymity threshold and left
out) answering the alignment and mindset instruments, with the demo's second-wave effects
planted (sales lower on lead quality, hand-over, shared definitions and time horizon;
marketing higher on lead quality and evidence). Each organisation is analysed twice: with every
answer (full form), and after keeping, for every respondent, ``k`` random statements of each
dimension and ``k`` of the meta-perception statements (the shorter form the wave page offers,
:mod:`survey.services.form_design`). For both it reports, over dimensions and replicates:

* **team-level reliability**: the median ICC(1) and ICC(2) of the dimension scores (ICC(2)
  is the reliability of a team mean), over all dimensions and over the six with planted
  effects, without (icc 0) and with (icc 0.15) random team variance;
* **gap precision**: the sales-marketing gap per dimension (members pooled by function) and
  the gap between two teams (Sales North - Demand Generation): mean standard error, mean 95 %
  interval width (Welch), bias and coverage of the true gap. The truth is the gap between the
  functions' expected scores, taken from one very large full-form sample; coverage is only
  reported for ``--icc 0``, where every team of a function shares its expected score;
* the median answering time of each form (items and minutes, at the instruments' stated pace).

Usage::

    .venv/bin/python benchmarks/short_forms.py                     # 300 replicates, icc 0 and 0.15
    .venv/bin/python benchmarks/short_forms.py --replicates 50 --items 3
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis  # noqa: E402
import instruments  # noqa: E402

#: Team -> (function, respondents): the demo's rosters (24, 20, 16, 22) at 85 % response.
TEAMS = {
    "Sales North": ("sales", 20),
    "Sales South": ("sales", 17),
    "Brand Marketing": ("marketing", 14),
    "Demand Generation": ("marketing", 19),
}
#: The demo's second-wave effects (SD of the latent trait), by function and dimension.
EFFECTS = {
    "sales": {"lead_quality": -0.55, "handover": -0.3, "shared_definitions": -0.35, "time_horizon": -0.5},
    "marketing": {"lead_quality": 0.2, "evidence": 0.55},
}
TEAM_GAP = ("Sales North", "Demand Generation")
SIMULATION = {"careless_rate": 0.0, "missing_rate": 0.0}


def shipped() -> tuple:
    return instruments.load("alignment"), instruments.load("mindset")


def simulate_organization(pair, sizes: dict, icc: float, seed: int) -> pd.DataFrame:
    """One organisation's full-form answers to both instruments (rows = respondents)."""
    teams = {team: function for team, (function, _) in TEAMS.items()}
    frames = []
    for offset, instrument in enumerate(pair):
        own = {dimension.id for dimension in instrument.dimensions}
        effects = {
            team: {d: v for d, v in EFFECTS.get(function, {}).items() if d in own}
            for team, function in teams.items()
        }
        frame = analysis.simulate(
            instrument, teams, sizes, effects, seed=seed * 2 + offset, icc=icc, **SIMULATION
        )
        frames.append(
            frame if not offset else frame.drop(columns=["team", "function", "careless", "careless_type"])
        )
    return pd.concat(frames, axis=1)


def pools(pair) -> list[list[str]]:
    """The groups a shorter form draws from: each dimension's own statements, each instrument's meta ones."""
    found = []
    for instrument in pair:
        for dimension in instrument.dimensions:
            found.append([i.id for i in instrument.items_of(dimension.id) if i.perspective != "meta"])
        meta = [i.id for i in instrument.items if i.perspective == "meta"]
        if meta:
            found.append(meta)
    return found


def shorter(answers: pd.DataFrame, pair, k: int, rng: np.random.Generator) -> pd.DataFrame:
    """``answers`` with all but ``k`` random statements of each pool blanked, per respondent.

    Among the statements a respondent was shown (meta statements are shown to one function),
    ranks from a uniform draw keep the ``k`` smallest: a uniform subset of size ``k``.
    """
    masked = answers.copy()
    for pool in pools(pair):
        values = masked[pool].to_numpy(dtype=float, copy=True)
        shown = ~np.isnan(values)
        ranks = np.where(shown, rng.random(values.shape), np.inf).argsort(axis=1).argsort(axis=1)
        values[ranks >= k] = np.nan
        masked[pool] = values
    return masked


def _scores(answers: pd.DataFrame, pair, k: int | None) -> pd.DataFrame:
    return pd.concat([analysis.score(answers, instrument, answered=k) for instrument in pair], axis=1)


def _welch(a: pd.DataFrame, b: pd.DataFrame):
    """Per column: difference of means, its standard error and the 95 % Welch half-width."""
    na, nb = a.count(), b.count()
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return a.mean() - b.mean(), se, stats.t.ppf(0.975, df) * se


def truth(pair, n: int = 20_000, seed: int = 99) -> tuple[pd.Series, pd.Series]:
    """Expected sales - marketing gap per dimension, and the team gap's (icc 0: the same)."""
    sizes = {team: n for team in TEAMS}
    answers = simulate_organization(pair, sizes, 0.0, seed)
    scores = _scores(answers, pair, None)
    function = answers["function"]
    gap = scores[function == "sales"].mean() - scores[function == "marketing"].mean()
    return gap, gap


def replicate(pair, k: int, icc: float, seed: int) -> dict[str, pd.DataFrame]:
    """Statistics of one simulated organisation under both forms."""
    rng = np.random.default_rng(seed)
    sizes = {team: size for team, (_, size) in TEAMS.items()}
    answers = simulate_organization(pair, sizes, icc, seed)
    short = shorter(answers, pair, k, rng)
    result = {}
    for form, data, items in (("full", answers, None), ("short", short, k)):
        scores = _scores(data, pair, items)
        icc_table = analysis.icc_scores(scores, data["team"].to_numpy())
        function, team = data["function"], data["team"]
        gap, se, half = _welch(scores[function == "sales"], scores[function == "marketing"])
        team_gap, team_se, team_half = _welch(scores[team == TEAM_GAP[0]], scores[team == TEAM_GAP[1]])
        result[form] = pd.DataFrame(
            {
                "icc1": icc_table["icc1"],
                "icc2": icc_table["icc2"],
                "gap": gap,
                "gap_se": se,
                "gap_half": half,
                "team_gap": team_gap,
                "team_se": team_se,
                "team_half": team_half,
            }
        )
    return result


def run(
    replicates: int, k: int = 2, icc: float = 0.0, seed: int = 1, pair=None, true_gap=None
) -> pd.DataFrame:
    """Summary per form over ``replicates`` organisations (see the module docstring)."""
    pair = pair or shipped()
    rows = {"full": [], "short": []}
    for number in range(replicates):
        for form, table in replicate(pair, k, icc, seed + number).items():
            rows[form].append(table)
    planted = sorted({d for effects in EFFECTS.values() for d in effects})
    summary = {}
    for form, tables in rows.items():
        stacked = pd.concat(tables, keys=range(len(tables)), names=["replicate", "dimension"])
        entry = {
            # Medians: ICC(2) = 1 - MS_W / MS_B runs far below 0 when a sample's MS_B is small.
            "icc1_median": stacked["icc1"].median(),
            "icc2_median": stacked["icc2"].median(),
            "icc2_median_planted": stacked.loc[(slice(None), planted), "icc2"].median(),
            "gap_se": stacked["gap_se"].mean(),
            "gap_ci_width": 2 * stacked["gap_half"].mean(),
            "team_gap_se": stacked["team_se"].mean(),
            "team_gap_ci_width": 2 * stacked["team_half"].mean(),
        }
        if true_gap is not None:
            expected = true_gap.reindex(stacked.index.get_level_values("dimension")).to_numpy()
            entry["gap_bias"] = float(np.mean(stacked["gap"].to_numpy() - expected))
            entry["gap_coverage"] = float(
                np.mean(np.abs(stacked["gap"].to_numpy() - expected) <= stacked["gap_half"])
            )
            entry["team_gap_bias"] = float(np.mean(stacked["team_gap"].to_numpy() - expected))
            entry["team_gap_coverage"] = float(
                np.mean(np.abs(stacked["team_gap"].to_numpy() - expected) <= stacked["team_half"])
            )
        summary[form] = entry
    return pd.DataFrame(summary)


def answering_time(pair, k: int) -> pd.DataFrame:
    """Statements and median minutes per function under each form (the instruments' stated pace)."""
    rows = {}
    for function in ("sales", "marketing"):
        for form, items in (("full", None), ("short", k)):
            count, minutes = 0, 0.0
            for instrument in pair:
                shown = [i for i in instrument.items if i.shown_to(function)]
                asked = len(shown)
                if items is not None:
                    asked = 0
                    for pool in pools((instrument,)):
                        here = [i for i in pool if instrument.item(i).shown_to(function)]
                        asked += min(items, len(here))
                count += asked
                minutes += instrument.estimated_minutes * asked / len(instrument.items)
            rows[(function, form)] = {"items": count, "minutes": math.ceil(minutes - 1e-9)}
    return pd.DataFrame(rows).T


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=300)
    parser.add_argument("--items", type=int, default=2, help="statements per dimension in the shorter form")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    pair = shipped()
    started = time.perf_counter()
    true_gap, _ = truth(pair)
    print(answering_time(pair, args.items).to_string())
    for icc in (0.0, 0.15):
        summary = run(args.replicates, args.items, icc, args.seed, pair, true_gap if icc == 0 else None)
        summary["short / full"] = summary["short"] / summary["full"]
        print(f"\nicc = {icc}, {args.replicates} organisations, {args.items} statements per dimension")
        print(summary.round(4).to_string())
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
