"""Function queries: the subset of Solr's function syntax ckanext-spatial uses, and more.

``sum``/``add``, ``sub``, ``product``/``mul``, ``div``, ``max``, ``min``, ``abs``,
``sqrt``, ``pow``, ``log``, ``ln``, ``field(name)``, numeric constants and bare field
names, nested freely, e.g. ckanext-spatial's ``solr-bbox`` overlap ratio
``div(mul(mul(max(0,sub(min(7.2,maxx),max(3.3,minx))),...),2),add(16.1,...))``.

Values are computed as Solr's float functions do (32-bit floats; Java's ``x/0``
gives an infinity or NaN); a document without a value in a numeric field reads 0.
:func:`parse_function` checks names and arity (400 for anything else);
:class:`.execute.Executor` evaluates them per document for ``{!frange}``, ``{!func}``
and the ``bf`` parameter of dismax and edismax.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SolrError


@dataclass(frozen=True, slots=True)
class Const:
    value: float


@dataclass(frozen=True, slots=True)
class FieldValue:
    field: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]


Expr = Const | FieldValue | Call


def f32(x: float) -> float:
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


def _div(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * (math.copysign(1.0, b))
    return a / b


def _log10(a: float) -> float:
    return math.log10(a) if a > 0 else (-math.inf if a == 0 else math.nan)


def _ln(a: float) -> float:
    return math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        return math.nan if a < 0 else math.inf


#: name -> (minimum arguments, maximum arguments or None, implementation)
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., float]]] = {
    "sum": (1, None, lambda *a: sum(a)),
    "add": (1, None, lambda *a: sum(a)),
    "product": (1, None, lambda *a: math.prod(a)),
    "mul": (1, None, lambda *a: math.prod(a)),
    "sub": (2, 2, lambda a, b: a - b),
    "div": (2, 2, _div),
    "max": (1, None, lambda *a: max(a)),
    "min": (1, None, lambda *a: min(a)),
    "abs": (1, 1, abs),
    "sqrt": (1, 1, lambda a: math.sqrt(a) if a >= 0 else math.nan),
    "pow": (2, 2, _pow),
    "log": (1, 1, _log10),
    "ln": (1, 1, _ln),
}

_TOKEN = re.compile(r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])"
                    r"|(?P<name>[A-Za-z_][\w.\-]*)|(?P<punct>[(),]))")


def parse_function(text: str, schema: Any) -> Expr:
    """Parse a function; field names must be single-valued numeric fields of ``schema``."""
    pos = 0
    tokens: list[tuple[str, str]] = []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SolrError(f"org.apache.solr.search.SyntaxError: Expected identifier at "
                            f"pos {pos} str='{text[:200]}'")
        kind = m.lastgroup or "punct"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    i = 0

    def fail(what: str) -> SolrError:
        return SolrError(f"org.apache.solr.search.SyntaxError: {what} in function "
                         f"'{text[:200]}'")

    def expr() -> Expr:
        nonlocal i
        if i >= len(tokens):
            raise fail("Missing end of function")
        kind, value = tokens[i]
        i += 1
        if kind == "num":
            return Const(f32(float(value)))
        if kind != "name":
            raise fail(f"Unexpected '{value}'")
        if i < len(tokens) and tokens[i] == ("punct", "("):
            i += 1
            args: list[Expr] = []
            if i < len(tokens) and tokens[i] == ("punct", ")"):
                i += 1
            else:
                while True:
                    args.append(expr())
                    if i >= len(tokens):
                        raise fail("Missing ')'")
                    sep = tokens[i][1]
                    i += 1
                    if sep == ")":
                        break
                    if sep != ",":
                        raise fail(f"Expected ',' or ')' but got '{sep}'")
            name = value.lower()
            if name == "field":
                if len(args) != 1 or not isinstance(args[0], FieldValue):
                    raise fail("field() takes one field name")
                return args[0]
            spec = FUNCTIONS.get(name)
            if spec is None:
                raise SolrError(f"org.apache.solr.search.SyntaxError: Unknown function "
                                f"{value} in FunctionQuery('{text[:200]}', pos={pos})")
            lo, hi, _impl = spec
            if len(args) < lo or (hi is not None and len(args) > hi):
                raise fail(f"Wrong number of arguments for {value}")
            return Call(name, tuple(args))
        return _field(value)

    def _field(name: str) -> FieldValue:
        f = schema.field(name)
        if f is None:
            raise SolrError(f"undefined field: \"{name}\"")
        kind = getattr(f.type, "kind", "")
        if kind not in ("int", "long", "float", "double", "date"):
            raise SolrError(f"can not use FieldCache on a field w/o docValues unless it is "
                            f"indexed uninvertible=true and the type supports Uninversion: "
                            f"{name}")
        return FieldValue(name)

    result = expr()
    if i != len(tokens):
        raise fail(f"Unexpected '{tokens[i][1]}' after the function")
    return result


def fields_of(e: Expr) -> set[str]:
    if isinstance(e, FieldValue):
        return {e.field}
    if isinstance(e, Call):
        out: set[str] = set()
        for a in e.args:
            out |= fields_of(a)
        return out
    return set()


def compile_function(e: Expr, value_of: Callable[[str], Callable[[int], float]]
                     ) -> Callable[[int], float]:
    """``docnum -> value``; ``value_of(field)`` gives a field's ``docnum -> value``."""
    if isinstance(e, Const):
        v = e.value
        return lambda d: v
    if isinstance(e, FieldValue):
        return value_of(e.field)
    impl = FUNCTIONS[e.name][2]
    args = [compile_function(a, value_of) for a in e.args]
    if len(args) == 1:
        a0 = args[0]
        return lambda d: f32(impl(a0(d)))
    if len(args) == 2:
        a0, a1 = args
        return lambda d: f32(impl(a0(d), a1(d)))
    return lambda d: f32(impl(*[a(d) for a in args]))


def to_string(e: Expr) -> str:
    if isinstance(e, Const):
        return repr(e.value)
    if isinstance(e, FieldValue):
        return e.field
    return f"{e.name}({','.join(to_string(a) for a in e.args)})"
