"""``gemeente_ckan``: another CKAN portal (a partner body, a neighbouring municipality).

Reads the remote portal's public datasets through its action API (``package_search``, paged
by ``start``/``rows`` in a stable order) and maps them into the municipal schema. Private,
draft and deleted datasets of the source are skipped; a dataset that disappears at the
source is withdrawn here by the base (ckanext-harvest's own CKAN harvester never does this,
ckanext-harvest#542). A listing that ends short of the count the portal announced fails as
a whole, so a truncated answer never withdraws anything.

The API is called through :mod:`ckanext.gemeente.urlguard` rather than ckanapi's
``RemoteCKAN``: the guard must see every request and every redirect hop (ckanapi's requests
session follows redirects itself), and it caps the size of every answer.

Configuration keys besides the base ones: ``organizations`` (remote organization name ->
local department name), ``skip_unmapped`` (datasets of remote organizations not in that map
are skipped instead of landing in the source's own department), ``fq`` (a filter for the
remote search, e.g. ``"organization:ggd"``), ``api_key`` (an environment variable name
holding a token for portals that require one; never the token itself).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from ckanext.gemeente import urlguard

from ..base import GemeenteHarvester, Record, SourceContext, SourceReadError, dataset_schema

PAGE_SIZE = 500
MAX_RESOURCES = 50
_RESOURCE_KEYS = ("url", "name", "description", "format", "mimetype", "size", "hash",
                  "license", "download_url", "language", "status")


def api_root(url: str) -> str:
    """``https://data.ggd.nl/dataset?x`` or ``https://data.ggd.nl/`` -> the site root."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for tail in ("/api/3/action", "/api/3", "/api", "/dataset"):
        if path.endswith(tail):
            path = path[: -len(tail)]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _call(root: str, action: str, params: dict[str, Any], policy: urlguard.GuardPolicy,
          token: str | None) -> Any:
    url = f"{root}/api/3/action/{action}?{urlencode(params)}"
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = token
    raw = urlguard.fetch_bytes(url, policy, headers=headers)
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise SourceReadError(f"{action}: geen geldige JSON ({exc})") from None
    if not isinstance(answer, dict) or not answer.get("success"):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise SourceReadError(f"{action}: de portal meldt een fout: {error!r}")
    return answer["result"]


def list_datasets(root: str, policy: urlguard.GuardPolicy, fq: str = "",
                  token: str | None = None) -> list[dict[str, Any]]:
    """Every public, active dataset of the remote portal; raise when the list is short."""
    out: list[dict[str, Any]] = []
    start, expected = 0, None
    while True:
        result = _call(root, "package_search", {
            "q": "*:*", "fq": fq, "rows": PAGE_SIZE, "start": start,
            "sort": "metadata_created asc, id asc", "include_private": "false",
        }, policy, token)
        page = result.get("results") or []
        if expected is None:
            expected = int(result.get("count") or 0)
        out.extend(page)
        start += len(page)
        if not page or start >= expected:
            break
    if len(out) < (expected or 0):
        raise SourceReadError(f"de portal meldde {expected} datasets maar gaf er {len(out)}: "
                              "een afgebroken lijst, er is niets ingetrokken")
    return [d for d in out if d.get("state", "active") == "active" and not d.get("private")
            and d.get("type", "dataset") == "dataset"]


def to_record(remote: dict[str, Any], root: str) -> dict[str, Any]:
    """A remote dataset as a flat record: its own fields, extras by key, resources numbered."""
    flat: dict[str, Any] = {k: v for k, v in remote.items()
                            if k not in ("resources", "extras", "organization", "tags",
                                         "groups", "relationships_as_object",
                                         "relationships_as_subject")}
    for extra in remote.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key"):
            flat.setdefault(str(extra["key"]), extra.get("value"))
    flat["tag_names"] = [t["name"] for t in remote.get("tags") or [] if t.get("name")]
    org = remote.get("organization") or {}
    flat["organization_name"] = org.get("name") or ""
    flat["source_url"] = f"{root}/dataset/{remote.get('name') or remote.get('id')}"
    flat["contact"] = remote.get("maintainer") or remote.get("author") or ""
    flat["contact_mail"] = remote.get("maintainer_email") or remote.get("author_email") or ""
    flat["metadata_modified_date"] = str(remote.get("metadata_modified") or "")[:10]
    for i, res in enumerate(remote.get("resources") or [], start=1):
        if i > MAX_RESOURCES:
            break
        for key in _RESOURCE_KEYS:
            if res.get(key) not in (None, ""):
                flat[f"resource_{i}_{key}"] = res[key]
    return flat


