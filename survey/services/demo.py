"""The demo organisation: something to click through right after installing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Invitation, Organization, Participant, Team, User, Wave
from survey.services.invitations import invite, reissue
from survey.services.organizations import create_organization, create_team
from survey.services.releases import publish
from survey.services.response_import import import_responses
from survey.services.users import create_user
from survey.services.waves import create_wave, open_wave

DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Demo"
#: Shared by every demo login; the demo is for trying the product, not for real data.
DEMO_PASSWORD = "mindgap-demo"  # noqa: S105
DEMO_USERS = (
    ("admin@demo.mindgap.test", "admin"),
    ("consultant@demo.mindgap.test", "consultant"),
    ("manager@demo.mindgap.test", "manager"),
)
#: (name, function, parent name, roster size). Sales Enablement stays below the anonymity
#: threshold on purpose, so reports show suppression at work.
DEMO_TEAMS = (
    ("Sales", "sales", None, 0),
    ("Marketing", "marketing", None, 0),
    ("Sales North", "sales", "Sales", 24),
    ("Sales South", "sales", "Sales", 20),
    ("Sales Enablement", "sales", "Sales", 3),
    ("Brand Marketing", "marketing", "Marketing", 16),
    ("Demand Generation", "marketing", "Marketing", 22),
)
#: Three past waves: (name, opens, closes). Their simulated answers carry a lead-quality
#: perception gap and a mindset difference that narrow from wave to wave, as they would
#: after the teams agreed definitions and a hand-over.
DEMO_HISTORY = (
    ("Baseline (February)", datetime(2026, 2, 2, 8, tzinfo=UTC), datetime(2026, 2, 20, 18, tzinfo=UTC)),
    ("Follow-up (May)", datetime(2026, 5, 4, 8, tzinfo=UTC), datetime(2026, 5, 22, 18, tzinfo=UTC)),
    ("Follow-up (September)", datetime(2026, 9, 7, 8, tzinfo=UTC), datetime(2026, 9, 25, 18, tzinfo=UTC)),
)
#: Planted effects in standard deviations per wave, by team function and dimension.
DEMO_EFFECTS = {
    "sales": {"lead_quality": (-0.9, -0.55, -0.2), "handover": (-0.5, -0.3, -0.1),
              "shared_definitions": (-0.6, -0.35, -0.15), "time_horizon": (-0.7, -0.5, -0.3)},
    "marketing": {"lead_quality": (0.3, 0.2, 0.1), "evidence": (0.8, 0.55, 0.35)},
}  # fmt: skip
#: Two actions taken after the first wave (see :func:`_add_actions`): the first worked, so its
#: effect is planted (in SDs, from the second wave on) in its team's targeted dimension; the
#: second did not, and nothing is planted. (title, dimension, team, status, planted effect).
DEMO_ACTIONS = (
    ("Weekly pipeline review with marketing", "feedback", "Sales North", "done", 1.3),
    ("Connect the CRM and the marketing platform", "data_systems", "Brand Marketing", "done", 0.0),
)
#: When the actions were agreed: after the first wave closed, before the second opened.
DEMO_ACTIONS_AGREED = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: Share of each roster that answers a past wave.
DEMO_RESPONSE_RATE = 0.85
#: Past waves (positions in :data:`DEMO_HISTORY`) that also ask the lead calibration.
DEMO_CALIBRATION_WAVES = (1, 2)
#: Planted latent weights of the lead calibration's effect-coded attributes, per function:
#: marketing judges a lead by its engagement, sales by its budget and timing; both count the
#: company's fit and the contact's seniority alike, and neither cares about the source.
DEMO_CALIBRATION_WEIGHTS = {
    "sales": {"budget=confirmed": 0.8, "timing=this_quarter": 0.7, "company=target": 0.4,
              "contact=decision_maker": 0.35, "engagement=high": 0.1},
    "marketing": {"engagement=high": 0.8, "company=target": 0.4, "contact=decision_maker": 0.35,
                  "budget=confirmed": 0.15, "timing=this_quarter": 0.1},
}  # fmt: skip
#: Latent cut points (not a lead | marketing-qualified | ready for sales): sales is stricter.
DEMO_CALIBRATION_THRESHOLDS = {"sales": (-0.2, 1.2), "marketing": (-0.9, 0.5)}


#: The open wave's name, and the roster entry whose link ``mindgap demo`` prints to try the survey.
DEMO_OPEN_WAVE = "Pulse (open now)"
TRY_IT_EMAIL = "you@demo.mindgap.test"
TRY_IT_TEAM = "Demand Generation"


@dataclass(frozen=True)
class DemoSummary:
    organization: Organization
    created: bool
    logins: tuple[tuple[str, str, str], ...]  # (email, password, role)
    #: A fresh invitation link to take the open wave's survey as a marketing team member.
    survey_link: str = ""


def load_demo() -> DemoSummary:
    """Create the demo organisation, its teams, roster and users; do nothing if it exists."""
    logins = tuple((email, DEMO_PASSWORD, role) for email, role in DEMO_USERS)
    organization = db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if organization is not None:
        return DemoSummary(organization, False, logins, _try_it_link(organization))

    organization = create_organization(DEMO_NAME, DEMO_SLUG)
    teams: dict[str, Team] = {}
    for name, function, parent, roster_size in DEMO_TEAMS:
        teams[name] = create_team(organization, name, function, parent=teams.get(parent))
        for number in range(1, roster_size + 1):
            handle = f"{name.lower().replace(' ', '.')}.{number:02d}"
            db.session.add(
                Participant(
                    organization=organization,
                    team=teams[name],
                    email=f"{handle}@demo.mindgap.test",
                    display_name=f"{name} member {number}",
                )
            )
    for email, role in DEMO_USERS:
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is None:
            create_user(email, DEMO_PASSWORD, role, None if role == "admin" else organization)
    db.session.flush()
    _fill_history(organization, teams)
    _add_actions(organization, teams)
    wave = open_wave(create_wave(organization, DEMO_OPEN_WAVE, ["alignment", "mindset"]))
    db.session.flush()
    invite(
        wave, db.session.scalars(select(Participant).where(Participant.organization_id == organization.id))
    )
    return DemoSummary(organization, True, logins, _try_it_link(organization))


def _try_it_link(organization: Organization) -> str:
    """A working link into the open demo wave, re-issued on every call.

    Re-issuing keeps any saved answers (the invitation stays, its token changes); once
    that invitation is submitted, a new roster entry takes its place.
    """
    wave = db.session.scalar(
        select(Wave).where(Wave.organization_id == organization.id, Wave.name == DEMO_OPEN_WAVE)
    )
    if wave is None or wave.status != "open":
        return ""
    team = db.session.scalar(
        select(Team).where(Team.organization_id == organization.id, Team.name == TRY_IT_TEAM)
    )
    invitation = db.session.scalar(
        select(Invitation)
        .join(Participant, Participant.id == Invitation.participant_id)
        .where(Invitation.wave_id == wave.id, Participant.email.like("you%@demo.mindgap.test"))
        .where(Invitation.used_at.is_(None))
    )
    if invitation is not None:
        return reissue(invitation).link
    taken = db.session.scalar(
        select(func.count(Participant.id)).where(
            Participant.organization_id == organization.id, Participant.email.like("you%@demo.mindgap.test")
        )
    )
    email = TRY_IT_EMAIL if not taken else f"you{taken + 1}@demo.mindgap.test"
    participant = Participant(organization=organization, team=team, email=email, display_name="You (demo)")
    db.session.add(participant)
    db.session.flush()
    return invite(wave, [participant])[0].link


def _fill_history(organization: Organization, teams: dict[str, Team]) -> None:
    """Three closed waves of simulated answers from the roster (see :data:`DEMO_EFFECTS`)."""
    import analysis
    import instruments

    roster = list(
        db.session.scalars(select(Participant).where(Participant.organization_id == organization.id))
    )
    sizes = {}
    for name, _function, _parent, roster_size in DEMO_TEAMS:
        if roster_size:
            # Small teams answer in full, so the suppressed team really is below the threshold.
            sizes[str(teams[name].id)] = (
                roster_size if roster_size < 5 else round(roster_size * DEMO_RESPONSE_RATE)
            )
    functions = {str(teams[name].id): function for name, function, _p, size in DEMO_TEAMS if size}
    loaded = [instruments.load("alignment"), instruments.load("mindset")]
    design = analysis.calibration.instrument_design(instruments.load("lead_calibration"))
    for number, (name, opens, closes) in enumerate(DEMO_HISTORY):
        keys = ["alignment", "mindset"] + (["lead_calibration"] if number in DEMO_CALIBRATION_WAVES else [])
        wave = create_wave(organization, name, keys, opens_at=opens, closes_at=closes)
        wave.status = "closed"
        db.session.flush()
        invite(wave, roster)
        frames = []
        for offset, instrument in enumerate(loaded):
            own = {dimension.id for dimension in instrument.dimensions}
            effects = {
                team: {dimension: shift[number] for dimension, shift in DEMO_EFFECTS.get(function, {}).items()
                       if dimension in own}
                for team, function in functions.items()
            }  # fmt: skip
            for _title, dimension, team_name, _status, planted in DEMO_ACTIONS:
                if number and planted and dimension in own:
                    shifts = effects[str(teams[team_name].id)]
                    shifts[dimension] = shifts.get(dimension, 0.0) + planted
            frames.append(
                analysis.simulate(instrument, functions, sizes, effects, seed=1000 * number + offset)
            )
        items = [column for column in frames[1].columns if column in set(loaded[1].item_ids)]
        frame = pd.concat([frames[0], frames[1][items]], axis=1)
        if number in DEMO_CALIBRATION_WAVES:
            frame = pd.concat([frame, _calibration_answers(frame["team"], functions, design, number)], axis=1)
        frame["team"] = frame["team"].astype(int)
        import_responses(wave, frame, submitted_at=closes - timedelta(days=3))
        db.session.flush()
        publish(wave, made_by="demo")


def _add_actions(organization: Organization, teams: dict[str, Team]) -> None:
    """The actions agreed after the first wave (:data:`DEMO_ACTIONS`), with dated updates."""
    from survey.models import ActionUpdate
    from survey.services.actions import ActionFields, create_action

    baseline = db.session.scalar(
        select(Wave).where(Wave.organization_id == organization.id, Wave.name == DEMO_HISTORY[0][0])
    )
    consultant = db.session.scalar(select(User).where(User.email == DEMO_USERS[1][0]))
    manager = db.session.scalar(select(User).where(User.email == DEMO_USERS[2][0]))
    for title, dimension, team_name, status, _planted in DEMO_ACTIONS:
        fields = ActionFields(title, dimension, "teams", (teams[team_name].id,), owner_id=manager.id,
                              due_on=DEMO_ACTIONS_AGREED.date() + timedelta(days=45), status=status,
                              source="dimension")  # fmt: skip
        action = create_action(consultant, organization, fields, wave=baseline)
        action.created_at = DEMO_ACTIONS_AGREED
        action.updates.extend(
            [
                ActionUpdate(user_id=manager.id, author=manager.email, text="Started with the team leads.",
                             status="in_progress", created_at=DEMO_ACTIONS_AGREED + timedelta(days=7)),
                ActionUpdate(user_id=manager.id, author=manager.email, text="In place; see the next wave.",
                             status=status, created_at=DEMO_ACTIONS_AGREED + timedelta(days=40)),
            ]
        )  # fmt: skip
    db.session.flush()


def _calibration_answers(
    team_of: pd.Series, functions: dict, design: pd.DataFrame, number: int
) -> pd.DataFrame:
    """Judgements of the lead profiles by each simulated respondent, with the planted weights."""
    from analysis.calibration_simulation import simulate_calibration

    answers = pd.DataFrame(index=team_of.index, columns=design.index, dtype=float)
    for position, (team, function) in enumerate(sorted(functions.items())):
        rows = team_of.index[(team_of.astype(str) == team).to_numpy()]
        if not len(rows):
            continue
        judgements, _ = simulate_calibration(
            design, {function: len(rows)}, DEMO_CALIBRATION_WEIGHTS, DEMO_CALIBRATION_THRESHOLDS,
            leniency_sd=0.4, noise_sd=0.7, seed=5000 + 100 * number + position,
        )  # fmt: skip
        answers.loc[rows] = judgements.to_numpy()
    return answers
