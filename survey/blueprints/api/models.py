"""The API's answers as typed models, and the OpenAPI document generated from them.

The views answer with the report's JSON payload (``report_payload`` of an
:class:`analysis.OrganizationReport`, plus ``wave_id`` and ``release``) and with
:func:`survey.services.reports.organization_trend`; these models *describe* those answers
(the tests validate real answers against them and against the generated document), so a
dashboard author and a fuzzer can rely on every key, column and type.

Conventions of every answer:

* A table is a list of row objects, one key per column.
* A number that cannot be computed (too few answers, no variance, a group not shown) is
  ``null``, never ``NaN``. Counts are integers, though a count column holding a blank may
  carry them with a zero fraction (``40.0``), which JSON Schema's ``integer`` accepts.
* Teams are named by their id; the organisation as a whole is ``"__organization__"``.
* Groups below a wave's anonymity threshold appear only in ``overview.teams`` (with blank
  numbers and a note) and in ``suppression.suppressed``, nowhere else.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from survey.blueprints.api.action_models import ActionList

#: A statistic: ``null`` where it cannot be computed.
Number = float | None
#: A count that is ``null`` where it is not shown (a group below the threshold).
Count = int | None
#: A team's id.
TeamId = int
#: A team's id, or the organisation as a whole.
GroupId = int | Literal["__organization__"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


# --------------------------------------------------------------------------- errors


class Error(_Model):
    """An error answer (401, 404, 503)."""

    error: str
    """The HTTP status phrase, e.g. ``"Not Found"``."""
    message: str
    """What went wrong, for a person; e.g. why a wave's results are not released yet."""
    status: int
    """The HTTP status code."""


# --------------------------------------------------------------------------- report rows


class DimensionRow(_Model):
    """A scored dimension of the wave's instruments."""

    dimension: str
    instrument: str
    """``key@version`` of the instrument the dimension belongs to."""
    name: str
    kind: Literal["perception", "mindset", "calibration"]
    """``perception`` dimensions feed gaps and alignment; ``mindset`` ones the profiles."""
    scale_min: float
    scale_max: float


class TeamRow(_Model):
    """A team of the wave's tree, with response counts (blank for a team that is not shown)."""

    team: TeamId
    name: str
    function: str
    """``sales``, ``marketing`` or another function."""
    parent: TeamId | None
    """The parent team, or ``null`` for a top-level team."""
    invited: Count
    submitted: Count
    response_rate: Number
    n: Count
    """Responses analysed (after screening careless ones), sub-teams included."""
    reason: Literal["below threshold", "complementary"] | None
    """Why the team's numbers are not shown, as a code: ``below threshold`` (fewer responses than
    the wave's ``threshold``) or ``complementary`` (hidden so that a smaller hidden team cannot
    be worked out by subtraction); ``null`` for a shown team."""
    note: str
    """``reason`` in English words for a person, or empty."""


class ReliabilityRow(_Model):
    """Internal consistency of one dimension over the organisation's responses."""

    dimension: str
    instrument: str
    n_items: int
    alpha: Number
    """Cronbach's alpha (pairwise complete answers)."""
    alpha_ci_low: Number
    alpha_ci_high: Number
    omega: Number
    """McDonald's omega total of a one-factor solution, or ``null`` (see ``omega_note``)."""
    omega_note: str
    """"not computable" where ``omega`` is ``null``, else empty."""
    alpha_low: bool
    """Whether alpha is below the reliability cut-off (.70)."""
    omega_low: bool
    """Whether omega is below the reliability cut-off (.70); false where it is ``null``."""
    warning: str
    """The same in English words for a person when alpha or omega is low, else empty."""


class MeanRow(_Model):
    """A group's mean score on one dimension, with its 95 % t interval and within-group agreement."""

    team: GroupId
    name: str
    function: str
    """Empty for the organisation."""
    dimension: str
    n: int
    mean: Number
    sd: Number
    ci_low: Number
    ci_high: Number
    rwg_j: Number
    """Within-group agreement r_wg(j); ``null`` for the organisation and for too few answers."""
    consensus: bool
    """Whether the group agrees enough for its mean to be read (always true for the organisation)."""
    note: str
    """"no consensus" where ``consensus`` is false, else empty."""


