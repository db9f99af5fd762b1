"""What the gateway costs, measured with wrk: direct backend, nginx, bare aiohttp proxies, the gateway.

    python bench/wrk_bench.py [--rounds 5] [--seconds 5] [--connections 32] [--workers 1]

The load generator is ``wrk`` (a C program: Debian's ``apt-get install wrk``), so the client
does not saturate a core and compress every target's figure the way a Python client does
(``proxy_bench.py``). Without wrk the script says so and falls back to proxy_bench's Python client.

Every target runs in its own process(es) on 127.0.0.1; the backend is one aiohttp process (on
uvloop) that every proxy forwards to. After a warm-up, ``--rounds`` rounds run interleaved over
the targets (a noisy moment hits all of them alike). Per target: req/s (the median round), p50
and p99 latency (wrk's, the median round's), and the CPU time the target's processes spent per
request (user + system from Linux ``/proc``, children included; the median round's). Ratios are
taken per round and shown as the median of the rounds with their spread (lowest-highest).

Targets:
  direct             the backend itself
  nginx              nginx in front of the same backend (when ``nginx`` is installed;
                     ``apt-get install nginx-light``), ``--workers`` worker processes, keep-alive upstream
  bare-proxy         the least aiohttp code that streams a request through (one ClientSession), default loop
  bare-proxy-uvloop  the same on uvloop (like for like with the gateway's default loop)
  gateway            ``gatewaysim serve`` as users run it, defaults on (uvloop on Linux, the JSON access
                     log, the seed's IP-condition policy, X-Forwarded-For from a trusted proxy)
  gateway-asyncio    (``--asyncio``) the same with ``--loop asyncio``
  gateway-ref        (``--compare-with PATH``) the same gateway run from another checkout (PATH: its
                     repository root, e.g. ``git worktree add --detach /tmp/ref main``) with this
                     venv's Python: an A/B of two versions within one run (``gateway/gateway-ref``)

``--targets a,b`` runs only the named targets (``direct`` always runs: the backend is its process).

With ``--workers N`` every proxy runs N processes sharing its port (``SO_REUSEPORT``; nginx: N
worker processes; the gateway: ``serve --workers N`` with a private Redis store). A last phase
measures the latency each target adds at concurrency 1 (``wrk -c1``): the p50 over direct.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proxy_bench  # the server roles and the Python client fallback

REPO = Path(__file__).resolve().parent.parent
SEED_POLICY = REPO / "config" / "default-policy.json"
PATH = "/prod/bench/items?x=1"
CALLER_IP = "203.0.113.7"  # inside the seed policy's allow-list, via the trusted-proxy header
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
CHILD_LOG = os.devnull  # the children's stderr: main() points it at a file in its temporary folder


# --- targets: processes we start and stop ------------------------------------------------


@dataclass
class Target:
    """One server under test: its name, URL and the processes we started for it."""

    name: str
    url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stop_by_stdin: bool = True

    def pids(self) -> list[int]:
        """Our processes and all their descendants (gateway workers, nginx workers)."""
        roots = {p.pid for p in self.procs}
        return sorted(roots | set(_descendants(roots)))

    def stop(self) -> None:
        for proc in self.procs:
            if self.stop_by_stdin and proc.stdin is not None:
                proc.stdin.close()
            elif proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()  # only our own child, by its handle
                proc.wait()


def _descendants(roots: set[int]) -> Iterator[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    todo = list(roots)
    while todo:
        for child in parents.get(todo.pop(), []):
            yield child
            todo.append(child)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds so far of ``pids`` (Linux /proc)."""
    total = 0.0
    for pid in pids:
        seconds = proxy_bench.cpu_seconds(pid)
        total += seconds or 0.0
    return total


def _role(role: str, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(Path(proxy_bench.__file__)), "--serve", role, *extra]
    with open(CHILD_LOG, "ab") as log:  # a client going away mid-answer is logged there, not here
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=REPO)


def _port_of(proc: subprocess.Popen[bytes], role: str) -> int:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.wait()
        raise RuntimeError(f"{role} did not start (exit code {proc.returncode})")
    return int(line)


