"""Storage and execution tests of the embedded search server (no HTTP)."""

from __future__ import annotations

import math
import threading

import pytest

from ckanext.gemeente.search import ast, default_schema_path
from ckanext.gemeente.search.errors import SolrError
from ckanext.gemeente.search.index import (
    Core,
    Executor,
    Params,
    RWLock,
    idf,
    lucene_norm_length,
    select,
)
from ckanext.gemeente.search.schema import Schema


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.load(default_schema_path())


def doc(n: int | str, **fields: object) -> dict[str, object]:
    d: dict[str, object] = {"index_id": f"idx-{n}", "id": f"id-{n}", "site_id": "test",
                            "name": f"name-{n}", "state": "active", "entity_type": "package"}
    d.update(fields)
    return d


def add(core: Core, *docs: dict[str, object], commit: bool = True) -> None:
    ops = []
    for d in docs:
        prepared = core.schema.prepare(d)
        ops.append(("add", (str(prepared["index_id"][0]), prepared)))
    core.update(ops, commit=commit)


def ids(core: Core, q: ast.Query) -> set[str]:
    with core.read():
        return {core.index.doc_to_key[d] for d in Executor(core.index).match(q)}


def scores(core: Core, q: ast.Query) -> dict[str, float]:
    with core.read():
        return {core.index.doc_to_key[d]: s for d, s in Executor(core.index).score(q).items()}


@pytest.fixture()
def core(schema: Schema) -> Core:
    c = Core("t", schema)
    add(
        c,
        doc(1, title="Water quality measurements", tags=["water", "quality"],
            notes="Measurements of the water in the city canals",
            metadata_modified="2024-01-03T00:00:00Z", views_total=5),
        doc(2, title="Air quality", tags=["air", "quality"], notes="Fine dust",
            metadata_modified="2024-01-01T00:00:00Z", views_total=50),
        doc(3, title="Parking places", tags=["parking"], notes="Where to park cars",
            metadata_modified="2024-01-02T00:00:00Z", state="draft"),
    )
    return c


def test_term_and_boolean(core: Core) -> None:
    assert ids(core, ast.Term("tags", "quality")) == {"idx-1", "idx-2"}
    q = ast.Boolean([ast.Clause("MUST", ast.Term("tags", "quality")),
                     ast.Clause("MUST_NOT", ast.Term("tags", "air"))])
    assert ids(core, q) == {"idx-1"}
    assert ids(core, ast.Boolean([ast.Clause("MUST_NOT", ast.Term("state", "active"))])) == {
        "idx-3"}
    assert ids(core, ast.Boolean([ast.Clause("SHOULD", ast.Term("tags", "air")),
                                  ast.Clause("SHOULD", ast.Term("tags", "parking"))])) == {
        "idx-2", "idx-3"}
    msm = ast.Boolean([ast.Clause("SHOULD", ast.Term("tags", "air")),
                       ast.Clause("SHOULD", ast.Term("tags", "quality"))],
                      minimum_should_match=2)
    assert ids(core, msm) == {"idx-2"}
    assert ids(core, ast.MatchAll()) == {"idx-1", "idx-2", "idx-3"}
    assert ids(core, ast.MatchNone()) == set()
    assert scores(core, msm) == scores(core, ast.Boolean(msm.clauses, 2))


def test_phrase_prefix_wildcard_range_exists(core: Core) -> None:
    assert ids(core, ast.Phrase("text", ["water", "qualiti"], [0, 1])) == {"idx-1"}
    assert ids(core, ast.Phrase("text", ["qualiti", "water"], [0, 1])) == set()
    assert ids(core, ast.Phrase("text", ["qualiti", "water"], [0, 1], slop=2)) == {"idx-1"}
    assert ids(core, ast.Prefix("name", "name-")) == {"idx-1", "idx-2", "idx-3"}
    assert ids(core, ast.Wildcard("tags", "?ir")) == {"idx-2"}
    assert ids(core, ast.Wildcard("tags", "*ing")) == {"idx-3"}
    assert ids(core, ast.Range("views_total", "10", None)) == {"idx-2"}
    assert ids(core, ast.Range("views_total", "5", "50", include_upper=False)) == {"idx-1"}
    assert ids(core, ast.Range("metadata_modified", "2024-01-02T00:00:00Z",
                               "NOW")) == {"idx-1", "idx-3"}
    assert ids(core, ast.Range("name", "name-2", "name-9")) == {"idx-2", "idx-3"}
    assert ids(core, ast.Exists("views_total")) == {"idx-1", "idx-2"}
    assert ids(core, ast.Term("views_total", "50")) == {"idx-2"}


