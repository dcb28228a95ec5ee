"""Sign-in throttling (in the database per address typed, in the rate-limit storage per client address),
password changes, the cost of a sign-in, and session cookie flags."""

from __future__ import annotations

import os
import re
import statistics
import time
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select

from survey.extensions import db
from survey.models import LoginFailure, User, utcnow
from survey.models import user as user_model
from survey.services.accounts import login_delay, record_login_failure
from tests.factories import PASSWORD
from tests.survey.test_security import REDIS_URL

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
    for _ in range(5):
        for address in ("a@example.org", "nobody@example.org"):
            response = auth.login(address, "wrong password")
            assert response.status_code == 401
            assert SAME_MESSAGE in response.get_data(as_text=True)
    known = auth.login("a@example.org", PASSWORD)  # the right password does not help now
    unknown = auth.login("nobody@example.org", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    # Each answer costs a password check, so a second may pass between the two.
    assert {known.headers["Retry-After"], unknown.headers["Retry-After"]} <= {"29", "30"}
    wait = known.headers["Retry-After"]
    assert f"Too many failed sign-ins with this address. Try again in {wait} seconds." in known.get_data(
        as_text=True
    )
    # Apart from the address echoed in the form (and that second), the two pages are identical.
    assert re.sub(rb"in \d+ seconds", b"", known.get_data().replace(b"a@example.org", b"")) == re.sub(
        rb"in \d+ seconds", b"", unknown.get_data().replace(b"nobody@example.org", b"")
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


class CountingHasher(PasswordHasher):
    """Argon2 as in production, counting the password checks."""

    __slots__ = ("checks",)

    def __init__(self):
        super().__init__()
        self.checks = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own argument name
        self.checks += 1
        return super().verify(hash, password)


def test_every_sign_in_costs_one_password_check(client, auth, make_user, monkeypatch):
    user = make_user("a@example.org")
    inactive = make_user("off@example.org")
    inactive.active = False
    db.session.commit()
    hasher = CountingHasher()
    monkeypatch.setattr(user_model, "_hasher", hasher)
    for email, password in [("nobody@example.org", PASSWORD), ("a@example.org", "wrong password"),
                            ("off@example.org", PASSWORD), ("a@example.org", PASSWORD)]:  # fmt: skip
        before = hasher.checks
        auth.login(email, password)
        assert hasher.checks == before + 1, email
    assert user.last_login_at is not None


def median_sign_in_ms(client, email: str, times: int = 5) -> float:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        assert signing_in(client, email, "wrong password") == 401
        durations.append(time.perf_counter() - started)
        db.session.execute(delete(LoginFailure))  # stay below the throttle
        db.session.commit()
    return statistics.median(durations) * 1000


def test_an_unknown_address_takes_as_long_as_a_known_one(client, make_user):
    make_user("a@example.org")
    known = median_sign_in_ms(client, "a@example.org")
    unknown = median_sign_in_ms(client, "nobody@example.org")
    # Before the dummy check: 225 ms against 7 ms on the reference machine.
    assert unknown > 0.6 * known, (known, unknown)


def client_at(app, address: str):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signing_in(client, email: str, password: str = PASSWORD) -> int:
    return client.post("/auth/login", data={"email": email, "password": password}).status_code


def test_failed_sign_ins_are_limited_per_client_address(database_url, make_user, other_app):
    make_user("a@example.org")
    app = other_app(database_url, SIGNIN_ADDRESS_LIMIT="3 per minute")
    with app.app_context():
        here = app.test_client()
        # Three addresses, so the per-address-typed throttle (five each) never starts.
        assert [signing_in(here, email, "wrong") for email in ("a@x.org", "b@x.org", "c@x.org")] == [401] * 3
        refused = here.post("/auth/login", data={"email": "a@example.org", "password": PASSWORD})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many failed sign-ins from your network address." in refused.get_data(as_text=True)
        assert signing_in(client_at(app, "198.51.100.7"), "a@example.org") == 302
        db.session.remove()
        db.engine.dispose()


def test_successful_sign_ins_do_not_count_against_the_address(database_url, make_user, other_app):
    make_user("a@example.org")
    app = other_app(database_url, SIGNIN_ADDRESS_LIMIT="2 per minute")
    with app.app_context():
        # A whole office behind one address signing in.
        assert [signing_in(app.test_client(), "a@example.org") for _ in range(4)] == [302] * 4
        db.session.remove()
        db.engine.dispose()


def test_address_limits_hold_across_app_instances(database_url, make_user, other_app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    make_user("a@example.org")
    prefix = f"mindgap-test-{uuid.uuid4().hex[:8]}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "SIGNIN_ADDRESS_LIMIT": "2 per minute"}  # fmt: skip
    first, second = other_app(database_url, **settings), other_app(database_url, **settings)
    codes = []
    for instance, email, password in [(first, "x@x.org", "wrong"), (second, "y@x.org", "wrong"),
                                      (first, "a@example.org", PASSWORD)]:  # fmt: skip
        with instance.app_context():
            codes.append(signing_in(instance.test_client(), email, password))
    assert codes == [401, 401, 429]


def test_wrong_current_passwords_are_limited(database_url, make_user, other_app):
    user_id = make_user("a@example.org").id
    app = other_app(database_url, PASSWORD_CHECK_LIMIT="2 per minute")
    with app.app_context():
        browser = app.test_client()
        signing_in(browser, "a@example.org")
        change = {"new": "a new long password", "confirm": "a new long password"}
        for _ in range(2):
            assert browser.post("/auth/password", data={"current": "a guess", **change}).status_code == 400
        refused = browser.post("/auth/password", data={"current": PASSWORD, **change})
        assert refused.status_code == 429
        assert "Too many wrong current passwords." in refused.get_data(as_text=True)
        assert refused.headers["Retry-After"]
        # Per account too: signing in again from elsewhere does not reset the count.
        elsewhere = client_at(app, "198.51.100.7")
        signing_in(elsewhere, "a@example.org")
        assert elsewhere.post("/auth/password", data={"current": PASSWORD, **change}).status_code == 429
        assert db.session.get(User, user_id).check_password(PASSWORD)
        db.session.remove()
        db.engine.dispose()
