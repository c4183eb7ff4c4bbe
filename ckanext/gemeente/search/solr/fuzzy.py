"""Fuzzy term expansion with the semantics of Lucene's ``FuzzyQuery`` (as Solr uses it).

A term ``t`` of the field matches ``text~k`` when the two agree on the first
``prefix_length`` characters and the rest is within ``k`` edits: insertions, deletions,
substitutions and transpositions of two adjacent characters, each one edit (Lucene's
Levenshtein automata with transpositions: the optimal-string-alignment distance).
Each match gets Lucene's boost ``1 - edits / min(len(t), len(text))`` (1 for the exact
term; Lucene 8 keeps a term whose boost comes out at or below 0 as a match that scores
0). The ``max_expansions`` terms with the highest boost are kept, ties going to the
smaller term, as ``TopTermsBlendedFreqScoringRewrite`` does; they then score as one
blended query (every term with the highest document frequency among them).
Lengths count code points, as Lucene does.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence


def _f32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``, or ``limit + 1`` when it
    is larger than ``limit``."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    if not la or not lb:
        return max(la, lb)
    over = limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ca = a[i - 1]
        cur = [i] + [0] * lb
        row_min = i
        for j in range(1, lb + 1):
            cb = b[j - 1]
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and ca != cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:
            return over
        prev2, prev = prev, cur
    d = prev[lb]
    return d if d <= limit else over


def expand(
    text: str,
    max_edits: int,
    prefix_length: int,
    max_expansions: int,
    terms_by_length: Mapping[int, Sequence[str]],
) -> list[tuple[str, float]]:
    """The terms ``text~max_edits`` expands to, with their boosts (best first)."""
    n = len(text)
    if max_edits <= 0 or prefix_length >= n:
        return [(text, 1.0)] if text in terms_by_length.get(n, ()) else []
    prefix = text[:prefix_length]
    rest = text[prefix_length:]
    chars = set(rest)
    found: list[tuple[float, str]] = []
    for length in range(max(n - max_edits, 0), n + max_edits + 1):
        for term in terms_by_length.get(length, ()):
            if prefix and not term.startswith(prefix):
                continue
            tail = term[prefix_length:]
            # each character of one missing from the other costs at least one edit
            if len(chars.difference(tail)) > max_edits:
                continue
            ed = osa_distance(rest, tail, max_edits)
            if ed > max_edits:
                continue
            boost = 1.0 if ed == 0 else _f32(1.0 - _f32(ed / min(length, n)))
            found.append((boost, term))
    found.sort(key=lambda bt: (-bt[0], bt[1]))
    return [(term, boost) for boost, term in found[:max_expansions]]