def test_bm25_matches_lucene_formula(core: Core) -> None:
    s = scores(core, ast.Term("title", "qualiti"))
    fd = core.index.fields["title"]
    n = len(fd.doc_len)
    avgdl = fd.sum_len / n
    expected = {}
    for key, dl in (("idx-1", 3), ("idx-2", 2)):
        expected[key] = idf(2, n) * 1 / (1 + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))
    assert s == pytest.approx(expected)
    assert math.isclose(idf(1, 10), math.log(1 + 9.5 / 1.5))
    # string fields have no norms: tf/(tf+k1) * idf
    s2 = scores(core, ast.Term("tags", "parking"))
    assert s2["idx-3"] == pytest.approx(idf(1, 3) / (1 + 1.2))
    # boosts multiply, constant score queries give the boost
    s3 = scores(core, ast.Term("title", "qualiti", boost=4.0))
    assert s3["idx-1"] == pytest.approx(4 * s["idx-1"])
    assert scores(core, ast.Prefix("name", "name-", boost=2.0)) == dict.fromkeys(
        ["idx-1", "idx-2", "idx-3"], 2.0)


def test_short_field_ranks_higher(schema: Schema) -> None:
    c = Core("rank", schema)
    add(c,
        doc("long", title="A long report about many things including budget and more words"),
        doc("short", title="Budget"))
    s = scores(c, ast.Term("title", "budget"))
    assert s["idx-short"] > s["idx-long"]


def test_dismax_tie(core: Core) -> None:
    a = ast.Term("title", "qualiti")
    b = ast.Term("tags", "quality")
    sa, sb = scores(core, a), scores(core, b)
    dm = scores(core, ast.DisMax([a, b], tie=0.1))
    for k in ("idx-1", "idx-2"):
        hi, lo = max(sa[k], sb[k]), min(sa[k], sb[k])
        assert dm[k] == pytest.approx(hi + 0.1 * lo)


def test_norm_encoding() -> None:
    assert [lucene_norm_length(i) for i in range(30)] == list(range(24)) + [24, 25, 26, 27,
                                                                            28, 29]
    assert lucene_norm_length(1000) <= 1000
    assert lucene_norm_length(1000) > 900


def test_overwrite_delete_and_visibility(core: Core) -> None:
    add(core, doc(1, title="Renamed"), commit=False)
    assert ids(core, ast.Term("title", "renam")) == set()  # not committed yet
    assert core.pending_count == 1
    core.commit()
    assert ids(core, ast.Term("title", "renam")) == {"idx-1"}
    assert ids(core, ast.Term("title", "water")) == set()
    assert core.num_docs == 3
    core.update([("delete_id", "idx-2")], commit=True)
    assert core.num_docs == 2
    core.update([("delete_query", ast.Term("state", "draft"))], commit=True)
    assert core.num_docs == 1
    core.update([("rollback", None)])


def test_delete_query_sees_pending_adds_in_order(schema: Schema) -> None:
    c = Core("order", schema)
    p = schema.prepare(doc(9, title="x"))
    c.update([("add", ("idx-9", p)), ("delete_query", ast.MatchAll())])
    p2 = schema.prepare(doc(10, title="y"))
    c.update([("add", ("idx-10", p2))], commit=True)
    assert set(c.index.key_to_doc) == {"idx-10"}


