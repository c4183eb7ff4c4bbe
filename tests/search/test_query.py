"""Unit tests for the Solr query parsers (``ckanext.gemeente.search.solr.query``).

Uses a fake schema (lowercasing whitespace analyzer, a fixed set of fields) so the tests
exercise the parser alone; the real schema/analysis are tested elsewhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from ckanext.gemeente.search.solr import ast
from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.query import (
    min_should_match,
    parse_dismax,
    parse_filter,
    parse_local_params,
    parse_lucene,
    parse_query,
    to_lucene_string,
)

FIELDS = {
    "text",
    "title",
    "name",
    "tags",
    "groups",
    "state",
    "capacity",
    "site_id",
    "dataset_type",
    "permission_labels",
    "metadata_modified",
    "num_resources",
    "x",
    "id",
    "entity_type",
    "owner_org",
    "res_format",
    "url",
}
KEYWORD_FIELDS = {"id", "site_id", "state", "capacity", "dataset_type", "permission_labels"}
STOPWORDS = {"the", "de", "het"}
SYNONYMS = {"auto": ["auto", "wagen"]}


@dataclass
class Tok:
    text: str
    position: int


class FakeFields:
    """Lowercasing whitespace analyzer; ``-`` also splits; stopwords leave gaps;
    ``auto`` has the synonym ``wagen`` at the same position. KEYWORD_FIELDS are not
    analysed (one token, like Solr's string fields)."""

    def query_tokens(self, field: str, text: str) -> list[Tok]:
        if field not in FIELDS:
            raise SolrError(f"undefined field {field}")
        if field in KEYWORD_FIELDS:
            return [Tok(text, 0)] if text else []
        if field == "num_resources":
            if text and not text.lstrip("-").isdigit():
                raise SolrError(f"Invalid Number: {text}")
            return [Tok(text, 0)] if text else []
        out: list[Tok] = []
        for pos, word in enumerate(text.replace("-", " ").split()):
            w = word.lower()
            if w in STOPWORDS:
                continue
            for syn in SYNONYMS.get(w, [w]):
                out.append(Tok(syn, pos))
        return out

    def multiterm(self, field: str, text: str) -> str:
        if field not in FIELDS:
            raise SolrError(f"undefined field {field}")
        return text.lower()


F = FakeFields()


def lucene(q: str, op: str = "OR", df: str | None = "text") -> str:
    return to_lucene_string(parse_lucene(q, F, df=df, q_op=op))


def syntax_error(q: str, **kw: str) -> str:
    with pytest.raises(SolrError) as exc:
        parse_lucene(q, F, df="text", **kw)
    assert exc.value.code == 400
    return exc.value.msg


# --------------------------------------------------------------- clause rules


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("a b", "text:a text:b"),
        ("a AND b", "+text:a +text:b"),
        ("a && b", "+text:a +text:b"),
        ("a OR b", "text:a text:b"),
        ("a || b", "text:a text:b"),
        ("a AND b OR c", "+text:a +text:b text:c"),
        ("a OR b AND c", "text:a +text:b +text:c"),
        ("+a b OR c", "+text:a text:b text:c"),
        ("+a -b c", "+text:a -text:b text:c"),
        ("a NOT b", "text:a -text:b"),
        ("a AND NOT b", "+text:a -text:b"),
        ("!a", "-text:a"),
        ("NOT a AND b", "-text:a +text:b"),
        ("(a OR b) AND c", "+(text:a text:b) +text:c"),
        ("title:(a OR b)", "title:a title:b"),
        ("title:(+a -b) c", "(+title:a -title:b) text:c"),
    ],
)
def test_clause_rules_or(q: str, expected: str) -> None:
    assert lucene(q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("a b", "+text:a +text:b"),
        ("a OR b", "text:a text:b"),
        ("a AND b OR c", "+text:a text:b text:c"),
        ("a OR b c", "text:a text:b +text:c"),
        ("-a OR b", "-text:a text:b"),
        ("a b -c", "+text:a +text:b -text:c"),
        ("(a b) c", "+(+text:a +text:b) +text:c"),
    ],
)
def test_clause_rules_and(q: str, expected: str) -> None:
    assert lucene(q, "AND") == expected


def test_single_clause_is_not_wrapped() -> None:
    assert parse_lucene("a", F, df="text") == ast.Term("text", "a")
    q = parse_lucene("+a", F, df="text")
    assert q == ast.Boolean([ast.Clause("MUST", ast.Term("text", "a"))])


