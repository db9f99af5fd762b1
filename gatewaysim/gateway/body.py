"""The request body, read whole before any integration runs (AWS reads the whole request first).

One step of the request path (``Gateway.run_stages``), used by every integration: the integration
call takes the bytes this step read. SECURITY: so a slow or oversized upload never holds a
backend connection, and the backend never gets a byte of a body that is then refused:

* at most ``max_body_bytes`` (a declared ``Content-Length`` over it is refused before reading;
  a chunked body is refused at the first byte over it): ``RequestTooLarge`` -> 413;
* each read waits at most ``idle_timeout_s`` for the client's next bytes: ``BodyTimeout`` ->
  408, and the connection is closed;
* a client that breaks off, or a malformed chunked framing: ``ClientBodyError`` -> 400.

Only ``forward.stream_uploads`` (not AWS's behaviour) skips this step: the HTTP_PROXY integration
then streams the client's body to the backend as it arrives.
"""

from __future__ import annotations

import asyncio
from typing import Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from gatewaysim.errors import BodyTimeout, ClientBodyError, RequestTooLarge
from gatewaysim.gateway.exchange import Exchange
from gatewaysim.integrations.http_proxy.stream import too_large, too_large_message

__all__ = ["BODY_TIMEOUT_STATUS", "body_refusal", "read_body"]

BODY_TIMEOUT_STATUS: Final = 408
"""A stalled body's answer (nginx's ``client_body_timeout``); AWS's is not documented."""


async def read_body(request: web.BaseRequest, limit: int, idle_timeout_s: float | None = None) -> bytes:
    """The whole request body, at most ``limit`` bytes (module docstring for what it raises)."""
    if too_large(request, limit):
        raise RequestTooLarge(too_large_message(limit, request.content_length))
    if not request.body_exists:
        return b""
    data = bytearray()
    while True:
        try:
            async with asyncio.timeout(idle_timeout_s):
                chunk = await request.content.readany()
        except TimeoutError:
            raise BodyTimeout(f"no body bytes for `{idle_timeout_s}` s after {len(data)} bytes") from None
        except (ConnectionError, HttpProcessingError) as exc:
            raise ClientBodyError(f"the request body broke off after {len(data)} bytes: {exc}") from exc
        if not chunk:
            return bytes(data)
        if len(data) + len(chunk) > limit:  # SECURITY: a chunked body is bounded too
            raise RequestTooLarge(too_large_message(limit))
        data += chunk


async def body_refusal(
    request: web.BaseRequest, x: Exchange, exc: RequestTooLarge | ClientBodyError
) -> web.StreamResponse:
    """The answer to a body that could not be read: 413, 408 or 400.

    After a 413 the connection lingers as usual, so a client still sending gets its answer. After
    408 and 400 it closes once the answer is written: SECURITY: a stalled client gets no more time.
    """
    if isinstance(exc, RequestTooLarge):
        return x.fail("REQUEST_TOO_LARGE", str(exc))
    if isinstance(exc, BodyTimeout):
        response = x.fail("DEFAULT_4XX", str(exc), message="Request Timeout")
        response.set_status(BODY_TIMEOUT_STATUS)
    else:
        response = x.fail("DEFAULT_4XX", str(exc))
    response.force_close()
    if request.transport is not None and not request.transport.is_closing():
        await response.prepare(request)
        await response.write_eof()
        request.transport.close()  # after the buffered answer is written
    return response
