"""Soak (a benchmark, not a test): `gatewaysim serve` under mixed load, slow clients and a flood.

    python bench/soak.py [--minutes 10] [--connections 32] [--slow 150] [--flood 3000]

What runs, all on 127.0.0.1, for ``--minutes``:

* ``gatewaysim serve`` as users run it (uvloop, the JSON access log to a file, default limits
  except ``header_timeout_s: 5``), a policy with an IP allow-list, a Deny with many wildcards
  (issue 17's ``/*/*/v1/*/users/*/keys/*/rotate``) and a ``StringLike`` on the User-Agent, in
  front of one aiohttp backend (``proxy_bench.py``'s);
* **wrk** (Debian's ``apt-get install wrk``; nothing installs it for you) with a Lua mix: allowed
  GETs, POSTs with a body, requests the policy denies, issue 17's hostile long path, a path the
  gateway refuses (`..;`), an unknown stage with a Bearer token; statuses counted per class;
* ``--slow`` slow clients the whole time, in three kinds: heads sent one byte a second (the head
  deadline closes them), bodies that stall after 10 bytes (408), idle keep-alive connections;
* a **flood** in the middle: ``--flood`` connections with half-sent heads, held 30 s;
* a health probe every 0.5 s (its failures and p99);
* the gateway's RSS (``VmRSS``) after warm-up and at the end, its peak (``VmHWM``) and its most
  open descriptors.

It prints one summary; errors are wrk's socket errors and timeouts, the 5xx answers and the failed
health probes. Figures in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proxy_bench  # the backend role

REPO = Path(__file__).resolve().parent.parent
API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": ["execute-api:/*/*/v1/*/users/*/keys/*/rotate", "execute-api:/*/*/admin/*"],
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"StringLike": {"aws:UserAgent": "*a*a*b*bot"}},
        },
    ],
}
LUA = r"""
local paths = {
  {"GET", "/prod/items/1", nil},
  {"GET", "/prod/items/2?x=1", nil},
  {"POST", "/prod/orders", string.rep("o", 2048)},
  {"GET", "/prod/admin/keys", nil},
  {"GET", "/prod" .. string.rep("/v1/users/keys", 100), nil},
  {"GET", "/prod/public/..;/secret", nil},
  {"GET", "/staging/items", nil},
}
local threads = {}
local classes = {"ok", "denied", "refused", "other4xx", "server"}
function setup(thread) table.insert(threads, thread) end
function init(args)
  ok, denied, refused, other4xx, server = 0, 0, 0, 0, 0
  n = 0
