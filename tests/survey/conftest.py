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
