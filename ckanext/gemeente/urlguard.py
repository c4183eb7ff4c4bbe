"""The shared guard for untrusted URLs and paths (harvest sources, resource URLs, value lists).

Pure Python, no CKAN imports. A URL given by a portal user may point anywhere, including the
portal's own network (cloud metadata at 169.254.169.254, the database, Redis on localhost).
Everything that fetches such a URL goes through :func:`open_url` / :func:`open_source`:

- only ``http`` and ``https``; local files only under the configured ``file_roots``
  (after resolving symlinks and ``..``);
- the host name is resolved once, every address is checked (no loopback, link-local,
  private, multicast, reserved, unspecified or otherwise non-global address, IPv4 and IPv6,
  IPv4-mapped IPv6 unwrapped), and the connection goes to the checked address (the
  ``Host`` header and TLS server name keep the original name, so there is no second DNS
  look-up an attacker could answer differently);
- redirects are followed here, one hop at a time, each hop checked again;
- a host name or a network (CIDR) in ``allow_hosts`` lifts the address check, as a
  municipality does for its internal servers;
- connect and read timeouts, and a size limit per response enforced on ``Content-Length``
  and on the bytes actually streamed (after content decoding, so a gzip bomb stops too).

Messages of the exceptions are Dutch (they reach harvest job reports) and never contain
credentials: :func:`redact_url` strips a ``user:password@`` part.
"""

from __future__ import annotations

import io
import ipaddress
import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    TimeoutError,
)
from urllib3.exceptions import HTTPError as _Urllib3Error

__all__ = [
    "GuardPolicy",
    "GuardedResponse",
    "ResponseTooLarge",
    "SourceError",
    "SourceTimeout",
    "URLRefused",
    "check_host",
    "check_url",
    "fetch_bytes",
    "open_source",
    "open_url",
    "policy_from_config",
    "redact_url",
]

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_REDIRECTS = {301, 302, 303, 307, 308}
_SCHEMES = {"http", "https"}


class URLRefused(ValueError):
    """The URL may not be fetched (message says why, in Dutch)."""


class ResponseTooLarge(URLRefused):
    """The response (or local file) is larger than the policy's ``max_bytes``."""


class SourceError(OSError):
    """The source answered with a non-2xx status, or could not be reached (``status`` None)."""

    def __init__(self, status: int | None, url: str, reason: str = "") -> None:
        self.status = status
        self.url = redact_url(url)
        self.reason = reason
        if status is not None:
            msg = f"Bron antwoordde met HTTP {status}: {self.url}"
        else:
            msg = f"Bron niet bereikbaar: {self.url}"
        if reason:
            msg += f" ({reason})"
        super().__init__(msg)

    def __str__(self) -> str:
        return self.args[0]


class SourceTimeout(SourceError):
    """Connect or read time-out (``status`` is None)."""


@dataclass(frozen=True)
class GuardPolicy:
    allow_hosts: tuple[str, ...] = ()  # host names and/or CIDR networks
    file_roots: tuple[str, ...] = ()  # absolute directories; empty = no local files
    max_bytes: int = 100 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_redirects: int = 5
    # Extension: wall-clock limit for a whole download (None: only the per-read timeout).
    total_timeout: float | None = None

    def allowed_names(self) -> frozenset[str]:
        return frozenset(h.strip().lower().rstrip(".") for h in self.allow_hosts if not _is_net(h))

    def allowed_networks(self) -> tuple[_Network, ...]:
        return tuple(ipaddress.ip_network(h.strip(), strict=False) for h in self.allow_hosts
                     if _is_net(h))


def _is_net(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return True


def _split_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value).replace(",", " ").split()
    return tuple(i.strip() for i in items if i.strip())


def policy_from_config(
    config: Mapping[str, Any], prefix: str = "ckanext.gemeente.harvest."
) -> GuardPolicy:
    """The policy from CKAN-style options ``<prefix>allow_hosts`` etc. (defaults when absent)."""
    default = GuardPolicy()

    def num(key: str, fallback: float) -> float:
        value = config.get(prefix + key)
        if value in (None, ""):
            return fallback
        return float(value)

    roots = tuple(os.path.abspath(r) for r in _split_list(config.get(prefix + "file_roots")))
    total = config.get(prefix + "total_timeout")
    return GuardPolicy(
        allow_hosts=_split_list(config.get(prefix + "allow_hosts")),
        file_roots=roots,
        max_bytes=int(num("max_response_mb", default.max_bytes / (1024 * 1024)) * 1024 * 1024),
        connect_timeout=num("connect_timeout", default.connect_timeout),
        read_timeout=num("read_timeout", default.read_timeout),
        max_redirects=int(num("max_redirects", default.max_redirects)),
        total_timeout=float(total) if total not in (None, "") else None,
    )


