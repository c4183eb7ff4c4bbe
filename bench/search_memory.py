"""Benchmark: memory per dataset of the search server's index, and query speed, in-process.

    .venv/bin/python bench/search_memory.py [--datasets 10000] [--rounds 5] [--breakdown]

No CKAN, no database, no HTTP: a :class:`Core` on CKAN's schema.xml is fed N synthetic
CKAN index documents, shaped as ``ckan.lib.search.index.PackageSearchIndex.index_package``
builds them from ``package_show`` dicts of bench/search.py's generator (same seed), in
commits of 1,000 as ``ckan gemeente search-index rebuild`` sends them.

Figures:

1. **KB per dataset**: the process's resident memory (``/proc/self/status``) after a full
   garbage collection, before the first document and after the last commit, divided by N.
   Every generated document is dropped once added: what remains is the index (postings,
   norms, sort and facet values, the stored fields and the key maps).
2. **indexing rate** (prepare + analyse + commit, datasets/s), as a side figure, and the
   time of the commits that replace the first 2,000 datasets with new versions (analysed
   beforehand, as the update requests' threads do: what remains is the work under the
   write lock, unindexing the old versions and merging the new).
3. **query time** (CPU time of the process, less disturbed by other work on the machine
   than wall time): a mix of the queries CKAN's ``package_search`` sends for typical
   portal searches (dismax free text over ``name^4 title^4 tags^2 groups^2 text`` with
   CKAN's ``mm`` and ``tie``, a logged-in member's permission labels, facets on
   organization/tags/res_format/license_id, score then date sorting), phrase, prefix,
   wildcard and fuzzy queries and sorted browsing. Each round clears the core's
   per-commit caches first, so every query is executed, not answered from a cache. Printed:
   per query the minimum and the median over rounds (ms), and the sums over the queries;
   the minima compare best between runs on a shared machine.

``--breakdown`` also prints how the index's memory divides over its structures (a walk of
the objects, each object counted once), which is slow.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import pathlib
import random
import statistics
import sys
import time
import uuid
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import DEPARTMENTS, TAGS, make_dataset  # noqa: E402

from ckanext.gemeente.search.solr import default_schema_path  # noqa: E402
from ckanext.gemeente.search.solr.core import Core  # noqa: E402
from ckanext.gemeente.search.solr.ops import Add  # noqa: E402
from ckanext.gemeente.search.solr.params import Params  # noqa: E402
from ckanext.gemeente.search.solr.solrschema import Schema  # noqa: E402

SITE_ID = "default"
QUERY_FIELDS = "name^4 title^4 tags^2 groups^2 text"  # ckan/lib/search/query.py
FACETS = ["organization", "tags", "res_format", "license_id"]


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _uuid(name: str) -> str:
    """A stable uuid for a name (organisations, tags, users)."""
    return str(uuid.UUID(bytes=hashlib.md5(name.encode()).digest(), version=4))


def package_dict(i: int, rnd: random.Random) -> dict[str, Any]:
    """A ``package_show`` result for bench/search.py's dataset ``i``."""
    data = make_dataset(i, rnd)
    pkg_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    org_id = _uuid(data["owner_org"])
    created = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.{i:06d}"
    org_title = dict(DEPARTMENTS)[data["owner_org"]]
    resources = []
    for n, res in enumerate(data["resources"]):
        resources.append({
            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "package_id": pkg_id,
            "url": res["url"], "format": res["format"], "name": res["name"],
            "description": "", "position": n, "state": "active", "created": created,
            "last_modified": None, "metadata_modified": created, "mimetype": None,
            "mimetype_inner": None, "size": None, "hash": "", "cache_url": None,
            "cache_last_updated": None, "url_type": None, "resource_type": None,
            "datastore_active": False,
        })
    tags = [{"id": _uuid(t["name"]),
             "name": t["name"], "display_name": t["name"], "state": "active",
             "vocabulary_id": None} for t in data["tags"]]
    return {
        "author": None, "author_email": None, "creator_user_id": _uuid("bench-medewerker"),
        "id": pkg_id, "isopen": True, "license_id": "cc-by", "license_title":
        "Creative Commons Attribution", "license_url": "http://www.opendefinition.org/licenses/cc-by",
        "maintainer": None, "maintainer_email": None, "metadata_created": created,
        "metadata_modified": created, "name": data["name"], "notes": data["notes"],
        "num_resources": len(resources), "num_tags": len(tags),
        "organization": {"id": org_id, "name": data["owner_org"], "title": org_title,
                         "type": "organization", "description": "", "image_url": "",
                         "created": "2026-01-01T00:00:00", "is_organization": True,
                         "approval_status": "approved", "state": "active"},
        "owner_org": org_id, "private": data["private"], "state": "active",
        "title": data["title"], "type": "dataset", "url": "", "version": None,
        "extras": data["extras"], "resources": resources, "tags": tags, "groups": [],
        "relationships_as_subject": [], "relationships_as_object": [],
    }


