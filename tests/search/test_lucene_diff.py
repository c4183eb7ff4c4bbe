"""Differential test: our lucene parser against Lucene's classic QueryParser (Java).

``tests/search/lucene/ParseQueries.java`` is compiled into a temporary directory and fed
the corpus ``tests/search/data/queries.txt`` (once with q.op=OR, once with q.op=AND). The
Python side parses the same lines with :func:`parse_lucene` and a resolver that mimics the
Java analyzer (split on whitespace, ``-`` and ``,``; lowercase; a few stopwords, leaving
position gaps; ``normalize`` lowercases). Both must agree on which lines are syntax errors
and, for the others, on ``Query.toString()`` (ours: :func:`to_lucene_string`). A second
test does the same for seeded random strings of query syntax (1500 per operator).

Fuzzy queries (``term~N``) are compared twice: their parse (edits from ``~N``, the old
similarity syntax) in the corpus and in random strings of fuzzy syntax, and their
expansion: ``tests/search/lucene/FuzzyTerms.java`` indexes a seeded random vocabulary and
prints which terms Lucene's ``FuzzyQuery`` (Solr's defaults) rewrites to, with which
boost, for random query terms; :func:`fuzzy.expand` must give the same terms and boosts.

Needs a JDK (``javac``/``java``) and the Lucene 8 jars of the Debian/Ubuntu package
``liblucene8-java``: ``/usr/share/java/lucene-core-8.*.jar``,
``lucene-queryparser-8.*.jar`` and ``lucene-analyzers-common-8.*.jar`` (another directory
can be given with ``LUCENE_JAR_DIR``). Without them the test is skipped; CI installs them.

Two normalizations of the Java output reflect Solr (not Lucene) semantics we implement on
purpose: ``f:[* TO *]`` is Solr's existence query (we print ``f:*``), and an empty
BooleanQuery (all terms were stopwords) is ``MatchNoDocsQuery("")``.
"""

from __future__ import annotations

import glob
import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ckanext.gemeente.search.solr.errors import SolrError
from ckanext.gemeente.search.solr.fuzzy import expand, osa_distance
from ckanext.gemeente.search.solr.query import parse_lucene, to_lucene_string

HERE = Path(__file__).parent
CORPUS = HERE / "data" / "queries.txt"
JAVA_SOURCE = HERE / "lucene" / "ParseQueries.java"
FUZZY_SOURCE = HERE / "lucene" / "FuzzyTerms.java"
JAR_NAMES = ("lucene-core", "lucene-queryparser", "lucene-analyzers-common")

# query -> reason. Lines where we deliberately differ from Lucene (Solr semantics or a
# documented approximation); checked to still differ so the list cannot go stale.
KNOWN_EXCEPTIONS: dict[str, str] = {
    "*": "Solr: a bare * (no field) is *:* (Lucene: WildcardQuery text:*)",
    "/ab.*/": "regular expression queries raise a SolrError (no regexp node)",
    "(a^2)^3": "nested boosts multiply into one boost (Lucene nests BoostQuery)",
}

STOPWORDS = {"the", "of", "de", "het", "een"}
_JAVA_SPLIT = re.compile(
    r"[ \t\n\x0b\x0c\r\x1c-\x1f\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000,-]+"
)


@dataclass
class _Token:
    text: str
    position: int


class JavaLikeFields:
    """Mirrors ParseQueries.TestAnalyzer; every field name is valid (as in Lucene)."""

    def query_tokens(self, field: str, text: str) -> list[_Token]:
        out = []
        for pos, word in enumerate(w for w in _JAVA_SPLIT.split(text) if w):
            if word.lower() not in STOPWORDS:
                out.append(_Token(word.lower(), pos))
        return out

    def multiterm(self, field: str, text: str) -> str:
        return text.lower()


def read_corpus() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _find_jars() -> list[str] | None:
    dirs = [os.environ.get("LUCENE_JAR_DIR", ""), "/usr/share/java"]
    jars = []
    for name in JAR_NAMES:
        found = sorted(
            p for d in dirs if d for p in glob.glob(os.path.join(d, f"{name}-8*.jar"))
        ) or sorted(p for d in dirs if d for p in glob.glob(os.path.join(d, f"{name}.jar")))
        if not found:
            return None
        jars.append(found[-1])
    return jars


