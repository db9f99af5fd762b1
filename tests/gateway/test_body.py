"""The request body is read whole before any integration (AWS's behaviour), over real sockets.

Issue 17: 100 connections sending 10 of 1,000 declared bytes and stalling made every allowed
request answer 504 while they were held; a chunked body over ``max_body_bytes`` got 413 only
after the backend had received about 1 MB of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gatewaysim.testing import GatewayServer, request_from
from tests.hostile import RawBackend, open_raw, read_answer, read_response
from tests.live_support import policy, statement

OPEN = policy(statement())


def _post(length: int, *, chunked: bool = False) -> bytes:
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % length
    return b"POST /prod/upload HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n"


async def test_stalled_uploads_never_hold_a_backend_connection() -> None:
    async with (
        RawBackend() as backend,
        GatewayServer(policy=OPEN, backend=backend.url, forward={"pool_limit": 2, "timeout_s": 2}) as gw,
    ):
        stalled = [await open_raw(gw.port) for _ in range(20)]
        for _, writer in stalled:
            writer.write(_post(1000) + b"x" * 10)  # 10 of 1,000 declared bytes, then nothing
            await writer.drain()
        await asyncio.sleep(0.2)
        answers = await asyncio.gather(*(request_from(gw.url + f"/prod/ok{i}") for i in range(6)))
        posted = await request_from(gw.url + "/prod/upload", method="POST", data=b"y" * 500)
        assert backend.requests == 7 and backend.connections <= 2
        for _, writer in stalled:
            writer.close()
    assert [a.status for a in answers] == [200] * 6 and posted.status == 200
    assert backend.received < 10_000  # the stalled bodies never reached it


async def test_a_chunked_body_over_the_limit_sends_the_backend_nothing() -> None:
    async with (
        RawBackend() as backend,
        GatewayServer(policy=OPEN, backend=backend.url, forward={"max_body_bytes": 100_000}) as gw,
    ):
        reader, writer = await open_raw(gw.port)
        writer.write(_post(0, chunked=True))
        chunk = b"x" * 65_536
        for _ in range(4):  # 256 KiB in 64 KiB chunks, paced: a streaming gateway would pass the first ones on
            writer.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write(b"0\r\n\r\n")
        status, head, _ = await read_response(reader)
        writer.close()
        after = await request_from(gw.url + "/prod/x")
    assert status == 413 and b"x-amzn-ErrorType: RequestTooLargeException" in head
    assert after.status == 200
    assert backend.lines == [b"GET /x HTTP/1.1"]  # only the GET after it: not a byte of the POST
    assert backend.received < 1_000


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    async with (
        RawBackend() as backend,
        GatewayServer(policy=OPEN, backend=backend.url, forward={"max_body_bytes": 10}) as gw,
    ):
        reader, writer = await open_raw(gw.port)
        writer.write(_post(11))  # headers only: the gateway must not wait for the body
        status, _, _ = await read_response(reader, timeout=2)
        writer.close()
        await writer.wait_closed()
    assert status == 413 and backend.connections == 0


async def test_a_stalled_body_gets_408_and_the_connection_closes() -> None:
    async with (
        RawBackend() as backend,
        GatewayServer(policy=OPEN, backend=backend.url, limits={"body_idle_timeout_s": 0.3}) as gw,
    ):
        reader, writer = await open_raw(gw.port)
        writer.write(_post(100) + b"x" * 10)
        status, answer = await read_answer(reader, timeout=5)
        writer.close()
    assert status == 408
    assert answer.endswith(b'{"message":"Request Timeout"}') and b"Connection: close" in answer
    assert backend.connections == 0
    [record] = gw.records
    assert (record["status"], record["errorType"]) == (408, "BadRequestException")
    assert record["errorMessage"] == "no body bytes for `0.3` s after 10 bytes"


async def test_a_client_gone_mid_body_reaches_no_backend_and_the_gateway_serves_on() -> None:
    async with RawBackend() as backend, GatewayServer(policy=OPEN, backend=backend.url) as gw:
        _, writer = await open_raw(gw.port)
        writer.write(_post(1000) + b"x" * 10)
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()
        await asyncio.sleep(0.1)
        after = await request_from(gw.url + "/prod/x")
    assert after.status == 200 and backend.requests == 1
    assert gw.records[0]["status"] == 400 and gw.records[0]["errorMessage"].startswith("the request body broke off")


async def _half_then_rest(gw: GatewayServer, backend: RawBackend) -> tuple[int, int]:
    """Send half a body, look at what the backend got meanwhile, send the rest; (bytes seen early, status)."""
    reader, writer = await open_raw(gw.port)
    writer.write(_post(20_000) + b"a" * 10_000)
    await writer.drain()
    await asyncio.sleep(0.3)
    early = backend.received
    writer.write(b"b" * 10_000)
    await writer.drain()
    status, _, _ = await read_response(reader)
    writer.close()
    return early, status


async def test_the_backend_is_called_once_the_whole_body_is_in() -> None:
    async with RawBackend() as backend, GatewayServer(policy=OPEN, backend=backend.url) as gw:
        early, status = await _half_then_rest(gw, backend)
    assert (early, status) == (0, 200)
    assert backend.received > 20_000


async def test_stream_uploads_streams_the_body_as_it_arrives() -> None:
    settings: dict[str, Any] = {"forward": {"stream_uploads": True}}
    async with RawBackend() as backend, GatewayServer(policy=OPEN, backend=backend.url, **settings) as gw:
        early, status = await _half_then_rest(gw, backend)
    assert early > 10_000 and status == 200


@pytest.mark.parametrize("value", ["yes", 0])
def test_stream_uploads_and_body_idle_timeout_are_checked(value: object) -> None:
    from gatewaysim.config.load import build_settings
    from gatewaysim.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"forward": {"stream_uploads": value}}, "limits": {"body_idle_timeout_s": value}})
    assert sorted(p.path for p in info.value.problems) == ["api.forward.stream_uploads", "limits.body_idle_timeout_s"]
