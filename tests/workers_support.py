"""Test support for several processes of one gateway: real `gatewaysim serve` processes, a real redis-server.

``ServeProcess`` runs `gatewaysim serve` (``--workers N`` or not) as a subprocess and reads its
banner; ``worker_connections`` opens keep-alive connections until it holds one to each worker
(``/_gatewaysim/health`` names the worker's pid), so a test can send a request to each worker
on purpose; ``redis_server`` starts Debian's redis-server on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gatewaysim.store.private import PrivateRedis

__all__ = [
    "Answer",
    "ServeProcess",
    "eventually",
    "free_port",
    "redis_server",
    "send",
    "worker_connections",
]

T = TypeVar("T")
Answer = tuple[int, Mapping[str, str], bytes]


class ServeProcess:
    """`gatewaysim serve ARGS` in a subprocess: its URL and banner; ``stop()`` ends it (SIGTERM)."""

    def __init__(self, *args: str, timeout: float = 45.0) -> None:
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop(); a pipe could fill up
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gatewaysim", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        self.stderr = ""
        self.banner: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while not any(line.startswith("  health: ") for line in self.banner):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"serve {' '.join(args)} did not start: {self.banner} {self.stderr}")
            self.banner.append(line.rstrip("\n"))
        self.url = self.banner[0].split("listening on ", 1)[1].strip()

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def stop(self) -> str:
        """SIGTERM, wait, and return what it wrote to stderr."""
        if self._errors.closed:
            return self.stderr
        if self.process.poll() is None:
            self.process.terminate()
        self.process.communicate(timeout=40)
        self._errors.seek(0)
        self.stderr = self._errors.read().decode(errors="replace")
        self._errors.close()
        return self.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server() -> Iterator[PrivateRedis]:
    """A real redis-server on 127.0.0.1 and a free port (CI installs it: `.ci/run`)."""
    server = PrivateRedis(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def send(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request on ``conn`` (kept alive): status, headers, body."""
    conn.request(method, path, body=body, headers=dict(headers or {}))
    answer = conn.getresponse()
    return answer.status, dict(answer.getheaders()), answer.read()


@contextlib.contextmanager
def worker_connections(url: str, workers: int, attempts: int = 400) -> Iterator[dict[int, http.client.HTTPConnection]]:
    """One keep-alive connection to each of ``workers`` processes sharing ``url``'s port, by pid."""
    parts = urlsplit(url)
    held: dict[int, http.client.HTTPConnection] = {}
    try:
        for _ in range(attempts):
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
            try:
                status, _, body = send(conn, "GET", "/_gatewaysim/health")
            except OSError:  # a worker going away
                conn.close()
                continue
            pid = int(json.loads(body)["worker"]["pid"]) if status == 200 else 0
            if pid and pid not in held:
                held[pid] = conn
                if len(held) == workers:
                    break
            else:
                conn.close()
        else:
            raise AssertionError(f"reached {len(held)} of {workers} workers in {attempts} connections")
        yield held
    finally:
        for conn in held.values():
            conn.close()


def eventually(check: Callable[[], T | None], timeout: float = 20.0) -> T:
    """``check()`` until it returns a value (not None), for changes another process makes soon."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the change did not arrive in time")
        time.sleep(0.05)


def json_of(answer: Answer) -> Any:
    return json.loads(answer[2])