def index_document(pkg: dict[str, Any]) -> dict[str, Any]:
    """What CKAN's ``index_package`` sends to Solr for ``pkg`` (via pysolr's JSON)."""
    doc = dict(pkg)
    doc["data_dict"] = json.dumps(pkg)
    doc["validated_data_dict"] = json.dumps(pkg)
    doc["title_string"] = pkg["title"]
    for extra in doc.pop("extras"):
        doc["extras_" + extra["key"]] = extra["value"]
        doc[extra["key"]] = extra["value"]
    doc["tags"] = [t["name"] for t in doc["tags"]]
    doc["capacity"] = "private" if pkg["private"] else "public"
    doc["groups"] = [g["name"] for g in doc["groups"]]
    doc["organization"] = pkg["organization"]["name"]
    for res in doc.pop("resources"):
        for okey, nkey in (("name", "res_name"), ("description", "res_description"),
                           ("format", "res_format"), ("url", "res_url"),
                           ("resource_type", "res_type")):
            doc[nkey] = [*doc.get(nkey, []), res.get(okey) or ""]
    doc.pop("relationships_as_subject")
    doc.pop("relationships_as_object")
    doc["entity_type"] = "package"
    doc["dataset_type"] = pkg["type"]
    doc["metadata_created"] += "Z"
    doc["metadata_modified"] += "Z"
    doc["site_id"] = SITE_ID
    doc["index_id"] = hashlib.md5(f"{pkg['id']}{SITE_ID}".encode()).hexdigest()
    doc["permission_labels"] = (
        ["public"] if not pkg["private"] else [f"member-{pkg['owner_org']}"])
    # pysolr leaves out None values and sends booleans as "true"/"false"
    return {k: ("true" if v else "false") if isinstance(v, bool) else v
            for k, v in doc.items() if v is not None}


