"""Mindgap's psychometrics: scoring, reliability, factor structure, agreement and gaps.

A plain library on numpy, pandas, scipy and factor_analyzer. It knows nothing of Flask
or databases, so a consultant can use it from a notebook::

    import analysis
    result = analysis.cronbach_alpha(items)
"""

# --- reliability and factor structure
# --- agreement, gaps, alignment and data quality
from .agreement import ad_index, awg, icc1, icc2, rwg, rwg_j  # noqa: F401  (re-exported)
# --- scoring and simulation
from .scoring import keyed_items, score, scored_dimensions  # noqa: F401  (re-exported)
