"""The packed index structures (issue 20's memory target) against a rebuilt reference.

The index keeps a term's postings packed (document numbers and first positions in arrays,
removals applied per commit), shares one table per field and document for terms, facet
labels and, without norms, lengths, and deflates long stored-only values. Whatever the
history of updates, deletes and re-adds, a core must answer exactly as a core built
afresh from the surviving documents in the same index order.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from ckanext.gemeente.search import default_schema_path
from ckanext.gemeente.search.solr import ast
from ckanext.gemeente.search.solr.core import Core
from ckanext.gemeente.search.solr.documents import Deflated
from ckanext.gemeente.search.solr.execute import Executor
from ckanext.gemeente.search.solr.index import _pack, _Packed, _Single
from ckanext.gemeente.search.solr.ops import Add, DeleteById, DeleteByQuery
from ckanext.gemeente.search.solr.params import Params
from ckanext.gemeente.search.solr.query import parse_query as _parse_query
from ckanext.gemeente.search.solr.solrschema import Schema


def parse_query(q: str, schema: Schema, **_: str) -> ast.Query:
    return _parse_query(q, {"df": "text"}, schema)


WORDS = ["water", "kwaliteit", "afval", "bomen", "parkeren", "centrum", "noord", "zuid",
         "laadpalen", "energie"]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.load(default_schema_path())


def doc(n: int, rnd: random.Random, gen: int = 0) -> dict[str, Any]:
    words = [rnd.choice(WORDS) for _ in range(rnd.randint(1, 6))]
    return {
        "index_id": f"k{n}", "id": f"id{n}", "site_id": "s", "name": f"{words[0]}-{n}",
        "title": " ".join(words[:3]), "notes": " ".join(words * rnd.randint(1, 3)),
        "tags": sorted(set(words[:2])), "state": rnd.choice(["active", "draft"]),
        "data_dict": f'{{"n": {n}, "gen": {gen}, "pad": "{"é" * 600}{"x" * 600}"}}',
        "views_total": rnd.randint(0, 50),
    }


def apply(core: Core, ops: list[Any], commit: bool = True) -> None:
    core.update(ops, commit=commit)


def adds(core: Core, docs: list[dict[str, Any]]) -> list[Add]:
    out = []
    for d in docs:
        prepared = core.schema.prepare(d)
        out.append(Add(str(prepared["index_id"][0]), prepared))
    return out


QUERIES = [
    "water", "notes:water", "notes:(water AND afval)", 'notes:"water kwaliteit"',
    'notes:"water water"', 'notes:"afval bomen"~3', "title:par*", "name:*-1*",
    "notes:enrgie~1", "tags:bomen", "state:draft", "name_ngram:laad", "title_ngram:ater",
    "*:*", "views_total:[10 TO 30]", "text:centrum",
]


def answers(core: Core) -> dict[str, Any]:
    """Matches, scores and selects of ``core``, by key (not document number)."""
    out: dict[str, Any] = {}
    with core.read():
        ex = Executor(core.index)
        key = core.index.doc_to_key
        for q in QUERIES:
            tree = parse_query(q, core.schema, default_field="text", default_op="OR")
            out[q] = ({key[d] for d in ex.match(tree)},
                      {key[d]: s for d, s in ex.score(tree).items()})
    for params in (
        [("q", "notes:water OR notes:afval"), ("fl", "index_id,data_dict,score"),
         ("rows", "50")],
        [("q", "*:*"), ("sort", "name asc"), ("rows", "50"), ("fl", "index_id")],
        [("q", "*:*"), ("sort", "title_string desc"), ("rows", "50"), ("fl", "index_id")],
        [("q", "*:*"), ("facet", "true"), ("facet.field", "tags"),
         ("facet.field", "notes"), ("facet.field", "state"), ("facet.mincount", "1"),
         ("rows", "0")],
        [("q", "notes:water"), ("facet", "true"), ("facet.field", "name_ngram"),
         ("facet.limit", "20"), ("rows", "0")],
    ):
        out[repr(params)] = core.select(Params(params))
    return out


def rebuilt(core: Core) -> Core:
    """A fresh core holding ``core``'s documents, in its index order."""
    fresh = Core("ref", core.schema)
    index = core.index
    order = sorted(index.doc_to_key)
    fresh.update([Add(index.doc_to_key[d], _documents[index.doc_to_key[d]])
                  for d in order], commit=True)
    return fresh


