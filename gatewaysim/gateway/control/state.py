"""What the control plane reads and changes: the gateway's live APIs, its settings, and the ids.

Ids are AWS-shaped and stable: derived from names (``resource_id``: 10 lower-case hex characters),
so a resource, an authorizer or a key keeps its id across restarts and ``--query`` expressions
and scripts that saved an id keep working.
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gatewaysim.config.door.keys import resource_id
from gatewaysim.config.load import Settings
from gatewaysim.gateway.control.wire import ServiceError
from gatewaysim.gateway.door.keys import KeyHolder
from gatewaysim.gateway.live import LiveSlots

if TYPE_CHECKING:
    from gatewaysim.gateway.exchange import Exchange
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = [
    "CALLER",
    "Caller",
    "ControlState",
    "Handler",
    "Invoke",
    "KeyHolder",
    "Params",
    "Result",
    "bad_request",
    "not_found",
    "stable_id",
]

Params = dict[str, Any]
Result = Mapping[str, Any] | None
Invoke = Callable[[web.BaseRequest, "Exchange"], Awaitable[web.StreamResponse]]
"""Runs a request through the gateway's stages (``Gateway.run_stages``): test-invoke-method uses it."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Where the control-plane call came from and reached: its socket peer and the listener's address."""

    peer: tuple[str, int]
    sockname: tuple[str, int]


CALLER: contextvars.ContextVar[Caller] = contextvars.ContextVar("gatewaysim_control_caller")
"""The caller of the operation running now (set by the plane for each call, in the call's own task)."""


def _whole_second(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(microsecond=0)  # AWS's dates are whole epoch seconds


def stable_id(kind: str, *names: str) -> str:
    """The id of a named thing of ``kind`` (``resource``, ``authorizer`` ...) under ``names``."""
    return resource_id(kind, ":".join(names))


def not_found(message: str) -> ServiceError:
    """AWS's 404 ``NotFoundException``."""
    return ServiceError("NotFoundException", message)


def bad_request(message: str) -> ServiceError:
    """AWS's 400 ``BadRequestException``."""
    return ServiceError("BadRequestException", message)


@dataclass(slots=True)
class ControlState:
    """The gateway as the control plane sees it (given by ``Gateway``; nothing here imports it)."""

    settings: Settings
    apis: Mapping[str, ApiRuntime]
    invoke: Invoke
    keys: KeyHolder | None = None
    live: LiveSlots = field(default_factory=LiveSlots)  # replaces a policy here, or in every process (gateway.live)
    started: datetime.datetime = field(default_factory=lambda: _whole_second(datetime.datetime.now(datetime.UTC)))

    @property
    def caller(self) -> Caller:
        """The caller of the operation running now (``test-invoke-method`` runs its request from there)."""
        return CALLER.get()

    @property
    def account(self) -> str:
        """The account AWS names in a not-found message: the first API's."""
        return self.settings.apis[0].account if self.settings.apis else "123456789012"

    def api(self, rest_api_id: str) -> ApiRuntime:
        """The API ``rest_api_id`` (ids are case-sensitive, as on AWS) or AWS's NotFoundException."""
        runtime = self.apis.get(rest_api_id)
        if runtime is None:
            raise not_found(f"Invalid API identifier specified {self.account}:{rest_api_id[:128]}")
        return runtime


Handler = Callable[[ControlState, Params], Awaitable[Result]]
"""One operation: its parameters (already checked against the input shape) -> its output."""
