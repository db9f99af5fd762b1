"""Connection limits like a production proxy's, on aiohttp's connection handler (``limits:``).

* **Request-head deadline** (``header_timeout_s``): a new connection must deliver a whole request
  head within it; on a kept-alive connection the clock starts at the next request's first byte.
  A connection that misses it is closed (SECURITY: 20,000 connections that never finished their
  headers once held every file descriptor).
* **Keep-alive idle timeout** (``keepalive_timeout_s``): aiohttp's own, instead of its 3,630 s.
* **Open connections** (``max_connections``): beyond the cap, the connection that has waited
  longest for a request head (idle keep-alive or slow head) is closed to make room; if every open
  connection is busy with a request, the new one gets ``503`` and is closed. The process never
  holds more sockets than the cap (plus the ones closing), so it never runs out of descriptors.
* **Header sizes**: the request line may hold a 10,240-character URL (AWS's quota for regional
  APIs) and one header line the whole ``max_header_bytes``; the total is checked by the gateway.

Accept errors (``EMFILE`` ...) are logged once a second at most, with a count (``AcceptErrorLog``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDict

from gatewaysim.config.limits import ListenerLimits
from gatewaysim.gateway.exchange import Exchange

__all__ = [
    "HEADERS_TOO_LARGE_STATUS",
    "MAX_URL_CHARS",
    "AcceptErrorLog",
    "Connections",
    "LimitedProtocol",
    "head_bytes",
    "head_marking",
    "without_server_header",
    "headers_too_large",
    "describe_limits",
    "fit_descriptors",
    "parser_limits",
]

logger = logging.getLogger("gatewaysim.gateway.connections")

MAX_URL_CHARS: Final = 10_240
"""AWS's quota: "Length, in characters, of the URL for a regional API"."""
_REFUSED: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 35\r\n"
    b"Connection: close\r\n\r\n" + b'{"message":"Service Unavailable"}\r\n'
)


_CLOCK_SLACK_S: Final = 0.001
"""A head-deadline timer firing this close to the deadline closes (timers may fire a little early)."""

HEADERS_TOO_LARGE_STATUS: Final = 431
"""RFC 6585's status for an oversized head; AWS's answer is not documented (users quote the text
`HTTP header is larger than 10240 bytes.`, Netty's, which API Gateway's front end appears to run)."""


def head_bytes(request: web.BaseRequest) -> int:
    """The request's header names and values together, in bytes."""
    return sum(len(name) + len(value) for name, value in request.raw_headers)


def headers_too_large(x: Exchange, limit: int) -> web.Response:
    """431 with the text users see from API Gateway, and the connection closed."""
    response = x.fail(
        "DEFAULT_4XX", f"request headers over {limit} bytes", f"HTTP header is larger than {limit} bytes."
    )
    response.set_status(HEADERS_TOO_LARGE_STATUS)
    response.force_close()
    return response


def fit_descriptors(limits: ListenerLimits, reserve: int) -> tuple[ListenerLimits, str]:
    """``limits`` with ``max_connections`` fitted to the files this process may open, and a line saying so.

    The soft ``RLIMIT_NOFILE`` is raised toward the hard one when the cap plus ``reserve`` (backend
    pools, logs, the process's own files) needs it; if the hard limit is still too low, the cap is
    lowered (SECURITY: the process never runs out of descriptors, whatever arrives).
    """
    import resource  # POSIX only; `serve` runs there

    needed = limits.max_connections + reserve
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitted = max(1, soft - reserve)
        wanted = limits.max_connections
        note = f"max {fitted} open connections (limits.max_connections {wanted} > {soft} files - {reserve})"
        return dataclasses.replace(limits, max_connections=fitted), note
    return limits, f"max {limits.max_connections} open connections"


