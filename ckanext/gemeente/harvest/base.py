"""The one base every municipal harvester extends: ``GemeenteHarvester(HarvesterBase)``.

A source type (``sources/*.py``) only says how to read its records (:meth:`read_records`)
and which mapping and configuration keys it brings; everything else is here, once:

- the source configuration (JSON) and its mapping are validated on save
  (:meth:`validate_config`, field-level messages naming the offending key);
- gather maps every record, hashes the mapped dataset (:func:`mapping.content_hash`) and
  compares it with the hash kept on the record's current harvest object (extra
  ``gemeente_hash``): an unchanged record gets no harvest object at all, so no
  package_update, no re-index and no activity; a new or changed record gets one; a record
  gone from the source gets a *withdraw* object, unless the source failed or looks
  truncated (no records, or more than ``max_withdraw_ratio`` of the datasets gone);
- import creates (private) or updates the dataset in one database transaction together
  with its harvest object, so a process killed at any point leaves either the old or the
  new state, never half (the next run resumes the job: :mod:`.runner`);
- new datasets enter the privacy review when ``gemeente_privacy`` is enabled
  (``review_state``: ``concept`` or ``ingediend``); withdrawn ones become ``ingetrokken``
  there, or are deleted (``withdraw``);
- the harvest source id and the source's own identifier stay on each dataset
  (gemeente_schema: ``harvest_source`` = ``<site>/harvest/<source id>#<identifier>``;
  CKAN's default schema: extras ``gemeente_harvest_source`` and ``gemeente_source_identifier``);
- every URL and path goes through :mod:`ckanext.gemeente.urlguard`.

Content hashes live in ckanext-harvest's own ``harvest_object_extra`` table (no table of
ours): the hash belongs to the harvest object that wrote the dataset, and it disappears
with the harvest source's history exactly when ckanext-harvest's clear/purge removes it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.lib.munge import munge_title_to_name
from ckan.model import PACKAGE_NAME_MAX_LENGTH
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestObject,
    HarvestObjectError,
    HarvestObjectExtra,
)

from ckanext.gemeente import urlguard

from . import mapping as mp

log = logging.getLogger(__name__)

HASH_KEY = "gemeente_hash"
#: digest of the record as the source delivered it, with everything that shapes its mapping
#: (see :meth:`SourceContext.raw_key`): a source that can tell "the same as last time" before
#: parsing a record stores it, and an unchanged record is then neither parsed nor mapped
RAW_KEY = "gemeente_raw"
ACTION_KEY = "gemeente_action"
REF_KEY = "gemeente_ref"
REVIEW_STATES = ("concept", "ingediend")
WITHDRAW_MODES = ("auto", "delete", "ingetrokken")
NOTIFY_MODES = ("errors", "always", "never")
# source configuration keys every municipal harvester understands
BASE_KEYS = {"mapping", "review_state", "withdraw", "notify", "contacts", "max_withdraw_ratio",
             "defaults"}
CORE_FIELDS = {
    "id", "name", "title", "notes", "url", "version", "author", "author_email", "maintainer",
    "maintainer_email", "license_id", "owner_org", "private", "tags", "tag_string", "extras",
    "resources", "groups", "state", "type",
}
#: portal settings whose values parsers and mappings read (part of the context digest)
CONTEXT_SETTINGS = ("ckanext.dcat.", "ckanext.gemeente.", "scheming.", "ckan.site_url",
                    "ckan.site_description", "ckan.locale_default")
MUNICIPAL_DEFAULTS = {
    "update_method": "geharvest",
}


class SourceReadError(Exception):
    """The source could not be read as a whole (nothing may be withdrawn)."""


@dataclass
class Record:
    """One record of a source: its own identifier, its columns and where it came from."""

    identifier: str | None
    data: dict[str, Any]
    ref: str  # e.g. "rij 7" or "tabel public.afvalbakken", for messages
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: :meth:`SourceContext.raw_key` of the record as delivered, where the source computes one
    raw_key: str | None = None
    #: the source found ``raw_key`` among :attr:`SourceContext.known` and did not parse the
    #: record: ``data`` is empty and the record is the current dataset of that key, unchanged
    known: bool = False


@dataclass
class GatherStats:
    records: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdraw: int = 0
    errors: list[str] = field(default_factory=list)
    failed: bool = False
    #: of the unchanged records, how many the source did not need to parse (RAW_KEY known)
    skipped: int = 0


@dataclass
class PlannedObject:
    guid: str
    content: dict[str, Any] | None
    extras: dict[str, str]
    package_id: str | None


@dataclass
class Plan:
    """The outcome of a gather before anything is written (also what --dry-run prints)."""

    stats: GatherStats = field(default_factory=GatherStats)
    items: list[PlannedObject] = field(default_factory=list)
    #: (harvest object id, raw key) of unchanged datasets whose stored RAW_KEY is missing or
    #: stale (the feed's text changed, its mapped dataset did not): written at gather
    raw_keys: list[tuple[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.stats.errors

    def fail(self, message: str) -> Plan:
        self.stats.failed = True
        self.stats.errors.append(message)
        return self

    def row_error(self, record: Record, ident: str, fname: str, message: str) -> None:
        self.stats.errors.append(tk._("{ref} (id {id}), field {field}: {message}").format(
            ref=record.ref, id=ident, field=fname, message=message))


@dataclass
class SourceContext:
    """What a source type gets to read its records."""

    id: str
    name: str
    url: str
    config: dict[str, Any]
    policy: urlguard.GuardPolicy
    job_id: str | None = None
    #: digest of what shapes a record's mapping besides the record (configuration, mapping,
    #: schema, value lists, organizations, code version): part of every :meth:`raw_key`
    context_digest: str = ""
    #: the raw keys of the source's current, active datasets
    known: frozenset[str] = frozenset()

    def raw_key(self, record_digest: str) -> str:
        """The key under which a record, delivered as ``record_digest``, is remembered: equal
        keys mean an equal mapped dataset, so the record need not be parsed again."""
        return mp.content_hash([self.context_digest, record_digest])


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def action_or_none(name: str) -> Any:
    """The CKAN action ``name``, or None when the plugin that provides it is not enabled."""
    try:
        return tk.get_action(name)
    except KeyError:
        return None


def dataset_schema() -> dict[str, Any] | None:
    """The scheming schema of type ``dataset``, or None on CKAN's default schema."""
    show = action_or_none("scheming_dataset_schema_show")
    if show is None:
        return None
    try:
        return show({"ignore_auth": True}, {"type": "dataset"})
    except (tk.ObjectNotFound, KeyError):
        return None


