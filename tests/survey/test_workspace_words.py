"""Pages speak to managers in words: team functions by name, no organisation slug."""

from __future__ import annotations

import re
from html import unescape

import pytest

pytestmark = pytest.mark.db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_a_manager_sees_no_slug(client, auth, make_user, make_survey):
    setup = make_survey(per_team=2)
    organization = setup.wave.organization
    manager = make_user("m@example.org", role="manager", organization=organization)
    auth.login(manager.email)
    home = text_of(client.get("/"))
    assert organization.name in home
    assert "slug" not in home
    assert organization.slug not in home.replace(organization.name, "")


def test_team_functions_are_named_in_words(client, auth, make_user, make_survey):
    setup = make_survey(per_team=2)
    organization = setup.wave.organization
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(consultant.email)
    page = text_of(client.get(f"/orgs/{organization.id}"))
    assert "(Marketing)" in page
    assert "(Sales)" in page
    assert "(marketing)" not in page
    assert "(sales)" not in page
    teams = client.get(f"/orgs/{organization.id}/teams").get_data(as_text=True)
    assert "<td>Marketing</td>" in teams
    assert "<td>marketing</td>" not in teams


def test_a_consultant_still_sees_the_slug_for_the_command_line(client, auth, make_user, make_survey):
    setup = make_survey(per_team=2)
    organization = setup.wave.organization
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    auth.login(consultant.email)
    assert f"slug {organization.slug} (for the command line)" in text_of(client.get("/"))


@pytest.mark.parametrize(("status", "heading"), [("draft", "Before the launch"), ("open", "Checks, preview")])
def test_only_a_draft_wave_heads_its_checks_as_before_the_launch(
    client, auth, make_user, make_survey, status, heading
):
    setup = make_survey(per_team=2, status=status)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    page = text_of(client.get(f"/waves/{setup.wave.id}"))
    assert heading in page
    assert ("Before the launch" in page) == (status == "draft")
