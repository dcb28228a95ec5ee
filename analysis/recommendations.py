"""Causes of a sales-marketing gap, one per alignment dimension, and the recommendations chosen.

Each dimension of the alignment instrument measures one cause of misalignment seen in the
field (``shared/DOMAIN.md``): no shared vocabulary, no agreed hand-over, goals and
incentives that pull apart, no common plan or target customer, lead quality judged
differently, no feedback loop, disconnected data, a relationship that ends at the sale,
mindsets not understood, blame. The report turns the largest significant gaps between
sales and marketing, and the lowest shared ratings, into :class:`Recommendation` s: codes
and numbers only. Wording them (what the cause is, what aligned organisations do instead,
who should own it) is the job of the application's presenter, where it can be translated.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CAUSES", "PRACTICES", "Recommendation"]

#: Alignment dimension id -> the cause of misalignment it measures (a code).
CAUSES: dict[str, str] = {
    "shared_definitions": "definitions",
    "strategy": "plan",
    "target_customer": "target_customer",
    "shared_goals": "goals",
    "incentives": "incentives",
    "lead_quality": "lead_quality",
    "handover": "handover",
    "feedback": "feedback",
    "data_systems": "data_systems",
    "lifecycle": "lifecycle",
    "understanding": "mindsets",
    "trust": "blame",
}

#: The former name of :data:`CAUSES` (the dimensions with a recommended practice).
PRACTICES = CAUSES

_NAN = float("nan")


@dataclass(frozen=True)
class Recommendation:
    """One recommended practice, as the numbers that led to it.

    Fields added after the first release have defaults, so reports stored by an earlier
    version still load (they then carry NaN there).
    """

    #: The alignment dimension it addresses.
    dimension: str
    #: ``"gap"`` (sales and marketing see it differently) or ``"level"`` (both rate it low).
    basis: str
    #: Hedges' g of the gap (sales minus marketing) or NaN for a level recommendation.
    g: float
    #: Benjamini-Hochberg adjusted p of the gap, or NaN.
    p_adjusted: float
    #: Organisation mean on the dimension.
    mean: float
    #: The cause the dimension measures (a value of :data:`CAUSES`).
    cause: str = ""
    #: 95 % CI of g, or NaN.
    g_ci_low: float = _NAN
    g_ci_high: float = _NAN
    #: Means of sales and of marketing (pooled by function) for a gap, else NaN.
    mean_sales: float = _NAN
    mean_marketing: float = _NAN
    #: The answer scale of the dimension.
    scale_min: float = _NAN
    scale_max: float = _NAN
    #: For a gap: whether sales and marketing read the dimension's items alike, its
    #: :func:`analysis.comparability` status (``"comparable"``, ``"partial"``, ``"not
    #: comparable"``, ``"not tested"``); ``""`` when not assessed.
    comparability: str = ""
