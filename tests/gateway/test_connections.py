"""Connection limits like a production proxy's (issue 17, finding 2), with real slow sockets.

Before: no request-head deadline, keep-alive idling for 3,630 s, no cap on open connections
(20,000 half-sent heads exhausted the descriptors: health timed out and stderr got 75,519 accept
tracebacks), and ~800 KB of headers accepted and forwarded (AWS caps them at 10,240 bytes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.gateway.connections import AcceptErrorLog
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.hostile import RawBackend, open_raw, read_answer, read_response
from tests.live_support import policy, statement

OPEN = policy(statement())
HEAD = b"GET /prod/pets HTTP/1.1\r\nHost: x\r\n\r\n"


async def _closed_by_server(reader: asyncio.StreamReader, within: float = 5.0) -> bool:
    """True when the server closed the connection (EOF) within ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    return True


def _gateway(backend: RecordingBackend, **limits: Any) -> GatewayServer:
    return GatewayServer(policy=OPEN, backend=backend.url, limits=limits)


@pytest.mark.parametrize("sent", [b"", b"GET /prod/pets HTTP/1.1\r\nHost: x\r\nX-Slow: "])
async def test_a_head_not_complete_in_time_is_closed(backend: RecordingBackend, sent: bytes) -> None:
    async with _gateway(backend, header_timeout_s=0.3) as gw:
        reader, writer = await open_raw(gw.port)
        writer.write(sent)
        closed = await _closed_by_server(reader)
        writer.close()
        after = await request_from(gw.url + "/prod/pets")
    assert closed and after.status == 200 and len(backend.seen) == 1


async def test_keep_alive_idle_is_not_a_slow_head(backend: RecordingBackend) -> None:
    async with _gateway(backend, header_timeout_s=0.3, keepalive_timeout_s=5) as gw:
        reader, writer = await open_raw(gw.port)
        writer.write(HEAD)
        first, _, _ = await read_response(reader)
        await asyncio.sleep(0.6)  # idle past the head deadline, within keep-alive
        writer.write(HEAD)
        second, _, _ = await read_response(reader)
        writer.write(HEAD[:20])  # the next head starts ... and stalls: its clock runs from this byte
        closed = await _closed_by_server(reader)
        writer.close()
    assert (first, second, closed) == (200, 200, True)


async def test_a_heads_deadline_runs_from_its_own_first_byte(backend: RecordingBackend) -> None:
    # One timer per connection serves every head on it: when the timer armed for an earlier head
    # fires, a later head still within its own deadline is not closed, and one that stalls is.
    async with _gateway(backend, header_timeout_s=1.0, keepalive_timeout_s=10) as gw:
        reader, writer = await open_raw(gw.port)  # the clock armed at accept runs out at ~1.0 s
        writer.write(HEAD)
        first, _, _ = await read_response(reader)
        await asyncio.sleep(0.6)
        writer.write(HEAD[:20])  # the second head starts at ~0.6 s: its deadline is ~1.6 s
        await asyncio.sleep(0.6)  # past the first clock, within the second head's own
        writer.write(HEAD[20:])
        second, _, _ = await read_response(reader)
        writer.write(HEAD[:20])  # a third head starts ... and stalls
        closed = await _closed_by_server(reader)
        writer.close()
    assert (first, second, closed) == (200, 200, True)


async def test_an_idle_keep_alive_connection_is_closed(backend: RecordingBackend) -> None:
    async with _gateway(backend, keepalive_timeout_s=0.3) as gw:
        reader, writer = await open_raw(gw.port)
        writer.write(HEAD)
        status, _, _ = await read_response(reader)
        closed = await _closed_by_server(reader)
        writer.close()
    assert status == 200 and closed


async def test_beyond_the_cap_the_longest_waiting_connection_makes_room(backend: RecordingBackend) -> None:
    async with _gateway(backend, max_connections=5) as gw:
        idle = [await open_raw(gw.port) for _ in range(5)]
        for _, writer in idle:
            writer.write(b"GET /prod/pets HTTP/1.1\r\n")  # half a head each
        await asyncio.sleep(0.1)
        reply = await request_from(gw.url + "/prod/pets")
        oldest_closed = await _closed_by_server(idle[0][0], within=2)
        newest_open = not await _closed_by_server(idle[-1][0], within=0.2)
        for _, writer in idle:
            writer.close()
    assert reply.status == 200
    assert oldest_closed and newest_open


