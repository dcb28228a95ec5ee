"""Mindgap's psychometrics: scoring, reliability, factor structure, agreement and gaps.

A plain library on numpy, pandas, scipy and factor_analyzer. It knows nothing of Flask
or databases, so a consultant can use it from a notebook::

    import analysis
    result = analysis.cronbach_alpha(items)
"""

# --- reliability and factor structure
from .correlation import correlation_matrix, covariance_matrix, pairwise_counts  # noqa: F401  (re-exported)
from .factors import bartlett, efa, kmo, parallel_analysis  # noqa: F401  (re-exported)
from .reliability import cronbach_alpha, feldt_interval, omega  # noqa: F401  (re-exported)
# --- agreement, gaps, alignment and data quality
from .agreement import ad_index, awg, icc1, icc2, rwg, rwg_j  # noqa: F401  (re-exported)
from .alignment import ProfileSimilarity, alignment_index, profile_similarity  # noqa: F401  (re-exported)
from .gaps import Gap, Trend, gap, meta_perception_gaps, perception_gaps, trend  # noqa: F401  (re-exported)
from .quality import careless, irv, longstring, mahalanobis  # noqa: F401  (re-exported)
# --- scoring and simulation
from .scoring import keyed_items, score, scored_dimensions  # noqa: F401  (re-exported)
from .simulate import FUNCTIONS, simulate, synthetic_instrument  # noqa: F401  (re-exported)
# --- reports, charts and confidentiality (charts: ``import analysis.charts``, it loads matplotlib)
from .anonymity import Suppression, comment_visibility, suppression  # noqa: F401  (re-exported)
from .anonymity import suppress_pairs, suppress_rows  # noqa: F401  (re-exported)
from .report import OrganizationReport, TeamReport, organization_report, team_report  # noqa: F401  (re-exported)
