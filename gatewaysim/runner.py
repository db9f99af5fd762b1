"""Run an aiohttp application on a TCP port as an async context manager (port 0: any free one).

The application is a ``web.Application`` or a ``Service``: one handler on aiohttp's low-level
server (no router, no middleware chain per request) with a lifecycle entered around it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web

__all__ = ["AppServer", "Service", "http_url"]


@dataclass(frozen=True, slots=True)
class Service:
    """A handler for every request, served without ``web.Application``, and what it needs running.

    ``lifecycle()`` is entered before the server listens and left after it has drained.
    """

    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
    lifecycle: Callable[[], AbstractAsyncContextManager[None]]


def http_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 literals in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class AppServer:
    """One application on ``host`` (and on each of ``extra_hosts``, same port); ``close`` drains and is idempotent."""

    def __init__(
        self,
        app: web.Application | Service,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shutdown_timeout: float = 10.0,
        extra_hosts: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.extra_hosts = tuple(extra_hosts)
        self._runner: web.BaseRunner
        self._lifecycle = contextlib.AsyncExitStack()
        if isinstance(app, Service):
            server = web.Server(app.handler, access_log=None)
            self._runner = web.ServerRunner(server, shutdown_timeout=shutdown_timeout)
        else:
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        self._started = False

    @property
    def url(self) -> str:
        """The base URL, valid once started."""
        return http_url(self.host, self.port)

    async def start(self) -> None:
        """Start the application (startup hooks or the service's lifecycle run first) and listen."""
        if isinstance(self.app, Service):
            await self._lifecycle.enter_async_context(self.app.lifecycle())
        try:
            await self._runner.setup()
        except BaseException:
            await self._lifecycle.aclose()
            raise
        self._started = True
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = int(self._runner.addresses[0][1])
            for host in self.extra_hosts:  # the same port on further addresses
                await web.TCPSite(self._runner, host, self.port).start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop listening, let in-flight requests finish (up to the timeout), run cleanup hooks."""
        if self._started:
            self._started = False
            try:
                await self._runner.cleanup()
            finally:
                await self._lifecycle.aclose()

    async def __aenter__(self) -> AppServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
