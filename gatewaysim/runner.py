"""Run an aiohttp application on a TCP port as an async context manager (port 0: any free one)."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from aiohttp import web

__all__ = ["AppServer", "http_url"]


def http_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 literals in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class AppServer:
    """One application on ``host`` (and on each of ``extra_hosts``, same port); ``close`` drains and is idempotent."""

    def __init__(
        self,
        app: web.Application,
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
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        self._started = False

    @property
    def url(self) -> str:
        """The base URL, valid once started."""
        return http_url(self.host, self.port)

    async def start(self) -> None:
        """Start the application (startup hooks run first) and listen."""
        await self._runner.setup()
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
            await self._runner.cleanup()

    async def __aenter__(self) -> AppServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
