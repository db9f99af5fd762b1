"""One worker process of a local function, seen from the gateway (the child is ``worker``).

``WorkerProcess.start`` spawns the child in its own session (so a kill takes anything it started
along) with the function's code directory as working directory and only the environment Lambda
would give it; ``ready`` waits for the handler to load; ``invoke`` sends one event and reads the
frames back until the answer. Everything the child prints goes to the function's log, tagged
with the request id in flight. Any failure of the child ends in ``Died`` (with Lambda's words
for it), never in an exception for the gateway; the pool then kills and replaces the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from gatewaysim.config.functions import FunctionSettings
from gatewaysim.integrations.lambda_proxy import frames

__all__ = [
    "WORKER_MODULE",
    "Answer",
    "Died",
    "FunctionLog",
    "WorkerProcess",
]

WORKER_MODULE: Final = "gatewaysim.integrations.lambda_proxy.worker"
_MAX_LINE: Final = 16 * 1024
EOF: Final = -1
"""The frame kind the reader hands on when the worker's pipe ends."""


class Answer(NamedTuple):
    """What a worker answered for one invocation: ``RESULT`` (the function's JSON) or ``ERROR``."""

    kind: int
    payload: bytes


class Died(NamedTuple):
    """The worker ended or broke the protocol: Lambda's error type and message for it."""

    error_type: str
    message: str


class FunctionLog:
    """The log of one function: each line tagged with the request id (``gatewaysim.function.<name>``)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(f"gatewaysim.function.{name}")

    def lines(self, request_id: str | None, text: str, level: int = logging.INFO) -> None:
        """Log each line of ``text`` (control characters escaped, long lines cut)."""
        tag = request_id or "-"
        for line in text.splitlines():
            if not line.replace("\t", " ").isprintable():  # SECURITY: no terminal escapes into the log
                line = line.encode("unicode_escape").decode("ascii")
            self.logger.log(level, "[%s] %s", tag, line[:_MAX_LINE])


def _stamps(payload: bytes) -> dict[str, tuple[int, int]]:
    """The ``modules`` of a READY or MODULES frame: file -> (mtime ns, size) when the worker loaded it."""
    found = json.loads(payload).get("modules")
    if not isinstance(found, dict):
        return {}
    return {str(path): (int(stamp[0]), int(stamp[1])) for path, stamp in found.items() if isinstance(stamp, list)}


def _died(returncode: int | None) -> Died:
    if returncode is None:
        return Died("Runtime.ExitError", "Runtime exited without providing a reason")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name.removeprefix("SIG").lower()
        except ValueError:
            name = str(-returncode)
        return Died("Runtime.ExitError", f"Runtime exited with error: signal: {name}")
    return Died("Runtime.ExitError", f"Runtime exited with error: exit status {returncode}")


class _FrameReader(asyncio.Protocol):
    """Cuts the worker's pipe into frames and hands each to ``on_frame``; the end of the pipe is ``EOF``."""

    def __init__(self, on_frame: Callable[[int, bytes], None]) -> None:
        self._buffer = bytearray()
        self._on_frame = on_frame
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        if not buffer and len(data) >= frames.HEADER.size:  # the common case: exactly one whole frame
            size, kind = frames.HEADER.unpack_from(data)
            if len(data) == frames.HEADER.size + size and size <= frames.MAX_PAYLOAD:
                self._on_frame(kind, data[frames.HEADER.size :])
                return
        buffer += data
        while len(buffer) >= frames.HEADER.size:
            size, kind = frames.HEADER.unpack_from(buffer)
            if size > frames.MAX_PAYLOAD:  # SECURITY: the gateway never buffers more than Lambda allows
                self._on_frame(EOF, b"")
                if self._transport is not None:
                    self._transport.close()
                return
            end = frames.HEADER.size + size
            if len(buffer) < end:
                return
            payload = bytes(buffer[frames.HEADER.size : end])
            del buffer[:end]
            self._on_frame(kind, payload)

    def eof_received(self) -> bool | None:
        self._on_frame(EOF, b"")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_frame(EOF, b"")


