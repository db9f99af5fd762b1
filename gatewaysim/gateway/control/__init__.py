"""The AWS control plane: API Gateway's management API (``apigateway``) for the state gatewaysim holds.

``aws --endpoint-url http://127.0.0.1:8080 apigateway get-rest-apis``, boto3 with ``endpoint_url``,
Terraform's endpoints: served on the gateway's own port, beside the admin API, under AWS's paths.

* ``plane``: which requests are control-plane calls, who may make them (the admin API's rule), dispatch;
* ``model``: botocore's ``apigateway`` service model and the routing its ``requestUri`` templates imply;
* ``wire``: the REST-JSON protocol, server side, through that model (input, output, AWS's errors);
* the operations, one module per resource: ``restapis``, ``stages``, ``resources`` (with methods,
  integrations and authorizers), ``responses`` (gateway responses), ``keys`` (API keys, usage
  plans), ``invoke`` (``test-invoke-method``, run in process: ``inprocess``);
* ``state``: what the operations read and change (the gateway's live ``ApiRuntime`` slots), stable ids;
* ``patch``, ``paging``: patch operations and ``position``/``limit`` as AWS reads them.

Nothing here imports ``gateway.service``: the gateway builds the plane (``build``) and hands it
what it needs, including its own stage runner for ``test-invoke-method``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from gatewaysim.config.load import Settings
from gatewaysim.gateway.control import invoke, keys, resources, responses, restapis, stages
from gatewaysim.gateway.control.plane import ControlPlane
from gatewaysim.gateway.control.state import ControlState, Handler, Invoke, KeyHolder
from gatewaysim.gateway.live import LiveSlots

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["OPERATIONS", "ControlPlane", "build"]

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
    settings: Settings, apis: Mapping[str, ApiRuntime], invoke: Invoke, keys: KeyHolder, live: LiveSlots | None = None
) -> ControlPlane:
    """The control plane of a gateway serving ``apis``: ``invoke`` runs a request through its stages,
    ``keys`` holds its live ``KeyRing``, ``live`` replaces policies (in every process of the gateway)."""
    state = ControlState(settings, apis, invoke, keys, live if live is not None else LiveSlots())
    return ControlPlane(settings.admin, state, OPERATIONS)
