"""Gateway responses: every answer API Gateway itself gives, from one table (spec 6.3, 16).

Every gateway-generated answer carries ``x-amzn-RequestId`` (a UUID), ``x-amz-apigw-id`` (a short
base64 id) and ``x-amzn-ErrorType``. Uncustomised, the body is ``{"message": ...}`` as
``application/json``; ``ACCESS_DENIED`` is the one type whose key is a capital ``Message`` (spec
6.1), and the separator column keeps the spacing clients see on AWS
(``{"message":"Missing Authentication Token"}`` vs ``{"message": "Internal server error"}``).

An API's ``gateway_responses`` customise a type (``GatewayResponses``), as AWS does (spec 16.3):

* a customised type uses its own status (else its default), its own headers and its own
  templates (else the default body);
* every other type of the same class (4XX or 5XX by its default status) takes ``DEFAULT_4XX``'s
  or ``DEFAULT_5XX``'s status (when that sets one), headers and templates; ``UNAUTHORIZED`` too
  (the docs leave it out of the sentence; LocalStack and the DEFAULT_4XX row include it);
* ``x-amzn-ErrorType`` never changes; ``REQUEST_TOO_LARGE`` cannot be customised (known issue);
* the integration errors' spaced body (``{"message": "Internal server error"}``) stays unless a
  template applies: a customised ``DEFAULT_5XX`` template replaces it (spec 16.5, OPEN; the docs
  class those errors as ``INTEGRATION_FAILURE``/``API_CONFIGURATION_ERROR``, which inherit).

Templates are not VTL: ``$context.X``, ``$stageVariables.X`` and ``$method.request.{header,
querystring,path}.X`` are replaced by their values (empty when absent); anything else stays as
written. ``$context.error.messageString`` is the message JSON-quoted (``null`` for none). Header
values are ``'literal'`` or the same expressions without ``$``; an absent source gives an empty
value (spec 16.4: a real 429 showed ``Access-Control-Allow-Origin: ''``). The template whose
content type the ``Accept`` header names is used, else ``application/json``, else the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Protocol

from aiohttp import web

from gatewaysim.arn import access_denied_message, authorizer_denied_message
from gatewaysim.authorizers.base import Rejection
from gatewaysim.config.door.responses import GatewayResponseSpec
from gatewaysim.ids import RequestIds

__all__ = [
    "DEFAULT_RESPONSES",
    "GATEWAY_RESPONSES",
    "GatewayResponseType",
    "GatewayResponses",
    "ValueSource",
    "access_denied_message",
    "authorizer_denied_message",
    "gateway_response",
    "rejection_response",
    "render_body",
    "render_template",
]

_COMPACT: Final = (",", ":")
_SPACED: Final = (", ", ": ")
_UNCUSTOMISABLE: Final = frozenset({"REQUEST_TOO_LARGE"})
_KEEP_OURS: Final = frozenset({"x-amzn-requestid", "x-amz-apigw-id", "x-amzn-errortype"})


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
        "INVALID_API_KEY": GatewayResponseType(403, "Forbidden", "ForbiddenException"),  # spec 13.2
        "THROTTLED": GatewayResponseType(429, "Too Many Requests", "TooManyRequestsException"),  # spec 14.4
        "QUOTA_EXCEEDED": GatewayResponseType(429, "Limit Exceeded", "LimitExceededException"),
        "BAD_REQUEST_PARAMETERS": GatewayResponseType(400, "Bad Request", "BadRequestException"),  # spec 17.2
        "BAD_REQUEST_BODY": GatewayResponseType(400, "Invalid request body", "BadRequestException"),
        "UNSUPPORTED_MEDIA_TYPE": GatewayResponseType(415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
        "WAF_FILTERED": GatewayResponseType(403, "Forbidden", "WafFilteredException"),
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
        # URI too long"); the body and error type are not verified. Not an AWS type: a 4XX.
        "REQUEST_URI_TOO_LONG": GatewayResponseType(414, "Request URI too long", "RequestUriTooLongException"),
        # A request the HTTP parser refuses (malformed request line or header). AWS's edge answers
        # those itself; not verified. DEFAULT_4XX/5XX are what every unlisted error falls back to.
        "DEFAULT_4XX": GatewayResponseType(400, "Bad Request", "BadRequestException"),
        "DEFAULT_5XX": GatewayResponseType(
            500, "Internal server error", "InternalServerErrorException", separators=_SPACED
        ),
    }
)


class ValueSource(Protocol):
    """Where a customised response reads ``context.X``, ``stageVariables.X`` and ``method.request.*.X``."""

    def context_value(self, name: str) -> str | None:
        """``$context.<name>`` (``identity.sourceIp``, ``error.message`` ...), None when unknown."""
        ...

    def stage_variable(self, name: str) -> str | None:
        """The stage variable ``name``, None when unset."""
        ...

    def request_value(self, location: str, name: str) -> str | None:
        """``method.request.<location>.<name>`` (header, querystring, path), None when absent."""
        ...


_EXPRESSION: Final = (
    r"context(?:\.[A-Za-z_][A-Za-z0-9_]*)+|stageVariables\.[A-Za-z0-9_]+"
    r"|method\.request\.(?:header|querystring|path)\.[A-Za-z0-9_~!#%&*+^`|-]+"
)
_VARIABLE: Final = re.compile(rf"\$!?(?:\{{({_EXPRESSION})\}}|({_EXPRESSION}))")


def _lookup(expression: str, source: ValueSource) -> str:
    """The value of a mapping expression (without ``$``); empty when absent."""
    if expression.startswith("'"):
        return expression[1:-1]
    head, _, rest = expression.partition(".")
    if head == "context":
        found = source.context_value(rest)
    elif head == "stageVariables":
        found = source.stage_variable(rest)
    else:  # method.request.<location>.<name>
        location, _, name = rest.removeprefix("request.").partition(".")
        found = source.request_value(location, name)
    return found if found is not None else ""


def render_template(template: str, source: ValueSource) -> str:
    """``template`` with each ``$context.X``/``$stageVariables.X``/``$method.request.*.X`` replaced."""
    return _VARIABLE.sub(lambda m: _lookup(m.group(1) or m.group(2), source), template)


def render_body(kind: GatewayResponseType, message: str | None) -> bytes:
    """The JSON body ``{"message": ...}`` (``Message`` for ACCESS_DENIED)."""
    return json.dumps({kind.message_key: message}, separators=kind.separators).encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Effective:
    """What one type renders as for one API, inheritance applied."""

    status: int | None  # None: the type's own (or the rejection's) status
    headers: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()

    @property
    def plain(self) -> bool:
        return self.status is None and not self.headers and not self.templates


_PLAIN: Final = _Effective(None)


def _class_of(status: int) -> str:
    return "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"


def _effective(name: str, status: int, specs: Mapping[str, GatewayResponseSpec]) -> _Effective:
    """Spec 16.3: the type's own customisation, else DEFAULT_4XX/5XX's, else none."""
    if name in _UNCUSTOMISABLE:
        return _PLAIN
    spec = specs.get(name) or specs.get(_class_of(status))
    if spec is None:
        return _PLAIN
    return _Effective(spec.status_code, spec.headers, spec.templates)


class GatewayResponses:
    """One API's gateway responses: the defaults with its ``gateway_responses`` applied."""

    def __init__(self, specs: Mapping[str, GatewayResponseSpec] | None = None) -> None:
        self.specs: Mapping[str, GatewayResponseSpec] = dict(specs or {})
        self._table = {name: _effective(name, kind.status, self.specs) for name, kind in GATEWAY_RESPONSES.items()}

    def respond(
        self,
        name: str,
        ids: RequestIds,
        source: Callable[[], ValueSource] | None = None,
        *,
        message: str | None = None,
        rejection: Rejection | None = None,
    ) -> web.Response:
        """The answer for type ``name``; ``rejection`` gives its own status, text and error type.

        ``source`` builds the request's values, called only when a customisation needs them.
        """
        kind = GATEWAY_RESPONSES.get(name)
        if rejection is not None:
            known = kind
            kind = GatewayResponseType(
                rejection.status,
                rejection.message,
                rejection.error_type,
                known.message_key if known else "message",
                known.separators if known else _COMPACT,
            )
            message = rejection.message
        elif kind is None:  # pragma: no cover - every caller names a type of the table
            kind = GATEWAY_RESPONSES["API_CONFIGURATION_ERROR"]
        elif message is None:
            message = kind.message
        effective = self._table.get(name) if name in self._table else _effective(name, kind.status, self.specs)
        if effective is None or effective.plain or source is None:
            return _respond(kind, message, ids)
        return _customised(kind, message, ids, effective, source(), name)


