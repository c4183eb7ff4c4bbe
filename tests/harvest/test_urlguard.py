"""The shared URL guard against real local HTTP servers (no CKAN needed)."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator

import pytest
from harvest_servers import HTTPServer, body, endless, redirect, slow

from ckanext.gemeente import urlguard
from ckanext.gemeente.urlguard import (
    GuardPolicy,
    ResponseTooLarge,
    SourceError,
    SourceTimeout,
    URLRefused,
)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer().start()
    yield srv
    srv.stop()


def test_allowed_host_by_name_is_fetched(server: HTTPServer) -> None:
    server.routes["/inventaris.csv"] = body("titel;omschrijving\n", content_type="text/csv; "
                                            "charset=windows-1252")
    policy = GuardPolicy(allow_hosts=("localhost",))
    with urlguard.open_url(server.url("/inventaris.csv", host="localhost"), policy) as resp:
        assert resp.status == 200
        assert resp.encoding == "windows-1252"
        assert resp.read() == b"titel;omschrijving\n"


def test_allowed_network_cidr(server: HTTPServer) -> None:
    server.routes["/a"] = body("ok")
    assert urlguard.fetch_bytes(server.url("/a"), GuardPolicy(allow_hosts=("127.0.0.0/8",))) \
        == b"ok"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.1.2.3:8080/x", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.1.2.3/", "privé"),
        ("http://192.168.10.5/inventaris.xlsx", "privé"),
        ("http://172.16.0.1/", "privé"),
        ("http://[fd00::1]/", "privé"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "ongespecificeerd"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "niet-publiek"),
    ],
)
def test_forbidden_addresses(url: str, reason: str) -> None:
    with pytest.raises(URLRefused, match=reason):
        urlguard.check_url(url, GuardPolicy())


def test_dns_name_resolving_to_loopback_is_refused(server: HTTPServer) -> None:
    server.routes["/a"] = body("geheim")
    with pytest.raises(URLRefused, match="localhost wijst naar .*loopback"):
        urlguard.fetch_bytes(server.url("/a", host="localhost"), GuardPolicy())
    assert server.hits == []


@pytest.mark.parametrize("url", ["ftp://example.org/a.csv", "gopher://x/", "file:///etc/passwd",
                                 "javascript:alert(1)", "http:///nohost"])
def test_other_schemes_refused(url: str) -> None:
    with pytest.raises(URLRefused):
        urlguard.check_url(url, GuardPolicy())


def test_redirect_to_loopback_is_refused(server: HTTPServer) -> None:
    """The first hop is an allowed internal host; its redirect to 127.0.0.1 is not."""
    server.routes["/start"] = redirect(server.url("/geheim"))
    server.routes["/geheim"] = body("redis-wachtwoord")
    policy = GuardPolicy(allow_hosts=("localhost",))
    with pytest.raises(URLRefused, match="127.0.0.1.*loopback"):
        urlguard.fetch_bytes(server.url("/start", host="localhost"), policy)
    assert server.hits == ["/start"]


def test_redirect_to_private_range_is_refused(server: HTTPServer) -> None:
    server.routes["/start"] = redirect("http://192.168.1.10/admin", status=301)
    with pytest.raises(URLRefused, match="privé"):
        urlguard.fetch_bytes(server.url("/start", host="localhost"),
                             GuardPolicy(allow_hosts=("localhost",)))


def test_allowed_redirect_is_followed(server: HTTPServer) -> None:
    server.routes["/start"] = redirect("/doel", status=307)
    server.routes["/doel"] = body("aangekomen")
    policy = GuardPolicy(allow_hosts=("localhost",))
    with urlguard.open_url(server.url("/start", host="localhost"), policy) as resp:
        assert resp.read() == b"aangekomen"
        assert resp.url.endswith("/doel")


def test_redirect_loop_stops(server: HTTPServer) -> None:
    server.routes["/a"] = redirect("/a")
    with pytest.raises(URLRefused, match="doorverwijzingen"):
        urlguard.fetch_bytes(server.url("/a"), GuardPolicy(allow_hosts=("127.0.0.1",),
                                                           max_redirects=3))
    assert len(server.hits) == 4


def test_size_limit_on_content_length(server: HTTPServer) -> None:
    server.routes["/groot"] = body(b"x" * 5000)
    policy = GuardPolicy(allow_hosts=("127.0.0.1",), max_bytes=4096)
    with pytest.raises(ResponseTooLarge, match="groter"):
        urlguard.fetch_bytes(server.url("/groot"), policy)


def test_size_limit_on_streamed_body(server: HTTPServer) -> None:
    server.routes["/eindeloos"] = endless()
    policy = GuardPolicy(allow_hosts=("127.0.0.1",), max_bytes=1024 * 1024)
    with pytest.raises(ResponseTooLarge):
        urlguard.fetch_bytes(server.url("/eindeloos"), policy)


def test_size_limit_counts_decoded_bytes(server: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    server.routes["/bom"] = body(bomb, headers={"Content-Encoding": "gzip"})
    policy = GuardPolicy(allow_hosts=("127.0.0.1",), max_bytes=1024 * 1024)
    assert len(bomb) < policy.max_bytes
    with pytest.raises(ResponseTooLarge):
        urlguard.fetch_bytes(server.url("/bom"), policy)


def test_read_timeout(server: HTTPServer) -> None:
    server.routes["/traag"] = slow(3)
    policy = GuardPolicy(allow_hosts=("127.0.0.1",), read_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        urlguard.fetch_bytes(server.url("/traag"), policy)
    assert time.monotonic() - started < 2.5


def test_http_error_status(server: HTTPServer) -> None:
    server.routes["/kapot"] = body("fout", status=500)
    with pytest.raises(SourceError) as info:
        urlguard.fetch_bytes(server.url("/kapot"), GuardPolicy(allow_hosts=("127.0.0.1",)))
    assert info.value.status == 500
    assert isinstance(info.value, OSError)
    with pytest.raises(SourceError) as info:
        urlguard.fetch_bytes(server.url("/bestaat-niet"), GuardPolicy(allow_hosts=("127.0.0.1",)))
    assert info.value.status == 404


def test_unreachable_port() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(SourceError) as info:
        urlguard.fetch_bytes(f"http://127.0.0.1:{port}/", GuardPolicy(allow_hosts=("127.0.0.1",)))
    assert info.value.status is None


def test_credentials_not_in_messages() -> None:
    with pytest.raises(URLRefused) as info:
        urlguard.check_url("http://admin:Geheim123@10.0.0.5/x", GuardPolicy())
    assert "Geheim123" not in str(info.value)
    assert urlguard.redact_url("postgresql://u:pw@db/x") == "postgresql://u:***@db/x"


def test_local_files_only_under_roots(tmp_path: os.PathLike[str]) -> None:
    root = os.path.join(tmp_path, "share")
    os.makedirs(root)
    inside = os.path.join(root, "inventaris.csv")
    with open(inside, "wb") as fh:
        fh.write(b"titel\n")
    outside = os.path.join(tmp_path, "elders.csv")
    with open(outside, "wb") as fh:
        fh.write(b"x\n")
    os.symlink(outside, os.path.join(root, "link.csv"))
    policy = GuardPolicy(file_roots=(root,))
    with urlguard.open_source(inside, policy) as fh:
        assert fh.read() == b"titel\n"
    with urlguard.open_source("file://" + inside, policy) as fh:
        assert fh.read() == b"titel\n"
    for bad in (outside, os.path.join(root, "..", "elders.csv"), os.path.join(root, "link.csv")):
        with pytest.raises(URLRefused, match="buiten"):
            with urlguard.open_source(bad, policy):
                pass
    with pytest.raises(URLRefused, match="niet toegestaan"):
        with urlguard.open_source(inside, GuardPolicy()):
            pass
    with pytest.raises(ResponseTooLarge):
        with urlguard.open_source(inside, GuardPolicy(file_roots=(root,), max_bytes=3)):
            pass


def test_open_source_over_http(server: HTTPServer) -> None:
    server.routes["/data.csv"] = body(b"a;b\n" * 10000)
    with urlguard.open_source(server.url("/data.csv"),
                              GuardPolicy(allow_hosts=("127.0.0.1",))) as fh:
        assert fh.readline() == b"a;b\n"
        assert len(fh.read()) == 4 * 9999


def test_policy_from_config() -> None:
    policy = urlguard.policy_from_config({
        "ckanext.gemeente.harvest.allow_hosts": "gis.intern.gemeente.nl, 10.20.0.0/16",
        "ckanext.gemeente.harvest.file_roots": "/srv/shares /mnt/inventaris",
        "ckanext.gemeente.harvest.max_response_mb": "2",
        "ckanext.gemeente.harvest.connect_timeout": "3",
        "ckanext.gemeente.harvest.read_timeout": "7.5",
    })
    assert policy.allow_hosts == ("gis.intern.gemeente.nl", "10.20.0.0/16")
    assert policy.file_roots == ("/srv/shares", "/mnt/inventaris")
    assert policy.max_bytes == 2 * 1024 * 1024
    assert (policy.connect_timeout, policy.read_timeout) == (3.0, 7.5)
    urlguard.check_url("http://10.20.3.4/", policy)
    with pytest.raises(URLRefused):
        urlguard.check_url("http://10.21.3.4/", policy)
    assert urlguard.policy_from_config({}) == GuardPolicy()
