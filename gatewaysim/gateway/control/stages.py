"""``get-stages``, ``get-stage`` and ``update-stage`` (stage variables, live).

``update-stage`` applies ``/variables/NAME`` (``replace``/``add`` set it, ``remove`` drops it) by
replacing the API's settings with one assignment (``ApiRuntime.settings``, through ``gateway.live``:
with workers or a ``store:`` in every process before the answer returns, the patch read and applied
under ``live.writing()``): the next request's authorizer event, integration URI and gateway
responses see the new values. Names and values are
checked by the config's own rules (``config.stage_variables``), with AWS's API error texts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config.stage_variables import MAX_VARIABLES, variable_problems
from gatewaysim.gateway.control.patch import Patch, patches, refuse_op, refuse_path
from gatewaysim.gateway.control.state import ControlState, Handler, Params, Result, bad_request, not_found, stable_id
from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["OPERATIONS", "stage"]

logger = logging.getLogger("gatewaysim.gateway.control")

_VARIABLE_OPS: Final = ("replace", "add", "remove")
_APPLIED: Final = "/variables/NAME"
_BAD_NAME: Final = "Invalid stage variable name: {}.  Please use names with only word characters."
_BAD_VALUE: Final = (
    "Invalid stage variable value: {}.  Please use values with alphanumeric characters and the symbols "
    "' ', -', '.', '_', ':', '/', '?', '&', '=', and ','."
)


def _method_settings(runtime: ApiRuntime, stage_name: str) -> dict[str, Any]:
    """``methodSettings``: ``*/*`` from the API's throttling, then each method setting of the stage."""
    door = runtime.settings.door
    out: dict[str, Any] = {}
    throttles = [("*/*", door.throttling)] if door.throttling is not None else []
    throttles += [(s.method_key, s.throttle) for s in door.method_settings if s.stage in (None, stage_name)]
    for key, throttle in throttles:
        if throttle is not None:  # AWS's key drops the leading `/`: `pets/GET`, `*/*`
            out[key.removeprefix("/")] = {
                "throttlingBurstLimit": throttle.burst_limit,
                "throttlingRateLimit": throttle.rate_limit,
                "metricsEnabled": False,
                "dataTraceEnabled": False,
                "cachingEnabled": False,
            }
    return out


def stage(state: ControlState, runtime: ApiRuntime, stage_name: str) -> dict[str, Any]:
    """One stage in the ``Stage`` shape."""
    api_id = runtime.settings.api_id
    return {
        "stageName": stage_name,
        "deploymentId": stable_id("deployment", api_id),
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": _method_settings(runtime, stage_name),
        "variables": dict(runtime.settings.variables(stage_name)),
        "tracingEnabled": False,
        "createdDate": state.started,
        "lastUpdatedDate": state.started,
    }


def _stage_of(state: ControlState, params: Params) -> tuple[ApiRuntime, str]:
    runtime = state.api(params["restApiId"])
    name = params["stageName"]
    if name not in runtime.settings.stages:
        raise not_found("Invalid Stage identifier specified")
    return runtime, name


async def get_stages(state: ControlState, params: Params) -> Result:
    """``GetStages``: every stage of the API (``item``, not paged, as on AWS)."""
    runtime = state.api(params["restApiId"])
    return {"item": [stage(state, runtime, name) for name in runtime.settings.stages]}


async def get_stage(state: ControlState, params: Params) -> Result:
    """``GetStage``."""
    runtime, name = _stage_of(state, params)
    return stage(state, runtime, name)


def _apply(variables: dict[str, str], patch: Patch) -> None:
    """One ``/variables/NAME`` patch on ``variables``, or AWS's BadRequestException."""
    prefix = "/variables/"
    if not patch.path.startswith(prefix):
        refuse_path(patch, _APPLIED)
    refuse_op(patch, _VARIABLE_OPS)
    name = patch.path[len(prefix) :]
    if patch.op == "remove":
        variables.pop(name, None)
        return
    for part, _ in variable_problems(name, patch.value):
        shown = (name if part == "name" else patch.value or "")[:200]
        raise bad_request((_BAD_NAME if part == "name" else _BAD_VALUE).format(shown))
    variables[name] = str(patch.value)
    if len(variables) > MAX_VARIABLES:
        raise bad_request(f"A stage can have at most {MAX_VARIABLES} stage variables")


async def update_stage(state: ControlState, params: Params) -> Result:
    """``UpdateStage``: ``/variables/NAME``; every operation checked before any applies."""
    runtime, name = _stage_of(state, params)
    async with state.live.writing():
        settings = runtime.settings
        variables = dict(settings.variables(name))
        for patch in patches(params, _VARIABLE_OPS, _APPLIED):
            _apply(variables, patch)
        if variables != settings.variables(name):
            every: Mapping[str, Mapping[str, str]] = {**settings.stage_variables, name: variables}
            await state.live.replace_variables(runtime, every)  # one assignment (in every process)
            logger.info("api `%s` stage `%s`: stage variables updated through the control plane", settings.api_id, name)
    return stage(state, runtime, name)


OPERATIONS: Final[Mapping[str, Handler]] = {
    "GetStages": get_stages,
    "GetStage": get_stage,
    "UpdateStage": update_stage,
}
