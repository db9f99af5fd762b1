"""What a Lambda proxy method costs next to an HTTP proxy one, measured with wrk; and cold starts.

    .venv/bin/python bench/lambda_bench.py [--seconds 10] [--connections 1 --connections 16] [--threads 1]
        [--rounds 3] [--cold-starts 20] [--concurrency 2]

Starts, each in its own process on 127.0.0.1: a trivial HTTP backend, and ``gatewaysim serve``
with two methods: ``GET /proxy`` (HTTP_PROXY to that backend) and ``GET /lambda`` (AWS_PROXY to a
trivial Python handler, ``--concurrency`` workers). wrk drives each for ``--seconds``, rounds
interleaved, once per ``--connections`` (default: 1, the latency one request adds; then 16, the
throughput); each table shows each target's median round (req/s, p50, p99) and what the Lambda
method adds over the HTTP one. Then ``--cold-starts`` times a worker's cold start: from starting
the process to the first answer (handler import included), through the gateway's own
``FunctionPool``, no HTTP.

CPU per request is the gateway's and the backend's (or the function workers') own CPU time
(``/proc``, Linux) over the requests wrk completed: steadier than req/s on a shared machine.

wrk is Debian's ``wrk`` package (``apt-get install wrk``); nothing installs it for you.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HANDLER = 'def lambda_handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'
BACKEND = """
import sys
from aiohttp import web

async def ok(request):
    return web.Response(text="ok", content_type="application/json")

app = web.Application()
app.router.add_get("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, timeout: float = 20.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def _stat(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds used) of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(pids: tuple[int, ...]) -> float:
    """CPU seconds of ``pids`` and their live children (the gateway's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, used = _stat(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
        if int(entry.name) in pids or parent in pids:
            total += used
    return total


@contextmanager
def _servers(workdir: Path, concurrency: int) -> Iterator[tuple[str, tuple[int, int]]]:
    """The backend and the gateway, running; yields the gateway's URL and both pids."""
    backend_port, gateway_port = _free_port(), _free_port()
    (workdir / "fn").mkdir()
    (workdir / "fn" / "app.py").write_text(HANDLER)
    config = {
        "port": gateway_port,
        "api": {
            "policy": None,
            "backend": f"http://127.0.0.1:{backend_port}",
            "routes": [
                {"resource": "/proxy", "method": "GET"},
                {"resource": "/lambda", "method": "GET", "integration": {"type": "AWS_PROXY", "function": "fn"}},
            ],
        },
        "functions": {"fn": {"handler": "app.lambda_handler", "code": "fn", "concurrency": concurrency}},
        "log": {"file": str(workdir / "access.log")},
        "reload": {"enabled": False},
    }
    (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
    python = sys.executable
    backend = subprocess.Popen([python, "-c", BACKEND, str(backend_port)])
    gateway = subprocess.Popen(
        [python, "-m", "gatewaysim", "serve", "--config", str(workdir / "gateway.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        url = f"http://127.0.0.1:{gateway_port}"
        _wait_for(f"http://127.0.0.1:{backend_port}/")
        _wait_for(f"{url}/_gatewaysim/health")
        yield url, (gateway.pid, backend.pid)
    finally:
        for process in (gateway, backend):
            process.send_signal(signal.SIGTERM)
        for process in (gateway, backend):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if found is None:
        raise ValueError(f"wrk printed an unexpected latency `{text}`")
    return float(found[1]) * _UNITS[found[2]]


def _wrk(url: str, seconds: int, connections: int, threads: int, pids: tuple[int, ...] = ()) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    before = _cpu(pids) if pids else 0.0
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used = _cpu(pids) - before if pids else 0.0
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"^\s*(\d+) requests in", out, re.MULTILINE)
    if rate is None or "50" not in latency:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return {
        "rps": float(rate[1]),
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "errors": float(errors[1]) if errors else 0.0,
        "cpu_us": used / int(total[1]) * 1e6 if total and int(total[1]) else 0.0,
    }


async def _cold_starts(runs: int) -> list[float]:
    sys.path.insert(0, str(ROOT))
    from gatewaysim.config.functions import FunctionSettings
    from gatewaysim.integrations.lambda_proxy.host import FunctionHost

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "app.py").write_text(HANDLER)
        function = FunctionSettings("cold", "app.lambda_handler", Path(tmp), "app", None, "lambda_handler")
        for _ in range(runs):
            host = FunctionHost({"cold": function})
            await host.start()
            started = time.perf_counter()
            deadline = asyncio.get_running_loop().time() + 30
            invoked = await host.invoke("cold", b"{}", "bench", "arn:aws:lambda:::function:cold", "", deadline)
            out.append((time.perf_counter() - started) * 1000)
            assert invoked is not None and invoked.kind == "result" and invoked.cold_start, invoked
            await host.close()
    return out


def _table(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    medians = {}
    print(f"{'target':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>11} {'non-2xx':>8}")
    for name, rounds in results.items():
        chosen = sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]
        medians[name] = chosen
        print(
            f"{name:8} {chosen['rps']:8.0f} {chosen['p50']:8.2f} {chosen['p99']:8.2f} "
            f"{chosen['cpu_us']:11.0f} {chosen['errors']:8.0f}"
        )
    return medians


def _phase(url: str, pids: tuple[int, ...], connections: int, args: argparse.Namespace) -> None:
    """Rounds of wrk over both methods at ``connections``; the table and the Lambda method's extra cost."""
    results: dict[str, list[dict[str, float]]] = {"proxy": [], "lambda": []}
    for _ in range(args.rounds):
        for name in results:
            results[name].append(_wrk(f"{url}/prod/{name}", args.seconds, connections, args.threads, pids))
    print(
        f"\nwrk -t{args.threads} -c{connections} -d{args.seconds}s, {args.rounds} rounds, "
        f"function concurrency {args.concurrency} (median round; load average {os.getloadavg()[0]:.1f})"
    )
    medians = _table(results)
    proxy, lam = medians["proxy"], medians["lambda"]
    print(
        f"lambda vs proxy: throughput x{lam['rps'] / proxy['rps']:.2f}, "
        f"p50 +{lam['p50'] - proxy['p50']:.2f} ms, p99 +{lam['p99'] - proxy['p99']:.2f} ms, "
        f"CPU per request (gateway + backend or workers) x{lam['cpu_us'] / max(proxy['cpu_us'], 1):.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, action="append", help="wrk -c per phase (default 1 and 16)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-starts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes of the function")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian's package)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, _servers(Path(tmp), args.concurrency) as (url, pids):
        for name in ("proxy", "lambda"):
            _wrk(f"{url}/prod/{name}", 2, 16, args.threads)  # warm-up: every worker started
        for connections in args.connections or [1, 16]:
            _phase(url, pids, connections, args)
    if args.cold_starts:
        starts = asyncio.run(_cold_starts(args.cold_starts))
        ordered = sorted(starts)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        median = statistics.median(starts)
        print(
            f"\ncold start (process start to first answer), {len(starts)} runs: median {median:.0f} ms, "
            f"p90 {p90:.0f} ms, max {max(starts):.0f} ms"
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
