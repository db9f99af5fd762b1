"""The testing room: gateways and backends on loopback for tests, the harness and the pytest plugin.

* ``servers``: ``GatewayServer``, ``BackendServer``, ``RecordingBackend``, ``request_from`` (no
  test framework needed);
* ``harness`` / ``harness_sync``: ``LiveGateway`` (async) and ``ThreadedGateway`` (sync): call the
  gateway *as* someone and assert the outcome with the gateway's own explanation;
* ``expect``: ``GatewayReply``, ``assert_allowed``, ``assert_denied``;
* ``plugin``: the pytest fixtures (entry point ``pytest11`` ``gatewaysim.pytest_plugin``).

Every public name is importable from ``gatewaysim.testing`` itself. They load on first use, so
importing this package (as the pytest plugin does in every pytest run) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from gatewaysim.testing.expect import GatewayReply, Observed, assert_allowed, assert_denied, explain_reply
    from gatewaysim.testing.harness import (
        RECORD_WAIT_S,
        LiveGateway,
        RecordingGateway,
        resolve_settings,
        wait_for_reply,
    )
    from gatewaysim.testing.harness_sync import ThreadedGateway, wait_for_reply_sync
    from gatewaysim.testing.servers import (
        BackendServer,
        ClientReply,
        GatewayServer,
        MemoryAccessLog,
        RecordingBackend,
        SeenRequest,
        raw_exchange,
        request_from,
    )

_HOME: Final = {
    **dict.fromkeys(
        (
            "BackendServer",
            "ClientReply",
            "GatewayServer",
            "MemoryAccessLog",
            "RecordingBackend",
            "SeenRequest",
            "raw_exchange",
            "request_from",
        ),
        "servers",
    ),
    **dict.fromkeys(
        ("RECORD_WAIT_S", "LiveGateway", "RecordingGateway", "resolve_settings", "wait_for_reply"), "harness"
    ),
    **dict.fromkeys(("ThreadedGateway", "wait_for_reply_sync"), "harness_sync"),
    **dict.fromkeys(("GatewayReply", "Observed", "assert_allowed", "assert_denied", "explain_reply"), "expect"),
}

__all__ = [
    "BackendServer",
    "ClientReply",
    "GatewayReply",
    "GatewayServer",
    "LiveGateway",
    "MemoryAccessLog",
    "Observed",
    "RECORD_WAIT_S",
    "RecordingBackend",
    "RecordingGateway",
    "SeenRequest",
    "ThreadedGateway",
    "assert_allowed",
    "assert_denied",
    "expect",
    "explain_reply",
    "harness",
    "harness_sync",
    "raw_exchange",
    "request_from",
    "resolve_settings",
    "servers",
    "wait_for_reply",
    "wait_for_reply_sync",
]


def __getattr__(name: str) -> Any:
    """Load a public name from the module that defines it, on first use (PEP 562)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'gatewaysim.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gatewaysim.testing.{home}"), name)
    globals()[name] = value
    return value
