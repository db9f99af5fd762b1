"""pytest fixtures for gatewaysim (entry point ``pytest11``): factories over ``gatewaysim.testing.harness``.

* ``gatewaysim_gateway`` (async): ``gw = await gatewaysim_gateway(backend=app_or_url, policy=...)``
  starts a gateway (and the backend application, if one is given) on a free loopback port; every
  gateway it made is stopped after the test. ``await gw.request(...)`` -> ``GatewayReply``.
* ``gatewaysim_server`` (sync): the same in a background thread; ``gw.request(...)`` blocks.

Assertions: ``from gatewaysim.testing import assert_allowed, assert_denied``. The async fixture is
a ``pytest_asyncio`` fixture, so it works in strict and auto mode; without pytest-asyncio only
the sync fixture exists. Importing this module loads nothing of gatewaysim's (it is loaded by every
pytest run in an environment where gatewaysim is installed): the fixtures import the harness.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from aiohttp import web

    from gatewaysim.testing.harness import LiveGateway
    from gatewaysim.testing.harness_sync import ThreadedGateway

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-aiohttp brings it
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = ["GatewayFactory", "SyncGatewayFactory", "gatewaysim_gateway", "gatewaysim_server"]


class GatewayFactory(Protocol):
    """The ``gatewaysim_gateway`` fixture: start a gateway, get a ``LiveGateway``."""

    async def __call__(
        self,
        *,
        backend: str | web.Application | None = None,
        policy: str | Path | Mapping[str, Any] | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        **overrides: Any,
    ) -> LiveGateway:
        """A started gateway; ``overrides`` are config keys (``authorizers``, ``stages``, ...)."""
        ...


class SyncGatewayFactory(Protocol):
    """The ``gatewaysim_server`` fixture: start a gateway in a thread, get a ``ThreadedGateway``."""

    def __call__(
        self,
        *,
        backend: str | web.Application | None = None,
        policy: str | Path | Mapping[str, Any] | None = None,
        config: str | Path | Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        **overrides: Any,
    ) -> ThreadedGateway:
        """A started gateway; ``overrides`` are config keys (``authorizers``, ``stages``, ...)."""
        ...


async def _async_factory() -> AsyncIterator[GatewayFactory]:
    """Start gateways on the test's event loop; all stopped after the test."""
    from gatewaysim.testing.harness import LiveGateway

    started: list[LiveGateway] = []

    async def factory(**options: Any) -> LiveGateway:
        gateway = LiveGateway(**options)
        await gateway.start()
        started.append(gateway)
        return gateway

    try:
        yield factory
    finally:
        for gateway in reversed(started):
            await gateway.close()


if pytest_asyncio is not None:
    gatewaysim_gateway = pytest_asyncio.fixture(_async_factory, name="gatewaysim_gateway")


@pytest.fixture
def gatewaysim_server() -> Iterator[SyncGatewayFactory]:
    """Start gateways in a background thread (for plain, sync tests); all stopped after the test."""
    from gatewaysim.testing.harness_sync import ThreadedGateway

    started: list[ThreadedGateway] = []

    def factory(**options: Any) -> ThreadedGateway:
        gateway = ThreadedGateway(**options).start()
        started.append(gateway)
        return gateway

    try:
        yield factory
    finally:
        for gateway in reversed(started):
            gateway.close()
