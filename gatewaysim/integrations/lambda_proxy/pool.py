"""The worker processes of one local function: Lambda's warm instances, at most ``concurrency``.

An invocation takes an idle worker (a warm start) or, below ``concurrency``, starts a new one (a
cold start: process start, handler import); otherwise it waits for one to come free. The wait,
the cold start and the run all count against the integration's timeout. A worker goes back to
the idle list only after a clean answer; after a crash, a timeout of either kind, a broken
protocol or a cancelled request it is killed (with everything it started) and a later
invocation starts a fresh one, so a hang or a crash costs only that worker.

``recycle`` retires every worker of the current code (idle ones at once, busy ones when they
finish). Each worker reports the files it loaded from the code directory with the (mtime, size)
they had then; ``stale_files`` compares them with the files now, and the code watcher recycles
when one changed. With ``check_handler`` each invocation first compares the handler's own file,
so the request after an edit runs the new code.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from gatewaysim.config.functions import FunctionSettings
from gatewaysim.integrations.lambda_proxy.frames import ERROR, MAX_EVENT
from gatewaysim.integrations.lambda_proxy.outcome import (
    FUNCTION_ERROR,
    REFUSED,
    RESULT,
    TIMEOUT,
    Invoked,
    error_payload,
)
from gatewaysim.integrations.lambda_proxy.process import Died, FunctionLog, WorkerProcess
from gatewaysim.integrations.waiters import WaitQueue

__all__ = ["FunctionPool", "Stamp", "file_stamp"]

Stamp = tuple[int, int] | None
"""A file's (mtime in ns, size), or None when it is gone."""


