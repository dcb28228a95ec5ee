"""The data model. Importing this package registers every table on ``db.metadata``."""

from survey.models.account import ACCOUNT_TOKEN_PURPOSES, AccountToken
from survey.models.action import ACTION_STATUSES, ACTION_TARGETS, Action, ActionTeam, ActionUpdate
from survey.models.job import JOB_KINDS, JOB_STATUSES, Job
from survey.models.organization import TEAM_FUNCTIONS, Organization, Participant, Team
from survey.models.release import RELEASE_STATUSES, Release
from survey.models.report import ReportCache
from survey.models.response import (
    MAX_COMMENT_LENGTH,
    RESPONSE_STATUSES,
    Answer,
    Comment,
    Invitation,
    PageTiming,
    Response,
)
from survey.models.types import UTCDateTime, utcnow
from survey.models.user import MEMBERSHIP_ROLES, USER_ROLES, Membership, User
from survey.models.wave import (
    MIN_ANONYMITY_THRESHOLD,
    RELEASE_POLICIES,
    WAVE_MODES,
    WAVE_STATUSES,
    InstrumentVersion,
    Wave,
    WaveInstrument,
    WaveMember,
)
from survey.models.workspace import EMAIL_KINDS, EMAIL_STATUSES, ApiToken, AuditEvent, EmailSend, LoginFailure

__all__ = [
    "ACTION_STATUSES",
    "ACTION_TARGETS",
    "ACCOUNT_TOKEN_PURPOSES",
    "AccountToken",
    "EMAIL_KINDS",
    "EMAIL_STATUSES",
    "JOB_KINDS",
    "JOB_STATUSES",
    "MAX_COMMENT_LENGTH",
    "MEMBERSHIP_ROLES",
    "MIN_ANONYMITY_THRESHOLD",
    "RELEASE_POLICIES",
    "RELEASE_STATUSES",
    "RESPONSE_STATUSES",
    "TEAM_FUNCTIONS",
    "USER_ROLES",
    "WAVE_MODES",
    "WAVE_STATUSES",
    "Action",
    "ActionTeam",
    "ActionUpdate",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "EmailSend",
    "Comment",
    "InstrumentVersion",
    "Job",
    "Invitation",
    "LoginFailure",
    "Membership",
    "Organization",
    "PageTiming",
    "Participant",
    "Release",
    "ReportCache",
    "Response",
    "Team",
    "UTCDateTime",
    "User",
    "Wave",
    "WaveInstrument",
    "WaveMember",
    "utcnow",
]
