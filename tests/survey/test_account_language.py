"""The workspace user's language: chosen on the account page, else the browser's, audited."""

from __future__ import annotations

from sqlalchemy import select

from survey import i18n
from survey.extensions import db
from survey.models import AuditEvent, User

ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}
FRENCH_BROWSER = {"Accept-Language": "fr-CH, fr;q=0.9"}


def test_the_account_page_offers_the_browser_and_each_language_by_its_own_name(client, auth, make_user):
    make_user("a@example.org")
    auth.login("a@example.org")
    page = client.get("/auth/account").get_data(as_text=True)
    assert "Same as my browser" in page
    for name in i18n.LANGUAGE_NAMES.values():
        assert f">{name}</option>" in page
    assert 'href="/auth/account"' in client.get("/").get_data(as_text=True)  # the header's "Account"


def test_a_user_who_chose_german_reads_german_whatever_the_browser_says(client, auth, make_user):
    user = make_user("a@example.org")
    auth.login("a@example.org")
    saved = client.post("/auth/account", data={"language": "de"}, headers=ENGLISH_BROWSER)
    assert saved.status_code == 302
    db.session.refresh(user)
    assert user.language == "de"
    page = client.get("/auth/account", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert i18n.translate("de", "Language") in page
    assert '<html lang="de">' in client.get("/", headers=ENGLISH_BROWSER).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.language_changed"))
    assert event is not None
    assert event.subject == "a@example.org"


def test_a_user_who_chose_the_browser_reads_the_browsers_language(client, auth, make_user):
    user = make_user("a@example.org")
    user.language = "de"
    db.session.commit()
    auth.login("a@example.org")
    assert client.post("/auth/account", data={"language": ""}).status_code == 302
    db.session.refresh(user)
    assert user.language is None
    assert '<html lang="fr">' in client.get("/", headers=FRENCH_BROWSER).get_data(as_text=True)
    assert '<html lang="en">' in client.get("/", headers=ENGLISH_BROWSER).get_data(as_text=True)


def test_a_language_the_product_does_not_ship_is_refused_and_changes_nothing(client, auth, make_user):
    user = make_user("a@example.org")
    user.language = "fr"
    db.session.commit()
    auth.login("a@example.org")
    for value in ("xx", "de-CH", "<script>", "EN"):
        assert client.post("/auth/account", data={"language": value}).status_code == 400
    db.session.refresh(user)
    assert user.language == "fr"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.language_changed")) is None
    assert db.session.get(User, user.id).language == "fr"


def test_the_forms_own_messages_follow_the_language(client):
    """WTForms' built-in validator messages come in the reader's language (its own catalogues)."""
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from survey.blueprints.forms import Form

    class Probe(Form):
        name = StringField(validators=[DataRequired()])

    app = client.application
    for language, expected in [("de", "Dieses Feld wird benötigt."), ("fr", "Ce champ est requis."),
                               ("en", "This field is required.")]:  # fmt: skip
        with app.test_request_context("/", method="POST", data={}, headers={"Accept-Language": language}):
            form = Probe(meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [expected]
