"""A portal in CKAN's default schema, as municipalities run them before adopting the suite.

Invented, realistic Dutch municipal datasets (no personal data: contacts are team mailboxes)
created through CKAN's own ``package_create`` while no schema plugin is loaded. The mix is
deterministic (seeded) and covers what the default schema lets people write: licence ids
with and without a DONL equivalent, private datasets, maintainer or author contacts or
none, a free-text ``language`` extra, resources in common spellings of their formats,
datasets without a description.
"""

from __future__ import annotations

import random
from typing import Any

from ckan.tests import helpers

DEPARTMENTS = (
    ("openbare-ruimte", "Openbare Ruimte"),
    ("sociaal-domein", "Sociaal Domein"),
    ("ruimtelijke-ordening", "Ruimtelijke Ordening"),
    ("dienstverlening", "Dienstverlening"),
)
SUBJECTS = (
    "Afvalinzamelpunten", "Speelplaatsen", "Bomenregister", "Parkeervakken", "Laadpalen",
    "Openbare verlichting", "Buurthuizen", "Bouwvergunningen", "Bestemmingsplannen",
    "Verkeerstellingen", "Fietsenstallingen", "Hondenuitlaatplaatsen", "Sportvelden",
    "Marktstandplaatsen", "Evenementenvergunningen", "Begraafplaatsen", "Monumenten",
    "Wijkbudgetten", "Meldingen openbare ruimte", "Grondwaterstanden",
)
AREAS = ("Centrum", "Noord", "Oost", "Zuid", "West", "Havens", "Oude Dorp", "Nieuwland")
# (CKAN licence id, share): ids with a DONL equivalent and some without (other-open...)
LICENCES = (
    ("cc-by", 30), ("cc-zero", 25), ("notspecified", 10), ("other-open", 10),
    ("odc-odbl", 5), ("cc-by-sa", 8), ("other-closed", 4), ("other-pd", 3), ("", 5),
)
FORMATS = ("CSV", "csv", "XLSX", ".xlsx", "JSON", "GeoJSON", "text/csv", "Shapefile", "PDF",
           "WMS", "ZIP", "Esri REST")


def _choose(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def departments() -> dict[str, dict[str, Any]]:
    out = {}
    for name, title in DEPARTMENTS:
        out[name] = helpers.call_action(
            "organization_create", {"ignore_auth": True, "user": _site_user()},
            name=name, title=title, description=f"Afdeling {title} van de gemeente.",
        )
    return out


def _site_user() -> str:
    return helpers.call_action("get_site_user", {"ignore_auth": True})["name"]


def dataset(i: int, rng: random.Random, orgs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    subject = SUBJECTS[i % len(SUBJECTS)]
    area = AREAS[(i // len(SUBJECTS)) % len(AREAS)]
    year = 2015 + (i // (len(SUBJECTS) * len(AREAS))) % 10
    org = DEPARTMENTS[i % len(DEPARTMENTS)][0]
    name = f"{subject.lower().replace(' ', '-')}-{area.lower().replace(' ', '-')}-{year}-{i}"
    data: dict[str, Any] = {
        "name": name,
        "title": f"{subject} {area} {year}",
        "owner_org": orgs[org]["id"],
        "private": rng.random() < 0.12,
        "notes": "" if rng.random() < 0.06 else
        f"{subject} in de wijk {area}, stand {year}. Bijgehouden door de afdeling.",
        "tags": [{"name": t} for t in rng.sample(["gemeente", area.lower(), "kaart",
                                                   "open data", str(year)], 2)],
    }
    licence = _choose(rng, LICENCES)
    if licence:
        data["license_id"] = licence
    contact = rng.random()
    if contact < 0.5:
        data["maintainer"] = f"Team {orgs[org]['title']}"
        data["maintainer_email"] = f"{org}@gemeente-voorbeeld.example.nl"
    elif contact < 0.8:
        data["author"] = "Team Open Data"
        data["author_email"] = "opendata@gemeente-voorbeeld.example.nl"
    if rng.random() < 0.3:
        data["extras"] = [{"key": "language", "value": rng.choice(["nl", "Nederlands", "nld"])}]
    data["resources"] = [
        {
            "url": f"https://data.gemeente-voorbeeld.example.nl/{name}/{k}",
            "name": f"{subject} {area} ({fmt})",
            "format": fmt,
        }
        for k, fmt in enumerate(rng.sample(FORMATS, rng.choice([1, 1, 2])))
    ]
    return data


def seed(count: int, seed_value: int = 20240521, *, index: bool = True) -> list[dict[str, Any]]:
    """Create the departments and ``count`` datasets; returns what was given to CKAN.

    ``index=False`` saves through ``package_create`` with a deferred commit (one commit per
    50 datasets) and without search indexing: the adoption commands read the database, and
    500 datasets seed in a fraction of the time.
    """
    from ckan import model

    rng = random.Random(seed_value)
    orgs = departments()
    context: dict[str, Any] = {"ignore_auth": True, "user": _site_user()}
    if not index:
        context.update(defer_commit=True, return_id_only=True)
    given = []
    for i in range(count):
        data = dataset(i, rng, orgs)
        helpers.call_action("package_create", dict(context), **data)
        given.append(data)
        if not index and i % 50 == 49:
            model.repo.commit()
    model.repo.commit()
    return given
