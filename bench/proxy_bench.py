"""Throughput and latency: backend direct vs bare aiohttp proxy vs Forwarder vs the gateway.

    python bench/proxy_bench.py --requests 5000 --concurrency 50

Every server runs in its own process on 127.0.0.1 (port 0); this process is only the load
generator (one aiohttp client, ``--concurrency`` workers sharing ``--requests``). The targets run
one after the other, each after a warm-up, each bounded by ``--max-seconds``. Children stop when
this process closes their stdin (or dies), so nothing is left running.

``CPU us/req`` is the target process's own CPU time (user + system, from Linux ``/proc``) per
request. On a small machine the load generator, backend and proxy share the cores, so
throughput ratios are diluted by the other processes; the CPU ratio is the proxy's own cost.

Targets:
  direct      the backend itself
  bare-proxy  a minimal aiohttp pass-through (one ClientSession, streaming, no policy, no rules)
  forwarder   gatewaysim's Forwarder behind a bare handler (headers, limits, timeouts; no policy)
  gateway     the gateway app with the seed policy (corporate network) and the access log on
  gateway-shadow  (with --shadow) the same gateway with a shadow policy: the seed policy tightened to
              the main office, which decides the bench's caller the same (no shadowDecision is
              written), so the row shows what evaluating a shadow policy costs each request

The gateway runs with the garbage-collector settings ``gatewaysim serve`` uses
(``gatewaysim.gateway.gc_settings``); the other targets keep CPython's defaults unless ``--same-gc``
gives them the gateway's settings too.

The process roles are the same file: ``--serve backend|bare-proxy|forwarder|gateway``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web

from gatewaysim.gateway.gc_settings import tune_for_serving
from gatewaysim.gateway.runner import AppServer, Service

REPO = Path(__file__).resolve().parent.parent
SEED_POLICY = REPO / "config" / "default-policy.json"
STAGE_PATH = "/prod/bench/items?x=1"  # the gateway strips the stage; the others pass it through
CALLER_IP = "203.0.113.7"  # inside the seed policy's allow-list, given via a trusted proxy header
HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"})


# --- the server roles (child processes) ------------------------------------------------------


def backend_app(response_bytes: int) -> web.Application:
    """A backend that drains the request body and answers ``response_bytes`` bytes.
    The answer's ``X-Received-Bytes`` says how much request body arrived;
    ``?stream=N`` streams N bytes instead, in 1 MiB blocks (for the big-download measurement).
    """
    body = b"b" * response_bytes
    block = b"s" * (1024 * 1024)

    async def handle(request: web.Request) -> web.StreamResponse:
        received = 0
        async for chunk in request.content.iter_any():
            received += len(chunk)
        if "stream" not in request.query:
            headers = {"X-Received-Bytes": str(received)}
            return web.Response(body=body, content_type="application/json", headers=headers)
        size = int(request.query["stream"])
        response = web.StreamResponse()
        response.content_length = size
        await response.prepare(request)
        for start in range(0, size, len(block)):
            await response.write(block[: size - start])
        await response.write_eof()
        return response

    return _catch_all(handle)


def bare_proxy_app(backend: str) -> web.Application:
    """The baseline: the least code that streams a request through aiohttp and back."""
    app = _catch_all(None)
    key = web.AppKey("session", aiohttp.ClientSession)

    async def session_ctx(app: web.Application) -> AsyncIterator[None]:
        app[key] = aiohttp.ClientSession(auto_decompress=False)
        yield
        await app[key].close()

    async def handle(request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        data = request.content if request.body_exists else None
        async with app[key].request(
            request.method, backend + request.raw_path, headers=headers, data=data, allow_redirects=False
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            response.headers.update({k: v for k, v in upstream.headers.items() if k.lower() not in HOP})
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                await response.write(chunk)
            await response.write_eof()
            return response

    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def forwarder_app(backend: str, max_body_bytes: int) -> web.Application:
    """gatewaysim's Forwarder behind a handler with no policy and no identity."""
    from gatewaysim.integrations.http_proxy.forwarder import Forwarder, ForwardSettings

    forwarder = Forwarder(ForwardSettings(max_body_bytes=max_body_bytes))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await forwarder.start()
        yield
        await forwarder.close()

    async def handle(request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        result = await forwarder.forward(
            request, backend_url=backend, path=path, query_string=query, headers=request.headers
        )
        return result.response

    app = _catch_all(handle)
    app.cleanup_ctx.append(lifecycle)
    return app


SHADOW_POLICY: Final = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    ],
}