def guard_policy() -> urlguard.GuardPolicy:
    return urlguard.policy_from_config(tk.config)


def source_uri(source_id: str, identifier: str | None = None) -> str:
    base = tk.config.get("ckan.site_url", "").rstrip("/") + "/harvest/" + source_id
    return base + ("#" + quote(identifier, safe="") if identifier else "")


def source_identifier_of(pkg: dict[str, Any]) -> str | None:
    """The source's own identifier kept on a harvested dataset (either schema)."""
    uri = pkg.get("harvest_source") or ""
    if "#" in uri:
        return unquote(uri.split("#", 1)[1])
    for extra in pkg.get("extras") or []:
        if extra.get("key") == "gemeente_source_identifier":
            return extra.get("value")
    return None


class GemeenteHarvester(HarvesterBase):
    """Base of the ``gemeente_*`` harvesters (see the module docstring)."""

    source_type: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: source-specific configuration keys (besides :data:`BASE_KEYS`)
    config_keys: ClassVar[set[str]] = set()
    #: whether records from this source type have row numbers (spreadsheets)
    record_word: ClassVar[str] = "Record"

    # ------------------------------------------------------------ for source types

    def read_records(self, source: SourceContext) -> Iterable[Record]:
        """Every record of the source; raise to say the source failed as a whole."""
        raise NotImplementedError

    def default_mapping(self, config: dict[str, Any]) -> dict[str, Any]:
        """The mapping used where the source config gives none (merged field by field)."""
        return {}

    def validate_source_config(self, config: dict[str, Any]) -> list[tuple[str, str]]:
        """(key, message) errors in the source-specific configuration keys."""
        return []

    def fill_at_import(self, schema: dict[str, Any] | None) -> dict[str, str]:
        """Fields set when a dataset is written, outside the content hash (``"today"``)."""
        return {}

    def after_import(self, source: SourceContext, record_ref: str, pkg: dict[str, Any],
                     content: dict[str, Any]) -> None:
        """Hook after a dataset was written (e.g. the SQL harvester's CSV export)."""

    # ------------------------------------------------------------ IHarvester

    def info(self) -> dict[str, str]:
        return {"name": self.source_type, "title": self.title, "description": self.description,
                "form_config_interface": "Text"}

    def validate_config(self, config: str | None) -> str:
        """Check the source configuration; raise ValueError with every problem listed."""
        if not config or not config.strip():
            return config or ""
        try:
            data = json.loads(config)
        except ValueError as exc:
            raise ValueError(tk._("The configuration is not valid JSON: {error}").format(
                error=exc)) from None
        if not isinstance(data, dict):
            raise ValueError(tk._("The configuration must be a JSON object"))
        errors = self._config_errors(data)
        if errors:
            raise ValueError("; ".join(f"{key}: {msg}" for key, msg in errors))
        return config

    def _config_errors(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        unknown = set(data) - BASE_KEYS - self.config_keys
        for key in sorted(unknown):
            errors.append((key, tk._("unknown configuration key")))
        if data.get("review_state", "concept") not in REVIEW_STATES:
            errors.append(("review_state", tk._("must be one of: {values}").format(
                values=", ".join(REVIEW_STATES))))
        if data.get("withdraw", "auto") not in WITHDRAW_MODES:
            errors.append(("withdraw", tk._("must be one of: {values}").format(
                values=", ".join(WITHDRAW_MODES))))
        elif data.get("withdraw") == "ingetrokken" and \
                action_or_none("gemeente_review_withdraw") is None:
            errors.append(("withdraw", tk._(
                "'ingetrokken' needs the privacy review plugin (gemeente_privacy)")))
        if data.get("notify", "errors") not in NOTIFY_MODES:
            errors.append(("notify", tk._("must be one of: {values}").format(
                values=", ".join(NOTIFY_MODES))))
        contacts = data.get("contacts", [])
        if not isinstance(contacts, list) or not all(
                isinstance(c, str) and "@" in c for c in contacts):
            errors.append(("contacts", tk._("must be a list of e-mail addresses")))
        ratio = data.get("max_withdraw_ratio", 0.5)
        if not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            errors.append(("max_withdraw_ratio", tk._("must be a number from 0 to 1")))
        if "defaults" in data and not isinstance(data["defaults"], dict):
            errors.append(("defaults", tk._("must be an object of field -> value")))
        errors += self.validate_source_config(data)
        try:
            self._mapping(data, dataset_schema())
        except mp.MappingError as exc:
            errors += [(path, tk._(msg)) for path, msg in exc.errors]
        return errors

    def _mapping(self, config: dict[str, Any], schema: dict[str, Any] | None) -> mp.Mapping_:
        default = self.default_mapping(config)
        given = config.get("mapping") or {}
        merged: dict[str, Any] = {
            "fields": {**default.get("fields", {}), **(given.get("fields") or {})}
            if isinstance(given, dict) and isinstance(given.get("fields", {}), dict)
            else given.get("fields"),
        }
        if isinstance(given, dict):
            for key in set(given) - {"fields"}:
                merged[key] = given[key]
        else:
            return mp.parse_mapping(given)
        for key in ("identifier", "resources"):
            if key not in merged and key in default:
                merged[key] = default[key]
        if schema is not None:
            known = [f["field_name"] for f in schema.get("dataset_fields", [])] + ["tags"]
            known_res = [f["field_name"] for f in schema.get("resource_fields", [])]
        else:
            known = None  # core schema: unknown fields become extras
            known_res = None
        return mp.parse_mapping(merged, known, known_res)

    @staticmethod
    def load_config(source_config: str | None) -> dict[str, Any]:
        try:
            data = json.loads(source_config or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------ gather

    def plan(self, source: Any, job_id: str | None = None) -> Plan:
        """What a harvest of ``source`` would do now, without writing anything."""
        plan = Plan()
        config = self.load_config(source.config)
        schema = dataset_schema()
        try:
            mapping = self._mapping(config, schema)
        except mp.MappingError as exc:
            return plan.fail(tk._("The mapping of this source is invalid: {error}").format(
                error=exc))
        previous = self._current_objects(source.id)
        base = self._base_dict(source, config, schema)
        orgs = self._organizations()
        choices = choice_lookups(schema)
        fill = self.fill_at_import(schema)
        by_raw_key = {p["raw"]: guid for guid, p in previous.items()
                      if p["raw"] and p["hash"] and p["state"] == "active"}
        ctx = SourceContext(id=source.id, name=self._source_name(source.id), url=source.url,
                            config=config, policy=guard_policy(), job_id=job_id,
                            context_digest=self._context_digest(
                                config, schema, base, orgs, choices, fill),
                            known=frozenset(by_raw_key))
        try:
            records = list(self.read_records(ctx))
        except (urlguard.URLRefused, urlguard.SourceError, SourceReadError, OSError,
                ValueError) as exc:
            return plan.fail(tk._(
                "The source could not be read, nothing was changed: {error}").format(
                    error=urlguard.redact_url(str(exc))))
        except sa.exc.SQLAlchemyError as exc:
            return plan.fail(tk._(
                "The source could not be read, nothing was changed: {error}").format(
                    error=type(exc).__name__ + ": " + _sql_error_text(exc)))
        if not records:
            return plan.fail(tk._(
                "The source returned no records; nothing was withdrawn (an empty source "
                "is treated as a failed read)"))
        seen: set[str] = set()
        stats = plan.stats
        stats.records = len(records)
        for index, record in enumerate(records):
            if record.known:
                # the source's own text of a current dataset, under the same configuration:
                # its mapped dataset is the one stored (see SourceContext.raw_key)
                ident = by_raw_key.get(record.raw_key or "", "")
                if not ident or ident in seen:
                    plan.row_error(record, ident or "-", "identifier",
                                   tk._("duplicate identifier, the row is skipped"))
                    continue
                seen.add(ident)
                stats.unchanged += 1
                stats.skipped += 1
                continue
            if mapping.identifier:
                ident = mp.record_identifier(mapping, record.data, "")
                if not ident:
                    plan.row_error(record, "-", mapping.identifier,
                                   tk._("the identifier is empty, the row is skipped"))
                    continue
            else:
                ident = record.identifier or str(record.data.get("title") or record.ref)
            if ident in seen:
                plan.row_error(record, ident, "identifier",
                               tk._("duplicate identifier, the row is skipped"))
                continue
            seen.add(ident)
            pkg, errors = mp.apply_mapping(mapping, record.data, base)
            errors = record.errors + errors
            pkg, shape_errors = self._shape(pkg, schema, source.id, ident, orgs, choices)
            errors += shape_errors
            if errors:
                for fname, msg in errors:
                    plan.row_error(record, ident, fname, msg)
                continue
            digest = mp.content_hash(pkg)
            prev = previous.get(ident)
            if prev is not None and prev["hash"] == digest and prev["state"] == "active":
                stats.unchanged += 1
                if record.raw_key and prev["raw"] != record.raw_key:
                    plan.raw_keys.append((prev["object_id"], record.raw_key))
                continue
            action = "update" if prev is not None and prev["state"] is not None else "create"
            if action == "update":
                stats.changed += 1
            else:
                stats.new += 1
            extras = {HASH_KEY: digest, ACTION_KEY: action, REF_KEY: record.ref}
            if record.raw_key:
                extras[RAW_KEY] = record.raw_key
            plan.items.append(PlannedObject(
                ident, {"package": pkg, "ref": record.ref, "index": index, "fill": fill},
                extras, prev["package_id"] if prev else None))
        gone = [g for g in previous if g not in seen and previous[g]["state"] == "active"]
        if gone:
            ratio = float(config.get("max_withdraw_ratio", 0.5))
            active = sum(1 for p in previous.values() if p["state"] == "active")
            if len(gone) > ratio * active:
                plan.errors.append(tk._(
                    "{gone} of {total} datasets are no longer in the source: more than the "
                    "allowed share ({ratio:.0%}), so none was withdrawn (a truncated source?). "
                    "Raise max_withdraw_ratio in the source configuration if this is "
                    "intended.").format(gone=len(gone), total=active, ratio=ratio))
            else:
                for ident in gone:
                    stats.withdraw += 1
                    plan.items.append(PlannedObject(
                        ident, None, {ACTION_KEY: "withdraw"}, previous[ident]["package_id"]))
        return plan

    def _context_digest(self, config: dict[str, Any], schema: dict[str, Any] | None,
                        base: dict[str, Any], orgs: dict[str, str],
                        choices: dict[str, dict[str, str]], fill: dict[str, str]) -> str:
        """Everything besides a record that shapes its mapped dataset, as one digest: the
        source's configuration (mapping, defaults, profiles), the schema with its value lists,
        the organizations, the licences, the portal settings parsers read, and the versions
        of the code that parses and maps. When any of it changes, every record is parsed and
        mapped again (and compared by content hash, so nothing is written needlessly)."""
        from importlib import metadata

        versions = {}
        for dist in ("ckanext-gemeente", "ckanext-dcat", "ckanext-scheming", "ckan", "rdflib"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = None
        settings = {k: str(v) for k, v in tk.config.items()
                    if isinstance(k, str) and k.startswith(CONTEXT_SETTINGS)}
        licenses = sorted((str(lic.get("id")), str(lic.get("url") or ""))
                          for lic in tk.get_action("license_list")({"ignore_auth": True}, {}))
        return mp.content_hash({
            "type": self.source_type, "config": config, "schema": schema, "base": base,
            "orgs": orgs, "choices": choices, "fill": fill, "settings": settings,
            "licenses": licenses, "versions": versions,
        })

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        plan = self.plan(harvest_job.source, harvest_job.id)
        self.last_stats[harvest_job.id] = plan.stats
        while len(self.last_stats) > 100:  # queue consumers run for months: keep it small
            self.last_stats.pop(next(iter(self.last_stats)))
        for message in plan.errors:
            model.Session.add(HarvestGatherError(message=message, job=harvest_job))
        if plan.stats.failed:
            model.Session.commit()
            return None
        objects = [self._new_object(harvest_job, item) for item in plan.items]
        if plan.raw_keys:
            self._store_raw_keys(plan.raw_keys)
        model.Session.commit()  # every object of the job, or none (a crash re-gathers)
        return [o.id for o in objects]

    last_stats: ClassVar[dict[str, GatherStats]] = {}

    def _new_object(self, job: Any, item: PlannedObject) -> HarvestObject:
        obj = HarvestObject(id=str(uuid.uuid4()), guid=item.guid, job=job,
                            harvest_source_id=job.source.id,
                            content=json.dumps(item.content, ensure_ascii=False)
                            if item.content is not None else None)
        obj.extras = [HarvestObjectExtra(key=k, value=v) for k, v in item.extras.items()]
        if item.package_id:
            obj.package_id = item.package_id
        model.Session.add(obj)
        return obj

    def _source_name(self, source_id: str) -> str:
        pkg = model.Package.get(source_id)
        return pkg.name if pkg else source_id

    def _new_name(self, job_id: str, title: str) -> str:
        """A free dataset name from ``title``, numbered when taken, as ckanext-harvest's
        ``_gen_new_name`` makes it ("number-sequence") - against the names taken, read once per
        job, instead of a case-insensitive ``LIKE`` scan of the package table per dataset."""
        taken = self._per_job(job_id, "names", lambda: set(
            model.Session.execute(sa.select(model.Package.name)).scalars()))
        ideal = re.sub("-+", "-", munge_title_to_name(title))[:PACKAGE_NAME_MAX_LENGTH]
        name, counter = ideal, 1
        while name in taken:
            name = ideal[:PACKAGE_NAME_MAX_LENGTH - len(str(counter))] + str(counter)
            counter += 1
        taken.add(name)
        return name

    def _per_job(self, job_id: str, key: str, compute: Any) -> Any:
        """A value that stays the same during one harvest job (site user, source name),
        computed once per job instead of once per object."""
        memo = getattr(self, "_job_memo", None)
        if memo is None or memo[0] != job_id:
            memo = (job_id, {})
            self._job_memo = memo
        if key not in memo[1]:
            memo[1][key] = compute()
        return memo[1][key]

    def _current_objects(self, source_id: str) -> dict[str, dict[str, Any]]:
        """guid -> {object_id, package_id, hash, raw, state} of the source's datasets (current
        objects)."""
        ho, pk = HarvestObject.__table__, model.Package.__table__
        hx = HarvestObjectExtra.__table__.alias("hash_extra")
        rx = HarvestObjectExtra.__table__.alias("raw_extra")
        query = (
            sa.select(ho.c.guid, ho.c.id, ho.c.package_id, hx.c.value, rx.c.value, pk.c.state)
            .select_from(
                ho.outerjoin(hx, sa.and_(hx.c.harvest_object_id == ho.c.id,
                                         hx.c.key == HASH_KEY))
                .outerjoin(rx, sa.and_(rx.c.harvest_object_id == ho.c.id,
                                       rx.c.key == RAW_KEY))
                .outerjoin(pk, pk.c.id == ho.c.package_id))
            .where(ho.c.harvest_source_id == source_id, ho.c.current.is_(True))
        )
        out: dict[str, dict[str, Any]] = {}
        for guid, object_id, package_id, digest, raw, state in model.Session.execute(query):
            out[guid] = {"object_id": object_id, "package_id": package_id, "hash": digest,
                         "raw": raw, "state": state}
        return out

    @staticmethod
    def _store_raw_keys(pairs: list[tuple[str, str]]) -> None:
        """Set RAW_KEY on these current objects (their datasets are not touched)."""
        table = HarvestObjectExtra.__table__
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start:start + 1000]
            model.Session.execute(table.delete().where(
                table.c.harvest_object_id.in_([oid for oid, _ in chunk]),
                table.c.key == RAW_KEY))
            model.Session.execute(table.insert(), [
                {"id": str(uuid.uuid4()), "harvest_object_id": oid, "key": RAW_KEY,
                 "value": key} for oid, key in chunk])

    def _organizations(self) -> dict[str, str]:
        """Lower-case name and title of every organization -> its id."""
        table = model.Group.__table__
        rows = model.Session.execute(
            sa.select(table.c.id, table.c.name, table.c.title).where(
                table.c.is_organization.is_(True), table.c.state == "active"))
        out: dict[str, str] = {}
        for oid, name, title in rows:
            out[name.lower()] = oid
            if title:
                out.setdefault(title.strip().lower(), oid)
        return out

    def _base_dict(self, source: Any, config: dict[str, Any],
                   schema: dict[str, Any] | None) -> dict[str, Any]:
        source_pkg = model.Package.get(source.id)
        base: dict[str, Any] = {}
        if source_pkg is not None and source_pkg.owner_org:
            base["owner_org"] = source_pkg.owner_org
        if schema is not None:
            names = {f["field_name"] for f in schema.get("dataset_fields", [])}
            base.update({k: v for k, v in MUNICIPAL_DEFAULTS.items() if k in names})
        base.update(config.get("defaults") or {})
        return base

    def _shape(self, pkg: dict[str, Any], schema: dict[str, Any] | None, source_id: str,
               ident: str, orgs: dict[str, str], choices: dict[str, dict[str, str]] | None = None,
               ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Fit the mapped dict to the active schema; keep source id and identifier on it."""
        errors: list[tuple[str, str]] = []
        org = pkg.get("owner_org")
        if org:
            key = str(org).strip().lower()
            if key in orgs:
                pkg["owner_org"] = orgs[key]
            elif str(org) not in orgs.values():
                errors.append(("owner_org", tk._("unknown department '{name}'").format(
                    name=str(org))))
        tags = pkg.get("tags")
        if isinstance(tags, list) and tags and isinstance(tags[0], str):
            pkg["tags"] = [{"name": t} for t in tags]
        if schema is not None:
            for fname, lookup in (choices or {}).items():
                if fname in pkg:
                    pkg[fname] = _choose(pkg[fname], lookup)
            for res in pkg.get("resources") or []:
                for fname, lookup in (choices or {}).items():
                    if fname.startswith("resource.") and fname[9:] in res:
                        res[fname[9:]] = _choose(res[fname[9:]], lookup)
            names = {f["field_name"] for f in schema.get("dataset_fields", [])}
            if "harvest_source" in names:
                pkg["harvest_source"] = source_uri(source_id, ident)
            return pkg, errors
        # CKAN's default schema: core fields stay, the rest become extras
        if "contact_name" in pkg:
            pkg.setdefault("maintainer", pkg["contact_name"])
        if "contact_email" in pkg:
            pkg.setdefault("maintainer_email", pkg["contact_email"])
        extras = {e["key"]: e["value"] for e in pkg.get("extras") or []}
        for key in list(pkg):
            if key not in CORE_FIELDS:
                value = pkg.pop(key)
                extras[key] = json.dumps(value, ensure_ascii=False) \
                    if isinstance(value, list | dict) else str(value)
        extras["gemeente_harvest_source"] = source_uri(source_id)
        extras["gemeente_source_identifier"] = ident
        pkg["extras"] = [{"key": k, "value": v} for k, v in sorted(extras.items())]
        for res in pkg.get("resources") or []:
            for key in list(res):
                if isinstance(res[key], list | dict):
                    res[key] = json.dumps(res[key], ensure_ascii=False)
        return pkg, errors

    # ------------------------------------------------------------ fetch / import

    def fetch_stage(self, harvest_object: Any) -> bool:
        return True  # the gather stage stored the mapped dataset already

    def run_object(self, obj: Any) -> None:
        """Fetch and import one gathered object, as ckanext-harvest's
        ``queue.fetch_and_import_stages`` does, with the same states, timestamps and report
        status - but written in the dataset's own transaction: one commit per dataset instead
        of that function's five extra commits of the object alone (``ckan gemeente harvest
        run`` uses this; the queue consumers keep calling the stages). A crash before the
        commit leaves the object as gathered, so the next run imports it again."""
        now = dt.datetime.utcnow()
        obj.fetch_started = obj.fetch_finished = obj.import_started = now
        obj.state = "IMPORT"
        ok = self._import(obj, finish=True)
        if not ok:
            obj = HarvestObject.get(obj.id)  # an error rolled the object back
            obj.fetch_started = obj.fetch_finished = obj.import_started = now
            self._finish(obj, "ERROR")
            model.Session.commit()

    @staticmethod
    def _finish(obj: Any, state: str, report: str | None = None) -> None:
        obj.import_finished = dt.datetime.utcnow()
        obj.state = state
        obj.report_status = "errored" if state == "ERROR" else report

    def import_stage(self, harvest_object: Any) -> bool | str:
        return self._import(harvest_object)

    def _import(self, harvest_object: Any, finish: bool = False) -> bool | str:
        """The import stage; with ``finish`` the object's end state is set before the
        dataset's commit (see :meth:`run_object`)."""
        extras = {e.key: e.value for e in harvest_object.extras}
        action = extras.get(ACTION_KEY, "create")
        source = harvest_object.source
        config = self.load_config(source.config)
        if harvest_object.current and harvest_object.package_id and action != "withdraw":
            # resumed after a crash: this object's transaction was committed already
            if model.Package.get(harvest_object.package_id) is not None:
                if finish:
                    self._finish(harvest_object, "COMPLETE", "updated")
                    model.Session.commit()
                self._enter_review(harvest_object.package_id, config, source, created=False)
                return True
        if action == "withdraw":
            done = self._withdraw(harvest_object, config)
            if finish:
                self._finish(harvest_object, "COMPLETE", "deleted")
                model.Session.commit()
            return done
        content = json.loads(harvest_object.content or "{}")
        pkg = dict(content.get("package") or {})
        for key, value in (content.get("fill") or {}).items():
            pkg[key] = dt.date.today().isoformat() if value == "today" else value
        job_id = harvest_object.harvest_job_id
        user = self._per_job(job_id, "user", _site_user)
        context: dict[str, Any] = {"user": user, "ignore_auth": True, "model": model,
                                   "session": model.Session}
        existing_id = harvest_object.package_id or self._per_job(
            job_id, "previous", lambda: self._previous_packages(source.id)
        ).get(harvest_object.guid)
        existing = model.Package.get(existing_id) if existing_id else None
        try:
            if existing is None:
                pkg_id = str(uuid.uuid4())
                pkg["id"] = pkg_id
                pkg["private"] = True
                pkg["name"] = self._new_name(job_id, pkg.get("name") or pkg.get("title") or pkg_id)
                # no earlier object of this guid has a dataset, so none is current: no UPDATE
                self._make_current(harvest_object, pkg_id, others=existing_id is not None)
                model.Session.execute(
                    sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
                if finish:
                    self._finish(harvest_object, "COMPLETE", "added")
                model.Session.flush()
                result = tk.get_action("package_create")(context, pkg)
                created = True
            else:
                current = tk.get_action("package_show")(
                    {**context, "for_update": True}, {"id": existing.id})
                update = self._merge(current, pkg)
                self._make_current(harvest_object, existing.id)
                if finish:
                    self._finish(harvest_object, "COMPLETE", "updated")
                model.Session.flush()
                result = tk.get_action("package_update")(context, update)
                created = existing.state != "active"
            model.Session.commit()
        except tk.ValidationError as exc:
            model.Session.rollback()
            self._object_error(harvest_object, content.get("ref", ""), _format_errors(
                exc.error_dict))
            return False
        except Exception as exc:  # a failing record must not stop the others
            model.Session.rollback()
            log.exception("harvest import of %s failed", harvest_object.guid)
            self._object_error(harvest_object, content.get("ref", ""),
                               urlguard.redact_url(f"{type(exc).__name__}: {exc}"))
            return False
        ctx = SourceContext(
            id=source.id, name=self._per_job(job_id, "name", lambda: self._source_name(source.id)),
            url=source.url, config=config, policy=self._per_job(job_id, "policy", guard_policy))
        try:
            self.after_import(ctx, content.get("ref", ""), result, content)
        except Exception as exc:
            log.exception("after-import step of %s failed", harvest_object.guid)
            self._object_error(harvest_object, content.get("ref", ""),
                               urlguard.redact_url(f"{type(exc).__name__}: {exc}"))
        self._enter_review(result["id"], config, source, created=created)
        return True

    def _merge(self, current: dict[str, Any], pkg: dict[str, Any]) -> dict[str, Any]:
        """The update of ``current`` with the harvested fields (private left as it is)."""
        update = dict(current)
        update.update({k: v for k, v in pkg.items() if k not in ("name", "private", "id")})
        for key in ("private", "metadata_modified", "metadata_created"):
            update.pop(key, None)
        update["state"] = "active"
        if "resources" in pkg:
            old = {r.get("url"): r for r in current.get("resources") or []}
            update["resources"] = [
                {**({"id": old[r["url"]]["id"]} if r.get("url") in old else {}), **r}
                for r in pkg["resources"]
            ]
        return update

    def _make_current(self, obj: Any, package_id: str, others: bool = True) -> None:
        if others:
            model.Session.query(HarvestObject).filter(
                HarvestObject.harvest_source_id == obj.harvest_source_id,
                HarvestObject.guid == obj.guid, HarvestObject.id != obj.id,
            ).update({"current": False}, synchronize_session=False)
        obj.package_id = package_id
        obj.current = True

    def _previous_packages(self, source_id: str) -> dict[str, str]:
        """guid -> the dataset of the source's latest earlier object with that guid (one query
        per job; read before the job's first import, so only earlier jobs' objects count)."""
        rows = model.Session.execute(
            sa.select(HarvestObject.guid, HarvestObject.package_id)
            .where(HarvestObject.harvest_source_id == source_id,
                   HarvestObject.package_id.isnot(None))
            .order_by(HarvestObject.gathered)).all()
        return {guid: package_id for guid, package_id in rows}  # the latest one wins

    def _object_error(self, obj: Any, ref: str, message: str) -> None:
        text = tk._("{ref} (id {id}): {message}").format(ref=ref or tk._("record"),
                                                          id=obj.guid, message=message)
        model.Session.add(HarvestObjectError(object=obj, message=text, stage="Import"))
        model.Session.commit()

    def _enter_review(self, package_id: str, config: dict[str, Any], source: Any,
                      created: bool) -> None:
        if config.get("review_state", "concept") != "ingediend":
            return
        show = action_or_none("gemeente_review_show")
        submit = action_or_none("gemeente_review_submit")
        if show is None or submit is None:
            return
        ctx = {"user": _site_user()}
        state = show(dict(ctx), {"id": package_id}).get("state")
        if state == "concept":
            submit(dict(ctx), {"id": package_id, "comment": tk._(
                "Harvested from source {name}").format(name=self._source_name(source.id))})

    def _withdraw(self, obj: Any, config: dict[str, Any]) -> bool:
        package_id = obj.package_id
        pkg = model.Package.get(package_id) if package_id else None
        if pkg is None or pkg.state != "active":
            if package_id:
                self._make_current(obj, package_id)
            obj.current = False
            model.Session.commit()
            return True
        mode = config.get("withdraw", "auto")
        withdraw = action_or_none("gemeente_review_withdraw")
        reason = tk._("No longer in harvest source {name}").format(
            name=self._source_name(obj.harvest_source_id))
        done = False
        if mode in ("auto", "ingetrokken") and withdraw is not None:
            try:
                withdraw({"user": _site_user()}, {"id": package_id, "reason": reason})
                done = True
            except tk.ValidationError:
                # already withdrawn in the review (private): it stays so, not deleted
                model.Session.rollback()
                done = True
        if not done:
            tk.get_action("package_delete")(
                {"user": _site_user(), "ignore_auth": True}, {"id": package_id})
        self._make_current(obj, package_id)
        obj.current = False
        model.Session.commit()
        return True


def choice_lookups(schema: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """field -> {lower-case value or label (nl, en): value} of the schema's choice fields.

    Lets a spreadsheet say "Afval" where the schema stores a theme URI. Resource fields are
    keyed ``resource.<name>``.
    """
    out: dict[str, dict[str, str]] = {}
    if schema is None:
        return out
    fields = [(f, "") for f in schema.get("dataset_fields", [])] + \
        [(f, "resource.") for f in schema.get("resource_fields", [])]
    for fdef, prefix in fields:
        choices = fdef.get("choices")
        helper = fdef.get("choices_helper")
        if helper:
            try:
                choices = tk.h[helper](fdef)
            except Exception:  # a helper needing a request or a missing list: no lookup
                choices = None
        if not choices:
            continue
        lookup: dict[str, str] = {}
        for choice in choices:
            value = choice.get("value")
            if value is None:
                continue
            labels = choice.get("label")
            names = list(labels.values()) if isinstance(labels, dict) else [labels]
            for name in [value, *names]:
                if name:
                    lookup.setdefault(str(name).strip().lower(), value)
        out[prefix + fdef["field_name"]] = lookup
    return out


def _choose(value: Any, lookup: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_choose(v, lookup) for v in value]
    if isinstance(value, str):
        return lookup.get(value.strip().lower(), value)
    return value


def _sql_error_text(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).splitlines()[0] if str(exc) else ""
    return urlguard.redact_url(text)


def _format_errors(error_dict: dict[str, Any], prefix: str = "") -> str:
    parts = []
    for key, value in error_dict.items():
        if key == "__before":
            key = ""
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            parts.append(_format_errors(value, name + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                if item:
                    parts.append(_format_errors(item, f"{name}[{i}]."))
        else:
            msgs = value if isinstance(value, list) else [value]
            parts.append(tk._("field {field}: {message}").format(
                field=name or "-", message=" ".join(str(m) for m in msgs)))
    return "; ".join(p for p in parts if p)