_documents: dict[str, dict[str, list[Any]]] = {}


def check_against_rebuilt(core: Core) -> None:
    assert answers(core) == answers(rebuilt(core))
    check_structure(core)


def check_structure(core: Core) -> None:
    """Postings hold live documents only, in order, in the compact form their size calls
    for; no removal is left pending after a commit."""
    index = core.index
    live = set(index.stored)
    for fd in index.fields.values():
        assert not fd.dead
        for term, plist in fd.postings.items():
            docs = list(plist)
            assert docs == sorted(docs) and set(docs) <= live, (fd.name, term)
            if plist.__class__ is _Packed:
                assert len(plist) >= 2 and len(plist.pos) == len(docs)
                assert not plist.multi or set(plist.multi) <= set(docs)
            else:
                assert plist.__class__ is _Single
            for d in docs:
                assert term in fd.docs[d], (fd.name, term, d)


def prepared(core: Core, d: dict[str, Any]) -> Add:
    op = adds(core, [d])[0]
    _documents[op.key] = op.doc
    return op


def test_random_updates_deletes_and_readds_match_a_rebuilt_index(schema: Schema) -> None:
    rnd = random.Random(20)
    core = Core("t", schema)
    keys = list(range(40))
    for gen in range(12):
        ops: list[Any] = []
        for _ in range(rnd.randint(5, 30)):
            n = rnd.choice(keys)
            r = rnd.random()
            if r < 0.6:
                ops.append(prepared(core, doc(n, rnd, gen)))  # add, update or re-add
            elif r < 0.85:
                ops.append(DeleteById(f"k{n}"))
            else:
                word = rnd.choice(WORDS)
                ops.append(DeleteByQuery(parse_query(f"title:{word} AND state:draft", schema,
                                                     default_field="text", default_op="OR")))
        apply(core, ops)
        check_against_rebuilt(core)


def test_term_several_times_in_one_document(schema: Schema) -> None:
    core = Core("t", schema)
    rnd = random.Random(1)
    base = doc(1, rnd)
    apply(core, [prepared(core, {**base, "notes": "water afval water water bomen"}),
                 prepared(core, {**doc(2, rnd), "notes": "water bomen"}),
                 prepared(core, {**doc(3, rnd), "notes": "afval afval"})])
    fd = core.index.fields["notes"]
    plist = fd.postings["water"]
    assert plist.__class__ is _Packed
    d1, d2 = core.index.key_to_doc["k1"], core.index.key_to_doc["k2"]
    assert plist[d1] == [0, 2, 3] and plist[d2] == 0
    assert dict(plist.tf_items()) == {d1: 3, d2: 1}
    with core.read():
        ex = Executor(core.index)
        phrase = parse_query('notes:"water water"', schema, default_field="text",
                             default_op="OR")
        assert ex.score(phrase).keys() == {d1}
        assert {core.index.doc_to_key[d] for d in ex.match(parse_query(
            'notes:"afval water"', schema, default_field="text", default_op="OR"))} == {"k1"}
    check_against_rebuilt(core)
    # the document with the repeated term goes: its position list goes with it
    apply(core, [DeleteById("k1")])
    assert "water" in fd.postings and fd.postings["water"].__class__ is _Single
    assert fd.postings["water"].entry == 0
    check_against_rebuilt(core)
    apply(core, [prepared(core, {**base, "notes": "bomen water water"})])
    plist = fd.postings["water"]
    assert plist.__class__ is _Packed and plist.multi is not None
    check_against_rebuilt(core)


