"""Sign-ins that can be ended: logging out, changing the password, an admin, and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from survey.extensions import db
from survey.models import AuditEvent, utcnow
from survey.models.user import UserSession
from tests.factories import PASSWORD

NEW_PASSWORD = "a new long password"


def sign_in(app, email: str, remember: bool = False):
    """A new browser signed in as ``email``."""
    browser = app.test_client()
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = browser.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def copy_of(app, browser, names=("session", "remember_token")):
    """Another browser holding copies of ``browser``'s cookies (as a thief or a backup would)."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name, domain="mindgap.test")
        if cookie is not None:
            thief.set_cookie(name, cookie.value, domain="mindgap.test")
    return thief


def signed_in(browser) -> bool:
    response = browser.get("/")
    return response.status_code == 200


def test_a_copied_session_cookie_stops_working_at_logout(app, make_user):
    make_user("a@example.org")
    browser = sign_in(app, "a@example.org")
    copy = copy_of(app, browser)
    assert signed_in(copy)
    assert browser.post("/auth/logout").status_code == 302
    assert not signed_in(browser)
    assert not signed_in(copy)


def test_a_copied_remember_me_cookie_stops_working_at_logout(app, make_user):
    make_user("a@example.org")
    browser = sign_in(app, "a@example.org", remember=True)
    # The browser was closed and opened again: only the remember-me cookie is left.
    reopened = copy_of(app, browser, names=("remember_token",))
    assert signed_in(reopened)
    stolen = copy_of(app, browser, names=("remember_token",))
    browser.post("/auth/logout")
    assert not signed_in(stolen)


def test_logout_ends_only_that_sign_in(app, make_user):
    make_user("a@example.org")
    laptop, phone = sign_in(app, "a@example.org"), sign_in(app, "a@example.org")
    laptop.post("/auth/logout")
    assert signed_in(phone)


def test_a_password_change_ends_every_other_sign_in(app, make_user):
    user = make_user("a@example.org")
    here, elsewhere = sign_in(app, "a@example.org"), sign_in(app, "a@example.org", remember=True)
    remembered = copy_of(app, elsewhere, names=("remember_token",))
    response = here.post(
        "/auth/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "signed out on 1 other sign-in" in here.get("/").get_data(as_text=True)
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(remembered)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))
    assert (event.user_id, event.details) == (user.id, {"other_sessions_ended": 1})


def test_a_refused_password_change_ends_nothing(app, make_user):
    make_user("a@example.org")
    here, elsewhere = sign_in(app, "a@example.org"), sign_in(app, "a@example.org")
    response = here.post("/auth/password", data={"current": "wrong one", "new": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})  # fmt: skip
    assert response.status_code == 400
    assert "The current password is not right." in response.get_data(as_text=True)
    assert signed_in(elsewhere)


def test_the_cookie_carries_a_random_token_of_which_only_a_hash_is_stored(app, make_user):
    user = make_user("a@example.org")
    browser = sign_in(app, "a@example.org")
    with browser.session_transaction() as session:
        token = session["_user_id"]
    assert token != str(user.id)
    assert len(token) >= 40
    stored = db.session.scalar(select(UserSession.token_hash))
    assert token not in stored
    assert len(stored) == 64


def test_a_cookie_naming_a_user_id_signs_nobody_in(app, make_user):
    """Cookies issued before sign-ins were rows carried the user id; they (and forgeries of
    them, given the secret key) sign nobody in."""
    user = make_user("a@example.org")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not signed_in(browser)


def test_sign_ins_expire(app, make_user):
    make_user("a@example.org")
    browser = sign_in(app, "a@example.org")
    row = db.session.scalar(select(UserSession))
    assert timedelta(hours=11, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=12)
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(browser)