def test_purely_negative_query_is_kept() -> None:
    q = parse_lucene("-dataset_type:harvest", F, df="text")
    assert q == ast.Boolean([ast.Clause("MUST_NOT", ast.Term("dataset_type", "harvest"))])


def test_stopwords_drop_clauses() -> None:
    assert lucene("a the b") == "text:a text:b"
    assert lucene("(the)") == 'MatchNoDocsQuery("")'
    assert isinstance(parse_lucene("the", F, df="text"), ast.MatchNone)


def test_multi_token_term_is_boolean_of_positions() -> None:
    assert lucene("title:water-kwaliteit") == "title:water title:kwaliteit"
    assert lucene("title:water-kwaliteit", "AND") == "+title:water +title:kwaliteit"
    # synonyms at one position: OR of the alternatives
    assert lucene("auto") == "text:auto text:wagen"
    assert lucene("auto-huur") == "(text:auto text:wagen) text:huur"


# --------------------------------------------------------------- terms, phrases, boosts


def test_phrases() -> None:
    assert parse_lucene('title:"Open Data"', F, df="text") == ast.Phrase(
        "title", ["open", "data"], [0, 1]
    )
    assert lucene('"a b"~2') == 'text:"a b"~2'
    assert lucene('"a the b"') == 'text:"a ? b"'  # stopword gap kept
    assert lucene('"a"') == "text:a"
    assert lucene('"auto huur"') == 'text:"auto huur" text:"wagen huur"'


def test_boosts() -> None:
    assert lucene("a^2") == "(text:a)^2.0"
    assert lucene('"a b"^3~1') == '(text:"a b"~1)^3.0'
    assert lucene("(a b)^0.5") == "(text:a text:b)^0.5"
    assert lucene("title:(a)^4 b") == "(title:a)^4.0 text:b"
    assert parse_lucene("a^2", F, df="text").boost == 2.0


def test_fuzzy_builds_lucenes_fuzzy_query() -> None:
    assert parse_lucene("foo~1", F, df="text") == ast.Fuzzy("text", "foo", 1)
    assert parse_lucene("Foo~", F, df="text") == ast.Fuzzy("text", "foo", 2)  # multiterm
    assert parse_lucene("foo~7", F, df="text") == ast.Fuzzy("text", "foo", 2)  # at most 2
    assert parse_lucene("foobarbaz~0.8", F, df="text").max_edits == 1  # (1 - 0.8) * 9
    assert parse_lucene("foo~1^3", F, df="text") == ast.Fuzzy("text", "foo", 1, boost=3.0)
    assert "Fractional edit distances" in syntax_error("foo~1.5")


def test_escapes() -> None:
    specials = '+ - && || ! ( ) { } [ ] ^ " ~ * ? : \\ /'.split()
    for s in specials:
        escaped = "".join("\\" + c for c in s)
        assert parse_lucene(f"id:x{escaped}y", F, df="text") == ast.Term("id", f"x{s}y")
    assert lucene(r"url:http\:\/\/example.com\/a") == "url:http://example.com/a"
    assert lucene(r"a\ b") == "text:a text:b"
    assert lucene(r"caf\u00e9") == "text:café"


def test_match_all_exists_and_bare_star() -> None:
    assert isinstance(parse_lucene("*:*", F, df="text"), ast.MatchAll)
    assert isinstance(parse_lucene("*", F, df="text"), ast.MatchAll)
    assert parse_lucene("tags:*", F, df="text") == ast.Exists("tags")
    assert parse_lucene("tags:[* TO *]", F, df="text") == ast.Exists("tags")
    assert lucene("+*:* -state:deleted") == "+*:* -state:deleted"


def test_prefix_and_wildcard() -> None:
    assert parse_lucene("Fiets*", F, df="text") == ast.Prefix("text", "fiets")
    assert parse_lucene("title:F?e*TS", F, df="text") == ast.Wildcard("title", "f?e*ts")
    assert parse_lucene("*fiets", F, df="text") == ast.Wildcard("text", "*fiets")
    assert parse_lucene(r"a\*b*", F, df="text") == ast.Prefix("text", "a*b")
    assert parse_lucene(r"a\*b?", F, df="text") == ast.Wildcard("text", r"a\*b?")


