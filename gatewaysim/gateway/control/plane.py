"""The control plane's door: which requests are management calls, who may make them, and dispatch.

Which requests are control-plane calls (``claims``), in order; the first rule that decides wins:

1. A path naming ``_user_request_`` (LocalStack's ``/restapis/{id}/{stage}/_user_request_/...``,
   raw or percent-encoded, well formed or not) is always proxied traffic: the data plane judges it.
2. A Host naming an API (``{id}.execute-api.localhost``, ``{id}.execute-api.{region}.amazonaws.com``)
   is always the data plane.
3. A request signed with SigV4 for the service ``apigateway`` (its credential scope
   ``.../{region}/apigateway/aws4_request``: every AWS CLI, boto3 or Terraform call) is a control-plane
   call, whatever its path. A call to an API's method signed for ``execute-api`` is not.
4. An unsigned request whose path is ``/restapis`` or below (``curl .../restapis``) is a control-plane
   call: that prefix was never a path of an API (a stage may not be named ``restapis``).
5. Anything else is the data plane: ``/apikeys`` unsigned may be an API's own path.

Who may call it is the admin API's rule (``gatewaysim.gateway.access``): local, direct callers, or
anyone presenting ``admin.token`` when ``admin.allow_remote``; AWS clients present the token as
their access key id. SigV4 signatures are not verified (any credentials do, as on LocalStack).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote

from aiohttp import web
from multidict import istr

from gatewaysim.config.live import AdminSettings
from gatewaysim.gateway.access import Refusal, bearer_token, refusal
from gatewaysim.gateway.control.model import route
from gatewaysim.gateway.control.state import CALLER, Caller, ControlState, Handler
from gatewaysim.gateway.control.wire import ServiceError, error_response, read_input, write_output
from gatewaysim.gateway.dispatch import PREFIX_MARKER, PREFIX_ROOT, host_api

__all__ = ["CONTROL_ROOT", "MAX_BODY_BYTES", "ControlPlane", "signed_access_key"]

logger = logging.getLogger("gatewaysim.gateway.control")

CONTROL_ROOT: Final = f"/{PREFIX_ROOT}"
MAX_BODY_BYTES: Final = 10 * 1024 * 1024  # API Gateway's payload limit; test-invoke bodies are requests
_AUTHORIZATION: Final = istr("Authorization")
_SIGV4: Final = "AWS4-HMAC-SHA256"
_SCOPE: Final = "/apigateway/aws4_request"
_CREDENTIAL: Final = re.compile(r"Credential=([^,\s]{1,1024})")


def signed_access_key(authorization: str) -> str | None:
    """The access key id of a SigV4 ``Authorization`` scoped to ``apigateway``, else None."""
    if not authorization.startswith(_SIGV4) or _SCOPE not in authorization:
        return None
    found = _CREDENTIAL.search(authorization[:4096])
    if found is None:
        return None
    parts = found.group(1).rsplit("/", 4)  # access key id / date / region / service / aws4_request
    return parts[0] if len(parts) == 5 and parts[3] == "apigateway" and parts[4] == "aws4_request" else None


def _is_user_request(raw_path: str) -> bool:
    """True when the path names ``_user_request_`` anywhere (raw or percent-encoded): proxied traffic."""
    return PREFIX_MARKER in unquote(raw_path.partition("?")[0])


class ControlPlane:
    """Answers API Gateway management calls (``apigateway``, REST-JSON) about this gateway's state."""

    def __init__(self, admin: AdminSettings, state: ControlState, operations: Mapping[str, Handler]) -> None:
        self.admin = admin
        self.state = state
        self.operations = operations

    def claims(self, request: web.BaseRequest) -> bool:
        """True when ``request`` is a control-plane call (module docstring); cheap for proxied traffic."""
        raw = request.raw_path
        below_root = raw.startswith(CONTROL_ROOT) and raw[len(CONTROL_ROOT) : len(CONTROL_ROOT) + 1] in ("", "/", "?")
        authorization = request.headers.get(_AUTHORIZATION)
        signed = authorization is not None and signed_access_key(authorization) is not None
        if not below_root and not signed:
            return False
        if below_root and _is_user_request(raw):
            return False  # SECURITY: proxied traffic is judged by the data plane, always
        return host_api(request.host) is None

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """Check the caller, find the operation, read its input, run it, write its output."""
        refused = refusal(self.admin, request, _presented(request))
        if refused is not None:
            return _refused(refused)
        path, _, _ = request.raw_path.partition("?")
        routed = route(request.method, path, request.rel_url.query)
        if routed is None:
            shown = path[:200]
            return error_response(
                "UnknownOperationException", f"no API Gateway operation is `{request.method} {shown}`"
            )
        operation = routed.operation
        handler = self.operations.get(operation.name)
        if handler is None:
            return error_response("NotImplementedException", _unsupported(operation.name))
        body = await _read_body(request)
        if body is None:
            return error_response("BadRequestException", f"Request body is over {MAX_BODY_BYTES} bytes")
        CALLER.set(_caller(request))
        try:
            params = read_input(operation, routed.labels, request.rel_url.query, request.headers, body)
            return write_output(operation, await handler(self.state, params))
        except ServiceError as exc:
            return error_response(exc.code, exc.message)
        except Exception as exc:  # a bug must become AWS's 500, never a traceback for the caller
            logger.exception("control plane: %s failed", operation.name)
            return error_response("InternalFailure", f"gatewaysim failed on {operation.name}: {type(exc).__name__}")


def _address(value: object) -> tuple[str, int]:
    return (str(value[0]), int(value[1])) if isinstance(value, tuple) and len(value) >= 2 else ("0.0.0.0", 0)


def _caller(request: web.BaseRequest) -> Caller:
    """The call's socket peer and the listener's address, as a test invocation reuses them."""
    transport = request.transport
    extra = transport.get_extra_info if transport is not None else (lambda name: None)
    return Caller(_address(extra("peername")), _address(extra("sockname")))


def _presented(request: web.BaseRequest) -> str | None:
    """The admin token a caller presents: a Bearer token, or a SigV4 access key id."""
    authorization = request.headers.get(_AUTHORIZATION, "")
    return signed_access_key(authorization) or bearer_token(request)


def _refused(refused: Refusal) -> web.Response:
    if refused.kind == "remote":
        logger.warning("control-plane request from non-local or proxied peer %s refused", refused.peer)
        message = "the control plane answers local, direct clients only (admin.allow_remote)"
        return error_response("AccessDeniedException", message)
    return error_response("UnrecognizedClientException", "The security token included in the request is invalid.")


def _unsupported(name: str) -> str:
    return (
        f"API action '{name}' for service 'apigateway' is not emulated by gatewaysim: it serves the APIs "
        "its config declares (see docs/control-plane.md for the operations it answers)"
    )


async def _read_body(request: web.BaseRequest) -> bytes | None:
    """The body, or None when it is over ``MAX_BODY_BYTES``."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