def test_remember_me_lasts_thirty_days_and_each_sign_in_gets_its_own_token(app, make_user):
    make_user("a@example.org")
    first = sign_in(app, "a@example.org", remember=True)
    second = sign_in(app, "a@example.org", remember=True)
    cookies = [b.get_cookie("remember_token", domain="mindgap.test") for b in (first, second)]
    assert cookies[0].value != cookies[1].value
    expires = (
        cookies[0].expires.replace(tzinfo=UTC) if cookies[0].expires.tzinfo is None else cookies[0].expires
    )
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    rows = db.session.scalars(select(UserSession)).all()
    assert all(row.remember and row.expires_at - row.created_at == timedelta(days=30) for row in rows)
    # Past its 30 days the token signs nobody in, whatever a kept cookie says.
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(copy_of(app, first, names=("remember_token",)))


def test_lifetimes_come_from_the_configuration(database_url, make_user, other_app):
    make_user("a@example.org")
    app = other_app(database_url, SIGNIN_LIFETIME=3600, REMEMBER_COOKIE_DURATION=timedelta(days=7))
    with app.app_context():
        sign_in(app, "a@example.org")
        sign_in(app, "a@example.org", remember=True)
        lifetimes = sorted(r.expires_at - r.created_at for r in db.session.scalars(select(UserSession)))
        assert lifetimes == [timedelta(hours=1), timedelta(days=7)]
        db.session.remove()
        db.engine.dispose()


def test_expired_sign_ins_are_deleted_at_the_next_sign_in(app, make_user):
    make_user("a@example.org")
    sign_in(app, "a@example.org")
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    sign_in(app, "a@example.org")
    assert db.session.scalar(select(func.count(UserSession.id))) == 1


def test_a_deactivated_user_is_signed_out(app, make_user):
    user = make_user("a@example.org")
    browser = sign_in(app, "a@example.org")
    user.active = False
    db.session.commit()
    assert not signed_in(browser)


def test_an_admin_ends_a_users_sign_ins_from_the_command_line(app, runner, make_user):
    make_user("a@example.org")
    browsers = [sign_in(app, "a@example.org"), sign_in(app, "a@example.org", remember=True)]
    result = runner.invoke(args=["users", "end-sessions", "A@example.org"])
    assert result.exit_code == 0, result.output
    assert "Ended 2 sign-in(s) of a@example.org." in result.output
    assert not any(signed_in(browser) for browser in browsers)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sessions_ended"))
    assert (event.actor, event.subject, event.details) == ("command line", "a@example.org", {"sessions": 2})
    unknown = runner.invoke(args=["users", "end-sessions", "nobody@example.org"])
    assert unknown.exit_code == 1
    assert "No user with the e-mail address nobody@example.org." in unknown.output


def test_an_admin_ends_a_users_sign_ins_from_the_users_page(app, make_user, make_organization):
    organization = make_organization()
    consultant = make_user("c@example.org", role="consultant", organization=organization)
    make_user("admin@example.org")
    consultants_browser = sign_in(app, "c@example.org")
    admin = sign_in(app, "admin@example.org")
    page = admin.get("/users").get_data(as_text=True)
    assert "Sign c@example.org out everywhere" in page
    response = admin.post(f"/users/{consultant.id}/end-sessions", follow_redirects=True)
    assert "Ended 1 sign-in of c@example.org." in response.get_data(as_text=True)
    assert not signed_in(consultants_browser)
    assert signed_in(admin)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sessions_ended"))
    assert (event.actor, event.subject) == ("admin@example.org", "c@example.org")


@pytest.mark.parametrize("role", ["consultant", "manager"])
def test_only_admins_end_other_peoples_sign_ins(app, make_user, make_organization, role):
    organization = make_organization()
    victim_id = make_user("victim@example.org", role="consultant", organization=organization).id
    victim = sign_in(app, "victim@example.org")
    make_user("other@example.org", role=role, organization=organization)
    other = sign_in(app, "other@example.org")
    assert other.post(f"/users/{victim_id}/end-sessions").status_code == 403
    assert signed_in(victim)
