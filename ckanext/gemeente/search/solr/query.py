"""Solr-compatible query parsing: ``lucene``, ``dismax``, ``edismax`` and local params
(``{!field}``, ``{!term}``, ``{!raw}``, ``{!terms}``, ``{!prefix}``, ``{!bool}``).

Standard library only (importable without CKAN). The output is the query tree of
:mod:`.ast`; analysis is delegated to a :class:`QueryFields` (``schema.Schema``).

The ``lucene`` parser follows Lucene's classic ``QueryParser`` (the JavaCC grammar
Solr copies): the same tokens (longest match, JavaCC priority on ties, lexical states
for ranges and boosts) and the same clause rules (``QueryParserBase.addClause``),
i.e. *not* operator precedence: ``a OR b AND c`` is ``a +b +c``. Differences, kept on
purpose because Solr behaves that way:

* a bare ``*`` (no field) is ``*:*``; ``f:*`` and ``f:[* TO *]`` are :class:`ast.Exists`;
* ``_query_:"{!...}..."`` and ``{!parser ...}`` clauses are nested queries, ``_val_``
  (function queries) raises :class:`SolrError`;
* an empty result (every term was a stopword) is :class:`ast.MatchNone`.

Approximations (documented, see also ``tests/search/test_lucene_diff.py``):

* regular expressions ``/.../`` raise a :class:`SolrError` (no regexp node in the tree);
* a boost on an already boosted query multiplies (``(a^2)^3`` is ``a^6``; Lucene
  nests two BoostQuery wrappers, which scores the same); ``^1`` is not kept;
* ``sow=false`` (Solr's default for multi-word synonyms) is treated like ``sow=true``:
  the analyzers here have no multi-word synonyms, so the result is the same;
* phrases whose analysis yields several tokens at one position (synonyms) become an
  OR of plain phrases (one per combination) instead of a MultiPhraseQuery;
* error texts mimic JavaCC's ``Encountered ... at line 1, column N.`` without the
  ``Was expecting one of:`` list.

Tree conventions the executor relies on: :class:`ast.Wildcard` patterns keep Lucene's
backslash escapes (``\\*`` is a literal star); :class:`ast.Phrase` positions are the
analyser's absolute positions (gaps where stopwords were removed); a :class:`ast.Boolean`
may be purely negative (Solr adds ``*:*`` for top-level ``q``/``fq`` only).
"""

from __future__ import annotations

import itertools
import re
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn, Protocol

from . import ast
from .errors import SolrError
from .functions import parse_function
from .functions import to_string as function_string
from .geometry import parse_predicate

__all__ = [
    "QueryFields",
    "TokenLike",
    "min_should_match",
    "parse_dismax",
    "parse_filter",
    "parse_local_params",
    "parse_lucene",
    "parse_query",
    "to_lucene_string",
]


class TokenLike(Protocol):
    """An analysed token (``schema.Token`` satisfies it)."""

    @property
    def text(self) -> str: ...

    @property
    def position(self) -> int: ...


class QueryFields(Protocol):
    """What the parsers need from the schema (implemented by ``schema.Schema``)."""

    def query_tokens(self, field: str, text: str) -> Sequence[TokenLike]:
        """Query-time analysis; raises ``SolrError("undefined field x")`` for unknown
        fields and ``SolrError`` for values the field type cannot parse."""
        ...

    def multiterm(self, field: str, text: str) -> str:
        """Normalization for prefix/wildcard/range/fuzzy terms (e.g. lowercasing)."""
        ...


SYNTAX_ERROR = "org.apache.solr.search.SyntaxError: "
_MAX_DEPTH = 50
_MAX_PHRASE_COMBINATIONS = 64

# --------------------------------------------------------------------------- lexer

EOF = "<EOF>"
AND = "<AND>"
OR = "<OR>"
NOT = "<NOT>"
PLUS = '"+"'
MINUS = '"-"'
BAREOPER = "<BAREOPER>"
LPAREN = '"("'
RPAREN = '")"'
COLON = '":"'
STAR = '"*"'
CARAT = '"^"'
QUOTED = "<QUOTED>"
TERM = "<TERM>"
FUZZY_SLOP = "<FUZZY_SLOP>"
PREFIXTERM = "<PREFIXTERM>"
WILDTERM = "<WILDTERM>"
REGEXPTERM = "<REGEXPTERM>"
RANGEIN_START = '"["'
RANGEEX_START = '"{"'
LPARAMS = "<LPARAMS>"
NUMBER = "<NUMBER>"
RANGE_TO = '"TO"'
RANGEIN_END = '"]"'
RANGEEX_END = '"}"'
RANGE_QUOTED = "<RANGE_QUOTED>"
RANGE_GOOP = "<RANGE_GOOP>"

_WHITESPACE = " \t\n\r\u3000"
_TSC = r'(?:[^ \t\n\r\u3000+\-!():^\[\]"{}~*?\\/]|\\[\s\S])'  # term start char
_TC = r'(?:[^ \t\n\r\u3000!():^\[\]"{}~*?\\/]|\\[\s\S])'  # term char (adds + and -)

# Order matters: on equal length the earlier kind wins (JavaCC's rule).
_DEFAULT_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(rx))
    for kind, rx in [
        (AND, r"AND|&&"),
        (OR, r"OR|\|\|"),
        (NOT, r"NOT|!"),
        (PLUS, r"\+"),
        (MINUS, r"-"),
        (BAREOPER, r"[+\-!][ \t\n\r\u3000]"),
        (LPAREN, r"\("),
        (RPAREN, r"\)"),
        (COLON, r":"),
        (STAR, r"\*"),
        (CARAT, r"\^"),
        (QUOTED, r'"(?:[^"\\]|\\[\s\S])*"'),
        (TERM, _TSC + _TC + "*"),
        (FUZZY_SLOP, "~" + _TC + "*"),
        (PREFIXTERM, r"\*|" + _TSC + _TC + r"*\*"),
        (WILDTERM, r"(?:" + _TSC + r"|[*?])(?:" + _TC + r"|[*?])*"),
        (REGEXPTERM, r"/(?:\\/|[^/])*/"),
        (RANGEIN_START, r"\["),
        (RANGEEX_START, r"\{"),
        # Solr's addition: a nested query's local params, e.g. {!dismax qf=title v=$qq}
        (LPARAMS, r"""\{!(?:[^}"']|"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*')*\}"""),
    ]
]
_RANGE_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(rx))
    for kind, rx in [
        (RANGE_TO, r"TO"),
        (RANGEIN_END, r"\]"),
        (RANGEEX_END, r"\}"),
        (RANGE_QUOTED, r'"(?:\\"|[^"])+"'),
        (RANGE_GOOP, r"[^ \]}]+"),
    ]
]
_NUMBER_RX = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass
class _Tok:
    kind: str
    image: str
    begin: int  # 0-based offset, which is what Lucene's FastCharStream reports as column


class _SyntaxError(Exception):
    """A parse error; turned into Solr's ``SyntaxError: Cannot parse '...'`` text."""


class _UnknownField(Exception):
    """edismax: a fielded clause names no schema field; retried as literal text."""


