r"""Synthetic lead-calibration data with planted weights and thresholds, and what they imply.

:func:`simulate_calibration` draws judgements from an ordered-probit rater model,

.. math:: \eta_{rv} = \sum_j w_{f(r) j}\, x_{vj} + u_r + e_{rv}, \qquad
          y_{rv} = 1 + \#\{k : \eta_{rv} > \tau_{f(r) k}\}

with effect codes :math:`x_{vj}` of the vignette's attribute levels, each function's planted
weights :math:`w_{fj}` and thresholds :math:`\tau_{fk}`, a respondent's leniency
:math:`u_r \sim N(0, \sigma_u^2)` and noise :math:`e_{rv} \sim N(0, \sigma_e^2)`.

The linear model of :func:`analysis.calibration.policy_weights` estimates weights on the
judgement scale, not on the latent one. :func:`expected_weights` gives the values it
estimates under the model above: the least-squares fit of the expected judgement

.. math:: E[y_{rv}] = 1 + \sum_k \Phi\!\left(\frac{\mu_{fv} - \tau_{fk}}
                                     {\sqrt{\sigma_u^2 + \sigma_e^2}}\right)

on the effect codes, so a simulation can report the bias and the coverage of the estimates
against the truth it planted. :func:`fractional_factorial` builds the two-level designs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np
import pandas as pd
from scipy import special

from ._validation import check_int
from .calibration import effect_codes

__all__ = ["expected_weights", "fractional_factorial", "simulate_calibration"]


def fractional_factorial(base: int, generators: Sequence[Sequence[int]]) -> np.ndarray:
    """A two-level fractional factorial design in -1/+1 codes.

    The first ``base`` columns are the full factorial of ``2**base`` runs (standard order,
    the first column changing slowest); each generator adds a column, the product of the
    base columns it lists (0-based). ``fractional_factorial(4, [(0, 1, 2), (1, 2, 3)])`` is
    the :math:`2^{6-2}` design of resolution IV (E = ABC, F = BCD): 16 runs in which all six
    main effects are orthogonal and none is aliased with a two-factor interaction.

    References
    ----------
    Box, G. E. P., Hunter, J. S., & Hunter, W. G. (2005). *Statistics for experimenters*
    (2nd ed.), chapter 6. Wiley.
    """
    check_int(base, "base", minimum=1, maximum=12)
    runs = np.array(list(product((-1, 1), repeat=base)), dtype=int)
    columns = [runs[:, j] for j in range(base)]
    for position, generator in enumerate(generators):
        members = list(generator)
        if len(members) < 2 or any(not 0 <= m < base for m in members) or len(set(members)) != len(members):
            raise ValueError(
                f"generators[{position}] must list two or more different base columns 0..{base - 1}; "
                f"got {generator!r}"
            )
        columns.append(np.prod(runs[:, members], axis=1))
    return np.column_stack(columns)


def _coded_weights(codes: pd.DataFrame, weights: Mapping[str, float], function: str) -> np.ndarray:
    unknown = [name for name in weights if name not in codes.columns]
    if unknown:
        raise ValueError(
            f"weights[{function!r}] names columns the design does not have: {unknown[:5]}; "
            f"its effect-coded columns are {list(codes.columns)}"
        )
    return np.array([float(weights.get(name, 0.0)) for name in codes.columns])


def _thresholds(thresholds: Sequence[float], function: str) -> np.ndarray:
    cuts = np.asarray(thresholds, dtype=float)
    if cuts.ndim != 1 or cuts.size < 1 or not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
        raise ValueError(f"thresholds[{function!r}] must be increasing finite numbers; got {thresholds!r}")
    return cuts


def simulate_calibration(
    design: pd.DataFrame,
    n_per_function: Mapping[str, int],
    weights: Mapping[str, Mapping[str, float]],
    thresholds: Mapping[str, Sequence[float]],
    *,
    leniency_sd: float,
    noise_sd: float,
    missing_rate: float = 0.0,
    seed: int | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Judgements of the vignettes in ``design`` by raters with planted weights and thresholds.

    Parameters
    ----------
    design : DataFrame
        Vignettes x attributes, the level each vignette shows (see
        :func:`analysis.calibration.effect_codes`).
    n_per_function : mapping of str to int
        Respondents per function, e.g. ``{"sales": 40, "marketing": 40}``.
    weights : mapping of str to mapping
        Per function, the latent weight of each effect-coded column (``"budget=confirmed"``);
        columns left out weigh 0.
    thresholds : mapping of str to sequence of float
        Per function, the increasing latent cut points; ``k`` cut points give judgements
        ``1 .. k + 1``.
    leniency_sd, noise_sd : float
        Standard deviations of the respondent's leniency and of the judgement noise.
    missing_rate : float
        Probability that a judgement is missing (at random).
    seed : int or None
        Seed of the random generator.

    Returns
    -------
    judgements : DataFrame
        Respondents x vignettes (columns = ``design.index``), float codes, NaN = missing.
    functions : Series
        Function of each respondent.
    """
    codes, _ = effect_codes(design)
    for name, value in (("leniency_sd", leniency_sd), ("noise_sd", noise_sd)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of 0 or more; got {value!r}")
    if not 0 <= missing_rate < 1:
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate!r}")
    rng = np.random.default_rng(seed)
    blocks, labels = [], []
    for function, count in n_per_function.items():
        count = check_int(count, f"n_per_function[{function!r}]", minimum=1)
        if function not in weights or function not in thresholds:
            raise ValueError(f"weights and thresholds must both be given for function {function!r}")
        mean = codes.to_numpy() @ _coded_weights(codes, weights[function], function)
        cuts = _thresholds(thresholds[function], function)
        latent = (
            mean[None, :]
            + rng.normal(0.0, leniency_sd, size=(count, 1))
            + rng.normal(0.0, noise_sd, size=(count, mean.size))
        )
        blocks.append(1.0 + (latent[..., None] > cuts).sum(axis=-1))
        labels += [function] * count
    values = np.vstack(blocks)
    if missing_rate > 0:
        values[rng.random(values.shape) < missing_rate] = np.nan
    index = pd.RangeIndex(len(labels), name="respondent")
    judgements = pd.DataFrame(values, index=index, columns=design.index)
    return judgements, pd.Series(labels, index=index, name="function")


