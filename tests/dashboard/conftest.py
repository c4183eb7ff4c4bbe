"""Fixtures of the dashboard tests: a small municipality with users in every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def city(clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
         ) -> dict[str, Any]:
    """Two departments, an editor, an organization admin, a sysadmin and a resident (and the
    tables of the enabled plugins that have migrations)."""
    import ckan.plugins as p
    from ckan.tests import factories

    for plugin in ("activity", "harvest", "gemeente_schema", "gemeente_privacy"):
        if p.plugin_loaded(plugin):
            migrate_db_for(plugin)

    users = {
        "sysadmin": factories.SysadminWithToken(name="beheerder"),
        "editor": factories.User(name="redacteur"),
        "org_admin": factories.User(name="afdelingshoofd"),
        "officer": factories.User(name="privacy-officer"),
        "coordinator": factories.User(name="coordinator"),
        "user": factories.UserWithToken(name="inwoner"),
    }
    members = [{"name": "redacteur", "capacity": "editor"},
               {"name": "afdelingshoofd", "capacity": "admin"}]
    orgs = {
        "ruimte": factories.Organization(name="openbare-ruimte", title="Openbare Ruimte",
                                         users=members),
        "wonen": factories.Organization(name="wonen", title="Wonen", users=members),
    }
    return {"users": users, "orgs": orgs}