class WorkerProcess:
    """One running worker of ``function``; one invocation at a time."""

    def __init__(self, function: FunctionSettings, log: FunctionLog) -> None:
        self.function = function
        self.log = log
        self.request_id: str | None = None  # the invocation in flight, for tagging its output
        self.started = time.perf_counter()
        self.modules: dict[str, tuple[int, int]] = {}  # code files it loaded -> (mtime ns, size) then
        self.alive = False
        self.served = False  # loaded and answered once: the next invocation is a warm start
        self._process: asyncio.subprocess.Process | None = None
        self._answers: deque[tuple[int, bytes]] = deque()  # READY, INIT_ERROR, RESULT, ERROR or EOF
        self._waiter: asyncio.Future[None] | None = None
        self._read_transport: asyncio.BaseTransport | None = None
        self._write_transport: asyncio.WriteTransport | None = None
        self._output: asyncio.Task[None] | None = None

    async def start(self, init: Mapping[str, Any], env: Mapping[str, str]) -> None:
        """Spawn the child and send it what to load (``ready`` waits for it)."""
        loop = asyncio.get_running_loop()
        child_in, parent_out = os.pipe()
        parent_in, child_out = os.pipe()
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                WORKER_MODULE,
                str(child_in),
                str(child_out),
                str(os.getpid()),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                cwd=str(self.function.code_dir or "."),
                env=dict(env),
                pass_fds=(child_in, child_out),
                start_new_session=True,  # SECURITY: the whole process group goes on a kill
            )
        except BaseException:
            for fd in (parent_in, parent_out):
                os.close(fd)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        self._read_transport, _ = await loop.connect_read_pipe(
            lambda: _FrameReader(self._on_frame), os.fdopen(parent_in, "rb", 0)
        )
        self._write_transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(parent_out, "wb", 0))
        self.alive = True
        self._output = asyncio.create_task(self._relay_output())
        self._write_transport.write(frames.encode(frames.INIT, json.dumps(dict(init)).encode()))

    def _on_frame(self, kind: int, payload: bytes) -> None:
        if kind == frames.LOG:  # in order with the answer: the line belongs to the invocation in flight
            self.log.lines(self.request_id, payload.decode("utf-8", "replace"))
            return
        if kind == frames.MODULES:
            self.modules = _stamps(payload)
            return
        if kind == EOF and self._answers and self._answers[-1][0] == EOF:
            return
        self._answers.append((kind, payload))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _next(self) -> tuple[int, bytes]:
        """The next answer frame (EOF once the pipe ended)."""
        while not self._answers:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        kind, payload = self._answers[0]
        if kind != EOF:
            self._answers.popleft()
        return kind, payload

    async def _relay_output(self) -> None:
        """What the child writes to its own stdout/stderr (C code, subprocesses) goes to the log."""
        stream = self._process.stdout if self._process is not None else None
        if stream is None:
            return
        with contextlib.suppress(Exception):
            while chunk := await stream.read(_MAX_LINE):
                self.log.lines(self.request_id, chunk.decode("utf-8", "replace"))

    async def ready(self) -> Died | None:
        """Wait until the handler is loaded: None, or why the worker cannot serve."""
        kind, payload = await self._next()
        if kind == frames.READY:
            self.modules = _stamps(payload)
            return None
        if kind == frames.INIT_ERROR:
            error = json.loads(payload)
            self._log_error(None, error)
            return Died(str(error.get("errorType")), str(error.get("errorMessage")))
        if kind == EOF:
            return await self._exit()
        return Died("Runtime.InvalidResponse", f"unexpected frame `{chr(kind)}` while loading")

    def _log_error(self, request_id: str | None, error: Mapping[str, Any]) -> None:
        trace = "".join(str(line) for line in error.get("stackTrace") or [])
        text = f"{error.get('errorType')}: {error.get('errorMessage')}"
        self.log.lines(request_id, text + (f"\nTraceback (most recent call last):\n{trace}" if trace else ""))

    async def invoke(self, request_id: str, payload: bytes) -> Answer | Died:
        """Send one invocation and wait for its answer; the caller bounds the time."""
        transport = self._write_transport
        if transport is None or transport.is_closing():
            return await self._exit()
        self.request_id = request_id
        try:
            transport.write(frames.encode(frames.INVOKE, payload))
            kind, data = await self._next()
        finally:
            self.request_id = None
        if kind in (frames.RESULT, frames.ERROR):
            return Answer(kind, data)
        if kind == EOF:
            return await self._exit()
        return Died("Runtime.InvalidResponse", f"unexpected frame `{chr(kind)}`")

    async def _exit(self) -> Died:
        """The child broke its pipe: wait briefly for its exit status, for Lambda's message."""
        self.alive = False
        process = self._process
        if process is None:
            return _died(None)
        try:
            returncode = await asyncio.wait_for(process.wait(), 1.0)
        except TimeoutError:
            returncode = None
        return _died(returncode)

    def kill(self) -> None:
        """Kill the child and everything in its session at once (idempotent)."""
        self.alive = False
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for transport in (self._write_transport, self._read_transport):
            if transport is not None:
                transport.close()

    async def close(self) -> None:
        """Kill the child and wait until it is gone and its pipes are closed."""
        self.kill()
        process = self._process
        if process is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), 5.0)
        if self._output is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._output, 1.0)