def describe_limits(limits: ListenerLimits, connections: str) -> str:
    """The banner's line on what one client may take."""
    return (
        f"limits: {connections}; request head {limits.header_timeout_s:g} s, keep-alive "
        f"{limits.keepalive_timeout_s:g} s, body idle {limits.body_idle_timeout_s:g} s, "
        f"headers {limits.max_header_bytes} bytes"
    )


def parser_limits(limits: ListenerLimits) -> dict[str, Any]:
    """aiohttp's parser and keep-alive settings for ``limits``."""
    return {
        "keepalive_timeout": limits.keepalive_timeout_s,
        "max_line_size": MAX_URL_CHARS + len("OPTIONS  HTTP/1.1"),
        "max_field_size": limits.max_header_bytes + 256,  # one line may hold the whole allowance
    }


class Connections:
    """The open connections of one server, and which of them wait for a request head (oldest first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.evicted = 0
        self.refused = 0
        self._waiting: dict[LimitedProtocol, None] = {}  # insertion order: longest waiting first

    def opened(self, protocol: LimitedProtocol) -> bool:
        """Count a new connection; False when it must be refused (every other one is busy)."""
        self.open += 1
        if self.open <= self.limit:
            return True
        for victim in self._waiting:
            if victim is not protocol:
                self._waiting.pop(victim)
                self.evicted += 1
                victim.force_close()  # SECURITY: the cap holds; the longest idle or slow head makes room
                return True
        self.refused += 1
        return False

    def waiting(self, protocol: LimitedProtocol) -> None:
        """``protocol`` now waits for a request head (last in line to be evicted)."""
        self._waiting.pop(protocol, None)
        self._waiting[protocol] = None

    def busy(self, protocol: LimitedProtocol) -> None:
        """``protocol`` has a request in hand: it is not evicted."""
        self._waiting.pop(protocol, None)

    def closed(self, protocol: LimitedProtocol) -> None:
        """``protocol``'s connection is gone."""
        self.open -= 1
        self._waiting.pop(protocol, None)


