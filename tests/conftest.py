"""Session set-up shared by every test folder.

CKAN's pytest plugin (``--ckan-ini``) builds the CKAN app at session start and checks the
Solr schema version then, so the embedded search server must answer before that: it is
started here in ``pytest_configure`` (in memory, on a free port) and CKAN is pointed at it
through ``CKAN_SOLR_URL``, which CKAN prefers over ``solr_url`` in the ini file.
Set ``GEMEENTE_SOLR_URL`` to run the suite against another server (e.g. a real Solr 9 with
CKAN's schema) instead.

Browser tests of every folder (tests/e2e, tests/harvest, ...) share the fixtures below: a live
CKAN server in a thread and one Playwright session on Debian's Chromium (``apt-get install
chromium``, never ``playwright install``); Playwright's sync API allows one session per thread,
so the ``browser`` fixture lives here, once.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_server = None


def pytest_configure(config: pytest.Config) -> None:
    global _server
    external = os.environ.get("GEMEENTE_SOLR_URL")
    if external:
        os.environ["CKAN_SOLR_URL"] = external
        return
    from ckanext.gemeente.search import SearchServer

    _server = SearchServer(host="127.0.0.1", port=0)
    _server.start()
    os.environ["CKAN_SOLR_URL"] = _server.url


def pytest_unconfigure(config: pytest.Config) -> None:
    if _server is not None:
        _server.stop()


@pytest.fixture(scope="session")
def solr_url() -> str:
    """The URL CKAN uses for search in this session."""
    return os.environ["CKAN_SOLR_URL"]


# ---------------------------------------------------------------- browser tests
CHROMIUM = os.environ.get("GEMEENTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(
    make_app: Callable[[], Any], ckan_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Serve a CKAN app (with the test's plugins and config) on a free local port.

    ``ckan.site_url`` is set to the server's own address before the app is built, so
    CKAN's absolute redirects (e.g. after login) stay on this machine.
    """
    from werkzeug.serving import make_server

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setitem(ckan_config, "ckan.site_url", url)
    app = make_app()
    server = make_server("127.0.0.1", port, app.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        yield page
    finally:
        context.close()
