"""The numbers of an organisation's and a team's alignment report, confidentiality applied.

:func:`organization_report` takes one wave's submitted responses and the team tree and
returns an :class:`OrganizationReport`: frozen dataclasses holding labelled DataFrames and
plain floats, ready for HTML, PDF, exports or JSON. :func:`team_report` cuts one team's
view out of it. Nothing here formats text for a page or draws.

Conventions (also in ``docs/ANALYSIS.md``, "Reports and confidentiality"):

* **Groups.** Every team in ``teams`` is a group; its respondents are its own members and
  those of the teams nested under it. The organisation is the root.
* **Careless respondents** (:func:`analysis.careless` on the raw answers to the items
  shown to everyone) are excluded before any statistic; only their count is reported.
* **Confidentiality** (:func:`analysis.anonymity.suppression`) is decided on the analysed
  responses per group, which is never more than the submitted ones. A suppressed group
  appears only in the overview's team list, with every number blank and a ``reason`` code
  (:data:`analysis.anonymity.BELOW_THRESHOLD` or ``COMPLEMENTARY``; the presenter words
  it). Gaps, alignment and profile similarity are shown for pairs of shown groups that do
  not contain each other. Statistics that pool respondents in another way
  (ICC, meta-perception and the sales-marketing headline by function, trends) use only
  the members of groups that may be computed on their own (``shown_members``), so they
  cannot be combined with the shown groups to isolate a hidden one.
* **Significance.** Gap p-values are Welch's, adjusted over the whole gap table with
  Benjamini-Hochberg (many pairs and dimensions are tested at once); ``significant`` is
  ``p_adjusted < .05``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from instruments.model import Instrument

from . import anonymity, teamtree
from ._validation import check_int
from .agreement import icc_scores, rwg_j_scales
from .alignment import alignment_estimate, alignment_index, profile_similarity
from .calibration import definition_index
from .calibration_report import CalibrationSummary, calibration_summary
from .correlation import pairwise_counts
from .factors import FactorSolutionWarning
from .gaps import meta_perception_gaps, perception_gaps, trend
from .invariance import comparability
from .multicomp import adjust_p
from .quality import careless
from .recommendations import PRACTICES, Recommendation
from .reliability import cronbach_alpha, omega_total, spearman_brown
from .scoring import keyed_items, score, scored_dimensions

__all__ = [
    "AgreementSection",
    "AlignmentSection",
    "DataQuality",
    "EarlierWave",
    "Headline",
    "Heatmap",
    "OrganizationReport",
    "Overview",
    "TeamReport",
    "TrendSection",
    "careless_respondents",
    "iter_tables",
    "organization_report",
    "published_groups",
    "team_report",
]

#: r_wg(j) below this: the team does not agree enough for its mean to stand for it.
CONSENSUS_CUTOFF = 0.70
#: Reliability below this is flagged (``alpha_low``, ``omega_low``).
RELIABILITY_CUTOFF = 0.70
#: Omega needs at least this many respondents per item (and three items).
OMEGA_RESPONDENTS_PER_ITEM = 10
#: Fewest complete answers per item in each of sales and marketing for the comparability
#: table (:func:`analysis.comparability`'s ``per_item``); a dimension below it is not tested.
COMPARABILITY_PER_ITEM = 5
#: Bootstrap replicates for the interval of the sales-marketing alignment index
#: (:func:`analysis.alignment_estimate`).
BOOTSTRAP_REPLICATES = 1000
#: Columns of :attr:`TrendSection.definition`.
_DEFINITION_TREND = ["wave", "index", "ci_low", "ci_high", "n_sales", "n_marketing"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Overview:
    """Who answered, and how reliable the scales are."""

    threshold: int
    n_invited: float
    #: Submitted and analysed responses of the organisation; None when it is below the threshold.
    n_submitted: int | None
    n_analysed: int | None
    #: ``n_submitted / n_invited`` (NaN without invitation counts or below the threshold).
    response_rate: float
    #: One row per team (index = team key): ``name, function, parent, invited, submitted,
    #: response_rate, n, reason``; suppressed teams have blank numbers and a ``reason`` code
    #: (:meth:`analysis.Suppression.reason`), shown teams None.
    teams: pd.DataFrame
    #: One row per dimension: ``instrument, n_items, alpha, alpha_ci_low, alpha_ci_high,
    #: omega, alpha_low, omega_low``; omega is NaN where it cannot be computed (fewer than
    #: three items or :data:`OMEGA_RESPONDENTS_PER_ITEM` complete answers per item), and
    #: ``*_low`` is True where the statistic is below :data:`RELIABILITY_CUTOFF`. Under a
    #: planned-missing form also ``n_answered`` (items each respondent answered) and
    #: ``alpha_answered``, the Spearman-Brown reliability of those shorter scores, and
    #: ``reason`` (``"too_few_answers"`` where alpha cannot be estimated, else None).
    reliability: pd.DataFrame


@dataclass(frozen=True)
class Headline:
    """Sales and marketing pooled by function, on the perception dimensions."""

    #: Bias-corrected alignment index (0-100) of sales vs marketing and its 95 % interval
    #: (:func:`analysis.alignment_estimate`; the interval always contains the index).
    alignment: float
    ci_low: float
    ci_high: float
    #: Mean of the two functions' means over the dimensions (how good both think things are).
    level: float
    n_sales: int
    n_marketing: int


@dataclass(frozen=True)
class AlignmentSection:
    """Alignment index per pair of groups and the sales-marketing headline."""

    #: One row per pair: ``team_a, team_b, name_a, name_b, alignment, n_dimensions,
    #: level, mean_abs_g, quadrant``.
    pairs: pd.DataFrame
    #: ``None`` when sales or marketing has no shown members.
    headline: Headline | None
    #: Scale midpoint used to split the quadrant chart's level axis.
    level_midpoint: float


@dataclass(frozen=True)
class Heatmap:
    """Mean keyed answer per shown group and item, and the organisation's item means."""

    #: Index = team key, columns = item ids.
    means: pd.DataFrame
    organization: pd.Series
    #: Item id -> dimension id.
    item_dimension: pd.Series
    #: Team key -> name.
    names: pd.Series


@dataclass(frozen=True)
class AgreementSection:
    """Within-team agreement and the share of variance between teams."""

    #: ``team, name, dimension, rwg_j, n, consensus`` for shown groups.
    rwg_j: pd.DataFrame
    #: One row per dimension: ``icc1, icc2, n_teams, n``.
    icc: pd.DataFrame


@dataclass(frozen=True)
class DataQuality:
    """Careless respondents found and excluded (counts only)."""

    #: Counts of the organisation; None (and no flags) when it is below the threshold.
    n_submitted: int | None
    n_careless: int | None
    n_analysed: int | None
    #: Flag -> number of respondents it flagged (a respondent can have several flags).
    flags: Mapping[str, int]


@dataclass(frozen=True)
class TrendSection:
    """The organisation's dimensions and sales-marketing alignment over its waves."""

    #: ``wave, dimension, n, mean, ci_low, ci_high`` (waves in order, this wave last).
    dimensions: pd.DataFrame
    #: ``wave, alignment, ci_low, ci_high, n_sales, n_marketing``.
    alignment: pd.DataFrame
    #: Latest change per dimension (this wave vs the previous one): ``dimension, change,
    #: ci_low, ci_high, g, p, significant``; plus a row ``dimension = "alignment"``.
    latest_change: pd.DataFrame
    #: The sales-marketing lead-definition index (:func:`analysis.definition_index`, 0-100) of
    #: each wave that asks the lead calibration and shows it: ``wave, index, ci_low, ci_high,
    #: n_sales, n_marketing``; the same respondents and threshold as the report's calibration.
    definition: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_DEFINITION_TREND))

    def __setstate__(self, state: dict) -> None:
        """Unpickling: a release stored before :attr:`definition` existed reads it as empty."""
        self.__dict__.update({"definition": pd.DataFrame(columns=_DEFINITION_TREND), **state})