def _escape_image(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace('"', '\\"')


class _Lexer:
    """Lazy JavaCC-style tokenizer with the DEFAULT, Boost and Range lexical states."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.pos = 0
        self.state = "DEFAULT"

    def next(self) -> _Tok:
        s, n = self.s, len(self.s)
        if self.state == "Boost":
            m = _NUMBER_RX.match(s, self.pos)
            if not m:
                self._lexical_error(self.pos)
            self.state = "DEFAULT"
            self.pos = m.end()
            return _Tok(NUMBER, m.group(), m.start())
        skip = _WHITESPACE if self.state == "DEFAULT" else " "
        while self.pos < n and s[self.pos] in skip:
            self.pos += 1
        if self.pos >= n:
            return _Tok(EOF, "", n)
        table = _DEFAULT_TOKENS if self.state == "DEFAULT" else _RANGE_TOKENS
        best: tuple[str, str] | None = None
        for kind, rx in table:
            m = rx.match(s, self.pos)
            if m and m.end() > self.pos and (best is None or len(m.group()) > len(best[1])):
                best = (kind, m.group())
        if best is None:
            self._lexical_error(self.pos)
        kind, image = best
        tok = _Tok(kind, image, self.pos)
        self.pos += len(image)
        if kind == CARAT:
            self.state = "Boost"
        elif kind in (RANGEIN_START, RANGEEX_START):
            self.state = "Range"
        elif kind in (RANGEIN_END, RANGEEX_END):
            self.state = "DEFAULT"
        return tok

    def _lexical_error(self, pos: int) -> NoReturn:
        s = self.s
        if pos < len(s) and s[pos] in '"\\/':
            # an unterminated quote/regexp or a dangling backslash runs into the end
            raise _SyntaxError(
                f"Lexical error at line 1, column {len(s) + 1}.  Encountered: <EOF> "
                f'after : "{_escape_image(s[pos:])}"'
            )
        if pos >= len(s):
            raise _SyntaxError(
                f'Lexical error at line 1, column {pos + 1}.  Encountered: <EOF> after : ""'
            )
        c = s[pos]
        raise _SyntaxError(
            f'Lexical error at line 1, column {pos + 1}.  Encountered: "{_escape_image(c)}" '
            f'({ord(c)}), after : ""'
        )


# ------------------------------------------------------------------ helpers


def _discard_escape(s: str) -> str:
    """Lucene's discardEscapeChar: ``\\x`` -> ``x`` (``\\uXXXX`` unicode escapes too)."""
    if "\\" not in s:
        return s
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 >= n:
                raise _SyntaxError("Term can not end with escape character.")
            nxt = s[i + 1]
            if nxt == "u":
                code = s[i + 2 : i + 6]
                if len(code) < 4 or not re.fullmatch(r"[0-9a-fA-F]{4}", code):
                    raise _SyntaxError("Truncated unicode escape sequence.")
                out.append(chr(int(code, 16)))
                i += 6
                continue
            out.append(nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_JAVA_FLOAT_RX = re.compile(
    r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)"
)


def _java_float(s: str) -> float | None:
    """``Float.parseFloat`` (None where Java would throw)."""
    s = s.strip()
    if not _JAVA_FLOAT_RX.fullmatch(s):
        return None
    # kept as a double: Lucene stores a float32, but the decimal text is the same
    return float(s.rstrip("fFdD").replace("Infinity", "inf"))


def _f32(x: float) -> float:
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def _is_op_and(q_op: str | None) -> bool:
    return (q_op or "OR").strip().upper() == "AND"


@dataclass
class _Alias:
    fields: list[tuple[str, float | None]]
    tie: float


_ALIAS = "\ufffc\ufffc\ufffc"  # Solr's IMPOSSIBLE_FIELD_NAME: the dismax default field


# ------------------------------------------------------------------ lucene parser

MOD_NONE, MOD_NOT, MOD_REQ = 0, 10, 11
CONJ_NONE, CONJ_AND, CONJ_OR = 0, 1, 2

_CLAUSE_START = {
    NOT,
    PLUS,
    MINUS,
    BAREOPER,
    LPAREN,
    STAR,
    QUOTED,
    TERM,
    PREFIXTERM,
    WILDTERM,
    REGEXPTERM,
    RANGEIN_START,
    RANGEEX_START,
    NUMBER,
    LPARAMS,
}
_QUERY_CONTINUE = _CLAUSE_START | {AND, OR}


class _LuceneParser:
    """Recursive-descent version of Lucene's classic QueryParser grammar + Solr bits."""

    def __init__(
        self,
        text: str,
        fields: QueryFields,
        *,
        df: str | None,
        q_op: str = "OR",
        params: Mapping[str, str] | None = None,
        aliases: Mapping[str, _Alias] | None = None,
        phrase_slop: int = 0,
        strict_fields: bool = False,
        depth: int = 0,
    ) -> None:
        self.text = text
        self.fields = fields
        self.df = df
        self.and_op = _is_op_and(q_op)
        self.params: Mapping[str, str] = params if params is not None else {}
        self.aliases: Mapping[str, _Alias] = aliases or {}
        self.phrase_slop = phrase_slop
        self.strict_fields = strict_fields
        self.depth = depth
        self.lexer = _Lexer(text)
        self.buf: list[_Tok] = []
        self.nesting = 0

    # token stream ----------------------------------------------------------
    def peek(self, k: int = 0) -> _Tok:
        while len(self.buf) <= k:
            if self.buf and self.buf[-1].kind == EOF:
                return self.buf[-1]
            self.buf.append(self.lexer.next())
        return self.buf[k]

    def take(self) -> _Tok:
        tok = self.peek()
        self.buf.pop(0)
        return tok

    def expect(self, *kinds: str) -> _Tok:
        tok = self.peek()
        if tok.kind not in kinds:
            self.fail(tok)
        return self.take()

    def fail(self, tok: _Tok) -> NoReturn:
        if tok.kind == EOF:
            raise _SyntaxError(f'Encountered "<EOF>" at line 1, column {tok.begin}.')
        raise _SyntaxError(
            f'Encountered " {tok.kind} "{_escape_image(tok.image)} "" '
            f"at line 1, column {tok.begin}."
        )

    # grammar ---------------------------------------------------------------
    def parse(self) -> ast.Query | None:
        q = self.query(None)
        self.expect(EOF)
        return q

    def query(self, field: str | None) -> ast.Query | None:
        clauses: list[ast.Clause] = []
        mods = self.modifiers()
        q = self.clause(field)
        self.add_clause(clauses, CONJ_NONE, mods, q)
        first = q if mods == MOD_NONE else None
        while self.peek().kind in _QUERY_CONTINUE:
            conj = self.conjunction()
            mods = self.modifiers()
            q = self.clause(field)
            self.add_clause(clauses, conj, mods, q)
        if len(clauses) == 1 and first is not None:
            return first
        return ast.Boolean(clauses) if clauses else None

    def conjunction(self) -> int:
        kind = self.peek().kind
        if kind == AND:
            self.take()
            return CONJ_AND
        if kind == OR:
            self.take()
            return CONJ_OR
        return CONJ_NONE

    def modifiers(self) -> int:
        kind = self.peek().kind
        if kind == PLUS:
            self.take()
            return MOD_REQ
        if kind in (MINUS, NOT):
            self.take()
            return MOD_NOT
        return MOD_NONE

    def add_clause(
        self, clauses: list[ast.Clause], conj: int, mods: int, q: ast.Query | None
    ) -> None:
        # Mirrors QueryParserBase.addClause (conjunctions rewrite the previous clause).
        if clauses and conj == CONJ_AND and clauses[-1].occur != "MUST_NOT":
            clauses[-1].occur = "MUST"
        if clauses and self.and_op and conj == CONJ_OR and clauses[-1].occur != "MUST_NOT":
            clauses[-1].occur = "SHOULD"
        if q is None:
            return
        prohibited = mods == MOD_NOT
        if self.and_op:
            required = not prohibited and conj != CONJ_OR
        else:
            required = mods == MOD_REQ or (conj == CONJ_AND and not prohibited)
        occur: ast.Occur = "MUST_NOT" if prohibited else ("MUST" if required else "SHOULD")
        clauses.append(ast.Clause(occur, q))

    def clause(self, field: str | None) -> ast.Query | None:
        if self.peek().kind in (TERM, STAR) and self.peek(1).kind == COLON:
            tok = self.take()
            self.take()
            field = "*" if tok.kind == STAR else _discard_escape(tok.image)
        if self.peek().kind == LPAREN:
            self.take()
            self.nesting += 1
            if self.nesting > 200:
                raise _SyntaxError("Too many nested parentheses.")
            q = self.query(field)
            self.nesting -= 1
            self.expect(RPAREN)
            if self.peek().kind == CARAT:
                self.take()
                q = self.boost(q, self.expect(NUMBER).image)
            return q
        return self.term(field)

    def term(self, field: str | None) -> ast.Query | None:
        tok = self.peek()
        kind = tok.kind
        boost: str | None = None
        slop: _Tok | None = None
        if kind in (
            TERM,
            STAR,
            PREFIXTERM,
            WILDTERM,
            REGEXPTERM,
            NUMBER,
            BAREOPER,
            LPARAMS,
            QUOTED,
        ):
            self.take()
            if self.peek().kind == CARAT:
                self.take()
                boost = self.expect(NUMBER).image
                if self.peek().kind == FUZZY_SLOP:
                    slop = self.take()
            elif self.peek().kind == FUZZY_SLOP:
                slop = self.take()
                if self.peek().kind == CARAT:
                    self.take()
                    boost = self.expect(NUMBER).image
            if kind == QUOTED:
                q = self.quoted_term(field, tok.image, slop)
            else:
                q = self.bare_token(field, tok, slop)
            return self.boost(q, boost)
        if kind in (RANGEIN_START, RANGEEX_START):
            self.take()
            inc_lo = kind == RANGEIN_START
            goop1 = self.expect(RANGE_GOOP, RANGE_QUOTED, RANGE_TO)
            self.expect(RANGE_TO)
            goop2 = self.expect(RANGE_GOOP, RANGE_QUOTED, RANGE_TO)
            inc_hi = self.expect(RANGEIN_END, RANGEEX_END).kind == RANGEIN_END
            if self.peek().kind == CARAT:
                self.take()
                boost = self.expect(NUMBER).image
            lo = self.range_bound(goop1)
            hi = self.range_bound(goop2)
            return self.boost(self.range_query(field, lo, hi, inc_lo, inc_hi), boost)
        self.fail(tok)

    @staticmethod
    def range_bound(tok: _Tok) -> str | None:
        if tok.kind == RANGE_QUOTED:
            return _discard_escape(tok.image[1:-1])
        if tok.image == "*":
            return None
        return _discard_escape(tok.image)

    def boost(self, q: ast.Query | None, image: str | None) -> ast.Query | None:
        if image is None or q is None:
            return q
        f = _java_float(image)
        q.boost *= 1.0 if f is None else f
        return q

    def bare_token(self, field: str | None, tok: _Tok, slop: _Tok | None) -> ast.Query | None:
        kind, image = tok.kind, tok.image
        if kind == LPARAMS:
            return self.local_params_query(image)
        if kind == BAREOPER:
            image = image[0]
        if kind in (STAR, WILDTERM):
            return self.wildcard_query(field, image)
        if kind == PREFIXTERM:
            return self.prefix_query(field, _discard_escape(image[:-1]))
        if kind == REGEXPTERM:
            raise SolrError(
                f"{SYNTAX_ERROR}Cannot parse '{self.text}': regular expression queries "
                f"({image}) are not supported by this search server"
            )
        text = _discard_escape(image)
        if slop is not None:
            sim = _java_float(slop.image[1:])
            sim = 2.0 if sim is None else sim
            if sim < 0.0:
                raise _SyntaxError(
                    "Minimum similarity for a FuzzyQuery has to be between 0.0f and 1.0f !"
                )
            if sim >= 1.0 and sim != int(sim):
                raise _SyntaxError("Fractional edit distances are not allowed!")
            return self.fuzzy_query(field, text, sim)
        return self.field_query(field, text, quoted=False)

    def quoted_term(self, field: str | None, image: str, slop_tok: _Tok | None) -> ast.Query | None:
        slop = self.phrase_slop
        if slop_tok is not None:
            f = _java_float(slop_tok.image[1:])
            if f is not None and f == f and abs(f) != float("inf"):
                slop = int(f)
        return self.field_query(field, _discard_escape(image[1:-1]), quoted=True, slop=slop)

    # query builders ----------------------------------------------------------
    def resolve(self, field: str | None) -> str:
        if field is not None:
            return field
        if self.df is None:
            raise SolrError(
                "no field name specified in query and no default specified via 'df' param"
            )
        return self.df

    def aliased(self, fld: str, build: Callable[[str], ast.Query | None]) -> ast.Query | None:
        alias = self.aliases[fld]
        disjuncts: list[ast.Query] = []
        for name, fboost in alias.fields:
            sub = build(name)
            if sub is not None:
                if fboost is not None:
                    sub.boost *= fboost
                disjuncts.append(sub)
        if not disjuncts:
            return None
        return ast.DisMax(disjuncts, tie=alias.tie)

    def check_field(self, fld: str) -> None:
        if (
            self.strict_fields
            and fld not in ("_query_", "_val_")
            and not _field_exists(self.fields, fld)
        ):
            raise _UnknownField(fld)

    def field_query(
        self, field: str | None, text: str, *, quoted: bool, slop: int = 0
    ) -> ast.Query | None:
        fld = self.resolve(field)
        if fld in self.aliases:
            return self.aliased(fld, lambda f: self.field_query(f, text, quoted=quoted, slop=slop))
        if fld == "_query_":
            return self.subquery(text)
        if fld == "_val_":
            raise SolrError("function queries (_val_) are not supported by this search server")
        self.check_field(fld)
        return analyzed_query(self.fields, fld, text, quoted=quoted, slop=slop, and_op=self.and_op)

    def prefix_query(self, field: str | None, text: str) -> ast.Query | None:
        fld = self.resolve(field)
        if fld in self.aliases:
            return self.aliased(fld, lambda f: self.prefix_query(f, text))
        self.check_field(fld)
        if text == "":
            return ast.Exists(fld)
        return ast.Prefix(fld, self.fields.multiterm(fld, text))

    def fuzzy_query(self, field: str | None, text: str, similarity: float) -> ast.Query | None:
        """Solr's ``getFuzzyQuery``: the multi-term analysed text, Solr's prefix length
        (0) and expansions (50), edits from ``~N`` (``FuzzyQuery.floatToEdits``)."""
        fld = self.resolve(field)
        if fld in self.aliases:
            return self.aliased(fld, lambda f: self.fuzzy_query(f, text, similarity))
        self.check_field(fld)
        term = self.fields.multiterm(fld, text)
        return ast.Fuzzy(fld, term, fuzzy_edits(similarity, len(term)))

    def wildcard_query(self, field: str | None, pattern: str) -> ast.Query | None:
        if pattern == "*" and (field is None or field == "*"):
            return ast.MatchAll()
        fld = self.resolve(field)
        if fld in self.aliases:
            return self.aliased(fld, lambda f: self.wildcard_query(f, pattern))
        self.check_field(fld)
        if pattern == "*":
            return ast.Exists(fld)
        parts: list[str] = []
        for chunk in re.split(r"(\\[\s\S]|[?*]+)", pattern):
            if not chunk:
                continue
            if chunk[0] in "?*" or chunk[0] == "\\":
                parts.append(chunk)
            else:
                parts.append(self.fields.multiterm(fld, chunk))
        return ast.Wildcard(fld, "".join(parts))

    def range_query(
        self, field: str | None, lo: str | None, hi: str | None, inc_lo: bool, inc_hi: bool
    ) -> ast.Query | None:
        fld = self.resolve(field)
        if fld in self.aliases:
            return self.aliased(fld, lambda f: self.range_query(f, lo, hi, inc_lo, inc_hi))
        self.check_field(fld)
        if lo is None and hi is None:
            return ast.Exists(fld)
        return ast.Range(
            fld,
            None if lo is None else self.fields.multiterm(fld, lo),
            None if hi is None else self.fields.multiterm(fld, hi),
            inc_lo,
            inc_hi,
        )

    def subquery(self, text: str) -> ast.Query | None:
        q = _dispatch(text, self.params, self.fields, default_type="lucene", depth=self.depth + 1)
        return None if isinstance(q, ast.MatchNone) and not text.strip() else q

    def local_params_query(self, image: str) -> ast.Query | None:
        # Solr: a {!...} clause is a nested query whose text is its v= (or empty)
        return _dispatch(
            image, self.params, self.fields, default_type="lucene", depth=self.depth + 1
        )


MAX_FUZZY_EDITS = 2  # Lucene's LevenshteinAutomata.MAXIMUM_SUPPORTED_DISTANCE


def fuzzy_edits(similarity: float, term_length: int) -> int:
    """Lucene's ``FuzzyQuery.floatToEdits``: ``~1``/``~2`` are edits (at most 2), a
    similarity below 1 (``~0.8``, the old syntax) scales with the term's length."""
    if similarity >= 1.0:
        return int(min(similarity, MAX_FUZZY_EDITS))
    if similarity == 0.0:
        return 0
    return min(int((1.0 - _f32(similarity)) * term_length), MAX_FUZZY_EDITS)


def _field_exists(fields: QueryFields, name: str) -> bool:
    try:
        fields.query_tokens(name, "")
    except SolrError as e:
        return not e.msg.startswith("undefined field")
    return True


def analyzed_query(
    fields: QueryFields, field: str, text: str, *, quoted: bool, slop: int = 0, and_op: bool = False
) -> ast.Query | None:
    """Lucene's QueryBuilder.createFieldQuery over the schema's query analysis; on a
    spatial field, Solr's spatial syntax ``Intersects(ENVELOPE(...))``."""
    is_spatial = getattr(fields, "is_spatial", None)
    if is_spatial is not None and is_spatial(field):
        op, shape = parse_predicate(text)
        return ast.Spatial(field, op, shape)
    tokens = list(fields.query_tokens(field, text))
    if not tokens:
        return None
    if len(tokens) == 1:
        return ast.Term(field, tokens[0].text)
    groups: dict[int, list[str]] = {}
    for tok in tokens:
        texts = groups.setdefault(tok.position, [])
        if tok.text not in texts:
            texts.append(tok.text)
    positions = sorted(groups)
    if len(positions) == 1:
        return _synonyms(field, groups[positions[0]])
    if quoted:
        if all(len(groups[p]) == 1 for p in positions):
            return ast.Phrase(field, [groups[p][0] for p in positions], positions, slop)
        combos = list(
            itertools.islice(
                itertools.product(*(groups[p] for p in positions)), _MAX_PHRASE_COMBINATIONS
            )
        )
        return ast.Boolean(
            [
                ast.Clause("SHOULD", ast.Phrase(field, list(c), list(positions), slop))
                for c in combos
            ]
        )
    occur: ast.Occur = "MUST" if and_op else "SHOULD"
    return ast.Boolean([ast.Clause(occur, _synonyms(field, groups[p])) for p in positions])


def _synonyms(field: str, texts: list[str]) -> ast.Query:
    if len(texts) == 1:
        return ast.Term(field, texts[0])
    return ast.Boolean([ast.Clause("SHOULD", ast.Term(field, t)) for t in texts])


def _wrap_syntax(q: str, err: _SyntaxError) -> SolrError:
    return SolrError(f"{SYNTAX_ERROR}Cannot parse '{q}': {err}")


def parse_lucene(
    q: str,
    fields: QueryFields,
    *,
    df: str | None,
    q_op: str = "OR",
    split_on_whitespace: bool = True,
    params: Mapping[str, str] | None = None,
    _depth: int = 0,
) -> ast.Query:
    """Parse Solr's standard (``lucene``) query syntax.

    ``params`` (optional) resolves ``$name`` references in nested ``{!...}`` queries.
    ``split_on_whitespace=False`` is accepted and treated as ``True`` (see module doc).
    """
    del split_on_whitespace  # same result without multi-word synonyms
    parser = _LuceneParser(q, fields, df=df, q_op=q_op, params=params, depth=_depth)
    try:
        result = parser.parse()
    except _SyntaxError as e:
        raise _wrap_syntax(q, e) from None
    except RecursionError:
        raise SolrError(f"{SYNTAX_ERROR}Cannot parse '{q}': query is nested too deeply") from None
    return ast.MatchNone() if result is None else result


# ------------------------------------------------------------------ min should match

_INT_RX = re.compile(r"[+-]?[0-9]+")


def _mm_int(text: str, spec: str) -> int:
    if not _INT_RX.fullmatch(text):
        raise SolrError(f"Invalid 'mm' spec: '{spec}'. Expecting an integer.")
    return int(text)


def _mm_simple(n: int, spec: str) -> int:
    if "%" in spec:
        percent = _mm_int(spec[:-1], spec)
        calc = _f32(float(n * percent) * _f32(1 / 100))  # Java float arithmetic
        result = n + int(calc) if calc < 0 else int(calc)
    else:
        value = _mm_int(spec, spec)
        result = n + value if value < 0 else value
    return n if n < result else max(result, 0)


def min_should_match(spec: str | None, optional_clauses: int) -> int:
    """Solr's ``calculateMinShouldMatch``: how many of ``optional_clauses`` must match.

    Specs: ``3``, ``-1``, ``75%``, ``-25%``, ``3<90%``, ``2<-1 5<80%`` (conditions are
    ``upper-bound<spec``: up to the bound all clauses are required, or the previous rule
    applies). ``None`` means no minimum (0). Invalid specs raise :class:`SolrError`.
    """
    if spec is None:
        return 0
    n = optional_clauses
    s = spec.strip()
    if "<" in s:
        s = re.sub(r"\s*<\s*", "<", s)
        result = n
        for part in s.split():
            pieces = part.split("<")
            if len(pieces) != 2 or not pieces[0] or not pieces[1]:
                raise SolrError(
                    f"Invalid 'mm' spec: '{part}'. Expecting values before and after '<'"
                )
            if n <= _mm_int(pieces[0], part):
                return result
            result = _mm_simple(n, pieces[1])
        return result
    return _mm_simple(n, s)


def _apply_mm(q: ast.Boolean, spec: str | None) -> ast.Boolean:
    optional = sum(1 for c in q.clauses if c.occur == "SHOULD")
    msm = min_should_match(spec, optional)
    if msm > 0:
        q.minimum_should_match = msm
    return q


def _flatten(q: ast.Boolean) -> ast.Boolean:
    """SolrPluginUtils.flattenBooleanQuery: inline optional, unboosted sub-booleans."""
    out: list[ast.Clause] = []

    def walk(b: ast.Boolean) -> None:
        for c in b.clauses:
            sub = c.query
            if (
                isinstance(sub, ast.Boolean)
                and c.occur == "SHOULD"
                and sub.boost == 1.0
                and sub.minimum_should_match == 0
            ):
                walk(sub)
            else:
                out.append(c)

    walk(q)
    return ast.Boolean(out, q.minimum_should_match, q.boost)


# ------------------------------------------------------------------ dismax / edismax


def _parse_field_boosts(spec: str | None) -> list[tuple[str, float | None]]:
    """``"name^4 title^4 text"`` -> ``[("name", 4.0), ("title", 4.0), ("text", None)]``."""
    out: list[tuple[str, float | None]] = []
    for item in (spec or "").split():
        name, sep, boost = item.partition("^")
        value: float | None = None
        if sep:
            value = _java_float(boost)
            if value is None:
                raise SolrError(f"Invalid boost '{boost}' for field '{name}' in '{spec}'")
        out.append((name, value))
    return out


_CONSECUTIVE_OP = re.compile(r"\s+[+-](?:\s*[+-]+)+")
_DANGLING_OP = re.compile(r"\s+[-+\s]+$")


def _strip_unbalanced_quotes(s: str) -> str:
    return s if s.count('"') % 2 == 0 else s.replace('"', " ")


def _partial_escape(s: str) -> str:
    return "".join("\\" + c if c in "\\!():^[]{}~*?" else c for c in s)


def _strip_illegal_operators(s: str) -> str:
    return _DANGLING_OP.sub("", _CONSECUTIVE_OP.sub(" ", s))


def parse_dismax(
    q: str,
    fields: QueryFields,
    *,
    qf: str,
    mm: str | None,
    tie: float = 0.0,
    pf: str | None = None,
    q_op: str = "OR",
    edismax: bool = False,
    ps: int = 0,
    qs: int = 0,
    df: str | None = None,
    params: Mapping[str, str] | None = None,
    _depth: int = 0,
) -> ast.Query:
    """Solr's ``dismax`` (or, with ``edismax=True``, ``extended dismax``) user query.

    Every unfielded term/phrase becomes a :class:`ast.DisMax` over the ``qf`` fields (each
    with its ``^boost``) with ``tie``; ``mm`` applies to the optional clauses (default:
    ``100%`` when ``q_op`` is AND, else ``0%``). ``pf`` adds an optional phrase clause
    (slop ``ps``); ``qs`` is the slop of explicit phrases. An empty ``q`` gives
    :class:`ast.MatchNone` (``q.alt`` is handled by :func:`parse_query`).
    """
    field_boosts = _parse_field_boosts(qf)
    if not field_boosts:
        if not df:
            raise SolrError("neither qf nor df are present.")
        field_boosts = [(df, None)]
    for name, _ in field_boosts:
        if not _field_exists(fields, name):
            raise SolrError(f"{SYNTAX_ERROR}Query Field '{name}' is not a valid field name")
    mm_spec = mm if mm is not None else ("100%" if _is_op_and(q_op) else "0%")
    aliases = {_ALIAS: _Alias(field_boosts, tie)}
    if not q.strip():
        return ast.MatchNone()
    if edismax:
        return _edismax(q, fields, aliases, mm, mm_spec, pf, q_op, ps, qs, tie, params, _depth)

    user = _strip_illegal_operators(_partial_escape(_strip_unbalanced_quotes(q)))
    parser = _LuceneParser(
        user,
        fields,
        df=_ALIAS,
        q_op="OR",
        params=params,
        aliases=aliases,
        phrase_slop=qs,
        depth=_depth,
    )
    try:
        main = parser.parse()
    except _SyntaxError as e:
        raise _wrap_syntax(user, e) from None
    if main is None:
        return ast.MatchNone()
    if isinstance(main, ast.Boolean) and main.boost == 1.0:
        main = _apply_mm(_flatten(main), mm_spec)
    if pf:
        phrase = _phrase_boost(user.replace('"', ""), fields, pf, tie, ps, params)
        if phrase is not None:
            return ast.Boolean([ast.Clause("MUST", main), ast.Clause("SHOULD", phrase)])
    return main


def _phrase_boost(
    text: str,
    fields: QueryFields,
    pf: str,
    tie: float,
    ps: int,
    params: Mapping[str, str] | None,
    *,
    min_terms: int = 1,
) -> ast.Query | None:
    pf_fields = _parse_field_boosts(pf)
    if not pf_fields or not text.strip():
        return None
    parser = _LuceneParser(
        f'"{text}"',
        fields,
        df=_ALIAS,
        params=params,
        aliases={_ALIAS: _Alias(pf_fields, tie)},
        phrase_slop=ps,
    )
    try:
        q = parser.parse()
    except _SyntaxError:
        return None
    if q is None:
        return None
    if min_terms > 1 and isinstance(q, ast.DisMax):
        # edismax's minClauseSize: no boost unless the phrase has >= 2 terms
        q.disjuncts = [
            d for d in q.disjuncts if isinstance(d, ast.Phrase) and len(d.terms) >= min_terms
        ]
        if not q.disjuncts:
            return None
    return q


@dataclass
class _EClause:
    must: str  # "", "+" or "-"
    field: str | None
    is_phrase: bool
    val: str
    raw: str

    def bare_word(self) -> bool:
        return self.must == "" and not self.is_phrase


_EDISMAX_SPECIAL = set('!():^[]{}~*?"+-\\|&/')


def _edismax_field_name(
    s: str, pos: int, fields: QueryFields, aliases: Mapping[str, _Alias]
) -> str | None:
    colon = s.find(":", pos)
    if colon <= pos or colon + 1 >= len(s) or s[colon + 1].isspace():
        return None
    start = pos
    while start < colon and s[start] in "(+-":
        start += 1
    name = s[start:colon]
    if not name or not re.fullmatch(r"[\w$][\w$.\-]*", name):
        return None
    if name in ("_query_", "_val_") or name in aliases or _field_exists(fields, name):
        return name
    return None


def _split_clauses(
    s: str, fields: QueryFields, aliases: Mapping[str, _Alias], ignore_quote: bool = False
) -> list[_EClause]:
    """Edismax's splitIntoClauses (simplified): +/- prefix, known field, phrase or word."""
    out: list[_EClause] = []
    pos, end = 0, len(s)
    while pos < end:
        while pos < end and s[pos].isspace():
            pos += 1
        if pos >= end:
            break
        start = pos
        must = ""
        if s[pos] in "+-" and pos + 1 < end:
            must = s[pos]
            pos += 1
        field = _edismax_field_name(s, pos, fields, aliases)
        if field is not None:
            pos = s.index(":", pos) + 1
        if pos >= end:
            break
        in_string = False
        is_phrase = False
        if not ignore_quote and s[pos] == '"':
            is_phrase = in_string = True
            pos += 1
        val: list[str] = []
        while pos < end:
            ch = s[pos]
            pos += 1
            if ch == "\\":
                val.append(ch)
                if pos >= end:
                    val.append(ch)
                    break
                val.append(s[pos])
                pos += 1
                continue
            if in_string and ch == '"':
                in_string = False
                break
            if ch.isspace() and not in_string:
                pos -= 1
                break
            if not in_string and ch in _EDISMAX_SPECIAL:
                val.append("\\")
            elif in_string and ch == '"':
                val.append("\\")
            val.append(ch)
        if is_phrase and in_string:
            return _split_clauses(s, fields, aliases, ignore_quote=True)
        text = "".join(val)
        if not is_phrase and not text:
            if not must:
                continue
            text, must = "\\" + must, ""
        raw = s[start:pos]
        if field is None and raw != "*:*":
            raw = re.sub(r"([^\\]):", r"\1\\:", raw)
        out.append(_EClause(must, field, is_phrase, text, raw))
    return out


def _edismax(
    q: str,
    fields: QueryFields,
    aliases: dict[str, _Alias],
    mm: str | None,
    mm_spec: str,
    pf: str | None,
    q_op: str,
    ps: int,
    qs: int,
    tie: float,
    params: Mapping[str, str] | None,
    depth: int,
) -> ast.Query:
    clauses = _split_clauses(q, fields, aliases)
    main_text = " ".join(c.raw for c in clauses)

    def make(text: str, strict: bool) -> _LuceneParser:
        return _LuceneParser(
            text,
            fields,
            df=_ALIAS,
            q_op=q_op,
            params=params,
            aliases=aliases,
            phrase_slop=qs,
            strict_fields=strict,
            depth=depth,
        )

    main: ast.Query | None
    try:
        main = make(main_text, True).parse()
        if isinstance(main, ast.Boolean):
            found_ops = any(
                c.must in ("+", "-") or (c.bare_word() and c.val in ("OR", "NOT")) for c in clauses
            )
            main = _apply_mm(main, (mm if mm is not None else "0%") if found_ops else mm_spec)
    except (_SyntaxError, _UnknownField):
        escaped: list[str] = []
        for c in clauses:
            quote = c.is_phrase or c.val in ("OR", "AND", "NOT")
            piece = (
                c.must
                + (c.field + ":" if c.field else "")
                + ('"' + c.val + '"' if quote else c.val)
            )
            escaped.append(piece)
        try:
            main = make(" ".join(escaped), False).parse()
        except _SyntaxError as e:
            raise _wrap_syntax(q, e) from None
        if isinstance(main, ast.Boolean):
            main = _apply_mm(_flatten(main), mm_spec)
    if main is None:
        return ast.MatchNone()
    if pf:
        normal = [
            c.val
            for c in clauses
            if c.field is None
            and not c.is_phrase
            and not (c.bare_word() and c.val in ("OR", "AND", "NOT", "TO"))
        ]
        if len(normal) >= 2:
            phrase = _phrase_boost(" ".join(normal), fields, pf, tie, ps, params, min_terms=2)
            if phrase is not None:
                return ast.Boolean([ast.Clause("MUST", main), ast.Clause("SHOULD", phrase)])
    return main


# ------------------------------------------------------------------ local params / dispatch


def parse_local_params(
    q: str, params: Mapping[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """Split ``{!type k=v k2='v 2' k3=$ref}rest`` into (local params, rest).

    A bare word is the parser type (``{!dismax}`` == ``{!type=dismax}``); ``$name``
    values are taken from ``params`` (missing: the key is left out); a repeated key
    keeps its last value (see :func:`parse_local_param_list` for all of them). Raises
    :class:`SolrError` for an unterminated block.
    """
    pairs, rest = parse_local_param_list(q, params)
    return dict(pairs), rest


def parse_local_param_list(
    q: str, params: Mapping[str, str] | None = None
) -> tuple[list[tuple[str, str]], str]:
    """Like :func:`parse_local_params`, but every ``(key, value)`` in order, repeats
    included (``{!bool must=a must=b}``)."""
    params = params or {}
    if not q.startswith("{!"):
        return [], q
    local: list[tuple[str, str]] = []
    pos, n = 2, len(q)

    def err(what: str) -> SolrError:
        return SolrError(f"{SYNTAX_ERROR}{what} in local params '{q}'")

    while True:
        while pos < n and q[pos].isspace():
            pos += 1
        if pos >= n:
            raise err("Expected ending character '}'")
        if q[pos] == "}":
            pos += 1
            break
        start = pos
        while pos < n and not q[pos].isspace() and q[pos] not in "=}":
            pos += 1
        key = q[start:pos]
        if pos < n and q[pos] == "=":
            pos += 1
            if pos < n and q[pos] in "'\"":
                quote = q[pos]
                pos += 1
                buf: list[str] = []
                while True:
                    if pos >= n:
                        raise err("Missing end quote for string")
                    c = q[pos]
                    if c == "\\" and pos + 1 < n:
                        buf.append(q[pos + 1])
                        pos += 2
                        continue
                    pos += 1
                    if c == quote:
                        break
                    buf.append(c)
                local.append((key, "".join(buf)))
            else:
                start = pos
                while pos < n and not q[pos].isspace() and q[pos] != "}":
                    pos += 1
                value = q[start:pos]
                if value.startswith("$"):
                    ref = params.get(value[1:])
                    if ref is not None:
                        local.append((key, ref))
                else:
                    local.append((key, value))
        elif key:
            local.append(("type", key))
        else:
            raise err("Expected identifier")
    return local, q[pos:]


_KNOWN_PARSERS = (
    "lucene", "dismax", "edismax", "field", "term", "raw", "terms", "prefix", "bool",
    "frange", "func",
)
_BOOL_OCCURS: tuple[tuple[str, ast.Occur], ...] = (
    ("must", "MUST"),
    ("must_not", "MUST_NOT"),
    ("should", "SHOULD"),
    ("filter", "FILTER"),
)


def _dispatch(
    q: str | None, params: Mapping[str, str], fields: QueryFields, *, default_type: str, depth: int
) -> ast.Query:
    if depth > _MAX_DEPTH:
        raise SolrError(f"Infinite Recursion detected parsing query '{q}'")
    text = q if q is not None else ""
    local: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    if text.startswith("{!"):
        pairs, rest = parse_local_param_list(text, params)
        local = dict(pairs)
        text = local["v"] if "v" in local else rest
    qtype = local.get("type") or default_type

    def param(name: str, default: str | None = None) -> str | None:
        if name in local:
            return local[name]
        return params.get(name, default)

    if qtype == "lucene":
        if text == "":
            return ast.MatchNone()
        return parse_lucene(
            text,
            fields,
            df=param("df"),
            q_op=param("q.op") or "OR",
            split_on_whitespace=(param("sow") or "false").lower() == "true",
            params=params,
            _depth=depth,
        )
    if qtype in ("dismax", "edismax"):
        if not text.strip():
            alt = param("q.alt")
            if alt is None:
                return ast.MatchNone()
            return _dispatch(alt, params, fields, default_type="lucene", depth=depth + 1)
        tie = _java_float(param("tie") or "0")
        if tie is None:
            raise SolrError(f"Invalid tie value: {param('tie')}")
        main = parse_dismax(
            text,
            fields,
            qf=param("qf") or "",
            mm=param("mm"),
            tie=tie,
            pf=param("pf"),
            q_op=param("q.op") or "OR",
            edismax=qtype == "edismax",
            ps=_int_param(param("ps")),
            qs=_int_param(param("qs")),
            df=param("df"),
            params=params,
            _depth=depth,
        )
        return _with_boost_functions(main, param("bf"), fields)
    if qtype == "frange":
        return ast.FunctionRange(
            parse_function(text, fields),
            _float_param(param("l"), "l"),
            _float_param(param("u"), "u"),
            include_lower=(param("incl") or "true").lower() != "false",
            include_upper=(param("incu") or "true").lower() != "false",
        )
    if qtype == "func":
        return ast.FunctionScore(parse_function(text, fields))
    if qtype == "bool":
        return _bool_query(pairs, params, fields, depth)
    if qtype in ("field", "term", "raw", "terms", "prefix"):
        f = param("f")
        if not f:
            raise SolrError(f"Missing 'f' local param for {{!{qtype}}} query")
        if qtype == "field":
            result = analyzed_query(fields, f, text, quoted=True)
        elif qtype == "prefix":
            result = ast.Prefix(f, fields.multiterm(f, text))
        elif qtype == "terms":
            sep = param("separator", ",") or ","
            terms = [t for t in (text.split(sep) if sep != " " else text.split()) if t]
            result = ast.Boolean(
                [ast.Clause("SHOULD", _exact_term(fields, f, t, raw=False)) for t in terms]
            )
        else:
            result = _exact_term(fields, f, text, raw=qtype == "raw")
        return ast.MatchNone() if result is None else result
    raise SolrError(f"Unknown query parser '{qtype}'")


def _float_param(raw: str | None, name: str) -> float | None:
    if raw is None or raw.strip() in ("", "*"):
        return None
    value = _java_float(raw.strip())
    if value is None:
        raise SolrError(f"Invalid {name} value for frange: {raw}")
    return value


def _with_boost_functions(main: ast.Query, bf: str | None, fields: QueryFields) -> ast.Query:
    """dismax/edismax ``bf``: each whitespace-separated function (``f^boost``) is added
    as an optional clause, so its value adds to the score of the matches."""
    if not bf or not bf.strip():
        return main
    clauses = [ast.Clause("MUST", main)]
    for spec in bf.split():
        func, _, boost = spec.rpartition("^") if re.search(r"\^[0-9.]+$", spec) else (spec, "", "")
        fb = _java_float(boost) if boost else None
        clauses.append(ast.Clause("SHOULD", ast.FunctionScore(
            parse_function(func, fields), 1.0 if fb is None else fb)))
    return ast.Boolean(clauses)


def _query_tags(sub: str, params: Mapping[str, str]) -> set[str]:
    """The ``{!tag=a,b}`` tags of a query string (empty if it has none)."""
    if not sub.startswith("{!"):
        return set()
    local, _ = parse_local_params(sub, params)
    return {t.strip() for t in local.get("tag", "").split(",") if t.strip()}


def _is_empty_lucene(sub: str, params: Mapping[str, str]) -> bool:
    """Solr's lucene QParser returns no query (null) for an empty string: such a clause
    is left out of a ``{!bool}`` query."""
    if not sub.startswith("{!"):
        return sub == ""
    local, rest = parse_local_params(sub, params)
    text = local["v"] if "v" in local else rest
    return text == "" and local.get("type", "lucene") == "lucene"


def _bool_query(
    pairs: list[tuple[str, str]], params: Mapping[str, str], fields: QueryFields, depth: int
) -> ast.Query:
    """Solr's ``{!bool}`` parser (``BoolQParserPlugin``): one clause per ``must``,
    ``must_not``, ``should`` and ``filter`` value (each repeatable; ``$name`` refers to
    a request parameter), each value a query of its own (default parser ``lucene``,
    ``{!...}`` allowed, request ``df``/``q.op`` apply). A kind given no local value falls
    back to the request parameter of that name, as Solr wraps the local params with
    the request's. Local-only (first value): ``mm``, the minimum number of ``should``
    clauses that must match (``min_should_match`` syntax, Solr 9.5+), and
    ``excludeTags`` (comma separated), which drops the clauses whose query carries one
    of these ``{!tag=...}``. The query text after ``}`` is ignored; no clauses at all
    match nothing (an empty BooleanQuery). An empty clause value (``must=``) is left
    out (Solr's lucene parser returns no query for it)."""

    def values(name: str) -> list[str]:
        got = [v for k, v in pairs if k == name]
        if got:
            return got
        fallback = params.get(name)
        return [fallback] if fallback is not None else []

    exclude_spec = next((v for k, v in pairs if k == "excludeTags"), "")
    excluded = {t.strip() for t in exclude_spec.split(",") if t.strip()}
    clauses: list[ast.Clause] = []
    for name, occur in _BOOL_OCCURS:
        for sub in values(name):
            if excluded and excluded & _query_tags(sub, params):
                continue
            if _is_empty_lucene(sub, params):
                continue
            query = _dispatch(sub, params, fields, default_type="lucene", depth=depth + 1)
            clauses.append(ast.Clause(occur, query))
    result = ast.Boolean(clauses)
    mm = next((v for k, v in pairs if k == "mm"), None)
    if mm is not None:
        _apply_mm(result, mm)
    return result


def _int_param(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not _INT_RX.fullmatch(value.strip()):
        raise SolrError(f"Invalid integer: {value}")
    return int(value)


def _exact_term(fields: QueryFields, field: str, text: str, *, raw: bool) -> ast.Term:
    """``{!term}``: no tokenization; a value the field analyses to one token (numbers,
    dates, strings, single words) is converted through the schema, else kept verbatim."""
    if not raw:
        tokens = list(fields.query_tokens(field, text))
        if len(tokens) == 1:
            return ast.Term(field, tokens[0].text)
    elif not _field_exists(fields, field):
        raise SolrError(f"undefined field {field}")
    return ast.Term(field, text)


def parse_query(
    q: str | None,
    params: Mapping[str, str],
    fields: QueryFields,
    *,
    default_def_type: str = "lucene",
) -> ast.Query:
    """Parse the main query ``q`` as Solr's QueryComponent does.

    A ``{!...}`` prefix picks the parser and its options (``{!dismax qf=title}``,
    ``{!lucene q.op=AND df=text}``, ``{!field f=x}``, ``{!term f=x}``, ``{!type=edismax
    v=$qq}``, ``{!bool must=a should=$b}``, ``{!tag=t}`` = default parser); otherwise
    ``params["defType"]`` (falling back to ``default_def_type``). Parser options come
    from local params first, then ``params`` (``df``, ``q.op``, ``qf``, ``mm``, ``tie``,
    ``pf``, ``ps``, ``qs``, ``q.alt``). Missing/empty ``q``: no documents for ``lucene``,
    ``q.alt`` for dismax. Use :func:`parse_filter` for ``fq`` (``defType`` does not
    apply to filters).
    """
    return _dispatch(
        q, params, fields, default_type=params.get("defType") or default_def_type, depth=0
    )


def parse_filter(fq: str, params: Mapping[str, str], fields: QueryFields) -> ast.Query:
    """Parse one ``fq``: like :func:`parse_query` but the default parser is always
    ``lucene`` (Solr ignores ``defType`` for filters; ``{!...}`` prefixes still work)."""
    return _dispatch(fq, params, fields, default_type="lucene", depth=0)


# ------------------------------------------------------------------ toString


def _java_float_str(x: float) -> str:
    """Java's ``Float.toString`` for the usual boost/tie values."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        r = repr(x)
        return r if ("." in r or "e" in r) else r + ".0"
    mant, _, exp = f"{x!r}".partition("e")
    if not exp:
        mant, _, exp = f"{x:e}".partition("e")
        mant = mant.rstrip("0")
    if "." not in mant:
        mant += ".0"
    elif mant.endswith("."):
        mant += "0"
    return f"{mant}E{int(exp)}"


def to_lucene_string(query: ast.Query) -> str:
    """Render the tree like Lucene's ``Query.toString()`` (for the differential test
    and debugging), e.g. ``+title:foo -tags:bar (text:a text:b)~1``."""
    return _render(query)


def _render(q: ast.Query) -> str:
    inner = _render_unboosted(q)
    if q.boost != 1.0:
        return f"({inner})^{_java_float_str(q.boost)}"
    return inner


def _render_unboosted(q: ast.Query) -> str:
    if isinstance(q, ast.MatchAll):
        return "*:*"
    if isinstance(q, ast.MatchNone):
        return 'MatchNoDocsQuery("")'
    if isinstance(q, ast.Term):
        return f"{q.field}:{q.text}"
    if isinstance(q, ast.Phrase):
        pieces: dict[int, str] = {}
        for term, pos in zip(q.terms, q.positions, strict=False):
            pieces[pos] = pieces[pos] + "|" + term if pos in pieces else term
        top = max(q.positions) if q.positions else -1
        body = " ".join(pieces.get(i, "?") for i in range(top + 1))
        return f'{q.field}:"{body}"' + (f"~{q.slop}" if q.slop else "")
    if isinstance(q, ast.Prefix):
        return f"{q.field}:{q.prefix}*"
    if isinstance(q, ast.Wildcard):
        return f"{q.field}:{q.pattern}"
    if isinstance(q, ast.Fuzzy):
        return f"{q.field}:{q.text}~{q.max_edits}"
    if isinstance(q, ast.Range):
        lo = "*" if q.lower is None else ("\\*" if q.lower == "*" else q.lower)
        hi = "*" if q.upper is None else ("\\*" if q.upper == "*" else q.upper)
        open_, close = "[" if q.include_lower else "{", "]" if q.include_upper else "}"
        return f"{q.field}:{open_}{lo} TO {hi}{close}"
    if isinstance(q, ast.Exists):
        return f"{q.field}:*"
    if isinstance(q, ast.Boolean):
        prefix = {"MUST": "+", "SHOULD": "", "MUST_NOT": "-", "FILTER": "#"}
        parts = []
        for c in q.clauses:
            sub = c.query
            text = _render(sub)
            if isinstance(sub, ast.Boolean) and sub.boost == 1.0:
                text = f"({text})"
            parts.append(prefix[c.occur] + text)
        body = " ".join(parts)
        if q.minimum_should_match > 0:
            return f"({body})~{q.minimum_should_match}"
        return body
    if isinstance(q, ast.DisMax):
        subs = []
        for d in q.disjuncts:
            text = _render(d)
            subs.append(f"({text})" if isinstance(d, ast.Boolean) and d.boost == 1.0 else text)
        body = "(" + " | ".join(subs) + ")"
        return body + (f"~{_java_float_str(q.tie)}" if q.tie != 0.0 else "")
    if isinstance(q, ast.ConstantScore):
        return f"ConstantScore({_render(q.query)})"
    if isinstance(q, ast.FunctionRange):
        lo = "*" if q.lower is None else q.lower
        hi = "*" if q.upper is None else q.upper
        open_, close = "[" if q.include_lower else "{", "]" if q.include_upper else "}"
        return f"frange({function_string(q.function)}):{open_}{lo} TO {hi}{close}"
    if isinstance(q, ast.FunctionScore):
        return f"FunctionQuery({function_string(q.function)})"
    if isinstance(q, ast.Spatial):
        return f"{q.field}:{q.op}({q.shape.kind} {q.shape.bbox})"
    raise TypeError(f"not a query node: {q!r}")


def iter_terms(query: ast.Query) -> Iterator[tuple[str, str]]:
    """All (field, term text) pairs of Term/Phrase nodes (handy for highlighting)."""
    if isinstance(query, ast.Term):
        yield query.field, query.text
    elif isinstance(query, ast.Phrase):
        for t in query.terms:
            yield query.field, t
    elif isinstance(query, ast.Boolean):
        for c in query.clauses:
            if c.occur != "MUST_NOT":
                yield from iter_terms(c.query)
    elif isinstance(query, ast.DisMax):
        for d in query.disjuncts:
            yield from iter_terms(d)
    elif isinstance(query, ast.ConstantScore):
        yield from iter_terms(query.query)