def start_role(name: str, role: str, workers: int, *extra: str) -> Target:
    """``workers`` processes of a proxy_bench role on one port (SO_REUSEPORT when more than one)."""
    reuse = ["--reuse-port"] if workers > 1 else []
    first = _role(role, *extra, *reuse)
    port = _port_of(first, name)
    target = Target(name, f"http://127.0.0.1:{port}", [first])
    for _ in range(workers - 1):
        proc = _role(role, *extra, "--reuse-port", "--port", str(port))
        target.procs.append(proc)
        _port_of(proc, name)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream backend {{ server 127.0.0.1:{backend_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def start_nginx(backend_port: int, workers: int, tmp: str) -> Target | None:
    """nginx in front of the backend, or None (and why on stderr) when it is not installed."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        print("no nginx: its reference line is left out (apt-get install nginx-light)", file=sys.stderr)
        return None
    port = free_port()
    conf = Path(tmp) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, tmp=tmp, backend_port=backend_port, port=port))
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", str(conf)], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    target = Target("nginx", f"http://127.0.0.1:{port}", [proc], stop_by_stdin=False)
    if not _wait_http(target.url, proc):
        target.stop()
        print("nginx did not start: its line is left out", file=sys.stderr)
        return None
    return target


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> bool:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + PATH, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    return False


GATEWAY_CONFIG = """\
host: 127.0.0.1
port: 0
api:
  backend: {backend}
  policy: {policy}
identity:
  trusted_proxies: [127.0.0.1/32]
log:
  format: json
  file: {log}
"""


def start_gateway(name: str, backend: str, tmp: str, workers: int, *flags: str, repo: Path = REPO) -> Target:
    """``gatewaysim serve`` as users run it (a config file, the defaults), reading the URL from its banner.

    ``repo``: the checkout whose ``gatewaysim`` runs (``python -m`` imports it from the working directory).
    """
    config = Path(tmp) / f"{name}.yaml"
    config.write_text(GATEWAY_CONFIG.format(backend=backend, policy=SEED_POLICY, log=Path(tmp) / f"{name}.log"))
    command = [sys.executable, "-m", "gatewaysim", "serve", "--config", str(config), *flags]
    if workers > 1:
        command += ["--workers", str(workers)]
    with open(CHILD_LOG, "ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd=repo)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            break
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            target = Target(name, match.group(1), [proc], stop_by_stdin=False)
            _drain(proc)
            if _wait_http(target.url, proc):
                return target
            break
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{name} did not start")


def _drain(proc: subprocess.Popen[bytes]) -> None:
    """Keep reading the gateway's stdout so it never blocks on a full pipe."""
    import threading

    stream = proc.stdout
    assert stream is not None
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()


# --- load: wrk ----------------------------------------------------------------------------


@dataclass
class Round:
    """One wrk run against one target."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> tuple[int, float, float, float, int]:
    """(requests, seconds, p50 ms, p99 ms, non-2xx + socket errors) from ``wrk --latency`` output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if done is None or p50 is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    seconds = _ms(done.group(2) + done.group(3)) / 1000
    return int(done.group(1)), seconds, _ms(p50.group(1)), _ms(p99.group(1)), errors


def wrk_round(wrk: str, target: Target, seconds: float, connections: int, threads: int) -> Round:
    pids = target.pids()
    before = cpu_seconds(pids)
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["-H", f"X-Forwarded-For: {CALLER_IP}", target.url + PATH]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_seconds(pids)
    requests, took, p50, p99, errors = parse_wrk(output)
    cpu = (after - before) / requests * 1e6 if requests else None
    return Round(requests, took, p50, p99, errors, cpu)


def python_round(target: Target, seconds: float, connections: int) -> Round:
    """The fallback without wrk: proxy_bench's Python client (it saturates a core itself)."""
    args = argparse.Namespace(body_bytes=0, concurrency=connections, max_seconds=seconds)
    pids = target.pids()
    before = cpu_seconds(pids)
    requests = max(connections, int(seconds * 3000))
    stats = asyncio.run(proxy_bench.drive(target.name, target.url, args, requests))
    after = cpu_seconds(pids)
    cpu = (after - before) / stats.completed * 1e6 if stats.completed else None
    return Round(stats.completed, stats.seconds, stats.pct(0.5), stats.pct(0.99), stats.errors, cpu)


# --- the run ------------------------------------------------------------------------------


def start_targets(args: argparse.Namespace, tmp: str) -> list[Target]:
    backend = start_role("direct", "backend", 1, "--loop", "uvloop", "--response-bytes", str(args.response_bytes))
    targets = [backend]
    wanted = set(args.targets.split(",")) if args.targets else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    nginx = start_nginx(int(backend.url.rsplit(":", 1)[1]), args.workers, tmp) if want("nginx") else None
    if nginx is not None:
        targets.append(nginx)
    if want("bare-proxy"):
        targets.append(start_role("bare-proxy", "bare-proxy", args.workers, "--backend", backend.url))
    if want("bare-proxy-uvloop"):
        uvloop = ("--backend", backend.url, "--loop", "uvloop")
        targets.append(start_role("bare-proxy-uvloop", "bare-proxy", args.workers, *uvloop))
    if want("gateway"):
        targets.append(start_gateway("gateway", backend.url, tmp, args.workers))
    if args.asyncio:
        targets.append(start_gateway("gateway-asyncio", backend.url, tmp, args.workers, "--loop", "asyncio"))
    if args.compare_with:
        ref = Path(args.compare_with).resolve()
        targets.append(start_gateway("gateway-ref", backend.url, tmp, args.workers, repo=ref))
    return targets


def measure(args: argparse.Namespace, targets: list[Target], connections: int, rounds: int) -> dict[str, list[Round]]:
    wrk = shutil.which("wrk")
    run = (
        (lambda t, s: wrk_round(wrk, t, s, connections, args.threads))
        if wrk
        else (lambda t, s: python_round(t, s, connections))
    )
    for target in targets:  # warm-up
        run(target, min(1.0, args.seconds))
    results: dict[str, list[Round]] = {t.name: [] for t in targets}
    for _ in range(rounds):  # interleaved: a noisy moment hits every target alike
        for target in targets:
            results[target.name].append(run(target, args.seconds))
    return results


def _median_round(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.rps)[len(rounds) // 2]


def report(results: dict[str, list[Round]]) -> None:
    print(f"{'target':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} {'errors':>6}")
    for name, rounds in results.items():
        row = _median_round(rounds)
        cpu = statistics.median([r.cpu_us for r in rounds if r.cpu_us is not None] or [float("nan")])
        errors = sum(r.errors for r in rounds)
        print(f"{name:<18} {row.rps:>8.0f} {row.p50_ms:>7.2f} {row.p99_ms:>7.2f} {cpu:>10.0f} {errors:>6}")
    print()
    for a, b in (
        ("gateway", "bare-proxy"),
        ("gateway", "bare-proxy-uvloop"),
        ("gateway", "direct"),
        ("gateway", "gateway-ref"),
        ("gateway-ref", "bare-proxy"),
        ("gateway-ref", "bare-proxy-uvloop"),
        ("gateway-asyncio", "bare-proxy"),
        ("bare-proxy", "direct"),
        ("nginx", "direct"),
    ):
        if a in results and b in results:
            print(f"{a}/{b}: {_ratios(results[a], results[b])}")


def _ratios(a: list[Round], b: list[Round]) -> str:
    """Per-round ratios: the median and the spread (lowest-highest)."""

    def summary(values: list[float]) -> str:
        return f"x{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    rps = [x.rps / y.rps for x, y in zip(a, b, strict=True) if y.rps]
    cpu = [x.cpu_us / y.cpu_us for x, y in zip(a, b, strict=True) if x.cpu_us and y.cpu_us]
    p50 = [x.p50_ms / y.p50_ms for x, y in zip(a, b, strict=True) if y.p50_ms]
    return f"throughput {summary(rps)}, CPU per request {summary(cpu)}, p50 latency {summary(p50)}"


def report_latency(results: dict[str, list[Round]]) -> None:
    direct = statistics.median(r.p50_ms for r in results["direct"])
    print("\nconcurrency 1 (wrk -c1): p50 latency, and what each adds over direct")
    for name, rounds in results.items():
        p50 = statistics.median(r.p50_ms for r in rounds)
        added = "" if name == "direct" else f"  (+{(p50 - direct) * 1000:.0f} us)"
        print(f"  {name:<18} {p50 * 1000:>6.0f} us{added}")


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is shown)")
    p.add_argument("--seconds", type=float, default=5.0, help="wrk's duration per round and target")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--workers", type=int, default=1, help="processes per proxy (SO_REUSEPORT)")
    p.add_argument("--response-bytes", type=int, default=256)
    p.add_argument("--asyncio", action="store_true", help="also run the gateway with --loop asyncio")
    p.add_argument("--compare-with", metavar="PATH", help="also run the gateway of the checkout at PATH")
    p.add_argument("--targets", help="comma-separated targets to run (default: all; direct always runs)")
    p.add_argument("--latency-seconds", type=float, default=3.0, help="the concurrency-1 phase (0: skip it)")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "warning: wrk is not installed (apt-get install wrk); falling back to the Python client, "
            "which saturates a core itself and compresses every ratio",
            file=sys.stderr,
        )
    print(f"{load_line()} at start", file=sys.stderr)
    global CHILD_LOG
    with tempfile.TemporaryDirectory(prefix="gatewaysim-wrk-") as tmp:
        CHILD_LOG = os.path.join(tmp, "children.log")
        targets = start_targets(args, tmp)
        try:
            results = measure(args, targets, args.connections, args.rounds)
            latency = None
            if args.latency_seconds > 0:
                one = argparse.Namespace(**{**vars(args), "seconds": args.latency_seconds})
                latency = measure(one, targets, 1, args.rounds)
        finally:
            for target in reversed(targets):
                target.stop()
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s, {args.rounds} interleaved rounds, "
        f"workers={args.workers}, response {args.response_bytes} B; {load_line()} at the end"
    )
    report(results)
    if latency is not None:
        report_latency(latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
