"""The audit trail's hash chain (pure Python, no CKAN imports).

Every audit row is hashed together with the hash of the row before it::

    hash(n) = sha256(prev_hash(n) + "\\n" + payload(row n))

where ``payload`` is the compact JSON array (UTF-8 text) of the row's values of
:data:`HASHED_FIELDS` in that order (the sequence number included, so re-numbering is
detected).
JSON-valued fields (checklist, findings) are stored as the canonical JSON text they were
hashed as. The first row's ``prev_hash`` is :data:`GENESIS`.

:func:`verify` walks rows in sequence order and reports the first row whose stored
``prev_hash`` or ``hash`` does not match, or whose sequence number breaks the run 1, 2, 3...
An edited row fails its own hash; a deleted row breaks the next row's ``prev_hash`` and the
sequence; a re-ordered trail breaks both. (Removing rows at the *end* leaves a shorter valid
chain: keep the last hash elsewhere, e.g. in the export given to the authority, to detect that.)
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS: tuple[str, ...] = (
    "seq",
    "package_id",
    "step",
    "actor",
    "role",
    "created",
    "from_state",
    "to_state",
    "checklist",
    "findings",
    "content_hash",
    "comment",
    "target",
)

_sha256 = hashlib.sha256
_getter = operator.itemgetter(*HASHED_FIELDS)
_quote = json.encoder.encode_basestring  # json's own C escaper (as with ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_array = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default).encode


def canonical_json(value: Any) -> str:
    """Canonical JSON text of ``value`` (sorted keys, compact, UTF-8, datetimes ISO)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def timestamp(value: datetime | str | None) -> str | None:
    """The text form of a time in the chain: ISO 8601 with microseconds."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat(timespec="microseconds")


def payload(row: Mapping[str, Any]) -> str:
    """The canonical text of one row: the JSON array of its :data:`HASHED_FIELDS` values in
    that order (compact, UTF-8 text, ``created`` as ISO 8601 with microseconds). Written out
    by hand (it equals ``json.dumps(values, separators=(",", ":"), ensure_ascii=False)``):
    this is the hot path of :func:`verify`."""
    try:
        values = _getter(row)
    except KeyError:
        values = tuple(row.get(name) for name in HASHED_FIELDS)
    out = []
    append = out.append
    for value in values:
        cls = value.__class__
        if cls is str:
            append(_quote(value))
        elif value is None:
            append("null")
        elif cls is int:
            append(str(value))
        elif cls is datetime:
            append('"' + value.isoformat(timespec="microseconds") + '"')
        else:
            append(_array(value))
    return "[" + ",".join(out) + "]"


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of ``row`` chained to ``prev_hash``."""
    return _sha256((prev_hash + "\n" + payload(row)).encode("utf-8")).hexdigest()


def seal(row: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    """Set ``prev_hash`` and ``hash`` on a new row (its ``seq`` must already be set)."""
    row["prev_hash"] = prev_hash
    row["hash"] = row_hash(row, prev_hash)
    return row


@dataclass
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    reason: str = ""
    last_hash: str = GENESIS

    def message(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.count} rows, last hash {self.last_hash}"
        return f"audit trail BROKEN at row {self.broken_seq}: {self.reason}"


def verify(rows: Iterable[Mapping[str, Any]]) -> VerifyResult:
    """Check the chain over ``rows`` (in ``seq`` order); stops at the first broken row."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        seq = row.get("seq")
        if seq != expected_seq:
            return VerifyResult(False, count, seq,
                                f"sequence number {seq}, expected {expected_seq} "
                                "(a row was deleted, inserted or re-numbered)", prev)
        if row.get("prev_hash") != prev:
            return VerifyResult(False, count, seq,
                                "prev_hash does not match the hash of the row before "
                                "(a row before it was deleted or re-ordered)", prev)
        digest = _sha256((prev + "\n" + payload(row)).encode("utf-8")).hexdigest()
        if row.get("hash") != digest:
            return VerifyResult(False, count, seq,
                                "hash does not match the row's content (the row was edited)",
                                prev)
        prev = digest
        expected_seq += 1
        count += 1
    return VerifyResult(True, count, None, "", prev)
