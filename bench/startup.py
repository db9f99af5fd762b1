"""Startup time: from process start to ``GET /_gatewaysim/health`` = 200, over N fresh processes.

::

    .venv/bin/python bench/startup.py [--runs 20] [--config FILE] [-- extra serve flags]
    .venv/bin/python bench/startup.py --importtime     # the slowest imports of `gatewaysim serve`

Each run starts ``gatewaysim serve --port 0`` (the console script of this environment), reads the
URL from its start banner, polls the health URL until it answers 200, records the time since
``Popen`` and stops the process with SIGTERM. Prints the median, p90 and max, and the part spent
before the banner appeared. Aim: a median under 0.5 s.

The same runs, interleaved, start a bare aiohttp server on uvloop that answers the health path
(``BARE_SERVER``): the floor any aiohttp gateway starts from on this machine (Python, aiohttp's
and uvloop's imports, one listening socket). The gateway's own share is the difference.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Final

GATEWAYSIM = Path(sys.executable).parent / "gatewaysim"
BARE_SERVER = """
import asyncio, sys
import uvloop
from aiohttp import web

async def main():
    app = web.Application()
    app.router.add_get("/_gatewaysim/health", lambda request: web.json_response({"status": "ok"}))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()

uvloop.run(main())
"""
_URL = re.compile(r"listening on (http://\S+)")


def _banner_url(stream: IO[str], deadline: float) -> str:
    while time.perf_counter() < deadline:
        line = stream.readline()
        if not line:
            raise RuntimeError("the gateway exited before listening")
        match = _URL.search(line)
        if match:
            return match.group(1)
    raise RuntimeError("no banner in time")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_gatewaysim/health", timeout=1) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


CHILD_ENV: Final = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children cache their bytecode, as an installed gatewaysim does (pip compiles it at install):
with ``PYTHONDONTWRITEBYTECODE`` every start would compile the package's sources again."""


def one_run(command: list[str], timeout: float = 10.0) -> tuple[float, float]:
    """(seconds to health 200, seconds to the banner) for one fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=CHILD_ENV)
    try:
        assert process.stdout is not None
        url = _banner_url(process.stdout, started + timeout)
        banner = time.perf_counter() - started
        while not _healthy(url):
            if time.perf_counter() - started > timeout:
                raise RuntimeError("never healthy")
            time.sleep(0.001)
        return time.perf_counter() - started, banner
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, p90 {_percentile(values, 0.9) * 1000:.0f} ms"


def importtime(top: int = 15) -> str:
    """The ``top`` slowest imports (cumulative) of what ``serve`` imports and builds, slowest first."""
    probe = (
        "import gatewaysim.cli.serve; from gatewaysim.config.load import load_settings; "
        "from gatewaysim.gateway.service import Gateway; Gateway(load_settings(None)).service()"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe], capture_output=True, text=True, check=True, env=CHILD_ENV
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return "\n".join(f"{us / 1000:8.1f} ms  {name}" for us, name in rows[:top])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints one summary line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--config", help="a config file for `gatewaysim serve` (default: the embedded default)")
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports instead")
    parser.add_argument("extra", nargs="*", help="more `gatewaysim serve` flags (after `--`)")
    args = parser.parse_args(argv)
    command = [
        str(GATEWAYSIM),
        "serve",
        "--port",
        "0",
        *(["--config", args.config] if args.config else []),
        *args.extra,
    ]
    if args.importtime:
        print(importtime())
        return 0
    bare = [sys.executable, "-c", BARE_SERVER]
    one_run(command)  # warm the file cache
    one_run(bare)
    runs, floor = [], []
    for _ in range(args.runs):  # interleaved: the same noisy minutes for both
        runs.append(one_run(command))
        floor.append(one_run(bare)[0])
    health = [h for h, _ in runs]
    banner = [b for _, b in runs]
    print(f"command: {' '.join(command)}")
    print(f"runs: {len(runs)}")
    print(f"to health 200: {_summary(health)}, max {max(health) * 1000:.0f} ms")
    print(f"to the banner: {_summary(banner)}")
    print(f"bare aiohttp server on uvloop, to health 200: {_summary(floor)}")
    own = statistics.median(health) - statistics.median(floor)
    print(f"gatewaysim's own share (median difference): {own * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
