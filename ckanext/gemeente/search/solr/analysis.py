"""Text analysis: Solr/Lucene tokenizers and token filters, built from ``<analyzer>`` elements.

Pure Python (standard library + ``snowballstemmer``). An analyzer turns a string into
:class:`Token` objects carrying Lucene's *positions*: the first token is at position 0,
stacked tokens (synonyms, WordDelimiterGraph catenations, ASCII-folding originals)
share a position, and removed tokens (stopwords, delimiter-only words) leave gaps,
exactly as Lucene's position increments do.

Supported factories (by ``class="solr.XxxFactory"`` or Solr 9 ``name="xxx"``):

tokenizers
    Whitespace (``rule="java"``/``"unicode"``), Standard, Keyword, Letter,
    NGram, EdgeNGram.
filters
    WordDelimiterGraph, WordDelimiter, LowerCase, SnowballPorter, PorterStem,
    ASCIIFolding, NGram, EdgeNGram, Stop, Synonym, SynonymGraph, FlattenGraph,
    RemoveDuplicates, Trim, KeywordMarker, EnglishPossessive, Length,
    PatternReplace.
analyzer classes
    ``<analyzer class="...WhitespaceAnalyzer|StandardAnalyzer|KeywordAnalyzer|SimpleAnalyzer"/>``.

Anything else raises :class:`AnalysisError` naming the factory (Solr refuses such a
schema as well).

Known approximations (documented, deliberate):

* StandardTokenizer: a regular-expression approximation of UAX#29 word breaking —
  runs of letters/digits, joined by ``_`` and by ``. ' ’ : ·`` between letters or
  ``. , ; ' ’`` between digits (so ``O'Neil's``, ``example.com``, ``3.14`` and ``1,000``
  stay whole, while ``Wi-Fi`` / ``a@b.nl`` / ``http://x.nl/p`` split on ``-``, ``@``, ``/``);
  Han ideographs and Hiragana become one token per character; punctuation, symbols
  and emoji produce no tokens. Tokens longer than ``maxTokenLength`` (255) are split.
* WordDelimiterGraph + FlattenGraph: positions are the graph's start positions (what
  FlattenGraph yields for WDGF output); position lengths are not represented.
* Synonym(Graph)Filter: single-word rules are exact. Multi-word rules match the longest
  run of consecutive tokens; word *j* of every alternative is put at ``start + j`` and the
  following tokens are shifted after the longest alternative (a flattened graph).
  Only the Solr synonym format is supported (not WordNet).
* ASCIIFoldingFilter: per character, a table of Lucene's non-decomposable folds
  (``ß``→``ss``, ``æ``→``ae``, ``ø``→``o``, ``ł``→``l``, quotes, dashes, ...) and
  otherwise Unicode NFKD with combining marks removed, kept only when the result is
  ASCII (so Greek, Cyrillic, Hangul... stay unchanged, as in Lucene).
* LowerCaseFilter lowercases per code point like Java (no final-sigma context).
* Snowball stemmers come from the ``snowballstemmer`` package; ``language="Dutch"``
  uses its ``dutch_porter`` algorithm (Lucene's original Snowball Dutch stemmer).
  Minor version differences between Snowball releases may exist.
* The old (non-graph) WordDelimiterFilter puts catenations at the position of the last
  sub-word of the run (as documented for Lucene), preserveOriginal first.
* Resource files missing from the resource dir raise :class:`AnalysisError`, except the
  three files of Solr's ``_default`` configset (``stopwords.txt``, ``protwords.txt``,
  ``synonyms.txt``) that CKAN's schema references but does not ship: for those the
  ``_default`` configset's contents are used (as in the official CKAN Solr image).
"""

from __future__ import annotations

import os
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import SolrError

__all__ = [
    "Token",
    "Analyzer",
    "AnalysisError",
    "build_analyzer",
    "KEYWORD_ANALYZER",
    "DEFAULT_CONFIGSET_RESOURCES",
    "ENGLISH_STOP_WORDS",
]


