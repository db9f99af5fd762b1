"""The control plane's door: who may make a call (the admin API's rule), and dispatch.

Which requests are control-plane calls is ``control.claims`` (the gateway asks it per request and
builds this plane on the first call it claims). Who may call it is the admin API's rule
(``gatewaysim.gateway.access``): local, direct callers, or anyone presenting ``admin.token`` when
``admin.allow_remote``; AWS clients present the token as their access key id. SigV4 signatures are
not verified (any credentials do, as on LocalStack).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from aiohttp import web
from multidict import istr

from gatewaysim.config.live import AdminSettings
from gatewaysim.errors import StoreError
from gatewaysim.gateway.access import Refusal, bearer_token, refusal
from gatewaysim.gateway.control.claims import signed_access_key
from gatewaysim.gateway.control.model import route
from gatewaysim.gateway.control.state import CALLER, Caller, ControlState, Handler
from gatewaysim.gateway.control.wire import ServiceError, error_response, read_input, write_output

__all__ = ["MAX_BODY_BYTES", "ControlPlane"]

logger = logging.getLogger("gatewaysim.gateway.control")

MAX_BODY_BYTES: Final = 10 * 1024 * 1024  # API Gateway's payload limit; test-invoke bodies are requests
_AUTHORIZATION: Final = istr("Authorization")


class ControlPlane:
    """Answers API Gateway management calls (``apigateway``, REST-JSON) about this gateway's state."""

    def __init__(self, admin: AdminSettings, state: ControlState, operations: Mapping[str, Handler]) -> None:
        self.admin = admin
        self.state = state
        self.operations = operations

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
        except StoreError as exc:  # a live write could not reach the other processes: nothing changed
            return error_response("ServiceUnavailableException", str(exc))
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
