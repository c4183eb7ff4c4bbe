"""``gemeente_dashboard_show``: the coordinator's figures from search facets and actions.

Cost does not grow with the number of datasets beyond what the search index does anyway:
after the role check, two searches without permission labels (``ignore_auth``, every
dataset, private ones included):

- one faceted search with no rows: departments, visibility, missing fields and - with
  gemeente_privacy - the review states, from the ``review_state`` field that plugin
  indexes (``before_dataset_index``; every review step re-indexes the dataset). These are
  the datasets' own states, the figures of the search page's Privacy status facet: a
  published dataset whose change waits for review counts as published;
- one small search for the newest incomplete datasets (only the listed fields).

Measured at 10,000 datasets (``bench/dashboard.py``, docs/performance.md): about the cost
of one typical ``package_search``. Not used on purpose: ``gemeente_review_queue`` for the
counts (its grouped SQL query was most of the time at 10,000 datasets), and one search
sorted with the incomplete datasets first instead of two (the embedded search server sorts
the whole result, slower than the second small search).

Lead times come from the privacy review's audit export (cached for ``cache_seconds``: the
export reads the whole period), harvest health from ckanext-harvest's tables in four
grouped queries (:mod:`..harvest_status`, cached likewise). Sections whose plugin is not
enabled say so instead of failing. Schema labels are picked in the user's language with
:func:`ckanext.gemeente.schema.fields.pick_language` (a module of pure functions: the
gemeente_schema plugin need not be enabled).

Completeness is decided when a dataset is indexed (:func:`index_completeness`): the empty
required fields are stored as ``vocab_gemeente_missing`` and counted with a facet.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk

from ...schema import fields as schema_fields  # pure functions, no plugin needed
from .. import figures, harvest_status

log = logging.getLogger(__name__)

MISSING_FIELD = "vocab_gemeente_missing"
# indexed by gemeente_privacy (before_dataset_index): the dataset's review state
REVIEW_FIELD = "review_state"
# Without ckanext-scheming: the DCAT-AP-DONL mandatory properties CKAN core has fields for.
CORE_REQUIRED = ("title", "notes", "license_id", "owner_org")
# Review states in workflow order (gemeente_privacy, see PRIVACY_CONTRACT): labels for the
# figures when the privacy plugin gives none.
REVIEW_STATES = ("concept", "ingediend", "wijziging_gevraagd", "privacy_goedgekeurd",
                 "afgewezen", "gepubliceerd", "ingetrokken")
DECIDED = ("privacy_goedgekeurd", "wijziging_gevraagd", "afgewezen")
# (kind, period) -> (expires at, value): the lead times, recomputed every cache_seconds
_CACHE: dict[tuple[str, int], tuple[float, Any]] = {}


def _action(name: str) -> Callable[..., Any] | None:
    try:
        return tk.get_action(name)
    except KeyError:
        return None


# The figures cover every dataset, private ones included: the searches run without
# permission labels (ignore_auth), after the caller's access has been checked.
SEARCH_CONTEXT: dict[str, Any] = {"ignore_auth": True, "user": ""}


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _label(label: Any, fallback: str) -> str:
    """A schema label (a string or a language map) in the user's language."""
    return schema_fields.pick_language(label) or fallback


def required_fields(package_type: str = "dataset") -> list[tuple[str, str]]:
    """(field name, label) of the fields a complete dataset fills, in schema order."""
    configured = tk.config.get("ckanext.gemeente.dashboard.required_fields") or []
    schema_show = _action("scheming_dataset_schema_show")
    fields: list[dict[str, Any]] = []
    if schema_show is not None:
        try:
            fields = schema_show({"ignore_auth": True}, {"type": package_type})["dataset_fields"]
        except (tk.ObjectNotFound, tk.ValidationError):
            fields = []
    labels = {f["field_name"]: _label(f.get("label"), f["field_name"]) for f in fields}
    if configured:
        return [(name, labels.get(name, name)) for name in configured]
    if fields:
        return [(f["field_name"], labels[f["field_name"]]) for f in fields
                if f.get("required") and f["field_name"] != "name"]
    core = {"title": tk._("Title"), "notes": tk._("Description"),
            "license_id": tk._("License"), "owner_org": tk._("Organization")}
    return [(name, core[name]) for name in CORE_REQUIRED]


