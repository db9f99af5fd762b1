"""The config room: YAML and command-line flags -> frozen, validated ``Settings``.

``load`` reads the file and overlays the flags; ``fields`` holds the small value parsers that
record located problems; ``auth`` reads routes, authorizers and the flow switches; ``routes`` is
the route table the gateway matches; ``openapi_routes`` imports routes from an OpenAPI file;
``live`` the admin-API and hot-reload settings; ``forward`` the integration limits. Every problem
is collected and reported at once, located as ``config `file`: json.path: message``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatewaysim.config.load import (
        DEFAULT_POLICY_SOURCE,
        FLAGS,
        ApiSettings,
        IdentitySettings,
        LogSettings,
        Settings,
        build_settings,
        default_policy_text,
        load_settings,
    )

__all__ = [
    "DEFAULT_POLICY_SOURCE",
    "FLAGS",
    "ApiSettings",
    "IdentitySettings",
    "LogSettings",
    "Settings",
    "build_settings",
    "default_policy_text",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    """The public names of ``config.load``, loaded on first use: importing a small module of this
    room (``config.flow``) must not load the whole config reader (PEP 562)."""
    if name not in __all__:
        raise AttributeError(f"module 'gatewaysim.config' has no attribute {name!r}")
    value = getattr(importlib.import_module("gatewaysim.config.load"), name)
    globals()[name] = value
    return value
