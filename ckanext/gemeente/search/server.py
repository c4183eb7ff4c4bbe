"""HTTP front end of the embedded search server: the subset of Solr's API CKAN uses.

Endpoints (``<core>`` is any name; each name is its own core, created on first use):

* ``/solr/<core>/select`` -- GET query string or POST form body
* ``/solr/<core>/update`` (also ``/update/json``, ``/update/xml``) -- JSON array of
  documents, JSON command objects, XML ``<add>``/``<delete>``/``<commit/>``/``<optimize/>``
* ``/solr/<core>/schema?wt=schema.xml`` and ``/solr/<core>/admin/file/?file=schema.xml``
* ``/solr/<core>/schema`` (JSON summary), ``/solr/<core>/admin/ping``
* ``/solr/admin/cores?action=STATUS``, ``/solr/admin/info/system``
"""

from __future__ import annotations

import gc
import json
import logging
import os
import queue
import re
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import SolrError
from .index import Core, Params, select

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 64 * 1024 * 1024
SOLR_SPEC_VERSION = "9.7.0"
_CORE_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class IndexGC:
    """Runs Python's cyclic garbage collector on the server's own schedule.

    The index and the queued documents are millions of long-lived containers without
    reference cycles. Python's automatic collector walks them again and again as they
    grow: 10-15 % of the server's CPU while 10,000 CKAN datasets are indexed (docs/
    performance.md). With this policy the automatic collector is off; instead, after
    every commit and after every ``requests`` other requests (searches leave a few
    garbage cycles, updates none), the objects made since the last time are collected
    and what survives is moved to the permanent generation (:func:`gc.freeze`), so each
    object is walked about once. Frozen objects are still freed by reference counting
    when a document is replaced or deleted, and once per ``full_every`` seconds
    everything is unfrozen and collected in full, so that no garbage cycle lives longer.

    Process-wide, so it is used by ``python -m ckanext.gemeente.search`` only, never
    inside another program (a test run, CKAN).
    """

    def __init__(self, requests: int = 2000, full_every: float = 3600.0) -> None:
        self.requests = requests
        self.full_every = full_every
        self.collections = 0
        self._requests = 0
        self._generation: int | None = None
        self._last_full = time.monotonic()
        self._lock = threading.Lock()

    def start(self) -> None:
        gc.disable()
        gc.collect()
        gc.freeze()  # what is loaded at start (CKAN's schema, a stored index)

    def stop(self) -> None:
        gc.unfreeze()
        gc.enable()

    def note(self, generation: int | None = None) -> None:
        """After each request; ``generation``: the core's commit count, for updates."""
        with self._lock:
            if generation is None:
                self._requests += 1
                if self._requests < self.requests:
                    return
            elif generation == self._generation:
                return  # an update without a commit leaves no garbage, only pending data
            self._requests = 0
            if generation is not None:
                self._generation = generation
            if time.monotonic() - self._last_full > self.full_every:
                gc.unfreeze()
                gc.collect()
                self._last_full = time.monotonic()
            else:
                gc.collect()  # everything not frozen: what was made since last time
            gc.freeze()
            self.collections += 1


