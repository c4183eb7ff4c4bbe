"""SHACL for the RDF tests: the official shapes (read in place from ``../shared/dcat``), the
repository's own shapes, pySHACL results as plain dicts, and the test datasets.

Official shapes that cannot be loaded as published are repaired here, and each repair says
which shape and why; nothing else is left out.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import rdflib
from schema_testdata import SHARED_DCAT

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDF = rdflib.RDF
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OWN_SHAPES = os.path.join(ROOT, "ckanext", "gemeente", "schema", "shapes")
DEMO_DATA = os.path.join(ROOT, "scripts", "demo_data.json")

DCAT_AP_3 = ("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl")
DCAT_AP_NL_3 = tuple(
    os.path.join("dcat-ap-nl-3.0", name)
    for name in (
        "dcat-ap-nl-SHACL.ttl",
        "dcat-ap-nl-SHACL-aanbevolen.ttl",
        "dcat-ap-nl-SHACL-klassebereik.ttl",
        "dcat-ap-nl-SHACL-klassebereik-codelijsten.ttl",
    )
)


def require_shared() -> None:
    """The one allowed skip: the official shapes are third-party data outside the repo."""
    if not os.path.isdir(SHARED_DCAT):
        pytest.skip(
            f"official SHACL shapes folder {SHARED_DCAT} is absent (a checkout without "
            "../shared/dcat); the repository's own shapes are checked by test_dcat_own_shapes"
        )


def official(*names: str) -> rdflib.Graph:
    """Official shapes, with the published defects pySHACL cannot load repaired.

    DCAT-AP 3.0.1: ``dcat:DataServiceShape`` (in the constraints file) and
    ``dcat:DatasetShape``, ``dcat:DistributionShape``, ``dcat:RelationshipShape`` (in the
    ranges file) list ``sh:property`` shape IRIs that neither file defines (7 in all, e.g.
    ``dcat:DatasetShape/4918ff7a…``). pySHACL refuses a dangling property shape ("not a
    well-formed SHACL PropertyShape"); having no path, they constrain nothing, so the
    dangling references are dropped. Every defined constraint is kept.
    """
    require_shared()
    g = rdflib.Graph()
    for name in names:
        g.parse(os.path.join(SHARED_DCAT, name), format="turtle")
    for shape, prop in list(g.subject_objects(SH.property)):
        if (prop, SH.path, None) not in g:
            g.remove((shape, SH.property, prop))
    return g


def own(*names: str) -> rdflib.Graph:
    """The repository's own shapes (``ckanext/gemeente/schema/shapes``); all of them."""
    g = rdflib.Graph()
    for name in names or sorted(os.listdir(OWN_SHAPES)):
        if name.endswith(".ttl"):
            g.parse(os.path.join(OWN_SHAPES, name), format="turtle")
    return g


def results(data: rdflib.Graph, shape_graph: rdflib.Graph) -> list[dict[str, str]]:
    import pyshacl

    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shape_graph, inference="none", allow_warnings=True
    )
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.append(
            {
                "severity": str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                "component": str(report.value(r, SH.sourceConstraintComponent)).rsplit("#")[-1],
                "path": str(report.value(r, SH.resultPath)),
                "focus": str(report.value(r, SH.focusNode)),
                "value": str(report.value(r, SH.value) or ""),
                "message": str(report.value(r, SH.resultMessage)),
            }
        )
    return sorted(out, key=lambda r: (r["focus"], r["path"], r["component"]))


def show(found: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{r['severity']} {r['component']} {r['path']} @ {r['focus']} ({r['value']}): "
        f"{r['message']}"
        for r in found
    )


def violations(found: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in found if r["severity"] == "Violation"]


def demo_data() -> dict[str, Any]:
    """The demo's data, read at test time (other stages may extend it)."""
    with open(DEMO_DATA, encoding="utf-8") as fh:
        return json.load(fh)