def test_regex_is_a_clear_error() -> None:
    msg = syntax_error("/ab.*/")
    assert "regular expression" in msg


# --------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("x:[a TO b]", ast.Range("x", "a", "b", True, True)),
        ("x:{a TO b}", ast.Range("x", "a", "b", False, False)),
        ("x:[a TO b}", ast.Range("x", "a", "b", True, False)),
        ("x:{A TO B]", ast.Range("x", "a", "b", False, True)),
        ("num_resources:[1 TO *]", ast.Range("num_resources", "1", None)),
        ("x:[* TO 5}", ast.Range("x", None, "5", True, False)),
        ('x:["a b" TO c]', ast.Range("x", "a b", "c")),
        ("x:[a TO b]^2", ast.Range("x", "a", "b", boost=2.0)),
    ],
)
def test_ranges(q: str, expected: ast.Range) -> None:
    assert parse_lucene(q, F, df="text") == expected


def test_date_math_bounds_are_raw_strings() -> None:
    q = parse_lucene("metadata_modified:[NOW-1DAY/DAY TO NOW]", F, df="text")
    # the fake lowercases (multiterm); the raw text reaches the schema unchanged
    assert q == ast.Range("metadata_modified", "now-1day/day", "now")

    class Raw(FakeFields):
        def multiterm(self, field: str, text: str) -> str:
            return text

    q = parse_lucene("metadata_modified:[2024-01-01T00:00:00Z TO NOW/DAY+1DAY}", Raw(), df="text")
    assert q == ast.Range("metadata_modified", "2024-01-01T00:00:00Z", "NOW/DAY+1DAY", True, False)
    # an unescaped ':' outside a range is a syntax error, as in Solr
    syntax_error("metadata_modified:2024-01-01T00:00:00Z")


# --------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("q", "detail"),
    [
        ("x:(", 'Encountered "<EOF>" at line 1, column 3.'),
        ("a)", 'Encountered " ")" ") "" at line 1, column 1.'),
        ("a AND", 'Encountered "<EOF>" at line 1, column 5.'),
        ("NOT NOT a", 'Encountered " <NOT> "NOT "" at line 1, column 4.'),
        ("x:[a TO]", 'Encountered " "]" "] "" at line 1, column 7.'),
        ('"abc', "Lexical error at line 1, column 5."),
        ("a^b", "Lexical error at line 1"),
    ],
)
def test_syntax_errors(q: str, detail: str) -> None:
    msg = syntax_error(q)
    assert msg.startswith(f"org.apache.solr.search.SyntaxError: Cannot parse '{q}': ")
    assert detail in msg


def test_undefined_field_and_bad_values_come_from_the_schema() -> None:
    with pytest.raises(SolrError, match="undefined field nope"):
        parse_lucene("nope:x", F, df="text")
    with pytest.raises(SolrError, match="Invalid Number"):
        parse_lucene("num_resources:abc", F, df="text")
    with pytest.raises(SolrError, match="no field name specified"):
        parse_lucene("water", F, df=None)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(SolrError):
        parse_lucene("(" * 5000 + "a" + ")" * 5000, F, df="text")


# --------------------------------------------------------------- ckan queries


def test_ckan_filter_queries() -> None:
    assert lucene("+capacity:public +state:(active OR draft)", "AND") == (
        "+capacity:public +(state:active state:draft)"
    )
    assert lucene('+permission_labels:("public" OR "creator-abc")', "AND") == (
        "+(permission_labels:public permission_labels:creator-abc)"
    )
    assert lucene('+site_id:"default" +state:active') == "+site_id:default +state:active"
    assert lucene(" -dataset_type:harvest") == "-dataset_type:harvest"
    assert lucene('+entity_type:package AND +(id:"abc" OR name:"abc") AND +site_id:"x"') == (
        "+entity_type:package +(id:abc name:abc) +site_id:x"
    )


# --------------------------------------------------------------- min should match


