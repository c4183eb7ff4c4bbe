"""Schema loading, dynamic fields, copyField and Solr's update semantics."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import pytest

from ckanext.gemeente.search.solr.analysis import Token
from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.solrschema import Schema, SchemaError, java_double_str

CKAN_SCHEMA = os.path.join(
    os.path.dirname(__import__("ckan").__file__), "config", "solr", "schema.xml"
)
NOW = datetime(2024, 3, 15, 13, 45, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def ckan() -> Schema:
    return Schema.load(CKAN_SCHEMA)


def base(**extra: object) -> dict:
    return {"index_id": "abc", "id": "pkg1", "site_id": "site", **extra}


def texts(tokens: list[Token]) -> list[tuple[str, int]]:
    return [(t.text, t.position) for t in tokens]


# --------------------------------------------------------------------------- CKAN's schema


def test_ckan_schema_basics(ckan: Schema) -> None:
    series = ".".join(version("ckan").split(".")[:2])  # the installed CKAN's schema
    assert ckan.name == f"ckan-{series}"
    assert ckan.version == "1.6"
    assert ckan.unique_key == "index_id"
    assert ckan.path == CKAN_SCHEMA
    assert ckan.raw_xml.startswith(b"<?xml")
    assert ckan.fields["index_id"].required
    assert ckan.fields["indexed_ts"].default == "NOW"
    assert ("extras_*", "text", 0) in ckan.copy_fields
    assert [d.name for d in ckan.dynamic_fields] == [
        "res_extras_*",
        "extras_*",
        "vocab_*",
        "*_date",
        "*",
    ]


@pytest.mark.parametrize(
    "name, type_name, kind, multi, dynamic",
    [
        ("title", "text", "text", False, False),
        ("tags", "string", "string", True, False),
        ("metadata_modified", "date", "date", False, False),
        ("views_total", "int", "int", False, False),
        ("res_extras_hash", "text", "text", True, True),
        ("extras_theme", "text", "text", False, True),
        ("vocab_topics", "string", "string", True, True),
        ("release_date", "date", "date", False, True),
        ("extras_release_date", "text", "text", False, True),  # longer pattern wins
        ("res_extras_x_date", "text", "text", True, True),
        ("anything_else", "string", "string", False, True),
    ],
)
def test_ckan_fields(
    ckan: Schema, name: str, type_name: str, kind: str, multi: bool, dynamic: bool
) -> None:
    f = ckan.field(name)
    assert f is not None
    assert f.name == name
    assert f.type.name == type_name
    assert f.type.kind == kind
    assert f.multi_valued is multi
    assert f.dynamic is dynamic


def test_ckan_text_analyzers(ckan: Schema) -> None:
    text = ckan.field("text")
    assert text is not None
    assert text.type.position_increment_gap == 100
    assert texts(text.type.terms("Wi-Fi PowerShot running")) == [
        ("wifi", 0),
        ("wi", 0),
        ("fi", 1),
        ("powershot", 2),
        ("power", 2),
        ("shot", 3),
        ("run", 4),
    ]
    assert texts(ckan.query_tokens("text", "Wi-Fi running")) == [("wi", 0), ("fi", 1), ("run", 2)]
    # _default configset synonyms (TV group) at query time
    assert [t.text for t in ckan.query_tokens("text", "TV")] == ["televis", "televis", "tv", "tvs"]
    assert texts(ckan.query_tokens("author", "Jan-Peter")) == [("jan", 0), ("peter", 1)]
    assert ckan.multiterm("text", "Coördinatie*") == "coordinatie*"
    assert ckan.multiterm("name", "Coördinatie*") == "Coördinatie*"


def test_ckan_ngram_field(ckan: Schema) -> None:
    f = ckan.field("title_ngram")
    assert f is not None
    assert [t.text for t in f.type.terms("Abc")] == ["ab", "abc", "bc"]
    assert texts(ckan.query_tokens("title_ngram", "Abc De")) == [("abc", 0), ("de", 1)]


def test_ckan_prepare_full_document(ckan: Schema) -> None:
    out = ckan.prepare(
        base(
            title="Wi-Fi Data",
            name="wifi-data",
            notes="Some notes",
            tags=["a", "b"],
            metadata_modified="2024-03-01T10:00:00.5Z",
            views_total=5,
            extras_theme="economy",
            res_url=["http://x.nl"],
            indexed_ts="2024-01-01T00:00:00Z",
            vocab_topics=["t1"],
        )
    )
    assert out["metadata_modified"] == ["2024-03-01T10:00:00.500Z"]
    assert out["views_total"] == [5]
    assert out["title_ngram"] == ["Wi-Fi Data"]
    assert out["name_ngram"] == ["wifi-data"]
    assert out["urls"] == ["http://x.nl"]
    # order follows the document's field order, values copied raw
    assert out["text"] == ["Wi-Fi Data", "wifi-data", "Some notes", "a", "b", "economy", "t1"]
    assert out["indexed_ts"] == ["2024-01-01T00:00:00Z"]


def test_ckan_default_now(ckan: Schema) -> None:
    out = ckan.prepare(base())
    (value,) = out["indexed_ts"]
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - stamp).total_seconds()) < 60


def test_ckan_text_copy_is_not_chained(ckan: Schema) -> None:
    # copyField text->text copies each *document* value once more (Solr does not chain)
    out = ckan.prepare(base(text=["x"], urls=["u"]))
    assert out["text"] == ["x", "x", "u"]
    assert out["urls"] == ["u"]


# --------------------------------------------------------------------------- prepare() errors


@pytest.mark.parametrize(
    "doc, msg",
    [
        ({"id": "x"}, "Document is missing mandatory uniqueKey field: index_id"),
        ({"index_id": None, "id": "x"}, "Document is missing mandatory uniqueKey field: index_id"),
        (
            {"index_id": ["a", "b"], "id": "x"},
            "Document contains multiple values for uniqueKey field: index_id=[a, b]",
        ),
        (
            base(title=["a", "b"]),
            "ERROR: [doc=abc] multiple values encountered for non multiValued field title: [a, b]",
        ),
        (
            base(extras_x=["a", "b"]),
            "ERROR: [doc=abc] multiple values encountered for non multiValued field extras_x: "
            "[a, b]",
        ),
        (
            base(views_total="abc"),
            "ERROR: [doc=abc] Error adding field 'views_total'='abc' msg=For input string: \"abc\"",
        ),
        (
            base(views_total=["1.5"]),
            "ERROR: [doc=abc] Error adding field 'views_total'='[1.5]' "
            'msg=For input string: "1.5"',
        ),
        (
            base(views_total=True),
            "ERROR: [doc=abc] Error adding field 'views_total'='true' "
            'msg=For input string: "true"',
        ),
        (
            base(views_total="99999999999"),
            "ERROR: [doc=abc] Error adding field 'views_total'='99999999999' msg=For input string: "
            '"99999999999"',
        ),
        (
            base(metadata_modified="abc"),
            "ERROR: [doc=abc] Error adding field 'metadata_modified'='abc' "
            "msg=Invalid Date String:'abc'",
        ),
        (
            base(metadata_modified="2024-13-01T00:00:00Z"),
            "ERROR: [doc=abc] Error adding field 'metadata_modified'='2024-13-01T00:00:00Z' "
            "msg=Invalid Date in Date Math String:'2024-13-01T00:00:00Z'",
        ),
        (
            base(release_date=20240101),
            "ERROR: [doc=abc] Error adding field 'release_date'='20240101' "
            "msg=Invalid Date String:'20240101'",
        ),
        (
            base(title={"foo": "x"}),
            "Error:[doc=abc]  Unknown operation for the an atomic update: foo",
        ),
        (
            base(tags=[{"id": "child"}]) | {"index_id": "abc"},
            "Error:[doc=abc]  Unknown operation for the an atomic update: id",
        ),
        (
            base(tags=[{"index_id": "child"}]),
            "Unable to index docs with children: the schema must include definitions for both a "
            "uniqueKey field and the '_root_' field, using the exact same fieldType",
        ),
        ({"index_id": "abc", "id": "x"}, "[doc=abc] missing required field: site_id"),
    ],
)
def test_prepare_errors(ckan: Schema, doc: dict, msg: str) -> None:
    with pytest.raises(SolrError) as exc:
        ckan.prepare(doc)
    assert exc.value.msg == msg
    assert exc.value.code == 400


def test_prepare_known_atomic_op_is_refused(ckan: Schema) -> None:
    with pytest.raises(SolrError) as exc:
        ckan.prepare(base(title={"set": "x"}))
    assert "Atomic update" in exc.value.msg and "title" in exc.value.msg


def test_prepare_immense_term(ckan: Schema) -> None:
    with pytest.raises(SolrError) as exc:
        ckan.prepare(base(name="é" * 20000))
    msg = exc.value.msg
    assert msg.startswith(
        "Exception writing document id abc to the index; possible analysis error: Document "
        'contains at least one immense term in field="name" (whose UTF8 encoding is longer '
        "than the max length 32766), all of which were skipped.  Please correct the analyzer "
        "to not produce such terms.  The prefix of the first immense term is: '[-61, -87, -61,"
    )
    assert msg.endswith(
        "...', original message: bytes can be at most 32766 in length; got 40000. Perhaps the "
        "document has an indexed string field (solr.StrField) which is too large"
    )
    # not indexed: fine; exactly at the limit: fine; text fields are tokenized
    ckan.prepare(base(data_dict="x" * 40000, url="y" * 32766, notes="z " * 30000))


def test_prepare_drops_nulls_and_coerces(ckan: Schema) -> None:
    out = ckan.prepare(
        base(
            title=None,
            tags=["a", None, "b"],
            views_total=7.9,
            views_recent=2**32 + 3,
            capacity=1.0,
            organization=True,
            nope=None,
        )
    )
    assert "title" not in out and "nope" not in out
    assert out["tags"] == ["a", "b"]
    assert out["views_total"] == [7]
    assert out["views_recent"] == [3]  # Long.intValue() wraps
    assert out["capacity"] == ["1.0"]
    assert out["organization"] == ["true"]


# --------------------------------------------------------------------------- custom schemas

CUSTOM = """<?xml version="1.0"?>
<schema name="custom" version="1.6">
  <fieldType name="string" class="solr.StrField" sortMissingLast="true"/>
  <fieldType name="strings" class="solr.StrField" multiValued="true"/>
  <fieldType name="pint" class="solr.IntPointField"/>
  <fieldType name="plong" class="solr.TrieLongField"/>
  <fieldType name="pfloat" class="solr.FloatPointField"/>
  <fieldType name="pdouble" class="solr.DoublePointField"/>
  <fieldType name="boolean" class="solr.BoolField"/>
  <fieldType name="pdate" class="solr.DatePointField"/>
  <fieldType name="bin" class="solr.BinaryField"/>
  <fieldType name="txt" class="solr.TextField" positionIncrementGap="50">
    <analyzer><tokenizer name="standard"/><filter name="lowercase"/></analyzer>
  </fieldType>
  <fieldType name="txt_kw" class="solr.TextField">
    <analyzer><tokenizer name="keyword"/></analyzer>
  </fieldType>
  <fields>
    <field name="id" type="string" required="true"/>
    <field name="title" type="txt"/>
    <field name="body" type="txt" positionIncrementGap="7"/>
    <field name="short" type="string" indexed="false"/>
    <field name="one" type="string"/>
    <field name="many" type="strings"/>
    <field name="single_override" type="strings" multiValued="false"/>
    <field name="status" type="string" default="draft"/>
    <field name="n" type="pint"/>
    <field name="flag" type="boolean"/>
    <field name="kw" type="txt_kw"/>
    <dynamicField name="*_s" type="string"/>
    <dynamicField name="*_ss" type="strings"/>
    <dynamicField name="attr_*" type="strings"/>
    <dynamicField name="*_i" type="pint"/>
    <dynamicField name="*_l" type="plong"/>
    <dynamicField name="*_f" type="pfloat"/>
    <dynamicField name="*_d" type="pdouble"/>
    <dynamicField name="*_b" type="boolean"/>
    <dynamicField name="*_dt" type="pdate"/>
    <dynamicField name="*_t" type="txt"/>
    <dynamicField name="*_txts" type="txt" multiValued="true"/>
    <dynamicField name="*_x" type="string"/>
    <dynamicField name="x_*" type="pint"/>
    <dynamicField name="*_bin" type="bin"/>
  </fields>
  <uniqueKey>id</uniqueKey>
  <copyField source="title" dest="title_s" maxChars="5"/>
  <copyField source="title" dest="many"/>
  <copyField source="*_ss" dest="*_txts"/>
  <copyField source="attr_*" dest="one"/>
  <copyField source="many" dest="one"/>
