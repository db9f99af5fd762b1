"""Gateway responses: the answers API Gateway itself gives, as one table (spec 6).

Every gateway-generated answer is JSON (``Content-Type: application/json``) with the body
``{"message": ...}`` and carries ``x-amzn-RequestId`` (a UUID), ``x-amz-apigw-id`` (a short
base64 id) and ``x-amzn-ErrorType``. ``ACCESS_DENIED`` is the one type whose key is a capital
``Message`` (spec 6.1). The separator column keeps the spacing clients see on AWS
(``{"message":"Missing Authentication Token"}`` vs ``{"message": "Internal server error"}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from aiohttp import web

from gatewaysim.arn import access_denied_message, authorizer_denied_message
from gatewaysim.authorizers.base import Rejection
from gatewaysim.ids import RequestIds

__all__ = [
    "GATEWAY_RESPONSES",
    "GatewayResponseType",
    "access_denied_message",
    "authorizer_denied_message",
    "gateway_response",
    "rejection_response",
    "render_body",
]

_COMPACT: Final = (",", ":")
_SPACED: Final = (", ", ": ")


@dataclass(frozen=True, slots=True)
class GatewayResponseType:
    """One gateway response type: status, default message, ``x-amzn-ErrorType`` and body shape."""

    status: int
    message: str | None
    error_type: str
    message_key: str = "message"
    separators: tuple[str, str] = _COMPACT


GATEWAY_RESPONSES: Final[Mapping[str, GatewayResponseType]] = MappingProxyType(
    {
        # type: status, default message (None -> JSON null), x-amzn-ErrorType, key, separators
        "ACCESS_DENIED": GatewayResponseType(403, None, "AccessDeniedException", "Message"),
        "MISSING_AUTHENTICATION_TOKEN": GatewayResponseType(
            403, "Missing Authentication Token", "MissingAuthenticationTokenException"
        ),
        "UNAUTHORIZED": GatewayResponseType(401, "Unauthorized", "UnauthorizedException"),
        "EXPIRED_TOKEN": GatewayResponseType(
            403, "The security token included in the request is expired", "ExpiredTokenException"
        ),
        "INVALID_SIGNATURE": GatewayResponseType(403, None, "InvalidSignatureException"),
        "AUTHORIZER_CONFIGURATION_ERROR": GatewayResponseType(500, None, "AuthorizerConfigurationException"),
        "AUTHORIZER_FAILURE": GatewayResponseType(500, None, "AuthorizerFailureException"),
        "API_CONFIGURATION_ERROR": GatewayResponseType(
            500, "Internal server error", "InternalServerErrorException", separators=_SPACED
        ),
        "INTEGRATION_FAILURE": GatewayResponseType(
            502, "Internal server error", "InternalServerErrorException", separators=_SPACED
        ),
        "INTEGRATION_TIMEOUT": GatewayResponseType(
            504, "Endpoint request timed out", "InternalServerErrorException", separators=_SPACED
        ),
        "REQUEST_TOO_LARGE": GatewayResponseType(413, "Request Too Long", "RequestTooLargeException"),
        "RESOURCE_NOT_FOUND": GatewayResponseType(404, "Resource not found", "ResourceNotFoundException"),
        # A method ARN over 1600 bytes when the method is authorized (documented quota: "414 Request
        # URI too long"); the body and error type are not verified.
        "REQUEST_URI_TOO_LONG": GatewayResponseType(414, "Request URI too long", "RequestUriTooLongException"),
        # A request the HTTP parser refuses (malformed request line or header). AWS's edge answers
        # those itself; not verified. DEFAULT_4XX is the type every unlisted 4XX falls back to.
        "DEFAULT_4XX": GatewayResponseType(400, "Bad Request", "BadRequestException"),
    }
)


def render_body(kind: GatewayResponseType, message: str | None) -> bytes:
    """The JSON body ``{"message": ...}`` (``Message`` for ACCESS_DENIED)."""
    return json.dumps({kind.message_key: message}, separators=kind.separators).encode("utf-8")


def _respond(kind: GatewayResponseType, message: str | None, ids: RequestIds) -> web.Response:
    headers = ids.headers()
    headers["x-amzn-ErrorType"] = kind.error_type
    return web.Response(
        status=kind.status, body=render_body(kind, message), content_type="application/json", headers=headers
    )


def gateway_response(name: str, ids: RequestIds) -> web.Response:
    """The answer for gateway response type ``name``, with the type's message."""
    kind = GATEWAY_RESPONSES[name]
    return _respond(kind, kind.message, ids)


def rejection_response(rejection: Rejection, ids: RequestIds) -> web.Response:
    """The answer for an authorization ``Rejection`` (its own status, text and error type)."""
    known = GATEWAY_RESPONSES.get(rejection.response_type)
    kind = GatewayResponseType(
        rejection.status,
        rejection.message,
        rejection.error_type,
        known.message_key if known else "message",
        known.separators if known else _COMPACT,
    )
    return _respond(kind, rejection.message, ids)
