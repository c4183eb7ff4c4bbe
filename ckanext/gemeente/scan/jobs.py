"""The background scan of a resource: CKAN's RQ jobs (``ckan jobs worker``) on Redis.

:func:`enqueue_scan` (called after a resource is created or updated) records a ``queued``
result for the resource's current version and puts :func:`run_scan` on the queue; any worker
on any machine sharing the Redis and the database can take it. :func:`run_scan` fetches the
file (the uploaded file from CKAN's storage, or the URL through the suite's URL guard: no
loopback or private addresses, a size and a time limit), scans it and stores the report.
Every failure ends as a result with status ``error`` and a Dutch message: the job itself
never raises, so a worker never dies of a bad file and the review never sees silence.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

from ckan import model as ckan_model
from ckan.plugins import toolkit as tk

from ckanext.gemeente import urlguard

from . import model
from .core import ScanOptions, scan_file

log = logging.getLogger(__name__)
MIB = 1024 * 1024


def resource_version(res: dict[str, Any]) -> str:
    """A key that changes whenever the resource's file (upload or URL) changes."""
    key = "|".join(str(res.get(k) or "") for k in ("url", "last_modified", "size", "hash"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _ext(res: dict[str, Any]) -> str:
    path = urlsplit(str(res.get("url") or "")).path
    return os.path.splitext(path)[1].lower().lstrip(".")


def is_scannable(res: dict[str, Any]) -> bool:
    formats = {f.lower() for f in tk.config.get("ckanext.gemeente.scan.formats") or []}
    fmt = str(res.get("format") or "").lower()
    return fmt in formats or _ext(res) in formats


def enqueue_scan(res: dict[str, Any], force: bool = False) -> model.ScanResult | None:
    """Queue a scan of ``res`` unless its current version was scanned already."""
    if not model.table_exists():
        log.warning("gemeente_scan: table missing, run `ckan db upgrade -p gemeente_scan`")
        return None
    if not is_scannable(res) or not (res.get("url") or res.get("url_type") == "upload"):
        return None
    version = resource_version(res)
    last = model.latest(res["id"])
    if not force and last is not None and last.version == version and \
            last.status in ("queued", "running", "done"):
        return last
    row = model.ScanResult(resource_id=res["id"], package_id=res["package_id"],
                           version=version, status="queued")
    ckan_model.Session.add(row)
    ckan_model.Session.commit()
    tk.enqueue_job(run_scan, [row.id], title=f"gemeente_scan {res['id']}",
                   queue=tk.config.get("ckanext.gemeente.scan.queue") or "default",
                   rq_kwargs={"timeout": tk.config.get("ckanext.gemeente.scan.job_timeout")})
    return row


def enqueue_package(package_id: str) -> None:
    """Queue :func:`scan_package` (no database access: safe in an ``after_commit`` hook)."""
    tk.enqueue_job(scan_package, [package_id], title=f"gemeente_scan package {package_id}",
                   queue=tk.config.get("ckanext.gemeente.scan.queue") or "default",
                   rq_kwargs={"timeout": tk.config.get("ckanext.gemeente.scan.job_timeout")})


def scan_package(package_id: str) -> None:
    """The job for a created/updated dataset: scan each resource whose current version has
    no result yet (resources queued by their own hook are skipped)."""
    try:
        pkg = tk.get_action("package_show")({"ignore_auth": True}, {"id": package_id})
    except tk.ObjectNotFound:
        return
    for res in pkg.get("resources") or []:
        if not is_scannable(res) or not (res.get("url") or res.get("url_type") == "upload"):
            continue
        version = resource_version(res)
        last = model.latest(res["id"])
        if last is not None and last.version == version and \
                last.status in ("queued", "running", "done"):
            continue
        row = model.ScanResult(resource_id=res["id"], package_id=pkg["id"], version=version,
                               status="queued")
        ckan_model.Session.add(row)
        ckan_model.Session.commit()
        run_scan(row.id)


def guard_policy() -> urlguard.GuardPolicy:
    cfg = tk.config
    return urlguard.GuardPolicy(
        allow_hosts=tuple(cfg.get("ckanext.gemeente.scan.allow_hosts") or ()),
        max_bytes=int(cfg.get("ckanext.gemeente.scan.max_download_mb")) * MIB,
        connect_timeout=float(cfg.get("ckanext.gemeente.scan.connect_timeout")),
        read_timeout=float(cfg.get("ckanext.gemeente.scan.read_timeout")),
        total_timeout=float(cfg.get("ckanext.gemeente.scan.download_timeout")),
    )


class FetchError(Exception):
    """The resource's file could not be fetched (Dutch message, no secrets)."""


def download(url: str, dest: str, policy: urlguard.GuardPolicy) -> str:
    """Stream ``url`` to ``dest`` within the policy's limits; returns the sha256."""
    digest = hashlib.sha256()
    deadline = time.monotonic() + (policy.total_timeout or 1e9)
    safe = urlguard.redact_url(url)
    try:
        with urlguard.open_url(url, policy) as resp, open(dest, "wb") as f:
            for chunk in resp.iter_bytes(MIB):
                f.write(chunk)
                digest.update(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(f"De download van {safe} duurde langer dan "
                                     f"{policy.total_timeout:.0f} s en is afgebroken.")
    except urlguard.ResponseTooLarge as exc:
        raise FetchError(f"De bron is groter dan {policy.max_bytes // MIB} MiB; de download is "
                         f"afgebroken en de bron is niet gescand ({exc}).") from exc
    except urlguard.URLRefused as exc:
        raise FetchError(f"De URL mag niet opgehaald worden: {exc}") from exc
    except urlguard.SourceError as exc:
        raise FetchError(f"De bron is niet bereikbaar: {exc}") from exc
    except OSError as exc:
        raise FetchError(f"De bron is niet bereikbaar ({type(exc).__name__}).") from exc
    return digest.hexdigest()


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            h.update(chunk)
    return h.hexdigest()


def scan_options() -> ScanOptions:
    return ScanOptions(
        small_cell_threshold=int(tk.config.get("ckanext.gemeente.scan.small_cell_threshold")),
        names_dir=tk.config.get("ckanext.gemeente.scan.names_dir") or None,
    )


def upload_path(res: dict[str, Any]) -> str:
    from ckan.lib.uploader import get_resource_uploader  # not in the toolkit

    return get_resource_uploader(res).get_path(res["id"])


def run_scan(result_id: str) -> None:
    """The job: scan the resource of result ``result_id`` and store the report."""
    row = model.get(result_id)
    if row is None:
        log.warning("gemeente_scan: result %s is gone", result_id)
        return
    row.status = "running"
    ckan_model.Session.commit()
    tmp: str | None = None
    try:
        res = tk.get_action("resource_show")({"ignore_auth": True}, {"id": row.resource_id})
        if res.get("url_type") == "upload":
            path = upload_path(res)
            if not os.path.exists(path):
                raise FetchError("Het geüploade bestand is niet gevonden in de opslag.")
            row.sha256 = _file_sha256(path)
        else:
            fd, tmp = tempfile.mkstemp(prefix="gemeente-scan-", suffix="." + (_ext(res) or
                                       str(res.get("format") or "csv").lower()))
            os.close(fd)
            row.sha256 = download(res["url"], tmp, guard_policy())
            path = tmp
        report = scan_file(path, scan_options(), source=str(res.get("name") or res["id"]))
        row.report = json.dumps(report.to_dict(), ensure_ascii=False)
        row.risk = report.risk
        row.status = "done"
        log.info("gemeente_scan: resource %s scanned: risk %s, %d rows", row.resource_id,
                 report.risk, report.rows)
    except FetchError as exc:
        row.status, row.risk, row.error = "error", "fout", str(exc)
    except tk.ObjectNotFound:
        row.status, row.risk, row.error = "error", "fout", "De bron bestaat niet meer."
    except Exception as exc:  # the worker must survive anything a file can do
        log.exception("gemeente_scan: scan of %s failed", row.resource_id)
        row.status, row.risk = "error", "fout"
        row.error = f"De scan is mislukt ({type(exc).__name__})."
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    row.finished = _dt.datetime.utcnow()
    ckan_model.Session.commit()
