"""The pytest plugin's public name (entry point ``pytest11`` ``gatewaysim``): see ``gatewaysim.testing.plugin``."""

from __future__ import annotations

from gatewaysim.testing.plugin import GatewayFactory, SyncGatewayFactory, gatewaysim_gateway, gatewaysim_server

__all__ = ["GatewayFactory", "SyncGatewayFactory", "gatewaysim_gateway", "gatewaysim_server"]