class AnalysisError(SolrError):
    """A broken analyzer definition (unknown factory, missing resource, bad argument)."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg, 500)


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    position: int


# Fast construction for the analyzers' hot loop (same result as Token(text, position)).
_TOKEN_TEXT_SET = Token.text.__set__  # type: ignore[attr-defined]
_TOKEN_POS_SET = Token.position.__set__  # type: ignore[attr-defined]


# Internal stream element: (text, position increment, keyword flag).
_Tok = tuple[str, int, bool]
_Stream = list[_Tok]

_CACHE_LIMIT = 200_000

ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)

# Contents of Solr's _default configset resources (comments dropped).
DEFAULT_CONFIGSET_RESOURCES: dict[str, str] = {
    "stopwords.txt": "",
    "protwords.txt": "",
    "synonyms.txt": (
        "aaafoo => aaabar\n"
        "bbbfoo => bbbfoo bbbbar\n"
        "cccfoo => cccbar cccbaz\n"
        "fooaaa,baraaa,bazaaa\n"
        "GB,gib,gigabyte,gigabytes\n"
        "MB,mib,megabyte,megabytes\n"
        "Television, Televisions, TV, TVs\n"
        "pixima => pixma\n"
    ),
}


# --------------------------------------------------------------------------- resources


class _Resources:
    def __init__(self, resource_dir: str | None) -> None:
        self.dir = resource_dir

    def read(self, name: str) -> str:
        path = name if os.path.isabs(name) else os.path.join(self.dir or ".", name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            return text[1:] if text.startswith("\ufeff") else text
        if name in DEFAULT_CONFIGSET_RESOURCES:
            return DEFAULT_CONFIGSET_RESOURCES[name]
        raise AnalysisError(
            f"Can't find resource '{name}' in classpath or '{os.path.abspath(self.dir or '.')}'"
        )

    def lines(self, name: str) -> list[str]:
        out: list[str] = []
        for line in self.read(name).splitlines():
            if line.startswith("#"):
                continue
            line = line.strip()
            if line:
                out.append(line)
        return out

    def word_set(self, names: str | None, ignore_case: bool, fmt: str = "wordset") -> set[str]:
        words: set[str] = set()
        if not names:
            return words
        for name in _split_file_names(names):
            if fmt == "snowball":
                for line in self.read(name).splitlines():
                    line = line.split("|", 1)[0]
                    words.update(line.split())
            else:
                words.update(self.lines(name))
        if ignore_case:
            words = {w.lower() for w in words}
        return words


def _split_file_names(names: str) -> list[str]:
    # Solr splits on commas not preceded by a backslash.
    parts = re.split(r"(?<!\\),", names)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


# --------------------------------------------------------------------------- arguments


class _Args:
    def __init__(self, factory: str, attrs: dict[str, str]) -> None:
        self.factory = factory
        self.attrs = {k: v for k, v in attrs.items() if k not in ("class", "name")}

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def bool(self, key: str, default: bool) -> bool:
        value = self.attrs.get(key)
        if value is None:
            return default
        return value.strip().lower() in ("true", "1", "yes", "on")

    def int_flag(self, key: str, default: int) -> bool:
        # WordDelimiter-style flags: "1"/"0" (also accepts true/false).
        value = self.attrs.get(key)
        if value is None:
            return bool(default)
        value = value.strip().lower()
        if value in ("true", "false"):
            return value == "true"
        try:
            return int(value) != 0
        except ValueError:
            raise AnalysisError(f"{self.factory}: invalid value for {key}: {value!r}") from None

    def int(self, key: str, default: int) -> int:
        value = self.attrs.get(key)
        if value is None:
            return default
        try:
            return int(value.strip())
        except ValueError:
            raise AnalysisError(f"{self.factory}: invalid value for {key}: {value!r}") from None


# --------------------------------------------------------------------------- helpers

# Character.isWhitespace (no-break spaces excluded, as in Java)
_JAVA_SPACE = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
)


def _chunks(text: str, size: int) -> Iterable[str]:
    if len(text) <= size:
        yield text
        return
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _java_lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = "i" if ch == "\u0130" else ch
        out.append(low)
    return "".join(out)


# Lucene ASCIIFoldingFilter folds that NFKD does not give.
_FOLD_SPECIAL: dict[str, str] = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "ǽ": "ae",
    "Ǽ": "AE",
    "ǣ": "ae",
    "Ǣ": "AE",
    "ø": "o",
    "Ø": "O",
    "ǿ": "o",
    "Ǿ": "O",
    "œ": "oe",
    "Œ": "OE",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ŋ": "n",
    "Ŋ": "N",
    "ƒ": "f",
    "ſ": "s",
    "ĸ": "q",
    "ɐ": "a",
    "ǝ": "e",
    "ə": "e",
    "Ə": "E",
    "ɛ": "e",
    "Ɛ": "E",
    "ɔ": "o",
    "Ɔ": "O",
    "ƀ": "b",
    "Ɓ": "B",
    "ɓ": "b",
    "Ƈ": "C",
    "ƈ": "c",
    "ȼ": "c",
    "Ȼ": "C",
    "Ɖ": "D",
    "Ɗ": "D",
    "ɖ": "d",
    "ɗ": "d",
    "ǥ": "g",
    "Ǥ": "G",
    "ɨ": "i",
    "Ɨ": "I",
    "ƚ": "l",
    "Ƚ": "L",
    "ɲ": "n",
    "Ɲ": "N",
    "ƞ": "n",
    "Ƞ": "N",
    "ʉ": "u",
    "Ʉ": "U",
    "ƶ": "z",
    "Ƶ": "Z",
    "ȥ": "z",
    "Ȥ": "Z",
    "ʒ": "z",
    "Ʒ": "Z",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u2035": "'",
    "\u2039": "'",
    "\u203a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2036": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2044": "/",
    "\u00bc": "1/4",
    "\u00bd": "1/2",
    "\u00be": "3/4",
    "\u2026": "...",
    "\u00d7": "x",
}

_fold_cache: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    cached = _fold_cache.get(ch)
    if cached is not None:
        return cached
    folded = _FOLD_SPECIAL.get(ch)
    if folded is None:
        decomposed = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        folded = decomposed if decomposed and decomposed.isascii() else ch
    _fold_cache[ch] = folded
    return folded


def ascii_fold(text: str) -> str:
    """Lucene ASCIIFoldingFilter approximation for one string."""
    if text.isascii():
        return text
    return "".join(c if c < "\x80" else _fold_char(c) for c in text)


def _memo(fn: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def wrapper(text: str) -> str:
        result = cache.get(text)
        if result is None:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            result = cache[text] = fn(text)
        return result

    return wrapper


# --------------------------------------------------------------------------- tokenizers

Tokenizer = Callable[[str], _Stream]


def _regex_tokenizer(pattern: re.Pattern[str], max_len: int) -> Tokenizer:
    def tokenize(text: str) -> _Stream:
        out: _Stream = []
        for m in pattern.finditer(text):
            tok = m.group()
            if len(tok) > max_len:
                out.extend((chunk, 1, False) for chunk in _chunks(tok, max_len))
            else:
                out.append((tok, 1, False))
        return out

    return tokenize


_WS_JAVA_RE = re.compile(r"(?:[^\s]|[\u00a0\u2007\u202f])+")
_WS_UNICODE_RE = re.compile(r"\S+")
_LETTER_RE = re.compile(r"[^\W\d_]+")

_IDEO = "\u3040-\u309f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0900-\u0903"
    "\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_UNIT = rf"(?:[^\W_{_IDEO}]|[{_MARKS}])+"
_LET = r"[^\W\d_]"
_STANDARD_RE = re.compile(
    rf"[{_IDEO}]"
    rf"|_*{_UNIT}(?:(?:_+|(?<={_LET})[.'\u2019:\u00b7](?={_LET})|(?<=\d)[.,;'\u2019](?=\d)){_UNIT})*_*"
)


def _make_tokenizer(kind: str, args: _Args) -> Tokenizer:
    if kind == "whitespace":
        rule = (args.get("rule") or "java").lower()
        if rule not in ("java", "unicode"):
            raise AnalysisError(f"WhitespaceTokenizerFactory: invalid rule {rule!r}")
        pattern = _WS_UNICODE_RE if rule == "unicode" else _WS_JAVA_RE
        return _regex_tokenizer(pattern, args.int("maxTokenLen", 255))
    if kind == "standard":
        return _regex_tokenizer(_STANDARD_RE, args.int("maxTokenLength", 255))
    if kind == "letter":
        return _regex_tokenizer(_LETTER_RE, args.int("maxTokenLen", 255))
    if kind == "keyword":
        return lambda text: [(text, 1, False)]
    if kind in ("ngram", "edgengram"):
        edge = kind == "edgengram"
        lo = args.int("minGramSize", 1)
        hi = args.int("maxGramSize", 1 if edge else 2)
        if lo < 1 or hi < lo:
            raise AnalysisError(f"{args.factory}: invalid minGramSize/maxGramSize {lo}/{hi}")

        def ngrams(text: str) -> _Stream:
            return [(g, 1, False) for g in gram_texts(text)]

        def gram_texts(text: str) -> list[str]:
            n = len(text)
            last_start = 1 if edge else n
            return [
                text[start : start + size]
                for start in range(min(last_start, n))
                for size in range(lo, min(hi, n - start) + 1)
            ]

        # every gram is one position further; the indexer's fast path uses this
        ngrams.gram_texts = gram_texts  # type: ignore[attr-defined]
        return ngrams
    raise AnalysisError(f"Unknown tokenizer factory: {args.factory}")


# --------------------------------------------------------------------------- filters


class _Filter:
    """Base token filter; ``multiterm`` is set for Solr multi-term aware filters."""

    multiterm_aware = False

    def __call__(self, toks: _Stream) -> _Stream:  # pragma: no cover - abstract
        raise NotImplementedError

    def multiterm(self, text: str) -> str:
        return text


class _MapFilter(_Filter):
    """1:1 text transformation; ``skip_keywords`` leaves keyword-marked tokens alone."""

    #: True when the transformation maps each code point to exactly one code point on its
    #: own (lowercasing): applying it to a whole text then cutting n-grams is the same as
    #: cutting n-grams then applying it to each
    per_code_point = False

    def __init__(
        self,
        fn: Callable[[str], str],
        skip_keywords: bool = False,
        multiterm_aware: bool = False,
        cheap: bool = False,
    ) -> None:
        self.cheap = cheap
        self.fn = fn if cheap else _memo(fn)
        self.raw = fn
        self.skip_keywords = skip_keywords
        self.multiterm_aware = multiterm_aware

    def __call__(self, toks: _Stream) -> _Stream:
        fn = self.fn
        if self.skip_keywords:
            return [(t if kw else fn(t), inc, kw) for t, inc, kw in toks]
        return [(fn(t), inc, kw) for t, inc, kw in toks]

    def multiterm(self, text: str) -> str:
        return self.raw(text)


class _DropFilter(_Filter):
    """Removes tokens for which ``keep`` is false, carrying their position increments."""

    def __init__(self, keep: Callable[[str], bool]) -> None:
        self.keep = keep

    def __call__(self, toks: _Stream) -> _Stream:
        out: _Stream = []
        carry = 0
        keep = self.keep
        for t, inc, kw in toks:
            if keep(t):
                out.append((t, inc + carry, kw))
                carry = 0
            else:
                carry += inc
        return out


class _AsciiFoldingFilter(_Filter):
    multiterm_aware = True

    def __init__(self, preserve_original: bool) -> None:
        self.preserve = preserve_original

    def __call__(self, toks: _Stream) -> _Stream:
        if not self.preserve:
            return [(ascii_fold(t), inc, kw) for t, inc, kw in toks]
        out: _Stream = []
        for t, inc, kw in toks:
            folded = ascii_fold(t)
            out.append((folded, inc, kw))
            if folded != t:
                out.append((t, 0, kw))
        return out

    def multiterm(self, text: str) -> str:
        return ascii_fold(text)


class _KeywordMarkerFilter(_Filter):
    def __init__(self, words: set[str], pattern: re.Pattern[str] | None, ignore_case: bool) -> None:
        self.words = words
        self.pattern = pattern
        self.ignore_case = ignore_case

    def __call__(self, toks: _Stream) -> _Stream:
        out: _Stream = []
        for t, inc, kw in toks:
            key = t.lower() if self.ignore_case else t
            if key in self.words or (self.pattern is not None and self.pattern.fullmatch(t)):
                kw = True
            out.append((t, inc, kw))
        return out


class _RemoveDuplicatesFilter(_Filter):
    def __call__(self, toks: _Stream) -> _Stream:
        out: _Stream = []
        seen: set[str] = set()
        for t, inc, kw in toks:
            if inc > 0:
                seen = set()
            elif t in seen:
                continue
            seen.add(t)
            out.append((t, inc, kw))
        return out


class _NGramFilter(_Filter):
    def __init__(self, lo: int, hi: int, edge: bool, preserve: bool) -> None:
        self.lo, self.hi, self.edge, self.preserve = lo, hi, edge, preserve

    def __call__(self, toks: _Stream) -> _Stream:
        out: _Stream = []
        carry = 0
        lo, hi = self.lo, self.hi
        for t, inc, kw in toks:
            n = len(t)
            grams: list[str] = []
            starts = range(1) if self.edge else range(n)
            for start in starts:
                for size in range(lo, hi + 1):
                    if start + size > n:
                        break
                    grams.append(t[start : start + size])
            if self.preserve and (n < lo or n > hi):
                grams.append(t)
            if not grams:
                carry += inc
                continue
            first = True
            for g in grams:
                out.append((g, inc + carry if first else 0, kw))
                first = False
            carry = 0
        return out


# ---- WordDelimiter(Graph)Filter

_LOWER, _UPPER, _DIGIT, _DELIM = 1, 2, 4, 8
_ALPHA = _LOWER | _UPPER
_CHAR_TYPE_CACHE: dict[str, int] = {}


def _char_type(ch: str) -> int:
    t = _CHAR_TYPE_CACHE.get(ch)
    if t is not None:
        return t
    cat = unicodedata.category(ch)
    if ch < "\u0100":
        if cat == "Ll" or ch in "\u00aa\u00ba":
            t = _LOWER
        elif cat == "Lu":
            t = _UPPER
        elif cat == "Nd":
            t = _DIGIT
        else:
            t = _DELIM
    elif cat == "Lu":
        t = _UPPER
    elif cat == "Ll":
        t = _LOWER
    elif cat in ("Lt", "Lm", "Lo", "Mn", "Me", "Mc"):
        t = _ALPHA
    elif cat in ("Nd", "Nl", "No"):
        t = _DIGIT
    elif cat == "Cs":
        t = _ALPHA | _DIGIT
    else:
        t = _DELIM
    _CHAR_TYPE_CACHE[ch] = t
    return t


@dataclass
class _WDConfig:
    gen_words: bool
    gen_numbers: bool
    cat_words: bool
    cat_numbers: bool
    cat_all: bool
    preserve: bool
    split_case: bool
    split_numerics: bool
    stem_possessive: bool
    protected: set[str]


def _wd_parts(text: str, cfg: _WDConfig) -> list[tuple[int, int, int]] | None:
    """Sub-word parts ``(start, end, type)`` of ``text`` following Lucene's
    WordDelimiterIterator; ``None`` when the token has no delimiters at all."""
    types = [_char_type(c) for c in text]
    n = len(text)
    start_b = 0
    while start_b < n and types[start_b] & _DELIM:
        start_b += 1
    end_b = n
    while end_b > start_b and types[end_b - 1] & _DELIM:
        end_b -= 1

    def ends_with_possessive(pos: int) -> bool:
        return (
            cfg.stem_possessive
            and pos > 2
            and text[pos - 2] == "'"
            and text[pos - 1] in "sS"
            and bool(types[pos - 3] & _ALPHA)
            and (pos == end_b or bool(types[pos] & _DELIM))
        )

    if ends_with_possessive(end_b):
        end_b -= 2

    def is_break(last: int, cur: int) -> bool:
        if cur & last:
            return False
        if not cfg.split_case and last & _ALPHA and cur & _ALPHA:
            return False
        if last & _UPPER and cur & _ALPHA:
            return False
        if not cfg.split_numerics and (
            (last & _ALPHA and cur & _DIGIT) or (last & _DIGIT and cur & _ALPHA)
        ):
            return False
        return True

    parts: list[tuple[int, int, int]] = []
    current = start_b
    skip_possessive = False
    first = True
    while True:
        if skip_possessive:
            current += 2
            skip_possessive = False
        last = 0
        while current < end_b and types[current] & _DELIM:
            current += 1
        if current >= end_b:
            break
        last = types[current]
        end = current + 1
        while end < end_b:
            cur = types[end]
            if is_break(last, cur):
                break
            last = cur
            end += 1
        if first and current == 0 and end == n:
            return None  # no delimiters: returned unchanged
        first = False
        if end < end_b - 1 and ends_with_possessive(end + 2):
            skip_possessive = True
        # type of the part: Lucene uses the type of the part's first char class group
        ptype = types[current]
        ptype = (
            _ALPHA
            if ptype & _ALPHA and not ptype & _DIGIT
            else (_DIGIT if ptype & _DIGIT and not ptype & _ALPHA else ptype)
        )
        parts.append((current, end, ptype))
        current = end
    return parts


def _wdgf_expand(text: str, cfg: _WDConfig) -> list[tuple[str, int]] | None:
    """WordDelimiterGraphFilter output for one token: ``(text, start position)`` in
    Lucene's emission order, or ``None`` to pass the token through unchanged."""
    if text in cfg.protected:
        return None
    parts = _wd_parts(text, cfg)
    if parts is None:
        return None
    if not parts:
        return [(text, 0)] if cfg.preserve else []
    # buffered entries: (startPos, endPos, startPart, endPart, text)
    buf: list[list] = []
    word_pos = 0
    if cfg.preserve:
        buf.append([0, 1, 0, len(text), text])
    if len(parts) == 1:
        s, e, _ = parts[0]
        buf.append([word_pos, word_pos + 1, s, e, text[s:e]])
        word_pos += 1
    else:
        concat: list = []  # [type, startPart, startPos, texts, endPart]
        concat_all: list = []
        last_concat_count = 0

        def gen(t: int) -> bool:
            return (cfg.gen_words and bool(t & _ALPHA)) or (cfg.gen_numbers and bool(t & _DIGIT))

        def should_cat(t: int) -> bool:
            return (cfg.cat_words and bool(t & _ALPHA)) or (cfg.cat_numbers and bool(t & _DIGIT))

        def flush(c: list) -> None:
            nonlocal word_pos, last_concat_count
            if word_pos == c[2]:
                word_pos += 1
            last_concat_count = len(c[3])
            if len(c[3]) != 1 or not gen(c[0]):
                buf.append([c[2], word_pos, c[1], c[4], "".join(c[3])])

        for s, e, ptype in parts:
            if concat and not (concat[0] & ptype):
                flush(concat)
                concat = []
            if should_cat(ptype):
                if not concat:
                    concat = [ptype, s, word_pos, [], e]
                concat[3].append(text[s:e])
                concat[4] = e
            if cfg.cat_all:
                if not concat_all:
                    concat_all = [ptype, s, word_pos, [], e]
                concat_all[3].append(text[s:e])
                concat_all[4] = e
            if gen(ptype):
                buf.append([word_pos, word_pos + 1, s, e, text[s:e]])
                word_pos += 1
        if concat:
            flush(concat)
        if concat_all and len(concat_all[3]) > last_concat_count:
            if word_pos == concat_all[2]:
                word_pos += 1
            buf.append(
                [concat_all[2], word_pos, concat_all[1], concat_all[4], "".join(concat_all[3])]
            )
    if cfg.preserve:
        buf[0][1] = max(word_pos, 1)
        rest = buf[1:]
        rest.sort(key=lambda b: (b[2], -b[3]))
        buf = buf[:1] + rest
    else:
        buf.sort(key=lambda b: (b[2], -b[3]))
    return [(b[4], b[0]) for b in buf]


