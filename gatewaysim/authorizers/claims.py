"""Token claims as API Gateway hands them on: ``requestContext.authorizer.claims``, every value a string.

Observed for REST Cognito authorizers: ``exp`` and ``iat`` become Java ``Date.toString()`` text in
UTC (``Fri Jul 29 18:52:53 UTC 2016``), other numbers their decimal text (``auth_time``),
booleans ``true``/``false``. Lists are rendered ``[a b]`` as HTTP API does (REST unconfirmed);
objects as compact JSON (inferred).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["java_date", "stringify_claim", "stringify_claims"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = frozenset({"exp", "iat"})


def java_date(epoch: float) -> str:
    """``Fri Jul 29 18:52:53 UTC 2016`` for an epoch time (locale-independent)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    day, month = _DAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{day} {month} {moment:%d %H:%M:%S} UTC {moment.year}"


def _number(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_RENDER: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (bool, lambda v: "true" if v else "false"),
    (str, lambda v: v),
    ((int, float), _number),
    (list, lambda v: "[" + " ".join(stringify_claim("", item) for item in v) + "]"),
    (type(None), lambda v: "null"),
)


def stringify_claim(name: str, value: object) -> str:
    """One claim value as a string, the way API Gateway renders it."""
    if name in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
        return java_date(value)
    for kind, render in _RENDER:
        if isinstance(value, kind):
            return render(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def stringify_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Every claim as a string."""
    return {name: stringify_claim(name, value) for name, value in claims.items()}