class _GapStatistics(_Model):
    n_a: int
    n_b: int
    mean_a: Number
    mean_b: Number
    difference: Number
    """``mean_a - mean_b``."""
    d: Number
    """Cohen's d (pooled standard deviation)."""
    g: Number
    """Hedges' g, the bias-corrected d."""
    g_ci_low: Number
    g_ci_high: Number
    t: Number
    """Welch's t."""
    df: Number
    """Welch-Satterthwaite degrees of freedom."""
    p: Number
    """Two-sided p of Welch's t test."""
    p_adjusted: Number
    """Benjamini-Hochberg adjusted p over the table."""
    significant: bool
    """``p_adjusted < 0.05``."""


class GapRow(_GapStatistics):
    """The gap between two shown teams (neither contains the other) on one dimension."""

    team_a: TeamId
    team_b: TeamId
    name_a: str
    name_b: str
    dimension: str


class MetaPerceptionRow(_GapStatistics):
    """A function's self-rating against the other function's rating of it, or against how it
    expects to be rated."""

    target: str
    """The function rated."""
    dimension: str
    comparison: str
    """``perception`` (self vs other) or ``meta_accuracy`` (expected vs other)."""
    rating_a: str
    rating_b: str
    rated_by_a: str
    rated_by_b: str
    n_items: int


class AlignmentPairRow(_Model):
    """Alignment of two teams over the perception dimensions."""

    team_a: TeamId
    team_b: TeamId
    name_a: str
    name_b: str
    alignment: Number
    """Alignment index, 0-100: the mean overlap of the two teams' distributions (100 = identical)."""
    n_dimensions: int
    level: Number
    """Mean of the two teams' means: how favourably they rate the dimensions."""
    mean_abs_g: Number
    quadrant: str
    """Where the pair falls: ``aligned, positive``, ``apart, positive``, ``aligned, critical`` or
    ``apart, critical``."""


class Headline(_Model):
    """The sales-marketing alignment index with its bootstrap 95 % interval."""

    alignment: float
    ci_low: Number
    ci_high: Number
    level: Number
    n_sales: int
    n_marketing: int


class Alignment(_Model):
    pairs: list[AlignmentPairRow]
    headline: Headline | None
    """``null`` when sales and marketing cannot both be shown."""
    level_midpoint: Number
    """The scale midpoint separating positive from critical levels."""


class ProfileRow(_Model):
    """A shown team's mean on every mindset dimension: one key per dimension id, besides ``team``."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Number]

    team: TeamId


class ProfileSimilarityRow(_Model):
    """How alike two teams' mindset profiles are."""

    team_a: TeamId
    team_b: TeamId
    name_a: str
    name_b: str
    correlation: Number
    distance: Number
    n_dimensions: int


class Heatmap(_Model):
    """Item means per shown team, for the heat map."""

    means: list[dict[str, Number]]
    """One row per shown team, in the order of ``names``: item id -> mean answer (keyed)."""
    organization: dict[str, Number]
    """Item id -> the organisation's mean (empty when the organisation is not shown)."""
    item_dimension: dict[str, str]
    """Item id -> its dimension."""
    names: dict[str, str]
    """Team id (as a string) -> team name, in the order of ``means``."""


class RwgRow(_Model):
    """Within-group agreement r_wg(j) of a shown group on one dimension."""

    team: GroupId
    name: str | None
    dimension: str
    rwg_j: Number
    n: int
    consensus: bool


class IccRow(_Model):
    """How much of a dimension's variance lies between teams."""

    dimension: str
    icc1: Number
    icc2: Number
    n_teams: int
    n: int


class Agreement(_Model):
    rwg_j: list[RwgRow]
    icc: list[IccRow]


class ComparabilityRow(_Model):
    """Whether sales and marketing read one dimension's statements alike (measurement invariance)."""

    dimension: str
    instrument: str
    status: Literal["comparable", "partial", "not comparable", "not tested"]
    """``partial``: comparable once the statements in ``items`` are let differ; ``not comparable``:
    a gap on the dimension may be in the reading, not in the practice."""
    items: str
    """Ids of the statements read differently, joined by ``"; "`` (empty when none)."""
    reason: str
    """Why a dimension was not tested: ``too_few_items``, ``too_few_respondents``, ``unusable_data``,
    ``improper_solution``; empty otherwise."""
    n_items: Count
    n_min: Count
    """Complete answers in the smaller of the two functions; ``null`` when not computed."""
    metric_pvalue: Number
    """Chi-square difference test of equal loadings."""
    scalar_pvalue: Number
    """Chi-square difference test of equal loadings and intercepts."""
    scalar_cfi_diff: Number
    note: str
    """The status in words."""