def _wdf_expand(text: str, cfg: _WDConfig) -> list[tuple[str, int]] | None:
    """Old WordDelimiterFilter: parts at consecutive positions, catenations stacked on
    the last part of their run, the original (preserveOriginal) first."""
    if text in cfg.protected:
        return None
    parts = _wd_parts(text, cfg)
    if parts is None:
        return None
    if not parts:
        return [(text, 0)] if cfg.preserve else []
    out: list[tuple[str, int]] = []
    if cfg.preserve:
        out.append((text, 0))
    pos = -1

    def gen(t: int) -> bool:
        return (cfg.gen_words and bool(t & _ALPHA)) or (cfg.gen_numbers and bool(t & _DIGIT))

    def should_cat(t: int) -> bool:
        return (cfg.cat_words and bool(t & _ALPHA)) or (cfg.cat_numbers and bool(t & _DIGIT))

    if len(parts) == 1:
        s, e, _ = parts[0]
        out.append((text[s:e], 0))
        return out
    run: list[str] = []
    run_type = 0
    all_parts: list[str] = []
    last_run = 0

    def flush_run() -> None:
        nonlocal pos, last_run
        last_run = len(run)
        if len(run) > 1 or (run and not gen(run_type)):
            if not gen(run_type):
                pos += 1
            out.append(("".join(run), max(pos, 0)))

    for s, e, ptype in parts:
        if run and not (run_type & ptype):
            flush_run()
            run = []
        if gen(ptype):
            pos += 1
            out.append((text[s:e], pos))
        if should_cat(ptype):
            if not run:
                run_type = ptype
            run.append(text[s:e])
        all_parts.append(text[s:e])
    if run:
        flush_run()
    if cfg.cat_all and len(all_parts) > last_run:
        out.append(("".join(all_parts), max(pos, 0)))
    return out