@pytest.mark.parametrize(
    ("spec", "n", "expected"),
    [
        ("2", 5, 2),
        ("2", 1, 1),
        ("-1", 5, 4),
        ("-7", 5, 0),
        ("75%", 4, 3),
        ("75%", 5, 3),
        ("-25%", 5, 4),
        ("-25%", 4, 3),
        ("100%", 3, 3),
        ("0%", 3, 0),
        ("3<90%", 3, 3),
        ("3<90%", 10, 9),
        ("2<-1 5<80%", 1, 1),
        ("2<-1 5<80%", 2, 2),
        ("2<-1 5<80%", 3, 2),
        ("2<-1 5<80%", 5, 4),
        ("2<-1 5<80%", 6, 4),
        ("2<-1 5<80%", 10, 8),
        ("2 < -25%  9 < -3", 12, 9),
        (" 1 ", 3, 1),
        (None, 3, 0),
    ],
)
def test_min_should_match(spec: str | None, n: int, expected: int) -> None:
    assert min_should_match(spec, n) == expected


@pytest.mark.parametrize("spec", ["abc", "x%", "2<", "<3", "2<x", "", "1.5"])
def test_min_should_match_invalid(spec: str) -> None:
    with pytest.raises(SolrError, match="Invalid 'mm' spec"):
        min_should_match(spec, 3)


# --------------------------------------------------------------- dismax / edismax

QF = "name^4 title^4 tags^2 groups^2 text"


def dismax(q: str, **kw) -> ast.Query:
    kw.setdefault("qf", QF)
    kw.setdefault("mm", None)
    return parse_dismax(q, F, **kw)


def test_dismax_field_boosts_and_tie() -> None:
    q = dismax("Water", tie=0.1)
    assert isinstance(q, ast.DisMax)
    assert q.tie == 0.1
    assert [(d.field, d.boost) for d in q.disjuncts] == [  # type: ignore[union-attr]
        ("name", 4.0),
        ("title", 4.0),
        ("tags", 2.0),
        ("groups", 2.0),
        ("text", 1.0),
    ]
    assert to_lucene_string(q) == (
        "((name:water)^4.0 | (title:water)^4.0 | (tags:water)^2.0 | (groups:water)^2.0"
        " | text:water)~0.1"
    )


def test_dismax_mm_and_operators() -> None:
    q = dismax("a b c d", qf="title text", mm="2<-1 5<80%")
    assert isinstance(q, ast.Boolean)
    assert [c.occur for c in q.clauses] == ["SHOULD"] * 4
    assert q.minimum_should_match == 3
    q = dismax("a +b -c", qf="title", mm="100%")
    assert to_lucene_string(q) == "((title:a) +(title:b) -(title:c))~1"
    # default mm follows q.op
    assert dismax("a b", qf="title", q_op="AND").minimum_should_match == 2  # type: ignore[union-attr]
    assert dismax("a b", qf="title").minimum_should_match == 0  # type: ignore[union-attr]


def test_dismax_escapes_lucene_syntax() -> None:
    q = dismax("title:water* (x)", qf="text", mm="0%")
    assert to_lucene_string(q) == "(text:title:water*) (text:(x))"
    q = dismax('"open data" gemeente', qf="title", mm="100%")
    assert to_lucene_string(q) == '((title:"open data") (title:gemeente))~2'
    # unbalanced quotes are dropped, dangling operators removed
    assert to_lucene_string(dismax('"open data', qf="title", mm="0%")) == (
        "(title:open) (title:data)"
    )
    assert to_lucene_string(dismax("water -", qf="title")) == "(title:water)"


def test_dismax_stopword_clauses_disappear_and_empty_is_match_none() -> None:
    assert isinstance(dismax("the", qf="title"), ast.MatchNone)
    assert isinstance(dismax("   ", qf="title"), ast.MatchNone)


def test_dismax_pf_adds_optional_phrase() -> None:
    q = dismax("open data", qf="text", pf="title^2", mm="100%", ps=1)
    assert to_lucene_string(q) == ('+(((text:open) (text:data))~2) ((title:"open data"~1)^2.0)')


def test_dismax_requires_fields() -> None:
    with pytest.raises(SolrError, match="neither qf nor df"):
        dismax("a", qf="")
    with pytest.raises(SolrError, match="Query Field 'nope' is not a valid field name"):
        dismax("a", qf="nope")
    assert to_lucene_string(dismax("a", qf="", df="text")) == "(text:a)"


