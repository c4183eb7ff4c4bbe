"""Local servers for the harvest tests: an HTTP server with programmable routes, an SMTP sink.

Both listen on 127.0.0.1 on a free port (port 0) and run in a daemon thread. The HTTP
server plays a municipality's internal file server or a hostile site (redirects to
loopback, huge or slow answers); the SMTP server collects the messages the harvest CLI sends.
"""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


def body(data: bytes | str, status: int = 200, content_type: str = "text/plain",
         headers: dict[str, str] | None = None) -> Route:
    raw = data.encode("utf-8") if isinstance(data, str) else data

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def endless(chunk: bytes = b"x" * 65536) -> Route:
    """A body without Content-Length that never ends (the guard must stop reading)."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.end_headers()
        try:
            while True:
                h.wfile.write(chunk)
        except OSError:
            pass

    return route


def slow(seconds: float) -> Route:
    """Headers sent, then silence for ``seconds`` before the body."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.flush()
        time.sleep(seconds)
        try:
            h.wfile.write(b"ok")
        except OSError:
            pass

    return route


class HTTPServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                server.hits.append(self.path)
                route = server.routes.get(path)
                if route is None:
                    body("niet gevonden", status=404)(self)
                else:
                    route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> HTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@dataclass
class SMTPSink:
    """A minimal SMTP server (RFC 5321 subset enough for smtplib) collecting messages."""

    messages: list[Message] = field(default_factory=list)
    port: int = 0

    def start(self) -> SMTPSink:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 sink ESMTP\r\n")
                data: list[bytes] | None = None
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    if data is not None:
                        if line in (b".\r\n", b".\n"):
                            raw = b"".join(data)
                            sink.messages.append(email.message_from_bytes(raw))
                            data = None
                            self.wfile.write(b"250 OK\r\n")
                        else:
                            data.append(line[1:] if line.startswith(b"..") else line)
                        continue
                    cmd = line[:4].upper()
                    if cmd in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 sink\r\n")
                    elif cmd == b"DATA":
                        data = []
                        self.wfile.write(b"354 go ahead\r\n")
                    elif cmd == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
