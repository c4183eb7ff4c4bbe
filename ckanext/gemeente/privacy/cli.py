"""``ckan gemeente review ...`` and ``ckan gemeente audit ...`` (gemeente_privacy).

The commands join the suite's shared ``gemeente`` group (:mod:`ckanext.gemeente.cli`), so
gemeente_schema's ``vocabularies`` and these live side by side. They run the review's
actions as the site user (the command line is the sysadmin's own access).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from ckan.plugins import toolkit as tk

from ckanext.gemeente.cli import gemeente


def _context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _call(action: str, data: dict[str, Any]) -> Any:
    try:
        return tk.get_action(action)(_context(), data)
    except tk.ValidationError as err:
        for field, messages in (err.error_dict or {}).items():
            msgs = messages if isinstance(messages, list) else [messages]
            click.echo(f"{field}: {'; '.join(str(m) for m in msgs)}", err=True)
        sys.exit(2)
    except tk.ObjectNotFound as err:
        click.echo(str(err) or "not found", err=True)
        sys.exit(2)


@gemeente.group("review", help="Privacy review (gemeente_privacy)")
def review_group() -> None:
    pass


@review_group.group("roles", help="Privacy officers and coordinators")
def roles_group() -> None:
    pass


_role_choice = click.Choice(["privacy_officer", "coordinator"])


@roles_group.command("grant")
@click.argument("user")
@click.argument("role", type=_role_choice)
@click.option("--organization", "-o", default=None,
              help="Only for this organization (department); default: all.")
def grant(user: str, role: str, organization: str | None) -> None:
    """Grant ROLE to USER."""
    out = _call("gemeente_review_role_grant",
                {"user": user, "role": role, "organization": organization})
    click.echo(f"granted {out['role']} to {out['user']} for {out['organization'] or 'all'}")


@roles_group.command("revoke")
@click.argument("user")
@click.argument("role", type=_role_choice)
@click.option("--organization", "-o", default=None)
def revoke(user: str, role: str, organization: str | None) -> None:
    """Revoke ROLE from USER."""
    out = _call("gemeente_review_role_revoke",
                {"user": user, "role": role, "organization": organization})
    click.echo(f"revoked {out['role']} from {out['user']} for {out['organization'] or 'all'}")


@roles_group.command("list")
@click.option("--user", default=None)
@click.option("--role", type=_role_choice, default=None)
def list_roles(user: str | None, role: str | None) -> None:
    """List granted roles."""
    for row in _call("gemeente_review_role_list", {"user": user, "role": role}):
        click.echo(f"{row['user']:<24} {row['role']:<16} {row['organization'] or '(all)'}")


@review_group.command("adopt")
def adopt() -> None:
    """Give every dataset without a review record one (after enabling the plugin).

    Public datasets become gepubliceerd (audit entry saying so) or, with
    ckanext.gemeente.privacy.existing_public = review, private and ingediend.
    """
    from .logic import core

    counts = core.adopt_all()
    total = sum(counts.values())
    click.echo(f"adopted {total} datasets" + "".join(
        f"; {state}: {n}" for state, n in sorted(counts.items())))


@gemeente.group("audit", help="The privacy review's audit trail")
def audit_group() -> None:
    pass


@audit_group.command("verify")
def verify() -> None:
    """Check the hash chain; exit 0 when intact (an empty trail too), 1 naming the first
    broken row otherwise."""
    out = _call("gemeente_audit_verify", {})
    click.echo(out["message"], err=not out["ok"])
    if not out["ok"]:
        sys.exit(1)


@audit_group.command("export")
@click.option("--from", "since", required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "until", required=True, help="Last day (YYYY-MM-DD), included.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--output", "-O", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
def export(since: str, until: str, fmt: str, output: str | None) -> None:
    """Export the audit rows of a period for the data protection authority."""
    out = _call("gemeente_audit_export", {"from": since, "to": until, "format": fmt})
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(out["content"])
        click.echo(f"{out['count']} rows written to {output}; last hash {out['last_hash']}",
                   err=True)
    else:
        click.echo(out["content"], nl=False)


def get_commands() -> list[click.Command]:
    return [gemeente]
