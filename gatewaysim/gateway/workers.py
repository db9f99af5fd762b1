"""``gatewaysim serve --workers N``: N processes of one gateway sharing its port, each with its own loop.

The supervisor (this module, in the process the user started) checks the settings, reserves the
port (a socket bound with ``SO_REUSEPORT`` that never listens: port 0 becomes a fixed port, and it
stays this gateway's while workers come and go), and starts N workers: ``gatewaysim serve`` with
the same arguments plus ``--port PORT --worker I/N``. Each worker binds the port with
``SO_REUSEPORT`` and the kernel spreads new connections over them. The state that must be one
gateway's (buckets and quotas, the authorizer cache, live policies, the decision and request
rings) goes through the shared store (``gatewaysim.store``): the configured ``store``, or else a
private ``redis-server`` the supervisor starts on a Unix socket and stops at the end.

The supervisor prints the first worker's banner with how it runs (workers, pids, store), then
waits: SIGINT/SIGTERM stop every worker (each drains its requests), a worker that dies is logged
and started again (a gateway whose workers keep dying stops). Hot reload needs nothing more: each
worker watches the files itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Final

from gatewaysim.config.load import Settings
from gatewaysim.errors import GatewaysimError
from gatewaysim.store.private import PrivateRedis

__all__ = ["WorkerRole", "WorkersError", "reserve_port", "supervise", "worker_arguments"]

BANNER_TIMEOUT_S: Final = 60.0
RESTARTS: Final = 5
"""At most this many worker restarts within ``RESTART_WINDOW_S``; more and the gateway stops."""
RESTART_WINDOW_S: Final = 60.0
_HEALTH: Final = "  health: "


class WorkersError(GatewaysimError):
    """The workers could not be started or kept running (``exit_code``: the failing worker's)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code or 1


@dataclass(frozen=True, slots=True)
class WorkerRole:
    """Which worker a ``serve`` process is: ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> WorkerRole:
        """``2/4`` -> ``WorkerRole(2, 4)`` (the supervisor's hidden ``--worker`` flag)."""
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
            raise WorkersError(f"`--worker` must be I/N with 1 <= I <= N, got `{text[:20]}`", 2)
        return cls(int(index), int(count))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def worker_arguments(argv: Sequence[str], port: int, role: WorkerRole, store_url: str | None) -> list[str]:
    """The ``serve`` arguments of one worker: the user's, without ``--workers``, plus its port and role."""
    kept: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word == "--workers":
            skip = True
            continue
        if word.startswith("--workers="):
            continue
        kept.append(word)
    extra = ["--store", store_url] if store_url is not None else []
    return [*kept, "--port", str(port), *extra, "--worker", str(role)]


@dataclass
class _Worker:
    role: WorkerRole
    process: asyncio.subprocess.Process
    banner: list[str] = field(default_factory=list)


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with ``SO_REUSEPORT``, never listening (port 0: a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class Supervisor:
    """Starts, watches and stops the workers of one gateway."""

    def __init__(self, settings: Settings, argv: Sequence[str], out: IO[str]) -> None:
        self.settings = settings
        self.argv = list(argv)
        self.out = out
        self.port = settings.port
        self.store_url: str | None = None
        self.workers: dict[int, _Worker] = {}
        self.stopping = False
        self._restarts: list[float] = []
        self._drains: set[asyncio.Task[None]] = set()

    async def spawn(self, role: WorkerRole) -> _Worker:
        """Start one worker and read its banner (``WorkersError`` when it stops first)."""
        arguments = worker_arguments(self.argv, self.port, role, self.store_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gatewaysim", "serve", *arguments, stdout=asyncio.subprocess.PIPE
        )
        worker = self.workers[role.index] = _Worker(role, process)  # registered at once: stop() ends it
        assert process.stdout is not None
        try:
            async with asyncio.timeout(BANNER_TIMEOUT_S):
                while not worker.banner or not worker.banner[-1].startswith(_HEALTH):
                    line = await process.stdout.readline()
                    if not line:
                        code = await process.wait()
                        raise WorkersError(f"worker {role} stopped before serving (exit code {code})", code)
                    worker.banner.append(line.decode(errors="replace").rstrip("\n"))
        except TimeoutError:
            process.kill()  # our own child, by its handle
            await process.wait()
            raise WorkersError(f"worker {role} did not start within {BANNER_TIMEOUT_S:g} s") from None
        self._drains.add(asyncio.create_task(_drain(process)))  # its later lines are the supervisor's to say
        return worker

    def banner(self) -> str:
        """The first worker's banner, saying how the gateway runs (workers, store)."""
        lines = [line for line in self.workers[1].banner if not line.startswith("  worker: ")]
        pids = ", ".join(str(w.process.pid) for _, w in sorted(self.workers.items()))
        where = self.settings.store.display_url if self.settings.store is not None else "a private redis-server"
        serving = [
            f"  workers: {len(self.workers)} processes sharing port {self.port} (SO_REUSEPORT; pids {pids})",
            f"  store: {where}, shared by every worker",
        ]
        return "\n".join([*lines[:-1], *serving, lines[-1]])

    async def watch(self, stop: asyncio.Event) -> None:
        """Wait for ``stop``; start a worker again when one dies (``WorkersError`` when they keep dying)."""
        while not stop.is_set():
            waits = {asyncio.create_task(w.process.wait()): w for w in self.workers.values()}
            stopped = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({*waits, stopped}, return_when=asyncio.FIRST_COMPLETED)
            for task in (*waits, stopped):
                if task not in done:
                    task.cancel()
            for task in done:
                if task is not stopped and not stop.is_set():
                    await self._restart(waits[task])

    async def _restart(self, dead: _Worker) -> None:
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_S] + [now]
        code = dead.process.returncode
        _say(self.out, f"worker {dead.role} (pid {dead.process.pid}) exited with code {code}; starting another")
        if len(self._restarts) > RESTARTS:
            raise WorkersError(f"workers exited {len(self._restarts)} times within {RESTART_WINDOW_S:g} s; stopping", 1)
        worker = await self.spawn(dead.role)
        _say(self.out, f"worker {dead.role} is pid {worker.process.pid}")

    async def stop(self) -> None:
        """SIGTERM every worker and wait while they drain (then kill what is left)."""
        for worker in self.workers.values():
            if worker.process.returncode is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = self.settings.shutdown_timeout_s + 10
        for worker in self.workers.values():
            try:
                await asyncio.wait_for(worker.process.wait(), deadline)
            except TimeoutError:
                worker.process.kill()  # our own child, by its handle
                await worker.process.wait()


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while await process.stdout.readline():
        pass


async def supervise(settings: Settings, argv: Sequence[str], out: IO[str]) -> None:
    """Run ``settings.workers`` workers until SIGINT/SIGTERM (module docstring)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise WorkersError("`--workers` needs SO_REUSEPORT, which this platform does not have")
    reserved = reserve_port(settings.host, settings.port)
    private = PrivateRedis() if settings.store is None else None
    supervisor = Supervisor(settings, argv, out)
    supervisor.port = int(reserved.getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        if private is not None:
            supervisor.store_url = await asyncio.to_thread(private.start)
        roles = [WorkerRole(index, settings.workers) for index in range(1, settings.workers + 1)]
        started = await asyncio.gather(*(supervisor.spawn(role) for role in roles), return_exceptions=True)
        failed = [result for result in started if isinstance(result, BaseException)]
        if failed:
            raise failed[0]
        out.write(supervisor.banner() + "\n")
        out.flush()
        await supervisor.watch(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        why = received[0] if received else "stopping"
        _say(out, f"{why}: draining in-flight requests of {len(supervisor.workers)} workers")
        await supervisor.stop()
        if private is not None:
            private.stop()
        reserved.close()
        _say(out, f"stopped at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")


def _say(out: IO[str], line: str) -> None:
    with contextlib.suppress(ValueError):  # a closed stream at exit
        out.write(f"gatewaysim: {line}\n")
        out.flush()
