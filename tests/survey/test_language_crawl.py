"""Every page of the demo, crawled in each shipped language other than English, has no English left.

The crawl signs in as the administrator (who reaches every workspace page), follows every link
of every page it reaches (reports, team pages, waves, boards, people, audit, actions...), opens
the error pages and a respondent's survey pages, and reads what a person sees: the text outside
scripts and styles and the attributes read aloud (``aria-label``, ``title``, ``alt``,
``placeholder``). User data is marked ``translate="no"`` in the templates (names of teams and
waves that people typed, comments) and is left out, as a translation tool leaves it.

Two detectors: a sentence of the catalogue in English (any message of three words or more whose
translation differs from it), and a run of English function words ("the", "and", "your", ...).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from survey import i18n
from survey.extensions import db
from survey.models import Action, Comment, Invitation, Wave
from survey.services.demo import DEMO_PASSWORD, load_demo
from survey.services.invitations import current_link
from tests.conftest import fresh_database, make_app

pytestmark = [pytest.mark.slow, pytest.mark.once]

LANGUAGES = [language for language in i18n.LANGUAGES if language != "en"]
#: Words of English that are no word of German, French or Spanish ("Team" is German too).
ENGLISH = set(
    """
    the and of to is are with your you this that for from have has was were which will not be by at
    it or can who what when their there been would should these those into than then they we our its
    here how all no yet only each people wave waves survey report results answers sales
    shown show open closed back download sign out save change new edit delete
    """.split()
)
#: Pages the crawl does not follow: they sign out, or change what they show.
SKIP = ("/auth/logout", "/static/", "/metrics", "/healthz", "/readyz", "/api/")
MAX_PAGES = 600


class _Visible(HTMLParser):
    """What a person reads on a page, and the links on it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.lang = None
        self._hidden: list[str] = []  # open elements that hide their content from the reading
        self.literals: list[str] = []  # what people typed, marked translate="no"
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        void = tag in ("br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col")
        if tag == "title":
            self._in_title = True
            return
        hidden = tag in ("script", "style", "template") or attributes.get("translate") == "no"
        if hidden and not void:
            self._hidden.append(tag)
            return
        if self._hidden:
            if tag == self._hidden[-1] and not void:
                self._hidden.append(tag)
            return
        for name in ("aria-label", "title", "alt", "placeholder"):
            if attributes.get(name):
                self.texts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self._hidden and tag == self._hidden[-1]:
            self._hidden.pop()

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif self._hidden:
            if self._hidden[0] not in ("script", "style", "template") and data.strip():
                self.literals.append(data.strip())
        else:
            self.texts.append(data)

    def close(self):
        """The page title is read too, less what people typed (a title cannot mark it)."""
        super().close()
        title = self.title
        for literal in sorted(self.literals, key=len, reverse=True):
            title = title.replace(literal, " ")
        self.texts.append(title)


def english_sentences(catalogue) -> list[str]:
    """The catalogue's English sentences (3 words or more outside placeholders) that are translated."""
    found = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        if message.string == message.id:
            continue
        for part in re.split(r"\{\w*\}|%\(\w+\)s|%%|\n", message.id):
            part = part.strip(" .,:;–-()“”\"'")
            if len(part.split()) >= 3 and part not in message.string:
                found.append(part)
    return sorted(set(found), key=len, reverse=True)