class Quality(_Model):
    """Careless-response screening (all ``null`` and no flags when the organisation is not shown)."""

    n_submitted: Count
    n_careless: Count
    n_analysed: Count
    flags: dict[str, int]
    """Responses flagged by each screen: ``longstring``, ``irv`` and ``mahalanobis``."""


class TrendDimensionRow(_Model):
    """The organisation's mean on one dimension in one wave."""

    wave: str
    dimension: str
    n: int
    mean: Number
    sd: Number
    ci_low: Number
    ci_high: Number


class TrendAlignmentRow(_Model):
    """The sales-marketing alignment index in one wave."""

    wave: str
    alignment: Number
    ci_low: Number
    ci_high: Number
    n_sales: int
    n_marketing: int


class LatestChangeRow(_Model):
    """The change since the previous shown wave on one dimension, or of the alignment index
    (``dimension = "alignment"``, with a bootstrap interval and no g)."""

    dimension: str
    change: Number
    ci_low: Number
    ci_high: Number
    g: Number
    p: Number
    significant: bool


class TrendDefinitionRow(_Model):
    """The sales-marketing lead-definition index in one wave that asks (and shows) the lead calibration."""

    wave: str
    index: Number
    ci_low: Number
    ci_high: Number
    n_sales: int
    n_marketing: int


class TrendSection(_Model):
    dimensions: list[TrendDimensionRow]
    alignment: list[TrendAlignmentRow]
    latest_change: list[LatestChangeRow]
    definition: list[TrendDefinitionRow] = []
    """The lead-definition index per wave (empty when no wave asks the lead calibration)."""


class Recommendation(_Model):
    """A recommended practice, as the numbers that led to it."""

    dimension: str
    basis: Literal["gap", "level"]
    """``gap``: sales and marketing see the dimension differently; ``level``: both rate it low."""
    g: Number
    p_adjusted: Number
    mean: Number
    """The organisation's mean on the dimension."""
    cause: str
    g_ci_low: Number
    g_ci_high: Number
    mean_sales: Number
    mean_marketing: Number
    scale_min: Number
    scale_max: Number
    comparability: Literal["comparable", "partial", "not comparable", "not tested", ""]
    """For a gap: whether sales and marketing read the dimension's statements alike (the status of
    ``comparability``); empty for a level recommendation or when not assessed."""


class CommentRow(_Model):
    """A free-text comment, labelled with a group of at least ``comment_threshold`` people."""

    text: str
    team: GroupId
    pool: int
    """How many people the label points to."""


class CutRow(_Model):
    """A cell of the results by roster attribute: a row per shown cell and dimension, one per hidden cell."""

    attribute: str
    """The roster attribute, as named in the roster."""
    value: str | None
    """The attribute's value; ``null`` for people with none recorded (or a whole attribute not cut)."""
    function: str | None
    """``"all"`` (the whole organisation), ``"sales"`` or ``"marketing"``."""
    dimension: str | None
    """The dimension id; ``null`` for a cell not shown."""
    n: Count
    """People in the cell."""
    n_scored: Count
    """People in the cell with a score on the dimension."""
    mean: Number
    sd: Number
    reason: str | None
    """Why the cell is not shown: ``"below threshold"``, ``"complementary"`` (it could be worked out
    from other results), ``"uncheckable"`` or ``"too many values"``; ``null`` when shown."""
    note: str | None
    """The reason in words."""


class Suppression(_Model):
    threshold: int
    suppressed: list[str]
    """Ids (as strings) of the groups whose results are not shown; ``"__organization__"`` when the
    organisation as a whole is below the threshold."""


class Overview(_Model):
    """Response counts (the organisation's are ``null`` when it is below the threshold) and reliability."""

    threshold: int
    n_invited: Count
    n_submitted: Count
    n_analysed: Count
    response_rate: Number
    teams: list[TeamRow]
    reliability: list[ReliabilityRow]


