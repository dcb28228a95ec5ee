"""Mindgap's psychometrics: scoring, reliability, factor structure, agreement, gaps and reports.

A plain library on numpy, pandas and scipy. It knows nothing of Flask
or databases, so a consultant can use it from a notebook::

    import analysis
    result = analysis.cronbach_alpha(items)

Charts live in :mod:`analysis.charts` (``import analysis.charts``), which loads matplotlib.
"""

from .agreement import ad_index, awg, icc1, icc2, icc_scores, rwg, rwg_j, rwg_j_scales
from .alignment import (
    AlignmentEstimate,
    ProfileSimilarity,
    alignment_estimate,
    alignment_index,
    profile_similarity,
)
from .anonymity import Suppression, comment_visibility, suppress_pairs, suppress_rows, suppression
from .calibration import (
    DefinitionIndex,
    PolicyWeights,
    definition_index,
    function_agreement,
    policy_weights,
    vignette_splits,
)
from .calibration_report import CalibrationSummary, calibration_summary
from .cfa import CFAResult, CFAWarning, cfa
from .correlation import correlation_matrix, covariance_matrix, pairwise_counts
from .differencing import DifferencingCheck, Disclosure, disclosures
from .effects import (
    Cell,
    Contrast,
    did_power,
    difference_in_differences,
    linear_contrast,
    pool,
    team_shock_variance,
)
from .factors import FactorSolutionWarning, bartlett, efa, kmo, parallel_analysis
from .gaps import Gap, Trend, gap, meta_perception_gaps, perception_gaps, trend
from .interrater import fleiss_kappa, krippendorff_alpha
from .invariance import InvarianceResult, comparability, measurement_invariance, score_tests
from .multicomp import adjust_p, multicomp
from .quality import careless, irv, longstring, mahalanobis
from .reliability import cronbach_alpha, feldt_interval, omega, omega_total, spearman_brown
from .report import (
    EarlierWave,
    OrganizationReport,
    TeamReport,
    organization_report,
    published_groups,
    team_report,
)
from .scoring import keyed_items, score, scored_dimensions
from .simulate import FUNCTIONS, simulate, synthetic_instrument

__all__ = [
    # scoring and simulation
    "FUNCTIONS",
    "keyed_items",
    "score",
    "scored_dimensions",
    "simulate",
    "synthetic_instrument",
    # confirmatory factor analysis and measurement invariance
    "CFAResult",
    "CFAWarning",
    "InvarianceResult",
    "cfa",
    "comparability",
    "measurement_invariance",
    "score_tests",
    # reliability and factor structure
    "FactorSolutionWarning",
    "bartlett",
    "correlation_matrix",
    "covariance_matrix",
    "cronbach_alpha",
    "efa",
    "feldt_interval",
    "kmo",
    "omega",
    "omega_total",
    "spearman_brown",
    "pairwise_counts",
    "parallel_analysis",
    # agreement, gaps, alignment and data quality
    "AlignmentEstimate",
    "Gap",
    "ProfileSimilarity",
    "Trend",
    "ad_index",
    "alignment_estimate",
    "alignment_index",
    "awg",
    "careless",
    "gap",
    "icc1",
    "icc2",
    "icc_scores",
    "irv",
    "longstring",
    "mahalanobis",
    "meta_perception_gaps",
    "perception_gaps",
    "profile_similarity",
    "rwg",
    "rwg_j",
    "rwg_j_scales",
    "trend",
    # lead calibration: agreement on vignettes and policy capturing
    "CalibrationSummary",
    "DefinitionIndex",
    "PolicyWeights",
    "calibration_summary",
    "definition_index",
    "fleiss_kappa",
    "function_agreement",
    "krippendorff_alpha",
    "policy_weights",
    "vignette_splits",
    # did an action work: difference in differences
    "Cell",
    "Contrast",
    "difference_in_differences",
    "did_power",
    "linear_contrast",
    "pool",
    "team_shock_variance",
    # multiple comparisons
    "adjust_p",
    "multicomp",
    # reports and confidentiality
    "DifferencingCheck",
    "Disclosure",
    "EarlierWave",
    "OrganizationReport",
    "Suppression",
    "TeamReport",
    "comment_visibility",
    "disclosures",
    "organization_report",
    "published_groups",
    "suppress_pairs",
    "suppress_rows",
    "suppression",
    "team_report",
]
