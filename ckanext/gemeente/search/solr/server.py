"""HTTP front end of the search server: sockets, request bodies, limits, access.

Reads each request off its connection (HTTP/1.1, keep-alive), checks the optional shared
secret, reads the body within ``max_body`` however it arrives (``Content-Length``,
``chunked``, on any method, so that a pipelined next request starts where this one ends),
hands the request to :class:`.app.SolrApp` and writes the answer. Limits:

* every socket read and write times out after ``timeout`` seconds (an idle keep-alive
  connection is closed then, a slow request answered 408);
* at most ``max_connections`` connections are served at once, each on one thread
  (threads are reused); a connection past that is answered 503 and closed;
* errors are Solr's JSON error shape; an unexpected one is logged with its traceback and
  answered 500 without it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .app import Response, SolrApp, json_response
from .errors import SolrError
from .render import error_body

log = logging.getLogger(__name__)

#: the header that carries the shared secret (besides HTTP Basic auth's password)
SECRET_HEADER = "X-Search-Secret"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 64

_CHUNK_SIZE_RE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGITS_RE = re.compile(r"[0-9]{1,19}")
_MAX_LINE = 8192
_MAX_TRAILERS = 64


def _too_large(limit: int, length: int | None = None) -> SolrError:
    what = f"{length} bytes exceeds" if length is not None else "exceeds"
    return SolrError(f"Request body too large: {what} the limit of {limit} bytes", 413)


class SolrRequestHandler(BaseHTTPRequestHandler):
    server_version = "Jetty(10.0.22)"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the
    # client's delayed ACK add ~40 ms to every keep-alive response
    disable_nagle_algorithm = True
    #: socket timeout (StreamRequestHandler sets it on the connection)
    timeout: float | None = DEFAULT_TIMEOUT
    app: SolrApp
    log_requests = False
    secret: bytes | None = None

    # silence BaseHTTPRequestHandler's stderr logging
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.log_requests:
            log.info("%s - %s", self.address_string(), format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request is written by _handle

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    # ------------------------------------------------------------------ writing
    def _send(self, resp: Response) -> None:
        body = resp.body
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
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

    # ------------------------------------------------------------------ reading
    def _read_body(self) -> bytes:
        """The request body within ``max_body`` (413 past it, 400 when malformed).

        Read on every method so the next request on the connection starts right after
        it; ``Transfer-Encoding`` wins over ``Content-Length`` (RFC 9112), and such a
        request closes the connection afterwards.
        """
        limit = self.app.max_body
        te = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if te:
            codings = [c.strip().lower() for v in te for c in v.split(",") if c.strip()]
            if codings != ["chunked"]:
                self.close_connection = True
                raise SolrError(f"Unsupported Transfer-Encoding: {', '.join(te)[:100]}", 501)
            if lengths:
                self.close_connection = True
            return self._read_chunked(limit)
        if not lengths:
            return b""
        values = {v.strip() for v in lengths}
        if len(values) != 1 or not _DIGITS_RE.fullmatch(next(iter(values))):
            self.close_connection = True
            raise SolrError("Invalid Content-Length", 400)
        length = int(next(iter(values)))
        if length > limit:
            self.close_connection = True
            raise _too_large(limit, length)
        data = self.rfile.read(length)
        if len(data) != length:
            self.close_connection = True
            raise SolrError("Incomplete request body", 400)
        return data

    def _readline(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            self.close_connection = True
            raise SolrError("Invalid chunked body: line too long", 400)
        if not line:
            self.close_connection = True
            raise SolrError("Invalid chunked body: unexpected end of stream", 400)
        return line

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self._readline()
            size_text = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE_RE.fullmatch(size_text):
                self.close_connection = True
                raise SolrError(f"Invalid chunk size: {size_text[:40]!r}", 400)
            size = int(size_text, 16)
            if size == 0:
                for _ in range(_MAX_TRAILERS):
                    if self._readline() in (b"\r\n", b"\n"):
                        break
                else:
                    self.close_connection = True
                    raise SolrError("Invalid chunked body: too many trailer lines", 400)
                break
            total += size
            if total > limit:
                self.close_connection = True
                raise _too_large(limit)
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                self.close_connection = True
                raise SolrError("Invalid chunked body: chunk data does not match its size", 400)
            chunks.append(data)
        return b"".join(chunks)

    def _authorized(self) -> bool:
        secret = self.secret
        if secret is None:
            return True
        given = self.headers.get(SECRET_HEADER)
        if given is not None:
            return hmac.compare_digest(given.encode("utf-8", "replace"), secret)
        auth = self.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            _user, sep, password = decoded.partition(b":")
            return bool(sep) and hmac.compare_digest(password, secret)
        return False

    # ------------------------------------------------------------------ handling
    def _handle(self, method: str) -> None:
        t0 = time.perf_counter()
        status = 200
        generation: int | None = None
        after: Callable[[], None] | None = None
        try:
            try:
                if not self._authorized():  # before the body: it is never read then
                    self.close_connection = True
                    raise SolrError("Unauthorized request: missing or wrong shared secret", 401)
                body = self._read_body()
                parts = urlsplit(self.path)
                resp = self.app.handle(method, parts.path, parts.query,
                                       self.headers.get("Content-Type", "") or "", body, t0)
            except SolrError as exc:
                resp = json_response(exc.code, error_body(exc.msg, exc.code))
            except TimeoutError:
                self.close_connection = True
                resp = json_response(408, error_body("Timeout reading the request", 408))
            except Exception as exc:  # noqa: BLE001 - must answer 500, never die
                log.exception("search server: unhandled error for %s %s", method,
                              self.path[:200])
                resp = json_response(500, error_body(f"{type(exc).__name__}: {exc}", 500))
            status = resp.status
            generation, after = resp.generation, resp.after
            self._send(resp)
            if after is not None:
                after()
        except OSError:  # the client went away (reset, broken pipe, write timeout)
            status = 499
            self.close_connection = True
        finally:
            if self.app.index_gc is not None:
                self.app.index_gc.note(generation)
            if self.log_requests:
                log.info("%s %s %s %.1fms", method, self.path[:200], status,
                         (time.perf_counter() - t0) * 1000)

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="search"')


_BUSY = (
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json;charset=utf-8\r\n"
    "Connection: close\r\n"
    "Content-Length: {length}\r\n\r\n"
)


class SolrHTTPServer(ThreadingHTTPServer):
    """One thread per open connection, at most ``max_connections``, threads reused.

    CKAN opens a new connection for every document it indexes; starting a thread for
    each cost the server a few per cent of its CPU. A finished connection's thread waits
    for the next one (at most ``max_idle`` wait); a new thread starts only when none is
    free, so a slow or keep-alive connection never holds up another. A connection past
    ``max_connections`` is answered 503 at once and closed.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    max_idle = 32

    def __init__(self, *args: Any, max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self._connections: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._idle = 0
        self._workers = 0
        self._active = 0
        #: connections refused with 503 since start
        self.refused = 0

    @property
    def active_connections(self) -> int:
        return self._active

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._pool_lock:
            if self._active >= self.max_connections:
                self.refused += 1
                busy = True
            else:
                busy = False
                self._active += 1
                if self._idle:
                    self._idle -= 1
                else:
                    self._workers += 1
                    threading.Thread(target=self._work, daemon=True).start()
        if busy:
            self._refuse(request)
            return
        self._connections.put((request, client_address))

    def _refuse(self, request: socket.socket) -> None:
        body = json.dumps(error_body(
            f"Server busy: {self.max_connections} connections open, try again later", 503,
        )).encode()
        try:
            request.settimeout(1.0)
            request.sendall(_BUSY.format(length=len(body)).encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)

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
                self._active -= 1
                if self._idle >= self.max_idle:
                    self._workers -= 1
                    return
                self._idle += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("search server: error on the connection from %s", client_address)

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            idle, self._idle = self._idle, 0
            self._workers -= idle
        for _ in range(idle):
            self._connections.put(None)


def make_server(
    app: SolrApp,
    host: str = "127.0.0.1",
    port: int = 8983,
    *,
    log_requests: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    secret: str | None = None,
) -> SolrHTTPServer:
    handler: Callable[..., SolrRequestHandler] = type(
        "BoundSolrRequestHandler",
        (SolrRequestHandler,),
        {"app": app, "log_requests": log_requests, "timeout": timeout,
         "secret": secret.encode("utf-8") if secret else None},
    )
    return SolrHTTPServer((host, port), handler, max_connections=max_connections)
