"""Shapes of spatial fields (Solr's RPT field type) and their spatial predicates.

What ckanext-spatial's ``solr-spatial-field`` backend indexes and asks: WKT geometries
(``POINT``, ``LINESTRING``, ``POLYGON`` with holes, their ``MULTI`` forms,
``GEOMETRYCOLLECTION``) plus Spatial4j's ``ENVELOPE(minX, maxX, maxY, minY)``, Solr's
``lat,lon`` and ``x y`` points; queries ``Intersects``, ``IsWithin``, ``Contains`` and
``IsDisjointTo`` of a shape, e.g. ``Intersects(ENVELOPE(3.3, 7.2, 53.6, 50.7))``.

Geometry is planar in degrees, evaluated exactly (Solr's RPT grid is approximate near
edges, within ``distErrPct``). An envelope whose ``minX`` is greater than its ``maxX``
crosses the antimeridian (Spatial4j's rule) and covers both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SolrError

Coord = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Rect:
    minx: float
    maxx: float
    miny: float
    maxy: float

    def contains_point(self, x: float, y: float) -> bool:
        return self.minx <= x <= self.maxx and self.miny <= y <= self.maxy

    def overlaps(self, other: Rect) -> bool:
        return (self.minx <= other.maxx and other.minx <= self.maxx
                and self.miny <= other.maxy and other.miny <= self.maxy)

    def within(self, other: Rect) -> bool:
        return (other.minx <= self.minx and self.maxx <= other.maxx
                and other.miny <= self.miny and self.maxy <= other.maxy)

    def corners(self) -> list[Coord]:
        return [(self.minx, self.miny), (self.maxx, self.miny), (self.maxx, self.maxy),
                (self.minx, self.maxy)]

    def edges(self) -> list[tuple[Coord, Coord]]:
        c = self.corners()
        return [(c[i], c[(i + 1) % 4]) for i in range(4)]


@dataclass(frozen=True, slots=True)
class Shape:
    """A geometry: ``kind`` is ``point``, ``line``, ``polygon`` or ``rect``; ``rings``
    holds the coordinates (one ring for points and lines, exterior then holes for
    polygons), ``bbox`` the extent; ``parts`` of a multi-geometry are shapes."""

    kind: str
    rings: tuple[tuple[Coord, ...], ...]
    bbox: Rect
    parts: tuple[Shape, ...] = ()


def _bbox(coords: list[Coord]) -> Rect:
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    return Rect(min(xs), max(xs), min(ys), max(ys))


def rect_shape(r: Rect) -> Shape:
    return Shape("rect", (tuple(r.corners()),), r)


def _multi(parts: list[Shape]) -> Shape:
    if not parts:
        raise ValueError("empty geometry")
    if len(parts) == 1:
        return parts[0]
    boxes = [p.bbox for p in parts]
    bbox = Rect(min(b.minx for b in boxes), max(b.maxx for b in boxes),
                min(b.miny for b in boxes), max(b.maxy for b in boxes))
    return Shape("multi", (), bbox, tuple(parts))


# --------------------------------------------------------------------------- parsing

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LATLON = re.compile(rf"\s*({_NUM})\s*,\s*({_NUM})\s*\Z")
_XY = re.compile(rf"\s*({_NUM})\s+({_NUM})\s*\Z")


class _WKT:
    def __init__(self, text: str) -> None:
        self.tokens = re.findall(rf"{_NUM}|[A-Za-z]+|[(),]", text)
        if "".join(self.tokens).replace(" ", "") != re.sub(r"\s+", "", text):
            raise ValueError("unexpected characters")
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok.upper() != expected):
            raise ValueError(f"expected {expected or 'more'} at token {self.i}")
        self.i += 1
        return tok

    def number(self) -> float:
        tok = self.take()
        try:
            return float(tok)
        except ValueError:
            raise ValueError(f"expected a number, got {tok!r}") from None

    def coord(self) -> Coord:
        x = self.number()
        y = self.number()
        while self.peek() not in (",", ")", None):  # Z / M values are ignored
            self.number()
        return (x, y)

    def coords(self) -> list[Coord]:
        self.take("(")
        out = [self.coord()]
        while self.peek() == ",":
            self.take(",")
            out.append(self.coord())
        self.take(")")
        return out

    def rings(self) -> list[list[Coord]]:
        self.take("(")
        out = [self.coords()]
        while self.peek() == ",":
            self.take(",")
            out.append(self.coords())
        self.take(")")
        return out

    def geometry(self) -> Shape:
        kind = self.take().upper()
        if kind == "POINT":
            self.take("(")
            c = self.coord()
            self.take(")")
            return Shape("point", ((c,),), Rect(c[0], c[0], c[1], c[1]))
        if kind == "LINESTRING":
            cs = self.coords()
            return Shape("line", (tuple(cs),), _bbox(cs))
        if kind == "POLYGON":
            return _polygon(self.rings())
        if kind == "ENVELOPE":
            self.take("(")
            minx = self.number()
            self.take(",")
            maxx = self.number()
            self.take(",")
            maxy = self.number()
            self.take(",")
            miny = self.number()
            self.take(")")
            if miny > maxy:
                raise ValueError("ENVELOPE maxY is below minY")
            if minx > maxx:  # crosses the antimeridian
                return _multi([rect_shape(Rect(minx, 180.0, miny, maxy)),
                               rect_shape(Rect(-180.0, maxx, miny, maxy))])
            return rect_shape(Rect(minx, maxx, miny, maxy))
        if kind == "MULTIPOINT":
            self.take("(")
            pts: list[Coord] = []
            while True:
                if self.peek() == "(":
                    self.take("(")
                    pts.append(self.coord())
                    self.take(")")
                else:
                    pts.append(self.coord())
                if self.peek() != ",":
                    break
                self.take(",")
            self.take(")")
            return _multi([Shape("point", ((p,),), Rect(p[0], p[0], p[1], p[1])) for p in pts])
        if kind == "MULTILINESTRING":
            return _multi([Shape("line", (tuple(cs),), _bbox(cs)) for cs in self.rings()])
        if kind == "MULTIPOLYGON":
            self.take("(")
            polys = [_polygon(self.rings())]
            while self.peek() == ",":
                self.take(",")
                polys.append(_polygon(self.rings()))
            self.take(")")
            return _multi(polys)
        if kind == "GEOMETRYCOLLECTION":
            self.take("(")
            parts = [self.geometry()]
            while self.peek() == ",":
                self.take(",")
                parts.append(self.geometry())
            self.take(")")
            return _multi(parts)
        raise ValueError(f"unknown shape type {kind}")


def _polygon(rings: list[list[Coord]]) -> Shape:
    for ring in rings:
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise ValueError("a polygon ring needs at least 4 points, the last the first")
    return Shape("polygon", tuple(tuple(r) for r in rings), _bbox(rings[0]))


def parse_shape(text: str) -> Shape:
    """A shape from Solr's spatial formats; :class:`SolrError` (400) when unreadable."""
    m = _LATLON.match(text)
    if m:  # "lat,lon"
        y, x = float(m.group(1)), float(m.group(2))
        return Shape("point", (((x, y),),), Rect(x, x, y, y))
    m = _XY.match(text)
    if m:  # "x y"
        x, y = float(m.group(1)), float(m.group(2))
        return Shape("point", (((x, y),),), Rect(x, x, y, y))
    try:
        parser = _WKT(text)
        shape = parser.geometry()
        if parser.peek() is not None:
            raise ValueError("text after the shape")
    except (ValueError, IndexError) as exc:
        raise SolrError(f"Unable to parse shape given formats \"lat,lon\", \"x y\" or as "
                        f"WKT because {exc} input: {text[:200]}") from None
    return shape