def gateway_service(
    backend: str, log_file: str, max_body_bytes: int, shadow: bool = False, stream_uploads: bool = False
) -> Service:
    """The gateway with the seed policy and the JSON access log on (and a shadow policy); uploads are
    read whole, as AWS does, unless ``stream_uploads``."""
    from gatewaysim.config.load import build_settings
    from gatewaysim.gateway.service import Gateway

    raw = {
        "api": {
            "backend": backend,
            "policy": str(SEED_POLICY),
            "shadow_policy": SHADOW_POLICY if shadow else None,
            "forward": {"max_body_bytes": max_body_bytes},
        },
        "identity": {"trusted_proxies": ["127.0.0.1/32"]},
        "log": {"format": "json", "file": log_file},
    }
    return Gateway(build_settings(raw, base_dir=REPO)).service()


def _catch_all(handler: Any) -> web.Application:
    app = web.Application(client_max_size=1 << 40)
    if handler is not None:
        app.router.add_route("*", "/{tail:.*}", handler)
    return app


async def serve(args: argparse.Namespace) -> None:
    """Run one role on 127.0.0.1:0, print the port, stop when stdin closes."""
    if args.serve in ("gateway", "gateway-shadow"):  # gatewaysim's runner: the service's lifecycle around it
        shadow = args.serve == "gateway-shadow"
        server = AppServer(
            gateway_service(args.backend, args.log_file, args.max_body_bytes, shadow, args.stream_uploads)
        )
        async with server:
            tune_for_serving()  # as `gatewaysim serve` does once listening
            print(server.port, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        return
    if args.serve == "backend":
        app = backend_app(args.response_bytes)
    elif args.serve == "bare-proxy":
        app = bare_proxy_app(args.backend)
    else:
        app = forwarder_app(args.backend, args.max_body_bytes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # --reuse-port: several processes of one role share a port (wrk_bench.py --workers)
    await web.TCPSite(runner, "127.0.0.1", args.port, reuse_port=args.reuse_port or None).start()
    if args.tune_gc:
        tune_for_serving()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


# --- the parent: spawn, drive, measure -------------------------------------------------------


@dataclass
class Child:
    """One server process we started, and its base URL."""

    role: str
    proc: asyncio.subprocess.Process
    url: str

    async def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()  # only our own child, by its handle
            await self.proc.wait()


async def spawn(role: str, *extra: str) -> Child:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        role,
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    if not line.strip().isdigit():
        await proc.wait()
        raise RuntimeError(f"{role} did not start (exit code {proc.returncode})")
    return Child(role, proc, f"http://127.0.0.1:{int(line)}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Stats:
    """What one load run measured."""

    target: str
    completed: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    timed_out: bool = False
    cpu_us: float | None = None  # the target process's CPU time per completed request

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(target: str, url: str, args: argparse.Namespace, requests: int) -> Stats:
    """``requests`` requests from ``--concurrency`` workers; bounded by ``--max-seconds``."""
    body = b"r" * args.body_bytes if args.body_bytes else None
    method = "POST" if body else "GET"
    headers = {"X-Forwarded-For": CALLER_IP}
    latencies: list[float] = []
    errors = 0
    remaining = requests
    connector = aiohttp.TCPConnector(limit=args.concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                async with session.request(method, url + STAGE_PATH, data=body, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    timed_out = False
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(args.max_seconds):
                await asyncio.gather(*(worker(session) for _ in range(args.concurrency)))
        except TimeoutError:
            timed_out = True
        seconds = time.perf_counter() - started
    return Stats(target, len(latencies), errors, seconds, latencies, timed_out)


async def drive_measured(target: str, url: str, pid: int, args: argparse.Namespace) -> Stats:
    """``drive``, plus the CPU time the target process spent per request meanwhile."""
    before = cpu_seconds(pid)
    stats = await drive(target, url, args, args.requests)
    after = cpu_seconds(pid)
    if before is not None and after is not None and stats.completed:
        stats.cpu_us = (after - before) / stats.completed * 1e6
    return stats


def merge(target: str, runs: list[Stats]) -> Stats:
    """One row from several rounds: the median round's throughput and CPU, every latency pooled."""
    best = sorted(runs, key=lambda s: s.rps)[len(runs) // 2]
    latencies = [ms for s in runs for ms in s.latencies_ms]
    errors = sum(s.errors for s in runs)
    cpu = sorted(s.cpu_us for s in runs if s.cpu_us is not None)
    row = Stats(target, best.completed, errors, best.seconds, latencies, any(s.timed_out for s in runs))
    row.cpu_us = cpu[len(cpu) // 2] if cpu else None
    return row


def report(rows: list[Stats]) -> None:
    print(f"{'target':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10} {'done':>7} {'errors':>6}")
    for s in rows:
        note = "  (hit --max-seconds)" if s.timed_out else ""
        cpu = f"{s.cpu_us:>10.0f}" if s.cpu_us is not None else f"{'-':>10}"
        figures = f"{s.rps:>9.0f} {s.pct(0.5):>8.2f} {s.pct(0.99):>8.2f} {cpu}"
        print(f"{s.target:<14} {figures} {s.completed:>7} {s.errors:>6}{note}")
    by = {s.target: s for s in rows}
    print()
    for a, b in (
        ("gateway", "bare-proxy"),
        ("gateway", "direct"),
        ("gateway-shadow", "gateway"),
        ("forwarder", "bare-proxy"),
        ("bare-proxy", "direct"),
    ):
        if a in by and b in by and by[b].rps:
            ratio = by[a].rps / by[b].rps
            p50 = by[a].pct(0.5) / by[b].pct(0.5)
            cpu_a, cpu_b = by[a].cpu_us, by[b].cpu_us
            cpu = f", CPU per request x{cpu_a / cpu_b:.2f}" if cpu_a and cpu_b else ""
            print(f"{a}/{b}: throughput x{ratio:.2f}, p50 latency x{p50:.2f}{cpu}")


Target = tuple[str, str, int]  # name, base URL, pid of the process serving it


async def start_targets(args: argparse.Namespace, log_file: str, children: list[Child]) -> list[Target]:
    """Start the backend and each proxy role; a role that cannot start is skipped (and said so)."""
    backend = await spawn("backend", "--response-bytes", str(args.response_bytes))
    children.append(backend)
    targets = [("direct", backend.url, backend.proc.pid)]
    limit = ["--max-body-bytes", str(max(args.body_bytes, 10 * 1024 * 1024))]
    gc_flag = ["--tune-gc"] if args.same_gc else []
    for role in ("bare-proxy", "forwarder", "gateway", *(("gateway-shadow",) if args.shadow else ())):
        try:
            child = await spawn(role, "--backend", backend.url, "--log-file", log_file, *limit, *gc_flag)
        except RuntimeError as exc:
            print(f"skipping {role}: {exc}", file=sys.stderr)
            continue
        children.append(child)
        targets.append((role, child.url, child.proc.pid))
    return targets


async def measure(args: argparse.Namespace, targets: list[Target]) -> list[Stats]:
    """Warm every target up, then run ``--rounds`` interleaved rounds over the ones that work."""
    live = []
    for name, url, pid in targets:
        warm = await drive(name, url, args, max(args.concurrency, args.requests // 10))
        if warm.completed:
            live.append((name, url, pid))
        else:
            print(f"skipping {name}: every warm-up request failed", file=sys.stderr)
    runs: dict[str, list[Stats]] = {name: [] for name, _, _ in live}
    for _ in range(args.rounds):  # interleaved, so a noisy moment hits every target alike
        for name, url, pid in live:
            runs[name].append(await drive_measured(name, url, pid, args))
    return [merge(name, stats) for name, stats in runs.items()]


async def run(args: argparse.Namespace) -> int:
    """Start the servers, measure, stop them, print the table."""
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="gatewaysim-bench-") as tmp:
        log_file = os.path.join(tmp, "access.log")
        try:
            rows = await measure(args, await start_targets(args, log_file, children))
        finally:
            for child in reversed(children):
                await child.stop()
        if os.path.exists(log_file):
            with open(log_file, "rb") as fh:
                print(f"gateway access log: {sum(1 for _ in fh)} lines", file=sys.stderr)
    sizes = f"body={args.body_bytes}B response={args.response_bytes}B"
    gc_note = "GC: every proxy as serve" if args.same_gc else "GC: gateway as serve, others default"
    print(f"requests={args.requests} concurrency={args.concurrency} rounds={args.rounds} {sizes} ({gc_note})")
    report(rows)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--body-bytes", type=int, default=0, help="POST this many bytes per request (0: GET)")
    p.add_argument("--response-bytes", type=int, default=256)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median round is shown")
    p.add_argument("--max-seconds", type=float, default=60.0, help="cap per target run")
    p.add_argument("--same-gc", action="store_true", help="give bare-proxy and forwarder the gateway's GC settings too")
    p.add_argument("--shadow", action="store_true", help="also run the gateway with a shadow policy")
    p.add_argument(
        "--serve", choices=["backend", "bare-proxy", "forwarder", "gateway", "gateway-shadow"], help=argparse.SUPPRESS
    )
    p.add_argument("--backend", help=argparse.SUPPRESS)
    p.add_argument("--log-file", help=argparse.SUPPRESS)
    p.add_argument("--tune-gc", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--max-body-bytes", type=int, default=10 * 1024 * 1024, help=argparse.SUPPRESS)
    p.add_argument("--stream-uploads", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.serve:
        loop_factory = None
        if args.loop == "uvloop":
            import uvloop

            loop_factory = uvloop.new_event_loop
        with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(args))
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
