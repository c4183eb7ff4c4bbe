"""Update operations as typed records: what an update request asks the core to do.

:mod:`.update_request` turns a request body into a list of these; :class:`.core.Core`
queues them and applies them at the next commit. An :class:`Add` carries the prepared
document (field name -> converted values, see :meth:`.solrschema.Schema.prepare`) and,
once :mod:`.documents` has run the analyzers on it, its :class:`.documents.Analyzed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import ast

if TYPE_CHECKING:
    from .documents import Analyzed

#: a prepared document: field name -> values converted by the field's type
Doc = dict[str, list[Any]]


@dataclass(eq=False, slots=True)
class Add:
    """Add or replace the document whose unique key is ``key``."""

    key: str
    doc: Doc
    #: the document's term tables, set by whoever analyses it first (the update's thread
    #: after answering the client, or the commit)
    analyzed: Analyzed | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class DeleteById:
    key: str


@dataclass(frozen=True, slots=True)
class DeleteByQuery:
    """Delete every document matching ``query``, also pending ones added before it."""

    query: ast.Query


@dataclass(frozen=True, slots=True)
class Commit:
    """``<commit/>``, ``<optimize/>``, ``{"commit": {}}``: apply everything pending."""


@dataclass(frozen=True, slots=True)
class Rollback:
    """Drop every pending operation."""


Operation = Add | DeleteById | DeleteByQuery | Commit | Rollback


@dataclass(slots=True)
class UpdateRequest:
    """A parsed and validated update: its operations in order, and whether it commits
    at the end (``commit=true``, ``softCommit``, ``commitWithin``, ``optimize``)."""

    ops: list[Operation] = field(default_factory=list)
    commit: bool = False
