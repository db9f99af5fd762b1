"""Limits of the listener: how long and how much one client may take (config key ``limits``).

Like a production proxy's (nginx's ``client_header_timeout``, ``keepalive_timeout``,
``client_body_timeout``, ``worker_connections``), with AWS's request-header quota; every default
is listed in the README's security section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import Checker

__all__ = ["LIMIT_FIELDS", "MAX_HEADER_BYTES", "ListenerLimits", "limits_section"]

MAX_HEADER_BYTES: Final = 10_240
"""AWS's quota for REST APIs: "Total combined size of all header values: 10240 bytes"."""


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    """What one client connection may cost the gateway."""

    header_timeout_s: float = 10.0  # a request head not complete this long after accept (or its first byte): closed
    keepalive_timeout_s: float = 60.0  # an idle keep-alive connection: closed
    body_idle_timeout_s: float = 30.0  # a request body with no bytes for this long: 408, closed
    max_connections: int = 1000  # beyond it the oldest connection waiting for a request head is closed
    max_header_bytes: int = MAX_HEADER_BYTES  # header names and values together; beyond it: 431


LIMIT_FIELDS: Final[f.Table] = {
    "header_timeout_s": f.positive_number,
    "keepalive_timeout_s": f.positive_number,
    "body_idle_timeout_s": f.positive_number,
    "max_connections": f.positive_int,
    "max_header_bytes": f.positive_int,
}


def limits_section(checker: Checker, path: str, raw: Any) -> ListenerLimits:
    """Parse ``limits``."""
    return ListenerLimits(**checker.section(path, raw, LIMIT_FIELDS))