</schema>
"""


@pytest.fixture(scope="module")
def custom() -> Schema:
    return Schema.from_string(CUSTOM)


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("foo_s", "*_s"),
        ("foo_ss", "*_ss"),
        ("attr_foo_s", "attr_*"),  # 'attr_*' (6 chars) beats '*_s' (3 chars)
        ("attr_x", "attr_*"),  # 'attr_*' beats '*_x' by length
        ("x_y_x", "*_x"),  # equal length: declaration order wins
        ("x_y", "x_*"),
        ("_s", "*_s"),
        ("plain", None),
    ],
)
def test_dynamic_precedence(custom: Schema, name: str, pattern: str | None) -> None:
    f = custom.field(name)
    if pattern is None:
        assert f is None
    else:
        assert f is not None and f.pattern == pattern and f.name == name and f.dynamic


def test_field_level_overrides(custom: Schema) -> None:
    assert custom.fields["single_override"].multi_valued is False
    assert custom.fields["many"].multi_valued is True
    assert custom.fields["short"].indexed is False
    assert custom.fields["one"].sort_missing_last is True
    assert custom.fields["title"].position_increment_gap == 50
    assert custom.fields["body"].position_increment_gap == 7
    assert custom.field_types["bin"].indexed is False


def test_copy_destinations(custom: Schema) -> None:
    assert custom.copy_destinations("title") == [("title_s", 5), ("many", 0)]
    assert custom.copy_destinations("tags_ss") == [("tags_txts", 0)]
    assert custom.copy_destinations("attr_color") == [("one", 0)]
    assert custom.copy_destinations("nothing") == []


def test_copy_field_max_chars_and_glob(custom: Schema) -> None:
    out = custom.prepare({"id": "1", "title": "Hello World", "kw_ss": ["A b", "C"]})
    assert out["title_s"] == ["Hello"]
    assert out["many"] == ["Hello World"]
    assert out["kw_txts"] == ["A b", "C"]
    kw_txts = custom.field("kw_txts")
    assert kw_txts is not None and kw_txts.multi_valued
    assert texts(kw_txts.type.terms("A b")) == [("a", 0), ("b", 1)]
    assert out["status"] == ["draft"]


def test_copy_into_single_valued_destination(custom: Schema) -> None:
    with pytest.raises(SolrError) as exc:
        custom.prepare({"id": "1", "attr_a": ["x", "y"]})
    assert exc.value.msg == (
        "ERROR: [doc=1] Error adding field 'attr_a'='[x, y]' msg=Multiple values encountered "
        "for non multiValued copy field one: y"
    )
    with pytest.raises(SolrError) as exc:
        custom.prepare({"id": "1", "attr_a": "x", "attr_b": "y"})
    assert exc.value.msg == (
        "ERROR: [doc=1] Error adding field 'attr_b'='y' msg=Multiple values encountered "
        "for non multiValued copy field one: y"
    )
    # a direct value after a copy is not checked by Solr (only count>1 is)
    assert custom.prepare({"id": "1", "attr_a": "x", "one": "z"})["one"] == ["x", "z"]


def test_unknown_field_without_catch_all(custom: Schema) -> None:
    with pytest.raises(SolrError) as exc:
        custom.prepare({"id": "1", "nope": "x"})
    assert exc.value.msg == "ERROR: [doc=1] unknown field 'nope'"
    assert custom.prepare({"id": "1", "nope": None, "also": []}) == {
        "id": ["1"],
        "status": ["draft"],
    }


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("n", "42", 42),
        ("n", "+7", 7),
        ("n", -3.99, -3),
        ("big_l", "9223372036854775807", 9223372036854775807),
        ("v_f", "1.5", 1.5),
        ("v_f", " 2.5f ", 2.5),
        ("v_d", 3, 3.0),
        ("v_d", "1e3", 1000.0),
        ("flag", "true", True),
        ("flag", "T", True),
        ("flag", "1", True),
        ("flag", "yes", False),  # BoolField: only 1/t/T mean true
        ("flag", False, False),
        ("when_dt", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),
        ("when_dt", "2024-03-01T10:00:00Z/DAY+1DAY", "2024-03-02T00:00:00Z"),
        ("one", 12, "12"),
        ("one", 1e20, "1.0E20"),
        ("blob_bin", "aGVsbG8=", "aGVsbG8="),
    ],
)
def test_convert(custom: Schema, field: str, value: object, expected: object) -> None:
    f = custom.field(field)
    assert f is not None
    got = f.type.convert(field, value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "field, value, msg",
    [
        ("v_f", "abc", 'For input string: "abc"'),
        ("v_f", "  ", "empty String"),
        ("v_d", "1,5", 'For input string: "1,5"'),
        ("big_l", "9223372036854775808", 'For input string: "9223372036854775808"'),
        ("n", "", 'For input string: ""'),
    ],
)
def test_convert_errors(custom: Schema, field: str, value: object, msg: str) -> None:
    f = custom.field(field)
    assert f is not None
    with pytest.raises(SolrError) as exc:
        f.type.convert(field, value)
    assert exc.value.msg == msg


def test_terms_and_sort_keys(custom: Schema) -> None:
    date = custom.field("a_dt").type  # type: ignore[union-attr]
    assert date.terms("2024-03-01T10:00:00Z") == [Token("2024-03-01T10:00:00Z", 0)]
    assert date.sort_key("1970-01-01T00:00:01.500Z") == 1500
    assert date.parse_bound("1970-01-02T00:00:00Z") == 86_400_000
    assert date.parse_bound("NOW/DAY", now=NOW) == date.sort_key("2024-03-15T00:00:00Z")
    with pytest.raises(SolrError, match="Invalid Date String:'abc'"):
        date.parse_bound("abc")
    intt = custom.field("n").type  # type: ignore[union-attr]
    assert intt.terms(5) == [Token("5", 0)]
    assert intt.parse_bound("10") == 10
    with pytest.raises(SolrError) as exc:
        intt.parse_bound("abc", "n")
    assert exc.value.msg == "Invalid Number: abc for field n"
    flt = custom.field("v_d").type  # type: ignore[union-attr]
    assert flt.terms(2.0) == [Token("2.0", 0)]
    assert flt.parse_bound("2.5") == 2.5
    booly = custom.field("flag").type  # type: ignore[union-attr]
    assert booly.terms(True) == [Token("true", 0)]
    assert booly.sort_key(False) < booly.sort_key(True)
    s = custom.field("one").type  # type: ignore[union-attr]
    assert s.terms("Hello World") == [Token("Hello World", 0)]
    assert s.parse_bound("abc") == "abc"


def test_query_tokens(custom: Schema) -> None:
    assert custom.query_tokens("title", "Hello, World") == [Token("hello", 0), Token("world", 1)]
    assert custom.query_tokens("one", "Hello World") == [Token("Hello World", 0)]
    assert custom.query_tokens("n", "42") == [Token("42", 0)]
    assert custom.query_tokens("v_d", "2.50") == [Token("2.5", 0)]
    assert custom.query_tokens("flag", "true") == [Token("true", 0)]
    assert custom.query_tokens("a_dt", "2024-03-01T10:00:00.000Z") == [
        Token("2024-03-01T10:00:00Z", 0)
    ]
    assert custom.query_tokens("a_dt", "NOW/DAY", now=NOW) == [Token("2024-03-15T00:00:00Z", 0)]
    with pytest.raises(SolrError) as exc:
        custom.query_tokens("n", "abc")
    assert exc.value.msg == "Invalid Number: abc for field n"
    with pytest.raises(SolrError) as exc:
        custom.query_tokens("nope", "x")
    assert exc.value.msg == "undefined field nope"
    with pytest.raises(SolrError) as exc:
        custom.multiterm("nope", "x")
    assert exc.value.msg == "undefined field nope"
    assert custom.multiterm("title", "HeLLo*") == "hello*"


def test_immense_term_in_keyword_text_field(custom: Schema) -> None:
    with pytest.raises(SolrError, match='immense term in field="kw"'):
        custom.prepare({"id": "1", "kw": "k" * 40000})
    custom.prepare({"id": "1", "body": "t" * 40000, "short": "s" * 40000})
    # a copy into an indexed string field is checked too
    with pytest.raises(SolrError, match='immense term in field="many"'):
        custom.prepare({"id": "1", "title": "t" * 40000})


# --------------------------------------------------------------------------- Dutch variant

DUTCH = """<schema name="gemeente" version="1.6">
  <types>
    <fieldType name="string" class="solr.StrField"/>
    <fieldType name="text" class="solr.TextField" positionIncrementGap="100">
      <analyzer type="index">
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.WordDelimiterGraphFilterFactory" catenateWords="1" catenateNumbers="1"/>
        <filter class="solr.FlattenGraphFilterFactory"/>
        <filter class="solr.LowerCaseFilterFactory"/>
        <filter class="solr.StopFilterFactory" words="stopwords_nl.txt" ignoreCase="true"/>
        <filter class="solr.SnowballPorterFilterFactory" language="Dutch"
                protected="protwords.txt"/>
        <filter class="solr.ASCIIFoldingFilterFactory"/>
      </analyzer>
      <analyzer type="query">
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.SynonymGraphFilterFactory" synonyms="synonyms_nl.txt"
                ignoreCase="true" expand="true"/>
        <filter class="solr.WordDelimiterGraphFilterFactory"/>
        <filter class="solr.LowerCaseFilterFactory"/>
        <filter class="solr.StopFilterFactory" words="stopwords_nl.txt" ignoreCase="true"/>
        <filter class="solr.SnowballPorterFilterFactory" language="Dutch"
                protected="protwords.txt"/>
        <filter class="solr.ASCIIFoldingFilterFactory"/>
      </analyzer>
    </fieldType>
  </types>
  <fields>
    <field name="id" type="string" indexed="true" stored="true" required="true"/>
    <field name="text" type="text" multiValued="true"/>
    <field name="title" type="text"/>
  </fields>
  <uniqueKey>id</uniqueKey>
  <copyField source="title" dest="text"/>