def test_deferred_analysis_commit_first_loses_nothing(schema: Schema) -> None:
    """A commit that arrives before the update's thread analysed its documents (the HTTP
    server answers first, analyses after) analyses them itself, in order."""
    c = Core("deferred", schema)
    p1 = schema.prepare(doc(1, title="Bomenregister Noord"))
    p2 = schema.prepare(doc(2, title="Laadpalen Zuid"))
    deferred = c.update([("add", ("idx-1", p1)), ("add", ("idx-2", p2))], defer_analysis=True)
    assert len(deferred) == 2 and all(h.analyzed is None for h, _ in deferred)
    c.update([("delete_id", "idx-2")])
    c.commit()  # before finish_analysis
    assert set(c.index.key_to_doc) == {"idx-1"}
    assert ids(c, ast.Term("name", "name-1")) == {"idx-1"}
    c.finish_analysis(deferred)  # late: harmless, the index already has them
    assert c.num_docs == 1
    # the usual order: analysed first, then committed
    p3 = schema.prepare(doc(3, title="Speelplaatsen Oost"))
    deferred = c.update([("add", ("idx-3", p3))], defer_analysis=True)
    c.finish_analysis(deferred)
    assert deferred[0][0].analyzed is not None
    c.commit()
    assert ids(c, ast.Term("name", "name-3")) == {"idx-3"}
    # with commit in the same request nothing is deferred
    p4 = schema.prepare(doc(4, title="Riolering"))
    assert c.update([("add", ("idx-4", p4))], commit=True, defer_analysis=True) == []
    assert c.num_docs == 3


def test_select_params(core: Core) -> None:
    res = select(core, Params([("q", "*:*"), ("fq", "tags:quality"), ("sort", "views_total desc"),
                               ("fl", "id,score"), ("facet", "true"),
                               ("facet.field", "tags"), ("facet.mincount", "1")]))
    assert res["response"]["numFound"] == 2
    assert [d["id"] for d in res["response"]["docs"]] == ["id-2", "id-1"]
    assert res["facet_counts"]["facet_fields"]["tags"] == ["quality", 2, "air", 1, "water", 1]


def test_select_bool_parser(core: Core) -> None:
    def found(*pairs: tuple[str, str]) -> list[str]:
        res = select(core, Params([("fl", "id"), ("sort", "id asc"), *pairs]))
        return [d["id"] for d in res["response"]["docs"]]

    assert found(("q", "{!bool must=quality}"), ("df", "text")) == ["id-1", "id-2"]
    assert found(("q", "{!bool must=quality must_not=tags:air}"), ("df", "text")) == ["id-1"]
    assert found(("q", "{!bool should=tags:air should=tags:parking}")) == ["id-2", "id-3"]
    assert found(("q", "{!bool should=tags:air should=tags:water filter=state:active}")) == [
        "id-1", "id-2"
    ]
    assert found(("q", "{!bool should=tags:air should=tags:quality mm=2}")) == ["id-2"]
    assert found(("q", "{!bool must_not=state:draft}")) == ["id-1", "id-2"]
    assert found(("q", "{!bool}")) == []
    # filters: $references are resolved, and the filter cache tells them apart
    assert found(("q", "*:*"), ("fq", "{!bool must=$m}"), ("m", "tags:air")) == ["id-2"]
    assert found(("q", "*:*"), ("fq", "{!bool must=$m}"), ("m", "tags:water")) == ["id-1"]
    assert found(("q", "*:*"), ("fq", "{!bool must=$m}"), ("m", "{!bool must=$n}"),
                 ("n", "tags:parking")) == ["id-3"]
    # scores: must and should score, filter and must_not do not
    res = select(core, Params([("q", "{!bool must=tags:quality filter=tags:air}"),
                               ("fl", "id,score")]))
    res2 = select(core, Params([("q", "{!bool must=tags:quality must=tags:air}"),
                                ("fl", "id,score")]))
    assert res["response"]["docs"][0]["id"] == res2["response"]["docs"][0]["id"] == "id-2"
    assert res["response"]["docs"][0]["score"] < res2["response"]["docs"][0]["score"]


def test_persistence_roundtrip(schema: Schema, tmp_path) -> None:
    path = str(tmp_path / "c.sqlite3")
    c = Core("p", schema, path)
    add(c, doc(1, title="Persist me", metadata_modified="2024-05-01T10:00:00Z"),
        doc(2, title="Second"))
    c.update([("delete_id", "idx-2")], commit=True)
    add(c, doc(3, title="Uncommitted"), commit=False)
    c.close()
    c2 = Core("p", schema, path)
    assert set(c2.index.key_to_doc) == {"idx-1"}
    assert ids(c2, ast.Range("metadata_modified", "2024-05-01T10:00:00Z",
                             "2024-05-01T10:00:00Z")) == {"idx-1"}
    assert ids(c2, ast.Term("title", "persist")) == {"idx-1"}
    c2.close()