@dataclass(frozen=True)
class OrganizationReport:
    """Everything an organisation report shows, after suppression."""

    wave: str
    threshold: int
    comment_threshold: int
    #: One row per dimension (index = id): ``instrument, name, kind`` ("perception",
    #: "mindset" or "calibration", the vignettes of the lead calibration), ``scale_min, scale_max``.
    dimensions: pd.DataFrame
    suppression: anonymity.Suppression
    overview: Overview
    #: Long table of shown groups' scores: ``team, name, function, dimension, n, mean, sd,
    #: ci_low, ci_high, rwg_j, consensus`` (``consensus`` False when r_wg(j) < .70).
    #: The organisation is the row with ``team = suppression.root``.
    means: pd.DataFrame
    #: :func:`analysis.perception_gaps` for pairs of shown groups with ``name_a, name_b,
    #: p_adjusted, significant``.
    gaps: pd.DataFrame
    alignment: AlignmentSection
    #: :func:`analysis.meta_perception_gaps` on shown members, with ``p_adjusted`` and
    #: ``significant``.
    meta_perception: pd.DataFrame
    #: Shown groups x mindset dimensions (team means).
    profiles: pd.DataFrame
    #: :func:`analysis.profile_similarity` on the mindset dimensions for pairs of shown groups.
    profile_similarity: pd.DataFrame
    heatmap: Heatmap
    agreement: AgreementSection
    quality: DataQuality
    trend: TrendSection
    recommendations: tuple[Recommendation, ...]
    #: Comments labelled by :func:`analysis.anonymity.comment_visibility` (empty if none given).
    comments: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: What each team counts as a qualified lead: :func:`analysis.calibration_summary` of the
    #: wave's instrument with vignettes, on the sales and marketing members pooled from
    #: shown teams (the respondents of the ``function:`` groups of :func:`published_groups`);
    #: None when the wave has no such instrument.
    calibration: CalibrationSummary | None = None
    #: Whether sales and marketing read each dimension's items alike, so that their gap is a
    #: gap in the thing measured: :func:`analysis.comparability` by function on the sales and
    #: marketing members pooled from shown teams (the ``function:`` groups of
    #: :func:`published_groups`), at least :data:`COMPARABILITY_PER_ITEM` complete answers per
    #: item in each. Index: dimension id; columns ``instrument, status, items, reason, n_items,
    #: n_min, metric_pvalue, scalar_pvalue, scalar_cfi_diff``. Every dimension is ``"not
    #: tested"`` (``too_few_respondents``, no numbers) when either function has fewer than
    #: ``threshold`` members; empty when the wave has no sales or no marketing members shown.
    comparability: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class TeamReport:
    """One team's view: its profile against the organisation, gaps, agreement, trend."""

    team: Hashable
    name: str
    #: False when the team is suppressed: then ``reason`` says why and every table is empty.
    shown: bool
    #: :data:`analysis.anonymity.BELOW_THRESHOLD` or ``COMPLEMENTARY`` when not shown, else None.
    reason: str | None
    #: ``dimension, team_mean, team_ci_low, team_ci_high, organization_mean, difference,
    #: rwg_j, consensus``.
    profile: pd.DataFrame
    #: Gaps to every other shown group, oriented so that ``team_a`` is this team.
    gaps: pd.DataFrame
    #: Alignment index with every other shown group.
    alignment: pd.DataFrame
    #: ``wave, dimension, n, mean, ci_low, ci_high`` over the waves in which the team is shown.
    trend: pd.DataFrame


@dataclass(frozen=True)
class EarlierWave:
    """An earlier wave for the trend: its responses, and its own team tree and threshold.

    A trend point must show exactly what that wave's own report showed: its groups, cut
    with its tree and threshold, never this wave's (a lower threshold or a team moved since
    must not reach back). ``teams`` and ``threshold`` default to those of the current wave.
    """

    label: str
    #: One row per submitted response, in the shape of ``organization_report``'s ``responses``.
    responses: pd.DataFrame
    #: The wave's team tree (same shape as ``teams``); None: the current wave's.
    teams: pd.DataFrame | None = None
    #: The wave's anonymity threshold; None: the current wave's.
    threshold: int | None = None
    #: Items per dimension each respondent answered under a planned-missing form; None: full.
    form_items: int | None = None


# --------------------------------------------------------------------------- inputs


def _check_teams(teams) -> pd.DataFrame:
    if not isinstance(teams, pd.DataFrame):
        raise ValueError(f"teams must be a DataFrame indexed by team key; got {type(teams).__name__}")
    missing = [c for c in ("name", "function", "parent") if c not in teams.columns]
    if missing:
        raise ValueError(f"teams must have the columns name, function and parent; missing: {missing}")
    if not teams.index.is_unique:
        raise ValueError("teams must have one row per team key (its index has duplicates)")
    parents = teams["parent"].dropna()
    unknown = sorted({str(p) for p in parents if p not in teams.index})
    if unknown:
        raise ValueError(f"teams['parent'] names teams that are not in teams: {', '.join(unknown[:5])}")
    return teams


def _check_instruments(instruments) -> tuple[Instrument, ...]:
    if isinstance(instruments, Instrument):
        instruments = (instruments,)
    elif isinstance(instruments, Mapping):
        instruments = tuple(instruments.values())
    instruments = tuple(instruments)
    if not instruments or not all(isinstance(i, Instrument) for i in instruments):
        raise ValueError("instruments must be one Instrument or a non-empty sequence of Instruments")
    seen: dict[str, str] = {}
    for instrument in instruments:
        for dimension_id in scored_dimensions(instrument):
            if dimension_id in seen:
                raise ValueError(
                    f"instruments: dimension {dimension_id!r} is in both {seen[dimension_id]} "
                    f"and {instrument.key}"
                )
            seen[dimension_id] = instrument.key
    return instruments


def _check_responses(responses, teams: pd.DataFrame, name: str = "responses") -> pd.DataFrame:
    if not isinstance(responses, pd.DataFrame):
        raise ValueError(
            f"{name} must be a DataFrame (one row per submitted response); got {type(responses).__name__}"
        )
    if "team" not in responses.columns:
        raise ValueError(f"{name} must have a 'team' column with the team key of each response")
    if responses["team"].isna().any():
        raise ValueError(f"{name} has responses without a team; give them a team key or drop them")
    unknown = sorted({str(t) for t in pd.unique(responses["team"]) if t not in teams.index})
    if unknown:
        raise ValueError(f"{name} has team keys that are not in teams: {', '.join(unknown[:5])}")
    return responses


def _earlier_waves(history, teams: pd.DataFrame, threshold: int) -> list[EarlierWave]:
    """``history`` as checked :class:`EarlierWave` objects (``(label, responses)`` pairs allowed)."""
    checked = []
    for position, entry in enumerate(history):
        if isinstance(entry, EarlierWave):
            earlier = entry
        elif isinstance(entry, tuple | list) and len(entry) == 2:
            earlier = EarlierWave(str(entry[0]), entry[1])
        else:
            raise ValueError(
                f"history[{position}] must be an EarlierWave or a (label, responses) pair; got {entry!r}"
            )
        label = str(earlier.label)
        own_teams = teams if earlier.teams is None else _check_teams(earlier.teams)
        own_threshold = (
            threshold
            if earlier.threshold is None
            else check_int(earlier.threshold, f"history[{label!r}].threshold", minimum=1)
        )
        frame = _check_responses(earlier.responses, own_teams, f"history[{label!r}]").reset_index(drop=True)
        form_items = (
            None
            if earlier.form_items is None
            else check_int(earlier.form_items, f"history[{label!r}].form_items", minimum=1)
        )
        checked.append(EarlierWave(label, frame, own_teams, own_threshold, form_items))
    return checked


def _is_perception(instrument: Instrument) -> bool:
    return any(item.target is not None for item in instrument.items)


def _kind(instrument: Instrument) -> str:
    """``"calibration"`` (judgements of fixed vignettes), ``"perception"`` or ``"mindset"``."""
    if instrument.vignettes:
        return "calibration"
    return "perception" if _is_perception(instrument) else "mindset"


# --------------------------------------------------------------------------- one wave


@dataclass
class _Wave:
    """One wave after careless exclusion and suppression (internal)."""

    analysed: pd.DataFrame
    scores: pd.DataFrame
    suppression: anonymity.Suppression
    n_submitted: int
    submitted: pd.Series
    flags: dict


