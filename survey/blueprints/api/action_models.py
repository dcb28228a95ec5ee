"""The answer of ``/organizations/{organization_id}/actions``: actions and whether they worked."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Number = float | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ActionTeam(_Model):
    id: int
    name: str


class ActionUpdateRow(_Model):
    on: str
    """The day of the update (YYYY-MM-DD)."""
    author: str
    status: Literal["planned", "in_progress", "done", "dropped"] | None
    """The status the action moved to with this update, or ``null``."""
    text: str


class ActionEvaluation(_Model):
    """The action in one later wave's report (changes in points of 100 on the dimension's scale)."""

    wave_id: int
    wave: str
    verdict: Literal["worked", "worse", "others_moved", "no_change", "too_early", "too_few"]
    reason: str
    """For ``too_early``: ``planned`` or ``started_late``; for ``too_few``: ``targeted`` or ``comparison``."""
    effect: Number
    """Improvement beyond the comparison (positive is better; a gap closing for a pair)."""
    ci_low: Number
    ci_high: Number
    p: Number
    p_adjusted: Number
    """Holm-adjusted over the actions evaluated in the same report."""
    own_change: Number
    comparison_change: Number
    n_targeted: list[int]
    """Respondents of the targeted teams before and after."""
    n_comparison: list[int]


class ActionRow(_Model):
    id: int
    title: str
    status: Literal["planned", "in_progress", "done", "dropped"]
    dimension: str
    dimension_name: str
    target: Literal["teams", "pair"]
    teams: list[ActionTeam]
    owner: str
    due_on: str | None
    overdue: bool
    wave_id: int | None
    """The wave whose results the action answers (its baseline)."""
    created_on: str
    updates: list[ActionUpdateRow]
    evaluations: list[ActionEvaluation]
    """One per later wave with published results, oldest first."""


class ActionList(_Model):
    """An organisation's actions, open ones first."""

    organization_id: int
    actions: list[ActionRow]