# --------------------------------------------------------------------------- predicates

def _orient(a: Coord, b: Coord, c: Coord) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Coord, b: Coord, p: Coord) -> bool:
    return (min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= p[1] <= max(a[1], b[1]))


def segments_intersect(a: Coord, b: Coord, c: Coord, d: Coord) -> bool:
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 > o2) or (o1 < 0 < o2)) and ((o3 > 0 > o4) or (o3 < 0 < o4)):
        return True
    return ((o1 == 0 and _on_segment(a, b, c)) or (o2 == 0 and _on_segment(a, b, d))
            or (o3 == 0 and _on_segment(c, d, a)) or (o4 == 0 and _on_segment(c, d, b)))


def _in_ring(ring: tuple[Coord, ...], p: Coord) -> int:
    """1 inside, 0 on the boundary, -1 outside."""
    x, y = p
    inside = False
    for i in range(len(ring) - 1):
        a, b = ring[i], ring[i + 1]
        if _orient(a, b, p) == 0 and _on_segment(a, b, p):
            return 0
        if (a[1] > y) != (b[1] > y):
            xs = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < xs:
                inside = not inside
    return 1 if inside else -1


def _in_polygon(shape: Shape, p: Coord) -> bool:
    """Inside or on the boundary of a polygon (holes excluded, their edges included)."""
    where = _in_ring(shape.rings[0], p)
    if where < 0:
        return False
    if where == 0:
        return True
    return all(_in_ring(hole, p) != 1 for hole in shape.rings[1:])


