"""Tokenizers and token filters: texts and Lucene positions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ckanext.gemeente.search.solr.analysis import (
    KEYWORD_ANALYZER,
    AnalysisError,
    Analyzer,
    Token,
    build_analyzer,
)
from ckanext.gemeente.search.solr.errors import SolrError


def make(body: str, resource_dir: Path | str | None = None, attrs: str = "") -> Analyzer:
    xml = f"<analyzer {attrs}>{body}</analyzer>"
    return build_analyzer(ET.fromstring(xml), str(resource_dir) if resource_dir else None)


def toks(analyzer: Analyzer, text: str) -> list[tuple[str, int]]:
    got = [(t.text, t.position) for t in analyzer.analyze(text)]
    # the indexer's fast path must agree on every analyzer these tests build
    terms, positions, distinct, last = analyzer.positions(text)
    assert list(zip(terms, positions, strict=True)) == got
    assert distinct == len({p for _, p in got})
    assert last == (max(p for _, p in got) if got else -1)
    return got


WS = '<tokenizer class="solr.WhitespaceTokenizerFactory"/>'

# --------------------------------------------------------------------------- tokenizers


@pytest.mark.parametrize(
    "tokenizer, text, expected",
    [
        (WS, "Hello  World\tfoo\nbar", [("Hello", 0), ("World", 1), ("foo", 2), ("bar", 3)]),
        (WS, "Wi-Fi, (ok)", [("Wi-Fi,", 0), ("(ok)", 1)]),
        (WS, "a\u00a0b c", [("a\u00a0b", 0), ("c", 1)]),  # Java: NBSP is not whitespace
        (
            '<tokenizer class="solr.WhitespaceTokenizerFactory" rule="unicode"/>',
            "a\u00a0b",
            [("a", 0), ("b", 1)],
        ),
        (WS, "   ", []),
        ('<tokenizer name="whitespace"/>', "x y", [("x", 0), ("y", 1)]),
        ('<tokenizer class="solr.KeywordTokenizerFactory"/>', "Hello World", [("Hello World", 0)]),
        ('<tokenizer name="keyword"/>', "", [("", 0)]),
        (
            '<tokenizer class="solr.LetterTokenizerFactory"/>',
            "it's 42 fine",
            [("it", 0), ("s", 1), ("fine", 2)],
        ),
        (
            '<tokenizer class="solr.NGramTokenizerFactory" minGramSize="1" maxGramSize="2"/>',
            "abc",
            [("a", 0), ("ab", 1), ("b", 2), ("bc", 3), ("c", 4)],
        ),
        (
            '<tokenizer class="solr.NGramTokenizerFactory" minGramSize="2" maxGramSize="3"/>',
            "a b",
            [("a ", 0), ("a b", 1), (" b", 2)],
        ),
        (
            '<tokenizer class="solr.EdgeNGramTokenizerFactory" minGramSize="1" maxGramSize="3"/>',
            "abcd",
            [("a", 0), ("ab", 1), ("abc", 2)],
        ),
        (
            '<tokenizer name="edgeNGram" minGramSize="2" maxGramSize="5"/>',
            "abc",
            [("ab", 0), ("abc", 1)],
        ),
    ],
)
def test_tokenizers(tokenizer: str, text: str, expected: list[tuple[str, int]]) -> None:
    assert toks(make(tokenizer), text) == expected


STD = '<tokenizer class="solr.StandardTokenizerFactory"/>'


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The quick-brown fox.", ["The", "quick", "brown", "fox"]),
        ("Wi-Fi", ["Wi", "Fi"]),
        ("O'Neil's", ["O'Neil's"]),
        ("john.doe@example.com", ["john.doe", "example.com"]),
        (
            "https://data.overheid.nl/dataset/abc-123",
            ["https", "data.overheid.nl", "dataset", "abc", "123"],
        ),
        ("3.14 1,000.50 v1.2", ["3.14", "1,000.50", "v1.2"]),
        ("SD500 foo_bar", ["SD500", "foo_bar"]),
        ("e.g. U.S.A.", ["e.g", "U.S.A"]),
        ("abc.1", ["abc", "1"]),
        ("中文字 gemeente", ["中", "文", "字", "gemeente"]),
        ("coördinatie café", ["coördinatie", "café"]),
        ("hello!!! ??? world", ["hello", "world"]),
    ],
)
def test_standard_tokenizer(text: str, expected: list[str]) -> None:
    assert [t.text for t in make(STD).analyze(text)] == expected


def test_max_token_length_splits() -> None:
    long = "a" * 300
    assert toks(make(WS), long) == [("a" * 255, 0), ("a" * 45, 1)]
    assert toks(make(STD), long + " b") == [("a" * 255, 0), ("a" * 45, 1), ("b", 2)]
    small = make('<tokenizer class="solr.WhitespaceTokenizerFactory" maxTokenLen="3"/>')
    assert toks(small, "abcdefg") == [("abc", 0), ("def", 1), ("g", 2)]


# --------------------------------------------------------------------------- word delimiter

CKAN_INDEX_WDGF = (
    '<filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" '
    'generateNumberParts="1" catenateWords="1" catenateNumbers="1" catenateAll="0" '
    'splitOnCaseChange="1"/><filter class="solr.FlattenGraphFilterFactory"/>'
)
CKAN_QUERY_WDGF = (
    '<filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" '
    'generateNumberParts="1" catenateWords="0" catenateNumbers="0" catenateAll="0" '
    'splitOnCaseChange="1"/>'
)


@pytest.mark.parametrize(
    "filters, text, expected",
    [
        (CKAN_INDEX_WDGF, "Wi-Fi rocks", [("WiFi", 0), ("Wi", 0), ("Fi", 1), ("rocks", 2)]),
        (CKAN_QUERY_WDGF, "Wi-Fi rocks", [("Wi", 0), ("Fi", 1), ("rocks", 2)]),
        (
            CKAN_INDEX_WDGF,
            "PowerShot500",
            [("PowerShot", 0), ("Power", 0), ("Shot", 1), ("500", 2)],
        ),
        (CKAN_QUERY_WDGF, "PowerShot500", [("Power", 0), ("Shot", 1), ("500", 2)]),
        (
            CKAN_INDEX_WDGF,
            "Super-Duper-XL500-42-AutoCoder!",
            [
                ("SuperDuperXL", 0),
                ("Super", 0),
                ("Duper", 1),
                ("XL", 2),
                ("50042", 3),
                ("500", 3),
                ("42", 4),
                ("AutoCoder", 5),
                ("Auto", 5),
                ("Coder", 6),
            ],
        ),
        (CKAN_QUERY_WDGF, "O'Neil's", [("O", 0), ("Neil", 1)]),
        (CKAN_QUERY_WDGF, "A's+B's&C's", [("A", 0), ("B", 1), ("C", 2)]),
        (CKAN_QUERY_WDGF, "//hello---there, 'dude'", [("hello", 0), ("there", 1), ("dude", 2)]),
        (CKAN_QUERY_WDGF, "SD500", [("SD", 0), ("500", 1)]),
        (CKAN_QUERY_WDGF, "(test) plain", [("test", 0), ("plain", 1)]),
        # delimiter-only token leaves a hole
        (CKAN_QUERY_WDGF, "a --- b", [("a", 0), ("b", 2)]),
        (CKAN_INDEX_WDGF, "500-42", [("50042", 0), ("500", 0), ("42", 1)]),
        # upper -> lower is not a break; lower -> upper is
        (CKAN_QUERY_WDGF, "iPhone LUCENE", [("i", 0), ("Phone", 1), ("LUCENE", 2)]),
        (
            '<filter class="solr.WordDelimiterGraphFilterFactory" splitOnCaseChange="0"/>',
            "PowerShot Wi-Fi",
            [("PowerShot", 0), ("Wi", 1), ("Fi", 2)],
        ),
        (
            '<filter class="solr.WordDelimiterGraphFilterFactory" splitOnNumerics="0"/>',
            "SD500-x",
            [("SD500", 0), ("x", 1)],
        ),
        (
            '<filter name="wordDelimiterGraph" preserveOriginal="1" catenateAll="1"/>',
            "Wi-Fi-4000 next",
            [("Wi-Fi-4000", 0), ("WiFi4000", 0), ("Wi", 0), ("Fi", 1), ("4000", 2), ("next", 3)],
        ),
        (
            '<filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="0" '
            'catenateWords="1"/>',
            "Wi-Fi x",
            [("WiFi", 0), ("x", 1)],
        ),
        (
            '<filter class="solr.WordDelimiterGraphFilterFactory" stemEnglishPossessive="0"/>',
            "O'Neil's",
            [("O", 0), ("Neil", 1), ("s", 2)],
        ),
        # old (non-graph) filter: catenation at the position of the run's last part
        (
            '<filter class="solr.WordDelimiterFilterFactory" catenateWords="1"/>',
            "Super-Duper-XL500-42-AutoCoder! next",
            [
                ("Super", 0),
                ("Duper", 1),
                ("XL", 2),
                ("SuperDuperXL", 2),
                ("500", 3),
                ("42", 4),
                ("Auto", 5),
                ("Coder", 6),
                ("AutoCoder", 6),
                ("next", 7),
            ],
        ),
        (
            '<filter class="solr.WordDelimiterFilterFactory" catenateWords="1"/>',
            "PowerShot",
            [("Power", 0), ("Shot", 1), ("PowerShot", 1)],
        ),
    ],
)
def test_word_delimiter(filters: str, text: str, expected: list[tuple[str, int]]) -> None:
    assert toks(make(WS + filters), text) == expected


def test_word_delimiter_protected_words(tmp_path: Path) -> None:
    (tmp_path / "prot.txt").write_text("# comment\nWi-Fi\n", encoding="utf-8")
    a = make(
        WS + '<filter class="solr.WordDelimiterGraphFilterFactory" protected="prot.txt"/>', tmp_path
    )
    assert toks(a, "Wi-Fi Hi-Fi") == [("Wi-Fi", 0), ("Hi", 1), ("Fi", 2)]


# --------------------------------------------------------------------------- simple filters


@pytest.mark.parametrize(
    "filters, text, expected",
    [
        (
            '<filter class="solr.LowerCaseFilterFactory"/>',
            "HeLLo ÉCOLE İ",
            [("hello", 0), ("école", 1), ("i", 2)],
        ),
        (
            '<filter class="solr.ASCIIFoldingFilterFactory"/>',
            "coördinatie café Straße Ærø ŁÓDŹ",
            [("coordinatie", 0), ("cafe", 1), ("Strasse", 2), ("AEro", 3), ("LODZ", 4)],
        ),
        (
            '<filter class="solr.ASCIIFoldingFilterFactory"/>',
            "ελληνικά Россия “quoted”",
            [("ελληνικά", 0), ("Россия", 1), ('"quoted"', 2)],
        ),
        (
            '<filter class="solr.ASCIIFoldingFilterFactory" preserveOriginal="true"/>',
            "café bar",
            [("cafe", 0), ("café", 0), ("bar", 1)],
        ),
        (
            '<filter class="solr.SnowballPorterFilterFactory" language="English"/>',
            "running datasets generously",
            [("run", 0), ("dataset", 1), ("generous", 2)],
        ),
        (
            '<filter class="solr.SnowballPorterFilterFactory" language="Dutch"/>',
            "gemeentelijke gemeente gemeenten fietsen",
            [("gemeent", 0), ("gemeent", 1), ("gemeent", 2), ("fiets", 3)],
        ),
        ('<filter name="snowballPorter" language="German"/>', "häuser", [("haus", 0)]),
        (
            '<filter class="solr.PorterStemFilterFactory"/>',
            "generalizations connected",
            [("gener", 0), ("connect", 1)],
        ),
        (
            '<filter class="solr.EnglishPossessiveFilterFactory"/>',
            "John's Mary’s cats",
            [("John", 0), ("Mary", 1), ("cats", 2)],
        ),
        (
            '<filter class="solr.NGramFilterFactory" minGramSize="1" maxGramSize="2"/>',
            "abc de",
            [("a", 0), ("ab", 0), ("b", 0), ("bc", 0), ("c", 0), ("d", 1), ("de", 1), ("e", 1)],
        ),
        (
            '<filter class="solr.NGramFilterFactory" minGramSize="3" maxGramSize="3"/>',
            "ab cdef",
            [("cde", 1), ("def", 1)],
        ),
        (
            '<filter class="solr.EdgeNGramFilterFactory" minGramSize="2" maxGramSize="3"/>',
            "abcd x",
            [("ab", 0), ("abc", 0)],
        ),
        (
            '<filter class="solr.EdgeNGramFilterFactory" minGramSize="2" maxGramSize="3" '
            'preserveOriginal="true"/>',
            "abcd x",
            [("ab", 0), ("abc", 0), ("abcd", 0), ("x", 1)],
        ),
        (
            '<filter class="solr.LengthFilterFactory" min="2" max="4"/>',
            "a bb ccccc dd",
            [("bb", 1), ("dd", 3)],
        ),
        (
            '<filter class="solr.PatternReplaceFilterFactory" pattern="(\\d+)" replacement="#$1"/>',
            "a1 b22",
            [("a#1", 0), ("b#22", 1)],
        ),
        (
            '<filter class="solr.StopFilterFactory"/>',
            "the quick and the dead",
            [("quick", 1), ("dead", 4)],
        ),
    ],
)
def test_filters(filters: str, text: str, expected: list[tuple[str, int]]) -> None:
    assert toks(make(WS + filters), text) == expected


def test_trim_and_keyword() -> None:
    a = make(
        '<tokenizer class="solr.KeywordTokenizerFactory"/><filter class="solr.TrimFilterFactory"/>'
    )
    assert toks(a, "  padded value \t") == [("padded value", 0)]


def test_stop_filter_file_and_case(tmp_path: Path) -> None:
    (tmp_path / "stop.txt").write_text("\ufeff# Dutch\nde\nhet\n\nvan\n", encoding="utf-8")
    exact = make(WS + '<filter class="solr.StopFilterFactory" words="stop.txt"/>', tmp_path)
    assert toks(exact, "De kaart van het gebied") == [("De", 0), ("kaart", 1), ("gebied", 4)]
    loose = make(
        WS + '<filter class="solr.StopFilterFactory" words="stop.txt" ignoreCase="true"/>', tmp_path
    )
    assert toks(loose, "De kaart van het gebied") == [("kaart", 1), ("gebied", 4)]


def test_stop_filter_snowball_format(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("de | the\nen het  | and, it\n", encoding="utf-8")
    a = make(
        WS + '<filter class="solr.StopFilterFactory" words="s.txt" format="snowball"/>', tmp_path
    )
    assert toks(a, "de en x het") == [("x", 2)]


def test_keyword_marker_protects_from_stemming(tmp_path: Path) -> None:
    (tmp_path / "kw.txt").write_text("running\n", encoding="utf-8")
    a = make(
        WS + '<filter class="solr.KeywordMarkerFilterFactory" protected="kw.txt"/>'
        '<filter class="solr.PorterStemFilterFactory"/>',
        tmp_path,
    )
    assert toks(a, "running jumping") == [("running", 0), ("jump", 1)]


def test_snowball_protected_words(tmp_path: Path) -> None:
    (tmp_path / "protwords.txt").write_text("datasets\n", encoding="utf-8")
    a = make(
        WS + '<filter class="solr.SnowballPorterFilterFactory" protected="protwords.txt"/>',
        tmp_path,
    )
    assert toks(a, "datasets tables") == [("datasets", 0), ("tabl", 1)]


def test_remove_duplicates() -> None:
    a = make(
        WS + '<filter class="solr.ASCIIFoldingFilterFactory" preserveOriginal="true"/>'
        '<filter class="solr.LowerCaseFilterFactory"/>'
        '<filter class="solr.RemoveDuplicatesTokenFilterFactory"/>'
    )
    # café -> cafe + café; Cafe -> cafe only once per position
    assert toks(a, "café cafe") == [("cafe", 0), ("café", 0), ("cafe", 1)]
    b = make(
        WS + '<filter class="solr.SnowballPorterFilterFactory"/>'
        '<filter class="solr.RemoveDuplicatesTokenFilterFactory"/>'
    )
    assert toks(b, "runs") == [("run", 0)]


# --------------------------------------------------------------------------- synonyms

SYNONYMS = """# comment line
GB,gib,gigabyte,gigabytes
Television, Televisions, TV, TVs
pixima => pixma
fiets => rijwiel, fiets
sea biscuit, sea biscit => seabiscuit
ipod => i pod
"""


@pytest.fixture()
def syn_dir(tmp_path: Path) -> Path:
    (tmp_path / "synonyms.txt").write_text(SYNONYMS, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("factory", ["solr.SynonymGraphFilterFactory", "solr.SynonymFilterFactory"])
@pytest.mark.parametrize(
    "attrs, text, expected",
    [
        (
            'ignoreCase="true" expand="true"',
            "tv guide",
            [("television", 0), ("televisions", 0), ("tv", 0), ("tvs", 0), ("guide", 1)],
        ),
        ('ignoreCase="true" expand="false"', "TVs guide", [("television", 0), ("guide", 1)]),
        (
            'ignoreCase="false" expand="true"',
            "tv TV",
            [("tv", 0), ("Television", 1), ("Televisions", 1), ("TV", 1), ("TVs", 1)],
        ),
        ('ignoreCase="true"', "the pixima", [("the", 0), ("pixma", 1)]),
        ('ignoreCase="true"', "fiets", [("rijwiel", 0), ("fiets", 0)]),
        ('ignoreCase="true"', "a sea biscuit race", [("a", 0), ("seabiscuit", 1), ("race", 3)]),
        ('ignoreCase="true"', "my ipod case", [("my", 0), ("i", 1), ("pod", 2), ("case", 3)]),
        ('ignoreCase="true"', "sea shells", [("sea", 0), ("shells", 1)]),
    ],
)
def test_synonyms(
    syn_dir: Path, factory: str, attrs: str, text: str, expected: list[tuple[str, int]]
) -> None:
    a = make(WS + f'<filter class="{factory}" synonyms="synonyms.txt" {attrs}/>', syn_dir)
    assert toks(a, text) == expected


def test_synonyms_then_stemming_like_ckan(syn_dir: Path) -> None:
    a = make(
        WS + f'<filter class="solr.SynonymGraphFilterFactory" synonyms="synonyms.txt" '
        f'ignoreCase="true" expand="true"/>{CKAN_QUERY_WDGF}'
        '<filter class="solr.LowerCaseFilterFactory"/>'
        '<filter class="solr.SnowballPorterFilterFactory" language="English"/>',
        syn_dir,
    )
    assert toks(a, "Gigabytes") == [("gb", 0), ("gib", 0), ("gigabyt", 0), ("gigabyt", 0)]


def test_default_configset_synonyms_used_when_file_missing(tmp_path: Path) -> None:
    a = make(
        WS + '<filter class="solr.SynonymGraphFilterFactory" synonyms="synonyms.txt" '
        'ignoreCase="true"/>',
        tmp_path,
    )
    assert [t.text for t in a.analyze("TV")] == ["television", "televisions", "tv", "tvs"]


# --------------------------------------------------------------------------- errors & misc


@pytest.mark.parametrize(
    "body, fragment",
    [
        (WS + '<filter class="solr.NoSuchFilterFactory"/>', "solr.NoSuchFilterFactory"),
        ('<tokenizer class="solr.ICUTokenizerFactory"/>', "solr.ICUTokenizerFactory"),
        (WS + '<filter name="fancyThing"/>', "fancyThing"),
        (
            '<charFilter class="solr.HTMLStripCharFilterFactory"/>' + WS,
            "HTMLStripCharFilterFactory",
        ),
        (WS + '<filter class="solr.SnowballPorterFilterFactory" language="Klingon"/>', "Klingon"),
        ('<filter class="solr.LowerCaseFilterFactory"/>', "tokenizer"),
    ],
)
def test_invalid_analyzers(body: str, fragment: str) -> None:
    with pytest.raises(AnalysisError) as exc:
        make(body)
    assert fragment in exc.value.msg
    assert isinstance(exc.value, SolrError)


def test_missing_resource_file(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError) as exc:
        make(WS + '<filter class="solr.StopFilterFactory" words="dutch_stop.txt"/>', tmp_path)
    assert "dutch_stop.txt" in exc.value.msg
    assert str(tmp_path) in exc.value.msg


def test_analyzer_class_attribute() -> None:
    a = build_analyzer(
        ET.fromstring('<analyzer class="org.apache.lucene.analysis.standard.StandardAnalyzer"/>'),
        None,
    )
    assert toks(a, "Hello, World") == [("hello", 0), ("world", 1)]
    with pytest.raises(AnalysisError):
        build_analyzer(ET.fromstring('<analyzer class="com.example.Nope"/>'), None)


def test_multiterm_only_applies_char_level_filters() -> None:
    a = make(
        WS + CKAN_QUERY_WDGF + '<filter class="solr.LowerCaseFilterFactory"/>'
        '<filter class="solr.SnowballPorterFilterFactory"/>'
        '<filter class="solr.ASCIIFoldingFilterFactory"/>'
    )
    assert a.multiterm("Coördinatie-Running*") == "coordinatie-running*"
    assert make(WS).multiterm("KeepCase") == "KeepCase"


def test_keyword_analyzer_and_none_element() -> None:
    assert KEYWORD_ANALYZER.analyze("A b") == [Token("A b", 0)]
    assert build_analyzer(None, None).analyze("x y") == [Token("x y", 0)]


def test_token_is_frozen_value() -> None:
    t = Token("a", 1)
    assert t == Token("a", 1)
    with pytest.raises(AttributeError):
        t.text = "b"  # type: ignore[misc]