def test_edismax_lucene_syntax_and_fields() -> None:
    q = parse_dismax("title:water AND (a OR b)", F, qf="text", mm=None, edismax=True)
    assert to_lucene_string(q) == "+title:water +((text:a) (text:b))"
    # unknown "field": the clause is taken literally
    q = parse_dismax("foo:bar", F, qf="name", mm=None, edismax=True)
    assert to_lucene_string(q) == "(name:foo:bar)"
    # syntax errors are escaped and retried instead of failing
    q = parse_dismax("water (", F, qf="title", mm=None, edismax=True)
    assert to_lucene_string(q) == "(title:water) (title:()"
    # q.op=AND: default mm 100%, clauses required
    q = parse_dismax("a b", F, qf="title", mm=None, q_op="AND", edismax=True)
    assert to_lucene_string(q) == "+(title:a) +(title:b)"
    q = parse_dismax("a b c", F, qf="title", mm="2", edismax=True)
    assert to_lucene_string(q) == "((title:a) (title:b) (title:c))~2"
    # explicit operators switch the default mm off
    q = parse_dismax("a OR b", F, qf="title", mm=None, q_op="AND", edismax=True)
    assert to_lucene_string(q) == "(title:a) (title:b)"


def test_edismax_bare_star_and_pf() -> None:
    assert isinstance(parse_dismax("*", F, qf="title", mm=None, edismax=True), ast.MatchAll)
    q = parse_dismax("open data", F, qf="text", mm="100%", pf="title", edismax=True)
    assert to_lucene_string(q) == '+(((text:open) (text:data))~2) (title:"open data")'


# --------------------------------------------------------------- dispatch and local params


def test_parse_local_params() -> None:
    local, rest = parse_local_params("{!dismax qf='title^2 text' mm=2 v=$qq}", {"qq": "abc"})
    assert local == {"type": "dismax", "qf": "title^2 text", "mm": "2", "v": "abc"}
    assert rest == ""
    local, rest = parse_local_params('{!type=lucene q.op=AND df="text"}a b')
    assert local == {"type": "lucene", "q.op": "AND", "df": "text"}
    assert rest == "a b"
    with pytest.raises(SolrError):
        parse_local_params("{!dismax qf=title")


def test_parse_query_dispatch() -> None:
    p = {"df": "text"}
    assert to_lucene_string(parse_query("a b", p, F)) == "text:a text:b"
    assert to_lucene_string(parse_query("a b", {**p, "q.op": "AND"}, F)) == "+text:a +text:b"
    assert to_lucene_string(parse_query("{!lucene q.op=AND df=title}a b", {}, F)) == (
        "+title:a +title:b"
    )
    q = parse_query("water", {"defType": "dismax", "qf": "title text", "tie": "0.1"}, F)
    assert to_lucene_string(q) == "(title:water | text:water)~0.1"
    q = parse_query("{!dismax qf=title}water", {"defType": "lucene"}, F)
    assert to_lucene_string(q) == "(title:water)"
    q = parse_query("{!edismax qf=title v=$qq}", {"qq": "a OR b"}, F)
    assert to_lucene_string(q) == "(title:a) (title:b)"
    q = parse_query("{!type=dismax qf=title}a", {}, F)
    assert to_lucene_string(q) == "(title:a)"
    assert to_lucene_string(parse_query("{!tag=t}a", p, F)) == "text:a"
    assert to_lucene_string(parse_query("{!field f=title}Open Data", {}, F)) == (
        'title:"open data"'
    )
    assert parse_query("{!term f=state}active", {}, F) == ast.Term("state", "active")
    assert parse_query("{!prefix f=title}Wat", {}, F) == ast.Prefix("title", "wat")
    q = parse_query("{!terms f=state}active,draft", {}, F)
    assert to_lucene_string(q) == "state:active state:draft"
    with pytest.raises(SolrError, match="Unknown query parser 'nope'"):
        parse_query("{!nope}x", {}, F)


def _occurs(q: ast.Query) -> list[tuple[str, str]]:
    assert isinstance(q, ast.Boolean)
    return [(c.occur, to_lucene_string(c.query)) for c in q.clauses]