class LimitedProtocol(web.RequestHandler):
    """aiohttp's connection handler with the head deadline and the connection cap.

    ``error_response(status)``, when given, answers a request aiohttp refused before any handler ran.
    """

    def __init__(
        self,
        manager: web.Server,
        connections: Connections,
        limits: ListenerLimits,
        error_response: Callable[[int], web.StreamResponse] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        # the loop, looked up once: on Python 3.11 each asyncio.get_running_loop() is a getpid() call
        self._event_loop: asyncio.AbstractEventLoop = kwargs.get("loop") or asyncio.get_running_loop()
        self._connections = connections
        self._head_timeout = limits.header_timeout_s
        self._error_response = error_response
        self._awaiting_head = False
        self._head_started: float | None = None  # loop time of the awaited head's start (None: no clock runs)
        self._head_deadline: asyncio.TimerHandle | None = None  # armed lazily: see _head_too_slow
        self._counted = False

    # ---- the head deadline -------------------------------------------------------------------------

    def _wait_for_head(self, *, clock: bool) -> None:
        self._awaiting_head = True
        self._connections.waiting(self)
        if clock:
            self._start_clock()

    def _start_clock(self) -> None:
        loop = self._event_loop
        self._head_started = started = loop.time()
        if self._head_deadline is None:  # a timer still armed for an earlier head re-arms itself when it fires
            self._head_deadline = loop.call_at(started + self._head_timeout, self._head_too_slow)

    def _stop_clock(self) -> None:
        """The awaited head arrived: no clock runs (the timer, if armed, lapses or re-arms when it fires)."""
        self._head_started = None

    def _cancel_clock(self) -> None:
        self._head_started = None
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        """The timer of a head's deadline fired. One timer per connection serves every request on it
        (arming and cancelling one per request cost a microsecond each): it closes the connection
        when the head it waits for is late, else re-arms for the head now awaited, if any."""
        self._head_deadline = None
        started = self._head_started
        if not self._awaiting_head or started is None:
            return  # no head is awaited: the next head's first byte arms a timer again
        loop = self._event_loop
        due = started + self._head_timeout
        if loop.time() + _CLOCK_SLACK_S < due:  # a later head than the one the timer was armed for
            self._head_deadline = loop.call_at(due, self._head_too_slow)
            return
        logger.debug("request head not complete within %s s: connection closed", self._head_timeout)
        self.force_close()

    def head_complete(self) -> None:
        """A whole request head arrived (its handler starts): the deadline stops, the connection is busy."""
        self._awaiting_head = False
        self._stop_clock()
        self._connections.busy(self)

    # ---- aiohttp's hooks ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._counted = True
        if not self._connections.opened(self):
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(_REFUSED)
            self.force_close()
            return
        self._wait_for_head(clock=True)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head and self._head_started is None and data:
            self._start_clock()  # a kept-alive connection's next request has begun
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_clock()
        if self._counted:
            self._counted = False
            self._connections.closed(self)
        super().connection_lost(exc)

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            if self.transport is not None:
                self._wait_for_head(clock=False)  # keep-alive: idle until the next request's first byte

    def handle_error(
        self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if self._error_response is None:
            return super().handle_error(request, status, exc, message)
        if status >= 500:
            super().handle_error(request, status, exc, message)  # logs the traceback; raises if already answering
        elif request.writer.output_size > 0:
            raise ConnectionError("an answer has started: no room for an error response")
        else:  # a client's malformed request is not the server's error: one line, no traceback
            reason = type(exc).__name__
            logger.warning("%d for a request that could not be parsed (%s) from %s", status, reason, request.remote)
        response = self._error_response(status)
        response.force_close()
        return response


async def _without_server(headers: CIMultiDict[str]) -> None:
    headers.popall("Server", None)  # aiohttp's default `Python/3.x aiohttp/3.x`


def without_server_header(writer: object) -> None:
    """No ``Server: Python/... aiohttp/...`` on the answers written by ``writer`` (API Gateway sends
    none; a backend's own ``Server`` arrives as ``x-amzn-Remapped-Server``)."""
    if getattr(writer, "_on_headers_sent", False) is None:  # aiohttp's hook, called before the head is written
        writer._on_headers_sent = _without_server  # type: ignore[attr-defined]


def head_marking(
    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    """``handler``, first telling the connection that its request head is complete."""

    async def marked(request: web.BaseRequest) -> web.StreamResponse:
        protocol = request.protocol
        if isinstance(protocol, LimitedProtocol):
            protocol.head_complete()
        return await handler(request)

    return marked


_ACCEPT_MESSAGES: Final = frozenset(
    {
        "socket.accept() out of system resource",  # asyncio
        "error status in uv_stream_t.listen callback",  # uvloop
    }
)
_ACCEPT_ERRNOS: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class AcceptErrorLog:
    """A loop exception handler that logs accept errors once a second at most (no traceback).

    SECURITY: a connection flood once wrote 75,519 accept tracebacks (30 MB) to stderr.
    Everything else goes to the previous handler.
    """

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s
        self.suppressed = 0
        self._last = -float("inf")
        self._previous: Any = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap ``loop``'s exception handler (once per loop)."""
        if isinstance(getattr(loop.get_exception_handler(), "__self__", None), AcceptErrorLog):
            return
        self._previous = loop.get_exception_handler()
        loop.set_exception_handler(self.handle)

    def handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Rate-limit accept errors; pass anything else on."""
        exc = context.get("exception")
        if context.get("message") in _ACCEPT_MESSAGES or (
            isinstance(exc, OSError) and exc.errno in _ACCEPT_ERRNOS and "accept" in str(context.get("message", ""))
        ):
            now = time.monotonic()
            if now - self._last < self.interval_s:
                self.suppressed += 1
                return
            more = f" ({self.suppressed} more since the last line)" if self.suppressed else ""
            logger.warning("cannot accept connections: %s%s", exc or context.get("message"), more)
            self._last, self.suppressed = now, 0
            return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