end
function request()
  n = n + 1
  local p = paths[(n % #paths) + 1]
  local headers = {["X-Forwarded-For"] = "203.0.113.7", ["User-Agent"] = "soak/" .. string.rep("a", 200)}
  if p[2] == "/staging/items" then headers["Authorization"] = "Bearer abc" end
  return wrk.format(p[1], p[2], headers, p[3])
end
function response(status, headers, body)
  if status < 300 then ok = ok + 1
  elseif status == 403 then denied = denied + 1
  elseif status == 408 or status == 413 or status == 431 then refused = refused + 1
  elseif status < 500 then other4xx = other4xx + 1
  else server = server + 1 end
end
function done(summary, latency, requests)
  local total = {ok = 0, denied = 0, refused = 0, other4xx = 0, server = 0}
  for _, thread in ipairs(threads) do
    for _, name in ipairs(classes) do total[name] = total[name] + thread:get(name) end
  end
  io.write(string.format("STATUS ok=%d denied=%d refused=%d other4xx=%d server=%d\n",
    total.ok, total.denied, total.refused, total.other4xx, total.server))
  io.write(string.format("LATENCY p50=%.1fms p99=%.1fms max=%.1fms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("ERRORS connect=%d read=%d write=%d timeout=%d requests=%d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.requests))
end
"""


def _status(pid: int, field_name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


@dataclass
class Tally:
    """What the Python side saw."""

    health_ms: list[float] = field(default_factory=list)
    health_failed: int = 0
    slow: dict[str, int] = field(default_factory=dict)
    flood_opened: int = 0
    most_fds: int = 0

    def count(self, what: str) -> None:
        self.slow[what] = self.slow.get(what, 0) + 1


async def _health(port: int, stop: asyncio.Event, tally: Tally) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with asyncio.timeout(2):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /_gatewaysim/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = await reader.read()
                writer.close()
            if not answer.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(answer[:40])
            tally.health_ms.append((time.perf_counter() - started) * 1000)
        except (OSError, TimeoutError):
            tally.health_failed += 1
        await asyncio.sleep(0.5)


async def _slow_client(port: int, kind: str, stop: asyncio.Event, tally: Tally) -> None:
    """One slow client, again and again: a trickled head, a stalled body, or an idle keep-alive."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            tally.count(f"{kind}: connect failed")
            await asyncio.sleep(1)
            continue
        try:
            if kind == "slow head":
                for byte in b"GET /prod/items/1 HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 60:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    if await _closed_within(reader, 1.0):
                        tally.count("slow head: closed by the head deadline")
                        break
            elif kind == "stalled body":
                writer.write(b"POST /prod/orders HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n")
                writer.write(b"Content-Length: 1000\r\n\r\n" + b"y" * 10)
                answer = await asyncio.wait_for(reader.read(), 120)
                tally.count(f"stalled body: answered {answer[9:12].decode() or 'nothing'}")
            else:  # idle keep-alive
                writer.write(b"GET /prod/items/1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: (\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                answer = await asyncio.wait_for(reader.read(), 120)  # then nothing until the idle timeout
                tally.count("idle keep-alive: closed after the idle timeout" if not answer else "idle: more data")
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            closed = kind == "slow head"  # a write after the deadline closed it
            tally.count("slow head: closed by the head deadline" if closed else f"{kind}: connection error")
        finally:
            writer.close()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), seconds) == b""
    except TimeoutError:
        return False


async def _flood(port: int, size: int, hold_s: float, pid: int, tally: Tally) -> None:
    writers = []
    for _ in range(size):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            continue
        writer.write(b"GET /prod/items/1 HTTP/1.1\r\nX-Half: ")
        writers.append(writer)
        tally.most_fds = max(tally.most_fds, _open_files(pid))
    tally.flood_opened = len(writers)
    end = time.monotonic() + hold_s
    while time.monotonic() < end:
        tally.most_fds = max(tally.most_fds, _open_files(pid))
        await asyncio.sleep(1)
    for writer in writers:
        writer.close()


async def _wrk(url: str, seconds: int, connections: int, script: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(script), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return out.decode()


async def _serve(config: Path, backend: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gatewaysim", "serve", "--config", str(config), "--port", "0",
        "--backend", backend, "--no-reload",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    assert proc.stdout is not None
    first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    port = int(re.search(r"listening on https?://[^:]+:(\d+)", first).group(1))  # type: ignore[union-attr]
    return proc, port


async def run(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("soak: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="gatewaysim-soak-"))
    (folder / "policy.json").write_text(json.dumps(POLICY))
    (folder / "soak.lua").write_text(LUA)
    (folder / "gateway.yaml").write_text(
        "api: {policy: policy.json}\nidentity: {trusted_proxies: [127.0.0.1/32]}\n"
        f"log: {{file: {folder / 'access.log'}}}\nadmin: {{enabled: false}}\nlimits: {{header_timeout_s: 5}}\n"
    )
    backend = await proxy_bench.spawn("backend", "--response-bytes", "256")
    gateway, port = await _serve(folder / "gateway.yaml", backend.url)
    url = f"http://127.0.0.1:{port}"
    tally, stop = Tally(), asyncio.Event()
    seconds = int(args.minutes * 60)
    try:
        await _wrk(url, 5, args.connections, folder / "soak.lua")  # warm-up
        rss_before = _status(gateway.pid, "VmRSS")
        kinds = ["slow head", "stalled body", "idle keep-alive"]
        background = [asyncio.create_task(_health(port, stop, tally))]
        background += [asyncio.create_task(_slow_client(port, kinds[i % 3], stop, tally)) for i in range(args.slow)]
        load = asyncio.create_task(_wrk(url, seconds, args.connections, folder / "soak.lua"))
        await asyncio.sleep(seconds / 2 - 15)
        await _flood(port, args.flood, 30, gateway.pid, tally)
        wrk_out = await load
        stop.set()
        await asyncio.wait(background, timeout=130)
        rss_after, peak = _status(gateway.pid, "VmRSS"), _status(gateway.pid, "VmHWM")
    finally:
        gateway.terminate()
        await gateway.wait()
        await backend.stop()
    _report(args, wrk_out, tally, rss_before, rss_after, peak)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def _report(args: argparse.Namespace, wrk_out: str, tally: Tally, before: int, after: int, peak: int) -> None:
    mib = 1024 * 1024
    requests = re.search(r"Requests/sec:\s+([\d.]+)", wrk_out)
    print(f"soak: {args.minutes:g} min, wrk -c{args.connections}, {args.slow} slow clients, flood {args.flood}")
    for line in wrk_out.splitlines():
        if line.startswith(("STATUS", "LATENCY", "ERRORS")):
            print("  wrk " + line.lower())
    print(f"  wrk requests/s: {requests.group(1) if requests else '?'}")
    health = sorted(tally.health_ms)
    p99 = health[int(len(health) * 0.99) - 1] if health else float("nan")
    median = statistics.median(health) if health else float("nan")
    print(f"  health probes: {len(health)} ok, {tally.health_failed} failed, p50 {median:.1f} ms, p99 {p99:.1f} ms")
    print(f"  flood: {tally.flood_opened} half-sent heads held 30 s; gateway's most open files {tally.most_fds}")
    for what, count in sorted(tally.slow.items()):
        print(f"  slow clients: {what}: {count}")
    rss = f"{before / mib:.1f} MiB after warm-up, {after / mib:.1f} MiB at the end, peak {peak / mib:.1f} MiB"
    print(f"  gateway RSS: {rss}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--slow", type=int, default=150, help="slow clients")
    parser.add_argument("--flood", type=int, default=3000, help="half-sent heads in the middle")
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
