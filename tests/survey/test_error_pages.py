"""Error pages speak the reader's language: heading, text and <html lang> follow the browser."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import BadRequest, Forbidden, RequestEntityTooLarge, TooManyRequests

from survey import i18n
from survey.errors import EXPIRED_FORM, PAGES, page_texts

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def test_a_missing_page_in_the_browsers_language(client):
    english = client.get("/no/such/page").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Page not found" in english
    german = client.get("/no/such/page", headers=GERMAN)
    assert german.status_code == 404
    page = german.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert i18n.translate("de", "Page not found") in page
    assert i18n.translate("de", "Go to the start page") in page


@pytest.mark.parametrize("error", [BadRequest(), Forbidden(), RequestEntityTooLarge(), TooManyRequests()])
def test_werkzeugs_english_defaults_are_replaced(app, error):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        title, text = page_texts(error)
    assert (title, text) == tuple(i18n.translate("fr", message) for message in PAGES[error.code])
    assert text != type(error).description


def test_a_description_the_code_chose_is_kept(app):
    with app.test_request_context("/"):
        assert page_texts(BadRequest("That wave is closed."))[1] == "That wave is closed."


def test_a_form_without_its_anti_forgery_token_gets_a_page_in_the_browsers_language(database_url, other_app):
    protected = other_app(database_url, WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/auth/login", data={"email": "a@example.org", "password": "x"}, headers=GERMAN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert i18n.translate("de", EXPIRED_FORM[0]) in page
    assert "CSRF" not in page