def portal_queries(member_orgs: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """``(label, /select parameters)`` of typical portal searches, as CKAN sends them."""
    labels = " OR ".join(f'"{lab}"' for lab in ["public", *[f"member-{o}" for o in member_orgs]])
    base = {
        "fq": [f'+site_id:"{SITE_ID}" +dataset_type:dataset +state:active',
               f"+permission_labels:({labels})"],
        "facet": "true", "facet.field": FACETS, "facet.limit": "50", "facet.mincount": "1",
        "rows": "20", "fl": "id validated_data_dict", "wt": "json", "q.op": "AND",
    }
    dismax = {"defType": "dismax", "tie": "0.1", "mm": "2<-1 5<80%", "qf": QUERY_FIELDS}
    score_sort = {"sort": "score desc, metadata_modified desc"}
    out: list[tuple[str, dict[str, Any]]] = []
    for q in ["afval", "parkeren centrum", "bomen", "luchtkwaliteit noord", "laadpalen",
              "bevolking wijk", "subsidies 2024", "verkeer", "energie zuid", "monumenten"]:
        out.append((f"dismax {q!r}", {**base, **dismax, **score_sort, "q": q}))
    out.append(("dismax + tags fq", {**base, **dismax, **score_sort, "q": "verkeerstellingen",
                                     "fq": [*base["fq"], f'tags:"{TAGS[1]}"']}))
    out.append(("browse *:* by date", {**base, "q": "*:*", "sort": "metadata_modified desc"}))
    out.append(("browse *:* by title", {**base, "q": "*:*", "sort": "title_string asc"}))
    out.append(("org + format fq", {**base, "q": "*:*", "sort": "metadata_modified desc",
                                    "fq": [*base["fq"], f"organization:{DEPARTMENTS[0][0]}",
                                           "res_format:CSV"]}))
    out.append(("phrase", {**base, **score_sort, "q": 'text:"openbare ruimte"'}))
    out.append(("phrase notes slop", {**base, **score_sort,
                                      "q": 'notes:"overzicht stadsdeel"~3'}))
    out.append(("prefix name", {**base, **score_sort, "q": "name:afval*"}))
    out.append(("wildcard title", {**base, **score_sort, "q": "title:*bomen*"}))
    out.append(("fuzzy", {**base, **score_sort, "q": "text:luchtkwalitiet~2"}))
    out.append(("ngram title", {**base, **score_sort, "q": "title_ngram:laadp"}))
    out.append(("range date", {**base, **score_sort,
                               "q": "metadata_modified:[2026-03-01T00:00:00Z TO *]"}))
    return out


def breakdown(core: Core) -> None:
    """Approximate bytes per index structure (each object counted once, first owner)."""
    seen: set[int] = set()

    def size(obj: Any) -> int:
        total = 0
        stack = [obj]
        while stack:
            o = stack.pop()
            if id(o) in seen:
                continue
            seen.add(id(o))
            total += sys.getsizeof(o)
            if isinstance(o, dict):
                stack.extend(o.keys())
                stack.extend(o.values())
            elif isinstance(o, (list, tuple, set, frozenset)):
                stack.extend(o)
            elif hasattr(o, "__slots__") and not isinstance(o, type):
                stack.extend(getattr(o, s) for s in o.__slots__ if hasattr(o, s))
        return total

    index = core.index
    n = index.num_docs or 1
    rows: list[tuple[str, int]] = []
    for name in ("key_to_doc", "doc_to_key", "doc_fields", "stored"):
        rows.append((name, size(getattr(index, name))))
    per_attr: dict[str, int] = {}
    per_field: dict[str, int] = {}
    for name, fd in index.fields.items():
        for attr in ("postings", "docs", "facet", "sortval", "doc_len"):
            b = size(getattr(fd, attr))
            per_attr[attr] = per_attr.get(attr, 0) + b
            per_field[name] = per_field.get(name, 0) + b
    rows += [(f"fields.{a}", b) for a, b in per_attr.items()]
    total = sum(b for _, b in rows)
    print(f"breakdown ({total / n / 1024:.1f} KB per dataset counted):")
    for name, b in rows:
        print(f"  {name:24} {b / n / 1024:6.2f} KB/dataset")
    print("  largest fields:")
    for name, b in sorted(per_field.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {name:22} {b / n / 1024:6.2f} KB/dataset")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5, help="query rounds (cold caches)")
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()

    schema = Schema.load(default_schema_path())
    core = Core("ckan", schema)
    rnd = random.Random(20261125)
    gc.collect()
    rss0 = rss_kb()
    t0 = time.perf_counter()
    batch: list[Add] = []
    for i in range(args.datasets):
        prepared = schema.prepare(index_document(package_dict(i, rnd)))
        batch.append(Add(str(prepared["index_id"][0]), prepared))
        if len(batch) == 1000:
            core.update(batch, commit=True)
            batch = []
    core.update(batch, commit=True)
    del batch
    index_s = time.perf_counter() - t0
    gc.collect()
    rss1 = rss_kb()
    assert core.num_docs == args.datasets, core.num_docs
    print(f"{args.datasets} datasets indexed in {index_s:.1f} s "
          f"({args.datasets / index_s:.0f} datasets/s, generation included)")
    print(f"memory: {rss0 / 1024:.0f} MB before, {rss1 / 1024:.0f} MB after = "
          f"{(rss1 - rss0) / args.datasets:.1f} KB per dataset")

    queries = portal_queries([d for d, _ in DEPARTMENTS[:3]])
    params = [(label, Params.from_mapping(p)) for label, p in queries]
    found = {label: core.select(p)["response"]["numFound"] for label, p in params}
    times: dict[str, list[float]] = {label: [] for label, _ in params}
    for _ in range(args.rounds):
        for label, p in params:
            core._fq_cache.clear()  # every query executed, not answered from a cache
            core._q_cache.clear()
            core._score_cache = {}
            t = time.process_time()
            core.select(p)
            times[label].append(time.process_time() - t)
    total = 0.0
    total_med = 0.0
    print(f"query CPU times over {args.rounds} rounds (caches cleared before each query): "
          "min, median")
    for label, ts in times.items():
        best, med = min(ts) * 1000, statistics.median(ts) * 1000
        total += best
        total_med += med
        print(f"  {label:28} {best:8.2f} {med:8.2f} ms  ({found[label]} found)")
    print(f"QUERIES sum of minima: {total:.1f} ms, of medians: {total_med:.1f} ms, "
          f"for {len(params)} queries")
    # updates: the first datasets again (new versions), analysed beforehand as the update
    # requests' threads do, so that the time is the commits' (under the write lock):
    # unindexing the old versions and merging the new ones
    n_upd = min(2000, args.datasets)
    rnd = random.Random(20261203)
    keys = [core.index.doc_to_key[d] for d in sorted(core.index.doc_to_key)[:n_upd]]
    upd_batches: list[list[Add]] = []
    for start in range(0, n_upd, 1000):
        adds = []
        for i in range(start, min(start + 1000, n_upd)):
            doc = {**index_document(package_dict(i, rnd)), "index_id": keys[i]}
            prepared = schema.prepare(doc)
            op = Add(keys[i], prepared)
            op.analyzed = core.analyzer.analyze(op.doc)
            adds.append(op)
        upd_batches.append(adds)
    t0 = time.perf_counter()
    for adds in upd_batches:
        core.update(adds, commit=True)
    upd_s = time.perf_counter() - t0
    assert core.num_docs == args.datasets, core.num_docs
    print(f"updates: {n_upd} datasets replaced in commits of 1,000: {upd_s * 1000:.0f} ms "
          f"of commits ({n_upd / upd_s:.0f} datasets/s)")
    print(f"KB PER DATASET: {(rss1 - rss0) / args.datasets:.1f}")
    if args.breakdown:
        breakdown(core)


if __name__ == "__main__":
    main()