class _WordDelimiterFilter(_Filter):
    def __init__(self, cfg: _WDConfig, graph: bool) -> None:
        self.cfg = cfg
        self.expand = _wdgf_expand if graph else _wdf_expand
        self.cache: dict[str, list[tuple[str, int]] | None] = {}

    def __call__(self, toks: _Stream) -> _Stream:
        out: _Stream = []
        carry = 0
        cache = self.cache
        for t, inc, kw in toks:
            if t in cache:
                parts = cache[t]
            else:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                parts = cache[t] = self.expand(t, self.cfg)
            if parts is None:
                out.append((t, inc + carry, kw))
                carry = 0
                continue
            if not parts:
                carry += inc
                continue
            prev = 0
            first = True
            for text, start in parts:
                if first:
                    out.append((text, inc + carry + start, kw))
                    first = False
                else:
                    out.append((text, start - prev, kw))
                prev = start
            carry = 0
        return out


# ---- Synonyms


class _SynonymFilter(_Filter):
    def __init__(
        self, rules: dict[tuple[str, ...], list[tuple[str, ...]]], ignore_case: bool
    ) -> None:
        self.rules = rules
        self.ignore_case = ignore_case
        self.max_len = max((len(k) for k in rules), default=0)
        self.single_only = self.max_len <= 1 and all(
            len(o) == 1 for outs in rules.values() for o in outs
        )

    def __call__(self, toks: _Stream) -> _Stream:
        if not self.rules:
            return toks
        keys = [t.lower() if self.ignore_case else t for t, _, _ in toks]
        rules = self.rules
        out: _Stream = []
        if self.single_only:
            for (t, inc, kw), key in zip(toks, keys, strict=True):
                outs = rules.get((key,))
                if outs is None:
                    out.append((t, inc, kw))
                else:
                    first = True
                    for o in outs:
                        out.append((o[0], inc if first else 0, False))
                        first = False
            return out
        n = len(toks)
        positions: list[int] = []
        p = -1
        for _, inc, _ in toks:
            p += inc
            positions.append(p)
        placed_out: list[tuple[str, int, bool]] = []
        shift = 0
        i = 0
        while i < n:
            match_len = 0
            outs: list[tuple[str, ...]] | None = None
            for length in range(min(self.max_len, n - i), 0, -1):
                cand = rules.get(tuple(keys[i : i + length]))
                if cand is not None:
                    match_len, outs = length, cand
                    break
            if outs is None:
                t, _, kw = toks[i]
                placed_out.append((t, positions[i] + shift, kw))
                i += 1
                continue
            start = positions[i] + shift
            last = positions[i + match_len - 1] + shift
            for word, rel in sorted(
                ((o[j], j) for o in outs for j in range(len(o))), key=lambda x: x[1]
            ):
                placed_out.append((word, start + rel, False))
            longest = max(len(o) for o in outs)
            extra = (start + longest - 1) - last
            if extra > 0:
                shift += extra
            i += match_len
        prev = -1
        for t, pos, kw in placed_out:
            out.append((t, pos - prev, kw))
            prev = pos
        return out


