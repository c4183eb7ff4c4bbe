"""Value lists (vocabularies) of DCAT-AP-DONL and of the municipal additions.

Format
    Every list is read in the official value-list JSON format of data.overheid.nl
    (``https://waardelijsten.dcat-ap-donl.nl/<target>``)::

        {"<identifier>": {"labels": {"nl-NL": "...", "en-US": "..."}, ...}, ...}

    The raw service format (``[{"identifier": ..., "label_nl": ..., "label_en": ...}]``)
    published under ``https://data.overheid.nl/service/waardelijsten/...`` is accepted too.

Storage
    Loaded lists live in the plugin's own tables (see :mod:`..model`). Each load replaces the
    whole list in one transaction, and records its source, term count, checksum and whether it
    is complete.

Fetching
    URLs are fetched through the suite's URL guard (:mod:`ckanext.gemeente.urlguard`):
    ``https`` only, except for hosts in ``ckanext.gemeente.vocabulary_allow_hosts`` (which
    also lifts the guard's refusal of internal addresses); every redirect is checked again,
    the final address must be ``https`` (or allowed) too, and a response larger than
    ``ckanext.gemeente.vocabulary_max_response_mb`` is aborted and refused.

Completeness
    ``lists.json`` declares which lists ship with the package (complete, with their exact term
    count, checked on every load) and which must be fetched or provided by the municipality.
    A fetched or provided list with fewer terms than its ``min_terms`` floor, an empty or
    malformed file, or a shipped file whose count does not match, is *reported* and *not
    loaded*; nothing is ever silently truncated. A list that is not loaded makes every value
    for its fields fail validation with a message naming the list and the command to load it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import ipaddress
import json
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any

from ckan import model
from ckan.plugins import toolkit

from ... import urlguard
from .. import fields

log = logging.getLogger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
LISTS_FILE = os.path.join(HERE, "lists.json")

DEFAULT_SOURCE_URL = "https://waardelijsten.dcat-ap-donl.nl/"
CACHE_SECONDS = 60.0
CONFIG_PREFIX = "ckanext.gemeente.vocabulary_"


class VocabularyError(Exception):
    """A value list could not be read or is not acceptable."""


@dataclasses.dataclass(frozen=True)
class Term:
    uri: str
    label_nl: str
    label_en: str
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False, compare=False)

    def label(self, lang: str | None = None) -> str:
        return self.label_en if (lang or "nl").startswith("en") else self.label_nl


@dataclasses.dataclass
class ReportLine:
    name: str
    status: str  # loaded | unchanged | missing | incomplete | invalid | kept
    count: int = 0
    source: str = ""
    message: str = ""
    # the source answered, but what it delivered was refused (bad file, too few terms,
    # too large, address or scheme refused) - as opposed to "not there / not reachable"
    refused: bool = False
    # why a list that was loaded before this run is worse off now ("" when it is not)
    regression: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "unchanged")


def registry() -> dict[str, dict[str, Any]]:
    """The declared value lists (``lists.json``), keyed by list name."""
    with open(LISTS_FILE, encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if not k.startswith("_")}


# ---------------------------------------------------------------------------- parsing


def parse_value_list(raw: bytes | str, name: str = "") -> dict[str, Term]:
    """Parse one value list in the official (or the raw service) JSON format."""
    what = name or "waardelijst"
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise VocabularyError(f"{what}: geen UTF-8 ({e})") from e
    if not raw.strip():
        raise VocabularyError(f"{what}: bestand is leeg / file is empty")
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise VocabularyError(
            f"{what}: geen geldige JSON, mogelijk afgebroken download / invalid JSON, "
            f"possibly truncated ({e})"
        ) from e

    terms: dict[str, Term] = {}
    if isinstance(data, list):  # raw service format
        for i, item in enumerate(data):
            if not isinstance(item, dict) or not item.get("identifier"):
                raise VocabularyError(f"{what}: item {i} heeft geen 'identifier'")
            extra = {
                k: v for k, v in item.items() if k not in ("identifier", "label_nl", "label_en")
            }
            terms[item["identifier"]] = _term(
                what, item["identifier"], item.get("label_nl"), item.get("label_en"), extra
            )
    elif isinstance(data, dict):
        for key, item in data.items():
            if not isinstance(item, dict) or not isinstance(item.get("labels"), dict):
                raise VocabularyError(f"{what}: term {key!r} heeft geen 'labels'")
            labels = item["labels"]
            extra = {k: v for k, v in item.items() if k != "labels"}
            terms[key] = _term(
                what,
                key,
                labels.get("nl-NL") or labels.get("nl"),
                labels.get("en-US") or labels.get("en"),
                extra,
            )
    else:
        raise VocabularyError(f"{what}: verwacht een JSON-object of -lijst")
    if not terms:
        raise VocabularyError(f"{what}: bevat geen termen / contains no terms")
    return terms


def _term(what: str, key: str, nl: Any, en: Any, extra: dict[str, Any]) -> Term:
    if not isinstance(key, str) or not key.strip():
        raise VocabularyError(f"{what}: lege identifier")
    if not nl and not en:
        raise VocabularyError(f"{what}: term {key!r} heeft geen label (nl-NL/en-US)")
    return Term(key, str(nl or en), str(en or nl), extra)


# ---------------------------------------------------------------------------- reading


def _is_url(location: str) -> bool:
    return fields.is_uri(location)  # the schema's one URI check


class SourceRefused(VocabularyError):
    """The source may not be used or answered with something unacceptable (not a miss)."""


def fetch_policy() -> urlguard.GuardPolicy:
    """The URL guard policy for value lists (``ckanext.gemeente.vocabulary_*`` options)."""
    return urlguard.policy_from_config(toolkit.config, prefix=CONFIG_PREFIX)


def _http_allowed(url: str, policy: urlguard.GuardPolicy) -> bool:
    """Plain http is allowed only for a host (or an IP literal in a network) on the list."""
    host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".").lower()
    if host in policy.allowed_names():
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(addr in net for net in policy.allowed_networks() if addr.version == net.version)


def _check_scheme(url: str, policy: urlguard.GuardPolicy) -> None:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme == "http" and not _http_allowed(url, policy):
        raise SourceRefused(
            f"{urlguard.redact_url(url)}: alleen https, of de host in "
            f"{CONFIG_PREFIX}allow_hosts / https only, or list the host in "
            f"{CONFIG_PREFIX}allow_hosts"
        )


def fetch_url(url: str, policy: urlguard.GuardPolicy | None = None) -> bytes:
    """The body of ``url`` through the URL guard; https only unless the host is allowed.

    Raises :class:`SourceRefused` for a refused scheme, address or size (also when a redirect
    leads there) and :class:`urlguard.SourceError` (an ``OSError``) when the source is not
    reachable or answers with a non-2xx status.
    """
    policy = policy or fetch_policy()
    _check_scheme(url, policy)
    try:
        with urlguard.open_url(url, policy, headers={"Accept": "application/json"}) as resp:
            _check_scheme(resp.url, policy)  # the address the redirects ended at
            return resp.read()
    except urlguard.URLRefused as e:
        raise SourceRefused(
            f"{urlguard.redact_url(url)}: {e} (voor waardelijsten geldt "
            f"{CONFIG_PREFIX}allow_hosts / for value lists: {CONFIG_PREFIX}allow_hosts)"
        ) from e


def read_location(location: str) -> bytes:
    """Read a file path (given by the administrator) or an http(s) URL (through the guard)."""
    if _is_url(location):
        return fetch_url(location)
    if not os.path.isfile(location):
        raise VocabularyError(f"{location}: bestand niet gevonden / file not found")
    with open(location, "rb") as fh:
        return fh.read()


def _join(base: str, target: str) -> str:
    if _is_url(base):
        return urllib.parse.urljoin(base if base.endswith("/") else base + "/", target)
    return os.path.join(base, target)


# ---------------------------------------------------------------------------- storing


def store(name: str, terms: dict[str, Term], source: str, complete: bool, raw: bytes) -> None:
    """Replace the stored list ``name`` by ``terms`` in one transaction."""
    from ..model import Vocabulary, VocabularyTerm

    session = model.Session
    try:
        session.query(VocabularyTerm).filter(VocabularyTerm.vocabulary == name).delete()
        session.query(Vocabulary).filter(Vocabulary.name == name).delete()
        session.add(
            Vocabulary(
                name=name,
                source=source,
                loaded_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                term_count=len(terms),
                sha256=hashlib.sha256(raw).hexdigest(),
                complete=complete,
            )
        )
        session.flush()
        session.add_all(
            VocabularyTerm(
                vocabulary=name,
                uri=t.uri,
                label_nl=t.label_nl,
                label_en=t.label_en,
                extra=json.dumps(t.extra, ensure_ascii=False),
                position=position,
            )
            for position, t in enumerate(terms.values())
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    invalidate_cache()


def _stored_sha(name: str) -> str | None:
    from ..model import Vocabulary

    row = model.Session.get(Vocabulary, name)
    return row.sha256 if row else None


def load_list(
    name: str,
    location: str,
    *,
    allow_incomplete: bool = False,
    spec: dict[str, Any] | None = None,
) -> ReportLine:
    """Read ``location`` (file or URL) and store it as list ``name``; never raises."""
    spec = spec if spec is not None else registry().get(name)
    if spec is None:
        return ReportLine(name, "invalid", message=f"onbekende waardelijst / unknown list {name}")
    try:
        raw = read_location(location)
    except SourceRefused as e:
        return ReportLine(name, "missing", source=location, message=str(e), refused=True)
    except (VocabularyError, OSError) as e:
        return ReportLine(name, "missing", source=location, message=str(e))
    try:
        terms = parse_value_list(raw, name)
    except VocabularyError as e:
        return ReportLine(name, "missing", source=location, message=str(e), refused=True)

    complete = True
    if spec.get("shipped") and location.startswith(DATA_DIR):
        expected = int(spec["count"])
        if len(terms) != expected:
            return ReportLine(
                name,
                "incomplete",
                len(terms),
                location,
                f"meegeleverde lijst heeft {len(terms)} termen, verwacht {expected}: "
                f"niet geladen / shipped list has {len(terms)} terms, expected {expected}",
                refused=True,
            )
    else:
        floor = int(spec.get("min_terms") or spec.get("count") or 1)
        if len(terms) < floor:
            if not allow_incomplete:
                return ReportLine(
                    name,
                    "incomplete",
                    len(terms),
                    location,
                    f"slechts {len(terms)} termen (minimaal {floor} verwacht): onvolledig, "
                    f"niet geladen / only {len(terms)} terms (at least {floor} expected): "
                    "incomplete, not loaded",
                    refused=True,
                )
            complete = False
    if _stored_sha(name) == hashlib.sha256(raw).hexdigest():
        return ReportLine(name, "unchanged", len(terms), location)
    store(name, terms, location, complete, raw)
    msg = "" if complete else "onvolledig geladen (--allow-incomplete) / loaded as incomplete"
    return ReportLine(name, "loaded", len(terms), location, msg)


def update(
    source: str | None = None,
    *,
    names: Iterable[str] | None = None,
    allow_incomplete: bool = False,
) -> list[ReportLine]:
    """Refresh all (or the named) lists.

    Shipped lists are loaded from the package. Each other list is looked up, in order, in
    ``source`` (a URL base, a directory, or - with a single name - a file), in the
    municipality's ``ckanext.gemeente.vocabulary_dir`` and at
    ``ckanext.gemeente.vocabulary_source_url``. A list that cannot be obtained keeps its
    previously loaded version (status ``kept``) or is reported ``missing``.

    A list that was loaded before and is worse off after the run carries a ``regression``:
    it went from complete to incomplete, or its source now delivers something that is
    refused (bad or truncated file, too few terms, too large, address refused) while the
    previous version stays in use. A source that is merely unreachable is no regression.
    """
    reg = registry()
    before = {row["name"]: row for row in status()}
    wanted = list(names) if names else list(reg)
    local_dir = toolkit.config.get("ckanext.gemeente.vocabulary_dir") or ""
    remote = toolkit.config.get("ckanext.gemeente.vocabulary_source_url") or DEFAULT_SOURCE_URL
    report: list[ReportLine] = []
    for name in wanted:
        spec = reg.get(name)
        if spec is None:
            report.append(ReportLine(name, "invalid", message=f"onbekende waardelijst {name}"))
            continue
        candidates: list[str] = []
        if source:
            if not _is_url(source) and os.path.isfile(source):
                if len(wanted) == 1:
                    candidates.append(source)
            else:
                candidates.append(_join(source, spec["target"]))
        if spec.get("shipped"):
            # A municipality or a newer data.overheid.nl copy may override a shipped list,
            # but only when it was named explicitly; the shipped file is the default.
            candidates.append(os.path.join(DATA_DIR, spec["target"]))
        else:
            if local_dir:
                candidates.append(os.path.join(local_dir, spec["target"]))
            if not source:
                candidates.append(_join(remote, spec["target"]))
        line = ReportLine(name, "missing", message="geen bron / no source")
        problems: list[str] = []
        refused = False
        for location in candidates:
            line = load_list(name, location, allow_incomplete=allow_incomplete, spec=spec)
            if line.ok:
                break
            refused = refused or line.refused
            problems.append(f"{location}: {line.status}: {line.message}")
            if line.status == "incomplete":
                break
        was = before.get(name) or {}
        if not line.ok:
            line.message = "; ".join(problems) or line.message
            line.refused = refused
            if is_loaded(name):
                line.status = "kept" if line.status == "missing" else line.status
                line.message += " (vorige versie blijft in gebruik / previous version kept)"
                if refused:
                    line.regression = (
                        "de bron levert een geweigerd bestand / the source delivers a "
                        "refused file"
                    )
        elif was.get("loaded") and was.get("complete") and not _is_complete(name):
            line.regression = "was volledig, nu onvolledig / was complete, now incomplete"
        report.append(line)
    return report


def _is_complete(name: str) -> bool:
    from ..model import Vocabulary

    row = model.Session.get(Vocabulary, name)
    return bool(row and row.complete)


# ---------------------------------------------------------------------------- querying

_cache: dict[str, tuple[float, dict[str, Term] | None]] = {}
_lock = threading.Lock()


def invalidate_cache() -> None:
    with _lock:
        _cache.clear()


def terms(name: str) -> dict[str, Term] | None:
    """The loaded terms of list ``name`` (``None`` when it is not loaded)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(name)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    from ..model import Vocabulary, VocabularyTerm, tables_exist

    result: dict[str, Term] | None = None
    # Called from validators, inside the caller's transaction. The read runs in a SAVEPOINT:
    # a database error rolls back only the savepoint and is raised, so it surfaces as an error
    # while the caller's pending changes stay intact (no Session.rollback() here). Before the
    # migration ran (e.g. during `ckan db init`) there are no tables: the list is not loaded.
    if tables_exist():
        with model.Session.begin_nested():
            if model.Session.get(Vocabulary, name) is not None:
                result = {
                    row.uri: Term(
                        row.uri, row.label_nl, row.label_en, json.loads(row.extra or "{}")
                    )
                    for row in model.Session.query(VocabularyTerm)
                    .filter(VocabularyTerm.vocabulary == name)
                    .order_by(VocabularyTerm.position, VocabularyTerm.uri)
                }
    with _lock:
        _cache[name] = (now, result)
    return result


def is_loaded(name: str) -> bool:
    return terms(name) is not None


def label(name: str, key: str, lang: str | None = None) -> str:
    """The readable label of ``key`` in list ``name``; the key itself when unknown."""
    found = (terms(name) or {}).get(key)
    return found.label(lang) if found else key


def status() -> list[dict[str, Any]]:
    """One dict per declared list: whether and how it is loaded."""
    from ..model import Vocabulary, tables_exist

    rows = {}
    if tables_exist():
        rows = {r.name: r for r in model.Session.query(Vocabulary)}
    out = []
    for name, spec in registry().items():
        row = rows.get(name)
        out.append(
            {
                "name": name,
                "shipped": bool(spec.get("shipped")),
                "loaded": row is not None,
                "complete": bool(row.complete) if row else False,
                "count": row.term_count if row else 0,
                "source": row.source if row else "",
                "loaded_at": row.loaded_at.isoformat() if row else "",
            }
        )
    return out
