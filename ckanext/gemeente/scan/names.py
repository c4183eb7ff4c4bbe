"""The Dutch first-name and surname lists the name detector uses (``data/``, see BRON.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TUSSENVOEGSELS = frozenset(
    "van de der den ter ten het 't in op aan bij uit la le du d' 's van't".split())


def _read(path: str) -> set[str]:
    out: set[str] = set()
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip().lower()
            if line and not line.startswith("#"):
                out.add(line.split()[-1])   # "el amrani" -> "amrani": the last token counts
    return out


@dataclass(frozen=True)
class NameLists:
    first: frozenset[str]
    surnames: frozenset[str]


@lru_cache(maxsize=8)
def load_names(extra_dir: str | None = None) -> NameLists:
    first = _read(os.path.join(DATA_DIR, "voornamen.txt"))
    sur = _read(os.path.join(DATA_DIR, "achternamen.txt"))
    if extra_dir:
        first |= _read(os.path.join(extra_dir, "voornamen.txt"))
        sur |= _read(os.path.join(extra_dir, "achternamen.txt"))
    return NameLists(frozenset(first), frozenset(sur))