def _parse_synonyms(
    text: str, ignore_case: bool, expand: bool, name: str
) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    rules: dict[tuple[str, ...], list[tuple[str, ...]]] = {}

    def analyze(entry: str) -> tuple[str, ...]:
        entry = entry.replace("\\,", ",").replace("\\=>", "=>").replace("\\\\", "\\")
        words = entry.split()
        if ignore_case:
            words = [_java_lower(w) for w in words]
        if not words:
            raise AnalysisError(f"Invalid synonym rule in {name}: empty entry")
        return tuple(words)

    def split(s: str, sep: str) -> list[str]:
        return [p.strip() for p in re.split(r"(?<!\\)" + re.escape(sep), s)]

    def add(src: tuple[str, ...], dst: tuple[str, ...]) -> None:
        outs = rules.setdefault(src, [])
        if dst not in outs:
            outs.append(dst)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sides = split(line, "=>")
        if len(sides) > 2:
            raise AnalysisError(
                f"Invalid synonym rule in {name}: more than one explicit mapping: {line}"
            )
        if len(sides) == 2:
            inputs = [analyze(p) for p in split(sides[0], ",") if p]
            outputs = [analyze(p) for p in split(sides[1], ",") if p]
            for i in inputs:
                for o in outputs:
                    add(i, o)
        else:
            entries = [analyze(p) for p in split(line, ",") if p]
            if expand:
                for i in entries:
                    for o in entries:
                        add(i, o)
            else:
                for i in entries:
                    add(i, entries[0])
    return rules


