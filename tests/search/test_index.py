"""Storage and execution tests of the embedded search server (no HTTP)."""

from __future__ import annotations

import math
import threading

import pytest

from ckanext.gemeente.search import default_schema_path
from ckanext.gemeente.search.solr import ast
from ckanext.gemeente.search.solr.core import Core, RWLock
from ckanext.gemeente.search.solr.documents import DocumentAnalyzer
from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.execute import Executor
from ckanext.gemeente.search.solr.index import idf, lucene_norm_length
from ckanext.gemeente.search.solr.ops import Add, DeleteById, DeleteByQuery, Rollback
from ckanext.gemeente.search.solr.params import Params
from ckanext.gemeente.search.solr.solrschema import Schema


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
        ops.append(Add(str(prepared["index_id"][0]), prepared))
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
    core.update([DeleteById("idx-2")], commit=True)
    assert core.num_docs == 2
    core.update([DeleteByQuery(ast.Term("state", "draft"))], commit=True)
    assert core.num_docs == 1
    core.update([Rollback()])


def test_delete_query_sees_pending_adds_in_order(schema: Schema) -> None:
    c = Core("order", schema)
    p = schema.prepare(doc(9, title="x"))
    c.update([Add("idx-9", p), DeleteByQuery(ast.MatchAll())])
    p2 = schema.prepare(doc(10, title="y"))
    c.update([Add("idx-10", p2)], commit=True)
    assert set(c.index.key_to_doc) == {"idx-10"}


def test_deferred_analysis_commit_first_loses_nothing(schema: Schema) -> None:
    """A commit that arrives before the update's thread analysed its documents (the HTTP
    server answers first, analyses after) analyses them itself, in order."""
    c = Core("deferred", schema)
    p1 = schema.prepare(doc(1, title="Bomenregister Noord"))
    p2 = schema.prepare(doc(2, title="Laadpalen Zuid"))
    deferred = c.update([Add("idx-1", p1), Add("idx-2", p2)], defer_analysis=True)
    assert len(deferred) == 2 and all(op.analyzed is None for op in deferred)
    c.update([DeleteById("idx-2")])
    c.commit()  # before finish_analysis
    assert set(c.index.key_to_doc) == {"idx-1"}
    assert ids(c, ast.Term("name", "name-1")) == {"idx-1"}
    c.finish_analysis(deferred)  # late: harmless, the index already has them
    assert c.num_docs == 1
    # the usual order: analysed first, then committed
    p3 = schema.prepare(doc(3, title="Speelplaatsen Oost"))
    deferred = c.update([Add("idx-3", p3)], defer_analysis=True)
    c.finish_analysis(deferred)
    assert deferred[0].analyzed is not None
    c.commit()
    assert ids(c, ast.Term("name", "name-3")) == {"idx-3"}
    # with commit in the same request nothing is deferred
    p4 = schema.prepare(doc(4, title="Riolering"))
    assert c.update([Add("idx-4", p4)], commit=True, defer_analysis=True) == []
    assert c.num_docs == 3


def test_select_params(core: Core) -> None:
    res = core.select(Params([("q", "*:*"), ("fq", "tags:quality"), ("sort", "views_total desc"),
                               ("fl", "id,score"), ("facet", "true"),
                               ("facet.field", "tags"), ("facet.mincount", "1")]))
    assert res["response"]["numFound"] == 2
    assert [d["id"] for d in res["response"]["docs"]] == ["id-2", "id-1"]
    assert res["facet_counts"]["facet_fields"]["tags"] == ["quality", 2, "air", 1, "water", 1]


def test_select_bool_parser(core: Core) -> None:
    def found(*pairs: tuple[str, str]) -> list[str]:
        res = core.select(Params([("fl", "id"), ("sort", "id asc"), *pairs]))
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
    res = core.select(Params([("q", "{!bool must=tags:quality filter=tags:air}"),
                               ("fl", "id,score")]))
    res2 = core.select(Params([("q", "{!bool must=tags:quality must=tags:air}"),
                                ("fl", "id,score")]))
    assert res["response"]["docs"][0]["id"] == res2["response"]["docs"][0]["id"] == "id-2"
    assert res["response"]["docs"][0]["score"] < res2["response"]["docs"][0]["score"]


