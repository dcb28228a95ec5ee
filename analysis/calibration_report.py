"""What each team counts as a qualified lead: the lead-calibration results of one wave, as codes and numbers.

:func:`calibration_summary` runs the calibration analysis (:mod:`analysis.calibration`) on a
wave's answers to an instrument with vignettes and classifies each attribute:

* ``"agreed"`` -- both functions give it weight (each function's own Wald test, adjusted with
  the others by Benjamini-Hochberg, below ``alpha``), in the same direction, and the test that
  they weigh it alike is not significant: a criterion both teams already use;
* ``"differs"`` -- the two functions weigh it differently (adjusted p below ``alpha``);
  ``weighs_more`` names the function that weighs it more;
* ``"unclear"`` -- neither: the evidence does not say.

An attribute's weight is a main effect of the linear model. With 16 vignettes of a resolution IV
design each main effect is aliased with three-factor interactions, and a judgement scale with
thresholds makes such interactions appear, so an attribute nobody uses can show a small weight
or difference; read ``status`` with the importances beside it.

The draft lead definition is the favoured level of each agreed attribute (the level with the
highest weight in both functions), the starting point of a hand-over agreement. Nothing here
writes sentences: the presenter in the web layer words the codes.

Confidentiality: results are computed only when each function has at least ``threshold``
respondents with a judgement; otherwise the summary says so and holds no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validation import as_groups, check_int
from .calibration import (
    DefinitionIndex,
    PolicyWeights,
    definition_index,
    function_agreement,
    instrument_design,
    policy_weights,
    vignette_splits,
)
from .multicomp import adjust_p

__all__ = ["STATUSES", "CalibrationSummary", "calibration_summary"]

#: Codes of an attribute's status in :attr:`CalibrationSummary.attributes`.
STATUSES = ("agreed", "differs", "unclear")


@dataclass(frozen=True)
class CalibrationSummary:
    """One wave's lead calibration for two functions (see :func:`calibration_summary`).

    Attributes
    ----------
    shown : bool
        False when a function has fewer respondents than the threshold; every table is then
        ``None`` and ``index`` is ``None``.
    pair : tuple of str
        The functions compared.
    n : tuple of int
        Respondents with at least one judgement, per function of ``pair``.
    threshold : int
        The anonymity threshold applied.
    index : DefinitionIndex or None
        The 0-100 definition index.
    agreement : DataFrame or None
        :func:`analysis.calibration.function_agreement` for the two functions only.
    attributes : DataFrame or None
        Per attribute: the columns of :attr:`PolicyWeights.attributes`, ``p_adjusted`` (the
        difference test, BH over the attributes), ``status`` (one of :data:`STATUSES`),
        ``weighs_more`` (the function with the larger importance when the status is
        ``"differs"``, else empty) and ``favoured_level``.
    weights : PolicyWeights or None
        The full policy-capturing result.
    splits : DataFrame or None
        :func:`analysis.calibration.vignette_splits` with ``p_adjusted`` (BH over vignettes).
    split_vignettes : tuple of str
        Vignettes on which the functions' mean judgements differ (adjusted p below ``alpha``),
        largest split first, at most ``max_splits``.
    definition : tuple of (str, str)
        The draft lead definition: ``(attribute, favoured level)`` of every agreed attribute.
    """

    shown: bool
    pair: tuple[str, str]
    n: tuple[int, int]
    threshold: int
    index: DefinitionIndex | None = None
    agreement: pd.DataFrame | None = None
    attributes: pd.DataFrame | None = None
    weights: PolicyWeights | None = None
    splits: pd.DataFrame | None = None
    split_vignettes: tuple[str, ...] = ()
    definition: tuple[tuple[str, str], ...] = ()


def calibration_summary(
    responses: pd.DataFrame,
    functions,
    instrument,
    *,
    threshold: int,
    ready: int | None = None,
    pair=("sales", "marketing"),
    alpha: float = 0.05,
    max_splits: int = 3,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> CalibrationSummary:
    """Summarise one wave's judgements of ``instrument``'s vignettes for two functions.

    Parameters
    ----------
    responses : DataFrame
        Respondents x items (other columns are ignored); the vignettes' item ids must be
        columns.
    functions : Series or sequence
        Function of each respondent, aligned with ``responses``.
    instrument : instruments.Instrument
        An instrument with vignettes (``lead_calibration``).
    threshold : int
        Smallest number of respondents per function whose results may be shown.
    ready : int, optional
        The judgement code meaning "ready for sales"; the highest point of the vignettes'
        scale when ``None``.
    pair : tuple of two str
        The functions compared.
    alpha : float
        Significance level of the attribute and vignette classifications (after
        Benjamini-Hochberg adjustment within each family).
    max_splits : int
        Most vignettes listed in ``split_vignettes``.
    n_boot, seed
        Bootstrap of the definition index (:func:`analysis.calibration.definition_index`).

    Returns
    -------
    CalibrationSummary
    """
    check_int(threshold, "threshold", minimum=1)
    check_int(max_splits, "max_splits", minimum=0)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number between 0 and 1; got {alpha!r}")
    if not isinstance(responses, pd.DataFrame):
        raise ValueError(
            f"responses must be a DataFrame (respondents x items); got {type(responses).__name__}"
        )
    design = instrument_design(instrument)
    missing = [item for item in design.index if item not in responses.columns]
    if missing:
        raise ValueError(f"responses lack the vignettes {missing[:5]} of {instrument.key}")
    judgements = responses[list(design.index)].astype(float)
    labels = as_groups(functions, judgements.index, "functions")
    pair = (pair[0], pair[1])
    answered = judgements.notna().any(axis=1)
    n = tuple(int((answered & (labels == function)).sum()) for function in pair)
    if min(n) < threshold:
        return CalibrationSummary(shown=False, pair=pair, n=n, threshold=threshold)
    if ready is None:
        ready = instrument.scale_of(instrument.vignettes[0]).max
    keep = labels.isin(pair).to_numpy()
    judgements, labels = judgements[keep], labels[keep]

    weights = policy_weights(judgements, labels, design, pair=pair)
    attributes = weights.attributes.copy()
    attributes["p_adjusted"] = adjust_p(attributes["p"].to_numpy(), method="fdr_bh")
    own = adjust_p(np.concatenate([attributes["p_a"], attributes["p_b"]]), method="fdr_bh")
    weighted_a, weighted_b = own[: len(attributes)] < alpha, own[len(attributes) :] < alpha
    favoured, same_direction = [], []
    for attribute in attributes.index:
        levels = weights.levels.loc[attribute]
        best_a, best_b = levels["weight_a"].idxmax(), levels["weight_b"].idxmax()
        favoured.append(best_a if best_a == best_b else "")
        same_direction.append(best_a == best_b)
    attributes["favoured_level"] = favoured
    differs = attributes["p_adjusted"].to_numpy() < alpha
    agreed = ~differs & weighted_a & weighted_b & np.array(same_direction)
    attributes["status"] = np.where(differs, "differs", np.where(agreed, "agreed", "unclear"))
    more = np.where(attributes["importance_a"] >= attributes["importance_b"], pair[0], pair[1])
    attributes["weighs_more"] = np.where(differs, more, "")

    splits = vignette_splits(judgements, labels, ready=ready, pair=pair)
    with np.errstate(invalid="ignore"):
        usable = splits["p"].notna().to_numpy()
        adjusted = np.full(len(splits), np.nan)
        adjusted[usable] = adjust_p(splits["p"].to_numpy()[usable], method="fdr_bh")
    splits = splits.assign(p_adjusted=adjusted)
    split_vignettes = tuple(str(v) for v in splits.index[splits["p_adjusted"] < alpha][:max_splits])
    agreement = function_agreement(judgements, labels, level="ordinal", pair=pair)
    return CalibrationSummary(
        shown=True,
        pair=pair,
        n=n,
        threshold=threshold,
        index=definition_index(judgements, labels, pair=pair, n_boot=n_boot, seed=seed),
        agreement=agreement,
        attributes=attributes,
        weights=weights,
        splits=splits,
        split_vignettes=split_vignettes,
        definition=tuple(
            (str(attribute), str(row["favoured_level"]))
            for attribute, row in attributes.iterrows()
            if row["status"] == "agreed"
        ),
    )
