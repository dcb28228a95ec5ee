"""Factory fixtures for the web app's tests (indico style: fixtures that return callables)."""

from __future__ import annotations

import itertools

import pytest

from survey.extensions import db
from survey.services.organizations import create_organization, create_team
from survey.services.users import create_user

PASSWORD = "correct horse battery"  # noqa: S105
_numbers = itertools.count(1)


@pytest.fixture
def make_organization(app):
    def make(name: str | None = None, slug: str | None = None):
        number = next(_numbers)
        organization = create_organization(name or f"Org {number}", slug or f"org-{number}")
        db.session.commit()
        return organization

    return make


@pytest.fixture
def make_team(app, make_organization):
    def make(organization=None, name: str | None = None, function: str = "sales", parent=None):
        organization = organization or make_organization()
        team = create_team(organization, name or f"Team {next(_numbers)}", function, parent=parent)
        db.session.commit()
        return team

    return make


@pytest.fixture
def make_user(app):
    def make(email: str | None = None, role: str = "admin", organization=None, password: str = PASSWORD):
        user = create_user(email or f"user{next(_numbers)}@example.org", password, role, organization)
        db.session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class SurveySetup:
    """An open wave with invited participants in a sales and a marketing team."""

    def __init__(self, wave, tokens: dict[str, str], teams: dict):
        self.wave = wave
        self.tokens = tokens  # participant e-mail -> token
        self.teams = teams

    def token(self, function: str = "marketing", number: int = 1) -> str:
        return self.tokens[f"{function}{number}@example.org"]

    def plan(self, function: str = "marketing"):
        from survey.services.responding import plan_for

        return plan_for(self.wave, function)


@pytest.fixture
def make_survey(app, make_organization):
    """Return ``make(instruments=("alignment",), mode=..., per_team=3)`` -> :class:`SurveySetup`."""
    from survey.models import Participant
    from survey.services.invitations import invite
    from survey.services.waves import create_wave, open_wave

    def make(instruments=("alignment",), mode="confidential", per_team=3, status="open", **wave_options):
        organization = make_organization()
        teams = {
            function: create_team(organization, f"{function.title()} team", function)
            for function in ("sales", "marketing", "other")
        }
        people = [
            Participant(organization=organization, team=teams[function], email=f"{function}{n}@example.org")
            for function in teams
            for n in range(1, per_team + 1)
        ]
        db.session.add_all(people)
        db.session.flush()
        wave = create_wave(organization, "Wave 1", list(instruments), mode=mode, **wave_options)
        if status == "open":
            open_wave(wave)
        issued = invite(wave, people)
        db.session.commit()
        return SurveySetup(wave, {i.invitation.participant.email: i.token for i in issued}, teams)

    return make


def answer_all(page, value: str = "3") -> dict:
    """Form data answering every item of a survey page with ``value``."""
    return {f"item-{item.id}": value for item in page.items}


class Workspace:
    """Two organisations with teams, roster, an open wave and its invitations; users of the first."""

    def __init__(self):
        self.ids: dict[str, dict[str, int]] = {}
        self.users: dict[str, str] = {}

    def __getitem__(self, side: str) -> dict[str, int]:
        return self.ids[side]


@pytest.fixture
def make_workspace(app, make_user):
    """Return ``make()`` -> :class:`Workspace` with organisations ``own`` and ``other``.

    ``own`` has a consultant and a manager (``users["consultant"]``, ``users["manager"]``);
    ``users["admin"]`` is a site admin. ``workspace["own"]`` holds the ids of one organisation,
    team, participant and wave of each side, named like the URL parameters.
    """
    from survey.models import Action, ActionTeam, Participant
    from survey.services.invitations import invite_roster
    from survey.services.waves import create_wave, open_wave

    def make(per_team: int = 2) -> Workspace:
        workspace = Workspace()
        for side in ("own", "other"):
            organization = create_organization(f"{side.title()} Org", f"{side}-org")
            sales = create_team(organization, "Sales", "sales")
            marketing = create_team(organization, "Marketing", "marketing")
            people = [
                Participant(organization=organization, team=team, email=f"{side}.{team.function}{n}@x.org")
                for team in (sales, marketing)
                for n in range(1, per_team + 1)
            ]
            db.session.add_all(people)
            db.session.flush()
            wave = open_wave(create_wave(organization, f"{side} wave", ["alignment"], anonymity_threshold=3))
            db.session.flush()
            invite_roster(wave)
            action = Action(organization_id=organization.id, title=f"{side} action", dimension="handover",
                            owner_name="Ann", teams=[ActionTeam(team_id=sales.id)])  # fmt: skip
            db.session.add(action)
            db.session.flush()
            workspace.ids[side] = {
                "action_id": action.id,
                "org_id": organization.id,
                "team_id": sales.id,
                "participant_id": people[0].id,
                "wave_id": wave.id,
                "organization_id": organization.id,
                "extension": "csv",
            }
            if side == "own":
                for role in ("consultant", "manager"):
                    user = create_user(f"{role}@own.example.org", PASSWORD, role, organization)
                    workspace.users[role] = f"{role}@own.example.org"
                workspace.ids[side]["user_id"] = user.id  # the manager: a user page's subject
        create_user("admin@example.org", PASSWORD, "admin")
        workspace.users["admin"] = "admin@example.org"
        db.session.commit()
        return workspace

    return make
