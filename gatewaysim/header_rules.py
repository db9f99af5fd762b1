"""What API Gateway does to HTTP headers by name (spec 10.2), as tables.

Shared vocabulary: the HTTP_PROXY integration applies them, and the config refuses identity
headers the gateway would drop or set itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["HOP_BY_HOP", "PROTECTED_PREFIXES", "REQUEST_DROPPED", "RESPONSE_DROPPED", "RESPONSE_REMAPPED"]

# RFC 9110 7.6.1 plus the old proxy names; never forwarded in either direction.
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Dropped before any integration (spec 10.2); Content-Length is recomputed, Host rewritten.
REQUEST_DROPPED: Final = HOP_BY_HOP | frozenset(
    {"content-length", "content-md5", "expect", "host", "max-forwards", "server", "via", "www-authenticate"}
)
# Backend -> client: kept under a new name (spec 10.2, "always remapped" + the documented 401 case).
RESPONSE_REMAPPED: Final[Mapping[str, str]] = {
    "connection": "x-amzn-Remapped-Connection",
    "content-length": "x-amzn-Remapped-Content-Length",
    "date": "x-amzn-Remapped-Date",
    "server": "x-amzn-Remapped-Server",
    "www-authenticate": "x-amzn-Remapped-WWW-Authenticate",
}
RESPONSE_DROPPED: Final = frozenset((HOP_BY_HOP - RESPONSE_REMAPPED.keys()) | {"via"})
# SECURITY: names the gateway sets itself; a client listing them in `Connection` must not be
# able to strip them (hop-by-hop header abuse).
PROTECTED_PREFIXES: Final = ("x-forwarded-", "x-amzn-", "forwarded")