def redact_url(url: str) -> str:
    """``url`` without the password of a ``user:password@`` part (for messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<ongeldige URL>"
    if parts.password is None and "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    netloc = f"{user}:***@{host}" if user else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _forbidden(ip: _IPAddress) -> str | None:
    """Why ``ip`` may not be contacted, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return _forbidden(mapped)
    if ip.is_loopback:
        return "loopback-adres"
    if ip.is_link_local:
        return "link-local-adres"
    if ip.is_multicast:
        return "multicast-adres"
    if ip.is_unspecified:
        return "ongespecificeerd adres"
    if ip.is_reserved:
        return "gereserveerd adres"
    if ip.is_private:
        return "privé-adres"
    if not ip.is_global:
        return "niet-publiek adres"
    return None


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as in the URL (lower case, without brackets)
    port: int
    addresses: tuple[str, ...]  # checked addresses to connect to, in resolver order
    path: str  # path + query for the request line
    host_header: str


def _resolve(host: str, port: int) -> list[_IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceError(None, f"//{host}", f"host niet gevonden: {host}") from exc
    seen: list[_IPAddress] = []
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if addr not in seen:
            seen.append(addr)
    return seen


def _target(url: str, policy: GuardPolicy) -> _Target:
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise URLRefused(f"Ongeldige URL: {shown}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise URLRefused(
            f"Alleen http- en https-adressen zijn toegestaan, niet '{scheme or '(geen)'}': {shown}"
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise URLRefused(f"URL zonder host: {shown}")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise SourceError(None, url, f"host niet gevonden: {host}")
    if host not in policy.allowed_names():
        networks = policy.allowed_networks()
        for addr in addresses:
            if any(addr in net for net in networks if addr.version == net.version):
                continue
            reason = _forbidden(addr)
            if reason is not None:
                raise URLRefused(
                    f"Adres geweigerd: {host} wijst naar {addr} ({reason}); neem de host of het "
                    f"netwerk op in ckanext.gemeente.harvest.allow_hosts als dit een vertrouwde "
                    f"interne server is: {shown}"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default_port = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    host_header = name if port == default_port else f"{name}:{port}"
    return _Target(scheme, host, port, tuple(str(a) for a in addresses), path, host_header)


def check_url(url: str, policy: GuardPolicy) -> None:
    """Raise :class:`URLRefused` when ``url`` may not be fetched under ``policy``."""
    _target(url, policy)


class GuardedResponse:
    """An open HTTP response whose body is read within the policy's size and time limits."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str, policy: GuardPolicy) -> None:
        self._raw = raw
        self._policy = policy
        self.status: int = raw.status
        self.headers: Mapping[str, str] = raw.headers
        self.url = url
        self._read = 0
        self._started = time.monotonic()
        length = raw.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > policy.max_bytes:
            raise ResponseTooLarge(self._too_large())

    @property
    def encoding(self) -> str | None:
        ctype = self.headers.get("Content-Type", "")
        for param in ctype.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None

    def _too_large(self) -> str:
        mb = self._policy.max_bytes / (1024 * 1024)
        return f"Antwoord groter dan de toegestane {mb:g} MB: {redact_url(self.url)}"

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        try:
            for chunk in self._raw.stream(chunk_size, decode_content=True):
                self._read += len(chunk)
                if self._read > self._policy.max_bytes:
                    raise ResponseTooLarge(self._too_large())
                total = self._policy.total_timeout
                if total is not None and time.monotonic() - self._started > total:
                    raise SourceTimeout(None, self.url, f"download duurde langer dan {total:g} s")
                yield chunk
        except TimeoutError as exc:
            raise SourceTimeout(None, self.url, "time-out bij lezen") from exc
        except (ProtocolError, _Urllib3Error) as exc:
            raise SourceError(None, self.url, f"verbinding afgebroken: {type(exc).__name__}") \
                from exc

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        self._raw.release_conn()
        self._raw.close()


def _request(
    target: _Target, url: str, policy: GuardPolicy, method: str, headers: dict[str, str]
) -> urllib3.BaseHTTPResponse:
    timeout = urllib3.Timeout(connect=policy.connect_timeout, read=policy.read_timeout)
    last: Exception | None = None
    for address in target.addresses:
        if target.scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, retries=False, maxsize=1,
                server_hostname=target.host, assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(
                address, target.port, timeout=timeout, retries=False, maxsize=1
            )
        try:
            return pool.urlopen(
                method, target.path, headers={**headers, "Host": target.host_header},
                redirect=False, preload_content=False, decode_content=True, retries=False,
                assert_same_host=False,
            )
        except NewConnectionError:
            last = SourceError(None, url, "verbinding geweigerd")
        except ConnectTimeoutError:
            last = SourceTimeout(None, url, "time-out bij verbinden")
        except TimeoutError:
            last = SourceTimeout(None, url, "time-out bij lezen")
        except _Urllib3Error as exc:
            last = SourceError(None, url, type(exc).__name__)
    assert last is not None
    raise last


@contextmanager
def open_url(
    url: str, policy: GuardPolicy, *, headers: dict[str, str] | None = None, method: str = "GET"
) -> Iterator[GuardedResponse]:
    """Open ``url`` (checked, redirects followed and checked); raise on non-2xx answers."""
    hdrs = {"User-Agent": "ckanext-gemeente", "Accept-Encoding": "gzip, deflate"}
    hdrs.update(headers or {})
    current = url
    for _hop in range(policy.max_redirects + 1):
        target = _target(current, policy)
        raw = _request(target, current, policy, method, hdrs)
        if raw.status in _REDIRECTS and raw.headers.get("Location"):
            location = raw.headers["Location"]
            raw.drain_conn()
            raw.release_conn()
            following = urljoin(current, location)
            if urlsplit(following).hostname != urlsplit(current).hostname:
                hdrs.pop("Authorization", None)
                hdrs.pop("Cookie", None)
            if raw.status == 303:
                method = "GET"
            current = following
            continue
        if not 200 <= raw.status < 300:
            raw.release_conn()
            raise SourceError(raw.status, current)
        response = GuardedResponse(raw, current, policy)
        try:
            yield response
        finally:
            response.close()
        return
    raise URLRefused(
        f"Meer dan {policy.max_redirects} doorverwijzingen: {redact_url(url)}"
    )


def fetch_bytes(
    url: str, policy: GuardPolicy, *, headers: dict[str, str] | None = None
) -> bytes:
    """The whole body of ``url`` (within the size limit)."""
    with open_url(url, policy, headers=headers) as response:
        return response.read()


class _ResponseStream(io.RawIOBase):
    """A read-only file object over :meth:`GuardedResponse.iter_bytes`."""

    def __init__(self, response: GuardedResponse) -> None:
        self._chunks = response.iter_bytes()
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _local_path(url_or_path: str) -> str | None:
    if url_or_path.startswith("file:"):
        parts = urlsplit(url_or_path)
        if parts.netloc not in ("", "localhost"):
            raise URLRefused(f"file-URL met een host wordt niet ondersteund: {url_or_path}")
        return unquote(parts.path)
    scheme = urlsplit(url_or_path).scheme
    if scheme and len(scheme) > 1:
        return None
    return url_or_path


def resolve_local(path: str, policy: GuardPolicy) -> str:
    """The real path of ``path`` when it lies under one of the policy's file roots."""
    if not policy.file_roots:
        raise URLRefused(
            "Lokale bestanden zijn niet toegestaan (ckanext.gemeente.harvest.file_roots is leeg)"
        )
    real = os.path.realpath(path)
    for root in policy.file_roots:
        root_real = os.path.realpath(root)
        if os.path.commonpath([real, root_real]) == root_real:
            return real
    raise URLRefused(
        f"Pad ligt buiten de toegestane mappen (ckanext.gemeente.harvest.file_roots): {path}"
    )


@contextmanager
def open_source(url_or_path: str, policy: GuardPolicy) -> Iterator[BinaryIO]:
    """A binary file object for a path (or file:// URL) under file_roots, or an http(s) URL."""
    local = _local_path(url_or_path)
    if local is not None:
        real = resolve_local(local, policy)
        if not os.path.isfile(real):
            raise SourceError(None, url_or_path, "bestand niet gevonden")
        if os.path.getsize(real) > policy.max_bytes:
            mb = policy.max_bytes / (1024 * 1024)
            raise ResponseTooLarge(f"Bestand groter dan de toegestane {mb:g} MB: {url_or_path}")
        with open(real, "rb") as fh:
            yield fh
        return
    with open_url(url_or_path, policy) as response:
        stream = io.BufferedReader(_ResponseStream(response))
        yield stream  # type: ignore[misc]


def check_host(host: str, port: int, policy: GuardPolicy) -> None:
    """Raise :class:`URLRefused` when a non-HTTP service at ``host:port`` (a database server)
    may not be contacted under ``policy``: the same address rules as for URLs."""
    name = f"[{host}]" if ":" in host else host
    _target(f"http://{name}:{port}/", policy)