</schema>
"""


@pytest.fixture()
def dutch(tmp_path: Path) -> Schema:
    (tmp_path / "schema.xml").write_text(DUTCH, encoding="utf-8")
    (tmp_path / "stopwords_nl.txt").write_text("de\nhet\neen\nvan\nen\n", encoding="utf-8")
    (tmp_path / "protwords.txt").write_text("ede\n", encoding="utf-8")
    (tmp_path / "synonyms_nl.txt").write_text(
        "fiets, rijwiel\nwoz => onroerendezaakbelasting\n", encoding="utf-8"
    )
    return Schema.load(str(tmp_path / "schema.xml"))


def test_dutch_stemming_stopwords_folding(dutch: Schema) -> None:
    title = dutch.field("title")
    assert title is not None
    assert texts(title.type.terms("De gemeentelijke coördinatie van het Gemeente-archief")) == [
        ("gemeent", 1),
        ("coordinatie", 2),
        ("gemeentearchief", 5),
        ("gemeent", 5),
        ("archief", 6),
    ]
    assert [t.text for t in dutch.query_tokens("title", "gemeente")] == ["gemeent"]
    assert [t.text for t in dutch.query_tokens("title", "Ede")] == ["ede"]  # protected


def test_dutch_synonyms(dutch: Schema) -> None:
    assert texts(dutch.query_tokens("text", "Fiets huren")) == [
        ("fiet", 0),
        ("rijwiel", 0),
        ("hur", 1),
    ]
    assert [t.text for t in dutch.query_tokens("text", "WOZ")] == ["onroerendezaakbelast"]


def test_dutch_copy_and_prepare(dutch: Schema) -> None:
    out = dutch.prepare({"id": "1", "title": "Gemeentelijke fietsen"})
    assert out == {
        "id": ["1"],
        "title": ["Gemeentelijke fietsen"],
        "text": ["Gemeentelijke fietsen"],
    }


def test_missing_resource_names_file(tmp_path: Path) -> None:
    (tmp_path / "schema.xml").write_text(DUTCH, encoding="utf-8")
    with pytest.raises(SchemaError) as exc:
        Schema.load(str(tmp_path / "schema.xml"))
    assert "stopwords_nl.txt" in exc.value.msg
    assert exc.value.code == 500


# --------------------------------------------------------------------------- invalid schemas


@pytest.mark.parametrize(
    "body, fragment",
    [
        ('<field name="a" type="nope"/>', "Unknown fieldType 'nope' specified on field a"),
        (
            '<fieldType name="t" class="solr.TextField"><analyzer><tokenizer name="whitespace"/>'
            '<filter class="solr.MagicFilterFactory"/></analyzer></fieldType>',
            "solr.MagicFilterFactory",
        ),
        ('<dynamicField name="a*b" type="string"/>', "must start or end with"),
        ('<field name="id" type="string"/>', "Duplicate field definition for 'id'"),
        ('<copyField source="missing" dest="id"/>', "copyField source :'missing'"),
        ('<copyField source="id" dest="missing"/>', "copyField dest :'missing'"),
        ('<field name="n" type="pint" default="abc"/>', "default value"),
    ],
)
def test_invalid_schemas(body: str, fragment: str) -> None:
    xml = (
        '<schema name="bad" version="1.6"><fieldType name="string" class="solr.StrField"/>'
        '<fieldType name="pint" class="solr.IntPointField"/>'
        f'<field name="id" type="string"/>{body}<uniqueKey>id</uniqueKey></schema>'
    )
    with pytest.raises(SchemaError) as exc:
        Schema.from_string(xml)
    assert fragment in exc.value.msg


def test_unique_key_must_exist() -> None:
    with pytest.raises(SchemaError, match="uniqueKey"):
        Schema.from_string(
            '<schema name="x"><fieldType name="s" class="solr.StrField"/>'
            "<uniqueKey>id</uniqueKey></schema>"
        )


@pytest.mark.parametrize(
    "value, expected",
    [
        (1.0, "1.0"),
        (0.001, "0.001"),
        (1e7, "1.0E7"),
        (1.5e-4, "1.5E-4"),
        (123456.789, "123456.789"),
        (-2.5, "-2.5"),
        (1e20, "1.0E20"),
        (0.0, "0.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (9999999.0, "9999999.0"),
        (1.2345678e10, "1.2345678E10"),
    ],
)
def test_java_double_str(value: float, expected: str) -> None:
    assert java_double_str(value) == expected


SAMPLE_VALUES = [
    "Afvalcontainers Havenkwartier 2024",
    "afvalcontainers-havenkwartier-2024",
    "Wi-Fi hotspots: 'Stationsgebied' (gemeente)",
    "PowerShot SD500 e-mail O'Neil's wi-fi",
    "Ĳsselmeer café Zoë — naïeve één",
    "   ",
    "x",
    "https://data.gemeente.example/afval/2024/containers.csv",
    "Overzicht van bomen in stadsdeel Noord, bijgehouden door de afdeling.",
]


@pytest.mark.parametrize("field", ["text", "title", "name_ngram", "title_ngram", "urls",
                                   "res_description", "tags", "capacity", "extras_bron"])
def test_indexing_positions_match_analyze(ckan: Schema, field: str) -> None:
    """The indexer's fast path (positions) gives what analyze gives, and Lucene's length."""
    ftype = ckan.field(field).type
    for value in SAMPLE_VALUES:
        terms, positions, distinct, last = ftype.positions(value)
        tokens = texts(ftype.terms(value))
        assert list(zip(terms, positions, strict=True)) == tokens, value
        assert distinct == len({p for _, p in tokens}), value
        assert last == (max(p for _, p in tokens) if tokens else -1), value
