"""Tell the next actor of the review: e-mail through CKAN's mailer and an activity.

After each step the people who act next are determined (privacy officers after a
submission or a first approval, coordinators after an approval, the submitter after a
request for changes, a rejection, a publication or a withdrawal). Each gets an e-mail
(``tk.mail_user``; Dutch first, English below; bodies in ``templates/emails/``) when they
have an address, and the step is added to the dataset's activity stream, which the next
actors follow so that it shows on their dashboard. The activity carries the dataset's
permission labels: a dataset under review stays invisible to the public there too.
Failures are logged, never raised: a step is not undone because a mail server is down.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import jinja2
import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit as tk

from . import model as pmodel
from . import workflow

log = logging.getLogger(__name__)

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates",
                                                "emails")),
    autoescape=False, keep_trailing_newline=True,
)

ACTIVITY_TYPE = "changed package"


def _holders(role: str, organization_id: str | None) -> list[model.User]:
    query = sa.select(pmodel.Role.user_id).where(pmodel.Role.role == role)
    if organization_id:
        query = query.where(sa.or_(pmodel.Role.organization_id.is_(None),
                                   pmodel.Role.organization_id == organization_id))
    ids = set(model.Session.execute(query).scalars())
    users = [model.User.get(i) for i in sorted(ids)]
    return [u for u in users if u is not None and u.state == "active"]


def next_actors(pkg: model.Package, to_state: str, submitter_id: str | None,
                first_approver: str | None = None) -> tuple[str, list[model.User]]:
    """(what they should do, who) after a step into ``to_state``."""
    if to_state == workflow.SUBMITTED:
        users = _holders(workflow.PRIVACY_OFFICER, pkg.owner_org)
        return "review", [u for u in users if u.id != submitter_id]
    if to_state == workflow.FIRST_APPROVAL:
        users = _holders(workflow.PRIVACY_OFFICER, pkg.owner_org)
        return "second_review", [u for u in users if u.id not in (submitter_id, first_approver)]
    if to_state == workflow.APPROVED:
        users = _holders(workflow.COORDINATOR, pkg.owner_org)
        return "publish", [u for u in users if u.id != submitter_id]
    submitter = model.User.get(submitter_id) if submitter_id else None
    return "informed", [submitter] if submitter is not None else []


def after_step(context: dict[str, Any], package_id: str, step: str, to_state: str, *,
               target: str = "dataset", entry: dict[str, Any] | None = None) -> None:
    try:
        _after_step(context, package_id, step, to_state, target, entry or {})
    except Exception:  # notifications never undo a recorded step
        log.exception("notification after %s of %s failed", step, package_id)


def _after_step(context: dict[str, Any], package_id: str, step: str, to_state: str,
                target: str, entry: dict[str, Any]) -> None:
    pkg = model.Package.get(package_id)
    if pkg is None:
        return
    record = (pmodel.get_pending(package_id) if target == "pending" else None) or \
        pmodel.get_review(package_id)
    submitter = getattr(record, "submitted_by", None)
    first = getattr(record, "first_approver", None)
    task, users = next_actors(pkg, to_state, submitter, first)
    actor = context.get("user") or ""
    site_url = tk.config.get("ckan.site_url", "").rstrip("/")
    values = {
        "title": pkg.title or pkg.name, "name": pkg.name, "step": step, "task": task,
        "state": to_state, "state_nl": workflow.STATE_LABELS.get(to_state, (to_state,))[0],
        "state_en": workflow.STATE_LABELS.get(to_state, ("", to_state))[1],
        "actor": actor, "comment": entry.get("comment") or "", "pending": target == "pending",
        "url": f"{site_url}/dataset/{pkg.name}/privacy", "site_title":
            tk.config.get("ckan.site_title", "CKAN"),
    }
    if tk.asbool(tk.config.get("ckanext.gemeente.privacy.notify_email", True)):
        subject = _env.get_template("review_subject.txt").render(**values).strip()
        body = _env.get_template("review_body.txt").render(**values)
        for user in users:
            if user.email and user.name != actor:
                try:
                    tk.mail_user(user, subject, body)
                except Exception:
                    log.exception("could not mail %s about %s", user.name, pkg.name)
    if tk.asbool(tk.config.get("ckanext.gemeente.privacy.notify_activity", True)):
        _activity(context, pkg, values, users)


def _activity(context: dict[str, Any], pkg: model.Package, values: dict[str, Any],
              users: list[model.User]) -> None:
    try:
        create = tk.get_action("activity_create")
        follow = tk.get_action("follow_dataset")
    except KeyError:  # the activity plugin is not enabled
        return
    from ckan.lib.plugins import get_permission_labels

    actor = model.User.get(context.get("user") or "") or model.User.get(
        tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"])
    labels = get_permission_labels().get_dataset_labels(pkg)
    create({"ignore_auth": True, "user": actor.name}, {
        "user_id": actor.id,
        "object_id": pkg.id,
        "activity_type": ACTIVITY_TYPE,
        "permission_labels": labels,
        "data": {
            "package": {"id": pkg.id, "name": pkg.name, "title": pkg.title,
                        "owner_org": pkg.owner_org, "private": pkg.private},
            "gemeente_review": {"step": values["step"], "state": values["state"],
                                "task": values["task"], "pending": values["pending"],
                                "next_actors": [u.name for u in users]},
        },
    })
    for user in users:
        is_following = model.Session.execute(
            sa.select(model.UserFollowingDataset.follower_id).where(
                model.UserFollowingDataset.follower_id == user.id,
                model.UserFollowingDataset.object_id == pkg.id)).first()
        if not is_following:
            follow({"ignore_auth": True, "user": user.name,
                    "auth_user_obj": user}, {"id": pkg.id})
