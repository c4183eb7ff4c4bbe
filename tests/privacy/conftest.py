"""Fixtures of the privacy review tests (gemeente_privacy).

``town``: a clean database with the plugin's tables, one department (organization) with an
editor and an organization admin, a privacy officer, a coordinator, a sysadmin, a plain
user, each with an API token, and a helper to move a dataset through the review.
``smtp_server``: a local SMTP server on a free port collecting the mails CKAN sends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from privacy_testdata import Town, call


@pytest.fixture
def town(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]) -> Town:
    from ckan.tests import factories

    migrate_db_for("activity")
    migrate_db_for("gemeente_privacy")
    users = {
        "sysadmin": factories.SysadminWithToken(name="beheerder", email="beheer@gemeente.test"),
        "editor": factories.UserWithToken(name="redacteur", email="redacteur@gemeente.test"),
        "org_admin": factories.UserWithToken(name="afdelingshoofd", email="hoofd@gemeente.test"),
        "officer": factories.UserWithToken(name="privacy-officer", email="fg@gemeente.test"),
        "officer2": factories.UserWithToken(name="privacy-officer-2", email="fg2@gemeente.test"),
        "coordinator": factories.UserWithToken(name="coordinator", email="od@gemeente.test"),
        "user": factories.UserWithToken(name="inwoner", email="inwoner@example.test"),
    }
    org = factories.Organization(
        name="openbare-ruimte", title="Openbare Ruimte",
        users=[{"name": users["editor"]["name"], "capacity": "editor"},
               {"name": users["org_admin"]["name"], "capacity": "admin"}])
    other = factories.Organization(name="burgerzaken", title="Burgerzaken")
    for name, role in (("officer", "privacy_officer"), ("officer2", "privacy_officer"),
                       ("coordinator", "coordinator")):
        call("gemeente_review_role_grant", users["sysadmin"], user=users[name]["name"],
             role=role)
    return Town(users, org, other)


class SmtpSink:
    """A tiny SMTP server (stdlib sockets) that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.running = True
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        import email

        f = conn.makefile("rb")
        out = conn.makefile("wb")

        def send(line: str) -> None:
            out.write(line.encode() + b"\r\n")
            out.flush()

        send("220 localhost test SMTP")
        mail_from, rcpt = "", []
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").strip()
                upper = cmd.upper()
                if upper.startswith(("EHLO", "HELO")):
                    send("250 localhost")
                elif upper.startswith("MAIL FROM"):
                    mail_from, rcpt = cmd.split(":", 1)[1].strip(), []
                    send("250 OK")
                elif upper.startswith("RCPT TO"):
                    rcpt.append(cmd.split(":", 1)[1].strip().strip("<>"))
                    send("250 OK")
                elif upper == "DATA":
                    send("354 end with .")
                    data = b""
                    while True:
                        chunk = f.readline()
                        if chunk in (b".\r\n", b".\n", b""):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    msg = email.message_from_bytes(data)
                    body = msg.get_payload(decode=True)
                    if body is None and msg.is_multipart():
                        body = msg.get_payload(0).get_payload(decode=True)
                    self.messages.append({
                        "from": mail_from, "to": rcpt, "subject": str(
                            email.header.make_header(email.header.decode_header(
                                msg["Subject"] or ""))),
                        "body": (body or b"").decode("utf-8", "replace")})
                    send("250 queued")
                elif upper == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("250 OK")
        finally:
            conn.close()

    def stop(self) -> None:
        self.running = False
        self.sock.close()


@pytest.fixture
def smtp_server(ckan_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{sink.port}")
    monkeypatch.setitem(ckan_config, "smtp.starttls", False)
    try:
        yield sink
    finally:
        sink.stop()