def test_phrase_queries_after_deletes_and_a_delete_by_query_in_the_same_commit(
    schema: Schema,
) -> None:
    core = Core("t", schema)
    rnd = random.Random(2)
    docs = [{**doc(n, rnd), "notes": "openbare ruimte meldingen" if n % 2 else
             "ruimte openbare"} for n in range(30)]
    apply(core, [prepared(core, d) for d in docs])
    phrase = ast.Phrase("notes", ["openbar", "ruimt"], [0, 1])
    with core.read():
        assert len(Executor(core.index).match(phrase)) == 15
    # one batch: deletes (pending removal from the postings), then a delete by query that
    # must not see the removed documents, then re-adds of deleted keys
    ops: list[Any] = [DeleteById(f"k{n}") for n in range(0, 30, 3)]
    ops.append(DeleteByQuery(parse_query('notes:"openbare ruimte"', schema,
                                         default_field="text", default_op="OR")))
    ops += [prepared(core, {**doc(n, rnd), "notes": "openbare ruimte"}) for n in (0, 1, 2)]
    apply(core, ops)
    assert set(core.index.key_to_doc) == (
        {f"k{n}" for n in range(30) if n % 2 == 0 and n % 3} | {"k0", "k1", "k2"})
    with core.read():
        assert {core.index.doc_to_key[d] for d in Executor(core.index).match(phrase)} == {
            "k0", "k1", "k2"}
    check_against_rebuilt(core)


def test_packed_to_single_and_back(schema: Schema) -> None:
    core = Core("t", schema)
    rnd = random.Random(3)
    apply(core, [prepared(core, {**doc(n, rnd), "tags": ["gedeeld"]}) for n in range(3)])
    fd = core.index.fields["tags"]
    assert fd.postings["gedeeld"].__class__ is _Packed
    apply(core, [DeleteById("k0"), DeleteById("k2")])
    assert fd.postings["gedeeld"].__class__ is _Single
    apply(core, [DeleteById("k1")])
    assert "gedeeld" not in fd.postings and "gedeeld" not in fd.one
    apply(core, [prepared(core, {**doc(n, rnd), "tags": ["gedeeld"]}) for n in (5, 6, 7)])
    assert fd.postings["gedeeld"].__class__ is _Packed
    # a one-term value found before: its documents share one tuple
    d6, d7 = core.index.key_to_doc["k6"], core.index.key_to_doc["k7"]
    assert fd.docs[d6] is fd.docs[d7]
    check_against_rebuilt(core)


def test_delete_all_by_query_and_reindex(schema: Schema) -> None:
    core = Core("t", schema)
    rnd = random.Random(4)
    apply(core, [prepared(core, doc(n, rnd)) for n in range(50)])
    apply(core, [DeleteByQuery(ast.Term("site_id", "s"))])
    assert core.num_docs == 0
    for fd in core.index.fields.values():
        assert not fd.postings and not fd.docs and not fd.doc_len
    apply(core, [prepared(core, doc(n, rnd, 1)) for n in range(50)])
    check_against_rebuilt(core)


def test_long_stored_only_values_are_deflated_and_come_back(schema: Schema) -> None:
    core = Core("t", schema)
    value = '{"title": "Bomen \u00e9\u00e9n", "x": "' + "ab" * 800 + '\ud800"}'
    apply(core, [prepared(core, {"index_id": "k1", "id": "id1", "site_id": "s",
                                 "name": "n1", "data_dict": value, "notes": "kort"})])
    stored = core.index.stored[core.index.key_to_doc["k1"]]
    assert stored["data_dict"][0].__class__ is Deflated
    assert len(stored["data_dict"][0]) < len(value) // 4
    assert stored["notes"] == ["kort"]  # short (and indexed) values stay as they are
    res = core.select(Params([("q", "*:*"), ("fl", "data_dict,notes")]))
    assert res["response"]["docs"] == [{"data_dict": value, "notes": "kort"}]


def test_restart_from_data_matches(schema: Schema, tmp_path) -> None:
    path = str(tmp_path / "c.sqlite3")
    core = Core("p", schema, path)
    rnd = random.Random(5)
    for gen in range(4):
        ops: list[Any] = [prepared(core, doc(n, rnd, gen)) for n in rnd.sample(range(30), 15)]
        ops += [DeleteById(f"k{n}") for n in rnd.sample(range(30), 4)]
        apply(core, ops)
    live = answers(core)
    core.close()
    again = Core("p", schema, path)
    try:
        assert answers(again) == live
        check_structure(again)
        # and the reloaded index keeps taking updates like the original
        apply(again, [prepared(again, doc(n, rnd, 9)) for n in range(0, 30, 2)]
              + [DeleteById("k1")])
        check_against_rebuilt(again)
    finally:
        again.close()


