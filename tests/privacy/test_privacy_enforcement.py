"""The matrix: every role x every publish path, against datasets that were not published.

Roles: anonymous, plain user, editor, organization admin, privacy officer, coordinator,
sysadmin, the harvest site user. Paths: package_create/update/patch/revise with
``private=False``, bulk_update_public, package_owner_org_update to no organization, the
dataset edit form, ckanapi with an API token, the review's own steps taken by the wrong
role or from the wrong state. After each attempt the dataset must still be private and the
attempt must have been refused with ValidationError or NotAuthorized (HTTP 409/403, a form
error, never a 500). Also: editing one audit row by SQL makes ``audit verify`` fail.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from privacy_testdata import APPROVE_CHECKLIST, DEFAULT_PLUGINS, Town, call

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", DEFAULT_PLUGINS),
    pytest.mark.ckan_config("ckan.locale_default", "en"),
    pytest.mark.usefixtures("with_plugins"),
]

ROLES = ("anonymous", "user", "editor", "org_admin", "officer", "coordinator", "sysadmin",
         "harvest")
REFUSED = (tk.ValidationError, tk.NotAuthorized)


def _actor(town: Town, role: str) -> dict[str, Any]:
    if role == "anonymous":
        return {"name": ""}
    if role == "harvest":
        site = call("get_site_user", None)
        return {"name": site["name"]}
    return town[role]


def _as(actor: dict[str, Any], action: str, **data: Any) -> Any:
    from ckan.tests import helpers

    return helpers.call_action(action, context={"user": actor["name"], "ignore_auth": False},
                               **data)


def _public_count() -> int:
    model.Session.remove()
    return model.Session.query(model.Package).filter(
        model.Package.private.is_(False), model.Package.state == "active").count()


class ApiShim:
    """Lets ckanapi's TestAppCKAN talk to CKAN's Flask test app (it expects webtest)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(self, url: str, params: Any = None, headers: Any = None, expect_errors: bool = True,
             **kw: Any) -> Any:
        resp = self.app.post(url, data=params, headers=dict(headers or {}))
        return SimpleNamespace(status=resp.status_code, body=resp.data)


def _datasets_in_states(town: Town) -> list[dict[str, Any]]:
    concept = town.dataset("concept-meldingen")
    submitted = town.dataset("ingediend-meldingen")
    town.submit(submitted)
    approved = town.dataset("goedgekeurd-meldingen")
    town.submit(approved)
    town.approve(approved)
    changes = town.dataset("wijziging-meldingen")
    town.submit(changes)
    call("gemeente_review_decide", town["officer"], id=changes["id"],
         decision="request_changes", checklist={}, comment="Minder detail")
    return [concept, submitted, approved, changes]