def expected_weights(
    design: pd.DataFrame,
    weights: Mapping[str, Mapping[str, float]],
    thresholds: Mapping[str, Sequence[float]],
    *,
    leniency_sd: float,
    noise_sd: float,
) -> pd.DataFrame:
    """The level weights the linear policy model estimates under the simulated rater model.

    Returns
    -------
    DataFrame
        Indexed as :attr:`analysis.calibration.PolicyWeights.levels` (``("intercept", "")``
        then ``(attribute, level)``), one column per function.
    """
    codes, levels = effect_codes(design)
    spread = float(np.hypot(leniency_sd, noise_sd))
    if spread <= 0:
        raise ValueError("leniency_sd and noise_sd must not both be 0 (the expectation has no spread)")
    x = np.column_stack([np.ones(len(codes)), codes.to_numpy()])
    columns = {}
    for function in weights:
        mean = codes.to_numpy() @ _coded_weights(codes, weights[function], function)
        cuts = _thresholds(thresholds[function], function)
        expected = 1.0 + special.ndtr((mean[:, None] - cuts[None, :]) / spread).sum(axis=1)
        beta = np.linalg.lstsq(x, expected, rcond=None)[0]
        values, index, column = [beta[0]], [("intercept", "")], 1
        for attribute, attribute_levels in levels.items():
            first = column
            for level in attribute_levels[:-1]:
                values.append(beta[column])
                index.append((attribute, str(level)))
                column += 1
            values.append(-beta[first:column].sum())
            index.append((attribute, str(attribute_levels[-1])))
        columns[function] = pd.Series(
            values, index=pd.MultiIndex.from_tuples(index, names=["attribute", "level"])
        )
    return pd.DataFrame(columns)