def test_persistence_roundtrip(schema: Schema, tmp_path) -> None:
    path = str(tmp_path / "c.sqlite3")
    c = Core("p", schema, path)
    add(c, doc(1, title="Persist me", metadata_modified="2024-05-01T10:00:00Z"),
        doc(2, title="Second"))
    c.update([DeleteById("idx-2")], commit=True)
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
        core.select(Params([("q", "*:*"), ("sort", "name")]))
    with pytest.raises(SolrError, match="can not sort on multivalued field: tags"):
        core.select(Params([("q", "*:*"), ("sort", "tags asc")]))


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
    analyzer = DocumentAnalyzer(schema)
    analyzed = analyzer.analyze({field: values})
    got = dict(analyzed.fields).get(field)
    plan = analyzer.plan(field)
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
    c.update([DeleteById("idx-1")])
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


# ---------------------------------------------------------------------------- fuzzy

@pytest.fixture()
def streets(schema: Schema) -> Core:
    c = Core("fuzzy", schema)
    add(c,
        doc(1, tags=["kamer"], title="Kamerverhuur"),
        doc(2, tags=["kramer"], title="Kramer en zonen"),
        doc(3, tags=["kmaer"], title="Kmaer"),  # a transposition of kamer
        doc(4, tags=["kader"], title="Kader"),
        doc(5, tags=["kamers"], title="Kamers"),
        doc(6, tags=["kraam"], title="Kraampjes"),
        doc(7, tags=["ka"], title="Ka"),
        doc(8, tags=["Kamer"], title="Hoofdletter"))  # tags are case-sensitive strings
    return c


def test_fuzzy_edits_and_transpositions(streets: Core) -> None:
    assert ids(streets, ast.Fuzzy("tags", "kamer", 0)) == {"idx-1"}
    one = {"idx-1", "idx-2", "idx-3", "idx-4", "idx-5", "idx-8"}
    assert ids(streets, ast.Fuzzy("tags", "kamer", 1)) == one
    # two edits: also kraam (k-r-a-a-m vs k-a-m-e-r) is 3 away, ka is 3 deletions away
    assert ids(streets, ast.Fuzzy("tags", "kamer", 2)) == one
    assert ids(streets, ast.Fuzzy("tags", "kram", 2)) >= {"idx-2", "idx-6"}
    # at most max_expansions terms, the closest (then the smallest) first
    assert ids(streets, ast.Fuzzy("tags", "kamer", 1, max_expansions=2)) == {"idx-1", "idx-8"}
    # a point field has no terms: no match, no error
    assert ids(streets, ast.Fuzzy("views_total", "5", 2)) == set()
    assert ids(streets, ast.Fuzzy("no_such_field", "x", 2)) == set()


def test_fuzzy_scores_blend_like_lucene(streets: Core) -> None:
    s = scores(streets, ast.Fuzzy("tags", "kamer", 1))
    # the exact term scores highest; one edit on a 5-letter term: boost 1 - 1/5
    assert s["idx-1"] == max(s.values())
    assert s["idx-2"] == pytest.approx(0.8 * s["idx-1"])
    assert s["idx-5"] == pytest.approx(0.8 * s["idx-1"])  # min(len) = 5 for kamers too
    boosted = scores(streets, ast.Fuzzy("tags", "kamer", 1, boost=3.0))
    assert boosted["idx-2"] == pytest.approx(3 * s["idx-2"])
    # every expansion scores with one (the highest) document frequency: all df 1 here
    fd = streets.index.fields["tags"]
    assert s["idx-1"] == pytest.approx(idf(1, len(fd.doc_len)) * 1 / (1 + 1.2))


def test_fuzzy_through_select(streets: Core) -> None:
    res = streets.select(Params([("q", "title:Kamer~1"), ("fl", "id,score")]))
    found = [d["id"] for d in res["response"]["docs"]]
    assert found[0] == "id-5"  # "kamers" is the exact title term (stemmed), then 1 edit
    assert set(found) >= {"id-5", "id-3"}
    assert streets.select(Params([("q", "tags:kamer~0")]))["response"]["numFound"] == 1
    assert streets.select(Params([("q", "tags:kamer~")]))["response"]["numFound"] == 6
    with pytest.raises(SolrError, match="Fractional edit distances are not allowed"):
        streets.select(Params([("q", "tags:kamer~1.5")]))
