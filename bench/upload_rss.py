"""Peak memory of a proxy process while a big upload (and download) streams through it.

    python bench/upload_rss.py --mb 1024 [--target forwarder|gateway|bare-proxy]

Starts the backend and the chosen proxy as child processes (see proxy_bench.py), sends ``--mb``
MiB through the proxy with a chunked body (or ``--content-length``), then downloads the same
amount, and prints the proxy's peak RSS (VmHWM from /proc) before and after. Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from proxy_bench import CALLER_IP, Child, spawn

MB = 1024 * 1024


def status(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` memory field in bytes (VmHWM: peak RSS, VmRSS: current)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for pid {pid}")


async def upload(url: str, mb: int, declared: bool) -> float:
    block = b"u" * MB

    async def body() -> AsyncIterator[bytes]:
        for _ in range(mb):
            yield block

    headers = {"X-Forwarded-For": CALLER_IP, "Content-Type": "application/octet-stream"}
    if declared:
        headers["Content-Length"] = str(mb * MB)
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url + "/prod/upload", data=body(), headers=headers) as resp,
    ):
        await resp.read()
        if resp.status != 200 or resp.headers.get("X-Received-Bytes") != str(mb * MB):
            raise RuntimeError(f"upload answered {resp.status}, backend got {resp.headers.get('X-Received-Bytes')}")
    return time.perf_counter() - started


async def download(url: str, size: int) -> float:
    started = time.perf_counter()
    received = 0
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session,
        session.get(f"{url}/prod/download?stream={size}", headers={"X-Forwarded-For": CALLER_IP}) as resp,
    ):
        async for chunk in resp.content.iter_any():
            received += len(chunk)
    if received != size:
        raise RuntimeError(f"downloaded {received} of {size} bytes")
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> int:
    size = args.mb * MB
    children: list[Child] = []
    try:
        backend = await spawn("backend", "--response-bytes", "16")
        children.append(backend)
        proxy = await spawn(
            args.target,
            "--backend",
            backend.url,
            "--max-body-bytes",
            str(2 * size),
            "--log-file",
            "/dev/null",
            "--stream-uploads",  # the gateway reads bodies whole unless forward.stream_uploads (AWS does)
        )
        children.append(proxy)
        pid = proxy.proc.pid
        await upload(proxy.url, 1, declared=True)  # warm-up
        before = status(pid, "VmHWM")
        up = await upload(proxy.url, args.mb, args.content_length)
        after_up = status(pid, "VmHWM")
        print(f"target={args.target} upload={args.mb} MiB ({'content-length' if args.content_length else 'chunked'})")
        print(f"  upload:   {up:.2f} s, {args.mb / up:.0f} MiB/s")
        print(f"  peak RSS: {before / MB:.1f} MiB before, {after_up / MB:.1f} MiB after upload")
        if args.download:
            down = await download(proxy.url, size)
            print(f"  download: {down:.2f} s, {args.mb / down:.0f} MiB/s")
            print(f"  peak RSS: {status(pid, 'VmHWM') / MB:.1f} MiB after download")
        print(f"  current RSS: {status(pid, 'VmRSS') / MB:.1f} MiB")
    finally:
        for child in reversed(children):
            await child.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--mb", type=int, default=1024, help="MiB to send (and receive)")
    p.add_argument("--target", choices=["forwarder", "gateway", "bare-proxy"], default="forwarder")
    p.add_argument("--content-length", action="store_true", help="declare the length instead of chunking")
    p.add_argument("--no-download", dest="download", action="store_false", help="upload only")
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