def _compile(tmp_path_factory: pytest.TempPathFactory, source: Path) -> tuple[str, Path]:
    jars = _find_jars()
    if jars is None:
        pytest.skip(
            "Lucene 8 jars not found: install the Debian package liblucene8-java "
            "(/usr/share/java/lucene-{core,queryparser,analyzers-common}-8.*.jar)"
        )
    if not shutil.which("javac") or not shutil.which("java"):
        pytest.skip("no JDK (javac/java) on PATH")
    out = tmp_path_factory.mktemp("lucene")
    cp = os.pathsep.join(jars)
    subprocess.run(
        ["javac", "-nowarn", "-cp", cp, "-d", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    return cp, out


@pytest.fixture(scope="module")
def java_parse(tmp_path_factory: pytest.TempPathFactory):
    cp, out = _compile(tmp_path_factory, JAVA_SOURCE)

    def run(queries: list[str], op: str) -> list[tuple[bool, str]]:
        proc = subprocess.run(
            ["java", "-cp", cp + os.pathsep + str(out), "ParseQueries", op],
            input="\n".join(queries) + "\n",
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
            timeout=120,
        )
        lines = proc.stdout.split("\n")[: len(queries)]
        assert len(lines) == len(queries), proc.stderr
        result = []
        for line in lines:
            status, _, text = line.partition("\t")
            result.append((status == "OK", text))
        return result

    return run


def normalize_java(text: str) -> str:
    if text == "":
        return 'MatchNoDocsQuery("")'
    return re.sub(r"(\S+):\[\* TO \*\]", r"\1:*", text)


def python_parse(q: str, op: str) -> tuple[bool, str]:
    try:
        return True, to_lucene_string(parse_lucene(q, JavaLikeFields(), df="text", q_op=op))
    except SolrError as e:
        return False, e.msg


@pytest.mark.parametrize("op", ["OR", "AND"])
def test_corpus_matches_lucene(java_parse, op: str) -> None:
    queries = read_corpus()
    java = java_parse(queries, op)
    mismatches = []
    agree = 0
    for q, (jok, jtext) in zip(queries, java, strict=True):
        pok, ptext = python_parse(q, op)
        same = (jok, normalize_java(jtext) if jok else "") == (pok, ptext if pok else "")
        if q in KNOWN_EXCEPTIONS:
            assert not same, f"{q!r} now agrees with Lucene: remove it from KNOWN_EXCEPTIONS"
            continue
        if same:
            agree += 1
        else:
            mismatches.append(f"{q!r}\n   lucene: {jok} {jtext}\n   python: {pok} {ptext}")
    print(f"q.op={op}: {agree}/{len(queries) - len(KNOWN_EXCEPTIONS)} agree")
    assert not mismatches, "\n".join(mismatches)


def test_syntax_errors_use_solr_text(java_parse) -> None:
    """Our errors read like Solr's, with Lucene's first 'Encountered ...' line."""
    queries = ["x:(", "a)", "a AND", "NOT NOT a", "x:[a TO]", ":a", "a:b:c", "x:[a b]"]
    java = java_parse(queries, "OR")
    for q, (jok, jtext) in zip(queries, java, strict=True):
        pok, ptext = python_parse(q, "OR")
        assert not jok and not pok
        solr_prefix = "org.apache.solr.search.SyntaxError: "
        assert ptext.startswith(f"{solr_prefix}Cannot parse '{q}': ")
        assert ptext[len(solr_prefix) :] == jtext.split("\\n")[0]


def test_corpus_is_well_formed() -> None:
    queries = read_corpus()
    assert len(queries) >= 150
    assert len(set(queries)) == len(queries), "duplicate corpus lines"
    for q in KNOWN_EXCEPTIONS:
        assert q in queries


def _random_queries(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    alphabet = list('ab cx:*?"\\()[]{}+-!&|^') + [
        " AND ",
        " OR ",
        "NOT ",
        "TO",
        "title:",
        "the",
        "1",
        "2.5",
        "auto-huur",
        " ",
    ]
    out: list[str] = []
    while len(out) < count:
        q = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 10)))
        # skip ^1 (Lucene keeps a 1.0 BoostQuery, we drop it) and blank lines
        if q.strip() and not re.search(r"\^1(?![0-9])", q):
            out.append(q)
    return out


@pytest.mark.parametrize("op", ["OR", "AND"])
def test_random_queries_match_lucene(java_parse, op: str) -> None:
    """Seeded random strings of query syntax: same errors, same trees as Lucene."""
    queries = _random_queries(1500, seed=2024 if op == "OR" else 7)
    java = java_parse(queries, op)
    mismatches = []
    for q, (jok, jtext) in zip(queries, java, strict=True):
        pok, ptext = python_parse(q, op)
        expected = {(jok, normalize_java(jtext) if jok else "")}
        if jok:
            # Solr: a bare * (default field) is *:* (see KNOWN_EXCEPTIONS); a literal
            # escaped \* stays the term text:*, so both readings are accepted
            bare = re.sub(r"(?<![\w:])text:\*(?=[\s)]|$)", "*:*", normalize_java(jtext))
            expected.add((True, bare))
        if (pok, ptext if pok else "") not in expected:
            mismatches.append(f"{q!r}\n   lucene: {jok} {jtext}\n   python: {pok} {ptext}")
    assert not mismatches, "\n".join(mismatches[:20])


def _random_fuzzy_queries(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    alphabet = ["a", "b", "Kamer", "straat", "the", "x:", " ", " ", "~", "~1", "~2", "~0",
                "~0.5", "~0.8", "~3", "~1.5", "^2", "*", "(", ")", "\"", "-", "+", " AND ",
                " OR ", "\\~", "auto-huur"]
    out: list[str] = []
    while len(out) < count:
        q = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 8)))
        if q.strip() and not re.search(r"\^1(?![0-9])", q):
            out.append(q)
    return out


