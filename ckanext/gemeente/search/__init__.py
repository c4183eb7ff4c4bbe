"""Embedded Solr-compatible search server for CKAN (tests, demo, small portals).

Runs without CKAN: standard library plus ``snowballstemmer``. CKAN talks to it with
``solr_url = http://127.0.0.1:PORT/solr/ckan`` through pysolr, unchanged.

    from ckanext.gemeente.search import SearchServer

    with SearchServer(port=0) as server:     # in memory, free port
        print(server.url)                    # http://127.0.0.1:PORT/solr/ckan

Command line: ``python -m ckanext.gemeente.search --port 8983 --data DIR``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import sys
import threading
from typing import Any

__all__ = ["SearchServer", "default_schema_path", "main"]

log = logging.getLogger(__name__)


def default_schema_path() -> str:
    """CKAN's ``ckan/config/solr/schema.xml``, found without importing ckan."""
    spec = importlib.util.find_spec("ckan")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "CKAN is not installed: pass the schema.xml to use with --schema"
        )
    for base in spec.submodule_search_locations:
        path = os.path.join(base, "config", "solr", "schema.xml")
        if os.path.exists(path):
            return path
    raise FileNotFoundError("ckan/config/solr/schema.xml not found in the installed CKAN")


class SearchServer:
    """The HTTP server running in a background thread.

    ``data_dir=None`` keeps everything in memory; otherwise each core is stored in
    ``data_dir/<core>.sqlite3`` and reloaded on start. ``port=0`` picks a free port.
    ``manage_gc=True`` hands Python's garbage collector to :class:`.server.IndexGC`
    (process-wide: for a process that is only this server, as ``python -m`` runs it).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        schema_path: str | None = None,
        data_dir: str | None = None,
        core: str = "ckan",
        log_requests: bool = False,
        max_body: int | None = None,
        manage_gc: bool = False,
    ) -> None:
        from .schema import Schema
        from .server import DEFAULT_MAX_BODY, IndexGC, SolrApp, make_server

        self.schema_path = schema_path or default_schema_path()
        self.schema = Schema.load(self.schema_path)
        self.app = SolrApp(self.schema, data_dir, max_body=max_body or DEFAULT_MAX_BODY)
        self.app.core(core)
        if manage_gc:  # process-wide: only for a process that is just this server
            self.app.index_gc = IndexGC()
            self.app.index_gc.start()
        self.core_name = core
        self.httpd = make_server(self.app, host, port, log_requests=log_requests)
        self.host = host
        self.port: int = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/solr"

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.core_name}"

    def start(self) -> SearchServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.httpd.serve_forever, name="gemeente-search", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(10)
            self._thread = None
        self.httpd.server_close()
        self.app.close()
        if self.app.index_gc is not None:
            self.app.index_gc.stop()

    def clear(self) -> None:
        """Delete every document of every core (tests)."""
        from . import ast

        for core in self.app.cores.values():
            core.update([("delete_query", ast.MatchAll())], commit=True)

    def __enter__(self) -> SearchServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ckanext.gemeente.search",
        description="Embedded Solr-compatible search server for CKAN.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8983)
    parser.add_argument("--schema", default=None, help="schema.xml (default: CKAN's)")
    parser.add_argument("--data", default=None, help="data directory (SQLite per core)")
    parser.add_argument("--memory", action="store_true", help="keep the index in memory only")
    parser.add_argument("--core", default="ckan", help="core created at start (any name works)")
    parser.add_argument("--max-body-mb", type=int, default=64, help="request body limit (MiB)")
    parser.add_argument("--log-requests", action="store_true", help="log one line per request")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.memory and not args.data:
        parser.error("give --data DIR, or --memory for an in-memory index")
    server = SearchServer(
        host=args.host,
        port=args.port,
        schema_path=args.schema,
        data_dir=None if args.memory else args.data,
        core=args.core,
        log_requests=args.log_requests,
        max_body=args.max_body_mb * 1024 * 1024,
        manage_gc=True,
    )

    def _term(signum: int, frame: Any) -> None:
        threading.Thread(target=server.httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _term)
    log.info("search server on %s (schema %s, %s)", server.url, server.schema_path,
             args.data if not args.memory else "in memory")
    print(f"Listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        server.app.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
