"""Limits of the listener: how long and how much a client may take (config key ``limits``).

Like a production proxy's (nginx ``client_body_timeout``): the defaults are in the README's
security section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import Checker

__all__ = ["LIMIT_FIELDS", "ListenerLimits", "limits_section"]


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    """What one client connection may cost the gateway."""

    body_idle_timeout_s: float = 30.0  # a request body with no bytes for this long: 408, closed


LIMIT_FIELDS: Final[f.Table] = {
    "body_idle_timeout_s": f.positive_number,
}


def limits_section(checker: Checker, path: str, raw: Any) -> ListenerLimits:
    """Parse ``limits``."""
    return ListenerLimits(**checker.section(path, raw, LIMIT_FIELDS))
