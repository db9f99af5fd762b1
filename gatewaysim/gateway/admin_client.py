"""A small client of a running gateway's admin API (``gatewaysim policy``, ``gatewaysim test --url``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from yarl import URL

from gatewaysim.errors import GatewaysimError
from gatewaysim.safeload import load_json

__all__ = [
    "DEFAULT_URL",
    "MAX_REPLY_BYTES",
    "TOKEN_ENV",
    "URL_ENV",
    "AdminReply",
    "GatewayUnreachable",
    "admin_call",
    "default_token",
    "default_url",
]

DEFAULT_URL: Final = "http://127.0.0.1:8080"
URL_ENV: Final = "GATEWAYSIM_URL"
TOKEN_ENV: Final = "GATEWAYSIM_ADMIN_TOKEN"  # a token in the environment stays out of `ps` output
MAX_REPLY_BYTES: Final = 64 * 1024 * 1024
"""The longest admin answer read (a caller reading a whole decisions ring gives its own bound)."""


class GatewayUnreachable(GatewaysimError):
    """The gateway did not answer (refused, reset, timed out, not HTTP)."""

    exit_code = 1


def default_url() -> str:
    """``$GATEWAYSIM_URL`` or ``http://127.0.0.1:8080``."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


def default_token() -> str | None:
    """``$GATEWAYSIM_ADMIN_TOKEN``, if set."""
    return os.environ.get(TOKEN_ENV) or None


@dataclass(frozen=True, slots=True)
class AdminReply:
    """One admin answer: status and body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (None when empty or not JSON)."""
        try:
            return load_json(self.body) if self.body else None
        except ValueError:
            return None

    def message(self) -> str:
        """The ``message`` of an error answer, and its located ``errors`` one a line."""
        data = self.json()
        if not isinstance(data, dict):
            return f"the gateway answered {self.status}"
        lines = [str(data.get("message") or f"the gateway answered {self.status}")]
        lines += [str(error) for error in data.get("errors") or ()]
        return "\n".join(lines)


async def admin_call(
    base_url: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    data: bytes | None = None,
    params: dict[str, str] | None = None,
    timeout_s: float = 10.0,
    session: aiohttp.ClientSession | None = None,
    max_bytes: int = MAX_REPLY_BYTES,
) -> AdminReply:
    """Send one admin request (``path`` below ``/_gatewaysim/``); raise ``GatewayUnreachable`` on failure
    or when the answer is longer than ``max_bytes``."""
    url = URL(base_url.rstrip("/") + "/_gatewaysim/" + path.lstrip("/"))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    own = session is None
    client = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
    try:
        async with client.request(method, url, headers=headers, data=data, params=params) as response:
            return AdminReply(response.status, await _body(response, max_bytes, base_url))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise GatewayUnreachable(f"cannot reach the gateway at `{base_url}`: {reason}") from exc
    finally:
        if own:
            await client.close()


async def _body(response: aiohttp.ClientResponse, max_bytes: int, base_url: str) -> bytes:
    """The answer's body, read in chunks. SECURITY: never more than ``max_bytes`` held (a wrong URL
    may stream forever)."""
    body = bytearray()
    if (response.content_length or 0) <= max_bytes:
        async for chunk in response.content.iter_chunked(1024 * 1024):
            body += chunk
            if len(body) > max_bytes:
                break
    if len(body) > max_bytes or (response.content_length or 0) > max_bytes:
        raise GatewayUnreachable(f"the gateway at `{base_url}` answered more than {max_bytes} bytes: not read")
    return bytes(body)
