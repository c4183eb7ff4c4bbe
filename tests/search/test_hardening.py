"""Bad and hostile requests against the search server, as a new user would try them.

Each test sends the request over a real socket (raw bytes where a client library would
not send it) and checks the answer and that the server keeps serving afterwards.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pysolr
import pytest
import requests

from ckanext.gemeente.search import SearchServer
from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.update_request import DOCTYPE_REFUSED, parse_xml

SOLR_EXC = "org.apache.solr.common.SolrException"


@pytest.fixture()
def server() -> Iterator[SearchServer]:
    with SearchServer(port=0, max_body=16384, timeout=2.0, max_connections=8) as srv:
        yield srv


def doc(n: int, **fields: Any) -> dict[str, Any]:
    d = {"index_id": f"idx-{n}", "id": f"id-{n}", "site_id": "test", "name": f"name-{n}",
         "state": "active", "entity_type": "package"}
    d.update(fields)
    return d


def hits(srv: SearchServer, q: str = "*:*") -> int:
    return pysolr.Solr(srv.url, timeout=10).search(q).hits


def assert_solr_error(resp: requests.Response, code: int, msg: str) -> None:
    assert resp.status_code == code, resp.text
    body = resp.json()
    assert body["responseHeader"]["status"] == code
    assert body["error"]["code"] == code
    assert body["error"]["metadata"] == ["error-class", SOLR_EXC, "root-error-class", SOLR_EXC]
    assert msg in body["error"]["msg"], body["error"]["msg"]


def raw(srv: SearchServer, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    with socket.create_connection((srv.host, srv.port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                part = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not part:
                break
            chunks.append(part)
    return b"".join(chunks)


def responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split HTTP/1.1 responses with Content-Length bodies (status, headers, body)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def post(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: x", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# ---------------------------------------------------------------------------- XML

XML_DOC = ('<add><doc><field name="index_id">x1</field><field name="id">a</field>'
           '<field name="site_id">s</field><field name="name">n</field>'
           '<field name="title">{title}</field></doc></add>')


@pytest.mark.parametrize("prolog", [
    "",
    "<?xml version='1.0'?>",
    "<!--" + "x" * 5000 + "-->",  # past the first 2-4 KB that a prefix check would read
    "<?xml version='1.0'?>\n<!--" + "x" * 5000 + "-->\n<?pi " + "y" * 3000 + "?>\n",
], ids=["first", "after-declaration", "after-5000-char-comment", "after-comment-and-pi"])
def test_xml_doctype_is_refused_wherever_it_stands(server: SearchServer, prolog: str) -> None:
    body = (prolog + '<!DOCTYPE add [<!ENTITY e "Geheimwoord">]>'
            + XML_DOC.format(title="&e;")).encode()
    r = requests.post(server.url + "/update?commit=true", data=body, timeout=10,
                      headers={"Content-Type": "text/xml"})
    assert_solr_error(r, 400, DOCTYPE_REFUSED)
    assert hits(server) == 0
    assert hits(server, "title:geheimwoord") == 0


def test_billion_laughs_is_a_400_and_cheap(server: SearchServer) -> None:
    ents = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = ("<!--" + "x" * 6000 + '--><!DOCTYPE add [<!ENTITY l0 "ha">' + ents + "]>"
            + XML_DOC.format(title="&l9;")).encode()
    t0 = time.monotonic()
    r = requests.post(server.url + "/update?commit=true", data=body, timeout=10,
                      headers={"Content-Type": "text/xml"})
    assert_solr_error(r, 400, DOCTYPE_REFUSED)
    assert time.monotonic() - t0 < 5  # nothing was expanded
    assert hits(server) == 0


def test_xml_without_doctype_still_works(server: SearchServer) -> None:
    body = XML_DOC.format(title="Bomen &amp; struiken &#233;&#x20AC; <![CDATA[<groen>]]>")
    r = requests.post(server.url + "/update?commit=true", data=body.encode(), timeout=10,
                      headers={"Content-Type": "text/xml"})
    assert r.status_code == 200, r.text
    docs = pysolr.Solr(server.url, timeout=10).search("title:struiken", fl="title").docs
    assert docs == [{"title": "Bomen & struiken é€ <groen>"}]


@pytest.mark.parametrize("body, fragment", [
    (b'<add><doc><field name="title">&undefined;</field></doc></add>', "undefined entity"),
    (b"<add><doc>", "no element found"),
    (b"<!DOCTYPE add SYSTEM 'file:///etc/passwd'><add/>", DOCTYPE_REFUSED),
    (b"<?xml version='1.0'?><!-- only a comment -->", "no element found"),
])
def test_bad_xml_is_a_client_error(body: bytes, fragment: str) -> None:
    with pytest.raises(SolrError) as err:
        parse_xml(body)
    assert err.value.code == 400
    assert fragment in err.value.msg


# ---------------------------------------------------------------------------- bodies

def _chunked(path: str, chunks: list[bytes]) -> bytes:
    return post(path, b"".join(chunks), "Transfer-Encoding: chunked",
                "Content-Type: application/json")


@pytest.mark.parametrize("size_line", [b"-5", b"-1", b"zz", b"0x10", b"+10", b"1 0", b""])
def test_malformed_chunk_size_is_a_400(server: SearchServer, size_line: bytes) -> None:
    # after the bad size line the stream goes on and on: nothing of it must be read
    data = _chunked("/solr/ckan/update", [size_line + b"\r\n", b"[" + b" " * 100_000])
    got = responses(raw(server, data))
    assert [g[0] for g in got] == [400]
    assert b"Invalid chunk size" in got[0][2]
    assert got[0][1]["connection"] == "close"
    assert hits(server) == 0


def test_chunked_body_over_the_limit_is_413(server: SearchServer) -> None:
    payload = json.dumps([doc(1, notes="x" * 20000)]).encode()
    parts = [b"%x\r\n%s\r\n" % (len(payload[i:i + 1000]), payload[i:i + 1000])
             for i in range(0, len(payload), 1000)]
    got = responses(raw(server, _chunked("/solr/ckan/update?commit=true", [*parts, b"0\r\n\r\n"])))
    assert [g[0] for g in got] == [413]
    assert hits(server) == 0
    # within the limit, chunked works (with a chunk extension and a trailer)
    small = json.dumps([doc(2)]).encode()
    body = b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n" % (len(small), small)
    got = responses(raw(server, _chunked("/solr/ckan/update?commit=true", [body])
                        + b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n"))
    assert [g[0] for g in got] == [200, 200]
    assert hits(server) == 1


@pytest.mark.parametrize("length", ["-1", "abc", "1_000", "+20", "99999999999999999999999"])
def test_bad_content_length_is_a_400(server: SearchServer, length: str) -> None:
    got = responses(raw(server, post("/solr/ckan/update", b"[]", f"Content-Length: {length}")))
    assert [g[0] for g in got] == [400]
    assert b"Invalid Content-Length" in got[0][2]


def test_content_length_over_the_limit_is_413_on_every_method(server: SearchServer) -> None:
    for method in ("POST", "GET"):
        data = (f"{method} /solr/ckan/select?q=*:* HTTP/1.1\r\nHost: x\r\n"
                f"Content-Length: 20000\r\n\r\n").encode() + b"x" * 20000
        got = responses(raw(server, data))
        assert [g[0] for g in got] == [413], method
        assert b"Request body too large: 20000 bytes" in got[0][2]


def test_pipelined_requests_each_keep_to_the_limit(server: SearchServer) -> None:
    ok = json.dumps([doc(1)]).encode()
    big = json.dumps([doc(2, notes="x" * 20000)]).encode()
    smuggled = b"GET /solr/evil HTTP/1.1\r\n\r\n"
    data = (
        post("/solr/ckan/update", ok, f"Content-Length: {len(ok)}",
             "Content-Type: application/json")
        # a GET with a body: the body is read (not taken for the next request)
        + b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(smuggled) + smuggled
        + post("/solr/ckan/update?commit=true", b"", "Content-Length: 0")
        + post("/solr/ckan/update?commit=true", big, f"Content-Length: {len(big)}",
               "Content-Type: application/json")
        + b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    got = responses(raw(server, data))
    # the request past the limit is refused and ends the connection: nothing after it
    assert [g[0] for g in got] == [200, 200, 200, 413]
    assert got[-1][1]["connection"] == "close"
    assert hits(server) == 1


def test_content_length_and_chunked_together_reads_chunked_and_closes(
    server: SearchServer,
) -> None:
    small = json.dumps([doc(3)]).encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)
    data = post("/solr/ckan/update?commit=true", body, "Transfer-Encoding: chunked",
                "Content-Length: 3", "Content-Type: application/json")
    got = responses(raw(server, data + b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert [g[0] for g in got] == [200]
    assert got[0][1]["connection"] == "close"
    assert hits(server) == 1


# ---------------------------------------------------------------------------- errors

def test_500_logs_the_traceback_and_answers_without_it(
    server: SearchServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    core = server.app.core("ckan")

    def broken(req: Any) -> dict[str, Any]:
        raise RuntimeError("index afgebrand")

    monkeypatch.setattr(core, "search", broken)
    # a CKAN logging config loaded by an earlier test may have disabled this logger or stopped
    # "ckanext" records from reaching the root logger, where caplog listens: listen on it
    logger = logging.getLogger("ckanext.gemeente.search.solr.server")
    monkeypatch.setattr(logger, "disabled", False)
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.ERROR, logger=logger.name):
            r = requests.get(server.url + "/select?q=*:*", timeout=10)
    finally:
        logger.removeHandler(caplog.handler)
    assert_solr_error(r, 500, "RuntimeError: index afgebrand")
    assert set(r.json()["error"]) == {"metadata", "msg", "code"}
    assert "Traceback" not in r.text and "File \"" not in r.text
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged and "index afgebrand" in caplog.text and "Traceback" in caplog.text
    monkeypatch.undo()
    assert requests.get(server.url + "/select?q=*:*", timeout=10).status_code == 200


# ---------------------------------------------------------------------------- connections

def test_idle_and_slow_connections_time_out(server: SearchServer) -> None:
    t0 = time.monotonic()
    # a request line that never ends, then silence: closed after the 2 s timeout
    assert raw(server, b"GET /solr/ckan/sel", timeout=10) == b""
    # a body that stops half-way: 408 and closed
    got = responses(raw(server, post("/solr/ckan/update", b"[{", "Content-Length: 100"),
                        timeout=10))
    assert [g[0] for g in got] == [408]
    took = time.monotonic() - t0
    assert 3.5 < took < 9, took
    # an idle keep-alive connection is closed after the timeout too
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        t1 = time.monotonic()
        assert s.recv(65536) == b""
        assert 1.5 < time.monotonic() - t1 < 6


def test_connections_past_the_maximum_get_503() -> None:
    with SearchServer(port=0, timeout=10.0, max_connections=3) as srv:
        held = [socket.create_connection((srv.host, srv.port), timeout=10) for _ in range(3)]
        try:
            for s in held:  # each is served (and then kept open, idle)
                s.sendall(b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n\r\n")
                assert s.recv(65536).startswith(b"HTTP/1.1 200")
            got = responses(raw(srv, b"GET /solr/ckan/admin/ping HTTP/1.1\r\nHost: x\r\n\r\n"))
            assert [g[0] for g in got] == [503]
            body = json.loads(got[0][2])
            assert body["error"]["code"] == 503 and "try again later" in body["error"]["msg"]
            assert srv.httpd.refused >= 1
            assert srv.httpd.active_connections == 3
        finally:
            held[0].close()
        deadline = time.monotonic() + 5
        while srv.httpd.active_connections > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert requests.get(srv.url + "/admin/ping", timeout=5).status_code == 200
        for s in held[1:]:
            s.close()


# ---------------------------------------------------------------------------- cores

def test_only_configured_cores_exist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SearchServer(port=0, data_dir=str(data), core=["ckan", "archief"]) as srv:
        for core in ("ckan", "archief"):
            assert requests.get(f"{srv.base_url}/{core}/admin/ping", timeout=5).ok
        for path in ("/nope/select?q=*:*", "/nope/update?commit=true", "/..%2f/select",
                     "/x" * 3 + "/select"):
            r = requests.post(srv.base_url + path, json=[doc(1)], timeout=5)
            assert r.status_code == 404, path
        status = requests.get(f"{srv.base_url}/admin/cores?action=STATUS", timeout=5).json()
        assert sorted(status["status"]) == ["archief", "ckan"]
        assert sorted(srv.app.cores) == ["archief", "ckan"]
    assert sorted(os.listdir(data)) == ["archief.sqlite3", "ckan.sqlite3"]


def test_pysolr_sees_a_missing_core_as_404(server: SearchServer) -> None:
    with pytest.raises(pysolr.SolrError, match="404"):
        pysolr.Solr(f"{server.base_url}/andere", timeout=5).search("*:*")


def test_command_line_serves_only_its_cores(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "data"
    secret_file = tmp_path / "secret"
    secret_file.write_text("zeer-geheim\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ckanext.gemeente.search", "--port", str(port),
         "--data", str(data), "--core", "ckan", "--core", "test",
         "--secret-file", str(secret_file), "--max-connections", "4", "--timeout", "5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}/solr"
        auth = {"X-Search-Secret": "zeer-geheim"}
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/ckan/admin/ping", headers=auth, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.1)
        assert requests.get(f"{base}/ckan/admin/ping", timeout=5).status_code == 401
        assert requests.get(f"{base}/test/admin/ping", headers=auth, timeout=5).ok
        assert requests.get(f"{base}/other/select", headers=auth, timeout=5).status_code == 404
    finally:
        proc.terminate()
        proc.wait(30)
    assert sorted(os.listdir(data)) == ["ckan.sqlite3", "test.sqlite3"] or \
        sorted(p for p in os.listdir(data) if p.endswith(".sqlite3")) == \
        ["ckan.sqlite3", "test.sqlite3"]


# ---------------------------------------------------------------------------- access

def test_listens_on_loopback_by_default() -> None:
    with SearchServer(port=0) as srv:
        assert srv.httpd.server_address[0] == "127.0.0.1"
        assert srv.url.startswith("http://127.0.0.1:")


def test_shared_secret_header_and_basic_auth() -> None:
    with SearchServer(port=0, secret="s3cr3t-gemeente") as srv:
        url = srv.url + "/select?q=*:*"
        r = requests.get(url, timeout=5)
        assert_solr_error(r, 401, "shared secret")
        assert r.headers["WWW-Authenticate"].startswith("Basic")
        assert requests.get(url, headers={"X-Search-Secret": "wrong"}, timeout=5).status_code \
            == 401
        assert requests.get(url, headers={"X-Search-Secret": "s3cr3t-gemeente"},
                            timeout=5).status_code == 200
        bad = base64.b64encode(b"ckan:nope").decode()
        assert requests.get(url, headers={"Authorization": f"Basic {bad}"},
                            timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Basic !!!"},
                            timeout=5).status_code == 401
        # what CKAN sends with solr_user/solr_password: the credentials in the URL
        authed = srv.url.replace("http://", "http://ckan:s3cr3t-gemeente@")
        solr = pysolr.Solr(authed, timeout=5)
        solr.add([doc(1)], commit=True)
        assert solr.search("*:*").hits == 1
        # an update without the secret changes nothing
        r = requests.post(srv.url + "/update?commit=true", json=[doc(2)], timeout=5)
        assert r.status_code == 401
        assert solr.search("*:*").hits == 1
        # nor is its body read: the answer comes before any of the 50 MB announced
        t0 = time.monotonic()
        got = responses(raw(srv, post("/solr/ckan/update", b"", "Content-Length: 50000000")))
        assert [g[0] for g in got] == [401]
        assert got[0][1]["connection"] == "close"
        assert time.monotonic() - t0 < 5


def test_ckan_reaches_a_server_with_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from ckan.common import config
    from ckan.lib.search import check_solr_schema_version, common
    from ckan.lib.search.common import make_connection

    settings = getattr(common, "SolrSettings", None)  # CKAN 2.11 keeps them from start-up

    def use(url: str, user: str, password: str) -> None:
        monkeypatch.setitem(config, "solr_url", url)
        monkeypatch.setitem(config, "solr_user", user)
        monkeypatch.setitem(config, "solr_password", password)
        if settings is not None:
            monkeypatch.setattr(settings, "_url", url)
            monkeypatch.setattr(settings, "_user", user)
            monkeypatch.setattr(settings, "_password", password)

    with SearchServer(port=0, secret="p@ss/w:rd") as srv:
        use(srv.url, "ckan", "p@ss/w:rd")
        assert check_solr_schema_version() is True
        conn = make_connection()
        conn.add([doc(7)], commit=True)
        assert conn.search("*:*").hits == 1
        assert srv.app.core("ckan").num_docs == 1  # it went to this server
        use(srv.url, "ckan", "fout")
        with pytest.raises(pysolr.SolrError, match="401"):
            make_connection().search("*:*")