def english_runs(text: str) -> list[str]:
    """Stretches of text in which English function words dominate."""
    found = []
    for segment in re.split(r"[\n.!?:;•·|()\[\]]", text):
        words = re.findall(r"[A-Za-z’']+", segment)
        if len(words) < 3:
            continue
        english = [word for word in words if word.lower() in ENGLISH]
        if len(english) >= 2 and len(english) >= 0.3 * len(words):
            found.append(" ".join(segment.split()))
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo on a database of its own, with one survey link of the open wave to try."""
    with fresh_database(tmp_path_factory) as url:
        app = make_app(url)
        with app.app_context():
            db.create_all()
            load_demo()
            wave = db.session.scalar(select(Wave).where(Wave.status == "open"))
            invitation = db.session.scalar(select(Invitation).where(Invitation.wave_id == wave.id))
            link = current_link(invitation)
            db.session.commit()
            site = SimpleNamespace(app=app, survey_path=urlsplit(link).path)
            db.session.remove()
        try:
            yield site
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _local(links: list[str], here: str) -> list[str]:
    """The links that stay on the site, as paths with their queries."""
    found = []
    for link in links:
        absolute = urlsplit(urljoin("http://mindgap.test" + here, link))
        if absolute.netloc in ("mindgap.test", "localhost") and absolute.scheme in ("", "http"):
            found.append(absolute.path + ("?" + absolute.query if absolute.query else ""))
    return found


def crawl(client, starts: list[str], language: str):
    """(path, status, visible text, lang) of every HTML page reached from ``starts``."""
    seen, queue, pages = set(), list(starts), []
    while queue and len(pages) < MAX_PAGES:
        target = queue.pop(0)
        parts = urlsplit(target)
        query = [(key, value) for key, value in parse_qsl(parts.query) if key != "next"]
        if any(key == "lang" and value != language for key, value in query):
            continue  # the language switch's other languages
        key = parts.path + ("?" + urlencode(sorted(query)) if query else "")
        if key in seen or any(parts.path.startswith(prefix) for prefix in SKIP):
            continue
        seen.add(key)
        response = client.get(key)
        assert response.status_code < 500, f"{key} answered {response.status_code}"
        if 300 <= response.status_code < 400:
            queue.extend(_local([response.headers["Location"]], parts.path))
            continue
        if not response.content_type.startswith("text/html"):
            continue
        reader = _Visible()
        reader.feed(response.get_data(as_text=True))
        reader.close()
        pages.append((key, response.status_code, " \n".join(reader.texts), reader.lang))
        queue.extend(_local(reader.links, parts.path))
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_reads_in_the_language(demo, language):
    with (i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        sentences = english_sentences(read_po(handle))
    client = demo.app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    pages = crawl(client, ["/auth/login", "/no-such-page", "/s/not-a-token", demo.survey_path], language)
    answer = client.post("/auth/login", data={"email": "admin@demo.mindgap.test", "password": DEMO_PASSWORD})
    assert answer.status_code == 302
    pages += crawl(client, ["/"], language)
    assert len(pages) > 40, [path for path, *_ in pages]
    problems = []
    for path, _status, text, lang in pages:
        if lang != language:
            problems.append(f"{path}: <html lang={lang!r}>")
        flat = " ".join(text.split())
        left = [sentence for sentence in sentences if sentence in flat]
        runs = english_runs(text)
        if left or runs:
            problems.append(f"{path}: {(left + runs)[:3]}")
    assert not problems, f"{len(problems)} of {len(pages)} pages have English: " + "\n".join(problems[:40])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_report_pdf_reads_in_the_language(demo, language, tmp_path):
    """The demo's latest report as a PDF: every page in the language, dates and numbers included."""
    with (i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        sentences = english_sentences(read_po(handle))
    with demo.app.app_context():
        wave = db.session.scalar(select(Wave).where(Wave.status == "closed").order_by(Wave.id.desc()))
        typed = [text for text in db.session.scalars(select(Comment.text)) if text]
        typed += [title for title in db.session.scalars(select(Action.title))]
        wave_id = wave.id
    client = demo.app.test_client()
    answer = client.post(
        "/auth/login", data={"email": "manager@demo.mindgap.test", "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 302
    response = client.get(f"/reports/waves/{wave_id}/report.pdf?lang={language}")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for written in sorted(typed, key=len, reverse=True):  # what people wrote stays as they wrote it
        flat = flat.replace(" ".join(written.split()), " ")
    left = [sentence for sentence in sentences if sentence in flat]
    runs = english_runs(flat)
    assert not left, left[:10]
    assert not runs, runs[:10]
    months = {
        "de": "Dezember|November|Oktober|September|Juni|Juli|März|Mai",
        "fr": "décembre|novembre|octobre|septembre|juin|juillet|mars|mai",
        "es": "diciembre|noviembre|octubre|septiembre|junio|julio|marzo|mayo",
    }[language]
    assert re.search(months, text), "no date in the language"
    assert re.search(r"\d,\d", text), "no decimal comma"
