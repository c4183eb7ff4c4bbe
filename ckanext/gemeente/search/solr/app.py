"""Request dispatch of the search server, independent of the HTTP plumbing.

:class:`SolrApp` holds the configured cores (only those exist: any other name in a URL is
a 404, and no core or SQLite file is made for it) and answers one request given as method,
path, query string, content type and body with a :class:`Response`. :mod:`.server` reads
requests off the sockets and writes the responses.

Endpoints (``<core>`` a configured core):

* ``/solr/<core>/select`` -- GET query string or POST form body
* ``/solr/<core>/update`` (also ``/update/json``, ``/update/xml``, ``/update/json/docs``)
* ``/solr/<core>/schema?wt=schema.xml`` and ``/solr/<core>/admin/file/?file=schema.xml``
* ``/solr/<core>/schema`` (JSON summary), ``/solr/<core>/admin/ping``
* ``/solr/admin/cores?action=STATUS``, ``/solr/admin/info/system``
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .core import Core
from .errors import SolrError
from .gcpolicy import IndexGC
from .params import Params
from .select_request import parse_select
from .update_request import parse_update

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 64 * 1024 * 1024
SOLR_SPEC_VERSION = "9.7.0"
CORE_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_JSON = "application/json;charset=utf-8"
_XML = "application/xml;charset=utf-8"


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = _JSON
    #: work to do after the answer is written (analysing queued documents)
    after: Callable[[], None] | None = None
    #: for an update: the core's commit count afterwards (see :class:`.gcpolicy.IndexGC`)
    generation: int | None = None


def json_response(status: int, data: Any, **kw: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, _JSON, **kw)


def _qtime(t0: float) -> int:
    return int((time.perf_counter() - t0) * 1000)


class SolrApp:
    """The configured cores and the dispatch of requests to them."""

    def __init__(
        self,
        schema: Any,
        data_dir: str | None = None,
        *,
        cores: Sequence[str] = ("ckan",),
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.schema = schema
        self.data_dir = data_dir
        self.max_body = max_body
        #: set by the standalone server (see :class:`.gcpolicy.IndexGC`)
        self.index_gc: IndexGC | None = None
        self.start_time = time.time()
        if not cores:
            raise ValueError("configure at least one core")
        self._cores: dict[str, Core] = {}
        if data_dir:
            os.makedirs(data_dir, exist_ok=True)
        for name in cores:
            if not CORE_NAME_RE.match(name):
                raise ValueError(f"invalid core name: {name!r}")
            if name not in self._cores:
                path = os.path.join(data_dir, f"{name}.sqlite3") if data_dir else None
                self._cores[name] = Core(name, self.schema, path)
        if data_dir:
            for fn in sorted(os.listdir(data_dir)):
                if fn.endswith(".sqlite3") and fn[: -len(".sqlite3")] not in self._cores:
                    log.warning("%s: not a configured core (--core), left alone",
                                os.path.join(data_dir, fn))

    def core(self, name: str) -> Core:
        """A configured core; any other name is Solr's 404 for a missing core."""
        core = self._cores.get(name)
        if core is None:
            raise SolrError(f"Not Found: no core named '{name[:100]}'", 404)
        return core

    @property
    def cores(self) -> dict[str, Core]:
        return dict(self._cores)

    def close(self) -> None:
        for core in list(self._cores.values()):
            core.close()

    # ------------------------------------------------------------------ dispatch
    def handle(
        self, method: str, path: str, query: str, content_type: str, body: bytes,
        t0: float | None = None,
    ) -> Response:
        """Answer one request (raises :class:`.errors.SolrError` for Solr's errors)."""
        t0 = time.perf_counter() if t0 is None else t0
        pairs = parse_qsl(query, keep_blank_values=True)
        segs = [s for s in path.rstrip("/").split("/") if s]
        if not segs or segs[0] != "solr":
            raise SolrError(f"Not Found: {path}", 404)
        if len(segs) >= 2 and segs[1] == "admin":
            return self._admin(segs[2:], Params(pairs), t0)
        if len(segs) < 3:
            raise SolrError(f"Not Found: {path}", 404)
        core = self.core(segs[1])
        handler = "/".join(segs[2:])
        if handler == "select" or handler == "query":
            if method == "POST":
                if content_type.split(";")[0].strip().lower() in (
                    "application/x-www-form-urlencoded", "",
                ):
                    try:
                        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                    except UnicodeDecodeError:
                        raise SolrError("Invalid UTF-8 in form body") from None
                else:
                    raise SolrError(f"Unsupported content type for /select: {content_type}",
                                    415)
            params = Params(pairs)
            wt = params.get("wt", "json")
            if wt not in ("json", None, ""):
                raise SolrError(f"Unknown response writer: {wt} (only wt=json is supported)")
            req = parse_select(params, core.schema)
            result = core.search(req)
            if req.omit_header:
                return json_response(200, result)
            header = {"status": 0, "QTime": _qtime(t0), "params": params.echo()}
            return json_response(200, {"responseHeader": header, **result})
        if handler in ("update", "update/json", "update/xml", "update/json/docs"):
            if handler == "update/json/docs" and body.strip()[:1] == b"{":
                body = b"[" + body + b"]"
            update = parse_update(core.schema, body, content_type, Params(pairs))
            deferred = core.update(update.ops, commit=update.commit, defer_analysis=True)

            def analyse() -> None:
                # the documents are validated and queued in order; analysing them after
                # the answer lets the client go on (a commit arriving first does it itself)
                try:
                    core.finish_analysis(deferred)
                except Exception:  # noqa: BLE001 - the answer is sent; the commit retries
                    log.exception("search server: analysing queued documents failed")

            return json_response(200, {"responseHeader": {"status": 0, "QTime": _qtime(t0)}},
                                 after=analyse if deferred else None,
                                 generation=core.generation)
        params = Params(pairs)
        if handler == "schema" or handler.startswith("schema/"):
            return self._schema(handler, params, t0)
        if handler == "admin/file":
            fname = params.get("file", "")
            if fname in ("schema.xml", "managed-schema", "managed-schema.xml"):
                return Response(200, self.schema.raw_xml, _XML)
            raise SolrError(f"Can not find: {fname}", 404)
        if handler == "admin/ping":
            with core.read():
                pass
            return json_response(200, {
                "responseHeader": {"zkConnected": None, "status": 0, "QTime": _qtime(t0),
                                   "params": params.echo()},
                "status": "OK",
            })
        if handler == "admin/luke":
            return json_response(200, {
                "responseHeader": {"status": 0, "QTime": 0},
                "index": {"numDocs": core.num_docs, "maxDoc": core.num_docs},
            })
        raise SolrError(f"Not Found: /solr/{segs[1]}/{handler}", 404)

    def _schema(self, handler: str, params: Params, t0: float) -> Response:
        schema = self.schema
        if params.get("wt") == "schema.xml" or handler == "schema/schema.xml":
            return Response(200, schema.raw_xml, _XML)
        header = {"status": 0, "QTime": _qtime(t0)}
        sub = handler[len("schema/"):] if handler.startswith("schema/") else ""
        if sub == "name":
            return json_response(200, {"responseHeader": header, "name": schema.name})
        if sub == "version":
            return json_response(200, {"responseHeader": header, "version": _num(schema.version)})
        if sub == "uniquekey":
            return json_response(200, {"responseHeader": header, "uniqueKey": schema.unique_key})
        if sub == "":
            return json_response(200, {"responseHeader": header, "schema": {
                "name": schema.name,
                "version": _num(schema.version),
                "uniqueKey": schema.unique_key,
                "fields": [_field_json(f) for f in _values(schema.fields)],
                "dynamicFields": [_field_json(f) for f in _values(schema.dynamic_fields)],
            }})
        raise SolrError(f"Not Found: /schema/{sub}", 404)

    def _admin(self, segs: list[str], params: Params, t0: float) -> Response:
        header = {"status": 0, "QTime": _qtime(t0)}
        what = "/".join(segs)
        if what == "cores":
            action = (params.get("action") or "STATUS").upper()
            if action != "STATUS":
                raise SolrError(f"Unsupported core admin action: {action}")
            wanted = params.get("core")
            status: dict[str, Any] = {}
            for name, core in sorted(self._cores.items()):
                if wanted and wanted != name:
                    continue
                status[name] = {
                    "name": name,
                    "instanceDir": self.data_dir or "(memory)",
                    "dataDir": core.path or "(memory)",
                    "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(core.start_time)),
                    "uptime": int((time.time() - core.start_time) * 1000),
                    # version: the number of commits that changed the index
                    "index": {"numDocs": core.num_docs, "maxDoc": core.num_docs,
                              "version": core.generation, "current": True},
                }
            return json_response(200, {"responseHeader": header, "initFailures": {},
                                       "status": status})
        if what == "info/system":
            return json_response(200, {"responseHeader": header, "mode": "std", "lucene": {
                "solr-spec-version": SOLR_SPEC_VERSION,
                "solr-impl-version": f"{SOLR_SPEC_VERSION} ckanext-gemeente embedded",
                "lucene-spec-version": "9.11.1",
            }})
        raise SolrError(f"Not Found: /solr/admin/{what}", 404)


def _num(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return int(f) if f.is_integer() else f


def _values(coll: Any) -> list[Any]:
    if isinstance(coll, dict):
        return list(coll.values())
    return list(coll or [])


def _field_json(f: Any) -> dict[str, Any]:
    return {
        "name": f.name,
        "type": getattr(f.type, "name", getattr(f.type, "kind", "")),
        "indexed": bool(getattr(f, "indexed", True)),
        "stored": bool(getattr(f, "stored", True)),
        "multiValued": bool(getattr(f, "multi_valued", False)),
        "required": bool(getattr(f, "required", False)),
    }