def test_bool_parser_clauses() -> None:
    p = {"df": "text"}
    # CKAN's test_allowed_local_params_via_config, all three spellings
    for q in ("{!bool must=bees}", "{!type=bool must=bees}", "{!must=bees type=bool}"):
        assert _occurs(parse_query(q, p, F)) == [("MUST", "text:bees")]
    q = parse_query(
        "{!bool must=a must='title:b c' must_not=state:draft should=x should=tags:y "
        "filter=state:active filter=capacity:public}ignored text",
        p,
        F,
    )
    assert _occurs(q) == [
        ("MUST", "text:a"),
        ("MUST", "title:b text:c"),
        ("MUST_NOT", "state:draft"),
        ("SHOULD", "text:x"),
        ("SHOULD", "tags:y"),
        ("FILTER", "state:active"),
        ("FILTER", "capacity:public"),
    ]
    assert to_lucene_string(q) == (
        "+text:a +(title:b text:c) -state:draft text:x tags:y #state:active #capacity:public"
    )
    assert q.minimum_should_match == 0


def test_bool_parser_subqueries_use_lucene_with_request_defaults() -> None:
    # sub-queries: default parser lucene (not defType), request df and q.op, {!...} allowed
    p = {"df": "title", "q.op": "AND", "defType": "dismax", "qf": "text"}
    q = parse_query("{!bool must='a b' should='{!term f=state}active'}", p, F)
    assert _occurs(q) == [("MUST", "+title:a +title:b"), ("SHOULD", "state:active")]
    q = parse_query("{!bool must='{!dismax qf=name}water'}", p, F)
    assert _occurs(q) == [("MUST", "(name:water)")]
    # nested bool
    q = parse_query("{!bool must=$inner}", {"df": "text", "inner": "{!bool should=a should=b}"}, F)
    assert to_lucene_string(q) == "+(text:a text:b)"


def test_bool_parser_param_references() -> None:
    p = {"df": "text", "m1": "title:open", "m2": "tags:data", "n": "state:draft"}
    q = parse_query("{!bool must=$m1 must=$m2 must_not=$n should=$missing}", p, F)
    assert _occurs(q) == [
        ("MUST", "title:open"),
        ("MUST", "tags:data"),
        ("MUST_NOT", "state:draft"),
    ]
    # a kind with no local value falls back to the request parameter (Solr wraps the local
    # params with the request's); a local value wins over the request's
    q = parse_query("{!bool must=a}", {"df": "text", "must": "b", "should": "c"}, F)
    assert _occurs(q) == [("MUST", "text:a"), ("SHOULD", "text:c")]
    # as a filter, and as v= of another parser's reference
    q = parse_filter("{!bool filter=$f}", {"df": "text", "f": "state:active"}, F)
    assert _occurs(q) == [("FILTER", "state:active")]
    q = parse_query("{!lucene v=$b}", {"df": "text", "b": "{!bool must=x}"}, F)
    assert _occurs(q) == [("MUST", "text:x")]


def test_bool_parser_inside_lucene_query() -> None:
    p = {"df": "text"}
    q = parse_query(" {!bool must=a must_not=b} +state:active", p, F)
    assert to_lucene_string(q) == "(+text:a -text:b) +state:active"
    q = parse_query('_query_:"{!bool should=a should=b}" title:c', p, F)
    assert to_lucene_string(q) == "(text:a text:b) title:c"


def test_bool_parser_mm_and_exclude_tags() -> None:
    p = {"df": "text", "mm": "100%"}  # a request mm is dismax's, not bool's
    q = parse_query("{!bool should=a should=b should=c}", p, F)
    assert isinstance(q, ast.Boolean) and q.minimum_should_match == 0
    q = parse_query("{!bool should=a should=b should=c mm=2}", p, F)
    assert isinstance(q, ast.Boolean) and q.minimum_should_match == 2
    q = parse_query("{!bool should=a should=b should=c must=d mm=-1}", p, F)
    assert isinstance(q, ast.Boolean) and q.minimum_should_match == 2
    q = parse_query("{!bool should=a should=b should=c mm=67%}", p, F)
    assert isinstance(q, ast.Boolean) and q.minimum_should_match == 2
    with pytest.raises(SolrError):
        parse_query("{!bool should=a mm=x}", p, F)
    q = parse_query(
        "{!bool must='{!tag=t1}a' must='{!tag=t2,t3}b' should=c excludeTags=t3,t9}", p, F
    )
    assert _occurs(q) == [("MUST", "text:a"), ("SHOULD", "text:c")]


