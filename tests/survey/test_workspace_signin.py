"""Sign-in throttling kept in the database, password changes and session cookie flags."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import LoginFailure, utcnow
from survey.services.accounts import login_delay, record_login_failure
from tests.factories import PASSWORD

SAME_MESSAGE = "That e-mail address and password do not match an account."


def test_five_failures_then_a_delay_that_grows(app):
    now = utcnow()
    for _ in range(4):
        record_login_failure("a@example.org", now)
    assert login_delay("a@example.org", now) == 0
    record_login_failure("A@Example.org ", now)  # the same address, typed differently
    assert login_delay("a@example.org", now) == 30
    record_login_failure("a@example.org", now)
    assert login_delay("a@example.org", now) == 60
    assert login_delay("a@example.org", now + timedelta(seconds=45)) == 15
    for _ in range(10):
        record_login_failure("a@example.org", now)
    assert login_delay("a@example.org", now) == 15 * 60  # capped
    assert login_delay("b@example.org", now) == 0
    # Failures older than the window are forgotten (and deleted when the next one is recorded).
    later = now + timedelta(hours=2)
    assert login_delay("a@example.org", later) == 0
    record_login_failure("b@example.org", later)
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 1


def test_throttled_answers_are_the_same_for_unknown_and_known_addresses(client, auth, make_user):
    make_user("a@example.org")
    for address in ("a@example.org", "nobody@example.org"):
        for _ in range(5):
            response = auth.login(address, "wrong password")
            assert response.status_code == 401
            assert SAME_MESSAGE in response.get_data(as_text=True)
    known = auth.login("a@example.org", PASSWORD)  # the right password does not help now
    unknown = auth.login("nobody@example.org", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"] == "30"
    assert "Too many failed sign-ins with this address. Try again in 30 seconds." in known.get_data(
        as_text=True
    )
    # Apart from the address echoed in the form, the two pages are identical.
    assert known.get_data().replace(b"a@example.org", b"") == unknown.get_data().replace(
        b"nobody@example.org", b""
    )


def test_throttling_holds_across_app_instances(database_url, app, make_user, other_app):
    """Two app objects stand for two worker processes: failures in one count in the other."""
    make_user("a@example.org")
    first = app.test_client()
    for _ in range(5):
        first.post("/auth/login", data={"email": "a@example.org", "password": "wrong password"})
    other_worker = other_app(database_url)
    with other_worker.app_context():
        response = other_worker.test_client().post(
            "/auth/login", data={"email": "a@example.org", "password": PASSWORD}
        )
        assert response.status_code == 429
        db.session.remove()
        db.engine.dispose()  # another app, another pool: close its connections now


def test_success_clears_the_failures(client, auth, make_user):
    make_user("a@example.org")
    for _ in range(4):
        auth.login("a@example.org", "wrong password")
    assert auth.login("a@example.org", PASSWORD).status_code == 302
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 0


def test_change_password(client, auth, make_user):
    user = make_user("a@example.org")
    auth.login("a@example.org")
    wrong = client.post("/auth/password", data={"current": "nope", "new": "a new long password",
                                                "confirm": "a new long password"})  # fmt: skip
    assert "The current password is not right." in wrong.get_data(as_text=True)
    mismatch = client.post("/auth/password", data={"current": PASSWORD, "new": "a new long password",
                                                   "confirm": "another long password"})  # fmt: skip
    assert "The passwords differ." in mismatch.get_data(as_text=True)
    short = client.post("/auth/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert "at least 10 characters" in short.get_data(as_text=True)
    done = client.post("/auth/password", data={"current": PASSWORD, "new": "a new long password",
                                               "confirm": "a new long password"})  # fmt: skip
    assert done.status_code == 302
    db.session.refresh(user)
    assert user.check_password("a new long password")
    assert not user.check_password(PASSWORD)


def test_session_cookie_flags(database_url, make_user, other_app):
    make_user("a@example.org")
    for base_url, secure in (("http://mindgap.test", False), ("https://mindgap.example", True)):
        app = other_app(database_url, BASE_URL=base_url)
        with app.app_context():
            response = app.test_client().post(
                "/auth/login", data={"email": "a@example.org", "password": PASSWORD}
            )
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is secure
            db.session.remove()
            db.engine.dispose()  # another app, another pool: close its connections now
