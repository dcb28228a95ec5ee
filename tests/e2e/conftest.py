"""End-to-end tests: the app served over HTTP on 127.0.0.1, driven by Debian's Chromium.

Without Chromium the tests are skipped, unless ``MINDGAP_REQUIRE_BROWSER=1`` (set by CI)
turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("MINDGAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    # The hook sees every item of the session, not only this folder's: mark this folder's alone.
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("MINDGAP_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free port of 127.0.0.1; yields its base URL."""
    app.config.update(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def phone(browser):
    """A factory of fresh browser contexts sized like a 375 px wide phone."""
    contexts = []

    def open_context():
        context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="en-GB")  # fmt: skip
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