class ReleaseInfo(_Model):
    """The results release the report shows."""

    number: int
    """Counts from 1 per wave."""
    released_on: datetime.date


# --------------------------------------------------------------------------- answers


class DefinitionIndexInfo(_Model):
    """How alike sales and marketing judge the lead profiles, 0-100 (the alignment index's scale)."""

    index: Number
    ci_low: Number
    ci_high: Number
    n_a: int
    n_b: int
    n_vignettes: int
    confidence: float


class CalibrationAgreementRow(_Model):
    """Agreement of judgements of the same lead profiles within a group (or between the functions)."""

    group: str
    """A function, ``all``, ``within_<function>`` or ``between``."""
    alpha: Number
    """Krippendorff's alpha (ordinal)."""
    kappa: Number
    """Fleiss' kappa (raters who judged every profile); ``null`` for within and between."""
    raters: int
    units: int


class _AttributeWeights(_Model):
    attribute: str
    importance_a: Number
    """Range of the first function's level weights on the attribute, in scale points."""
    importance_b: Number
    share_a: Number
    """The attribute's importance as a percentage of the first function's total."""
    share_b: Number
    p_a: Number
    """Wald test that the first function gives the attribute no weight."""
    p_b: Number
    F: Number
    """Wald test that the two functions weigh the attribute alike."""
    df_num: Count
    df_denom: Count
    p: Number


class CalibrationAttributeRow(_AttributeWeights):
    """One lead attribute: how much each function's judgement rests on it, and whether they differ."""

    p_adjusted: Number
    """``p`` after Benjamini-Hochberg across the attributes."""
    favoured_level: str
    """The level both functions judge readiest, where they agree."""
    status: Literal["agreed", "differs", "unclear"]
    weighs_more: str
    """The function that weighs the attribute more, when ``status`` is ``differs``."""


class PolicyLevelRow(_Model):
    """One attribute level's effect on each function's judgement, in scale points."""

    attribute: str
    level: str
    weight_a: Number
    se_a: Number
    weight_b: Number
    se_b: Number
    difference: Number
    se: Number
    low: Number
    high: Number
    p: Number


class PolicyWeightsInfo(_Model):
    """Each function's implicit weights on the attributes (respondent-clustered standard errors)."""

    levels: list[PolicyLevelRow]
    attributes: list[_AttributeWeights]
    pair: list[str]
    n_respondents: list[int]
    n_observations: int


class VignetteSplitRow(_Model):
    """One lead profile: how differently the two functions judge it."""

    vignette: str
    n_a: Count
    n_b: Count
    mean_a: Number
    mean_b: Number
    difference: Number
    low: Number
    high: Number
    p: Number
    ready_a: Number
    """Share of the first function judging the lead ready for sales."""
    ready_b: Number
    ready_difference: Number
    ready_low: Number
    ready_high: Number
    agree_a: Number
    agree_b: Number
    agree_between: Number
    p_adjusted: Number


class Calibration(_Model):
    """What each function counts as a qualified lead (waves that ask the lead calibration).

    With ``shown`` false (a function below the threshold) only ``pair``, ``n`` and
    ``threshold`` carry values.
    """

    shown: bool
    pair: list[str]
    n: list[int]
    threshold: int
    index: DefinitionIndexInfo | None
    agreement: list[CalibrationAgreementRow] | None
    attributes: list[CalibrationAttributeRow] | None
    weights: PolicyWeightsInfo | None
    splits: list[VignetteSplitRow] | None
    split_vignettes: list[str]
    definition: list[list[str]]
    """The draft lead definition: ``[attribute, level]`` of every attribute both functions agree on."""


