"""The ``cors:`` shortcut (spec 15.2): SAM's ``Cors`` property, for configs without a template.

::

    cors: "'*'"                             # = {allowOrigin: "'*'"}
    cors:
      allowOrigin: "'https://app.example'"
      allowHeaders: "'Content-Type,X-Api-Key'"
      allowMethods: "'GET,POST,OPTIONS'"     # default: each resource's own methods + OPTIONS
      maxAge: 600
      allowCredentials: true

Values are API Gateway mapping expressions, so literals carry inner single quotes, as SAM requires.
Every resource without its own ``OPTIONS`` method gets one that answers preflights itself, as
SAM's generated MOCK does (no backend call, no authorizer, no key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config.fields import INVALID, Checker

__all__ = ["CorsSettings", "cors"]

_KEYS: Final = ("allowOrigin", "allowHeaders", "allowMethods", "maxAge", "allowCredentials")


@dataclass(frozen=True, slots=True)
class CorsSettings:
    """The values (unquoted) of the preflight's ``Access-Control-Allow-*`` headers."""

    allow_origin: str = "*"
    allow_headers: str | None = None
    allow_methods: str | None = None  # None: the resource's methods + OPTIONS
    max_age: int | None = None
    allow_credentials: bool = False


def _quoted(c: Checker, path: str, raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) < 2 or raw[0] != "'" or raw[-1] != "'" or "'" in raw[1:-1]:
        c.add(path, f"""must be a quoted string (i.e. "'*'" is correct, but "*" is not), got `{raw}`""")
        return None
    return raw[1:-1]


def cors(c: Checker, path: str, raw: Any) -> Any:
    """``cors`` -> ``CorsSettings`` (a string is the allowed origin)."""
    given = {"allowOrigin": raw} if isinstance(raw, str) else raw
    if not isinstance(given, Mapping):
        c.add(path, "must be a quoted origin like `\"'*'\"` or a mapping of allowOrigin, allowHeaders, ...")
        return INVALID
    problems = len(c.problems)
    for key in given:
        if key not in _KEYS:
            c.add(f"{path}.{key}", f"invalid key `{key}` for `cors` (expected one of: {', '.join(_KEYS)})")
    where = path if isinstance(raw, str) else f"{path}.allowOrigin"
    values = {k: _quoted(c, where if k == "allowOrigin" else f"{path}.{k}", given[k]) for k in _KEYS[:3] if k in given}
    max_age = given.get("maxAge")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0):
        c.add(f"{path}.maxAge", f"must be an integer of at least 0, got `{max_age}`")
        max_age = None
    credentials = given.get("allowCredentials", False)
    if not isinstance(credentials, bool):
        c.add(f"{path}.allowCredentials", f"must be true or false, got `{credentials}`")
    origin = values.get("allowOrigin", "*")
    if credentials is True and origin == "*":
        c.add(f"{path}.allowCredentials", "cannot be true when `allowOrigin` is `'*'` (browsers refuse it)")
    if len(c.problems) > problems:
        return INVALID
    return CorsSettings(
        origin or "*", values.get("allowHeaders"), values.get("allowMethods"), max_age, credentials is True
    )
