"""Solr request parameters (every name may repeat) and their typed readers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import SolrError


class Params:
    """Solr request parameters: every name may repeat."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._d: dict[str, list[str]] = {}
        for k, v in pairs:
            self._d.setdefault(k, []).append(v)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Params:
        pairs: list[tuple[str, str]] = []
        for k, v in data.items():
            if isinstance(v, (list, tuple)):
                pairs.extend((k, _param_str(x)) for x in v)
            elif v is not None:
                pairs.append((k, _param_str(v)))
        return cls(pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        v = self._d.get(name)
        return v[0] if v else default

    def getlist(self, name: str) -> list[str]:
        return list(self._d.get(name, ()))

    def single(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._d.items()}

    def echo(self) -> dict[str, Any]:
        return {k: (v[0] if len(v) == 1 else list(v)) for k, v in self._d.items()}

    def __contains__(self, name: object) -> bool:
        return name in self._d

    def keys(self) -> list[str]:
        return list(self._d)


def _param_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def truthy(v: str | None) -> bool:
    """Solr's reading of a boolean parameter value."""
    return v is not None and v.strip().lower() in ("true", "on", "yes", "1")


def int_param(raw: str | None, default: int) -> int:
    """An integer parameter; a bad one is Solr's ``For input string`` (400)."""
    if raw is None or raw == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise SolrError(f'For input string: "{raw}"') from None


def bool_param(params: Params, name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    return truthy(raw)