def test_rwlock_writer_excludes_readers() -> None:
    lock = RWLock()
    state = {"writing": False, "bad": 0}

    def reader() -> None:
        for _ in range(200):
            lock.acquire_read()
            if state["writing"]:
                state["bad"] += 1
            lock.release_read()

    def writer() -> None:
        for _ in range(200):
            lock.acquire_write()
            state["writing"] = True
            state["writing"] = False
            lock.release_write()

    threads = [threading.Thread(target=reader) for _ in range(4)] + [
        threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["bad"] == 0


def test_unknown_sort_errors(core: Core) -> None:
    with pytest.raises(SolrError, match="Can't determine a Sort Order"):
        select(core, Params([("q", "*:*"), ("sort", "name")]))
    with pytest.raises(SolrError, match="can not sort on multivalued field: tags"):
        select(core, Params([("q", "*:*"), ("sort", "tags asc")]))


def _reference_terms(ftype: object, gap: int, values: list[object]) -> tuple[dict, int]:
    """Term -> positions and field length, the plain way (Token objects, one loop)."""
    table: dict[str, list[int]] = {}
    offset, length, last = 0, 0, -1
    for v in values:
        toks = ftype.terms(v)  # type: ignore[attr-defined]
        if not toks:
            continue
        if last >= 0:
            offset = last + gap + 1
        for t in toks:
            table.setdefault(t.text, []).append(offset + t.position)
        length += len({t.position for t in toks})
        last = offset + max(t.position for t in toks)
    return table, length


@pytest.mark.parametrize("values", [
    ["aaa"], ["Afvalcontainers en afvalbakken"], ["water en water en water"],
    ["Tuinstad", "Tuinstad Noord"], ["Wi-Fi hotspots: 'Stationsgebied'", "wi fi"], [""],
])
@pytest.mark.parametrize("field", ["title_ngram", "name_ngram", "text", "title", "tags", "urls"])
def test_analyze_matches_the_plain_term_table(schema: Schema, field: str, values: list) -> None:
    from ckanext.gemeente.search.index import MemIndex

    idx = MemIndex(schema)
    analyzed = idx.analyze({field: values})
    got = dict(analyzed.fields).get(field)
    plan = idx._plan(field)
    assert plan is not None and plan[1] is not None
    sfield, _kind, _point, gap = plan[1]
    expected, length = _reference_terms(sfield.type, gap, values)
    if not expected:
        assert got is None
        return
    entries, terms, got_length = got
    table = {t: (e if isinstance(e, list) else [e]) for t, e in zip(terms, entries, strict=True)}
    assert table == expected
    assert list(terms) == list(expected)  # first-occurrence order
    assert got_length == length


def test_updates_queue_while_a_commit_applies_and_commits_keep_their_order(
    schema: Schema,
) -> None:
    c = Core("tickets", schema)
    started, release = threading.Event(), threading.Event()
    real_apply = c._apply_batch

    def slow_first(pending: list) -> None:
        if not started.is_set():
            started.set()
            assert release.wait(10)
        real_apply(pending)

    c._apply_batch = slow_first  # type: ignore[method-assign]
    add(c, doc(1), commit=False)
    first = threading.Thread(target=c.commit)
    first.start()
    assert started.wait(10)  # the first commit is applying (and stays there)
    # an update is queued at once, not behind the commit's merge
    t0 = __import__("time").monotonic()
    add(c, doc(2), commit=False)
    c.update([("delete_id", "idx-1")])
    assert __import__("time").monotonic() - t0 < 2
    assert c.pending_count == 2
    # a second commit waits for the first and applies after it: doc 1 deleted, 2 added
    second = threading.Thread(target=c.commit)
    second.start()
    second.join(0.3)
    assert second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert set(c.index.key_to_doc) == {"idx-2"}
    assert c.generation == 2
