"""Run an aiohttp application on a TCP port as an async context manager (port 0: any free one).

The application is a ``web.Application`` or a ``Service``: one handler on aiohttp's low-level
server (no router, no middleware chain per request) with a lifecycle entered around it. A
service may also say how to answer what never reaches its handler: a request aiohttp cannot
parse (its own answer is plain text echoing the bad bytes). A service's connections have the
limits of ``gatewaysim.gateway.connections`` (head deadline, keep-alive, a cap on open ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from gatewaysim.config.limits import ListenerLimits
from gatewaysim.gateway.connections import (
    AcceptErrorLog,
    Connections,
    LimitedProtocol,
    head_marking,
    parser_limits,
    without_server_header,
)

__all__ = ["AppServer", "Service", "http_url"]


@dataclass(frozen=True, slots=True)
class Service:
    """A handler for every request, served without ``web.Application``, and what it needs running.

    ``lifecycle()`` is entered before the server listens and left after it has drained.
    ``error_response(status)``, when given, answers a request aiohttp refused before any handler
    ran (400 for a malformed request line or header; the connection is closed after it).
    ``stopping()``, when given, is called as shutdown begins, before the drain: it ends what would
    never finish by itself (live event streams), so the drain does not wait for them.
    ``limits``: the connection limits (``gatewaysim.gateway.connections``); the defaults when None.
    ``ssl``: the listener speaks TLS with this context (``gatewaysim.gateway.tls``).
    """

    handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
    lifecycle: Callable[[], AbstractAsyncContextManager[None]]
    error_response: Callable[[int], web.StreamResponse] | None = None
    stopping: Callable[[], None] | None = None
    limits: ListenerLimits | None = None
    ssl: ssl.SSLContext | None = None


class _ServiceServer(web.Server):
    """aiohttp's low-level server whose connections are ``LimitedProtocol``s sharing one ``Connections``."""

    def __init__(self, service: Service, **kwargs: Any) -> None:
        limits = service.limits or ListenerLimits()
        kwargs = {**kwargs, **parser_limits(limits)}
        super().__init__(head_marking(service.handler), **kwargs)
        self._protocol_kwargs = kwargs
        self.request_factory = self._request_without_server_header
        self._service = service
        self._limits = limits
        self.open_connections = Connections(limits.max_connections)

    def _request_without_server_header(
        self,
        message: Any,
        payload: Any,
        protocol: web.RequestHandler,
        writer: Any,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        without_server_header(writer)
        return self._make_request(message, payload, protocol, writer, task)

    def __call__(self) -> web.RequestHandler:
        loop = asyncio.get_running_loop()
        return LimitedProtocol(
            self, self.open_connections, self._limits, self._service.error_response, loop=loop, **self._protocol_kwargs
        )


def http_url(host: str, port: int, scheme: str = "http") -> str:
    """``http://host:port`` (or ``https``) with IPv6 literals in brackets."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


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
        reuse_port: bool = False,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.extra_hosts = tuple(extra_hosts)
        self.reuse_port = reuse_port or None  # SO_REUSEPORT: several processes share the port (serve --workers)
        self._runner: web.BaseRunner
        self._lifecycle = contextlib.AsyncExitStack()
        self.connections: Connections | None = None
        self._ssl = app.ssl if isinstance(app, Service) else None
        if isinstance(app, Service):
            server = _ServiceServer(app, access_log=None)
            self.connections = server.open_connections
            self._runner = web.ServerRunner(server, shutdown_timeout=shutdown_timeout)
        else:
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        self._started = False

    @property
    def url(self) -> str:
        """The base URL, valid once started."""
        return http_url(self.host, self.port, "https" if self._ssl is not None else "http")

    async def start(self) -> None:
        """Start the application (startup hooks or the service's lifecycle run first) and listen."""
        if isinstance(self.app, Service):
            AcceptErrorLog().install(asyncio.get_running_loop())  # SECURITY: no traceback flood on EMFILE
            await self._lifecycle.enter_async_context(self.app.lifecycle())
        try:
            await self._runner.setup()
        except BaseException:
            await self._lifecycle.aclose()
            raise
        self._started = True
        try:
            site = web.TCPSite(self._runner, self.host, self.port, reuse_port=self.reuse_port, ssl_context=self._ssl)
            await site.start()
            self.port = int(self._runner.addresses[0][1])
            for host in self.extra_hosts:  # the same port on further addresses
                site = web.TCPSite(self._runner, host, self.port, reuse_port=self.reuse_port, ssl_context=self._ssl)
                await site.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop listening, let in-flight requests finish (up to the timeout), run cleanup hooks."""
        if self._started:
            self._started = False
            if isinstance(self.app, Service) and self.app.stopping is not None:
                self.app.stopping()
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
