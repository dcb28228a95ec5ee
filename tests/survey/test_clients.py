"""Clients and people: the console, inviting managers, adding existing users, "forgot password",
and the rules (and audit records) that the services own."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AccountToken, AuditEvent, Membership, User, utcnow
from survey.models import user as user_model
from survey.models.action import Action
from survey.models.user import UserSession
from survey.services import ServiceError
from survey.services.console import client_rows
from survey.services.organizations import open_organization
from survey.services.people import RESETS_PER_HOUR, add_person, request_password_reset, set_password_with_link
from survey.services.users import register_user
from tests.factories import PASSWORD

pytestmark = pytest.mark.db

NEW_PASSWORD = "a brand new password"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(user_model, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    user_model._unmatchable_hash.cache_clear()
    yield
    user_model._unmatchable_hash.cache_clear()


@pytest.fixture
def mailbox(app, tmp_path):
    """Messages go to a folder; returns ``read()`` -> the messages written so far, oldest first."""
    folder = tmp_path / "mail"
    app.config.update(MAIL_BACKEND="file", MAIL_FOLDER=str(folder))

    def read():
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]

    return read


def link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://mindgap\.test(/auth/set-password/\S+)", body).group(1)


def sign_in(client, address, password=PASSWORD):
    return client.post("/auth/login", data={"email": address, "password": password})


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the rules the services own


def test_a_consultant_or_manager_needs_an_organisation_in_the_service(app, make_user):
    admin = make_user("root@example.org", role="admin")
    with pytest.raises(ServiceError, match="belongs to an organisation"):
        register_user(admin, "m@example.org", PASSWORD, "manager", None)
    consultant = make_user("c@example.org", role="consultant")
    with pytest.raises(ServiceError, match="Only admins"):
        register_user(consultant, "x@example.org", PASSWORD, "admin")
    assert db.session.scalar(select(func.count(User.id))) == 2
    user = register_user(None, "ops@example.org", PASSWORD, "admin")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert (event.actor, event.subject, event.details) == ("command line", user.email, {"role": "admin"})


def test_the_users_page_and_the_command_line_refuse_the_same_way(
    app, client, runner, make_user, make_organization
):
    make_user("root@example.org", role="admin")
    make_organization("Acme", "acme")
    sign_in(client, "root@example.org")
    page = client.post("/users", data={"email": "m@example.org", "role": "manager", "organization": "0",
                                       "password": "a long enough password"})  # fmt: skip
    assert page.status_code == 200
    assert "belongs to an organisation" in page.get_data(as_text=True)
    result = runner.invoke(
        args=["create-user", "m@example.org", "--role", "manager", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    assert "belongs to an organisation" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_consultant_taking_on_a_client_becomes_its_consultant(app, make_user):
    consultant = make_user("c@example.org", role="consultant")
    organization = open_organization(consultant, "Beta Ltd")
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == consultant.id))
    assert (membership.organization_id, membership.role) == (organization.id, "consultant")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organization.created"))
    assert (event.actor, event.organization_id) == ("c@example.org", organization.id)
    manager = make_user("m@example.org", role="manager", organization=organization)
    with pytest.raises(ServiceError, match="Only admins and consultants"):
        open_organization(manager, "Gamma")


# --- inviting a client's managers


def test_an_invited_manager_sets_a_password_once_with_a_hashed_expiring_link(client, make_workspace, mailbox):
    workspace = make_workspace()
    org_id = workspace["own"]["org_id"]
    sign_in(client, workspace.users["consultant"])
    answer = client.post(
        f"/orgs/{org_id}/people", data={"email": "Boss@Client.example.org", "role": "manager"}
    )
    assert answer.status_code == 302
    (message,) = mailbox()
    assert message["To"].addresses[0].addr_spec == "boss@client.example.org"
    assert "it works once, for 7 days" in message.get_body(("plain",)).get_content()
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountToken))
    assert stored.purpose == "invite"
    assert stored.token_hash != token
    assert token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(days=7)
    user = db.session.scalar(select(User).where(User.email == "boss@client.example.org"))
    assert not user.check_password(NEW_PASSWORD)
    assert user.role == "manager"
    assert "member.invited" in actions()

    invited = client.application.test_client()
    assert invited.get(path).headers["Referrer-Policy"] == "no-referrer"
    mismatch = invited.post(path, data={"new": NEW_PASSWORD, "confirm": "something else entirely"})
    assert mismatch.status_code == 400
    done = invited.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert invited.get("/auth/password").status_code == 200  # signed in
    db.session.expire_all()
    assert user.check_password(NEW_PASSWORD)
    assert db.session.scalar(select(AccountToken)).used_at is not None
    # Single use: the same link does nothing a second time.
    again = client.application.test_client().post(
        path, data={"new": "yet another password", "confirm": "yet another password"}
    )
    assert again.status_code == 404
    db.session.expire_all()
    assert user.check_password(NEW_PASSWORD)
    page = client.get(f"/orgs/{org_id}/people").get_data(as_text=True)
    assert "boss@client.example.org" in page


def test_an_expired_or_replaced_link_sets_nothing(app, make_workspace):
    workspace = make_workspace()
    consultant = db.session.scalar(select(User).where(User.email == workspace.users["consultant"]))
    organization = consultant.memberships[0].organization
    now = utcnow()
    first = add_person(consultant, organization, "late@example.org", now=now - timedelta(days=8))
    db.session.commit()
    with pytest.raises(ServiceError, match="does not work"):
        set_password_with_link(first.fields["link"].rsplit("/", 1)[1], NEW_PASSWORD)
    second = add_person(consultant, organization, "late@example.org")  # invited again: a new link
    db.session.commit()
    third = add_person(consultant, organization, "late@example.org")
    db.session.commit()
    with pytest.raises(ServiceError, match="does not work"):
        set_password_with_link(second.fields["link"].rsplit("/", 1)[1], NEW_PASSWORD)
    user = set_password_with_link(third.fields["link"].rsplit("/", 1)[1], NEW_PASSWORD)
    assert user.check_password(NEW_PASSWORD)


def test_an_existing_user_is_added_to_another_organisation_with_their_password(
    client, make_workspace, mailbox
):
    workspace = make_workspace()
    other = workspace["other"]["org_id"]
    # The admin adds the own organisation's manager to the other organisation.
    sign_in(client, workspace.users["admin"])
    answer = client.post(
        f"/orgs/{other}/people", data={"email": workspace.users["manager"], "role": "manager"}
    )
    assert answer.status_code == 302
    manager = db.session.scalar(select(User).where(User.email == workspace.users["manager"]))
    assert {m.organization_id for m in manager.memberships} == {workspace["own"]["org_id"], other}
    assert manager.check_password(PASSWORD)
    assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    (message,) = mailbox()
    assert "you now have access" in message.get_body(("plain",)).get_content()
    assert "member.added" in actions()
    again = client.post(
        f"/orgs/{other}/people", data={"email": workspace.users["manager"], "role": "manager"}
    )
    assert again.status_code == 400
    assert "already has access" in again.get_data(as_text=True)


def test_only_those_who_manage_the_client_add_people(client, make_workspace, mailbox):
    workspace = make_workspace()
    sign_in(client, workspace.users["manager"])
    org_id = workspace["own"]["org_id"]
    assert (
        client.post(f"/orgs/{org_id}/people", data={"email": "x@example.org", "role": "manager"}).status_code
        == 403
    )
    assert client.post(f"/orgs/{workspace['other']['org_id']}/people",
                       data={"email": "x@example.org", "role": "manager"}).status_code == 404  # fmt: skip
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "x@example.org")) == 0
    assert mailbox() == []


# --- forgot password


def test_forgot_password_answers_the_same_for_every_address(client, make_user, mailbox):
    make_user("known@example.org", role="admin")
    answers = []
    for address in ("known@example.org", "nobody@example.org"):
        sent = len(mailbox())
        response = client.post("/auth/forgot", data={"email": address})
        assert len(mailbox()) == sent  # nothing is sent before the answer is out
        response.close()  # as the server does once the answer is out: the message goes then
        with client.session_transaction() as session:
            answers.append((response.status_code, response.headers["Location"], session.pop("_flashes")))
    assert answers[0] == answers[1]
    (message,) = mailbox()
    assert message["To"].addresses[0].addr_spec == "known@example.org"
    assert "it works once, for one hour" in message.get_body(("plain",)).get_content()
    path = link_in(message)
    stored = db.session.scalar(select(AccountToken))
    assert stored.purpose == "reset"
    assert stored.expires_at - stored.created_at == timedelta(hours=1)
    other_browser = client.application.test_client()
    sign_in(other_browser, "known@example.org")
    assert client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    # Every other sign-in ended; the old password is gone.
    assert db.session.scalar(select(func.count(UserSession.id))) == 1
    assert sign_in(client.application.test_client(), "known@example.org").status_code == 401


def test_reset_messages_are_limited_per_account_and_requests_per_network_address(
    app, client, make_user, mailbox
):
    user = make_user("known@example.org", role="admin")
    for _ in range(RESETS_PER_HOUR + 2):
        request_password_reset("known@example.org")
    db.session.commit()
    assert (
        db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.user_id == user.id))
        == RESETS_PER_HOUR
    )
    app.config["PASSWORD_RESET_LIMIT"] = "2 per minute"
    statuses = [
        client.post("/auth/forgot", data={"email": f"n{i}@example.org"}).status_code for i in range(3)
    ]
    assert statuses == [302, 302, 429]


# --- the console


def test_the_console_lists_each_client_with_open_actions(client, make_workspace):
    workspace = make_workspace()
    own = workspace["own"]["org_id"]
    already = db.session.scalar(
        select(func.count(Action.id)).where(
            Action.organization_id == own, Action.status.in_(("planned", "in_progress"))
        )
    )
    db.session.add_all([
        Action(organization_id=own, title="Agree what a qualified lead is", dimension="d", status="planned"),
        Action(organization_id=own, title="Weekly lead review", dimension="d", status="in_progress"),
        Action(organization_id=own, title="Old step", dimension="d", status="done"),
    ])  # fmt: skip
    db.session.commit()
    consultant = db.session.scalar(select(User).where(User.email == workspace.users["consultant"]))
    (row,) = client_rows(consultant)
    assert (row.organization_id, row.open_actions, row.alignment, row.manages) == (
        own,
        already + 2,
        None,
        True,
    )
    assert row.response_rate == 0.0
    assert row.rate_wave == "own wave"
    sign_in(client, workspace.users["consultant"])
    page = client.get("/clients").get_data(as_text=True)
    assert "Own Org" in page
    assert "Other Org" not in page
    assert "no published results yet" in page
    assert "0%" in page  # the reader's language writes the percentage (English: no space)


def test_the_console_reads_the_alignment_index_of_published_releases(demo_site):
    from survey.models import Organization
    from survey.services.releases import latest_release, release_report

    with demo_site.app.app_context():
        consultant = db.session.scalar(select(User).where(User.email == "consultant@demo.mindgap.test"))
        (row,) = [r for r in client_rows(consultant) if r.organization_id == demo_site.organization_id]
        organization = db.session.get(Organization, demo_site.organization_id)
        newest = max(
            (w for w in organization_waves(organization) if w.id in demo_site.released),
            key=lambda w: (w.opens_at or w.created_at, w.id),
        )
        headline = release_report(latest_release(newest)).alignment.headline
        assert row.alignment == pytest.approx(headline.alignment)
        assert row.alignment_wave == newest.name
        # The open wave has no release: the response rate is of it, the index is not.
        assert row.rate_wave != newest.name
        db.session.rollback()
        db.session.remove()


def organization_waves(organization):
    from survey.services.waves import waves_of

    return waves_of(organization)


def test_teams_are_added_with_their_audit_record_by_the_service(app, make_user, make_organization):
    from survey.services.organizations import add_team

    organization = make_organization("Acme", "acme")
    manager = make_user("m@example.org", role="manager", organization=organization)
    with pytest.raises(ServiceError, match="does not allow"):
        add_team(manager, organization, "Sales", "sales")
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    team = add_team(consultant, organization, "Sales", "sales")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "team.created"))
    assert (event.actor, event.subject, event.organization_id) == (
        "c@example.org",
        team.name,
        organization.id,
    )
