"""Who may use the management APIs (the admin API and the AWS control plane): one rule for both.

* By default only a **local, direct** caller is answered: the socket peer is loopback
  (``127.0.0.0/8``, ``::1``) and the request carries no forwarding header (``X-Forwarded-For``,
  ``Forwarded``, ``X-Real-IP``, ``Via``). A request that came through a proxy, even one on this machine and
  whatever the proxy's trust, is **remote**: a local reverse proxy in front of the gateway must not
  open the management APIs to everyone it serves.
* A remote caller is answered only with ``admin.allow_remote`` (which needs ``admin.token``).
* With ``admin.token`` set, every caller, local or not, presents it: ``Authorization: Bearer
  <token>``, or for AWS clients (the control plane), the token as the SigV4 access key id
  (``AWS_ACCESS_KEY_ID=<token>``; the signature itself is not checked).

``refusal`` returns why a request is refused (None: answer it); each API shapes its own error.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from multidict import istr

from gatewaysim.config.live import AdminSettings
from gatewaysim.gateway.identity import request_peer

__all__ = ["FORWARDING_HEADERS", "Refusal", "bearer_token", "is_loopback", "is_proxied", "refusal"]

# SECURITY: `Via` is the header every proxy must add (RFC 9110 7.6.3), whatever it does with the others.
FORWARDING_HEADERS: Final = (istr("X-Forwarded-For"), istr("Forwarded"), istr("X-Real-IP"), istr("Via"))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a management request is refused: ``remote`` (not local and direct) or ``token``."""

    kind: str  # "remote" | "token"
    peer: str


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (IPv4-mapped forms already unwrapped by ``request_peer``)."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_proxied(request: web.BaseRequest) -> bool:
    """True when the request says it was forwarded by a proxy (any forwarding header)."""
    headers = request.headers
    return any(name in headers for name in FORWARDING_HEADERS)


def refusal(settings: AdminSettings, request: web.BaseRequest, presented: str | None) -> Refusal | None:
    """None when ``request`` may use a management API; ``presented`` is the token it carries, if any."""
    peer = request_peer(request)
    # SECURITY: the socket peer decides, never X-Forwarded-For; a forwarded request is remote even
    # from a loopback proxy, so a proxy in front of the gateway cannot open the management APIs.
    local = is_loopback(peer) and not is_proxied(request)
    if not local and not settings.allow_remote:
        return Refusal("remote", peer)
    token = settings.token
    # SECURITY: constant-time comparison of the token.
    if token is not None and (presented is None or not hmac.compare_digest(presented.encode(), token.encode())):
        return Refusal("token", peer)
    return None


def bearer_token(request: web.BaseRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else None
