"""Did an action work? Power and type-I error of the difference-in-differences verdict.

Simulates organisations measured in two waves: ``treated`` teams take an action after the
first, ``control`` teams do not, every team of ``per_team`` respondents per wave; each team
has its own level (a between-team SD of ``team_sd``), the whole organisation moves by a common
shift between the waves, and the treated teams' answers move by ``effect`` SDs more. Each
organisation is evaluated as a report does (:func:`analysis.difference_in_differences` on the
teams' published summaries, pooled, with the teams' own shocks estimated from the comparison
teams; Holm's adjustment over ``actions`` actions evaluated in the same report) and the share
of organisations whose action is found to work is the power (``effect > 0``) or the type-I
error (``effect = 0``). The analytic power of :func:`analysis.did_power` is printed next to it.

    .venv/bin/python benchmarks/actions.py                      # the demo's sizes, 2000 organisations
    .venv/bin/python benchmarks/actions.py --organisations 500 --per-team 12 --effect 0.5

Figures: docs/PERFORMANCE.md ("Action effects"); the respondents table: docs/ANALYSIS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Run as a script, benchmarks/ comes first on the path, and benchmarks/analysis.py is not the library.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis  # noqa: E402

#: The demo organisation's shape: per team and wave, treated teams, comparison teams.
DEMO_PER_TEAM = 12
DEMO_TREATED = 1
DEMO_CONTROL = 4


@dataclass(frozen=True)
class Rates:
    organisations: int
    found: int
    #: Share of organisations whose action was found to work (adjusted p below alpha, effect > 0).
    rate: float
    #: Share whose first action was found to have changed the dimension, either way.
    changed: float
    #: The analytic power (:func:`analysis.did_power`, Bonferroni over the actions).
    analytic: float


def _summaries(rng, levels, per_team: int, shift) -> list[tuple[int, float, float]]:
    answers = rng.normal(levels[:, None] + shift, 1.0, size=(len(levels), per_team))
    return [(per_team, float(row.mean()), float(row.std(ddof=1))) for row in answers]


def simulate(
    organisations: int = 2000,
    *,
    per_team: int = DEMO_PER_TEAM,
    treated: int = DEMO_TREATED,
    control: int = DEMO_CONTROL,
    effect: float = 0.5,
    team_sd: float = 0.2,
    shock_sd: float = 0.0,
    estimate_shocks: bool = True,
    actions: int = 2,
    alpha: float = 0.05,
    seed: int = 20,
) -> Rates:
    """Share of simulated organisations in which the first of ``actions`` actions is found to work.

    The other actions have no effect; all are evaluated together (Holm) as in one report.
    ``shock_sd`` adds a change of each team's own between the waves; with ``estimate_shocks``
    (as the report does) their variance is estimated from the comparison teams' changes
    (:func:`analysis.team_shock_variance`) and widens the interval, without it the
    independent-respondents interval is used.
    """
    rng = np.random.default_rng(seed)
    found = changed = 0
    for _ in range(organisations):
        p = []
        estimates = []
        for action in range(actions):
            levels = rng.normal(0.0, team_sd, treated + control)
            common = rng.normal(0.0, 0.2)
            planted = effect if action == 0 else 0.0
            before = _summaries(rng, levels, per_team, 0.0)
            shifts = np.r_[np.full(treated, common + planted), np.full(control, common)]
            shifts = shifts + rng.normal(0.0, shock_sd, treated + control) if shock_sd else shifts
            after = _summaries(rng, levels, per_team, shifts[:, None])
            shocks = (
                analysis.team_shock_variance(before[treated:], after[treated:]) if estimate_shocks else 0.0
            )
            result = analysis.difference_in_differences(
                before[:treated], after[:treated], before[treated:], after[treated:], shock_variance=shocks
            )
            p.append(result.p)
            estimates.append(result.estimate)
        reject, _ = analysis.multicomp(p, alpha, "holm")
        found += bool(reject[0] and estimates[0] > 0)
        changed += bool(reject[0])
    analytic = (
        analysis.did_power(effect, treated * per_team, control * per_team, alpha, actions)
        if effect
        else alpha / actions / 2
    )
    return Rates(organisations, found, found / organisations, changed / organisations, analytic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=2000)
    parser.add_argument("--per-team", type=int, default=DEMO_PER_TEAM)
    parser.add_argument("--treated", type=int, default=DEMO_TREATED)
    parser.add_argument("--control", type=int, default=DEMO_CONTROL)
    parser.add_argument("--effect", type=float, default=None, help="one effect (default: 0, 0.5, 0.8, 1.0)")
    parser.add_argument("--team-sd", type=float, default=0.2)
    parser.add_argument("--shock-sd", type=float, default=0.0, help="each team's own change between waves")
    parser.add_argument("--plain", action="store_true", help="ignore team shocks (least-squares interval)")
    parser.add_argument("--actions", type=int, default=2)
    arguments = parser.parse_args()
    effects = [arguments.effect] if arguments.effect is not None else [0.0, 0.5, 0.8, 1.0]
    print(
        f"{arguments.organisations} organisations; {arguments.treated} treated and {arguments.control} "
        f"comparison teams of {arguments.per_team} per wave; team SD {arguments.team_sd}, "
        f"team shocks {arguments.shock_sd} ({'ignored' if arguments.plain else 'estimated'}); "
        f"{arguments.actions} actions per report (Holm)"
    )
    for effect in effects:
        start = time.perf_counter()
        rates = simulate(
            arguments.organisations,
            per_team=arguments.per_team,
            treated=arguments.treated,
            control=arguments.control,
            effect=effect,
            team_sd=arguments.team_sd,
            shock_sd=arguments.shock_sd,
            estimate_shocks=not arguments.plain,
            actions=arguments.actions,
        )
        label = "type-I error (either way)" if effect == 0 else "power"
        shown = rates.changed if effect == 0 else rates.rate
        analytic = 2 * rates.analytic if effect == 0 else rates.analytic
        print(
            f"effect {effect:.1f} SD: {label} {100 * shown:.1f} % "
            f"(found to work {100 * rates.rate:.1f} %; analytic {100 * analytic:.1f} %) "
            f"in {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