def _careless_flags(responses: pd.DataFrame, instruments, form_items=None) -> pd.DataFrame | None:
    """careless() on the raw answers to the items everyone is shown, in instrument order.

    Under a planned-missing form each row's answers are closed up (the items a respondent
    was not shown no longer break a run) and the longstring cut-off is half of the most
    items anyone answered; nobody answers every item, so Mahalanobis D² is not computed.
    """
    blocks = []
    for instrument in instruments:
        raw = keyed_items(responses, instrument, reverse=False)
        everyone = [item.id for item in instrument.items if not item.audience and item.id in raw.columns]
        blocks.append(raw[everyone])
    raw = pd.concat(blocks, axis=1) if blocks else pd.DataFrame(index=responses.index)
    raw = raw.loc[:, raw.notna().any().to_numpy()]
    if raw.shape[1] < 2 or len(raw) < 2:
        return None
    if form_items is None:
        return careless(raw)
    values = raw.to_numpy(dtype=float)
    order = np.argsort(np.isnan(values), axis=1, kind="stable")
    closed = np.take_along_axis(values, order, axis=1)
    width = int((~np.isnan(values)).sum(axis=1).max())
    if width < 2:
        return None
    closed = pd.DataFrame(closed[:, :width], index=raw.index)
    return careless(closed, longstring_min=max(2, -(-width // 2)))


def careless_respondents(responses: pd.DataFrame, instruments, *, form_items: int | None = None) -> pd.Index:
    """Index labels of the responses :func:`organization_report` leaves out as careless.

    :func:`analysis.careless` on the raw answers to the items every respondent is shown,
    the rule the report applies before any statistic (it publishes only their count).
    ``form_items`` is that of :func:`organization_report`.
    """
    instruments = _check_instruments(instruments)
    if not isinstance(responses, pd.DataFrame):
        raise ValueError(f"responses must be a DataFrame; got {type(responses).__name__}")
    flags = _careless_flags(responses, instruments, _check_form_items(form_items))
    if flags is None:
        return responses.index[:0]
    return responses.index[flags["careless"].to_numpy()]


def _check_form_items(form_items) -> int | None:
    return None if form_items is None else check_int(form_items, "form_items", minimum=1)


def _prepare(responses, teams, instruments, threshold, form_items=None) -> _Wave:
    flags = _careless_flags(responses, instruments, form_items)
    counts = {"longstring": 0, "irv": 0, "mahalanobis": 0}
    keep = np.ones(len(responses), dtype=bool)
    if flags is not None:
        keep = ~flags["careless"].to_numpy()
        counts = {name: int(flags[f"flag_{name}"].sum()) for name in counts}
    analysed = responses.loc[keep]
    scores = pd.concat(
        [score(analysed, instrument, answered=form_items) for instrument in instruments], axis=1
    )
    sizes = analysed["team"].value_counts().reindex(teams.index, fill_value=0)
    result = anonymity.suppression(sizes, threshold, teams["parent"])
    submitted = responses["team"].value_counts().reindex(teams.index, fill_value=0)
    return _Wave(analysed, scores, result, len(responses), submitted, counts)


def _chains(teams: pd.DataFrame, root) -> dict:
    """Team key -> [team, parent, grandparent, ...] (without the organisation): :func:`teamtree.chains`."""
    return teamtree.chains(teamtree.parent_map(teams["parent"], root=root, groups=teams.index), root)


def _take(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    taken = frame.iloc[positions]
    taken.index = pd.RangeIndex(len(taken))
    return taken


def _t_interval(n: np.ndarray, mean: np.ndarray, sd: np.ndarray, level: float = 0.95):
    """Student-t interval of a mean, NaN for fewer than two values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.asarray(n, dtype=float)
        quantile = np.where(n > 1, special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2), np.nan)
        margin = quantile * sd / np.sqrt(n)
    return mean - margin, mean + margin


def _describe(scores: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Long table ``team, dimension, n, mean, sd, ci_low, ci_high`` per label."""
    grouped = scores.groupby(labels, sort=False)
    n, mean, sd = grouped.count(), grouped.mean(), grouped.std(ddof=1)
    table = pd.DataFrame(
        {
            "team": np.repeat(n.index.to_numpy(), n.shape[1]),
            "dimension": np.tile(np.asarray(n.columns, dtype=object), n.shape[0]),
            "n": n.to_numpy().ravel().astype(np.int64),
            "mean": mean.to_numpy().ravel(),
            "sd": sd.to_numpy().ravel(),
        }
    )
    table["ci_low"], table["ci_high"] = _t_interval(table["n"], table["mean"], table["sd"])
    return table


def _reliability(keyed_all: pd.DataFrame, instruments, form_items=None) -> pd.DataFrame:
    """Alpha and omega per dimension; under a planned-missing form (``form_items``) alpha of the
    whole scale from the pairwise covariances and the Spearman-Brown reliability of the
    ``min(form_items, n_items)``-item scores each respondent has (:func:`spearman_brown`)."""
    rows = []
    for instrument in instruments:
        for dimension_id, items in scored_dimensions(instrument).items():
            keyed = keyed_all[[item.id for item in items]]
            row = {"dimension": dimension_id, "instrument": instrument.key, "n_items": len(items)}
            row.update(alpha=np.nan, alpha_ci_low=np.nan, alpha_ci_high=np.nan, omega=np.nan)
            if form_items is not None:
                row.update(n_answered=min(form_items, len(items)), alpha_answered=np.nan, reason=None)
            try:
                result = cronbach_alpha(keyed, missing="pairwise")
                row.update(alpha=result.alpha, alpha_ci_low=result.ci_low, alpha_ci_high=result.ci_high)
            except ValueError:
                if form_items is not None:
                    row["reason"] = "too_few_answers"
            if form_items is not None and 0 <= row["alpha"] < 1:
                row["alpha_answered"] = spearman_brown(row["alpha"], row["n_answered"] / len(items))
            if _omega_possible(keyed, form_items):
                try:
                    with warnings.catch_warnings():
                        if form_items is not None:
                            # A pairwise matrix of a planned-missing design is often not quite
                            # positive definite; the fit smooths it, as psych does.
                            warnings.simplefilter("ignore", FactorSolutionWarning)
                        value = omega_total(keyed, missing="pairwise")
                except ValueError:
                    value = float("nan")
                if np.isfinite(value):
                    row["omega"] = value
            # A missing statistic is not low: the presenter says "not computable" for it.
            row["alpha_low"] = bool(row["alpha"] < RELIABILITY_CUTOFF)
            row["omega_low"] = bool(row["omega"] < RELIABILITY_CUTOFF)
            rows.append(row)
    return pd.DataFrame(rows).set_index("dimension")


def _omega_possible(keyed: pd.DataFrame, form_items) -> bool:
    """Three items and enough answers: complete rows per item (full form), or under a
    planned-missing form (where no row is complete) joint answers for every pair of items."""
    n_items = keyed.shape[1]
    if n_items < 3:
        return False
    if form_items is None:
        return keyed.notna().all(axis=1).sum() >= OMEGA_RESPONDENTS_PER_ITEM * n_items
    return int(pairwise_counts(keyed).to_numpy().min()) >= OMEGA_RESPONDENTS_PER_ITEM


def _keyed(rows: pd.DataFrame, instruments) -> pd.DataFrame:
    """Keyed answers to every ordinal item of the instruments (one call per instrument)."""
    if rows.empty:
        # keyed_items cannot check the scale of an empty column (numpy's fmin has no identity).
        columns = [item.id for i in instruments for item in i.items if i.scale_of(item).numeric]
        return pd.DataFrame(index=rows.index, columns=columns, dtype=float)
    return pd.concat([keyed_items(rows, instrument) for instrument in instruments], axis=1)


def _rwg_table(instruments, labels: pd.Series, keyed: pd.DataFrame, form_items=None) -> pd.DataFrame:
    """r_wg(j) (listwise, :func:`analysis.agreement.rwg_j_scales`) of every group on every
    dimension whose items share one response scale, with ``consensus``. Under a
    planned-missing form: pairwise item variances and ``J`` = the items each member answered."""
    scales, options = {}, {}
    for instrument in instruments:
        for dimension_id, items in scored_dimensions(instrument).items():
            if len({instrument.scale_of(item).id for item in items}) != 1:
                continue  # r_wg(j) needs one null distribution
            scales[dimension_id] = [item.id for item in items]
            options[dimension_id] = len(instrument.scale_of(items[0]).values)
    if not scales or not len(labels):
        return pd.DataFrame(columns=["team", "dimension", "rwg_j", "n", "consensus"])
    if form_items is None:
        table = rwg_j_scales(keyed, labels, scales, options, missing="listwise")
    else:
        table = rwg_j_scales(keyed, labels, scales, options, missing="pairwise", answered=form_items)
    table = table.rename(columns={"scale": "dimension"})
    table["consensus"] = table["rwg_j"] >= CONSENSUS_CUTOFF
    return table


def _icc_table(scores: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """ICC(1) and ICC(2) per dimension (:func:`analysis.agreement.icc_scores`)."""
    if scores.empty:
        return pd.DataFrame(columns=["icc1", "icc2", "n_teams", "n"]).rename_axis("dimension")
    return icc_scores(scores, labels.to_numpy()).rename_axis("dimension")


def _sales_marketing(scores, functions, dimensions) -> pd.DataFrame:
    """perception_gaps of the sales pool vs the marketing pool on ``dimensions``."""
    present = set(functions)
    if not {"sales", "marketing"} <= present or not dimensions:
        return pd.DataFrame()
    return perception_gaps(scores[dimensions], functions, pairs=[("sales", "marketing")], min_n=2)


def _headline(scores, functions, teams, dimensions, rng, replicates):
    """The sales-marketing headline and its :class:`analysis.AlignmentEstimate` (kept for the trend).

    Each function pools its teams; the teams are strata (their answering numbers are what they
    are), so differences between the teams of one function are not sampling noise.
    """
    table = _sales_marketing(scores, functions, dimensions)
    if table.empty:
        return None, None
    # Only dimensions with an effect size and three answers on each side enter the index.
    usable = table.loc[table["g"].notna() & (table["n_a"] >= 3) & (table["n_b"] >= 3), "dimension"]
    if usable.empty:
        return None, None
    in_sales, in_marketing = (functions == "sales").to_numpy(), (functions == "marketing").to_numpy()
    sales, marketing = scores.loc[in_sales, list(usable)], scores.loc[in_marketing, list(usable)]
    team_labels = np.asarray(teams, dtype=object)
    try:
        estimate = alignment_estimate(
            sales, marketing, groups_a=team_labels[in_sales], groups_b=team_labels[in_marketing],
            replicates=replicates, seed=rng,
        )  # fmt: skip
    except ValueError:
        return None, None  # too little variation to resample: no headline rather than a wrong one
    headline = Headline(
        alignment=estimate.alignment,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        level=float(((table["mean_a"] + table["mean_b"]) / 2).mean()),
        n_sales=int(len(sales)),
        n_marketing=int(len(marketing)),
    )
    return headline, estimate


def _pooled(wave: _Wave, teams: pd.DataFrame):
    """Scores and function labels of the respondents in shown_members teams."""
    members = wave.analysed["team"].isin(list(wave.suppression.shown_members)).to_numpy()
    functions = wave.analysed.loc[members, "team"].map(teams["function"])
    return wave.scores.loc[members], functions, wave.analysed.loc[members]


def _quadrant(level: np.ndarray, alignment: np.ndarray, midpoint: float) -> np.ndarray:
    good = level >= midpoint
    close = alignment >= 80  # within half an SD on average
    return np.select(
        [good & close, good & ~close, ~good & close],
        ["aligned, positive", "apart, positive", "aligned, critical"],
        "apart, critical",
    )


def _recommendations(gap_table, organization_means, dimension_info, limit_gaps=3, limit_levels=2):
    """Up to ``limit_gaps`` significant sales-marketing gaps (largest first), then up to
    ``limit_levels`` of the lowest-rated remaining dimensions rated below the scale's midpoint.

    Codes and numbers only: the application words them (``survey/services/presenter.py``).
    """
    chosen: list[Recommendation] = []
    perception = [d for d in dimension_info.index if d in PRACTICES]

    def scale(dimension):
        info = dimension_info.loc[dimension]
        return float(info["scale_min"]), float(info["scale_max"])

    if not gap_table.empty:
        candidates = gap_table[gap_table["dimension"].isin(perception) & gap_table["significant"]]
        candidates = candidates.iloc[np.argsort(-candidates["g"].abs().to_numpy(), kind="stable")]
        for row in candidates.head(limit_gaps).itertuples(index=False):
            low, high = scale(row.dimension)
            gap = Recommendation(
                dimension=row.dimension, basis="gap", g=float(row.g), p_adjusted=float(row.p_adjusted),
                mean=float(organization_means.get(row.dimension, np.nan)), cause=PRACTICES[row.dimension],
                g_ci_low=float(row.g_ci_low), g_ci_high=float(row.g_ci_high),
                mean_sales=float(row.mean_a), mean_marketing=float(row.mean_b), scale_min=low, scale_max=high,
            )  # fmt: skip
            chosen.append(gap)
    taken = {r.dimension for r in chosen}
    levels = []
    for dimension in perception:
        mean = organization_means.get(dimension, np.nan)
        if dimension in taken or not np.isfinite(mean):
            continue
        low, high = scale(dimension)
        levels.append(((mean - low) / (high - low), dimension, mean))
    for relative, dimension, mean in sorted(levels)[:limit_levels]:
        if relative >= 0.5:  # only dimensions rated below the scale's midpoint
            break
        low, high = scale(dimension)
        level = Recommendation(
            dimension=dimension, basis="level", g=float("nan"), p_adjusted=float("nan"), mean=float(mean),
            cause=PRACTICES[dimension], scale_min=low, scale_max=high,
        )  # fmt: skip
        chosen.append(level)
    return tuple(chosen)


def _dimension_info(instruments, language: str) -> pd.DataFrame:
    rows = []
    for instrument in instruments:
        kind = _kind(instrument)
        for dimension_id, items in scored_dimensions(instrument).items():
            scale = instrument.scale_of(items[0])
            rows.append(
                {
                    "dimension": dimension_id,
                    "instrument": instrument.key,
                    "name": instrument.dimension(dimension_id).label(language),
                    "kind": kind,
                    "scale_min": scale.min,
                    "scale_max": scale.max,
                }
            )
    return pd.DataFrame(rows).set_index("dimension")


def _overview_teams(teams, wave: _Wave, invited) -> pd.DataFrame:
    result = wave.suppression
    # membership[g, t] = 1 when team t is g or nested under g: rolled-up sums in one product.
    membership = teamtree.membership(_chains(teams, result.root), teams.index)
    analysed = wave.analysed["team"].value_counts().reindex(teams.index, fill_value=0).to_numpy()
    submitted = membership @ wave.submitted.reindex(teams.index).to_numpy(dtype=float)
    invited_count = np.full(len(teams), np.nan)
    if invited is not None:
        invited_count = (
            membership @ pd.Series(invited, dtype=float).reindex(teams.index).fillna(0.0).to_numpy()
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(invited_count > 0, submitted / invited_count, np.nan)
    numbers = pd.DataFrame(
        {
            "invited": invited_count,
            "submitted": submitted.astype(np.int64),
            "response_rate": rate,
            "n": (membership @ analysed).astype(np.int64),
        },
        index=teams.index,
    )
    numbers = anonymity.suppress_rows(numbers, result, how="blank")
    parent = teams["parent"].astype(object).where(teams["parent"].notna(), None)
    return pd.concat([teams[["name", "function"]], parent.rename("parent"), numbers], axis=1)


def _group_means(wave: _Wave, expanded_scores, expanded_labels, rwg: pd.DataFrame, teams) -> pd.DataFrame:
    """The ``means`` table: the organisation's row block, then every shown group's, with r_wg(j)."""
    root = wave.suppression.root
    blocks = []
    if root in wave.suppression.shown:
        blocks.append(_describe(wave.scores, pd.Series(root, index=wave.scores.index)))
    if len(expanded_labels):
        blocks.append(_describe(expanded_scores, expanded_labels))
    means = (
        pd.concat(blocks, ignore_index=True)
        if blocks
        else _describe(wave.scores.iloc[:0], pd.Series([], index=wave.scores.index[:0], dtype=object))
    )
    means = means.merge(rwg[["team", "dimension", "rwg_j"]], on=["team", "dimension"], how="left")
    # The organisation is not a team that should agree: its mean is always shown as such.
    means["consensus"] = (means["rwg_j"] >= CONSENSUS_CUTOFF) | (means["team"] == root)
    means.insert(1, "name", means["team"].map(teams["name"].astype(str)).fillna("Organisation"))
    means.insert(2, "function", means["team"].map(teams["function"]).fillna(""))
    return means


def _alignment_pairs(gaps: pd.DataFrame, perception_dims: list, midpoint: float, names) -> pd.DataFrame:
    """Alignment index, level, mean |g| and quadrant of every pair on the perception dimensions."""
    columns = ["team_a", "team_b", "alignment", "n_dimensions", "level", "mean_abs_g", "quadrant"]
    rows = gaps[gaps["dimension"].isin(perception_dims)]
    if rows.empty:
        table = pd.DataFrame(columns=columns)
    else:
        table = alignment_index(rows)
        summary = (
            rows.assign(level=(rows["mean_a"] + rows["mean_b"]) / 2, mean_abs_g=rows["g"].abs())
            .groupby(["team_a", "team_b"], sort=False)[["level", "mean_abs_g"]]
            .mean()
        )
        table = table.join(summary, on=["team_a", "team_b"])
        table["quadrant"] = _quadrant(table["level"].to_numpy(), table["alignment"].to_numpy(), midpoint)
    table.insert(2, "name_a", table["team_a"].map(names))
    table.insert(3, "name_b", table["team_b"].map(names))
    return table


def organization_report(
    responses: pd.DataFrame,
    teams: pd.DataFrame,
    instruments,
    *,
    threshold: int,
    comment_threshold: int = 10,
    history: Sequence[EarlierWave | tuple[str, pd.DataFrame]] = (),
    invited=None,
    comments: pd.DataFrame | None = None,
    wave: str = "this wave",
    language: str = "en",
    seed: int = 0,
    invariance: bool = True,
    form_items: int | None = None,
) -> OrganizationReport:
    """Compute every section of an organisation's report for one wave.

    Parameters
    ----------
    responses : DataFrame
        One row per submitted response: a ``team`` column (team key, every key in
        ``teams``) and one column per item id of the instruments (NaN = missing).
    teams : DataFrame
        Indexed by team key, columns ``name``, ``function`` ("sales", "marketing" or
        anything else) and ``parent`` (parent team key, or missing for a top-level team).
    instruments : Instrument or sequence of Instrument
        The wave's instruments. One with perception items (``target``) gives the
        perception dimensions (alignment, quadrant, meta-perception, recommendations);
        one with vignettes is the lead calibration (its own section, neither perception
        nor mindset); the others are mindset instruments (profiles and profile similarity).
    threshold : int
        The wave's anonymity threshold (smallest group shown, at least 1).
    comment_threshold : int
        Smallest pool a comment may be labelled with (default 10; at least ``threshold``).
    history : sequence of EarlierWave or (label, DataFrame)
        Earlier waves, oldest first, for the trend section: each with its responses (in the
        shape of ``responses``) and, as :class:`EarlierWave`, its own team tree and
        threshold, so that a trend point shows only what that wave's report showed.
    invited : Series or Mapping, optional
        Invitations per team key (own members), for response rates.
    comments : DataFrame, optional
        Free-text answers with columns ``text`` and ``team``.
    wave : str
        Label of this wave in the trend tables.
    language : str
        Language of dimension names.
    seed : int
        Seed of the bootstrap intervals of the alignment index (the report is reproducible).
    invariance : bool
        Compute the comparability table of sales and marketing (measurement invariance, some
        seconds on a large wave). False leaves it empty and the gap recommendations without a
        status, for a caller that holds it already (a stored release worded in another language).
    form_items : int, optional
        The wave used a planned-missing form: each respondent answered this many randomly
        chosen items of each dimension (at most all of them). Scores keep the dimension's
        share of valid answers (:func:`analysis.scoring.design_min_valid`); team means and
        gaps need nothing else (the missing answers are missing completely at random by
        design). Reliability adds the Spearman-Brown value for the items answered, r_wg(j)
        uses pairwise item variances with ``J = form_items``, and careless responding is
        judged on each respondent's answered items. None (default): the full form.

    Returns
    -------
    OrganizationReport

    Raises
    ------
    ValueError
        For malformed inputs (naming the argument), e.g. a team key in ``responses`` that
        is not in ``teams``, or an answer that is not on its item's scale.
    """
    teams = _check_teams(teams)
    instruments = _check_instruments(instruments)
    threshold = check_int(threshold, "threshold", minimum=1)
    comment_threshold = check_int(comment_threshold, "comment_threshold", minimum=threshold)
    responses = _check_responses(responses, teams).reset_index(drop=True)
    history = _earlier_waves(history, teams, threshold)
    labels = [earlier.label for earlier in history] + [str(wave)]
    if len(set(labels)) != len(labels):
        raise ValueError(f"history labels and wave must all differ; got {labels}")
    rng = np.random.default_rng(seed)
    data = _inputs(responses, teams, instruments, threshold, language, _check_form_items(form_items))
    means, rwg = _means_section(data)
    gaps = _gaps_section(data)
    alignment, headline_replicates = _alignment_section(data, gaps, rng)
    if not isinstance(invariance, bool):
        raise ValueError(f"invariance must be True or False; got {invariance!r}")
    readings = _comparability_section(data) if invariance else _no_comparability()
    calibration = _calibration_section(data)
    trend_section = _trend(
        history, wave, data.wave, alignment.headline, headline_replicates, teams, instruments, threshold,
        data.info, rng, calibration,
    )  # fmt: skip
    return OrganizationReport(
        wave=wave,
        threshold=threshold,
        comment_threshold=comment_threshold,
        dimensions=data.info,
        suppression=data.result,
        overview=_overview_section(data, invited),
        means=means,
        gaps=gaps,
        alignment=alignment,
        meta_perception=_meta_perception_section(data),
        profiles=_profiles_section(data, means),
        profile_similarity=_profile_similarity_section(data, gaps),
        heatmap=_heatmap_section(data),
        agreement=_agreement_section(data, rwg),
        quality=_quality_section(data),
        trend=trend_section,
        recommendations=_recommendations_section(data, means, readings),
        comments=_comments_section(data, comments, responses, comment_threshold),
        calibration=calibration,
        comparability=readings,
    )


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class _Inputs:
    """What every section of one wave's report reads (internal)."""

    wave: _Wave
    teams: pd.DataFrame
    instruments: tuple
    threshold: int
    #: Items per dimension answered under a planned-missing form (None: the full form).
    form_items: int | None
    #: :func:`_dimension_info`, and its perception and mindset dimension ids.
    info: pd.DataFrame
    perception_dims: list
    mindset_dims: list
    #: The lead calibration's vignette dimensions: neither perception nor mindset, in no
    #: means, gaps or statement table (their own section and trend line).
    calibration_dims: list
    #: Shown teams in the order of ``teams``; team -> its chain up the tree; team -> name.
    shown_teams: list
    chains: dict
    names: pd.Series
    #: Respondents repeated once per shown group they are in, with that group's key.
    expanded_labels: pd.Series
    expanded_scores: pd.DataFrame
    expanded_keyed: pd.DataFrame
    #: Keyed answers of the analysed respondents.
    keyed: pd.DataFrame
    #: Scores, functions and rows of the members of ``shown_members`` teams (pooled statistics).
    pooled_scores: pd.DataFrame
    pooled_functions: pd.Series
    pooled_rows: pd.DataFrame

    @property
    def result(self) -> anonymity.Suppression:
        return self.wave.suppression

    @property
    def root(self):
        return self.wave.suppression.root

    @property
    def organization_shown(self) -> bool:
        return self.root in self.result.shown


def _inputs(responses, teams, instruments, threshold, language, form_items=None) -> _Inputs:
    """Careless exclusion, suppression and the expansion into shown groups, done once for all sections."""
    info = _dimension_info(instruments, language)
    current = _prepare(responses, teams, instruments, threshold, form_items)
    result = current.suppression
    chains = _chains(teams, result.root)
    positions, expanded_labels = teamtree.expand(current.analysed["team"], chains, result.shown)
    expanded_rows = _take(current.analysed, positions)
    pooled_scores, pooled_functions, pooled_rows = _pooled(current, teams)
    return _Inputs(
        wave=current,
        teams=teams,
        instruments=instruments,
        threshold=threshold,
        form_items=form_items,
        info=info,
        perception_dims=[d for d in info.index if info.at[d, "kind"] == "perception"],
        mindset_dims=[d for d in info.index if info.at[d, "kind"] == "mindset"],
        calibration_dims=[d for d in info.index if info.at[d, "kind"] == "calibration"],
        shown_teams=[t for t in teams.index if t in result.shown],
        chains=chains,
        names=teams["name"].astype(str),
        expanded_labels=expanded_labels,
        expanded_scores=_take(current.scores, positions),
        expanded_keyed=_keyed(expanded_rows, instruments),
        keyed=_keyed(current.analysed, instruments),
        pooled_scores=pooled_scores,
        pooled_functions=pooled_functions,
        pooled_rows=pooled_rows,
    )


def _means_section(data: _Inputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every shown group's dimension scores with r_wg(j) (``means``), and the r_wg(j) table."""
    rwg = _rwg_table(data.instruments, data.expanded_labels, data.expanded_keyed, data.form_items)
    means = _group_means(data.wave, data.expanded_scores, data.expanded_labels, rwg, data.teams)
    means = means[~means["dimension"].isin(data.calibration_dims)].reset_index(drop=True)
    return means, rwg


def _gaps_section(data: _Inputs) -> pd.DataFrame:
    """Gaps between shown groups that do not contain one another, BH-adjusted over the table."""
    shown, chains = data.shown_teams, data.chains
    pairs = [
        (a, b)
        for i, a in enumerate(shown)
        for b in shown[i + 1 :]
        if a not in chains[b] and b not in chains[a]
    ]
    gap_columns = ["team_a", "team_b", "dimension", "n_a", "n_b", "mean_a", "mean_b", "difference", "d", "g",
                   "g_ci_low", "g_ci_high", "t", "df", "p"]  # fmt: skip
    gaps = pd.DataFrame(columns=gap_columns)
    if pairs:
        scores = data.expanded_scores.drop(columns=data.calibration_dims, errors="ignore")
        gaps = perception_gaps(scores, data.expanded_labels, pairs=pairs, min_n=data.threshold)
    _adjust(gaps)
    gaps.insert(2, "name_a", gaps["team_a"].map(data.names))
    gaps.insert(3, "name_b", gaps["team_b"].map(data.names))
    return gaps


def _adjust(table: pd.DataFrame) -> None:
    """Add ``p_adjusted`` (Benjamini-Hochberg over the table) and ``significant`` (< .05)."""
    table["p_adjusted"] = adjust_p(table["p"].to_numpy(dtype=float), "fdr_bh")
    table["significant"] = table["p_adjusted"] < 0.05


def _alignment_section(data: _Inputs, gaps: pd.DataFrame, rng) -> tuple[AlignmentSection, np.ndarray | None]:
    """Alignment and quadrant per pair, and the sales-marketing headline (with its replicates)."""
    info = data.info
    midpoints = [(info.at[d, "scale_min"] + info.at[d, "scale_max"]) / 2 for d in data.perception_dims]
    midpoint = float(np.mean(midpoints)) if midpoints else float("nan")
    pair_table = _alignment_pairs(gaps, data.perception_dims, midpoint, data.names)
    headline, replicates = _headline(
        data.pooled_scores, data.pooled_functions, data.pooled_rows["team"], data.perception_dims, rng,
        BOOTSTRAP_REPLICATES,
    )  # fmt: skip
    return AlignmentSection(pairs=pair_table, headline=headline, level_midpoint=midpoint), replicates


def _meta_perception_section(data: _Inputs) -> pd.DataFrame:
    """Meta-perception gaps of sales and marketing, pooled from shown members only."""
    meta = pd.DataFrame()
    perception_instruments = [i for i in data.instruments if _is_perception(i)]
    rows = data.pooled_rows
    if perception_instruments and len(rows):
        functions = data.teams["function"].to_dict()
        meta = meta_perception_gaps(rows, rows["team"], perception_instruments[0], functions)
        if not meta.empty:
            _adjust(meta)
    return meta


def _profiles_section(data: _Inputs, means: pd.DataFrame) -> pd.DataFrame:
    """Shown groups x mindset dimensions (team means)."""
    shown_means = means[means["team"] != data.root]
    return (
        shown_means[shown_means["dimension"].isin(data.mindset_dims)]
        .pivot(index="team", columns="dimension", values="mean")
        .reindex(index=data.shown_teams, columns=data.mindset_dims)
    )


def _profile_similarity_section(data: _Inputs, gaps: pd.DataFrame) -> pd.DataFrame:
    """Profile similarity of pairs of shown groups on the mindset dimensions."""
    similarity = pd.DataFrame(columns=["team_a", "team_b", "correlation", "distance", "n_dimensions"])
    mindset_gap_rows = gaps[gaps["dimension"].isin(data.mindset_dims)]
    if not mindset_gap_rows.empty:
        similarity = profile_similarity(mindset_gap_rows)
    similarity.insert(2, "name_a", similarity["team_a"].map(data.names))
    similarity.insert(3, "name_b", similarity["team_b"].map(data.names))
    return similarity


def _heatmap_section(data: _Inputs) -> Heatmap:
    return _heatmap(
        data.wave, data.instruments, data.keyed, data.expanded_keyed, data.expanded_labels, data.shown_teams,
        data.names,
    )  # fmt: skip


def _agreement_section(data: _Inputs, rwg: pd.DataFrame) -> AgreementSection:
    """r_wg(j) of shown groups; ICC on the members of groups that may be computed on their own."""
    analysed = data.wave.analysed
    members = analysed["team"].isin(list(data.result.shown_members)).to_numpy()
    icc_table = _icc_table(data.wave.scores.loc[members], analysed.loc[members, "team"])
    columns = ["team", "name", "dimension", "rwg_j", "n", "consensus"]
    rwg_shown = rwg.assign(name=rwg["team"].map(data.names))[columns]
    return AgreementSection(rwg_j=rwg_shown, icc=icc_table)


def _recommendations_section(
    data: _Inputs, means: pd.DataFrame, readings: pd.DataFrame
) -> tuple[Recommendation, ...]:
    """Recommendations from the sales-marketing gaps (BH-adjusted) and the organisation's levels.

    A gap recommendation carries its dimension's comparability status (``readings``), so that
    a gap on a dimension the two functions read differently is never presented as a plain one.
    """
    sales_marketing = _sales_marketing(data.pooled_scores, data.pooled_functions, data.perception_dims)
    if not sales_marketing.empty:
        _adjust(sales_marketing)
    organization_means = means[means["team"] == data.root].set_index("dimension")["mean"]
    chosen = _recommendations(sales_marketing, organization_means, data.info)
    if readings.empty:
        return chosen
    status = readings["status"].to_dict()
    return tuple(
        dataclasses.replace(r, comparability=status.get(r.dimension, "")) if r.basis == "gap" else r
        for r in chosen
    )


def _overview_section(data: _Inputs, invited) -> Overview:
    """Who answered and the reliability of the scales; the organisation's counts blank below the threshold."""
    shown = data.organization_shown
    n_invited = float(pd.Series(invited, dtype=float).sum()) if invited is not None else float("nan")
    n_submitted, n_analysed = data.wave.n_submitted, len(data.wave.analysed)
    return Overview(
        threshold=data.threshold,
        n_invited=n_invited,
        # The organisation's own counts are results too: blank when it is below the threshold.
        n_submitted=n_submitted if shown else None,
        n_analysed=n_analysed if shown else None,
        response_rate=n_submitted / n_invited if shown and n_invited > 0 else float("nan"),
        teams=_overview_teams(data.teams, data.wave, invited),
        reliability=_reliability(data.keyed, data.instruments, data.form_items) if shown else pd.DataFrame(),
    )


def _quality_section(data: _Inputs) -> DataQuality:
    """Careless respondents found and excluded (counts only, blank below the threshold)."""
    shown = data.organization_shown
    n_submitted, n_analysed = data.wave.n_submitted, len(data.wave.analysed)
    return DataQuality(
        n_submitted=n_submitted if shown else None,
        n_careless=n_submitted - n_analysed if shown else None,
        n_analysed=n_analysed if shown else None,
        flags=data.wave.flags if shown else {},
    )


def _comments_section(data: _Inputs, comments, responses, comment_threshold: int) -> pd.DataFrame:
    """Comments labelled with pools of at least ``comment_threshold`` (never a suppressed team)."""
    if comments is None:
        return pd.DataFrame(columns=["text", "team", "pool"])
    return anonymity.comment_visibility(
        comments,
        responses,
        threshold=comment_threshold,
        parents=data.teams["parent"].to_dict(),
        root=data.root,
        suppressed=data.result.suppressed,
    )


def _calibration_section(data: _Inputs) -> CalibrationSummary | None:
    """Lead calibration of sales and marketing, pooled from the members of shown teams only.

    The same respondents as the headline and meta-perception (``function:sales`` and
    ``function:marketing`` of :func:`published_groups`), so the section publishes no new group;
    nothing is computed when either function has fewer than ``threshold`` judges.
    """
    calibrated = [instrument for instrument in data.instruments if instrument.vignettes]
    if not calibrated:
        return None
    rows, functions = data.pooled_rows, data.pooled_functions
    return calibration_summary(rows, functions, calibrated[0], threshold=data.threshold)


_COMPARABILITY_COLUMNS = ["instrument", "status", "items", "reason", "n_items", "n_min", "metric_pvalue",
                          "scalar_pvalue", "scalar_cfi_diff"]  # fmt: skip


def _no_comparability() -> pd.DataFrame:
    return pd.DataFrame(columns=_COMPARABILITY_COLUMNS).rename_axis("dimension")


def _comparability_section(data: _Inputs) -> pd.DataFrame:
    """Comparability of sales and marketing per dimension, pooled from the members of shown teams.

    The respondents of the headline, meta-perception and lead calibration (``function:sales``
    and ``function:marketing`` of :func:`published_groups`): no new group is published. Each
    instrument's dimensions are tested on their own (:func:`analysis.comparability`, chi-square
    criterion at .05); one with too few complete answers in either function, or whose fit
    :func:`analysis.cfa` warns about, is ``"not tested"`` with the reason.
    """
    functions = data.pooled_functions
    is_function = functions.isin(["sales", "marketing"]).to_numpy()
    counts = functions[is_function].value_counts()
    if not {"sales", "marketing"} <= set(counts.index):
        return _no_comparability()
    rows = data.pooled_rows.loc[is_function]
    group = "__function__"
    tables = []
    for instrument in data.instruments:
        if not instrument.dimensions or instrument.vignettes:
            continue  # judgements of fixed vignettes measure no latent trait to compare
        if counts.min() < data.threshold:
            table = pd.DataFrame(
                {"status": "not tested", "items": [() for _ in instrument.dimensions],
                 "reason": "too_few_respondents"},
                index=pd.Index([d.id for d in instrument.dimensions], name="dimension"),
            )  # fmt: skip
        else:
            frame = rows.assign(**{group: functions[is_function].to_numpy()})
            table = comparability(frame, instrument, group, per_item=COMPARABILITY_PER_ITEM)
        tables.append(table.assign(instrument=instrument.id))
    if not tables:
        return _no_comparability()
    table = pd.concat(tables).reindex(columns=_COMPARABILITY_COLUMNS)
    return table[table.index.isin(data.info.index)]


def _heatmap(
    wave: _Wave, instruments, keyed_all, expanded_keyed, expanded_labels, shown_teams, names
) -> Heatmap:
    own_items = [
        item
        for i in instruments
        if not i.vignettes  # the lead calibration's vignettes have their own section
        for item in i.items
        if item.perspective != "meta" and item.id in keyed_all
    ]
    item_ids = [item.id for item in own_items]
    dimension_of = pd.Series({item.id: item.dimension for item in own_items}, name="dimension", dtype=object)
    if not shown_teams or wave.suppression.root not in wave.suppression.shown:
        empty = pd.DataFrame(columns=item_ids, dtype=float)
        return Heatmap(empty, pd.Series(dtype=float), dimension_of, names.iloc[:0])
    means = (
        expanded_keyed[item_ids].groupby(expanded_labels.to_numpy(), sort=False).mean().reindex(shown_teams)
    )
    return Heatmap(means, keyed_all[item_ids].mean(), dimension_of, names.reindex(shown_teams))


def _trend(
    history, label, current: _Wave, headline, headline_replicates, teams, instruments, threshold, info, rng,
    calibration=None,
):  # fmt: skip
    waves = [(earlier.label, _prepare(earlier.responses, earlier.teams, instruments, earlier.threshold,
                                      earlier.form_items))
             for earlier in history]  # fmt: skip
    own_teams = {earlier.label: earlier.teams for earlier in history}
    waves.append((label, current))
    perception_dims = [d for d in info.index if info.at[d, "kind"] == "perception"]
    dimension_rows, alignment_rows, replicates = [], [], {}
    vignettes = next((instrument for instrument in instruments if instrument.vignettes), None)
    thresholds = {earlier.label: earlier.threshold for earlier in history}
    definition_rows = []
    for wave_label, prepared in waves:
        if prepared.suppression.root not in prepared.suppression.shown:
            continue  # an organisation below the threshold shows no trend point
        table = _describe(prepared.scores, pd.Series(wave_label, index=prepared.scores.index))
        table = table[table["n"] > 0]  # a dimension the wave did not ask has no trend point there
        # The lead calibration's judgements have their own trend line (the definition index).
        table = table[~table["dimension"].isin(info.index[info["kind"] == "calibration"])]
        dimension_rows.append(table.rename(columns={"team": "wave"}))
        if prepared is current:
            point, boot = headline, headline_replicates
        else:
            scores, functions, rows = _pooled(prepared, own_teams.get(wave_label, teams))
            point, boot = _headline(
                scores, functions, rows["team"], perception_dims, rng, BOOTSTRAP_REPLICATES
            )
        if point is not None:
            alignment_rows.append(
                {"wave": wave_label, "alignment": point.alignment, "ci_low": point.ci_low,
                 "ci_high": point.ci_high, "n_sales": point.n_sales, "n_marketing": point.n_marketing}
            )  # fmt: skip
            replicates[wave_label] = boot
        if vignettes is not None:
            wave_teams = own_teams.get(wave_label, teams)
            point = (
                _definition_point(calibration)
                if prepared is current
                else _definition_point(_pooled(prepared, wave_teams), vignettes, thresholds.get(wave_label))
            )
            if point is not None:
                definition_rows.append({"wave": wave_label, **point})
    dimensions = (
        pd.concat(dimension_rows, ignore_index=True)
        if dimension_rows
        else pd.DataFrame(columns=["wave", "dimension", "n", "mean", "sd", "ci_low", "ci_high"])
    )
    alignment = pd.DataFrame(
        alignment_rows, columns=["wave", "alignment", "ci_low", "ci_high", "n_sales", "n_marketing"]
    )
    change_columns = ["dimension", "change", "ci_low", "ci_high", "g", "p", "significant"]
    changes = []
    shown_waves = [(w, p) for w, p in waves if p.suppression.root in p.suppression.shown]
    if len(shown_waves) >= 2 and shown_waves[-1][1] is current:
        previous = shown_waves[-2][1]
        for dimension in info.index:
            if not (previous.scores[dimension].notna().any() and current.scores[dimension].notna().any()):
                continue  # a dimension asked in only one of the two waves (an instrument added) has no change
            result = trend(previous.scores[dimension], current.scores[dimension])
            changes.append(
                {"dimension": dimension, "change": result.change, "ci_low": result.ci_low,
                 "ci_high": result.ci_high, "g": result.g, "p": result.p, "significant": result.p < 0.05}
            )  # fmt: skip
        labels = [w for w, _ in shown_waves]
        if label in replicates and labels[-2] in replicates and len(alignment) >= 2:
            change, low, high, p = replicates[label].change_since(replicates[labels[-2]], confidence=0.95)
            changes.append(
                {"dimension": "alignment", "change": change, "ci_low": low, "ci_high": high,
                 "g": float("nan"), "p": p, "significant": not low <= 0 <= high}
            )  # fmt: skip
    definition = pd.DataFrame(definition_rows, columns=_DEFINITION_TREND)
    return TrendSection(dimensions, alignment, pd.DataFrame(changes, columns=change_columns), definition)


def _definition_point(source, instrument=None, threshold=None) -> dict | None:
    """A wave's lead-definition index for the trend, or None where the wave does not show it.

    ``source`` is the wave's :class:`CalibrationSummary` (the current wave), or the
    ``_pooled`` members of its shown teams (an earlier wave): then the index is computed
    as :func:`calibration_summary` computes it, shown only when each of sales and marketing
    has ``threshold`` judges or more.
    """
    if isinstance(source, CalibrationSummary) or source is None:
        if source is None or not source.shown:
            return None
        index, n = source.index, source.n
    else:
        _, functions, rows = source
        ids = [item.id for item in instrument.vignettes]
        if not set(ids) <= set(rows.columns):
            return None
        judgements = rows[ids].astype(float)
        answered = judgements.notna().any(axis=1).to_numpy()
        pair = ("sales", "marketing")
        n = tuple(int((answered & (functions == function).to_numpy()).sum()) for function in pair)
        if min(n) < threshold:
            return None
        keep = answered & functions.isin(pair).to_numpy()
        index = definition_index(judgements[keep], functions[keep], pair=pair, seed=0)
    return {"index": index.index, "ci_low": index.ci_low, "ci_high": index.ci_high,
            "n_sales": n[0], "n_marketing": n[1]}  # fmt: skip


def _orient(table: pd.DataFrame, team) -> pd.DataFrame:
    """Rows of a pair table involving ``team``, swapped so that ``team_a`` is ``team``."""
    rows = table[(table["team_a"] == team) | (table["team_b"] == team)].copy()
    swap = (rows["team_b"] == team).to_numpy()
    if not swap.any():
        return rows.reset_index(drop=True)
    pairs = [("team_a", "team_b"), ("name_a", "name_b"), ("n_a", "n_b"), ("mean_a", "mean_b")]
    for left, right in pairs:
        if left in rows:
            values_left, values_right = rows[left].to_numpy().copy(), rows[right].to_numpy().copy()
            rows[left] = np.where(swap, values_right, values_left)
            rows[right] = np.where(swap, values_left, values_right)
    for column in ("difference", "d", "g", "t"):
        if column in rows:
            rows[column] = np.where(swap, -rows[column], rows[column])
    if "g_ci_low" in rows:
        low, high = rows["g_ci_low"].to_numpy().copy(), rows["g_ci_high"].to_numpy().copy()
        rows["g_ci_low"] = np.where(swap, -high, low)
        rows["g_ci_high"] = np.where(swap, -low, high)
    return rows.reset_index(drop=True)


def team_report(
    responses: pd.DataFrame | None,
    teams: pd.DataFrame,
    instruments,
    team: Hashable,
    *,
    threshold: int,
    history: Sequence[EarlierWave | tuple[str, pd.DataFrame]] = (),
    invited=None,
    organization: OrganizationReport | None = None,
    wave: str = "this wave",
    language: str = "en",
    form_items: int | None = None,
) -> TeamReport:
    """One team's report: its profile against the organisation, its gaps, agreement and trend.

    Parameters
    ----------
    responses, teams, instruments, threshold, history, invited, wave, language, form_items
        As for :func:`organization_report`.
    team : hashable
        Key of the team (an index value of ``teams``).
    organization : OrganizationReport, optional
        An organisation report of the same wave, to reuse instead of recomputing it
        (then ``responses`` may be None).

    Returns
    -------
    TeamReport
        With ``shown=False``, the suppression ``reason`` and empty tables when the team is
        suppressed.
    """
    teams = _check_teams(teams)
    if team not in teams.index:
        raise ValueError(f"team must be a key of teams; got {team!r}")
    if organization is None:
        if responses is None:
            raise ValueError("responses must be given when no organization report is passed")
        organization = organization_report(
            responses, teams, instruments, threshold=threshold, history=history, invited=invited,
            wave=wave, language=language, form_items=form_items,
        )  # fmt: skip
    name = str(teams.at[team, "name"])
    result = organization.suppression
    if team not in result.shown:
        empty = pd.DataFrame()
        return TeamReport(team, name, False, result.reason(team), empty, empty, empty, empty)
    own = organization.means[organization.means["team"] == team].set_index("dimension")
    root_means = organization.means[organization.means["team"] == result.root].set_index("dimension")["mean"]
    profile = pd.DataFrame(
        {
            "team_mean": own["mean"],
            "team_ci_low": own["ci_low"],
            "team_ci_high": own["ci_high"],
            "organization_mean": root_means.reindex(own.index),
        }
    )
    profile["difference"] = profile["team_mean"] - profile["organization_mean"]
    profile["rwg_j"], profile["consensus"] = own["rwg_j"], own["consensus"]
    profile = profile.rename_axis("dimension").reset_index()

    trend_rows = []
    instruments = _check_instruments(instruments) if history else ()
    for earlier in _earlier_waves(history, teams, threshold):
        # The team as that wave's own tree and threshold had it, shown only where it was shown then.
        if team not in earlier.teams.index:
            continue
        prepared = _prepare(
            earlier.responses, earlier.teams, instruments, earlier.threshold, earlier.form_items
        )
        if team not in prepared.suppression.shown:
            continue
        chains = _chains(earlier.teams, prepared.suppression.root)
        inside = prepared.analysed["team"].map(lambda t, chains=chains: team in chains[t])
        inside = inside.to_numpy(dtype=bool)
        trend_rows.append(
            _describe(prepared.scores.loc[inside],
                      pd.Series(earlier.label, index=prepared.scores.index[inside]))
        )  # fmt: skip
    current = own.reset_index()[["dimension", "n", "mean", "sd", "ci_low", "ci_high"]].assign(
        team=organization.wave
    )
    trend_rows.append(current)
    trend_table = pd.concat(trend_rows, ignore_index=True).rename(columns={"team": "wave"})
    trend_table = trend_table[["wave", "dimension", "n", "mean", "sd", "ci_low", "ci_high"]]
    kinds = organization.dimensions["kind"]
    calibration = kinds.index[kinds == "calibration"]  # the lead calibration: its own section
    trend_table = trend_table[~trend_table["dimension"].isin(calibration)].reset_index(drop=True)
    return TeamReport(
        team=team,
        name=name,
        shown=True,
        reason=None,
        profile=profile,
        gaps=_orient(organization.gaps, team),
        alignment=_orient(organization.alignment.pairs, team),
        trend=trend_table,
    )


def published_groups(
    responses: pd.DataFrame,
    teams: pd.DataFrame,
    instruments,
    *,
    threshold: int,
    form_items: int | None = None,
) -> dict:
    """The respondents behind every figure that :func:`organization_report` publishes.

    Every number of the report (counts aside) is a statistic of the analysed answers of
    one of these groups, or of a pair of them: the organisation, each shown group (a team
    and the teams under it), each team whose direct members are pooled (ICC), and sales and
    marketing pooled from those members (headline, meta-perception). They are the input of
    :func:`analysis.differencing.disclosures`, which checks that several reports held
    together expose no small group.

    Parameters
    ----------
    responses, teams, instruments, threshold
        As for :func:`organization_report`.

    Returns
    -------
    dict
        Label (``"organization"``, ``"team:<key>"``, ``"members:<key>"``,
        ``"function:<name>"``) -> frozenset of index labels of ``responses``. Groups the
        report suppresses are left out.
    """
    teams = _check_teams(teams)
    instruments = _check_instruments(instruments)
    threshold = check_int(threshold, "threshold", minimum=1)
    responses = _check_responses(responses, teams)
    prepared = _prepare(responses, teams, instruments, threshold, _check_form_items(form_items))
    result = prepared.suppression
    own = prepared.analysed["team"]
    groups: dict = {}
    if result.root in result.shown:
        groups["organization"] = frozenset(own.index)
    chains = _chains(teams, result.root)
    for team in teams.index:
        if team in result.shown:
            inside = own.map(lambda t, team=team: team in chains[t]).to_numpy(dtype=bool)
            groups[f"team:{team}"] = frozenset(own.index[inside])
    pooled = own[own.isin(list(result.shown_members))]
    for team in result.shown_members:
        groups[f"members:{team}"] = frozenset(pooled.index[(pooled == team).to_numpy()])
    functions = pooled.map(teams["function"])
    for function in ("sales", "marketing"):
        members = frozenset(pooled.index[(functions == function).to_numpy()])
        if members:
            groups[f"function:{function}"] = members
    return {label: members for label, members in groups.items() if members}


def iter_tables(report) -> Iterable[tuple[str, pd.DataFrame]]:
    """Every DataFrame inside a report, with a dotted path such as ``"overview.teams"``.

    For exports (one sheet per table) and for checks that walk the whole result.
    """

    def walk(value, path):
        if isinstance(value, pd.DataFrame):
            yield path, value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                yield from walk(getattr(value, item.name), f"{path}.{item.name}" if path else item.name)
        elif isinstance(value, tuple | list):
            for position, item in enumerate(value):
                yield from walk(item, f"{path}[{position}]")

    yield from walk(report, "")
