"""Every control-plane operation by its model name, and ``build``: the plane of one gateway.

The gateway imports this module on the first call ``control.claims`` gives it, so a gateway that
nobody manages never loads the operations, the wire protocol or botocore's model.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from gatewaysim.config.load import Settings
from gatewaysim.gateway.control import invoke, keys, resources, responses, restapis, stages
from gatewaysim.gateway.control.plane import ControlPlane
from gatewaysim.gateway.control.state import ControlState, Handler, Invoke, KeyHolder
from gatewaysim.gateway.live import LiveSlots

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["OPERATIONS", "build"]

OPERATIONS: Final[Mapping[str, Handler]] = {
    **restapis.OPERATIONS,
    **stages.OPERATIONS,
    **resources.OPERATIONS,
    **responses.OPERATIONS,
    **keys.OPERATIONS,
    **invoke.OPERATIONS,
}
"""Every operation gatewaysim answers, by the model's name; any other answers NotImplementedException."""


def build(
    settings: Settings,
    apis: Mapping[str, ApiRuntime],
    invoke: Invoke,
    keys: KeyHolder,
    live: LiveSlots | None = None,
    *,
    started: float | None = None,
) -> ControlPlane:
    """The control plane of a gateway serving ``apis``: ``invoke`` runs a request through its stages,
    ``keys`` holds its live ``KeyRing``, ``live`` replaces policies (in every process of the gateway);
    ``started``: when the gateway started (epoch seconds; the ``createdDate`` AWS shows), else now."""
    state = ControlState(settings, apis, invoke, keys, live if live is not None else LiveSlots())
    if started is not None:
        state.started = datetime.datetime.fromtimestamp(int(started), datetime.UTC)  # whole seconds, as AWS
    return ControlPlane(settings.admin, state, OPERATIONS)
