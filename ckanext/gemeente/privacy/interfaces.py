"""Extension points of the privacy review (``gemeente_privacy``).

Other plugins of the suite (the scanner, the harvesters, the dashboard) and a municipality's
own plugins hook into the review through :class:`IGemeenteReview`; they never import the
privacy plugin's modules. Harvesters move datasets through the review with its actions
(``tk.get_action("gemeente_review_submit")`` etc.), looked up at run time so that they keep
working when ``gemeente_privacy`` is not enabled (``KeyError`` from ``get_action``).

A *finding* is a plain dict shown beside the checklist on the dataset's Privacy tab::

    {
        "source": "scan",               # who found it (plugin name, short)
        "resource_id": "...",           # or None for dataset-wide findings
        "title": "Kolom c01: BSN",      # one line, Dutch, no personal data
        "risk": "hoog",                 # hoog | midden | laag | geen | fout (scan failed)
        "summary": "1.204 van 1.210 waarden zijn geldige BSN's (11-proef)",
        "details": [...],               # optional list of str or dicts (masked examples only)
        "blocking": True,               # blocks approval unless the officer justifies it
    }
"""

from __future__ import annotations

from typing import Any

from ckan.plugins.interfaces import Interface


class IGemeenteReview(Interface):
    """Hook into the privacy review of a dataset. Every method has a harmless default."""

    def review_findings(self, context: dict[str, Any], package: dict[str, Any]
                        ) -> list[dict[str, Any]]:
        """Findings about ``package`` to show on its Privacy tab and summarise in the audit.

        Called by ``gemeente_review_show`` and before every decision. Must not raise for
        ordinary problems: report them as a finding with ``risk: "fout"``.
        """
        return []

    def review_blockers(self, context: dict[str, Any], package: dict[str, Any],
                        decision: dict[str, Any]) -> list[str]:
        """Reasons (Dutch, one line each) why ``decision`` may not be taken without a
        written justification. ``decision`` is the validated input of
        ``gemeente_review_decide`` (``decision``, ``checklist``, ``justification``...).
        By default the review refuses approval while any finding has ``blocking: True``;
        this method adds reasons of the plugin's own.
        """
        return []

    def review_after_transition(self, context: dict[str, Any], package: dict[str, Any],
                                entry: dict[str, Any]) -> None:
        """Called after every step was recorded; ``entry`` is the audit row as a dict
        (``from_state``, ``to_state``, ``actor``, ``role``, ``comment``...)."""
        return None