class Report(_Model):
    """Every section of a wave's organisation report, with the numbers of the HTML report."""

    wave_id: int
    release: ReleaseInfo
    wave: str
    """The wave's name."""
    threshold: int
    """The wave's anonymity threshold: the smallest group shown."""
    comment_threshold: int
    """The smallest group a comment may be labelled with."""
    dimensions: list[DimensionRow]
    suppression: Suppression
    overview: Overview
    means: list[MeanRow]
    gaps: list[GapRow]
    alignment: Alignment
    meta_perception: list[MetaPerceptionRow]
    profiles: list[ProfileRow]
    profile_similarity: list[ProfileSimilarityRow]
    heatmap: Heatmap
    agreement: Agreement
    quality: Quality
    trend: TrendSection
    recommendations: list[Recommendation]
    comments: list[CommentRow]
    comparability: list[ComparabilityRow]
    """Per dimension, whether sales and marketing read its statements alike."""
    calibration: Calibration | None
    """The lead calibration's results; ``null`` when the wave does not ask it."""
    cuts: list[CutRow]
    """The results by the roster attributes the wave is cut by (empty when it is not cut)."""


class TrendActionRow(_Model):
    """One action evaluated in one wave's report, with its verdict (as in "Did the actions work?")."""

    wave_id: int
    wave: str
    action_id: int
    title: str
    verdict: Literal["worked", "worse", "others_moved", "no_change", "too_early", "too_few"]
    verdict_text: str
    """The verdict in words, e.g. "It worked" or "Not enough respondents to tell"."""
    effect: float | None
    """The improvement beyond the other teams, in points of 100 (null when not evaluated)."""
    ci_low: float | None
    ci_high: float | None


class Trend(_Model):
    """Dimension means and the alignment index over an organisation's waves.

    Read from the latest release of the newest wave with one; before any release every
    list is empty, ``latest_wave_id`` is ``null`` and ``release`` is absent.
    """

    organization_id: int
    latest_wave_id: int | None
    release: int | None = None
    """The number of the release read."""
    waves: list[str]
    """Wave names, oldest first."""
    dimensions: list[TrendDimensionRow]
    alignment: list[TrendAlignmentRow]
    latest_change: list[LatestChangeRow]
    definition: list[TrendDefinitionRow] = []
    """The lead-definition index per wave (empty when no wave asks the lead calibration)."""
    actions: list[TrendActionRow] = []
    """Per wave (oldest first), each action its report evaluates and the verdict."""


# --------------------------------------------------------------------------- the document

REF_TEMPLATE = "#/components/schemas/{model}"


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer"},
    }


def _answers(model: str, what: str, missing: str) -> dict[str, Any]:
    def content(schema: str) -> dict[str, Any]:
        return {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=schema)}}}

    return {
        "200": {"description": what, "content": content(model)},
        "401": {"description": "No valid token", "content": content("Error")},
        "404": {"description": missing, "content": content("Error")},
        "503": {
            "description": "The database is unavailable for a moment (see Retry-After)",
            "content": content("Error"),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, its schemas generated from the models above."""
    _, schemas = models_json_schema(
        [(model, "validation") for model in (Report, Trend, ActionList, Error)], ref_template=REF_TEMPLATE
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mindgap read-only API",
            "version": "1.1.0",
            "description": "Alignment reports and trends, for dashboards. Authenticate with "
            "'Authorization: Bearer <token>' (create one with `mindgap api-token create EMAIL`).\n\n"
            + __doc__[__doc__.index("Conventions of every answer:") :].strip(),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas["$defs"],
        },
        "paths": {
            "/waves/{wave_id}/report": {
                "get": {
                    "operationId": "waveReport",
                    "summary": "The organisation report of a wave's latest results release",
                    "parameters": [_path_id("wave_id", "A wave of one of the token's organisations")],
                    "responses": _answers(
                        "Report",
                        "The report, suppressed as in the HTML report",
                        "No such wave for this user, a draft, or a wave whose results are not released "
                        "yet (the message says when they will be)",
                    ),
                }
            },
            "/organizations/{organization_id}/trend": {
                "get": {
                    "operationId": "organizationTrend",
                    "summary": "Dimension means and the alignment index over the organisation's waves",
                    "parameters": [_path_id("organization_id", "One of the token's organisations")],
                    "responses": _answers("Trend", "The trend", "No such organisation for this user"),
                }
            },
            "/organizations/{organization_id}/actions": {
                "get": {
                    "operationId": "organizationActions",
                    "summary": "The organisation's actions and, per later wave, whether each worked",
                    "parameters": [_path_id("organization_id", "One of the token's organisations")],
                    "responses": _answers("ActionList", "The actions", "No such organisation for this user"),
                }
            },
        },
    }
