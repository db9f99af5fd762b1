"""The lean upstream path: one request with a body in hand to a plain-HTTP backend, on aiohttp's lower layers.

``ClientSession.request`` is the generic client: per request it builds a ``ClientRequest`` and a
``ClientResponse``, merges default headers, consults the cookie jar, traces, proxies and redirects,
and sets two timers. A proxy with its headers already prepared and its body already read needs
none of it. ``UpstreamPool`` keeps keep-alive connections per backend (``host:port``) whose protocol
is aiohttp's own ``ResponseHandler`` (so llhttp parses every answer and streams its body, as in
``ClientSession``), writes the request line and headers with aiohttp's header serializer (which
refuses CR and LF in a name or value) and the body in one write, and hands back an
``UpstreamResponse`` with the attributes ``relay`` reads.

A connection goes back to the pool once its answer has been received whole (the parser ended the
message and neither side asked to close); one whose answer is not read to the end is closed. A
request on a reused connection that the backend had closed meanwhile is sent once more on a new
connection (the body is in hand, nothing reached the backend's application). At most ``limit``
connections are open at once (``forward.pool_limit``); more requests wait for one.

A body streamed from the client (``forward.stream_uploads``) is written as it comes, chunked when
its length is unknown, with the transport's backpressure. HTTPS backends go through the
``ClientSession`` path as before (``forwarder.py``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Final

from aiohttp import (
    ClientConnectorError,
    ClientResponseError,
    ConnectionTimeoutError,
    RequestInfo,
    ServerDisconnectedError,
)
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.http_writer import _serialize_headers
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from gatewaysim.integrations.waiters import WaitQueue

__all__ = ["UpstreamPool", "UpstreamResponse"]

_CONTENT_LENGTH: Final = "Content-Length"
_TRANSFER_ENCODING: Final = "Transfer-Encoding"


def headers_of(head: bytes) -> str:
    """The header block of a serialized request head, for a quick look (the case is as written)."""
    return head.decode("latin-1")


async def _stream(protocol: ResponseHandler, head: bytes, body: AsyncIterator[bytes], *, chunked: bool) -> None:
    """Write the head, then the body as it comes (chunked when its length is unknown), with backpressure."""
    transport = protocol.transport
    assert transport is not None
    transport.write(head)
    async for chunk in body:
        if not chunk:
            continue
        transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        await protocol._drain_helper()
    if chunked:
        transport.write(b"0\r\n\r\n")


class UpstreamResponse:
    """The backend's answer as ``relay`` reads it: status, reason, headers, length, the body stream."""

    __slots__ = ("_pool", "_protocol", "_released", "content", "content_length", "headers", "reason", "status")

    def __init__(self, pool: UpstreamPool, key: tuple[str, int], protocol: ResponseHandler, message: Any, payload: Any):
        self.status: int = message.code
        self.reason: str = message.reason
        self.headers: CIMultiDictProxy[str] = message.headers
        length = message.headers.get(_CONTENT_LENGTH)
        self.content_length = int(length) if length is not None and length.isdigit() else None
        self.content = payload
        self._pool = pool
        self._protocol: ResponseHandler | None = protocol
        self._released = False
        keep = not message.should_close
        payload.on_eof(lambda: self._received(key, keep))

    def _received(self, key: tuple[str, int], keep: bool) -> None:
        """The answer came in whole: the connection may serve the next request."""
        protocol, self._protocol = self._protocol, None
        self._released = True
        if protocol is not None:
            self._pool.release(key, protocol, keep and not protocol.should_close)

    def close(self) -> None:
        """Done with the answer: a connection whose answer did not come in whole is closed."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None and not self._released:
            protocol.close()
            self._pool.forget()


class UpstreamPool:
    """Keep-alive connections to plain-HTTP backends, at most ``limit`` open (module docstring)."""

    def __init__(self, limit: int, connect_timeout_s: float | None, read_timeout_s: float | None) -> None:
        self.limit = limit
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self._idle: dict[tuple[str, int], deque[ResponseHandler]] = {}
        self._open = 0
        self._waiters = WaitQueue()  # callers waiting for a connection when `limit` are open

    async def request(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: bytes | AsyncIterator[bytes],
        timeout_s: float | None = None,
    ) -> UpstreamResponse:
        """Send one request (``headers`` complete: ``Host``, ``Content-Length`` when known); the answer's head.

        A streamed ``body`` without ``Content-Length`` goes chunked. Only a body in hand is sent again
        when a kept-alive connection turns out closed. ``timeout_s`` (a body in hand): how long the
        backend may stay silent, on the connection's own read timer (``ServerTimeoutError``), and how
        long getting a connection may take; without it the caller bounds the whole exchange.
        """
        key = (url.raw_host or "", url.port or 80)
        streamed = not isinstance(body, bytes)
        if streamed and _CONTENT_LENGTH not in headers:
            headers[_TRANSFER_ENCODING] = "chunked"
        head = _serialize_headers(f"{method} {url.raw_path_qs} HTTP/1.1", headers)  # SECURITY: refuses CR/LF
        skip_payload = method == "HEAD"
        protocol, reused = await self._acquire(key, timeout_s=timeout_s)
        try:
            return await self._exchange(method, url, key, protocol, head, body, skip_payload, timeout_s)
        except (ServerDisconnectedError, ConnectionResetError, BrokenPipeError):
            if not reused or streamed:
                raise
        # the backend closed the kept-alive connection before reading this request: once more, afresh
        protocol, _ = await self._acquire(key, fresh=True, timeout_s=timeout_s)
        return await self._exchange(method, url, key, protocol, head, body, skip_payload, timeout_s)

    async def _exchange(
        self,
        method: str,
        url: URL,
        key: tuple[str, int],
        protocol: ResponseHandler,
        head: bytes,
        body: bytes | AsyncIterator[bytes],
        skip_payload: bool,
        timeout_s: float | None,
    ) -> UpstreamResponse:
        transport = protocol.transport
        try:
            if transport is None or transport.is_closing():
                raise ServerDisconnectedError()
            if getattr(protocol, "_gatewaysim_head", None) is not skip_payload:  # HEAD answers have no body
                protocol.set_response_params(
                    skip_payload=skip_payload, read_timeout=self.read_timeout_s, auto_decompress=False
                )
                protocol._gatewaysim_head = skip_payload  # type: ignore[attr-defined]
            if isinstance(body, bytes):
                transport.write(head + body if body else head)
                if timeout_s is not None:  # one timer for the whole wait, reset as bytes arrive
                    protocol.read_timeout = timeout_s
                    protocol.start_timeout()
            else:
                await _stream(protocol, head, body, chunked=_TRANSFER_ENCODING in headers_of(head))
            message, payload = await protocol.read()
        except HttpProcessingError as exc:  # the backend's answer is not HTTP llhttp accepts: as ClientSession says it
            protocol.close()
            self.forget()
            info = RequestInfo(url, method, CIMultiDictProxy(CIMultiDict()), url)
            raise ClientResponseError(info, (), status=exc.code, message=exc.message) from exc
        except BaseException:
            protocol.close()
            self.forget()
            raise
        return UpstreamResponse(self, key, protocol, message, payload)

    async def _acquire(
        self, key: tuple[str, int], *, fresh: bool = False, timeout_s: float | None = None
    ) -> tuple[ResponseHandler, bool]:
        """A connection to ``key``: an idle one (reused True), else a new one within the limit."""
        kept = None if fresh else self._take_idle(key)
        if kept is not None:
            return kept, True
        async with asyncio.timeout(timeout_s):  # only here, off the kept-alive path
            return await self._wait_or_connect(key, fresh)

    def _take_idle(self, key: tuple[str, int]) -> ResponseHandler | None:
        """A kept-alive connection to ``key`` still open (closed ones are forgotten), else None."""
        idle = self._idle.get(key)
        while idle:
            protocol = idle.pop()
            if protocol.is_connected():
                return protocol
            self.forget()
        return None

    async def _wait_or_connect(self, key: tuple[str, int], fresh: bool) -> tuple[ResponseHandler, bool]:
        while self._open >= self.limit and not self._evict():
            await self._waiters.wait()
            kept = None if fresh else self._take_idle(key)
            if kept is not None:
                return kept, True
        self._open += 1
        try:
            return await self._connect(key), False
        except BaseException:
            self.forget()
            raise

    async def _connect(self, key: tuple[str, int]) -> ResponseHandler:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                _, protocol = await loop.create_connection(lambda: ResponseHandler(loop), key[0], key[1])
        except TimeoutError as exc:  # as ClientSession says it: a connect timeout
            raise ConnectionTimeoutError(f"Connection timeout to host http://{key[0]}:{key[1]}") from exc
        except OSError as exc:  # refused, unreachable: the error ClientSession raises, same message
            connection = ConnectionKey(key[0], key[1], False, True, None, None, None)
            raise ClientConnectorError(connection, exc) from exc
        return protocol

    def _evict(self) -> bool:
        """Close one idle connection (to any backend) to make room; False when none is idle."""
        for idle in self._idle.values():
            if idle:
                idle.popleft().close()
                self._open -= 1
                return True
        return False

    def release(self, key: tuple[str, int], protocol: ResponseHandler, keep: bool) -> None:
        """An answer came in whole: keep the connection for the next request, or close it."""
        if keep and protocol.is_connected():
            self._idle.setdefault(key, deque()).append(protocol)
            self._waiters.wake_one()
            return
        protocol.close()
        self.forget()

    def forget(self) -> None:
        """One connection fewer is open."""
        self._open -= 1
        self._waiters.wake_one()

    def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        self._idle.clear()
        self._open = 0
