"""Who sees a dataset under review (permission labels) and its state in the search index.

Datasets in review (every state but ``concept`` and ``gepubliceerd``) carry, besides CKAN's
default labels (members of the organization), ``gemeente-review-all`` and
``gemeente-review-<organization id>``; a privacy officer or coordinator holds the first when
granted the role for all departments, the second per department. A published dataset is
public (label ``public``), a concept only visible to its organization.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ckan import model

from . import model as pmodel
from . import workflow
from .logic import core

ALL = "gemeente-review-all"
_KNOWN_PENDING = "gemeente_privacy_known_pending"  # key in the session's ``info``


def _state(pkg: Any) -> str:
    review = pmodel.get_review(pkg.id)
    if review is not None:
        return review.state
    return workflow.CONCEPT if pkg.private else workflow.PUBLISHED


def dataset_labels(pkg: Any, default: Any) -> list[str]:
    out = list(default.get_dataset_labels(pkg))
    if pkg.private and pkg.state == "active" and _state(pkg) != workflow.CONCEPT:
        out.append(ALL)
        if pkg.owner_org:
            out.append(f"gemeente-review-{pkg.owner_org}")
    return out


def user_labels(user: Any, default: Any) -> list[str]:
    out = list(default.get_user_dataset_labels(user))
    if user is None or getattr(user, "is_anonymous", True) or not getattr(user, "id", None):
        return out
    for role in pmodel.user_roles(user.id):
        label = f"gemeente-review-{role.organization_id}" if role.organization_id else ALL
        if label not in out:
            out.append(label)
    return out


@contextlib.contextmanager
def known_pending(package_id: str, pending: bool) -> Iterator[None]:
    """While the block runs, the index knows whether the dataset has a pending change
    (package_update read it with the dataset) instead of asking the database again."""
    memo = model.Session.info.setdefault(_KNOWN_PENDING, {})
    memo[package_id] = pending
    try:
        yield
    finally:
        memo.pop(package_id, None)


def index_review_state(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    pkg = model.Package.get(pkg_dict.get("id") or "")
    if pkg is not None:
        state = _state(pkg)
        pkg_dict["review_state"] = state
        # a pending change is held only for a published dataset (and only counts there)
        pending = False
        if state == workflow.PUBLISHED:
            known = model.Session.info.get(_KNOWN_PENDING, {}).get(pkg.id)
            pending = pmodel.has_pending(pkg.id) if known is None else known
        pkg_dict["review_pending"] = pending
    return pkg_dict


def label_facet(search_results: dict[str, Any]) -> dict[str, Any]:
    facet = (search_results.get("search_facets") or {}).get("review_state")
    for item in (facet or {}).get("items", []):
        item["display_name"] = core.state_label(item["name"])
    return search_results