def _segments(shape: Shape) -> list[tuple[Coord, Coord]]:
    return [(ring[i], ring[i + 1]) for ring in shape.rings for i in range(len(ring) - 1)]


def intersects(shape: Shape, rect: Rect) -> bool:
    """Do ``shape`` and the (closed) rectangle share a point?"""
    if not shape.bbox.overlaps(rect):
        return False
    if shape.parts:
        return any(intersects(p, rect) for p in shape.parts)
    if shape.kind in ("rect", "point"):
        return True  # bbox overlap is the whole story
    if any(rect.contains_point(*c) for ring in shape.rings for c in ring):
        return True
    if shape.kind == "polygon" and any(_in_polygon(shape, c) for c in rect.corners()):
        return True
    edges = rect.edges()
    return any(segments_intersect(a, b, c, d) for a, b in _segments(shape) for c, d in edges)


def within(shape: Shape, rect: Rect) -> bool:
    """Is ``shape`` inside the rectangle (a convex area: its extent is enough)?"""
    return shape.bbox.within(rect)


def _crosses_interior(a: Coord, b: Coord, rect: Rect) -> bool:
    """Does segment a-b pass through the open interior of ``rect`` (Liang-Barsky)?"""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - rect.minx), (dx, rect.maxx - a[0]),
                 (-dy, a[1] - rect.miny), (dy, rect.maxy - a[1])):
        if p == 0:
            if q <= 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    if t0 >= t1:
        return False
    mx, my = a[0] + dx * (t0 + t1) / 2, a[1] + dy * (t0 + t1) / 2
    return rect.minx < mx < rect.maxx and rect.miny < my < rect.maxy


def contains(shape: Shape, rect: Rect) -> bool:
    """Does ``shape`` cover the whole rectangle?"""
    if not rect.within(shape.bbox):
        return False
    if shape.parts:
        return any(contains(p, rect) for p in shape.parts)
    if shape.kind == "rect":
        return True
    if shape.kind != "polygon":
        return rect.minx == rect.maxx and rect.miny == rect.maxy and intersects(shape, rect)
    if not all(_in_polygon(shape, c) for c in rect.corners()):
        return False
    return not any(_crosses_interior(a, b, rect) for a, b in _segments(shape))


PREDICATES = ("Intersects", "IsWithin", "Contains", "IsDisjointTo")
_PREDICATE_RE = re.compile(r"\s*(\w+)\s*\((.*)\)\s*\Z", re.DOTALL)


def parse_predicate(text: str) -> tuple[str, Shape]:
    """``Intersects(ENVELOPE(...))`` -> ``("Intersects", shape)``."""
    m = _PREDICATE_RE.match(text)
    if not m or m.group(1) not in PREDICATES:
        raise SolrError(f"Unknown spatial predicate or bad syntax: {text[:200]} "
                        f"(expected one of {', '.join(PREDICATES)}(shape))")
    return m.group(1), parse_shape(m.group(2))


def _rects(shape: Shape) -> list[Rect]:
    """A query shape as rectangles (envelopes; other shapes by their extent)."""
    if shape.parts and all(p.kind == "rect" for p in shape.parts):
        return [p.bbox for p in shape.parts]
    return [shape.bbox]


def matches(op: str, indexed: Shape, query: Shape) -> bool:
    rects = _rects(query)
    if op == "Intersects":
        return any(intersects(indexed, r) for r in rects)
    if op == "IsDisjointTo":
        return not any(intersects(indexed, r) for r in rects)
    if op == "IsWithin":
        return any(within(indexed, r) for r in rects)
    return any(contains(indexed, r) for r in rects)  # Contains
