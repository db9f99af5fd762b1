"""The lean upstream path (aiohttp's ResponseHandler and llhttp, no ClientSession) against real backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from gatewaysim.gateway.runner import AppServer
from gatewaysim.integrations.http_proxy.upstream import UpstreamPool


def _headers(url: URL, **extra: str) -> CIMultiDict[str]:
    return CIMultiDict({"Host": f"{url.host}:{url.port}", **extra})


async def _body(answer: object) -> bytes:
    content = answer.content  # type: ignore[attr-defined]
    return bytes(await content.read())


async def test_keep_alive_and_at_most_limit_connections() -> None:
    peers: set[object] = set()
    inside = 0
    most = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal inside, most
        assert request.transport is not None
        peers.add(request.transport.get_extra_info("peername"))
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.02)
        inside -= 1
        return web.Response(body=b"ok")

    app = web.Application()
    app.router.add_get("/{tail:.*}", slow)
    async with AppServer(app) as backend:
        url = URL(backend.url + "/x")
        pool = UpstreamPool(2, 5, 5)
        try:

            async def one() -> bytes:
                answer = await pool.request("GET", url, _headers(url), b"")
                try:
                    return await _body(answer)
                finally:
                    answer.close()

            assert await asyncio.gather(*(one() for _ in range(12))) == [b"ok"] * 12
        finally:
            pool.close()
    assert most <= 2 and len(peers) == 2  # waited for a connection, never opened a third


async def test_a_kept_alive_connection_the_backend_closed_is_replaced() -> None:
    """A backend that closes each connection after answering, without saying so."""
    served = 0

    async def answer_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_and_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = URL(f"http://127.0.0.1:{port}/")
    pool = UpstreamPool(4, 5, 5)
    try:
        for _ in range(3):
            answer = await pool.request("POST", url, _headers(url, **{"Content-Length": "3"}), b"abc")
            assert (answer.status, await _body(answer)) == (200, b"hi")
            answer.close()  # the next request may find the connection closed: sent again on a new one
    finally:
        pool.close()
        server.close()
        await server.wait_closed()
    assert served == 3


async def test_head_streamed_chunked_and_refused_headers() -> None:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(body=body or b"none", headers={"X-Framing": request.headers.get("Transfer-Encoding", "")})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    async with AppServer(app) as backend:
        url = URL(backend.url + "/e")
        pool = UpstreamPool(4, 5, 5)
        try:
            head = await pool.request("HEAD", url, _headers(url), b"")
            assert head.status == 200 and head.content_length == 4 and await _body(head) == b""
            head.close()

            async def chunks() -> AsyncIterator[bytes]:
                for part in (b"ab", b"", b"cd"):
                    yield part

            streamed = await pool.request("PUT", url, _headers(url), chunks())  # no length: chunked
            assert (await _body(streamed), streamed.headers["X-Framing"]) == (b"abcd", "chunked")
            streamed.close()
            got = await pool.request("GET", url, _headers(url), b"")  # after HEAD, bodies are read again
            assert await _body(got) == b"none"
            got.close()
            with pytest.raises(ValueError, match="header injection"):  # SECURITY: refused before a byte is sent
                await pool.request("GET", url, _headers(url, **{"X-Evil": "a\r\nX-Injected: 1"}), b"")
        finally:
            pool.close()


async def test_refused_and_garbage_answers_are_aiohttp_errors() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = UpstreamPool(4, 5, 5)
    try:
        url = URL(f"http://127.0.0.1:{port}/")
        with pytest.raises(aiohttp.ClientResponseError):
            await pool.request("GET", url, _headers(url), b"")
        server.close()
        await server.wait_closed()
        with pytest.raises(aiohttp.ClientConnectorError):
            await pool.request("GET", url, _headers(url), b"")
    finally:
        pool.close()
