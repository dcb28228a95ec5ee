"""Signing in and out."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


def test_login_page(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'autocomplete="current-password"' in response.data


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")


def test_login_and_logout(client, auth, make_user, make_organization):
    organization = make_organization("Acme Corp", "acme")
    make_user("m@example.org", role="manager", organization=organization)
    response = auth.login("M@Example.org ")
    assert response.status_code == 302
    assert b"Acme Corp" in client.get("/").data
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client, auth, make_user):
    make_user("a@example.org")
    wrong = auth.login("a@example.org", "not the password")
    unknown = auth.login("nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = b"do not match an account"
    assert message in wrong.data
    assert message in unknown.data


def test_inactive_user_cannot_sign_in(auth, make_user):
    user = make_user("a@example.org")
    user.active = False
    from survey.extensions import db

    db.session.commit()
    assert auth.login("a@example.org").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_no_open_redirect_after_login(client, make_user, target):
    make_user("a@example.org")
    response = client.post(
        f"/auth/login?next={target}", data={"email": "a@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_login_requires_csrf_token(app, make_user):
    make_user("a@example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/auth/login", data={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target", ["/%0Aevil", "/orgs%0D%0ASet-Cookie:%20x=1", "/%09/evil.example", "/\t/evil.example", "/%7F"]
)
def test_control_characters_in_next_go_home_instead_of_failing(client, make_user, target):
    make_user("a@example.org")
    response = client.post(
        f"/auth/login?next={target}", data={"email": "a@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://mindgap.test/")
    assert "Set-Cookie: x" not in str(response.headers)


def test_a_plain_next_is_followed(client, make_user):
    make_user("a@example.org")
    response = client.post(
        "/auth/login?next=/users%3Fa%3D1", data={"email": "a@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/users?a=1"
