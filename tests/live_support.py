"""Test support for live management: a gateway with hot reload and extra listening addresses."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from gatewaysim.config.load import Settings
from gatewaysim.gateway.runner import AppServer
from gatewaysim.gateway.service import Gateway
from gatewaysim.testing import MemoryAccessLog

__all__ = ["LiveGateway", "non_loopback_address", "policy", "statement"]


def statement(effect: str = "Allow", resource: str = "execute-api:/*", **extra: Any) -> dict[str, Any]:
    """One resource-policy statement for every principal."""
    return {"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke", "Resource": resource, **extra}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback and can be bound, or None.

    A UDP ``connect`` only asks the routing table which source address it would use; no packet
    is sent.
    """
    for probe in ("10.255.255.255", "192.0.2.1", "198.51.100.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                address = str(udp.getsockname()[0])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                tcp.bind((address, 0))
        except OSError:
            continue
        if not address.startswith("127."):
            return address
    return None


class LiveGateway:
    """A gateway built the way ``serve`` builds it: settings from a loader, hot reload on."""

    __test__ = False

    def __init__(
        self,
        load: Callable[[], Settings],
        *,
        reload: bool = True,
        extra_hosts: Sequence[str] = (),
    ) -> None:
        settings = dataclasses.replace(load(), host="127.0.0.1", port=0)
        self.log = MemoryAccessLog()
        self.gateway = Gateway(settings, access_log=self.log, reload_settings=load if reload else None)
        self.server = AppServer(self.gateway.service(), "127.0.0.1", 0, extra_hosts=extra_hosts)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:{port}``."""
        return self.server.url

    @property
    def port(self) -> int:
        """The port every address listens on."""
        return self.server.port

    async def __aenter__(self) -> LiveGateway:
        await self.server.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.server.close()
