"""``get-rest-apis``, ``get-rest-api`` and ``update-rest-api`` (the resource policy, live).

``policy`` is returned as AWS returns it: the compact JSON text escaped once more, as the body of
a JSON string literal (``{\\"Version\\":\\"2012-10-17\\",...\\/*\\"}``), so scripts that undo
AWS's escaping work unchanged. ``update-rest-api`` applies ``/policy`` live through the same path
as the admin API (``attach_policy``, one assignment of ``ApiRuntime.attached``): the next request
gets the new policy, a bad document changes nothing. AWS applies a policy change at the next
deployment; gatewaysim has no deployments, so it applies at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.errors import DocumentError, PolicyError
from gatewaysim.gateway.admin import MAX_POLICY_BYTES
from gatewaysim.gateway.attached import AttachedPolicy, attach_policy
from gatewaysim.gateway.control.paging import page
from gatewaysim.gateway.control.patch import Patch, patches, refuse_op, refuse_path
from gatewaysim.gateway.control.state import ControlState, Handler, Params, Result, bad_request, stable_id
from gatewaysim.gateway.runtime import ApiRuntime
from gatewaysim.imports.model import decode_policy_text
from gatewaysim.safeload import POLICY_LIMITS, FormatError, load_json

__all__ = ["INVALID_POLICY", "OPERATIONS", "aws_policy_text", "rest_api"]

logger = logging.getLogger("gatewaysim.gateway.control")

INVALID_POLICY: Final = "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
"""AWS's BadRequestException message for a policy it cannot read (API Gateway's troubleshooting page)."""
_POLICY_OPS: Final = ("replace", "remove")
_APPLIED: Final = "/policy"


def aws_policy_text(document: Mapping[str, Any]) -> str:
    """The ``policy`` field as AWS returns it: compact JSON, escaped as a JSON string body (``/`` as ``\\/``)."""
    compact = json.dumps(document, separators=(",", ":"))
    return json.dumps(compact)[1:-1].replace("/", "\\/")


def rest_api(state: ControlState, runtime: ApiRuntime) -> dict[str, Any]:
    """One API in the ``RestApi`` shape."""
    settings = runtime.settings
    out: dict[str, Any] = {
        "id": settings.api_id,
        "name": settings.api_id,
        "createdDate": state.started,
        "apiKeySource": settings.door.api_key_source,
        "endpointConfiguration": {"types": ["EDGE"], "ipAddressType": "ipv4"},
        "disableExecuteApiEndpoint": False,
        "rootResourceId": stable_id("resource", settings.api_id, "/"),
    }
    attached = runtime.attached
    if attached is not None:
        out["policy"] = aws_policy_text(attached.document)
    return out


async def get_rest_apis(state: ControlState, params: Params) -> Result:
    """``GetRestApis``: every configured API."""
    return page([rest_api(state, runtime) for runtime in state.apis.values()], params)


async def get_rest_api(state: ControlState, params: Params) -> Result:
    """``GetRestApi``."""
    return rest_api(state, state.api(params["restApiId"]))


def _policy(runtime: ApiRuntime, patch: Patch) -> AttachedPolicy | None:
    """The policy ``patch`` attaches (None: none), or AWS's BadRequestException."""
    refuse_op(patch, _POLICY_OPS)
    if patch.op == "remove" or not patch.value:
        return None
    if len(patch.value) > MAX_POLICY_BYTES:
        raise bad_request(f"{INVALID_POLICY} (gatewaysim: the document is over {MAX_POLICY_BYTES} characters)")
    try:
        document = load_json(patch.value, POLICY_LIMITS)  # SECURITY: bounded depth and size
    except FormatError:  # not plain JSON: perhaps the escaped form get-rest-api prints
        document = _escaped(patch.value)
    except DocumentError as exc:
        raise bad_request(f"{INVALID_POLICY} (gatewaysim: {exc.problems[0].message})") from None
    if not isinstance(document, Mapping):
        raise bad_request(f"{INVALID_POLICY} (gatewaysim: the value is not a JSON object)")
    try:
        return attach_policy(document, api_arn=runtime.settings.arn, source="control plane (update-rest-api)")
    except PolicyError as exc:
        reasons = "; ".join(problem.render() for problem in exc.problems[:5])
        raise bad_request(f"{INVALID_POLICY} (gatewaysim: {reasons})") from None


def _escaped(value: str) -> Any:
    """A policy in the escaped form ``get-rest-api`` prints, or AWS's BadRequestException."""
    try:
        return load_json(json.dumps(decode_policy_text(value)), POLICY_LIMITS)  # depth checked again
    except (ValueError, RecursionError):  # DocumentError is a ValueError too
        raise bad_request(f"{INVALID_POLICY} (gatewaysim: the value is not JSON)") from None


async def update_rest_api(state: ControlState, params: Params) -> Result:
    """``UpdateRestApi``: ``replace``/``remove`` on ``/policy``; every operation checked before any applies."""
    runtime = state.api(params["restApiId"])
    attached = runtime.attached
    for patch in patches(params, _POLICY_OPS, _APPLIED):
        if patch.path != _APPLIED:
            refuse_path(patch, _APPLIED)
        attached = _policy(runtime, patch)
    if attached is not runtime.attached:
        await state.live.attach(runtime, "attached", attached)  # in-flight requests keep the one they started with
        what = "replaced" if attached is not None else "removed"
        logger.info("api `%s`: resource policy %s through the control plane", runtime.settings.api_id, what)
    return rest_api(state, runtime)


OPERATIONS: Final[Mapping[str, Handler]] = {
    "GetRestApis": get_rest_apis,
    "GetRestApi": get_rest_api,
    "UpdateRestApi": update_rest_api,
}
