"""Parsing of ``/update`` bodies (JSON and XML) into typed operations (:mod:`.ops`).

Every document is checked against the schema (:meth:`.solrschema.Schema.prepare`)
before anything is queued: one bad document rejects the whole request (400).

Update XML is parsed with expat and handlers that refuse any document type declaration
(and so any entity declaration) wherever it stands in the body; only XML's predefined
entities and character references are expanded. A billion-laughs body is a 400.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, NoReturn
from xml.parsers import expat

from .errors import SolrError
from .ops import Add, Commit, DeleteById, DeleteByQuery, Operation, Rollback, UpdateRequest
from .params import Params, truthy
from .query import parse_lucene

DOCTYPE_REFUSED = "DOCTYPE is not allowed in update XML"


def parse_update(
    schema: Any, body: bytes, content_type: str, params: Params
) -> UpdateRequest:
    """Parse and validate an update request (body and ``commit``-like parameters)."""
    ct = content_type.split(";", 1)[0].strip().lower()
    text = body.strip()
    req = UpdateRequest()
    if text:
        if ct in ("application/json", "text/json") or (
            ct not in ("application/xml", "text/xml") and text[:1] in (b"[", b"{")
        ):
            req = _parse_json_update(schema, body)
        else:
            req = _parse_xml_update(schema, body)
    if any(truthy(params.get(p)) for p in ("commit", "softCommit", "optimize")) or \
            params.get("commitWithin") not in (None, "", "-1"):
        req.commit = True
    return req


def prepare_add(schema: Any, doc: Any) -> Add:
    """One document checked and converted by the schema, as an :class:`.ops.Add`."""
    if not isinstance(doc, dict):
        raise SolrError(f"Expected a document (JSON object) but got: {json.dumps(doc)[:200]}")
    try:
        prepared = schema.prepare(doc)
    except SolrError:
        raise
    except Exception as exc:  # noqa: BLE001 - bad input must never be a 500
        raise SolrError(
            f"ERROR: [doc={doc.get(schema.unique_key)}] Error adding document: {exc}"
        ) from exc
    key_name = schema.unique_key
    keys = prepared.get(key_name)
    if not keys:
        raise SolrError(f"Document is missing mandatory uniqueKey field: {key_name}")
    return Add(str(keys[0]), prepared)


def _delete_query(schema: Any, q: str) -> DeleteByQuery:
    return DeleteByQuery(parse_lucene(q, schema, df=None, q_op="OR"))


# --------------------------------------------------------------------------- JSON

def _parse_json_update(schema: Any, body: bytes) -> UpdateRequest:
    try:
        data = json.loads(body, object_pairs_hook=_Pairs)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SolrError(f"Cannot parse provided JSON: {exc}") from None
    req = UpdateRequest()
    ops = req.ops
    if isinstance(data, list):
        for doc in data:
            ops.append(prepare_add(schema, _plain(doc)))
        return req
    if not isinstance(data, _Pairs):
        raise SolrError(f"Cannot parse provided JSON: Expected JSON Array or Object: {body[:40]!r}")
    for cmd, arg in data.pairs:
        if cmd == "add":
            if isinstance(arg, _Pairs):
                a = arg.as_dict()
                doc = a.get("doc")
                if doc is None:
                    raise SolrError("Missing solr document: add requires a 'doc'")
                ops.append(prepare_add(schema, doc))
                if a.get("commitWithin") not in (None, -1, "-1"):
                    req.commit = True
            elif isinstance(arg, list):
                for doc in arg:
                    ops.append(prepare_add(schema, _plain(doc)))
            else:
                raise SolrError("Unexpected value for 'add' command")
        elif cmd == "delete":
            ops.extend(_json_delete(schema, arg))
        elif cmd == "commit" or cmd == "optimize":
            ops.append(Commit())
        elif cmd == "rollback":
            ops.append(Rollback())
        else:
            raise SolrError(f"Unknown command '{cmd}' at [{body.find(cmd.encode())}]")
    return req


def _json_delete(schema: Any, arg: Any) -> list[Operation]:
    if isinstance(arg, (str, int, float)):
        return [DeleteById(str(arg))]
    if isinstance(arg, list):
        out: list[Operation] = []
        for item in arg:
            out.extend(_json_delete(schema, item))
        return out
    if isinstance(arg, _Pairs):
        d = arg.as_dict()
        if "id" in d:
            return [DeleteById(str(d["id"]))]
        if "query" in d:
            return [_delete_query(schema, str(d["query"]))]
        raise SolrError(f"Invalid delete command: {json.dumps(d)[:200]}")
    raise SolrError("Invalid delete command")


class _Pairs:
    """A JSON object that keeps repeated keys (Solr's update commands repeat)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.pairs}


def _plain(v: Any) -> Any:
    if isinstance(v, _Pairs):
        return v.as_dict()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


# --------------------------------------------------------------------------- XML

def _refuse(*_args: Any) -> NoReturn:
    raise SolrError(DOCTYPE_REFUSED)


def parse_xml(body: bytes) -> ET.Element:
    """The element tree of ``body``; any DOCTYPE or entity declaration is refused (400).

    expat reports a document type declaration wherever it stands (after a long comment,
    after processing instructions), before any entity in it could be declared or used.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.buffer_text = True
    stack: list[ET.Element] = []
    root: list[ET.Element] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = ET.Element(tag, attrs)
        if stack:
            stack[-1].append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(_tag: str) -> None:
        stack.pop()

    def data(text: str) -> None:
        if not stack:
            return
        cur = stack[-1]
        if len(cur):
            last = cur[-1]
            last.tail = (last.tail or "") + text
        else:
            cur.text = (cur.text or "") + text

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise SolrError(f"Unexpected XML in update request: {exc}") from None
    if not root:
        raise SolrError("Unexpected XML in update request: no element found")
    return root[0]


def _parse_xml_update(schema: Any, body: bytes) -> UpdateRequest:
    root = parse_xml(body)
    req = UpdateRequest()
    ops = req.ops
    elements = list(root) if root.tag == "update" else [root]
    for el in elements:
        tag = el.tag
        if tag == "add":
            if el.get("commitWithin") not in (None, "-1"):
                req.commit = True
            for doc_el in el:
                if doc_el.tag != "doc":
                    raise SolrError(
                        f"Unexpected <{doc_el.tag}> tag without an <add> tag surrounding it."
                    )
                doc: dict[str, Any] = {}
                for f in doc_el:
                    if f.tag != "field":
                        continue
                    name = f.get("name")
                    if not name:
                        raise SolrError("Field without name attribute")
                    if f.get("null") == "true":
                        continue
                    value = f.text or ""
                    if name in doc:
                        prev = doc[name]
                        doc[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
                    else:
                        doc[name] = value
                ops.append(prepare_add(schema, doc))
        elif tag == "delete":
            for sub in el:
                if sub.tag == "id":
                    ops.append(DeleteById((sub.text or "").strip()))
                elif sub.tag == "query":
                    ops.append(_delete_query(schema, sub.text or ""))
                else:
                    raise SolrError(f"unexpected XML tag /delete/{sub.tag}")
        elif tag in ("commit", "optimize"):
            ops.append(Commit())
        elif tag == "rollback":
            ops.append(Rollback())
        else:
            raise SolrError(f"Unexpected tag without an <add> tag surrounding it: <{tag}>")
    return req