@pytest.mark.parametrize("op", ["OR", "AND"])
def test_random_fuzzy_syntax_matches_lucene(java_parse, op: str) -> None:
    """Random strings heavy in ``~``: same errors, same FuzzyQuery edits as Lucene."""
    queries = _random_fuzzy_queries(800, seed=31 if op == "OR" else 32)
    assert sum("~" in q for q in queries) > 600
    java = java_parse(queries, op)
    mismatches = []
    for q, (jok, jtext) in zip(queries, java, strict=True):
        pok, ptext = python_parse(q, op)
        expected = {(jok, normalize_java(jtext) if jok else "")}
        if jok:
            expected.add((True, re.sub(r"(?<![\w:])text:\*(?=[\s)]|$)", "*:*",
                                       normalize_java(jtext))))
        if (pok, ptext if pok else "") not in expected:
            mismatches.append(f"{q!r}\n   lucene: {jok} {jtext}\n   python: {pok} {ptext}")
    assert not mismatches, "\n".join(mismatches[:20])


@pytest.fixture(scope="module")
def java_fuzzy(tmp_path_factory: pytest.TempPathFactory):
    cp, out = _compile(tmp_path_factory, FUZZY_SOURCE)

    def run(vocabulary: list[str], queries: list[tuple[str, int]]) -> list[dict[str, float]]:
        stdin = " ".join(vocabulary) + "\n" + "".join(f"{t}\t{k}\n" for t, k in queries)
        proc = subprocess.run(
            ["java", "-cp", cp + os.pathsep + str(out), "FuzzyTerms"],
            input=stdin, capture_output=True, text=True, encoding="utf-8", check=True,
            timeout=120,
        )
        lines = proc.stdout.split("\n")[: len(queries)]
        assert len(lines) == len(queries), proc.stderr
        rx = re.compile(r"\(ConstantScore\(f:([^)\s]+)\)\)\^(\S+)|\(f:(\S+?)\)\^(\S+)|f:(\S+)")
        result = []
        for line in lines:
            status, _, text = line.partition("\t")
            assert status == "OK", line
            terms: dict[str, float] = {}
            for m in rx.finditer(text):
                if m.group(1):
                    terms[m.group(1)] = float(m.group(2))
                elif m.group(3):
                    terms[m.group(3)] = float(m.group(4))
                else:
                    terms[m.group(5)] = 1.0
            result.append(terms)
        return result

    return run


def test_fuzzy_expansion_matches_lucene(java_fuzzy) -> None:
    """Which terms ``term~N`` finds, and their boosts, are Lucene's FuzzyQuery's: edits
    incl. transpositions, the length rule of the boost, the top 50 expansions."""
    rnd = random.Random(20)
    vocab = {"".join(rnd.choice("abcde") for _ in range(rnd.randint(1, 6)))
             for _ in range(1500)}
    vocab |= {"kamer", "kamers", "kramer", "kader", "straat", "straten", "staart", "starat",
              "ca", "abc", "ac", "wijk", "wijken", "wjik", "ijk", "één", "eén"}
    vocabulary = sorted(vocab)
    queries = [("".join(rnd.choice("abcde") for _ in range(rnd.randint(1, 7))),
                rnd.choice([0, 1, 2])) for _ in range(300)]
    queries += [("kamer", 2), ("straat", 1), ("straat", 2), ("ca", 2), ("wijk", 1),
                ("één", 1), ("a", 2), ("ab", 2)]
    by_length: dict[int, list[str]] = {}
    for t in vocabulary:
        by_length.setdefault(len(t), []).append(t)
    java = java_fuzzy(vocabulary, queries)
    capped = 0
    mismatches = []
    for (text, edits), jterms in zip(queries, java, strict=True):
        ours = {t: max(b, 0.0) for t, b in expand(text, edits, 0, 50, by_length)}
        capped += len(jterms) == 50
        if ours.keys() != jterms.keys() or any(abs(ours[t] - jterms[t]) > 1e-5 for t in ours):
            mismatches.append(f"{text}~{edits}: lucene {sorted(jterms.items())[:8]} "
                              f"python {sorted(ours.items())[:8]}")
    assert capped > 20  # the 50-expansion cut was exercised
    assert not mismatches, "\n".join(mismatches[:10])


@pytest.mark.parametrize("a, b, expected", [
    ("kamer", "kamer", 0), ("kamer", "kmaer", 1), ("kamer", "kramer", 1),
    ("kamer", "kader", 1), ("ca", "abc", 3), ("ab", "ba", 1), ("", "ab", 2),
    ("straat", "staart", 2), ("wijk", "wjik", 1), ("abcdef", "badcfe", 3),
])
def test_osa_distance(a: str, b: str, expected: int) -> None:
    assert osa_distance(a, b, 5) == expected
    assert osa_distance(b, a, 5) == expected
    if expected:  # past the limit: limit + 1
        assert osa_distance(a, b, expected - 1) == expected