def test_bool_parser_edge_cases() -> None:
    p = {"df": "text"}
    # no clauses: an empty BooleanQuery (matches nothing)
    assert parse_query("{!bool}", p, F) == ast.Boolean([])
    assert parse_query("{!bool must=$missing}", p, F) == ast.Boolean([])
    # empty values are left out (Solr's lucene parser gives no query for them)
    assert _occurs(parse_query("{!bool must='' should=a}", p, F)) == [("SHOULD", "text:a")]
    assert _occurs(parse_query("{!bool must='{!lucene}' should=a}", p, F)) == [
        ("SHOULD", "text:a")
    ]
    # a stopword-only clause is kept: it matches nothing, as in Lucene
    q = parse_query("{!bool must=the should=a}", p, F)
    assert isinstance(q, ast.Boolean) and isinstance(q.clauses[0].query, ast.MatchNone)
    # errors in a clause are the clause parser's errors
    with pytest.raises(SolrError, match="Cannot parse"):
        parse_query("{!bool must='a AND'}", p, F)
    with pytest.raises(SolrError, match="Infinite Recursion"):
        parse_query("{!bool must=$r}", {"df": "text", "r": "{!bool must=$r}"}, F)
    with pytest.raises(SolrError):
        parse_query("{!bool must=a", p, F)
    # the usual occurs only; anything else is ignored like Solr's unknown local params
    assert _occurs(parse_query("{!bool must=a foo=b}", p, F)) == [("MUST", "text:a")]


def test_empty_queries() -> None:
    assert isinstance(parse_query(None, {"df": "text"}, F), ast.MatchNone)
    assert isinstance(parse_query("", {"df": "text"}, F), ast.MatchNone)
    p = {"defType": "dismax", "qf": "title", "q.alt": "*:*"}
    assert isinstance(parse_query("", p, F), ast.MatchAll)
    assert isinstance(parse_query(None, {"defType": "edismax", "qf": "title"}, F), ast.MatchNone)


def test_parse_filter_ignores_def_type() -> None:
    p = {"defType": "dismax", "qf": "title", "df": "text"}
    assert to_lucene_string(parse_filter("+state:active", p, F)) == "+state:active"
    assert to_lucene_string(parse_filter("{!term f=state}active", p, F)) == "state:active"


def test_nested_queries() -> None:
    q = parse_lucene('_query_:"{!dismax qf=title}water" +state:active', F, df="text")
    assert to_lucene_string(q) == "(title:water) +state:active"
    q = parse_lucene("{!term f=state v=active} a", F, df="text")
    assert to_lucene_string(q) == "state:active text:a"
    with pytest.raises(SolrError, match="not supported"):
        parse_lucene('_val_:"recip(x)"', F, df="text")
    with pytest.raises(SolrError, match="Infinite Recursion"):
        parse_query("{!lucene v=$q}", {"q": "{!lucene v=$q}"}, F)


def test_ckan_package_search_request() -> None:
    """What CKAN's package_search sends for a free-text search."""
    params = {
        "q": "luchtkwaliteit amsterdam 2023",
        "defType": "dismax",
        "tie": "0.1",
        "mm": "2<-1 5<80%",
        "qf": QF,
        "df": "text",
        "q.op": "AND",
    }
    q = parse_query(params["q"], params, F)
    assert isinstance(q, ast.Boolean)
    assert q.minimum_should_match == 2
    assert all(isinstance(c.query, ast.DisMax) for c in q.clauses)
    # a fielded q (colon) stays with the lucene parser and q.op=AND
    params = {"q": "tags:water kwaliteit", "df": "text", "q.op": "AND"}
    assert to_lucene_string(parse_query(params["q"], params, F)) == "+tags:water +text:kwaliteit"


def test_random_input_never_crashes() -> None:
    """Any input yields a tree or a SolrError (HTTP 400), never another exception."""
    rnd = random.Random(42)
    alphabet = list('ab cx:*?~^"\\()[]{}+-!/&|') + [
        "AND",
        "OR",
        "NOT",
        "TO",
        "title:",
        "{!",
        "}",
        "_query_:",
        "auto",
        "the",
        "1",
        "2.5",
    ]
    for _ in range(3000):
        q = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12)))
        for parse in (
            lambda q=q: parse_lucene(q, F, df="text"),
            lambda q=q: parse_dismax(q, F, qf="title text", mm="2<-1"),
            lambda q=q: parse_dismax(q, F, qf="title", mm=None, edismax=True, pf="title"),
            lambda q=q: parse_query(q, {"df": "text"}, F),
        ):
            try:
                to_lucene_string(parse())
            except SolrError:
                pass