class SolrApp:
    """Request handling independent of the HTTP plumbing (cores, dispatch)."""

    def __init__(
        self,
        schema: Any,
        data_dir: str | None = None,
        *,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.schema = schema
        self.data_dir = data_dir
        self.max_body = max_body
        #: set by the standalone server (see :class:`IndexGC`)
        self.index_gc: IndexGC | None = None
        self._cores: dict[str, Core] = {}
        self._cores_lock = threading.Lock()
        self.start_time = time.time()
        if data_dir:
            os.makedirs(data_dir, exist_ok=True)
            for fn in sorted(os.listdir(data_dir)):
                if fn.endswith(".sqlite3"):
                    self.core(fn[: -len(".sqlite3")])

    def core(self, name: str) -> Core:
        core = self._cores.get(name)
        if core is not None:
            return core
        if not _CORE_NAME_RE.match(name):
            raise SolrError(f"Invalid core name: {name}", 400)
        with self._cores_lock:
            core = self._cores.get(name)
            if core is None:
                path = os.path.join(self.data_dir, f"{name}.sqlite3") if self.data_dir else None
                core = Core(name, self.schema, path)
                self._cores[name] = core
        return core

    @property
    def cores(self) -> dict[str, Core]:
        return dict(self._cores)

    def close(self) -> None:
        for core in list(self._cores.values()):
            core.close()

    # ------------------------------------------------------------------ update
    def update(
        self, core: Core, params: Params, body: bytes, content_type: str,
        *, defer_analysis: bool = False,
    ) -> list[Any]:
        """Validate and queue an update; returns what :meth:`Core.finish_analysis` takes."""
        ops, commit_flags = parse_update(core, body, content_type, params)
        commit = commit_flags or any(
            _truthy(params.get(p)) for p in ("commit", "softCommit")
        ) or params.get("commitWithin") not in (None, "", "-1")
        if params.get("optimize") and _truthy(params.get("optimize")):
            commit = True
        return core.update(ops, commit=commit, defer_analysis=defer_analysis)


def _truthy(v: str | None) -> bool:
    return v is not None and v.strip().lower() in ("true", "on", "yes", "1")


# ---------------------------------------------------------------------- update parsing

def parse_update(
    core: Core, body: bytes, content_type: str, params: Params
) -> tuple[list[tuple[str, Any]], bool]:
    """Parse and validate an update body into core operations.

    Returns ``(ops, commit)``; ``commit`` is set when a ``commitWithin`` in the
    body asks for it. Everything is validated before anything is applied.
    """
    ct = content_type.split(";", 1)[0].strip().lower()
    text = body.strip()
    if not text:
        return [], False
    if ct in ("application/json", "text/json") or (
        ct not in ("application/xml", "text/xml") and text[:1] in (b"[", b"{")
    ):
        return _parse_json_update(core, body, params)
    return _parse_xml_update(core, body, params)


def _prepare(core: Core, doc: Any) -> tuple[str, tuple[str, dict[str, list[Any]]]]:
    if not isinstance(doc, dict):
        raise SolrError(f"Expected a document (JSON object) but got: {json.dumps(doc)[:200]}")
    schema = core.schema
    try:
        prepared = schema.prepare(doc)
    except SolrError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad input must never be a 500
        raise SolrError(
            f"ERROR: [doc={doc.get(schema.unique_key)}] Error adding document: {exc}"
        ) from exc
    key_name = schema.unique_key
    keys = prepared.get(key_name)
    if not keys:
        raise SolrError(f"Document is missing mandatory uniqueKey field: {key_name}")
    return "add", (str(keys[0]), prepared)


def _delete_query_op(core: Core, q: str) -> tuple[str, Any]:
    from .query import parse_lucene

    return "delete_query", parse_lucene(q, core.schema, df=None, q_op="OR")


def _parse_json_update(
    core: Core, body: bytes, params: Params
) -> tuple[list[tuple[str, Any]], bool]:
    try:
        data = json.loads(body, object_pairs_hook=_pairs)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SolrError(f"Cannot parse provided JSON: {exc}") from None
    ops: list[tuple[str, Any]] = []
    commit = False
    if isinstance(data, list):
        for doc in data:
            ops.append(_prepare(core, _as_doc(doc)))
        return ops, commit
    if not isinstance(data, _Pairs):
        raise SolrError(f"Cannot parse provided JSON: Expected JSON Array or Object: {body[:40]!r}")
    for cmd, arg in data.pairs:
        if cmd == "add":
            if isinstance(arg, _Pairs):
                a = arg.as_dict()
                doc = a.get("doc")
                if doc is None:
                    raise SolrError("Missing solr document: add requires a 'doc'")
                ops.append(_prepare(core, _as_doc(doc)))
                if a.get("commitWithin") not in (None, -1, "-1"):
                    commit = True
            elif isinstance(arg, list):
                for doc in arg:
                    ops.append(_prepare(core, _as_doc(doc)))
            else:
                raise SolrError("Unexpected value for 'add' command")
        elif cmd == "delete":
            ops.extend(_json_delete(core, arg))
        elif cmd == "commit" or cmd == "optimize":
            ops.append(("commit", None))
        elif cmd == "rollback":
            ops.append(("rollback", None))
        else:
            raise SolrError(f"Unknown command '{cmd}' at [{body.find(cmd.encode())}]")
    return ops, commit


def _json_delete(core: Core, arg: Any) -> list[tuple[str, Any]]:
    if isinstance(arg, (str, int, float)):
        return [("delete_id", str(arg))]
    if isinstance(arg, list):
        out: list[tuple[str, Any]] = []
        for item in arg:
            out.extend(_json_delete(core, item))
        return out
    if isinstance(arg, _Pairs):
        d = arg.as_dict()
        if "id" in d:
            return [("delete_id", str(d["id"]))]
        if "query" in d:
            return [_delete_query_op(core, str(d["query"]))]
        raise SolrError(f"Invalid delete command: {json.dumps(d)[:200]}")
    raise SolrError("Invalid delete command")


class _Pairs:
    """A JSON object that keeps repeated keys (Solr's update commands repeat)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.pairs}


def _pairs(pairs: list[tuple[str, Any]]) -> _Pairs:
    return _Pairs(pairs)


def _plain(v: Any) -> Any:
    if isinstance(v, _Pairs):
        return v.as_dict()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _as_doc(doc: Any) -> Any:
    return _plain(doc)


def _parse_xml_update(
    core: Core, body: bytes, params: Params
) -> tuple[list[tuple[str, Any]], bool]:
    if b"<!DOCTYPE" in body[:2048] or b"<!ENTITY" in body[:4096]:
        raise SolrError("DOCTYPE is not allowed in update XML")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SolrError(f"Unexpected XML in update request: {exc}") from None
    ops: list[tuple[str, Any]] = []
    commit = False
    elements = list(root) if root.tag == "update" else [root]
    for el in elements:
        tag = el.tag
        if tag == "add":
            if el.get("commitWithin") not in (None, "-1"):
                commit = True
            for doc_el in el:
                if doc_el.tag != "doc":
                    raise SolrError(
                        f"Unexpected <{doc_el.tag}> tag without an <add> tag surrounding it."
                    )
                doc: dict[str, Any] = {}
                for f in doc_el:
                    if f.tag != "field":
                        continue
                    name = f.get("name")
                    if not name:
                        raise SolrError("Field without name attribute")
                    if f.get("null") == "true":
                        continue
                    value = f.text or ""
                    if name in doc:
                        prev = doc[name]
                        doc[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
                    else:
                        doc[name] = value
                ops.append(_prepare(core, doc))
        elif tag == "delete":
            for sub in el:
                if sub.tag == "id":
                    ops.append(("delete_id", (sub.text or "").strip()))
                elif sub.tag == "query":
                    ops.append(_delete_query_op(core, sub.text or ""))
                else:
                    raise SolrError(f"unexpected XML tag /delete/{sub.tag}")
        elif tag in ("commit", "optimize"):
            ops.append(("commit", None))
        elif tag == "rollback":
            ops.append(("rollback", None))
        else:
            raise SolrError(f"Unexpected tag without an <add> tag surrounding it: <{tag}>")
    return ops, commit


# ---------------------------------------------------------------------- HTTP

def error_body(msg: str, code: int) -> dict[str, Any]:
    cls = "org.apache.solr.common.SolrException"
    return {
        "responseHeader": {"status": code, "QTime": 0},
        "error": {
            "metadata": ["error-class", cls, "root-error-class", cls],
            "msg": msg,
            "code": code,
        },
    }


class SolrRequestHandler(BaseHTTPRequestHandler):
    server_version = "Jetty(10.0.22)"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the
    # client's delayed ACK add ~40 ms to every keep-alive response
    disable_nagle_algorithm = True
    app: SolrApp
    log_requests = False
    # the core's commit generation after the current update request, for IndexGC
    _queued: int | None = None

    # silence BaseHTTPRequestHandler's stderr logging
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.log_requests:
            log.info("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    # ------------------------------------------------------------------ plumbing
    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.command != "HEAD" and len(body) <= 65536 and hasattr(self, "_headers_buffer"):
            # headers and a small body in one write: one system call (and one release
            # of the GIL) fewer per request; end_headers() would write them apart
            self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
            self._headers_buffer.append(body)  # type: ignore[attr-defined]
            self.flush_headers()
            return
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._send(code, body, "application/json;charset=utf-8")

    def _read_body(self) -> bytes:
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return self._read_chunked()
        length_raw = self.headers.get("Content-Length")
        if not length_raw:
            return b""
        try:
            length = int(length_raw)
        except ValueError:
            raise SolrError("Invalid Content-Length", 400) from None
        if length > self.app.max_body:
            self.close_connection = True
            raise SolrError(
                f"Request body too large: {length} bytes exceeds the limit of "
                f"{self.app.max_body} bytes",
                413,
            )
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                break
            total += size
            if total > self.app.max_body:
                self.close_connection = True
                raise SolrError(
                    f"Request body too large: exceeds the limit of {self.app.max_body} bytes",
                    413,
                )
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)
        return b"".join(chunks)

    def _handle(self, method: str) -> None:
        t0 = time.perf_counter()
        status = 200
        try:
            status = self._dispatch(method, t0)
        except SolrError as exc:
            status = exc.code
            self._send_json(exc.code, error_body(exc.msg, exc.code))
        except (BrokenPipeError, ConnectionResetError):
            status = 499
        except Exception as exc:  # noqa: BLE001 - must answer 500, never die
            status = 500
            log.exception("search server: unhandled error for %s %s", method, self.path)
            body = error_body(f"{type(exc).__name__}: {exc}", 500)
            body["error"]["trace"] = traceback.format_exc()
            try:
                self._send_json(500, body)
            except OSError:
                pass
        finally:
            if self.app.index_gc is not None:
                self.app.index_gc.note(self._queued)
                self._queued = None
            if self.log_requests:
                log.info(
                    "%s %s %s %.1fms", method, self.path[:200], status,
                    (time.perf_counter() - t0) * 1000,
                )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request is written by _handle

    def _dispatch(self, method: str, t0: float) -> int:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        body = b""
        if method == "POST":
            body = self._read_body()
        segs = [s for s in path.split("/") if s]
        if not segs or segs[0] != "solr":
            raise SolrError(f"Not Found: {parts.path}", 404)
        if len(segs) >= 2 and segs[1] == "admin":
            return self._admin(segs[2:], Params(pairs), t0)
        if len(segs) < 3:
            raise SolrError(f"Not Found: {parts.path}", 404)
        core = self.app.core(segs[1])
        handler = "/".join(segs[2:])
        ctype = self.headers.get("Content-Type", "") or ""
        if handler == "select" or handler == "query":
            if method == "POST":
                if ctype.split(";")[0].strip().lower() in (
                    "application/x-www-form-urlencoded", "",
                ):
                    try:
                        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                    except UnicodeDecodeError:
                        raise SolrError("Invalid UTF-8 in form body") from None
                else:
                    raise SolrError(
                        f"Unsupported content type for /select: {ctype}", 415
                    )
            params = Params(pairs)
            wt = params.get("wt", "json")
            if wt not in ("json", None, ""):
                raise SolrError(f"Unknown response writer: {wt} (only wt=json is supported)")
            result = select(core, params)
            header: dict[str, Any] = {
                "status": 0,
                "QTime": int((time.perf_counter() - t0) * 1000),
                "params": params.echo(),
            }
            if _truthy(params.get("omitHeader")):
                self._send_json(200, result)
            else:
                self._send_json(200, {"responseHeader": header, **result})
            return 200
        if handler in ("update", "update/json", "update/xml", "update/json/docs"):
            params = Params(pairs)
            if handler == "update/json/docs" and body.strip()[:1] == b"{":
                body = b"[" + body + b"]"
            deferred = self.app.update(core, params, body, ctype, defer_analysis=True)
            self._send_json(200, {"responseHeader": {
                "status": 0, "QTime": int((time.perf_counter() - t0) * 1000)}})
            # the documents are validated and queued in order; analysing them after the
            # answer lets the client go on (a commit arriving first does it itself)
            try:
                core.finish_analysis(deferred)
            except Exception:  # noqa: BLE001 - the answer is sent; the commit will retry
                log.exception("search server: analysing queued documents failed")
            self._queued = core.generation
            return 200
        if handler == "schema" or handler.startswith("schema/"):
            params = Params(pairs)
            return self._schema(core, handler, params, t0)
        if handler == "admin/file":
            params = Params(pairs)
            fname = params.get("file", "")
            if fname in ("schema.xml", "managed-schema", "managed-schema.xml"):
                self._send(200, self.app.schema.raw_xml, "application/xml;charset=utf-8")
                return 200
            raise SolrError(f"Can not find: {fname}", 404)
        if handler == "admin/ping":
            with core.read():
                pass
            self._send_json(200, {
                "responseHeader": {"zkConnected": None, "status": 0,
                                   "QTime": int((time.perf_counter() - t0) * 1000),
                                   "params": Params(pairs).echo()},
                "status": "OK",
            })
            return 200
        if handler == "admin/luke":
            self._send_json(200, {
                "responseHeader": {"status": 0, "QTime": 0},
                "index": {"numDocs": core.num_docs, "maxDoc": core.num_docs},
            })
            return 200
        raise SolrError(f"Not Found: /solr/{segs[1]}/{handler}", 404)

    def _schema(self, core: Core, handler: str, params: Params, t0: float) -> int:
        schema = self.app.schema
        if params.get("wt") == "schema.xml" or handler == "schema/schema.xml":
            self._send(200, schema.raw_xml, "application/xml;charset=utf-8")
            return 200
        header = {"status": 0, "QTime": int((time.perf_counter() - t0) * 1000)}
        sub = handler[len("schema/"):] if handler.startswith("schema/") else ""
        if sub == "name":
            self._send_json(200, {"responseHeader": header, "name": schema.name})
        elif sub == "version":
            self._send_json(200, {"responseHeader": header, "version": _num(schema.version)})
        elif sub == "uniquekey":
            self._send_json(200, {"responseHeader": header, "uniqueKey": schema.unique_key})
        elif sub == "":
            self._send_json(200, {"responseHeader": header, "schema": {
                "name": schema.name,
                "version": _num(schema.version),
                "uniqueKey": schema.unique_key,
                "fields": [_field_json(f) for f in _values(schema.fields)],
                "dynamicFields": [_field_json(f) for f in _values(schema.dynamic_fields)],
            }})
        else:
            raise SolrError(f"Not Found: /schema/{sub}", 404)
        return 200

    def _admin(self, segs: list[str], params: Params, t0: float) -> int:
        header = {"status": 0, "QTime": int((time.perf_counter() - t0) * 1000)}
        what = "/".join(segs)
        if what == "cores":
            action = (params.get("action") or "STATUS").upper()
            if action != "STATUS":
                raise SolrError(f"Unsupported core admin action: {action}")
            wanted = params.get("core")
            status: dict[str, Any] = {}
            for name, core in sorted(self.app.cores.items()):
                if wanted and wanted != name:
                    continue
                status[name] = {
                    "name": name,
                    "instanceDir": self.app.data_dir or "(memory)",
                    "dataDir": core.path or "(memory)",
                    "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(core.start_time)),
                    "uptime": int((time.time() - core.start_time) * 1000),
                    # version: the number of commits that changed the index
                    "index": {"numDocs": core.num_docs, "maxDoc": core.num_docs,
                              "version": core.generation, "current": True},
                }
            self._send_json(200, {"responseHeader": header, "initFailures": {},
                                  "status": status})
            return 200
        if what == "info/system":
            self._send_json(200, {"responseHeader": header, "mode": "std", "lucene": {
                "solr-spec-version": SOLR_SPEC_VERSION,
                "solr-impl-version": f"{SOLR_SPEC_VERSION} ckanext-gemeente embedded",
                "lucene-spec-version": "9.11.1",
            }})
            return 200
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


class SolrHTTPServer(ThreadingHTTPServer):
    """One thread per open connection, as ThreadingHTTPServer, but threads are reused.

    CKAN opens a new connection for every document it indexes; starting a thread for
    each cost the server a few per cent of its CPU. A finished connection's thread waits
    for the next one (at most ``max_idle`` wait); a new thread starts only when none is
    free, so a slow or keep-alive connection never holds up another.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    max_idle = 32

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._idle = 0
        self._workers = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._pool_lock:
            if self._idle:
                self._idle -= 1
            else:
                self._workers += 1
                threading.Thread(target=self._work, daemon=True).start()
        self._connections.put((request, client_address))

    def _work(self) -> None:
        while True:
            item = self._connections.get()
            if item is None:
                return
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001 - as socketserver: report, keep serving
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._pool_lock:
                if self._idle >= self.max_idle:
                    self._workers -= 1
                    return
                self._idle += 1

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            idle, self._idle = self._idle, 0
            self._workers -= idle
        for _ in range(idle):
            self._connections.put(None)


def make_server(
    app: SolrApp, host: str = "127.0.0.1", port: int = 8983, *, log_requests: bool = False
) -> SolrHTTPServer:
    handler: Callable[..., SolrRequestHandler] = type(
        "BoundSolrRequestHandler",
        (SolrRequestHandler,),
        {"app": app, "log_requests": log_requests},
    )
    return SolrHTTPServer((host, port), handler)