def _attempts(town: Town, actor: dict[str, Any], ds: dict[str, Any], app: Any,
              token: str | None) -> list[tuple[str, Any]]:
    """Every way to try to make ``ds`` public as ``actor``: (name, callable)."""
    full = call("package_show", None, id=ds["id"])
    full = {k: v for k, v in full.items() if k not in ("review_state",)}
    headers = {"Authorization": token} if token else {}

    def api(action: str, **data: Any) -> Any:
        resp = app.post(f"/api/3/action/{action}", json=data, headers=headers)
        assert resp.status_code in (400, 403, 404, 409), (action, resp.status_code, resp.data)
        return resp

    def ckanapi_patch() -> Any:
        from ckanapi import TestAppCKAN

        return TestAppCKAN(ApiShim(app), apikey=token).action.package_patch(
            id=ds["id"], private=False)

    def form() -> Any:
        resp = app.post(f"/dataset/edit/{ds['name']}", headers=headers,
                        data={"name": ds["name"], "title": ds["title"], "private": "False",
                              "owner_org": ds["owner_org"], "notes": "via het formulier",
                              "save": ""}, follow_redirects=False)
        assert resp.status_code in (200, 302, 403, 404), resp.status_code
        if resp.status_code == 200:
            assert "privacy review" in resp.get_data(as_text=True) or \
                "not authorized" in resp.get_data(as_text=True).lower()
        return resp

    return [
        ("package_update", lambda: _as(actor, "package_update", **dict(full, private=False))),
        ("package_patch", lambda: _as(actor, "package_patch", id=ds["id"], private=False)),
        ("package_revise", lambda: _as(actor, "package_revise", match={"id": ds["id"]},
                                       update={"private": False})),
        ("bulk_update_public", lambda: _as(actor, "bulk_update_public", datasets=[ds["id"]],
                                           org_id=ds["owner_org"])),
        ("package_owner_org_update", lambda: _as(actor, "package_owner_org_update",
                                                 id=ds["id"], organization_id="")),
        ("publish", lambda: _as(actor, "gemeente_review_publish", id=ds["id"])),
        ("approve", lambda: _as(actor, "gemeente_review_decide", id=ds["id"],
                                decision="approve", checklist=APPROVE_CHECKLIST)),
        ("api_patch", lambda: api("package_patch", id=ds["id"], private=False)),
        ("api_bulk", lambda: api("bulk_update_public", datasets=[ds["id"]],
                                 org_id=ds["owner_org"])),
        ("ckanapi_patch", ckanapi_patch),
        ("form", form),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_publishes_an_unreviewed_dataset(town: Town, app: Any, role: str) -> None:
    datasets = _datasets_in_states(town)
    actor = _actor(town, role)
    token = town[role]["token"] if role in town.users else None
    if role == "harvest":
        token = call("api_token_create", None, user=actor["name"], name="harvest")["token"]
    assert _public_count() == 0
    for ds in datasets:
        for name, attempt in _attempts(town, actor, ds, app, token):
            state = town.state(ds)
            if name == "publish" and role == "coordinator" and state == "privacy_goedgekeurd":
                continue  # that is the one way (tested in test_privacy_actions)
            if name == "approve" and role == "officer" and state == "ingediend":
                attempt()  # allowed, and it does not publish (checked below)
                assert _public_count() == 0
                continue
            try:
                attempt()
            except REFUSED:
                pass
            except Exception as err:  # anything else is a bug (a 500 over HTTP)
                raise AssertionError(f"{role} {name} on {ds['name']}: {err!r}") from err
            else:
                if not name.startswith(("api_", "ckanapi", "form")):
                    raise AssertionError(f"{role} {name} on {ds['name']} was not refused")
            assert _public_count() == 0, f"{role} made {ds['name']} public through {name}"
    # creating a public dataset directly
    try:
        _as(actor, "package_create", name=f"direct-{role.replace('_', '-')}",
            owner_org=town.org["id"], private=False, title="Direct openbaar")
    except REFUSED:
        pass
    assert _public_count() == 0
    # an approval by the officer leaves the dataset private until the coordinator publishes
    if role == "officer":
        assert town.state(datasets[1]) == "privacy_goedgekeurd"
        assert call("package_show", None, id=datasets[1]["id"])["private"] is True


def test_create_refusals_say_why(town: Town) -> None:
    for actor in ("editor", "sysadmin"):
        with pytest.raises(tk.ValidationError) as err:
            call("package_create", town[actor], name=f"openbaar-{actor}", private=False,
                 owner_org=town.org["id"])
        assert "privacy review" in err.value.error_dict["private"][0]
    with pytest.raises(tk.ValidationError) as err:
        call("package_create", town["sysadmin"], name="zonder-afdeling")
    assert "organization" in err.value.error_dict["owner_org"][0]
    ds = call("package_create", town["editor"], name="standaard-prive", owner_org=town.org["id"])
    assert ds["private"] is True


def test_update_without_private_keeps_it_private(town: Town) -> None:
    ds = town.dataset()
    shown = call("package_show", None, id=ds["id"])
    shown.pop("private")
    call("package_update", town["editor"], **dict(shown, notes="Nieuwe omschrijving"))
    assert call("package_show", None, id=ds["id"])["private"] is True


def test_published_dataset_cannot_be_hidden_by_private_flag(town: Town) -> None:
    ds = town.published()
    with pytest.raises(tk.ValidationError) as err:
        call("package_patch", town["editor"], id=ds["id"], private=True)
    assert "withdraw" in err.value.error_dict["private"][0]
    # ordinary edits of a published dataset with private=False (the form sends it) pass
    call("package_patch", town["editor"], id=ds["id"], private=False, notes="Typfout hersteld")
    assert call("package_show", None, id=ds["id"])["notes"] == "Typfout hersteld"


def test_editing_an_audit_row_breaks_verify(town: Town, tmp_path: Any) -> None:
    import sqlalchemy as sa

    town.published()
    town.published("tweede-dataset")
    assert call("gemeente_audit_verify", town["officer"])["ok"] is True
    model.Session.execute(sa.text(
        "UPDATE gemeente_privacy_audit SET comment = 'Niets aan de hand' WHERE seq = 4"))
    model.Session.commit()
    out = call("gemeente_audit_verify", town["officer"])
    assert out["ok"] is False and out["broken_seq"] == 4
    assert "edited" in out["reason"]


def test_bulk_page_of_the_organization(town: Town, app: Any) -> None:
    """The organization's bulk page (make public / private) answers 403, not 500."""
    ds = town.dataset()
    pub = town.published("gepubliceerd-al")
    for action, target in (("public", ds), ("private", pub)):
        resp = app.post(f"/organization/bulk_process/{town.org['name']}",
                        headers={"Authorization": town["org_admin"]["token"]},
                        data={"bulk_action." + action: action, f"dataset_{target['id']}": "on"})
        assert resp.status_code == 403, resp.status_code
    assert call("package_show", None, id=ds["id"])["private"] is True
    assert call("package_show", None, id=pub["id"])["private"] is False