def file_stamp(path: str | Path) -> Stamp:
    """The (mtime, size) of ``path``, None when it cannot be read."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _handler_file(function: FunctionSettings) -> Path | None:
    if function.file is not None:
        return function.file
    if function.module is None or function.code_dir is None:
        return None
    base = function.code_dir.joinpath(*function.module.split("."))
    module = base.with_suffix(".py")
    return module if module.is_file() else base / "__init__.py"


class FunctionPool:
    """The workers of one local function (module docstring)."""

    def __init__(
        self,
        function: FunctionSettings,
        init: Mapping[str, Any],
        env: Mapping[str, str],
        log: FunctionLog,
        *,
        check_handler: bool = False,
    ) -> None:
        self.function = function
        self.log = log
        self._init = dict(init)
        self._env = dict(env)
        self._idle: list[WorkerProcess] = []
        self._all: set[WorkerProcess] = set()
        self._generation: dict[WorkerProcess, int] = {}
        self._waiters = WaitQueue()  # callers waiting for a worker when `concurrency` are busy
        self._closing: set[asyncio.Task[None]] = set()
        self.generation = 0
        self.closed = False
        self.handler_file = str(_handler_file(function)) if check_handler else None

    @property
    def size(self) -> int:
        """Workers alive or starting."""
        return len(self._all)

    def stale_files(self, only: str | None = None) -> list[str]:
        """The files some live worker loaded that differ now from when it loaded them (``only``: that one)."""
        now: dict[str, Stamp] = {}
        out: set[str] = set()
        for worker in self._all:
            for path, stamp in worker.modules.items():
                if only is not None and path != only:
                    continue
                if path not in now:
                    now[path] = file_stamp(path)
                if now[path] != stamp:
                    out.add(path)
        return sorted(out)

    def recycle(self, reason: str) -> None:
        """Retire every worker of the current code; the next invocation starts a fresh one."""
        self.generation += 1
        self.log.lines(None, f"{reason}: workers restart")
        idle, self._idle = self._idle, []
        for worker in idle:
            self._discard(worker)

    async def invoke(self, event: bytes, request_id: str, arn: str, trace_id: str, deadline: float) -> Invoked:
        """Run the function on ``event`` (its JSON) before ``deadline`` (the loop's clock)."""
        if len(event) > MAX_EVENT:  # Lambda refuses events over 6 MB (RequestEntityTooLargeException)
            return Invoked(REFUSED, message=f"the event is {len(event)} bytes; Lambda accepts at most 6 MB")
        if self.handler_file is not None and self._idle:
            changed = self.stale_files(self.handler_file)  # one stat: the request after an edit runs the new code
            if changed:
                self.recycle(f"{Path(changed[0]).name} changed")
        started = time.perf_counter()
        worker = self._warm()  # the usual case: an idle worker, nothing to wait for
        if worker is None:
            try:
                async with asyncio.timeout_at(deadline):
                    worker = await self._acquire()
            except TimeoutError:
                return Invoked(TIMEOUT, message=f"all {self.function.concurrency} workers stayed busy")
            except OSError as exc:
                return Invoked(REFUSED, message=f"cannot start a worker: {exc}")
        reusable = False
        try:
            invoked, reusable = await self._run(worker, event, request_id, arn, trace_id, deadline)
            return invoked._replace(duration_ms=(time.perf_counter() - started) * 1000)
        finally:
            self._release(worker, reusable)  # cancelled or failed: the worker is killed

    async def _run(
        self, worker: WorkerProcess, event: bytes, request_id: str, arn: str, trace_id: str, deadline: float
    ) -> tuple[Invoked, bool]:
        """The invocation on ``worker``, and whether the worker may serve again (a clean answer)."""
        loop = asyncio.get_running_loop()
        cold = not worker.served
        if cold:
            try:
                async with asyncio.timeout_at(deadline):
                    died = await worker.ready()
            except TimeoutError:
                return Invoked(TIMEOUT, message="the function was still starting", cold_start=True), False
            if died is not None:
                return self._died(died, request_id, cold), False
        timeout_s = self.function.timeout_s
        function_deadline = loop.time() + timeout_s
        header = {"requestId": request_id, "deadlineMs": int((time.time() + timeout_s) * 1000), "arn": arn}
        payload = orjson.dumps({**header, "traceId": trace_id})[:-1] + b',"event":' + event + b"}"
        try:
            async with asyncio.timeout_at(min(deadline, function_deadline)):
                answer = await worker.invoke(request_id, payload)
        except TimeoutError:
            if function_deadline <= deadline:  # the function's own Timeout: a function error (spec 18.2)
                message = f"Task timed out after {timeout_s:.2f} seconds"
                self.log.lines(request_id, message)
                timed_out = error_payload("Sandbox.Timedout", message, request_id)
                return Invoked(FUNCTION_ERROR, timed_out, message, cold), False
            return Invoked(TIMEOUT, message="the function did not answer in time", cold_start=cold), False
        if isinstance(answer, Died):
            return self._died(answer, request_id, cold), False
        worker.served = True
        if answer.kind == ERROR:  # the handler raised: Lambda keeps the instance
            return Invoked(FUNCTION_ERROR, answer.payload, "the function raised", cold), True
        return Invoked(RESULT, answer.payload, cold_start=cold), True

    def _died(self, died: Died, request_id: str, cold: bool) -> Invoked:
        self.log.lines(request_id, f"{died.error_type}: {died.message}")
        return Invoked(FUNCTION_ERROR, error_payload(died.error_type, died.message, request_id), died.message, cold)

    def _warm(self) -> WorkerProcess | None:
        """An idle worker of the current code, or None."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive and self._generation.get(worker) == self.generation:
                return worker
            self._discard(worker)
        return None

    async def _acquire(self) -> WorkerProcess:
        while True:
            if self.closed:
                raise OSError("the gateway is shutting down")
            worker = self._warm()
            if worker is not None:
                return worker
            if len(self._all) < self.function.concurrency:
                worker = WorkerProcess(self.function, self.log)
                self._all.add(worker)
                self._generation[worker] = self.generation
                try:
                    await worker.start(self._init, self._env)
                except BaseException:
                    self._discard(worker)
                    raise
                return worker
            await self._waiters.wait()

    def _release(self, worker: WorkerProcess, healthy: bool) -> None:
        current = self._generation.get(worker) == self.generation
        if healthy and current and worker.alive and not self.closed:
            self._idle.append(worker)
        else:
            self._discard(worker)
        self._waiters.wake_one()

    def _discard(self, worker: WorkerProcess) -> None:
        """Kill ``worker`` now; reap it in the background."""
        worker.kill()
        self._all.discard(worker)
        self._generation.pop(worker, None)
        task = asyncio.get_running_loop().create_task(worker.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self._waiters.wake_one()

    async def close(self) -> None:
        """Kill every worker and wait until all are gone (idempotent)."""
        self.closed = True
        for worker in list(self._all):
            self._discard(worker)
        self._idle.clear()
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)