# --------------------------------------------------------------------------- factories


def _factory_key(elem: ET.Element, suffixes: tuple[str, ...]) -> tuple[str, str]:
    cls = elem.get("class")
    name = elem.get("name")
    if cls:
        label = cls
        key = cls.rsplit(".", 1)[-1]
        for suffix in suffixes:
            if key.endswith(suffix):
                key = key[: -len(suffix)]
                break
        return key.lower(), label
    if name:
        return name.lower(), f"name={name}"
    raise AnalysisError(f"<{elem.tag}> needs a class or name attribute")


_SNOWBALL_NAMES = {
    "dutch": "dutch_porter",
    "german2": "german",
}


def _snowball(language: str, factory: str) -> Callable[[str], str]:
    try:
        import snowballstemmer
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise AnalysisError(f"{factory}: the snowballstemmer package is required") from exc
    algorithms = set(snowballstemmer.algorithms())
    key = language.lower()
    key = _SNOWBALL_NAMES.get(key, key)
    if key not in algorithms:
        if key == "dutch_porter" and "dutch" in algorithms:
            key = "dutch"
        else:
            raise AnalysisError(f"{factory}: unsupported Snowball language {language!r}")
    stemmer = snowballstemmer.stemmer(key)
    return stemmer.stemWord


def _make_filter(kind: str, args: _Args, res: _Resources) -> _Filter | None:
    f = args.factory
    if kind == "lowercase":
        f = _MapFilter(_java_lower, multiterm_aware=True, cheap=True)
        f.per_code_point = True  # one code point in, one out: commutes with n-gramming
        return f
    if kind == "asciifolding":
        if args.bool("preserveOriginal", False):
            return _AsciiFoldingFilter(True)
        return _MapFilter(ascii_fold, multiterm_aware=True, cheap=True)
    if kind in ("flattengraph",):
        return None
    if kind in ("snowballporter", "porterstem"):
        if kind == "porterstem":
            stem = _snowball("porter", f)
            protected: set[str] = set()
        else:
            stem = _snowball(args.get("language") or "English", f)
            protected = res.word_set(args.get("protected"), False)
        if protected:
            prot = protected

            def stem_fn(t: str) -> str:
                return t if t in prot else stem(t)

            return _MapFilter(stem_fn, skip_keywords=True)
        return _MapFilter(stem, skip_keywords=True)
    if kind == "stop":
        ignore_case = args.bool("ignoreCase", False)
        fmt = (args.get("format") or "wordset").lower()
        if args.get("words"):
            words = res.word_set(args.get("words"), ignore_case, fmt)
        else:
            words = set(ENGLISH_STOP_WORDS)
        if ignore_case:
            return _DropFilter(lambda t: t.lower() not in words)
        return _DropFilter(lambda t: t not in words)
    if kind in ("synonym", "synonymgraph"):
        name = args.get("synonyms")
        if not name:
            raise AnalysisError(f"{f}: missing required argument 'synonyms'")
        fmt = (args.get("format") or "solr").lower()
        if fmt != "solr":
            raise AnalysisError(f"{f}: unsupported synonyms format {fmt!r}")
        ignore_case = args.bool("ignoreCase", False)
        expand = args.bool("expand", True)
        rules: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for fname in _split_file_names(name):
            for k, v in _parse_synonyms(res.read(fname), ignore_case, expand, fname).items():
                outs = rules.setdefault(k, [])
                outs.extend(o for o in v if o not in outs)
        return _SynonymFilter(rules, ignore_case)
    if kind in ("worddelimitergraph", "worddelimiter"):
        if args.get("types"):
            raise AnalysisError(f"{f}: the 'types' argument is not supported")
        cfg = _WDConfig(
            gen_words=args.int_flag("generateWordParts", 1),
            gen_numbers=args.int_flag("generateNumberParts", 1),
            cat_words=args.int_flag("catenateWords", 0),
            cat_numbers=args.int_flag("catenateNumbers", 0),
            cat_all=args.int_flag("catenateAll", 0),
            preserve=args.int_flag("preserveOriginal", 0),
            split_case=args.int_flag("splitOnCaseChange", 1),
            split_numerics=args.int_flag("splitOnNumerics", 1),
            stem_possessive=args.int_flag("stemEnglishPossessive", 1),
            protected=res.word_set(args.get("protected"), False),
        )
        return _WordDelimiterFilter(cfg, graph=kind == "worddelimitergraph")
    if kind == "removeduplicates":
        return _RemoveDuplicatesFilter()
    if kind == "trim":
        return _MapFilter(lambda t: t.strip(_JAVA_SPACE))
    if kind == "keywordmarker":
        ignore_case = args.bool("ignoreCase", False)
        words = res.word_set(args.get("protected"), ignore_case)
        pat = args.get("pattern")
        return _KeywordMarkerFilter(words, re.compile(pat) if pat else None, ignore_case)
    if kind == "englishpossessive":

        def possessive(t: str) -> str:
            if len(t) >= 2 and t[-1] in "sS" and t[-2] in "'\u2019\uff07":
                return t[:-2]
            return t

        return _MapFilter(possessive)
    if kind in ("ngram", "edgengram"):
        edge = kind == "edgengram"
        lo = args.int("minGramSize", 1)
        hi = args.int("maxGramSize", 1 if edge else 2)
        if lo < 1 or hi < lo:
            raise AnalysisError(f"{f}: invalid minGramSize/maxGramSize {lo}/{hi}")
        return _NGramFilter(lo, hi, edge, args.bool("preserveOriginal", False))
    if kind == "length":
        lo = args.int("min", 0)
        hi = args.int("max", 2**31 - 1)
        return _DropFilter(lambda t: lo <= len(t) <= hi)
    if kind == "patternreplace":
        pattern = args.get("pattern")
        if pattern is None:
            raise AnalysisError(f"{f}: missing required argument 'pattern'")
        regex = re.compile(pattern)
        repl = re.sub(r"\$(\d)", r"\\\1", args.get("replacement") or "")
        count = 1 if (args.get("replace") or "all") == "first" else 0
        return _MapFilter(lambda t: regex.sub(repl, t, count=count))
    raise AnalysisError(f"Unknown token filter factory: {f}")


