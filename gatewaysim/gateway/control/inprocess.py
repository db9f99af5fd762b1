"""A request handed to the gateway's stages in process, and its answer collected in memory.

``test-invoke-method`` runs a request through the real stages (dispatch, paths, identity, policy,
authorizer, door, integration) exactly as one that came over a socket: it is a real aiohttp
``BaseRequest`` built from a raw request message, a body stream fed with the body, and a transport
that reports the peer and listener addresses of the control-plane call that asked for it; the
answer, gateway-made or streamed from a backend, is written into a ``MemoryWriter`` instead of a
socket. Nothing is mocked: only the socket is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Final, cast

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http import HttpVersion11, RawRequestMessage
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

__all__ = ["MAX_ANSWER_BYTES", "Collected", "MemoryWriter", "collect", "in_process_request"]

MAX_ANSWER_BYTES: Final = 10 * 1024 * 1024
"""API Gateway's payload limit: a longer answer is cut there (the log says so)."""


class _Transport(asyncio.Transport):
    """The transport a socket would be: its addresses, and whether someone closed it."""

    def __init__(self, extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


class _Protocol:
    """What ``BaseRequest`` reads of its connection (aiohttp's ``RequestHandler``)."""

    max_field_size = 8190
    max_headers = 128
    max_line_length = 8190

    def __init__(self, transport: _Transport) -> None:
        self.transport = transport
        self.ssl_context = transport.get_extra_info("sslcontext")
        self.peername = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")


class MemoryWriter(AbstractStreamWriter):
    """Collects what a response would write to a socket: its status line, headers and body."""

    def __init__(self, limit: int = MAX_ANSWER_BYTES) -> None:
        self.limit = limit
        self.status_line = ""
        self.headers: CIMultiDict[str] = CIMultiDict()
        self.body = bytearray()
        self.truncated = False

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        room = self.limit - len(self.body)
        if len(chunk) > room:
            self.body += bytes(chunk[:room])
            self.truncated = True
            raise ConnectionResetError("the answer is over the payload limit")  # the relay stops reading
        self.body += chunk
        self.output_size += len(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        if chunk:
            await self.write(chunk)

    async def drain(self) -> None:
        return None

    def enable_compression(self, encoding: str = "deflate", strategy: int | None = None) -> None:
        return None  # the collected body stays as the integration answered it

    def enable_chunking(self) -> None:
        return None  # no framing in memory

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        self.status_line = status_line
        self.headers = CIMultiDict(headers)


def in_process_request(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    peer: tuple[str, int],
    sockname: tuple[str, int],
    writer: MemoryWriter,
) -> web.BaseRequest:
    """A real ``BaseRequest`` for ``method target`` from ``peer``, as if it reached ``sockname``."""
    loop = asyncio.get_running_loop()
    sent: CIMultiDict[str] = CIMultiDict(headers)
    if body:
        sent["Content-Length"] = str(len(body))
    raw = tuple((name.encode("utf-8", "replace"), value.encode("utf-8", "replace")) for name, value in sent.items())
    message = RawRequestMessage(
        method, target, HttpVersion11, CIMultiDictProxy(sent), raw, False, None, False, False, URL(target, encoded=True)
    )
    transport = _Transport({"peername": peer, "sockname": sockname, "sslcontext": None})
    protocol = _Protocol(transport)
    payload: StreamReader = EMPTY_PAYLOAD
    if body:
        payload = StreamReader(BaseProtocol(loop), 2**16, loop=loop)
        payload.feed_data(body)
        payload.feed_eof()
    task = asyncio.current_task()
    return web.BaseRequest(message, payload, cast(Any, protocol), writer, cast(Any, task), loop)


class Collected:
    """The answer as a client would have read it."""

    def __init__(self, status: int, headers: CIMultiDict[str], body: bytes, truncated: bool) -> None:
        self.status, self.headers, self.body, self.truncated = status, headers, body, truncated


async def collect(response: web.StreamResponse, request: web.BaseRequest, writer: MemoryWriter) -> Collected:
    """Finish ``response`` into ``writer`` if a handler returned it unsent; the answer as sent."""
    if not response.prepared:
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionResetError:
            pass  # over the limit: what fit is kept, ``truncated`` says so
    headers = writer.headers if writer.status_line else CIMultiDict(response.headers)
    return Collected(response.status, headers, bytes(writer.body), writer.truncated)
