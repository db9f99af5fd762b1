"""The two streams of one forward: the request body up, the answer down, chunk by chunk.

Neither side is ever read whole beyond one chunk. :class:`Upload` feeds the client's body to
the backend and enforces the payload limit; :func:`relay` copies the backend's answer to the
client and turns a failure after the answer started into a broken client connection (never a
second answer). An answer whose whole body arrives as the first chunk (at most ``CHUNK_SIZE``
bytes, framed by Content-Length) is handed back as one ``web.Response`` instead: aiohttp then
writes headers and body at once, without the prepare/write/write_eof round trips.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Final, NamedTuple

import aiohttp
from aiohttp import HttpVersion11, web
from multidict import istr

from gatewaysim.errors import RequestTooLarge, UpstreamError
from gatewaysim.integrations.http_proxy.errors import map_client_error
from gatewaysim.integrations.http_proxy.headers import prepare_response_headers

if TYPE_CHECKING:
    from gatewaysim.integrations.http_proxy.upstream import UpstreamResponse

    Upstream = aiohttp.ClientResponse | UpstreamResponse

__all__ = [
    "CHUNK_SIZE",
    "Relayed",
    "Upload",
    "expects_continue",
    "relay",
    "send_continue",
    "too_large",
    "too_large_message",
]

CHUNK_SIZE: Final = 64 * 1024
_EXPECT: Final = istr("Expect")


def expects_continue(request: web.BaseRequest) -> bool:
    """True when the client waits for ``100 Continue`` before its body (HTTP/1.1 ``Expect``)."""
    expect = request.headers.get(_EXPECT)
    return expect is not None and expect.lower() == "100-continue" and request.version == HttpVersion11


async def send_continue(request: web.BaseRequest) -> None:
    """Answer ``Expect: 100-continue`` with ``100 Continue`` (as aiohttp's router does).

    Sent before any decision: a refused caller then sends its body, which aiohttp reads and
    drops. Asking for it only once allowed would leave a refused connection waiting for a body
    that never comes (aiohttp lingers up to 10 s on a request whose body is unread). Not sent
    for a declared body over the API's payload limit: that one is refused (413) and never asked
    for (RFC 9110 10.1.1: a final status instead of 100), the wait bounded by the same linger.
    """
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0  # the answer's size counts from its own status line


def too_large(request: web.BaseRequest, limit: int) -> bool:
    """True when the request declares a body (``Content-Length``) over ``limit`` bytes."""
    declared = request.content_length
    return declared is not None and declared > limit


def too_large_message(limit: int, size: int | None = None) -> str:
    """``request body of `N` bytes is over the `M`-byte payload limit``."""
    what = f"request body of `{size}` bytes" if size is not None else "request body"
    return f"{what} is over the `{limit}`-byte payload limit"


class Upload:
    """The request body on its way to the backend; records why it stopped early.

    While a deadline is attached, the integration clock runs only while the backend holds the
    turn: it is paused while waiting for the client's next bytes (AWS starts its clock once
    the whole request has arrived) and restarted after each chunk handed on.
    """

    __slots__ = ("client_error", "deadline", "limit", "request", "sent", "timeout_s", "too_large")

    def __init__(self, request: web.BaseRequest, limit: int, timeout_s: float) -> None:
        self.request = request
        self.limit = limit
        self.timeout_s = timeout_s
        self.deadline: asyncio.Timeout | None = None
        self.sent = 0
        self.too_large = False
        self.client_error: Exception | None = None

    def _clock(self, running: bool) -> None:
        if self.deadline is not None and not self.deadline.expired():
            when = asyncio.get_running_loop().time() + self.timeout_s if running else None
            self.deadline.reschedule(when)

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the client's body chunk by chunk; raise (aborting the upload) past the limit."""
        while True:
            self._clock(running=False)
            try:
                chunk = await self.request.content.readany()
            except Exception as exc:  # the client broke off or sent a malformed body
                self.client_error = exc
                raise
            self._clock(running=True)
            if not chunk:
                return
            if self.sent + len(chunk) > self.limit:
                self.too_large = True  # SECURITY: never send the backend more than the limit
                raise RequestTooLarge(too_large_message(self.limit))
            self.sent += len(chunk)
            yield chunk


class Relayed(NamedTuple):
    """What :func:`relay` did: the finished client response, bytes sent, how it broke."""

    response: web.StreamResponse
    sent: int
    error: Exception | None


async def _read(upstream: Upstream) -> bytes:
    """The next chunk of the backend's body (``b""`` at the end); errors mapped."""
    try:
        return await upstream.content.read(CHUNK_SIZE)
    except (aiohttp.ClientError, OSError) as exc:
        raise map_client_error(exc) from exc


def _whole(upstream: Upstream, chunk: bytes, method: str) -> bool:
    """True when ``chunk`` is the backend's entire, non-empty body, framed by Content-Length."""
    return bool(chunk) and upstream.content_length == len(chunk) and method != "HEAD"


def _start_response(
    upstream: Upstream, extra: Mapping[str, str] | None, *, whole: bytes | None = None
) -> web.StreamResponse:
    response: web.StreamResponse
    if whole is not None:
        response = web.Response(status=upstream.status, reason=upstream.reason, body=whole)
    else:
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
    prepare_response_headers(upstream.headers, response.headers)
    if whole is None and upstream.content_length is not None:
        response.content_length = upstream.content_length  # same bytes, same framing
    if extra:
        response.headers.update(extra)
    return response


async def relay(request: web.BaseRequest, upstream: Upstream, extra: Mapping[str, str] | None) -> Relayed:
    """Stream the backend's answer to the client (or hand it back whole); ``extra`` headers are set.

    The first chunk is read before the client response starts, so a backend that fails at
    once still gets a proper gateway error (raised, mapped). A later backend failure breaks
    the client connection; a client that goes away ends the copy. Both land in ``error``.
    """
    chunk = await _read(upstream)
    if _whole(upstream, chunk, request.method):
        # the whole answer is in hand (module docstring)
        response = _start_response(upstream, extra, whole=chunk)
        return Relayed(response, len(chunk), None)
    response = _start_response(upstream, extra)
    sent = 0
    error: Exception | None = None
    try:
        await response.prepare(request)
        while chunk:
            await response.write(chunk)
            sent += len(chunk)
            try:
                chunk = await _read(upstream)
            except UpstreamError as exc:
                error = exc
                _abort(request)
                break
        else:
            await response.write_eof()
    except ConnectionError as exc:  # the client went away; the caller closes the upstream
        error = exc
    return Relayed(response, sent, error)


def _abort(request: web.BaseRequest) -> None:
    """Break the client connection so it sees an incomplete answer, never a second one."""
    transport = request.transport
    if transport is not None:
        transport.close()
