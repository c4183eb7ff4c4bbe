"""pytest plugin: the ``solr_server`` fixture (session-scoped, in memory, free port).

Register with ``pytest_plugins = ["ckanext.gemeente.search.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import SearchServer


@pytest.fixture(scope="session")
def solr_server() -> Iterator[SearchServer]:
    """An embedded search server; ``.url`` is ``http://127.0.0.1:PORT/solr/ckan``."""
    server = SearchServer(port=0).start()
    try:
        yield server
    finally:
        server.stop()
