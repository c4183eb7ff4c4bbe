"""DCAT-AP-DONL feeds of an invented partner body (GGD Zaanstreek-Waterland), for the tests.

:func:`feed_pages` writes a catalogue of ``n`` datasets as Turtle pages of ``per_page``
datasets linked by Hydra (``hydra:next``), the way ckanext-dcat pages its own
``/catalog.ttl``; :func:`as_format` re-serialises a page as RDF/XML or JSON-LD. The
hostile documents (billion laughs, external entity, truncated Turtle) are at the bottom.
"""

from __future__ import annotations

import rdflib

PREFIXES = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix overheid: <http://standaarden.overheid.nl/owms/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SITE = "https://data.ggd-zw.example.nl"
EU = "http://publications.europa.eu/resource/authority/"
TOPICS = [
    ("Luchtkwaliteit", "Fijnstof- en stikstofdioxidemetingen per meetpunt, per uur."),
    ("Vaccinatiegraad", "Vaccinatiegraad per gemeente en leeftijdsgroep (geaggregeerd)."),
    ("Gezondheidsmonitor jongeren", "Uitkomsten van de monitor per wijk; kleine aantallen "
                                    "onderdrukt."),
    ("Legionellapreventie", "Locaties van collectieve leidingwaterinstallaties in beheer."),
    ("Hitteplan", "Koele plekken en drinkwaterpunten tijdens hittegolven in de Zaanstreek."),
]


def dataset_turtle(i: int, title_suffix: str = "") -> str:
    topic, text = TOPICS[i % len(TOPICS)]
    uri = f"{SITE}/dataset/ds-{i:05d}"
    return f"""
<{uri}> a dcat:Dataset ;
    dct:title "{topic} {i:05d}{title_suffix}"@nl ;
    dct:description "{text} Reeks {i}. Café-bezoek, ĳsbaan en één coëfficiënt."@nl ;
    dct:identifier "{uri}" ;
    dct:language <{EU}language/NLD> ;
    overheid:authority overheid:Zaanstad ;
    dct:publisher overheid:Zaanstad ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Team Gezondheidsdata" ;
                        vcard:hasEmail <mailto:data@ggd-zw.example.nl> ] ;
    dct:license <http://creativecommons.org/publicdomain/zero/1.0/deed.nl> ;
    dct:modified "2025-10-{1 + i % 28:02d}"^^xsd:date ;
    dcat:theme overheid:Natuur_en_milieu ;
    dcat:keyword "gezondheid"@nl, "ggd"@nl ;
    dct:accessRights <{EU}access-right/PUBLIC> ;
    dct:accrualPeriodicity <{EU}frequency/MONTHLY> ;
    dct:spatial overheid:Zaanstad ;
    dcat:distribution <{uri}/csv> .

<{uri}/csv> a dcat:Distribution ;
    dct:title "{topic} (CSV)"@nl ;
    dcat:accessURL <{SITE}/files/ds-{i:05d}.csv> ;
    dct:format <{EU}file-type/CSV> ;
    dct:license <http://creativecommons.org/publicdomain/zero/1.0/deed.nl> .
"""


def feed_pages(base_url: str, n: int, per_page: int = 100, path: str = "/catalog.ttl",
               changed: dict[int, str] | None = None, missing: set[int] | None = None
               ) -> dict[str, str]:
    """``{path?page=k: turtle}``; page 1 is also served at ``path`` itself."""
    ids = [i for i in range(n) if i not in (missing or set())]
    pages: dict[str, str] = {}
    total = max(1, (len(ids) + per_page - 1) // per_page)
    for k in range(1, total + 1):
        chunk = ids[(k - 1) * per_page: k * per_page]
        this = f"{base_url}{path}?page={k}"
        paging = [f'<{this}> a hydra:PagedCollection ;',
                  f'    hydra:totalItems "{len(ids)}"^^xsd:integer ;',
                  f'    hydra:itemsPerPage "{per_page}"^^xsd:integer ;',
                  f'    hydra:firstPage "{base_url}{path}?page=1" ;',
                  f'    hydra:lastPage "{base_url}{path}?page={total}"']
        if k < total:
            paging[-1] += " ;"
            paging.append(f'    hydra:nextPage "{base_url}{path}?page={k + 1}"')
        paging[-1] += " ."
        body = PREFIXES + f"\n<{SITE}/catalogus> a dcat:Catalog ;\n" \
            f'    dct:title "Open data GGD Zaanstreek-Waterland"@nl ;\n' + "".join(
                f"    dcat:dataset <{SITE}/dataset/ds-{i:05d}> ;\n" for i in chunk) + \
            '    dct:description "Catalogus."@nl .\n' + "\n".join(paging) + "\n" + "".join(
                dataset_turtle(i, (changed or {}).get(i, "")) for i in chunk)
        pages[f"{path}?page={k}"] = body
        if k == 1:
            pages[path] = body
    return pages


def as_format(turtle: str, fmt: str) -> bytes:
    graph = rdflib.Graph()
    graph.parse(data=turtle, format="turtle")
    return graph.serialize(format=fmt, encoding="utf-8")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!-- a long comment first, so that a guard that only looks at the start misses it: """ + \
    b"x" * 5000 + b""" -->
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://data.ggd-zw.example.nl/dataset/lol">
    <dct:title>&lol9;</dct:title>
  </dcat:Dataset>
</rdf:RDF>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY geheim SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://data.ggd-zw.example.nl/dataset/xxe">
    <dct:title>&geheim;</dct:title>
  </dcat:Dataset>
</rdf:RDF>
"""


def truncated(turtle: str) -> str:
    """The page cut off in the middle of a statement (a dropped connection)."""
    return turtle[: int(len(turtle) * 0.6)]
