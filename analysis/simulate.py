r"""Synthetic survey responses from a latent-factor model, for tests, demos and benchmarks.

The model
---------
Every dimension :math:`d` of the instrument has a latent trait. For respondent :math:`i`
in team :math:`t`,

.. math::

    \eta_{id} = \delta_{td} + \sqrt{\rho_I}\, u_{td} + \sqrt{1 - \rho_I}\, w_{id},
    \qquad u_{td} \sim N(0, 1),

where :math:`\delta_{td}` is the planted effect (``effects[t][d]``, in standard
deviation units of the latent trait), :math:`u_{td}` a random team deviation, and
:math:`\rho_I` (``icc``, default 0.15) the latent intra-class correlation: the share of
variance that lies between teams. The within-team parts are correlated across
dimensions, :math:`w_{id} = \sqrt{c}\, g_i + \sqrt{1 - c}\, z_{id}` with one general
factor :math:`g_i` and correlation ``dimension_correlation`` :math:`= c` (default 0.3),
so scale scores correlate as they do in real surveys.

An item :math:`j` of dimension :math:`d` gets a continuous response

.. math::

    y^*_{ij} = \pm\left(\lambda\, \eta_{id} + \sqrt{1 - \lambda^2}\, e_{ij}\right),
    \qquad e_{ij} \sim N(0, 1),

negative for reverse-keyed items, with loading :math:`\lambda` (``loading``, default 0.7).
With no planted effect :math:`y^*` is standard normal. It is cut into the scale's
:math:`K` categories at fixed thresholds spaced :math:`5/K` apart and centred on 0 (for
a 5-point scale -1.5, -0.5, 0.5, 1.5, giving category shares of about 7, 24, 38, 24 and
7 %); so the categories cover :math:`\pm 2.5` SD whatever :math:`K` is.

Because the items carry unique noise and are coarsened, observed scale scores show a
smaller ICC(1) than the latent one: with the defaults and 5 items per dimension about
0.09–0.14 (0.11 on average), inside the 0.05–0.20 range reported for work teams (Bliese 2000; James 1982).
Items on categorical scales are drawn uniformly over their points, unrelated to the
latent traits.

Missing answers and careless respondents
----------------------------------------
- A share ``missing_rate`` (default 2 %) of attentive respondents' answers is deleted
  completely at random (MCAR).
- A share ``careless_rate`` (default 2 %) of respondents, picked at random, answers
  carelessly: half of them (rounded up) are *straight-liners*, who give the same scale
  position to every item they see (the same raw answer, reverse-keyed or not), the rest
  *random responders*, who pick every answer uniformly from the scale. Careless
  respondents answer every item they are shown. They are marked in the boolean column
  ``careless`` and, by kind, in ``careless_type`` (``"straightline"``, ``"random"`` or
  ``""``).
- An item with an ``audience`` is shown only to teams of those functions; everyone else
  has NaN for it (meta-perception items are asked of their own team only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from instruments.model import Dimension, Instrument, Item, Scale, ScalePoint

from ._validation import check_choice, check_int

__all__ = ["FUNCTIONS", "simulate", "synthetic_instrument"]

#: The team functions a simulated team can have.
FUNCTIONS = ("sales", "marketing", "other")

#: Spacing of the category thresholds in latent SD units is this divided by the number of
#: categories, so the categories always span +/- 2.5 SD.
_THRESHOLD_SPAN = 5.0


def synthetic_instrument(
    n_dimensions: int = 12,
    items_per_dimension: int = 5,
    *,
    points: int = 5,
    reverse_every: int = 3,
    min_valid: int | None = None,
) -> Instrument:
    """Build a plain questionnaire of ``n_dimensions`` x ``items_per_dimension`` items.

    For benchmarks and tests that need a given size: dimensions ``d01``, ``d02`` …,
    items ``d01_1``, ``d01_2`` …, all on one ``points``-point agreement scale from 1,
    every ``reverse_every``-th item of a dimension reverse-keyed (0 = none).

    Parameters
    ----------
    n_dimensions, items_per_dimension : int
        Size of the instrument (at least 1 each).
    points : int
        Number of scale points (2 to 11).
    reverse_every : int
        Reverse-key item ``k`` of a dimension when ``k % reverse_every == 0`` (1-based);
        0 keys every item forward.
    min_valid : int, optional
        Fewest valid answers for a score; default half the items, rounded up.

    Returns
    -------
    Instrument
    """
    n_dimensions = check_int(n_dimensions, "n_dimensions", minimum=1, maximum=999)
    items_per_dimension = check_int(items_per_dimension, "items_per_dimension", minimum=1, maximum=999)
    points = check_int(points, "points", minimum=2, maximum=11)
    reverse_every = check_int(reverse_every, "reverse_every", minimum=0)
    if min_valid is None:
        min_valid = math.ceil(items_per_dimension / 2)
    min_valid = check_int(min_valid, "min_valid", minimum=1, maximum=items_per_dimension)

    scale = Scale(
        id="agree",
        min=1,
        max=points,
        points=tuple(ScalePoint(value=v, labels={"en": str(v)}) for v in range(1, points + 1)),
    )
    items: list[Item] = []
    dimensions: list[Dimension] = []
    for d in range(1, n_dimensions + 1):
        dimension_id = f"d{d:02d}"
        ids = tuple(f"{dimension_id}_{k}" for k in range(1, items_per_dimension + 1))
        for k, item_id in enumerate(ids, start=1):
            reverse = reverse_every > 0 and k % reverse_every == 0
            items.append(
                Item(
                    id=item_id,
                    text={"en": f"Synthetic statement {k} of dimension {d}"},
                    dimension=dimension_id,
                    scale="agree",
                    reverse=reverse,
                )
            )
        dimensions.append(
            Dimension(
                id=dimension_id,
                name={"en": f"Dimension {d}"},
                description={"en": "Synthetic dimension for benchmarks and tests."},
                item_ids=ids,
                min_valid=min_valid,
            )
        )
    return Instrument(
        id="synthetic",
        version=f"{n_dimensions}x{items_per_dimension}",
        title={"en": "Synthetic instrument"},
        introduction={"en": ""},
        estimated_minutes=1,
        citation="",
        licence="CC0-1.0",
        languages=("en",),
        scales={"agree": scale},
        dimensions=tuple(dimensions),
        items=tuple(items),
    )


def _check_rate(value, name: str, *, upper_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name} must be a number; got {value!r}")
    value = float(value)
    high_ok = value < 1 if upper_open else value <= 1
    if not (value >= 0 and high_ok):
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must be in {bound}; got {value}")
    return value


def _team_sizes(teams: list[str], n_per_team) -> np.ndarray:
    if isinstance(n_per_team, Mapping):
        unknown = sorted(set(n_per_team) - set(teams))
        missing = [t for t in teams if t not in n_per_team]
        if unknown or missing:
            raise ValueError(
                f"n_per_team must give a size for every team and only those; "
                f"missing {missing[:5]}, unknown {unknown[:5]}"
            )
        sizes = [check_int(n_per_team[t], f"n_per_team[{t!r}]", minimum=1) for t in teams]
    else:
        sizes = [check_int(n_per_team, "n_per_team", minimum=1)] * len(teams)
    return np.asarray(sizes, dtype=np.int64)


def _effect_matrix(effects, teams: list[str], dimension_ids: list[str]) -> np.ndarray:
    shifts = np.zeros((len(teams), len(dimension_ids)))
    if effects is None:
        return shifts
    if not isinstance(effects, Mapping):
        raise ValueError(f"effects must be a mapping {{team: {{dimension: shift}}}}; got {effects!r}")
    team_row = {t: r for r, t in enumerate(teams)}
    dimension_column = {d: c for c, d in enumerate(dimension_ids)}
    for team, by_dimension in effects.items():
        if team not in team_row:
            raise ValueError(f"effects names unknown team {team!r}; teams are {teams[:10]}")
        if not isinstance(by_dimension, Mapping):
            raise ValueError(
                f"effects[{team!r}] must be a mapping {{dimension: shift}}; got {by_dimension!r}"
            )
        for dimension, shift in by_dimension.items():
            if dimension not in dimension_column:
                raise ValueError(
                    f"effects[{team!r}] names unknown dimension {dimension!r}; dimensions are {dimension_ids}"
                )
            if (
                isinstance(shift, bool)
                or not isinstance(shift, int | float | np.integer | np.floating)
                or not math.isfinite(shift)
            ):
                raise ValueError(f"effects[{team!r}][{dimension!r}] must be a finite number; got {shift!r}")
            shifts[team_row[team], dimension_column[dimension]] = shift
    return shifts


def _categories(latent: np.ndarray, n_categories: int) -> np.ndarray:
    """Cut continuous responses at equally spaced fixed thresholds into 0 .. K-1 (in place)."""
    step = _THRESHOLD_SPAN / n_categories
    latent *= 1.0 / step
    latent += n_categories / 2
    np.floor(latent, out=latent)
    np.clip(latent, 0, n_categories - 1, out=latent)
    return latent


def simulate(
    instrument: Instrument,
    teams: Mapping[str, str],
    n_per_team: int | Mapping[str, int],
    effects: Mapping[str, Mapping[str, float]] | None = None,
    seed: int | np.random.Generator | None = None,
    *,
    icc: float = 0.15,
    loading: float = 0.7,
    dimension_correlation: float = 0.3,
    missing_rate: float = 0.02,
    careless_rate: float = 0.02,
) -> pd.DataFrame:
    """Simulate survey responses to ``instrument`` from teams with planted differences.

    See the module docstring for the model, the thresholds, missing answers and
    careless respondents.

    Parameters
    ----------
    instrument : Instrument
        The questionnaire; every dimension gets a latent trait.
    teams : mapping
        Team name -> function, one of ``"sales"``, ``"marketing"``, ``"other"``.
    n_per_team : int or mapping
        Respondents per team: one size for all, or a size per team name.
    effects : mapping, optional
        ``{team: {dimension id: shift}}``: the team's mean on the latent trait, in SD
        units of the trait (e.g. 0.5 = half a standard deviation higher). Default none.
    seed : int, numpy Generator or None
        The same seed gives the same data.
    icc : float
        Latent intra-class correlation (share of trait variance between teams), in [0, 1).
    loading : float
        Item loading on its dimension's trait, in (0, 1].
    dimension_correlation : float
        Within-team correlation of the traits of different dimensions, in [0, 1).
    missing_rate : float
        Share of attentive respondents' answers deleted at random (MCAR), in [0, 1).
    careless_rate : float
        Share of respondents who answer carelessly, in [0, 1].

    Returns
    -------
    DataFrame
        One row per respondent (index ``respondent``, 0 ..), columns ``team``,
        ``function``, one float column per item id (instrument order; NaN = missing or
        not shown), ``careless`` (bool) and ``careless_type``.

    Raises
    ------
    ValueError
        For an unknown function, team or dimension, or a parameter out of range.

    Examples
    --------
    >>> data = simulate(instrument, {"S1": "sales", "M1": "marketing"}, 50,
    ...                 effects={"S1": {"trust": 0.5}}, seed=1)   # doctest: +SKIP
    """
    if not isinstance(teams, Mapping) or not teams:
        raise ValueError(f"teams must be a non-empty mapping {{team: function}}; got {teams!r}")
    team_names = [str(t) for t in teams]
    if len(set(team_names)) != len(team_names):
        raise ValueError("teams must have distinct names")
    functions = [check_choice(teams[t], f"teams[{t!r}]", FUNCTIONS) for t in teams]
    sizes = _team_sizes(list(teams), n_per_team)
    icc = _check_rate(icc, "icc")
    dimension_correlation = _check_rate(dimension_correlation, "dimension_correlation")
    missing_rate = _check_rate(missing_rate, "missing_rate")
    careless_rate = _check_rate(careless_rate, "careless_rate", upper_open=False)
    loading = _check_rate(loading, "loading", upper_open=False)
    if loading == 0:
        raise ValueError("loading must be in (0, 1]; got 0.0")
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        rng = np.random.default_rng(seed)
    else:
        raise ValueError(f"seed must be an integer, a numpy Generator or None; got {seed!r}")

    dimension_ids = [d.id for d in instrument.dimensions]
    shifts = _effect_matrix(effects, list(teams), dimension_ids)
    n_teams, n_dimensions = shifts.shape
    n = int(sizes.sum())
    team_of = np.repeat(np.arange(n_teams), sizes)

    # Latent traits: team mean (planted shift + random team deviation) + within-team part.
    team_means = shifts + math.sqrt(icc) * rng.standard_normal((n_teams, n_dimensions))
    general = rng.standard_normal((n, 1))
    latent = rng.standard_normal((n, n_dimensions))
    latent *= math.sqrt(1 - dimension_correlation)
    latent += math.sqrt(dimension_correlation) * general
    latent *= math.sqrt(1 - icc)
    latent += team_means[team_of]

    items = instrument.items
    n_items = len(items)
    dimension_column = {d: c for c, d in enumerate(dimension_ids)}
    scales = [instrument.scale_of(item) for item in items]
    # Item-major layout (one contiguous row of answers per item): every per-item step below
    # touches contiguous memory, and its transpose is the column layout pandas keeps, so
    # the DataFrame is built without a copy.
    answers = rng.standard_normal((n_items, n))
    latent_by_dimension = np.ascontiguousarray(latent.T)
    unique_share = math.sqrt(1 - loading**2)
    for j, (item, scale) in enumerate(zip(items, scales, strict=True)):
        row = answers[j]
        if scale.numeric:
            row *= -unique_share if item.reverse else unique_share
            row += (-loading if item.reverse else loading) * latent_by_dimension[
                dimension_column[item.dimension]
            ]
        else:
            row[:] = rng.random(n)  # categorical: uniform, unrelated to the traits

    # Careless respondents overwrite the model's answers with a scale position.
    n_careless = round(careless_rate * n)
    careless_rows = np.sort(rng.choice(n, size=n_careless, replace=False))
    n_straight = math.ceil(n_careless / 2)
    straight_rows, random_rows = careless_rows[:n_straight], careless_rows[n_straight:]
    straight_position = rng.random(n_straight)  # the one relative position a straight-liner repeats
    random_positions = rng.random((n_items, len(random_rows)))

    for j, scale in enumerate(scales):
        row = answers[j]
        values = np.asarray(scale.values, dtype=float)
        k = len(values)
        if scale.numeric:
            _categories(row, k)
        else:
            row *= k
            np.floor(row, out=row)
        row[straight_rows] = np.floor(straight_position * k)
        row[random_rows] = np.floor(random_positions[j] * k)
        np.clip(row, 0, k - 1, out=row)
        if np.array_equal(values, np.arange(values[0], values[0] + k)):
            row += values[0]
        else:
            row[:] = values[row.astype(np.intp)]

    is_careless = np.zeros(n, dtype=bool)
    is_careless[careless_rows] = True
    if missing_rate > 0:
        flat = answers.reshape(-1)
        flat[_bernoulli_positions(rng, missing_rate, flat.size, exclude=is_careless)] = np.nan
    for j, item in enumerate(items):
        if item.audience:
            hidden_teams = np.array([f not in item.audience for f in functions])
            answers[j, hidden_teams[team_of]] = np.nan

    frame = pd.DataFrame(answers.T, columns=[item.id for item in items], copy=False)
    frame.index.name = "respondent"
    frame.insert(0, "team", np.asarray(team_names, dtype=object)[team_of])
    frame.insert(1, "function", np.asarray(functions, dtype=object)[team_of])
    kind = np.full(n, "", dtype=object)
    kind[straight_rows] = "straightline"
    kind[random_rows] = "random"
    frame["careless"] = is_careless
    frame["careless_type"] = kind
    return frame


def _bernoulli_positions(
    rng: np.random.Generator, rate: float, size: int, *, exclude: np.ndarray
) -> np.ndarray:
    """Positions in ``range(size)`` each chosen independently with probability ``rate``.

    Gaps between successes of Bernoulli trials are geometric, so summing geometric draws
    gives exactly the Bernoulli pattern at a fraction of the cost of one uniform per cell.
    Positions whose respondent (``position % len(exclude)``) is excluded are dropped.
    """
    expected = rate * size
    positions = np.empty(0, dtype=np.int64)
    last = -1
    while last < size:
        chunk = int(expected + 6 * math.sqrt(expected) + 16)
        steps = np.cumsum(rng.geometric(rate, size=chunk)) + last
        positions = np.concatenate([positions, steps])
        last = int(steps[-1])
    positions = positions[positions < size]
    return positions[~exclude[positions % len(exclude)]]