def index_completeness(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """IPackageController.before_dataset_index: record the empty required fields."""
    raw = pkg_dict.get("validated_data_dict")
    try:
        data = json.loads(raw) if isinstance(raw, str) else pkg_dict
    except ValueError:
        data = pkg_dict
    names = [name for name, _label in required_fields(pkg_dict.get("type") or "dataset")]
    missing = figures.missing_fields(data, names)
    if missing:
        pkg_dict[MISSING_FIELD] = missing
    else:
        pkg_dict.pop(MISSING_FIELD, None)
    return pkg_dict


def _facet(result: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return list(((result.get("search_facets") or {}).get(field) or {}).get("items") or [])


def _review_labels() -> dict[str, str]:
    _ = tk._
    return {"concept": _("Draft"), "ingediend": _("Submitted"),
            "wijziging_gevraagd": _("Changes requested"),
            "privacy_goedgekeurd": _("Approved by privacy officer"), "afgewezen": _("Rejected"),
            "gepubliceerd": _("Published"), "ingetrokken": _("Withdrawn")}


def _audit_entries(days: int) -> list[dict[str, Any]] | None:
    export = _action("gemeente_audit_export")
    if export is None:
        return None
    site = _site_context()
    now = dt.datetime.now(dt.timezone.utc)
    result = export(dict(site), {"from": (now - dt.timedelta(days=days)).date().isoformat(),
                                 "to": (now + dt.timedelta(days=1)).date().isoformat(),
                                 "format": "json"})
    if isinstance(result, dict) and isinstance(result.get("content"), str):
        result = result["content"]  # gemeente_privacy: {format, count, content: JSON text}
    if isinstance(result, str):
        result = json.loads(result or "[]")
    if isinstance(result, dict):
        result = result.get("entries") or result.get("results") or result.get("data") or []
    return [e for e in result or [] if isinstance(e, dict)]


def _lead_times(days: int) -> dict[str, Any] | None:
    """Median and p90 lead times from the audit export, reused for ``cache_seconds``."""
    def compute() -> dict[str, Any] | None:
        try:
            entries = _audit_entries(days)
        except (tk.ValidationError, tk.ObjectNotFound) as err:
            log.warning("gemeente_dashboard: audit export failed: %s", err)
            return None
        if entries is None:
            return None
        return {
            "review": figures.summary(figures.lead_times(entries, ["ingediend"], DECIDED)),
            "publication": figures.summary(
                figures.lead_times(entries, ["ingediend"], ["gepubliceerd"])),
            "computed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }

    return _cached(("lead_times", days), compute)


def _review_section(overview: dict[str, Any] | None) -> dict[str, Any]:
    """Review states counted with the ``review_state`` facet of the overview search."""
    if overview is None:
        return {"enabled": False,
                "note": tk._("The privacy review (gemeente_privacy) is not enabled.")}
    counts = {i["name"]: int(i["count"]) for i in _facet(overview, REVIEW_FIELD)}
    shown = {i["name"]: i.get("display_name") for i in _facet(overview, REVIEW_FIELD)}
    labels = _review_labels()
    order = list(REVIEW_STATES) + sorted(set(counts) - set(REVIEW_STATES))
    states = [{"state": s, "label": labels.get(s) or shown.get(s) or s,
               "count": counts.get(s, 0)} for s in order]
    days = int(tk.config.get("ckanext.gemeente.dashboard.lead_time_days") or 365)
    section: dict[str, Any] = {"enabled": True, "states": states, "period_days": days,
                               "lead_times": _lead_times(days)}
    if section["lead_times"] is None:
        section["lead_times_note"] = tk._("The review audit trail is not available.")
    unindexed = int(overview["count"]) - sum(counts.values())
    if unindexed > 0:  # indexed before gemeente_privacy was enabled
        section["unindexed"] = unindexed
        section["unindexed_note"] = tk._(
            "{count} datasets have no review state in the search index yet: rebuild the "
            "index (ckan search-index rebuild).").format(count=unindexed)
    return section


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _cached(key: tuple[str, int], compute: Callable[[], Any]) -> Any:
    """``compute()``, reused for ``cache_seconds`` (0: computed on every call)."""
    ttl = int(tk.config.get("ckanext.gemeente.dashboard.cache_seconds") or 0)
    now = time.monotonic()
    hit = _CACHE.get(key)
    if ttl > 0 and hit and hit[0] > now:
        return hit[1]
    value = compute()
    if ttl > 0:
        _CACHE[key] = (now + ttl, value)
    return value


def _harvest_section() -> dict[str, Any]:
    if _action("harvest_source_list") is None:
        return {"enabled": False,
                "note": tk._("Harvesting (ckanext-harvest) is not enabled.")}
    # harvest health changes when a job runs (cron, every few minutes): reused like lead times
    return _cached(("harvest", 0), _harvest_figures)


def _harvest_figures() -> dict[str, Any]:
    sources = []
    for src in harvest_status.source_status():
        job = src["job"] or {}
        stats = job.get("stats") or {}
        errors = int(stats.get("errored") or 0)
        status = job.get("status")
        if not job:
            health = "never"
        elif status in ("New", "Running"):
            health = "running"
        else:
            health = "error" if errors else "ok"
        sources.append({
            "id": src["id"], "name": src["name"], "title": src["title"], "type": src["type"],
            "active": src["active"], "url": src["url"], "status": status, "health": health,
            "last_run": _iso(job.get("finished") or job.get("gather_finished")
                             or job.get("created")),
            "errors": errors, "added": int(stats.get("added") or 0),
            "updated": int(stats.get("updated") or 0),
            "withdrawn": int(stats.get("deleted") or 0) + int(stats.get("withdrawn") or 0),
        })
    sources.sort(key=lambda s: ({"error": 0, "never": 1, "running": 2}.get(s["health"], 3),
                                str(s["title"] or s["name"])))
    return {"enabled": True, "sources": sources,
            "with_errors": sum(1 for s in sources if s["health"] == "error")}


@tk.side_effect_free
def gemeente_dashboard_show(context: dict[str, Any], data_dict: dict[str, Any]
                            ) -> dict[str, Any]:
    """The coordinator's figures.

    Returns ``datasets`` (total, public, private), ``departments`` ([{name, title, count}]),
    ``review`` (states with counts, lead times: median and p90 in days) or
    ``{"enabled": false, "note"}``, ``harvest`` (per source: last run, health, errors,
    added/updated/withdrawn) or disabled, and ``completeness`` (required fields with how
    many datasets leave each empty, the number of incomplete datasets and the newest of
    them).
    """
    tk.check_access("gemeente_dashboard_show", context, data_dict)
    search = tk.get_action("package_search")
    privacy = _action("gemeente_review_queue") is not None
    facet_fields = ["organization", "capacity", MISSING_FIELD]
    if privacy:
        facet_fields.append(REVIEW_FIELD)
    overview = search(dict(SEARCH_CONTEXT), {
        "q": "*:*", "rows": 0, "include_private": True, "facet.field": facet_fields,
        "facet.limit": -1, "facet.mincount": 1,
    })
    capacity = {item["name"]: item["count"] for item in _facet(overview, "capacity")}
    departments = sorted(
        ({"name": i["name"], "title": i.get("display_name") or i["name"], "count": i["count"]}
         for i in _facet(overview, "organization")),
        key=lambda d: (-d["count"], d["title"]))

    rows = int(tk.config.get("ckanext.gemeente.dashboard.incomplete_rows") or 20)
    incomplete = search(dict(SEARCH_CONTEXT), {
        "q": "*:*", "fq": f"{MISSING_FIELD}:[* TO *]", "rows": rows,
        "include_private": True, "sort": "metadata_modified desc",
        "fl": f"id,name,title,organization,{MISSING_FIELD}",
        "facet": "false",
    })
    required = required_fields()
    labels = dict(required)
    missing_counts = {i["name"]: i["count"] for i in _facet(overview, MISSING_FIELD)}
    titles = {d["name"]: d["title"] for d in departments}
    completeness = {
        "required_fields": [{"field": name, "label": label,
                             "missing": missing_counts.get(name, 0)}
                            for name, label in required],
        "incomplete": incomplete["count"],
        "complete": max(0, overview["count"] - incomplete["count"]),
        "datasets": [{
            "id": r.get("id"), "name": r.get("name"), "title": r.get("title"),
            "organization": r.get("organization"),
            "organization_title": titles.get(r.get("organization") or "", r.get("organization")),
            "missing": [{"field": f, "label": labels.get(f, f)}
                        for f in figures.loads_list(r.get(MISSING_FIELD))],
        } for r in incomplete["results"]],
    }
    return {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "datasets": {"total": overview["count"], "public": capacity.get("public", 0),
                     "private": capacity.get("private", 0)},
        "departments": departments,
        "review": _review_section(overview if privacy else None),
        "harvest": _harvest_section(),
        "completeness": completeness,
    }


def get_actions() -> dict[str, Any]:
    return {"gemeente_dashboard_show": gemeente_dashboard_show}
