"""/gemeente/dashboard: the figures of ``gemeente_dashboard_show`` as a page with SVG charts."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint
from markupsafe import Markup

from . import figures

dashboard = Blueprint("gemeente_dashboard", __name__)


def _charts(data: dict[str, Any]) -> dict[str, Markup]:
    _ = tk._
    charts = {
        "departments": figures.bar_chart(
            _("Datasets per department"),
            [(d["title"], d["count"]) for d in data["departments"]]),
        "completeness": figures.bar_chart(
            _("Datasets per missing field"),
            [(f["label"], f["missing"]) for f in data["completeness"]["required_fields"]
             if f["missing"]], warn=True),
    }
    if data["review"].get("enabled"):
        charts["review"] = figures.bar_chart(
            _("Datasets per review state"),
            [(s["label"], s["count"]) for s in data["review"]["states"]])
    return {key: Markup(svg) for key, svg in charts.items()}  # noqa: S704 - escaped in figures


def show() -> Any:
    context = {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}
    try:
        data = tk.get_action("gemeente_dashboard_show")(context, {})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only coordinators and privacy officers can see the "
                                  "dashboard"))
    return tk.render("gemeente/dashboard/index.html",
                     {"data": data, "charts": _charts(data)})


dashboard.add_url_rule("/gemeente/dashboard", view_func=show, endpoint="show")


def get_blueprints() -> list[Blueprint]:
    return [dashboard]