async def test_beyond_the_cap_with_every_connection_busy_a_new_one_gets_503() -> None:
    async with (
        RecordingBackend(delay=1.0) as slow,
        GatewayServer(policy=OPEN, backend=slow.url, limits={"max_connections": 3}) as gw,
    ):
        busy = [asyncio.ensure_future(request_from(gw.url + f"/prod/slow{i}")) for i in range(3)]
        while len(slow.seen) < 3:
            await asyncio.sleep(0.01)
        reader, writer = await open_raw(gw.port)
        status, answer = await read_answer(reader, timeout=2)
        writer.close()
        answers = await asyncio.gather(*busy)
    assert status == 503 and answer.endswith(b'{"message":"Service Unavailable"}\r\n')
    assert [a.status for a in answers] == [200] * 3


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Pad": "p" * (10_240 - len("X-Pad") - len("Hostlocalhost"))}, 200),  # with Host: the quota exactly
        ({"X-Pad": "p" * (10_241 - len("X-Pad") - len("Hostlocalhost"))}, 431),
        ({f"X-Big-{i}": "v" * 8_000 for i in range(100)}, 431),  # ~800 KB of headers
        ({"X" * 10_300: "v"}, 431),  # names count too
    ],
)
async def test_request_headers_over_10240_bytes_get_431(headers: dict[str, str], status: int) -> None:
    async with RawBackend() as backend, GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reader, writer = await open_raw(gw.port)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"GET /prod/pets HTTP/1.1\r\nHost: localhost\r\n{lines}\r\n".encode())
        got, head, body = await read_response(reader)
        writer.close()
    assert got == status
    if status == 431:
        assert body == b'{"message":"HTTP header is larger than 10240 bytes."}' and backend.connections == 0
        assert b"Connection: close" in head
    else:
        assert backend.requests == 1


async def test_a_10240_character_url_is_parsed() -> None:
    async with RawBackend() as backend, GatewayServer(backend=backend.url) as gw:  # no policy: no ARN quota
        reply = await request_from(gw.url + "/prod/" + "a" * (10_240 - len(gw.url) - 6))
    assert reply.status == 200 and backend.requests == 1


def test_accept_errors_are_logged_once_a_second(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        log = AcceptErrorLog(interval_s=60)
        log.install(loop)
        with caplog.at_level(logging.WARNING, "gatewaysim.gateway.connections"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(24, "Too many open files"),
                    }
                )
        assert log.suppressed == 999
        assert [r.getMessage() for r in caplog.records] == ["cannot accept connections: [Errno 24] Too many open files"]
        assert not any(r.exc_info for r in caplog.records)
    finally:
        loop.close()


# ---- a bounded flood against a real `gatewaysim serve` process ------------------------------------


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors through /proc (Linux)")
async def test_a_flood_of_half_sent_heads_never_exhausts_descriptors(tmp_path: Path) -> None:
    config = tmp_path / "g.yaml"
    config.write_text("limits: {max_connections: 100, header_timeout_s: 30}\nadmin: {enabled: false}\n")
    async with RecordingBackend() as backend:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gatewaysim", "serve", "--port", "0", "--config", str(config),
            "--backend", backend.url, "--no-reload",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        try:
            banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
            port = int(re.search(r":(\d+)", banner.split("listening on", 1)[1]).group(1))  # type: ignore[union-attr]
            flood = []
            for _ in range(2_000):  # a few thousand at most
                reader, writer = await open_raw(port)
                writer.write(b"GET /prod/pets HTTP/1.1\r\nX-Slow: ")
                flood.append((reader, writer))
            await asyncio.sleep(0.5)
            peak = _open_files(process.pid)
            health = await request_from(f"http://127.0.0.1:{port}/_gatewaysim/health")
            allowed = await request_from(f"http://127.0.0.1:{port}/prod/pets")
            for _, writer in flood:
                writer.close()
        finally:
            process.terminate()
            _, err = await asyncio.wait_for(process.communicate(), 30)
    assert (health.status, allowed.status) == (200, 200)
    assert peak < 100 + 100  # the cap, plus the backend pool, log and the process's own files
    assert len(err.splitlines()) < 10 and b"Traceback" not in err


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="POSIX resource limits (Linux)")
def test_the_cap_is_fitted_to_the_files_the_process_may_open() -> None:
    code = (
        "import resource; from gatewaysim.config.limits import ListenerLimits; "
        "from gatewaysim.gateway.connections import fit_descriptors; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300)); "
        "print(fit_descriptors(ListenerLimits(max_connections=1000), 100)); "
        "print(fit_descriptors(ListenerLimits(max_connections=150), 100)); "
    )
    raised = (
        "import resource; from gatewaysim.config.limits import ListenerLimits; "
        "from gatewaysim.gateway.connections import fit_descriptors; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (300, 5000)); "
        "note = fit_descriptors(ListenerLimits(max_connections=1000), 100)[1]; "
        "print(note, resource.getrlimit(resource.RLIMIT_NOFILE))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert "max_connections=200" in out[0] and "max 200 open connections (limits.max_connections 1000 > 300" in out[0]
    assert "max_connections=150" in out[1] and "'max 150 open connections'" in out[1]
    out = subprocess.run([sys.executable, "-c", raised], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "max 1000 open connections (1100, 5000)"  # the soft limit was raised for the cap


async def test_the_demo_backend_takes_every_header_the_gateway_takes() -> None:
    # the built-in demo (the default backend) answered a 8,190-10,240-byte header with aiohttp's own
    # `400 Got more than 8190 bytes when reading: b'ppp...'` though the gateway had accepted it
    pad = "p" * (10_240 - len("X-Pad") - len("Hostlocalhost"))
    async with GatewayServer(policy=OPEN, backend="demo") as gw:
        reader, writer = await open_raw(gw.port)
        writer.write(f"GET /prod/pets HTTP/1.1\r\nHost: localhost\r\nX-Pad: {pad}\r\n\r\n".encode())
        status, _head, body = await read_response(reader)
        writer.close()
    assert status == 200 and b'"X-Pad": "ppp' in body
