"""A ``redis-server`` of our own: for ``serve --workers N`` without a ``store`` (and for tests).

``PrivateRedis`` starts Debian's ``redis-server`` (``apt-get install redis-server``) as a child
process with no persistence, listening on a Unix socket in a private temporary folder (mode 700:
only this user reaches it), or on ``127.0.0.1:port`` when a port is given. ``stop`` ends it and
removes the folder. It speaks to the server only to wait for its ``PONG``, without the ``redis``
client, so the supervisor that starts it imports nothing heavy.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Final

from gatewaysim.errors import StoreError

__all__ = ["PrivateRedis", "redis_server"]

START_TIMEOUT_S: Final = 10.0


def redis_server() -> str | None:
    """The ``redis-server`` executable, or None when it is not installed."""
    return shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(path, os.X_OK)), None
    )


class PrivateRedis:
    """A child ``redis-server``: ``start()`` returns its URL, ``stop()`` ends it (idempotent)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port
        self._folder: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        """Start the server and wait until it answers; its URL (``unix://...`` or ``redis://...``)."""
        executable = redis_server()
        if executable is None:
            raise StoreError("`redis-server` is not installed (apt-get install redis-server)")
        self._folder = tempfile.mkdtemp(prefix="gatewaysim-redis-")  # mode 700
        socket_path = Path(self._folder) / "redis.sock"
        command = [executable, "--save", "", "--appendonly", "no", "--dir", self._folder, "--loglevel", "warning"]
        if self.port is None:
            command += ["--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"]
            self.url = f"unix://{socket_path}"
        else:
            command += ["--port", str(self.port), "--bind", "127.0.0.1"]
            self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait(socket_path)
        return self.url

    def _wait(self, socket_path: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                self.stop()
                raise StoreError(f"`redis-server` stopped at once: {error.strip()[-300:]}")
            if _pong(socket_path, self.port):
                return
            time.sleep(0.02)
        self.stop()
        raise StoreError(f"`redis-server` did not answer within {START_TIMEOUT_S:g} s")

    def stop(self) -> None:
        """End the server (it saves nothing) and remove its folder."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()  # our own child, by its handle
                    process.wait()
            if process.stderr is not None:
                process.stderr.close()
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _pong(socket_path: Path, port: int | None) -> bool:
    """True when the server answers ``PING`` (a Unix socket, else 127.0.0.1:port)."""
    try:
        if port is None:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1)
                sock.connect(str(socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
