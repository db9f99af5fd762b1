"""Test helpers that need no test framework: a gateway and a backend on loopback, port 0.

Both are async context managers with ``.url``/``.port`` and an idempotent ``close()``::

    async with BackendServer(app) as backend, GatewayServer(policy=doc, backend=backend.url) as gw:
        async with aiohttp.ClientSession() as s:
            async with s.get(gw.url + "/prod/pets") as r: ...
        gw.records[-1]["decision"]   # the access-log records, kept in memory

``GatewayServer`` takes ready ``Settings`` or config values: a ``config`` mapping (the YAML form)
and/or overrides named like the ``serve`` flags (``policy``, ``backend``, ``stages``,
``trusted_proxies``, ...) or any config key (``identity``, ``forward``, ``strip_stage``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from gatewaysim.config.load import Settings, build_settings
from gatewaysim.gateway.runner import AppServer
from gatewaysim.gateway.service import Gateway
from gatewaysim.observe.access_log import AccessLog
from gatewaysim.safeload import load_json

__all__ = [
    "BackendServer",
    "ClientReply",
    "GatewayServer",
    "MemoryAccessLog",
    "RecordingBackend",
    "SeenRequest",
    "raw_exchange",
    "request_from",
]


class MemoryAccessLog(AccessLog):
    """An access log that keeps its records in a list (and writes them too, if given a stream)."""

    def __init__(self, stream: IO[str] | None = None, fmt: str = "json") -> None:
        super().__init__(stream, fmt)
        self.records: list[dict[str, Any]] = []
        self._write = stream is not None

    def emit(self, record: Mapping[str, Any]) -> str | None:
        """Keep ``record``; write it when a stream was given (and return its JSON line, as ``AccessLog``)."""
        self.records.append(dict(record))
        return super().emit(record) if self._write else None


class BackendServer(AppServer):
    """Any aiohttp application on ``host`` (default 127.0.0.1), port 0 by default."""

    __test__ = False


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One request as a ``RecordingBackend`` received it."""

    method: str
    raw_path: str
    headers: CIMultiDict[str]
    body_length: int


class RecordingBackend(BackendServer):
    """A backend that records every request and answers 200 ``{"ok": true, "path": ...}``.

    ``delay`` (seconds) holds each answer back, for timeout and drain tests.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0) -> None:
        self.seen: list[SeenRequest] = []
        self.delay = delay
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/{tail:[\s\S]*}", self._handle)
        super().__init__(app, host, port)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append(SeenRequest(request.method, request.raw_path, CIMultiDict(request.headers), len(body)))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "path": request.raw_path})


@dataclass(frozen=True, slots=True)
class ClientReply:
    """A client's view of one answer."""

    status: int
    headers: CIMultiDict[str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return load_json(self.body)


async def request_from(
    url: str,
    *,
    method: str = "GET",
    source: str = "127.0.0.1",
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> ClientReply:
    """One request sent from ``source`` (e.g. ``127.0.113.5`` or ``::1``); ``url`` goes out byte for byte."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector, auto_decompress=False) as session,
        session.request(method, URL(url, encoded=True), headers=headers, data=data, allow_redirects=False) as response,
    ):
        return ClientReply(response.status, CIMultiDict(response.headers), await response.read())


async def raw_exchange(host: str, port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; return all the server answers until it closes."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        await writer.wait_closed()


class GatewayServer:
    """A running gateway for tests: ``async with GatewayServer(policy=..., backend=...) as gw``."""

    __test__ = False
    gateway_class: type[Gateway] = Gateway
    """The ``Gateway`` to run: a subclass can observe or change stages (``gatewaysim.testing.harness`` does)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: Mapping[str, Any] | None = None,
        access_log: IO[str] | None = None,
        clock: Callable[[], float] = time.time,
        **overrides: Any,
    ) -> None:
        base = settings if settings is not None else build_settings(config or {}, overrides=overrides)
        self.settings = dataclasses.replace(base, host=host, port=port)
        self.log = MemoryAccessLog(access_log, self.settings.log.format)
        self.gateway = self.gateway_class(self.settings, access_log=self.log, clock=clock)
        self._server = AppServer(self.gateway.service(), host, port, shutdown_timeout=self.settings.shutdown_timeout_s)

    @property
    def url(self) -> str:
        """``http://host:port`` once started."""
        return self._server.url

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self._server.port

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every access-log record so far."""
        return self.log.records

    async def start(self) -> None:
        """Start the gateway (and its demo backend, if any API uses it)."""
        await self._server.start()

    async def close(self) -> None:
        """Drain in-flight requests and stop (idempotent)."""
        await self._server.close()

    async def __aenter__(self) -> GatewayServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