def test_packed_positions_past_two_bytes_and_removals() -> None:
    p = _pack(_Single(3, 7), 5, [70_000, 70_004])
    assert p.pos.typecode == "i"  # widened from 2-byte positions
    p.append(8, 2)
    p.append(9, [1, 65_535])
    assert list(p) == [3, 5, 8, 9]
    assert [p[d] for d in p] == [7, [70_000, 70_004], 2, [1, 65_535]]
    assert dict(p.tf_items()) == {3: 1, 5: 2, 8: 1, 9: 2}
    assert p.entries({5, 9, 11}) == {5: [70_000, 70_004], 9: [1, 65_535]}
    assert 4 not in p and p.get(4) is None
    with pytest.raises(KeyError):
        p[4]
    p.remove([5])  # one by one (few removals)
    assert list(p) == [3, 8, 9] and p.multi == {9: [1, 65_535]}
    p.remove([9, 3])  # in one pass (many), order of the removals does not matter
    assert list(p) == [8] and list(p.pos) == [2] and p.multi is None
    q = _pack(_Single(1, 0), 2, 65_535)
    assert q.pos.typecode == "H" and list(q.pos) == [0, 65_535]


def test_required_clause_matching_every_document(schema: Schema) -> None:
    """A required term every document has is skipped in conjunctions: same answers."""
    core = Core("t", schema)
    rnd = random.Random(6)
    apply(core, [prepared(core, doc(n, rnd)) for n in range(20)])
    apply(core, [DeleteById("k3")])  # df of site_id:s follows the live documents

    def keys(q: str) -> set[str]:
        with core.read():
            tree = parse_query(q, schema)
            return {core.index.doc_to_key[d] for d in Executor(core.index).match(tree)}

    everyone = {f"k{n}" for n in range(20)} - {"k3"}
    drafts = {k for k in everyone
              if core.index.stored[core.index.key_to_doc[k]]["state"] == ["draft"]}
    assert drafts and drafts != everyone
    assert keys('+site_id:s') == everyone
    assert keys('+site_id:s +state:draft') == drafts
    assert keys('+site_id:s -state:draft') == everyone - drafts
    assert keys('+site_id:s +(state:draft)') == drafts
    assert keys('+site_id:s state:draft') == everyone  # SHOULD is optional beside MUST
    with core.read():
        ex = Executor(core.index)
        msm = ast.Boolean([ast.Clause("FILTER", ast.Term("site_id", "s")),
                           ast.Clause("SHOULD", ast.Term("state", "draft"))],
                          minimum_should_match=1)
        assert {core.index.doc_to_key[d] for d in ex.match(msm)} == drafts
    apply(core, [prepared(core, {**doc(99, rnd), "site_id": "other"})])
    assert keys('+site_id:s') == everyone  # no longer every document


@pytest.mark.parametrize("n_dead", [1, 2, 3, 5, 20, 39, 40])
def test_packed_removals_every_way(n_dead: int) -> None:
    """Shifting tails (1-2), copying runs (a few of many) and one pass (many) agree."""
    rnd = random.Random(n_dead)
    p = _pack(_Single(0, 0), 2, [70_000, 70_001] if n_dead == 3 else 1)
    for d in range(4, 80, 2):
        p.append(d, d % 7 if d % 5 else [d % 7, d % 7 + 3])
    before = {d: p[d] for d in p}
    dead = rnd.sample(sorted(before), n_dead)
    p.remove(dead)
    after = {d: before[d] for d in sorted(before) if d not in dead}
    assert list(p) == sorted(after) and {d: p[d] for d in p} == after
    assert len(p.pos) == len(p.docs)
    assert (p.multi or {}) == {d: e for d, e in after.items() if e.__class__ is list}