def _respond(kind: GatewayResponseType, message: str | None, ids: RequestIds) -> web.Response:
    headers = ids.headers()
    headers["x-amzn-ErrorType"] = kind.error_type
    return web.Response(
        status=kind.status, body=render_body(kind, message), content_type="application/json", headers=headers
    )


class _WithError:
    """A ``ValueSource`` that also knows ``$context.error.*`` for this answer."""

    __slots__ = ("_base", "_errors")

    def __init__(self, base: ValueSource, errors: Mapping[str, str]) -> None:
        self._base, self._errors = base, errors

    def context_value(self, name: str) -> str | None:
        found = self._errors.get(name)
        return found if found is not None else self._base.context_value(name)

    def stage_variable(self, name: str) -> str | None:
        return self._base.stage_variable(name)

    def request_value(self, location: str, name: str) -> str | None:
        return self._base.request_value(location, name)


def _choose(templates: tuple[tuple[str, str], ...], accept: str | None) -> tuple[str, str]:
    by_type = dict(templates)
    wanted = [part.split(";")[0].strip().lower() for part in (accept or "").split(",")]
    for media_type in [*wanted, "application/json"]:
        if media_type in by_type:
            return media_type, by_type[media_type]
    return templates[0]


def _customised(
    kind: GatewayResponseType,
    message: str | None,
    ids: RequestIds,
    effective: _Effective,
    base: ValueSource,
    name: str,
) -> web.Response:
    errors = {
        "error.message": message if message is not None else "",
        "error.messageString": json.dumps(message),
        "error.responseType": name,
    }
    source = _WithError(base, errors)
    if effective.templates:
        content_type, template = _choose(effective.templates, base.request_value("header", "Accept"))
        body = render_template(template, source).encode("utf-8")
    else:
        content_type, body = "application/json", render_body(kind, message)
    response = web.Response(status=effective.status or kind.status, body=body, headers=ids.headers())
    response.headers["Content-Type"] = content_type
    for header, expression in effective.headers:
        if header.lower() not in _KEEP_OURS:
            response.headers[header] = _lookup(expression, source)
    response.headers["x-amzn-ErrorType"] = kind.error_type  # SECURITY/fidelity: never changed
    return response


DEFAULT_RESPONSES: Final = GatewayResponses()
"""The table with nothing customised: what an API without ``gateway_responses`` answers."""


def gateway_response(name: str, ids: RequestIds) -> web.Response:
    """The uncustomised answer for gateway response type ``name``, with the type's message."""
    return DEFAULT_RESPONSES.respond(name, ids)


def rejection_response(rejection: Rejection, ids: RequestIds) -> web.Response:
    """The uncustomised answer for an authorization ``Rejection`` (its own status, text and error type)."""
    return DEFAULT_RESPONSES.respond(rejection.response_type, ids, rejection=rejection)
