"""Security headers, request limits and rate limits that hold across app instances."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from tests.conftest import make_app

REDIS_URL = os.environ.get("MINDGAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_security_headers_on_every_page(client, make_survey):
    setup = make_survey()
    for path in ("/auth/login", f"/s/{setup.token()}", "/no/such/page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    assert client.get(f"/s/{setup.token()}").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/auth/login").headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_or_style_attributes(client, make_survey):
    setup = make_survey()
    client.post(f"/s/{setup.token()}/start", data={"language": "en"})
    for path in ("/auth/login", f"/s/{setup.token()}", f"/s/{setup.token()}/p/1"):
        html = client.get(path).get_data(as_text=True)
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert html.count("<script") == len(scripts)
        for attributes, body in scripts:  # only our own files, never inline code
            assert re.fullmatch(r' src="/static/[a-z]+\.js" defer', attributes), attributes
            assert body == ""
        assert " style=" not in html
        assert "onclick" not in html.lower()


def test_https_base_url_makes_cookies_secure(database_url, other_app):
    app = other_app(database_url, BASE_URL="https://survey.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_oversized_requests_are_refused(client, make_survey):
    setup = make_survey()
    response = client.post(f"/s/{setup.token()}/start", data={"language": "x" * (9 * 1024 * 1024)})
    assert response.status_code == 413


def test_guessing_invitation_links_is_rate_limited(client, make_survey):
    setup = make_survey()
    client.application.config["INVITE_LOOKUP_LIMIT"] = "5 per minute"
    for number in range(5):
        assert client.get(f"/s/guess-{number}").status_code == 404
    limited = client.get("/s/guess-6")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    # A real respondent from another address is not affected.
    assert client.get(f"/s/{setup.token()}", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200


def test_only_unknown_links_count_towards_the_lookup_limit(client, make_survey):
    setup = make_survey()
    client.application.config["INVITE_LOOKUP_LIMIT"] = "3 per minute"
    token = setup.token()
    for _ in range(10):  # a respondent going back and forth through their own survey
        assert client.get(f"/s/{token}").status_code == 200
    assert [client.get(f"/s/guess-{n}").status_code for n in range(4)] == [404, 404, 404, 429]
    limited = client.get("/s/guess-5")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "X-RateLimit-Limit" not in limited.headers
    assert client.get(f"/s/{token}").status_code == 200  # a valid link is never refused


def test_guessing_behind_a_shared_address_locks_out_no_respondent(client, make_survey):
    """A company's NAT: one device guesses links, its colleagues answer the survey meanwhile."""
    setup = make_survey(per_team=3)
    client.application.config["INVITE_LOOKUP_LIMIT"] = "3 per minute"
    office = {"REMOTE_ADDR": "198.51.100.7"}
    guesses = [client.get(f"/s/guess-{n}", environ_base=office).status_code for n in range(10)]
    assert guesses == [404] * 3 + [429] * 7
    for token in setup.tokens.values():
        assert client.get(f"/s/{token}", environ_base=office).status_code == 200
        assert (
            client.post(f"/s/{token}/start", data={"language": "en"}, environ_base=office).status_code == 200
        )
    assert client.get("/s/guess-again", environ_base=office).status_code == 429


def test_rate_limits_hold_across_app_instances(database_url, other_app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"mindgap-test-{uuid.uuid4().hex[:8]}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "INVITE_LOOKUP_LIMIT": "4 per minute"}  # fmt: skip
    first, second = other_app(database_url, **settings), other_app(database_url, **settings)
    one, two = first.test_client(), second.test_client()
    codes = [
        client.get(f"/s/guess-{n}").status_code for n, client in enumerate([one, two, one, two, one, two])
    ]
    assert codes[:4] == [404, 404, 404, 404]
    assert codes[4:] == [429, 429]


def test_unreachable_rate_limit_storage_does_not_turn_respondents_away(database_url, other_app, make_survey,
                                                                     caplog):  # fmt: skip
    setup = make_survey()
    app = other_app(
        database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0", INVITE_LOOKUP_LIMIT="2 per minute"
    )
    client = app.test_client()
    assert [client.get(f"/s/guess-{n}").status_code for n in range(4)] == [404, 404, 404, 404]
    assert client.get(f"/s/{setup.token()}").status_code == 200
    assert "Rate-limit storage unreachable" in caplog.text


def test_rate_limits_can_be_turned_off(database_url, other_app):
    client = other_app(
        database_url, RATELIMIT_ENABLED=False, INVITE_LOOKUP_LIMIT="1 per minute"
    ).test_client()
    assert [client.get(f"/s/guess-{n}").status_code for n in range(3)] == [404, 404, 404]


def test_database_outage_gives_503_with_retry_after():
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:9/unreachable?connect_timeout=2")
    client = app.test_client()
    for path in ("/s/some-token", "/"):
        response = client.get(path)
        if path == "/":
            assert response.status_code == 302  # the home page needs no database for anonymous visitors
            continue
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert b"try again in a few seconds" in response.data
    api = client.get("/s/some-token", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert api.get_json()["status"] == 503
    with app.app_context():
        from survey.extensions import db

        db.engine.dispose()


def test_the_development_server_log_shows_no_survey_tokens(client, make_survey, caplog):
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    token = make_survey().token()
    server = make_server("127.0.0.1", 0, client.application)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level("INFO", logger="werkzeug"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/s/{token}") as response:
                assert response.status == 200
    finally:
        server.shutdown()
        thread.join()
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "werkzeug")
    assert "GET /s/[token] HTTP/1.1" in logged
    assert token not in logged