# --------------------------------------------------------------------------- analyzer


class _FusedMapFilter(_Filter):
    """Consecutive 1:1 filters applied as one memoized function per token text."""

    def __init__(self, parts: list[_MapFilter]) -> None:
        raws = [p.raw for p in parts]
        kw_raws = [p.raw for p in parts if not p.skip_keywords]

        def compose(fns: list[Callable[[str], str]]) -> Callable[[str], str]:
            def run(text: str) -> str:
                for fn in fns:
                    text = fn(text)
                return text

            return run

        composed = compose(raws)
        self.fn = composed if all(p.cheap for p in parts) else _memo(composed)
        self.kw_fn = compose(kw_raws)
        self.any_skip = len(kw_raws) != len(raws)

    def __call__(self, toks: _Stream) -> _Stream:
        fn = self.fn
        if self.any_skip:
            kw_fn = self.kw_fn
            return [(kw_fn(t) if kw else fn(t), inc, kw) for t, inc, kw in toks]
        return [(fn(t), inc, kw) for t, inc, kw in toks]


def _fuse(filters: list[_Filter]) -> list[_Filter]:
    out: list[_Filter] = []
    run: list[_MapFilter] = []
    for f in [*filters, None]:
        if isinstance(f, _MapFilter):
            run.append(f)
            continue
        if len(run) == 1:
            out.append(run[0])
        elif run:
            out.append(_FusedMapFilter(run))
        run = []
        if f is not None:
            out.append(f)
    return out


