"""HTTP tests of the embedded search server with pysolr and raw requests."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pysolr
import pytest
import requests

from ckanext.gemeente.search import SearchServer
from ckanext.gemeente.search.pytest_plugin import solr_server  # noqa: F401

SOLR_EXC = "org.apache.solr.common.SolrException"


@pytest.fixture()
def core_url(solr_server: SearchServer) -> str:  # noqa: F811
    """The server's one core, emptied (pending updates too) for each test."""
    solr_server.clear()
    return solr_server.url


@pytest.fixture()
def solr(core_url: str) -> pysolr.Solr:
    return pysolr.Solr(core_url, timeout=30)


def doc(n: int | str, **fields: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"index_id": f"idx-{n}", "id": f"id-{n}", "site_id": "test",
                         "name": f"name-{n}", "state": "active", "entity_type": "package",
                         "capacity": "public", "permission_labels": ["public"],
                         "metadata_modified": f"2024-01-{int(n) % 28 + 1:02d}T00:00:00Z"
                         if str(n).isdigit() else "2024-01-01T00:00:00Z"}
    d.update(fields)
    return d


def assert_solr_error(resp: requests.Response, msg: str, code: int = 400) -> None:
    assert resp.status_code == code, resp.text
    body = resp.json()
    assert body["responseHeader"]["status"] == code
    assert body["error"]["code"] == code
    assert body["error"]["metadata"] == ["error-class", SOLR_EXC, "root-error-class", SOLR_EXC]
    assert msg in body["error"]["msg"], body["error"]["msg"]


# ---------------------------------------------------------------------------- basics

def test_schema_endpoints_serve_schema_xml(solr_server: SearchServer) -> None:  # noqa: F811
    raw = solr_server.schema.raw_xml
    for path in ("/schema?wt=schema.xml", "/admin/file/?file=schema.xml",
                 "/admin/file?file=schema.xml"):
        r = requests.get(solr_server.url + path, timeout=10)
        assert r.status_code == 200
        assert r.content == raw
    assert b'name="ckan-' in raw


def test_ckan_schema_version_check(solr_server: SearchServer, monkeypatch) -> None:  # noqa: F811
    pytest.importorskip("ckan")
    from ckan.common import config
    from ckan.lib.search import check_solr_schema_version

    monkeypatch.setitem(config, "solr_url", solr_server.url)
    monkeypatch.setitem(config, "solr_user", None)
    monkeypatch.setitem(config, "solr_password", None)
    assert check_solr_schema_version() is True


def test_ping_and_core_status(solr: pysolr.Solr, solr_server: SearchServer) -> None:  # noqa: F811
    assert '"status":"OK"' in solr.ping()
    r = requests.get(f"{solr_server.base_url}/admin/cores?action=STATUS&wt=json", timeout=10)
    assert r.status_code == 200
    assert "ckan" in r.json()["status"]


def test_add_commit_select_delete(solr: pysolr.Solr) -> None:
    solr.add([doc(1, title="Water quality"), doc(2, title="Air quality")], commit=True)
    res = solr.search("*:*", fl="id,title,metadata_modified")
    assert res.hits == 2
    assert res.docs[0] == {"id": "id-1", "title": "Water quality",
                           "metadata_modified": "2024-01-02T00:00:00Z"}
    res = solr.search("title:water")
    assert [d["id"] for d in res.docs] == ["id-1"]
    solr.delete(id="idx-1", commit=True)
    assert solr.search("*:*").hits == 1
    solr.delete(q="+site_id:\"test\"", commit=True)
    assert solr.search("*:*").hits == 0


def test_visibility_requires_commit(solr: pysolr.Solr) -> None:
    solr.add([doc(1)], commit=False)
    assert solr.search("*:*").hits == 0
    solr.commit()
    assert solr.search("*:*").hits == 1
    solr.add([doc(2)], softCommit=True)
    assert solr.search("*:*").hits == 2
    solr.add([doc(3)], commitWithin=1000)
    assert solr.search("*:*").hits == 3
    solr.delete(id="idx-3", commit=False)
    assert solr.search("*:*").hits == 3
    solr.commit()
    assert solr.search("*:*").hits == 2