def default_mapping(schema: dict[str, Any] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "title",
        "notes": {"column": "notes", "default": "Overgenomen van een andere CKAN-portal"},
        "tags": {"column": "tag_names", "type": "list"},
        "license_id": "license_id",
        "url": "source_url",
    }
    if schema is not None:
        names = {f["field_name"] for f in schema.get("dataset_fields", [])}
        # a remote portal on the municipal schema brings its own fields
        for name in names - {"name", "owner_org", "harvest_source", "update_method",
                             "tag_string", "title", "notes", "license_id", "url"}:
            fields[name] = name
        fields.update({
            "contact_name": "contact_name" if "contact_name" in names else "contact",
            "contact_email": "contact_email" if "contact_email" in names else "contact_mail",
            "modified": {"column": "modified", "type": "date"},
        })
        fields = {k: v for k, v in fields.items() if k in names or k == "tags"}
        res_fields = [f["field_name"] for f in schema.get("resource_fields", [])]
    else:
        fields.update({"maintainer": "contact", "maintainer_email": "contact_mail"})
        res_fields = list(_RESOURCE_KEYS)
    return {
        "identifier": "id",
        "fields": fields,
        "resources": [{f: f"resource_{i}_{f}" for f in res_fields if f in _RESOURCE_KEYS}
                      for i in range(1, MAX_RESOURCES + 1)],
    }


class CkanHarvester(GemeenteHarvester):
    """Harvester of another CKAN portal's public datasets."""

    source_type = "gemeente_ckan"
    title = "CKAN-portal"
    description = ("De openbare datasets van een andere CKAN-portal (GGD, omgevingsdienst, "
                   "veiligheidsregio, buurgemeente), met een afdelingskoppeling.")
    config_keys = {"organizations", "skip_unmapped", "fq", "api_key"}
    record_word = "Dataset"

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        mapping = default_mapping(dataset_schema())
        if config.get("organizations"):
            # read_records puts the local department's name there (empty: the source's own)
            mapping["fields"]["owner_org"] = "local_organization"
        return mapping

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        errors = []
        orgs = config.get("organizations", {})
        if not isinstance(orgs, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in orgs.items()):
            errors.append(("organizations", "must be an object of remote -> local "
                                            "organization names"))
        if "skip_unmapped" in config and not isinstance(config["skip_unmapped"], bool):
            errors.append(("skip_unmapped", "must be true or false"))
        if "fq" in config and not isinstance(config["fq"], str):
            errors.append(("fq", "must be a text"))
        if "api_key" in config and not (isinstance(config["api_key"], str)
                                        and config["api_key"].isidentifier()):
            errors.append(("api_key", "must name an environment variable, not hold a token"))
        return errors

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        root = api_root(source.url)
        token = os.environ.get(source.config["api_key"]) if source.config.get("api_key") \
            else None
        datasets = list_datasets(root, source.policy, source.config.get("fq", ""), token)
        orgs = {k.lower(): v for k, v in (source.config.get("organizations") or {}).items()}
        records = []
        for remote in datasets:
            org = ((remote.get("organization") or {}).get("name") or "").lower()
            if source.config.get("skip_unmapped") and org not in orgs:
                continue
            data = to_record(remote, root)
            data["local_organization"] = orgs.get(org, "")
            records.append(Record(identifier=str(remote.get("id")), data=data,
                                  ref=f"Dataset {remote.get('name') or remote.get('id')}"))
        return records
