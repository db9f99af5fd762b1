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
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from gatewaysim.config.functions import FunctionSettings
from gatewaysim.integrations.lambda_proxy import frames

__all__ = [
    "WORKER_MODULE",
    "Answer",
    "Died",
    "FunctionLog",
    "WorkerProcess",
    "worker_environment",
]

WORKER_MODULE: Final = "gatewaysim.integrations.lambda_proxy.worker"
_PASSED_ON: Final = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")
"""Host variables a worker keeps: what a Python process needs to start. Nothing else leaks in."""
_MAX_LINE: Final = 16 * 1024


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


def worker_environment(function: FunctionSettings, region: str, host: Mapping[str, str]) -> dict[str, str]:
    """The worker's environment: a few host variables, Lambda's own, then the function's."""
    env = {key: host[key] for key in _PASSED_ON if key in host}
    code_dir = str(function.code_dir or "")
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": _log_stream(),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.dirname(os.__file__)),
            "_HANDLER": function.handler or "",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            # no __pycache__ in the user's code (Lambda's task root is read-only too), so an edit
            # within the same second and of the same size is never read from a stale .pyc
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(function.environment)  # the config refuses Lambda's reserved names here
    return env


def _log_stream() -> str:
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{os.urandom(16).hex()}"


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


class WorkerProcess:
    """One running worker of ``function``; one invocation at a time."""

    def __init__(self, function: FunctionSettings, log: FunctionLog) -> None:
        self.function = function
        self.log = log
        self.request_id: str | None = None  # the invocation in flight, for tagging raw output
        self.started = time.perf_counter()
        self.modules: dict[str, tuple[int, int]] = {}  # code files it loaded -> (mtime ns, size) then
        self.alive = False
        self.served = False  # loaded and answered once: the next invocation is a warm start
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._read_transport: asyncio.ReadTransport | None = None
        self._writer: asyncio.StreamWriter | None = None
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
        self._reader = asyncio.StreamReader(limit=frames.MAX_PAYLOAD + frames.HEADER.size)
        reader = self._reader
        self._read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(parent_in, "rb", 0)
        )
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(parent_out, "wb", 0)
        )
        self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        self.alive = True
        self._output = asyncio.create_task(self._relay_output())
        self._writer.write(frames.encode(frames.INIT, json.dumps(dict(init)).encode()))

    async def _relay_output(self) -> None:
        """What the child writes to its own stdout/stderr (C code, subprocesses) goes to the log."""
        stream = self._process.stdout if self._process is not None else None
        if stream is None:
            return
        with contextlib.suppress(Exception):
            while chunk := await stream.read(_MAX_LINE):
                self.log.lines(self.request_id, chunk.decode("utf-8", "replace"))

    async def _frame(self) -> tuple[int, bytes]:
        assert self._reader is not None
        size, kind = frames.HEADER.unpack(await self._reader.readexactly(frames.HEADER.size))
        if size > frames.MAX_PAYLOAD:  # SECURITY: the gateway never buffers more than Lambda allows
            raise ValueError(f"frame of {size} bytes")
        return kind, await self._reader.readexactly(size) if size else b""

    async def ready(self) -> Died | None:
        """Wait until the handler is loaded: None, or why the worker cannot serve."""
        try:
            while True:
                kind, payload = await self._frame()
                if kind == frames.READY:
                    self.modules = _stamps(payload)
                    return None
                if kind == frames.LOG:
                    self.log.lines(None, payload.decode("utf-8", "replace"))
                elif kind == frames.INIT_ERROR:
                    error = json.loads(payload)
                    self._log_error(None, error)
                    return Died(str(error.get("errorType")), str(error.get("errorMessage")))
                else:
                    return Died("Runtime.InvalidResponse", f"unexpected frame `{chr(kind)}` while loading")
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return await self._exit()

    def _log_error(self, request_id: str | None, error: Mapping[str, Any]) -> None:
        trace = "".join(str(line) for line in error.get("stackTrace") or [])
        text = f"{error.get('errorType')}: {error.get('errorMessage')}"
        self.log.lines(request_id, text + (f"\nTraceback (most recent call last):\n{trace}" if trace else ""))

    async def invoke(self, request_id: str, payload: bytes) -> Answer | Died:
        """Send one invocation and read until its answer; the caller bounds the time."""
        assert self._writer is not None
        self.request_id = request_id
        try:
            self._writer.write(frames.encode(frames.INVOKE, payload))
            await self._writer.drain()
            while True:
                kind, data = await self._frame()
                if kind in (frames.RESULT, frames.ERROR):
                    return Answer(kind, data)
                if kind == frames.LOG:
                    self.log.lines(request_id, data.decode("utf-8", "replace"))
                elif kind == frames.MODULES:
                    self.modules = _stamps(data)
                else:
                    return Died("Runtime.InvalidResponse", f"unexpected frame `{chr(kind)}`")
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return await self._exit()
        finally:
            self.request_id = None

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
        if self._writer is not None:
            self._writer.close()
        if self._read_transport is not None:
            self._read_transport.close()

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