_new_object = object.__new__


class Analyzer:
    """A tokenizer followed by token filters."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        filters: list[_Filter],
        description: str = "",
        keyword_tokenizer: bool = False,
    ) -> None:
        self._tokenizer = tokenizer
        self._multiterm = [f for f in filters if f.multiterm_aware]
        self._filters = _fuse(filters)
        # n-gram tokenizer followed only by per-code-point filters (CKAN's text_ngram:
        # NGram + LowerCase): positions() transforms the text once and cuts the grams
        self._gram_texts: Callable[[str], list[str]] | None = None
        self._gram_prepare: list[Callable[[str], str]] = []
        gram_texts = getattr(tokenizer, "gram_texts", None)
        if gram_texts is not None and all(
            isinstance(f, _MapFilter) and f.per_code_point and not f.skip_keywords
            for f in filters
        ):
            self._gram_texts = gram_texts
            self._gram_prepare = [f.raw for f in filters]  # type: ignore[attr-defined]
        self.description = description
        #: True when the tokenizer keeps the whole value as one token.
        self.keyword_tokenizer = keyword_tokenizer

    def analyze(self, text: str) -> list[Token]:
        texts, poss, _, _ = self._walk(text)
        out: list[Token] = []
        append = out.append
        set_text = _TOKEN_TEXT_SET
        set_pos = _TOKEN_POS_SET
        for t, pos in zip(texts, poss, strict=True):
            tok = _new_object(Token)
            set_text(tok, t)
            set_pos(tok, pos)
            append(tok)
        return out

    def positions(self, text: str) -> tuple[list[str], list[int], int, int]:
        """The indexing view of :meth:`analyze`, without Token objects.

        Returns ``(terms, positions, distinct positions, last position)``: the same terms
        and positions as :meth:`analyze` (as two lists); the count of distinct positions
        is Lucene's field length (overlapping tokens count once). N-gram analyzers take a
        fast path here (the tests compare it with :meth:`analyze`'s general path).
        """
        gram_texts = self._gram_texts
        if gram_texts is not None:
            for fn in self._gram_prepare:
                text = fn(text)
            grams = gram_texts(text)
            n = len(grams)
            return grams, list(range(n)), n, n - 1
        return self._walk(text)

    def _walk(self, text: str) -> tuple[list[str], list[int], int, int]:
        """Tokenizer and filters, then positions from the increments (the general path)."""
        toks = self._tokenizer(text)
        for f in self._filters:
            if not toks:
                return [], [], 0, -1
            toks = f(toks)
        texts: list[str] = []
        poss: list[int] = []
        add_text = texts.append
        add_pos = poss.append
        pos = -1
        prev = -1
        distinct = 0
        for t, inc, _ in toks:
            pos += inc
            if pos < 0:
                pos = 0
            if pos != prev:
                distinct += 1
                prev = pos
            add_text(t)
            add_pos(pos)
        return texts, poss, distinct, prev

    def multiterm(self, text: str) -> str:
        for f in self._multiterm:
            text = f.multiterm(text)
        return text

    def __repr__(self) -> str:
        return f"Analyzer({self.description})"


KEYWORD_ANALYZER = Analyzer(lambda text: [(text, 1, False)], [], "keyword", keyword_tokenizer=True)

_ANALYZER_CLASSES = {
    "whitespaceanalyzer": ("whitespace", []),
    "standardanalyzer": ("standard", ["lowercase"]),
    "keywordanalyzer": ("keyword", []),
    "simpleanalyzer": ("letter", ["lowercase"]),
}


def build_analyzer(element: ET.Element | None, resource_dir: str | None) -> Analyzer:
    """Build an :class:`Analyzer` from an ``<analyzer>`` element (``None``: keyword analyzer)."""
    if element is None:
        return KEYWORD_ANALYZER
    res = _Resources(resource_dir)
    cls = element.get("class")
    if cls:
        key = cls.rsplit(".", 1)[-1].lower()
        if key not in _ANALYZER_CLASSES:
            raise AnalysisError(f"Unknown analyzer class: {cls}")
        tok_kind, filter_kinds = _ANALYZER_CLASSES[key]
        tokenizer = _make_tokenizer(tok_kind, _Args(cls, {}))
        filters = [f for k in filter_kinds if (f := _make_filter(k, _Args(cls, {}), res))]
        return Analyzer(tokenizer, filters, cls, keyword_tokenizer=tok_kind == "keyword")
    tokenizer: Tokenizer | None = None
    tok_kind = ""
    filters: list[_Filter] = []
    names: list[str] = []
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tokenizer":
            if tokenizer is not None:
                raise AnalysisError("An analyzer can have only one <tokenizer>")
            tok_kind, label = _factory_key(child, ("TokenizerFactory",))
            tokenizer = _make_tokenizer(tok_kind, _Args(label, dict(child.attrib)))
            names.append(label)
        elif tag == "filter":
            kind, label = _factory_key(child, ("TokenFilterFactory", "FilterFactory"))
            flt = _make_filter(kind, _Args(label, dict(child.attrib)), res)
            if flt is not None:
                filters.append(flt)
            names.append(label)
        elif tag == "charFilter":
            _, label = _factory_key(child, ("CharFilterFactory",))
            raise AnalysisError(f"Unknown char filter factory: {label}")
    if tokenizer is None:
        raise AnalysisError("analyzer without class or tokenizer")
    return Analyzer(tokenizer, filters, " | ".join(names), keyword_tokenizer=tok_kind == "keyword")
