"""Session set-up shared by every test folder.

CKAN's pytest plugin (``--ckan-ini``) builds the CKAN app at session start and checks the
Solr schema version then, so the embedded search server must answer before that: it is
started here in ``pytest_configure`` (in memory, on a free port) and CKAN is pointed at it
through ``CKAN_SOLR_URL``, which CKAN prefers over ``solr_url`` in the ini file.
Set ``GEMEENTE_SOLR_URL`` to run the suite against another server (e.g. a real Solr 9 with
CKAN's schema) instead.
"""

from __future__ import annotations

import os

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
