"""Test harness over ``gatewaysim.testing``: start a gateway, call it *as* someone, assert the outcome.

Framework-agnostic (the pytest plugin is a thin layer of fixtures over it)::

    async with LiveGateway(backend=my_app, policy="policy.json") as gw:
        reply = await gw.request("/prod/pets", principal="arn:aws:iam::111122223333:user/alice",
                                 source="127.0.0.5", vpce="vpce-0abc")
        assert_allowed(reply)                       # or assert_denied(reply, outcome="ImplicitDeny")
        reply.record["decision"], reply.explain()   # the access-log record; the per-statement trace

``backend`` is a URL or an aiohttp ``web.Application`` (started on a free loopback port and stopped
with the gateway); ``policy`` a mapping or a file; ``config`` a mapping or a YAML file; any other
keyword is a config override (``authorizers=``, ``routes=``, ``stages=``, ``trusted_proxies=``...).
A failed assertion shows the gateway's own decision for that request: the verdict, and the
resource policy's per-statement trace (``gatewaysim.policy.explain.explain_table``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from gatewaysim.config.load import Settings, build_settings, load_settings
from gatewaysim.gateway.exchange import Exchange
from gatewaysim.gateway.service import Gateway
from gatewaysim.testing.expect import (
    GatewayReply,
    Observed,
    assert_allowed,
    assert_denied,
    build_reply,
    explain_reply,
    identity_headers,
)
from gatewaysim.testing.servers import BackendServer, GatewayServer, request_from

__all__ = [
    "RECORD_WAIT_S",
    "GatewayReply",
    "LiveGateway",
    "Observed",
    "RecordingGateway",
    "assert_allowed",
    "assert_denied",
    "explain_reply",
    "resolve_settings",
    "wait_for_reply",
]

RECORD_WAIT_S: Final = 2.0  # the access-log line is written just after the last body byte
_KEEP: Final = 10_000  # observed decisions kept per gateway


class RecordingGateway(Gateway):
    """A ``Gateway`` that keeps each request's ``Observed`` decision by request id."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.observed: dict[str, Observed] = {}

    async def run_stages(self, request: web.BaseRequest, x: Exchange) -> web.StreamResponse:
        """The gateway's stages, unchanged; the values they returned are kept for the harness."""
        try:
            return await super().run_stages(request, x)
        finally:
            runtime = self.apis.get(x.api_id or "")
            attached = runtime.attached if runtime is not None else None  # the policy now (hot reload)
            source = attached.source if attached is not None else None
            self.observed[x.ids.request_id] = Observed(x.decision, x.verdict, source)
            if len(self.observed) > _KEEP:
                del self.observed[next(iter(self.observed))]


class _HarnessServer(GatewayServer):
    gateway_class = RecordingGateway


def resolve_settings(
    *,
    policy: str | Path | Mapping[str, Any] | None = None,
    config: str | Path | Mapping[str, Any] | None = None,
    backend_url: str | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from a config (file or mapping), a policy (file or mapping), a backend and overrides."""
    given = {"policy": str(policy) if isinstance(policy, Path) else policy, "backend": backend_url, **overrides}
    given = {k: v for k, v in given.items() if v is not None}
    if isinstance(config, str | Path):
        return load_settings(config, given)
    return build_settings(config or {}, overrides=given)


class LiveGateway:
    """A gateway (and, when given an application, its backend) on loopback, port 0, plus a client."""

    __test__ = False

    def __init__(
        self,
        *,
        backend: str | web.Application | None = None,
        policy: str | Path | Mapping[str, Any] | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        **overrides: Any,
    ) -> None:
        self._backend = BackendServer(backend, host) if isinstance(backend, web.Application) else None
        self._backend_url = backend if isinstance(backend, str) else None
        self._options = {"policy": policy, "config": config, **overrides}
        self.host = host
        self.server: GatewayServer | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the gateway."""
        return self._started.url

    @property
    def port(self) -> int:
        """The gateway's port."""
        return self._started.port

    @property
    def backend_url(self) -> str | None:
        """The backend's URL (the started application's, or the one given)."""
        return self._backend.url if self._backend is not None else self._backend_url

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self._started.settings

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every access-log record so far."""
        return self._started.records

    @property
    def observed(self) -> dict[str, Observed]:
        """The gateway's decision for each request id."""
        gateway = self._started.gateway
        return gateway.observed if isinstance(gateway, RecordingGateway) else {}

    @property
    def _started(self) -> GatewayServer:
        if self.server is None:
            raise RuntimeError("the gateway is not started")
        return self.server

    async def start(self) -> None:
        """Start the backend application (if any), then the gateway in front of it."""
        if self._backend is not None:
            await self._backend.start()
        try:
            settings = resolve_settings(backend_url=self.backend_url, **self._options)
            self.server = _HarnessServer(settings, host=self.host)
            await self.server.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop the gateway, then the backend (idempotent)."""
        if self.server is not None:
            await self.server.close()
        if self._backend is not None:
            await self._backend.close()

    async def request(
        self,
        target: str,
        *,
        method: str = "GET",
        principal: str | None = None,
        source: str | None = None,
        vpce: str | None = None,
        vpc: str | None = None,
        api: str | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
    ) -> GatewayReply:
        """Send ``method target`` as ``principal``, from ``source``, through ``vpce``; ``api`` sets the Host."""
        sent = self.request_headers(principal=principal, vpce=vpce, vpc=vpc, api=api, headers=headers)
        origin = source or self.host
        raw = await request_from(self.url + target, method=method, source=origin, headers=sent, data=data)
        return await wait_for_reply(
            lambda: build_reply(method, target, raw.status, raw.headers, raw.body, self.records, self.observed)
        )

    def request_headers(
        self,
        *,
        principal: str | None = None,
        vpce: str | None = None,
        vpc: str | None = None,
        api: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The headers a request as ``principal`` through ``vpce``/``vpc`` to ``api`` carries."""
        out = identity_headers(self.settings.identity, principal=principal, vpce=vpce, vpc=vpc)
        if api is not None:
            out["Host"] = f"{api}.execute-api.localhost:{self.port}"
        return {**out, **(headers or {})}

    async def __aenter__(self) -> LiveGateway:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def wait_for_reply(build: Callable[[], GatewayReply | None], timeout: float = RECORD_WAIT_S) -> GatewayReply:
    """Call ``build`` until it returns a reply (its record is written), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (reply := build()) is None:
        if time.monotonic() > deadline:
            raise AssertionError("the gateway wrote no access-log record for this request")
        await asyncio.sleep(0.001)
    return reply
