"""``get-gateway-responses`` and ``get-gateway-response``: every response type, as the API answers it.

A type the config customises (``gateway_responses``) is listed with its status, parameters and
templates (``defaultResponse: false``); every other type is AWS's default: its status (none for
``DEFAULT_4XX``/``DEFAULT_5XX``), the template ``{"message":$context.error.messageString}`` and
``defaultResponse: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config.door.responses import RESPONSE_TYPES
from gatewaysim.gateway.control.paging import page
from gatewaysim.gateway.control.state import ControlState, Handler, Params, Result, not_found
from gatewaysim.gateway.responses import GATEWAY_RESPONSES
from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["OPERATIONS", "gateway_response"]

_DEFAULT_TEMPLATE: Final = {"application/json": '{"message":$context.error.messageString}'}
_CLASSES: Final = ("DEFAULT_4XX", "DEFAULT_5XX")


def gateway_response(runtime: ApiRuntime, response_type: str) -> dict[str, Any]:
    """One response type in the ``GatewayResponse`` shape."""
    spec = runtime.settings.door.gateway_responses.get(response_type)
    if spec is None:
        out: dict[str, Any] = {
            "responseType": response_type,
            "responseParameters": {},
            "responseTemplates": dict(_DEFAULT_TEMPLATE),
            "defaultResponse": True,
        }
        if response_type not in _CLASSES:
            out["statusCode"] = str(GATEWAY_RESPONSES[response_type].status)
        return out
    out = {
        "responseType": response_type,
        "responseParameters": {f"gatewayresponse.header.{name}": value for name, value in spec.headers},
        "responseTemplates": dict(spec.templates) or dict(_DEFAULT_TEMPLATE),
        "defaultResponse": False,
    }
    status = spec.status_code or (None if response_type in _CLASSES else GATEWAY_RESPONSES[response_type].status)
    if status is not None:
        out["statusCode"] = str(status)
    return out


async def get_gateway_responses(state: ControlState, params: Params) -> Result:
    """``GetGatewayResponses``."""
    runtime = state.api(params["restApiId"])
    return page([gateway_response(runtime, kind) for kind in RESPONSE_TYPES], params)


async def get_gateway_response(state: ControlState, params: Params) -> Result:
    """``GetGatewayResponse``."""
    runtime = state.api(params["restApiId"])
    if params["responseType"] not in RESPONSE_TYPES:
        raise not_found(f"Invalid response type specified: {params['responseType'][:100]}")
    return gateway_response(runtime, params["responseType"])


OPERATIONS: Final[Mapping[str, Handler]] = {
    "GetGatewayResponses": get_gateway_responses,
    "GetGatewayResponse": get_gateway_response,
}
