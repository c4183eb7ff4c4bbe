"""Embedded Solr-compatible search server for CKAN (tests, demo, small portals).

Runs without CKAN: standard library plus ``snowballstemmer``. CKAN talks to it with
``solr_url = http://127.0.0.1:PORT/solr/ckan`` through pysolr, unchanged.

    from ckanext.gemeente.search import SearchServer

    with SearchServer(port=0) as server:     # in memory, free port
        print(server.url)                    # http://127.0.0.1:PORT/solr/ckan

Command line: ``python -m ckanext.gemeente.search --port 8983 --data DIR``.

A request's path through the modules: :mod:`.server` (HTTP, limits, access) ->
:mod:`.app` (dispatch) -> :mod:`.update_request` / :mod:`.select_request` (parsing into
:mod:`.ops` records and query trees, :mod:`.query`, :mod:`.ast`) -> :mod:`.core` (pending
updates, commits, locks, caches) -> :mod:`.documents` (analysis, :mod:`.analysis`,
:mod:`.solrschema`) -> :mod:`.index` (postings) -> :mod:`.storage` (SQLite); searches
go :mod:`.core` -> :mod:`.execute` -> :mod:`.render`.
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["SearchServer", "default_schema_path", "main"]

log = logging.getLogger(__name__)

#: environment variable holding the shared secret (see ``--secret-file``)
SECRET_ENV = "GEMEENTE_SEARCH_SECRET"


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
    ``core``: the core name, or several (the first is :attr:`url`'s); only these exist.
    ``secret``: when set, every request must carry it (header ``X-Search-Secret`` or the
    password of HTTP Basic auth, which CKAN sends from ``solr_user``/``solr_password``).
    ``spatial=True`` adds ckanext-spatial's fields (``minx``/``maxx``/``miny``/``maxy``,
    ``bbox_area``, ``spatial_geom``) to the schema where it lacks them.
    ``manage_gc=True`` hands Python's garbage collector to :class:`.gcpolicy.IndexGC`
    (process-wide: for a process that is only this server, as ``python -m`` runs it).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        schema_path: str | None = None,
        data_dir: str | None = None,
        core: str | Sequence[str] = "ckan",
        log_requests: bool = False,
        max_body: int | None = None,
        timeout: float | None = None,
        max_connections: int | None = None,
        secret: str | None = None,
        spatial: bool = False,
        manage_gc: bool = False,
    ) -> None:
        from .app import DEFAULT_MAX_BODY, SolrApp
        from .gcpolicy import IndexGC
        from .server import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT, make_server
        from .solrschema import Schema, with_spatial_fields

        cores = [core] if isinstance(core, str) else list(core)
        self.schema_path = schema_path or default_schema_path()
        if spatial:
            with open(self.schema_path, "rb") as fh:
                raw = with_spatial_fields(fh.read())
            self.schema = Schema.from_string(raw, os.path.dirname(
                os.path.abspath(self.schema_path)))
        else:
            self.schema = Schema.load(self.schema_path)
        self.app = SolrApp(self.schema, data_dir, cores=cores,
                           max_body=max_body or DEFAULT_MAX_BODY)
        if manage_gc:  # process-wide: only for a process that is just this server
            self.app.index_gc = IndexGC()
            self.app.index_gc.start()
        self.core_name = cores[0]
        self.httpd = make_server(
            self.app, host, port, log_requests=log_requests,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            max_connections=max_connections or DEFAULT_MAX_CONNECTIONS, secret=secret,
        )
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
        from .ops import DeleteByQuery

        for core in self.app.cores.values():
            core.update([DeleteByQuery(ast.MatchAll())], commit=True)

    def __enter__(self) -> SearchServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_secret(path: str | None) -> str | None:
    if path:
        with open(path, encoding="utf-8") as fh:
            secret = fh.read().strip()
        if not secret:
            raise SystemExit(f"--secret-file {path} is empty")
        return secret
    return os.environ.get(SECRET_ENV) or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ckanext.gemeente.search",
        description="Embedded Solr-compatible search server for CKAN.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8983)
    parser.add_argument("--schema", default=None, help="schema.xml (default: CKAN's)")
    parser.add_argument("--data", default=None, help="data directory (SQLite per core)")
    parser.add_argument("--memory", action="store_true", help="keep the index in memory only")
    parser.add_argument("--core", action="append", default=None,
                        help="a core to serve (repeatable; default: ckan); no other exists")
    parser.add_argument("--max-body-mb", type=int, default=64, help="request body limit (MiB)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="socket read/write timeout in seconds (idle connections too)")
    parser.add_argument("--max-connections", type=int, default=64,
                        help="connections served at once; more are answered 503")
    parser.add_argument("--secret-file", default=None,
                        help=f"file holding a shared secret every request must carry "
                             f"(default: ${SECRET_ENV} if set)")
    parser.add_argument("--spatial", action="store_true",
                        help="add ckanext-spatial's fields (bbox floats, spatial_geom) to "
                             "the schema")
    parser.add_argument("--log-requests", action="store_true", help="log one line per request")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.memory and not args.data:
        parser.error("give --data DIR, or --memory for an in-memory index")
    if args.max_body_mb < 1 or args.max_connections < 1 or args.timeout <= 0:
        parser.error("--max-body-mb, --max-connections and --timeout must be positive")
    secret = _read_secret(args.secret_file)
    if not _is_loopback(args.host) and secret is None:
        log.warning("listening on %s without a shared secret: anyone who reaches this "
                    "address can change the index (see docs/search.md)", args.host)
    server = SearchServer(
        host=args.host,
        port=args.port,
        schema_path=args.schema,
        data_dir=None if args.memory else args.data,
        core=args.core or ["ckan"],
        log_requests=args.log_requests,
        max_body=args.max_body_mb * 1024 * 1024,
        timeout=args.timeout,
        max_connections=args.max_connections,
        secret=secret,
        spatial=args.spatial,
        manage_gc=True,
    )

    def _term(signum: int, frame: Any) -> None:
        threading.Thread(target=server.httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _term)
    log.info("search server on %s (schema %s, %s%s)", server.url, server.schema_path,
             args.data if not args.memory else "in memory",
             ", shared secret required" if secret else "")
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
