"""The config keys that serve an API from a file (``template``, ``openapi``, ``template_api``,
``parameters``, ``policy_from``) and their checks: every config reads them, so they live apart from
the readers (``config.template``), which only an API served from a file loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker

__all__ = ["DEFAULT_API_ID", "TEMPLATE_FIELDS", "TEMPLATE_KEYS"]

DEFAULT_API_ID: Final = "abcdef1234"


def _parameters(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        c.add(path, "must be a mapping of parameter names to values")
        return INVALID
    return {k: (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in raw.items()}


def _name(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, str) or not raw:
        c.add(path, f"must be a file path or a name, got `{raw}`")
        return INVALID
    return raw


TEMPLATE_FIELDS: Final[f.Table] = {
    "template": _name,
    "openapi": _name,
    "template_api": _name,
    "parameters": _parameters,
    "policy_from": f.choice("config", "template"),
}
TEMPLATE_KEYS: Final = tuple(TEMPLATE_FIELDS)
