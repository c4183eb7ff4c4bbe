"""Test data and shortcuts of the privacy review tests (importable: pytest puts this folder
on sys.path)."""

from __future__ import annotations

from typing import Any

DEFAULT_PLUGINS = "activity gemeente_privacy"
SCHEMA_PLUGINS = ("activity scheming_datasets scheming_organizations gemeente_schema dcat "
                  "gemeente_privacy")

APPROVE_CHECKLIST = {
    "personal_data": True,
    "personal_data_categories": ["locatie"],
    "bsn": False,
    "legal_basis": "AVG art. 6 lid 1 sub e (publieke taak)",
    "measure": "geaggregeerd",
    "dpia": "niet_nodig",
    "retention": "5 jaar",
}


def call(action: str, actor: dict[str, Any] | None, **data: Any) -> Any:
    """Call an action as ``actor`` with auth checked (None: the site, auth ignored)."""
    from ckan.tests import helpers

    context = {"user": actor["name"], "ignore_auth": False} if actor else {"ignore_auth": True}
    return helpers.call_action(action, context=context, **data)


class Town:
    """The test municipality and shortcuts through the review."""

    def __init__(self, users: dict[str, dict[str, Any]], org: dict[str, Any],
                 other_org: dict[str, Any]) -> None:
        self.users = users
        self.org = org
        self.other_org = other_org

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.users[name]

    def dataset(self, name: str = "meldingen-openbare-ruimte", **extra: Any) -> dict[str, Any]:
        data = {
            "name": name,
            "title": "Meldingen openbare ruimte 2024",
            "owner_org": self.org["id"],
            "notes": "Meldingen van bewoners over straatverlichting, groen en afval, per buurt.",
            "resources": [{"url": "https://data.zaanstad.example.nl/mor/meldingen-2024.csv",
                           "name": "Meldingen 2024 (CSV)", "format": "CSV"}],
        }
        data.update(extra)
        return call("package_create", self["editor"], **data)

    def submit(self, ds: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return call("gemeente_review_submit", self["editor"], id=ds["id"], **kw)

    def approve(self, ds: dict[str, Any], officer: str = "officer", **kw: Any) -> dict[str, Any]:
        kw.setdefault("checklist", APPROVE_CHECKLIST)
        return call("gemeente_review_decide", self[officer], id=ds["id"], decision="approve",
                    **kw)

    def publish(self, ds: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return call("gemeente_review_publish", self["coordinator"], id=ds["id"], **kw)

    def published(self, name: str = "meldingen-openbare-ruimte", **extra: Any
                  ) -> dict[str, Any]:
        ds = self.dataset(name, **extra)
        self.submit(ds)
        self.approve(ds)
        self.publish(ds)
        return call("package_show", None, id=ds["id"])

    def state(self, ds: dict[str, Any]) -> str:
        return call("gemeente_review_show", None, id=ds["id"])["state"]


def free_port_unused() -> int:
    """A local port nothing listens on (bound and released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