def test_overwrite_by_unique_key(solr: pysolr.Solr) -> None:
    solr.add([doc(1, title="First")], commit=True)
    solr.add([doc(1, title="Second")], commit=True)
    res = solr.search("*:*", fl="title")
    assert res.hits == 1 and res.docs[0]["title"] == "Second"


def test_xml_and_json_commands(core_url: str) -> None:
    xml = ('<add><doc><field name="index_id">x1</field><field name="id">a</field>'
           '<field name="site_id">s</field><field name="tags">t1</field>'
           '<field name="tags">t2</field></doc></add>')
    r = requests.post(core_url + "/update?commit=true", data=xml,
                      headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(core_url + "/select?q=*:*&fl=tags&wt=json", timeout=10)
    assert r.json()["response"]["docs"] == [{"tags": ["t1", "t2"]}]
    cmds = ('{"add": {"doc": {"index_id": "x2", "id": "b", "site_id": "s"}},'
            ' "add": {"doc": {"index_id": "x3", "id": "c", "site_id": "s"}},'
            ' "delete": {"id": "x1"}, "commit": {}}')
    r = requests.post(core_url + "/update", data=cmds,
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(core_url + "/select?q=*:*&fl=id&sort=id+asc", timeout=10)
    assert [d["id"] for d in r.json()["response"]["docs"]] == ["b", "c"]
    r = requests.post(core_url + "/update", data='{"delete": {"query": "id:b"}}',
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200
    r = requests.post(core_url + "/update", data="<commit/>",
                      headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 200
    r = requests.post(core_url + "/update", data="<optimize/>",
                      headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 200
    r = requests.get(core_url + "/select?q=*:*&fl=id", timeout=10)
    assert [d["id"] for d in r.json()["response"]["docs"]] == ["c"]


def test_post_select_for_long_queries(solr: pysolr.Solr) -> None:
    solr.add([doc(i) for i in range(5)], commit=True)
    long_fq = " OR ".join(f'id:"id-{i}"' for i in range(200))
    res = solr.search("*:*", fq=f"({long_fq})", rows=3)
    assert res.hits == 5
    assert len(res.docs) == 3


def test_response_shape(core_url: str, solr: pysolr.Solr) -> None:
    solr.add([doc(1, tags=["a", "b"]), doc(2, tags=["b"])], commit=True)
    r = requests.get(core_url + "/select", params=[
        ("q", "*:*"), ("fl", "id,score"), ("facet", "true"), ("facet.field", "tags"),
        ("facet.mincount", "1"), ("wt", "json"), ("fq", "site_id:test"),
        ("fq", "state:active")], timeout=10)
    body = r.json()
    assert body["responseHeader"]["status"] == 0
    assert isinstance(body["responseHeader"]["QTime"], int)
    assert body["responseHeader"]["params"]["fq"] == ["site_id:test", "state:active"]
    resp = body["response"]
    assert resp["numFound"] == 2 and resp["start"] == 0 and resp["numFoundExact"] is True
    assert resp["maxScore"] == 1.0
    assert resp["docs"][0] == {"id": "id-1", "score": 1.0}
    assert body["facet_counts"] == {
        "facet_queries": {}, "facet_fields": {"tags": ["b", 2, "a", 1]},
        "facet_ranges": {}, "facet_intervals": {}, "facet_heatmaps": {}}
    r = requests.get(core_url + "/select", params={
        "q": "*:*", "facet": "true", "facet.field": "tags", "json.nl": "map",
        "facet.sort": "index"}, timeout=10)
    assert r.json()["facet_counts"]["facet_fields"]["tags"] == {"a": 1, "b": 2}


def test_facets_limits_and_overrides(solr: pysolr.Solr) -> None:
    solr.add([doc(1, tags=["x", "y", "z"], res_format=["CSV"]),
              doc(2, tags=["y", "z"], res_format=["CSV", "JSON"]),
              doc(3, tags=["z"], title="Budget report")], commit=True)
    res = solr.search("*:*", **{"facet": "true", "facet.field": ["tags", "res_format"],
                                "facet.limit": 2, "f.res_format.facet.limit": -1,
                                "facet.mincount": 1})
    ff = res.facets["facet_fields"]
    assert ff["tags"] == ["z", 3, "y", 2]
    assert ff["res_format"] == ["CSV", 2, "JSON", 1]
    # mincount 0 (Solr's default) lists values with zero counts too
    res = solr.search("tags:x", **{"facet": "true", "facet.field": "tags"})
    assert res.facets["facet_fields"]["tags"] == ["x", 1, "y", 1, "z", 1]
    res = solr.search("tags:z", **{"facet": "true", "facet.field": "tags",
                                   "facet.prefix": "y"})
    assert res.facets["facet_fields"]["tags"] == ["y", 2]
    # text fields facet on indexed terms
    res = solr.search("id:id-3", **{"facet": "true", "facet.field": "title",
                                    "facet.mincount": 1})
    assert res.facets["facet_fields"]["title"] == ["budget", 1, "report", 1]
    res = solr.search("*:*", **{"facet": "true", "facet.query": "tags:y", "rows": 0})
    assert res.facets["facet_queries"] == {"tags:y": 2}
    assert res.docs == []


def test_sort_rows_start_fl(solr: pysolr.Solr) -> None:
    solr.add([doc(i, title=f"Dataset {c}", title_string=f"Dataset {c}")
              for i, c in zip(range(1, 6), "cbeda", strict=True)], commit=True)
    res = solr.search("*:*", sort="title_string asc", fl="id")
    assert [d["id"] for d in res.docs] == ["id-5", "id-2", "id-1", "id-4", "id-3"]
    res = solr.search("*:*", sort="metadata_modified desc", fl="id", rows=2, start=1)
    assert [d["id"] for d in res.docs] == ["id-4", "id-3"]
    assert res.hits == 5
    res = solr.search("*:*", sort="score desc, name asc", fl="name", rows=1)
    assert res.docs == [{"name": "name-1"}]
    res = solr.search("*:*", fl="*")
    d = res.docs[0]
    assert "permission_labels" not in d  # stored=false
    assert isinstance(d["title_ngram"], str)
    assert d["site_id"] == "test"
    assert "indexed_ts" in d
    res = solr.search("*:*", rows=0)
    assert res.hits == 5 and res.docs == []


def test_sort_missing_last(solr: pysolr.Solr) -> None:
    solr.add([doc(1, title_string="b"), doc(2), doc(3, title_string="a")], commit=True)
    for direction in ("asc", "desc"):
        res = solr.search("*:*", sort=f"title_string {direction}", fl="id")
        assert res.docs[-1]["id"] == "id-2"


def test_bm25_short_title_ranks_first(solr: pysolr.Solr) -> None:
    solr.add([
        doc(1, title="Inventory", notes="A very long description that mentions trees "
            "somewhere among many many other words about the city and its parks"),
        doc(2, title="Trees"),
        doc(3, title="Unrelated"),
    ], commit=True)
    res = solr.search("trees", defType="dismax", qf="name^4 title^4 tags^2 groups^2 text",
                      fl="id,score", tie="0.1", mm="2<-1 5<80%")
    assert [d["id"] for d in res.docs] == ["id-2", "id-1"]
    assert res.docs[0]["score"] > res.docs[1]["score"]


def test_ckan_like_search(solr: pysolr.Solr) -> None:
    solr.add([doc(1, title="Bomen in de stad", tags=["groen"], organization="gemeente",
                  permission_labels=["public"]),
              doc(2, title="Bomen private", permission_labels=["member-org1"],
                  capacity="private"),
              doc(3, title="Water", state="deleted")], commit=True)
    params = {
        "fq": ["+site_id:\"test\"", "+state:active",
               "+permission_labels:(\"public\" OR \"creator-x\")"],
        "facet": "true", "facet.limit": 50, "facet.mincount": 1,
        "facet.field": ["organization", "tags", "res_format"], "fl": "id,name",
        "defType": "dismax", "tie": "0.1", "mm": "2<-1 5<80%",
        "qf": "name^4 title^4 tags^2 groups^2 text", "df": "text", "q.op": "AND",
        "rows": 21, "sort": "score desc, metadata_modified desc",
    }
    res = solr.search("bomen", **params)
    assert [d["id"] for d in res.docs] == ["id-1"]
    assert res.facets["facet_fields"]["organization"] == ["gemeente", 1]
    # purely negative filter
    res = solr.search("*:*", fq="-state:deleted", fl="id", sort="id asc")
    assert [d["id"] for d in res.docs] == ["id-1", "id-2"]


# ---------------------------------------------------------------------------- errors

def test_error_malformed_json(core_url: str) -> None:
    r = requests.post(core_url + "/update", data='[{"id": ', timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_solr_error(r, "Cannot parse provided JSON")


def test_error_missing_required_and_bad_values(core_url: str) -> None:
    r = requests.post(core_url + "/update?commit=true",
                      data=json.dumps([{"index_id": "a", "id": "a"}]), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_solr_error(r, "missing required field: site_id")
    r = requests.post(core_url + "/update?commit=true",
                      data=json.dumps([doc(1, metadata_modified="yesterday")]), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_solr_error(r, "yesterday")
    r = requests.post(core_url + "/update?commit=true",
                      data=json.dumps([doc(1, views_total="many")]), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_solr_error(r, "many")


def test_bad_doc_rejects_whole_batch(core_url: str) -> None:
    batch = [doc(1), doc(2), {"index_id": "bad", "id": "bad"}, doc(3)]
    r = requests.post(core_url + "/update?commit=true", data=json.dumps(batch), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    requests.get(core_url + "/update?commit=true", timeout=10)
    r = requests.get(core_url + "/select?q=*:*", timeout=10)
    assert r.json()["response"]["numFound"] == 0


def test_error_query_syntax(core_url: str) -> None:
    r = requests.get(core_url + "/select", params={"q": "title:(unclosed"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == 400
    r = requests.get(core_url + "/select", params={"q": "*:*", "fq": "a:[1 TO"}, timeout=10)
    assert r.status_code == 400


def test_error_sort(core_url: str) -> None:
    r = requests.get(core_url + "/select", params={"q": "*:*", "sort": "name"}, timeout=10)
    assert_solr_error(r, "Can't determine a Sort Order (asc or desc) in sort spec 'name'")
    r = requests.get(core_url + "/select", params={"q": "*:*", "sort": "name sideways"},
                     timeout=10)
    assert_solr_error(r, "Can't determine a Sort Order")
    r = requests.get(core_url + "/select", params={"q": "*:*", "sort": "tags asc"},
                     timeout=10)
    assert_solr_error(r, "can not sort on multivalued field: tags")


def test_ckan_maps_sort_error(solr: pysolr.Solr) -> None:
    with pytest.raises(pysolr.SolrError, match="Can't determine a Sort Order"):
        solr.search("*:*", sort="title")


def test_error_rows_and_start(core_url: str) -> None:
    r = requests.get(core_url + "/select", params={"q": "*:*", "rows": "abc"}, timeout=10)
    assert_solr_error(r, 'For input string: "abc"')
    r = requests.get(core_url + "/select", params={"q": "*:*", "start": "-1"}, timeout=10)
    assert_solr_error(r, "'start' parameter cannot be negative")


def test_error_unknown_path_and_body_too_large(core_url: str,
                                               solr_server: SearchServer) -> None:  # noqa: F811
    r = requests.get(core_url + "/nope", timeout=10)
    assert r.status_code == 404
    old = solr_server.app.max_body
    solr_server.app.max_body = 1000
    try:
        r = requests.post(core_url + "/update", data=json.dumps([doc(1, notes="x" * 2000)]),
                          headers={"Content-Type": "application/json"}, timeout=10)
        assert_solr_error(r, "Request body too large", 413)
    finally:
        solr_server.app.max_body = old


def test_error_xml(core_url: str) -> None:
    r = requests.post(core_url + "/update", data="<add><doc>", timeout=10,
                      headers={"Content-Type": "text/xml"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == 400


# ---------------------------------------------------------------------------- concurrency

def test_concurrent_updates_and_selects(core_url: str) -> None:
    solr = pysolr.Solr(core_url, timeout=30)
    solr.add([doc(i, tags=["base"]) for i in range(50)], commit=True)
    errors: list[BaseException] = []
    stop = threading.Event()
    deadline = time.monotonic() + 20

    def writer(w: int) -> None:
        s = pysolr.Solr(core_url, timeout=30)
        try:
            for i in range(30):
                n = 1000 + w * 100 + i
                # each batch adds a pair of docs sharing a batch tag atomically
                s.add([doc(n, tags=[f"pair-{w}-{i}"]), doc(n + 50, tags=[f"pair-{w}-{i}"])],
                      commit=True)
                if time.monotonic() > deadline:
                    break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader() -> None:
        s = pysolr.Solr(core_url, timeout=30)
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                res = s.search("*:*", rows=0, **{"facet": "true", "facet.field": "tags",
                                                  "facet.limit": -1, "facet.mincount": 1})
                counts = res.facets["facet_fields"]["tags"]
                pairs = dict(zip(counts[::2], counts[1::2], strict=True))
                assert pairs.pop("base") == 50
                assert all(v == 2 for v in pairs.values()), pairs
                assert res.hits == 50 + 2 * len(pairs)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors
    assert solr.search("*:*", rows=0).hits == 50 + 3 * 30 * 2


# ---------------------------------------------------------------------------- persistence

def test_persistence_across_restart(tmp_path) -> None:
    data = str(tmp_path / "data")
    with SearchServer(port=0, data_dir=data) as server:
        s = pysolr.Solr(server.url, timeout=30)
        s.add([doc(i, title=f"Title {i}", tags=[f"t{i % 3}"]) for i in range(30)],
              commit=True)
        s.delete(id="idx-7", commit=True)
        before = s.search("title", defType="dismax", qf="title text", fl="id,score",
                          rows=100, **{"facet": "true", "facet.field": "tags"})
    with SearchServer(port=0, data_dir=data) as server:
        s = pysolr.Solr(server.url, timeout=30)
        after = s.search("title", defType="dismax", qf="title text", fl="id,score",
                         rows=100, **{"facet": "true", "facet.field": "tags"})
    assert after.hits == before.hits == 29
    assert after.docs == before.docs
    assert after.facets == before.facets


def test_keep_alive_latency(solr: pysolr.Solr) -> None:
    """No Nagle/delayed-ACK stall: sequential keep-alive requests are fast."""
    solr.add([doc(1)], commit=True)
    solr.search("*:*")
    t = time.perf_counter()
    for _ in range(20):
        solr.search("*:*", fl="id")
    # with the stall every request takes ~40 ms (0.8 s in all)
    assert time.perf_counter() - t < 0.6


def test_index_gc_collects_on_its_own_schedule() -> None:
    """The standalone server's collector policy: automatic GC off; a collection (and a
    freeze of the survivors) after each commit and every N other requests; updates
    without a commit leave no garbage and trigger none."""
    import gc
    import weakref

    from ckanext.gemeente.search.solr.gcpolicy import IndexGC

    policy = IndexGC(requests=10)
    policy.start()
    try:
        assert not gc.isenabled()
        policy.note(0)  # first commit generation seen
        assert policy.collections == 1
        for _ in range(50):
            policy.note(0)  # updates, no commit
        assert policy.collections == 1
        policy.note(1)  # an update request that committed
        assert policy.collections == 2
        for _ in range(9):
            policy.note()  # searches
        assert policy.collections == 2
        policy.note()  # the 10th
        assert policy.collections == 3
        assert gc.get_freeze_count() > 0

        # a garbage cycle made between two collections lives until the next one
        class Node:
            pass

        node = Node()
        node.me = node  # type: ignore[attr-defined]
        alive = weakref.ref(node)
        del node
        assert alive() is not None  # automatic collection is off
        policy.note(2)
        assert alive() is None
    finally:
        policy.stop()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_connection_threads_are_reused_and_never_starve(
    solr_server: SearchServer, core_url: str  # noqa: F811
) -> None:
    """A new connection per request (CKAN's pattern) reuses a free thread; connections
    held open (keep-alive) beyond the idle pool size each still get a thread."""
    httpd = solr_server.httpd
    before = httpd._workers  # type: ignore[attr-defined]
    for _ in range(60):  # one request, one connection, one after the other
        with requests.Session() as s:
            assert s.get(f"{core_url}/admin/ping").status_code == 200
    assert httpd._workers <= max(before, 1) + 2  # type: ignore[attr-defined]
    sessions = [requests.Session() for _ in range(httpd.max_idle + 8)]  # type: ignore[attr-defined]
    try:
        for s in sessions:  # each keeps its connection (and so a thread) open
            assert s.get(f"{core_url}/admin/ping", timeout=5).status_code == 200
        for s in sessions:  # and every one is still served on it
            assert s.get(f"{core_url}/select?q=*:*&rows=0", timeout=5).status_code == 200
        assert httpd._workers >= len(sessions)  # type: ignore[attr-defined]
    finally:
        for s in sessions:
            s.close()
