"""Search for CKAN: the embedded Solr-compatible server and the ``gemeente_search`` plugin.

* :mod:`.solr` -- the search server (no CKAN imports): ``python -m ckanext.gemeente.search``
  runs it, ``from ckanext.gemeente.search import SearchServer`` embeds it;
* :mod:`.plugin`, :mod:`.cli`, :mod:`.rebuild` -- the CKAN side: ``ckan gemeente
  search-index rebuild [--workers N]``;
* :mod:`.pytest_plugin` -- the ``solr_server`` fixture.
"""

from __future__ import annotations

from .solr import SearchServer, default_schema_path, main

__all__ = ["SearchServer", "default_schema_path", "main"]
