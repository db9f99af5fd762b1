"""One request's trip through the stages: the values each stage returned, and the log record.

``Exchange`` only stores what the stages handed back (context, method, policy and its decision,
authorizer result, verdict, forward figures); ``record`` reads them into the access-log fields
of :mod:`gatewaysim.observe.access_log` and recomputes nothing. ``shadowDecision`` is added to
the record only when a shadow policy decided differently (``gateway.shadow``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from aiohttp import web

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult, Rejection
from gatewaysim.config.load import ApiSettings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.gateway.attached import AttachedPolicy
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.gateway.identity import iso_second, request_peer
from gatewaysim.gateway.refusal import Refusal
from gatewaysim.gateway.responses import DEFAULT_RESPONSES, GATEWAY_RESPONSES, GatewayResponses
from gatewaysim.ids import RequestIds
from gatewaysim.policy import Decision

if TYPE_CHECKING:
    from gatewaysim.gateway.authorize.difference import Difference

__all__ = ["NO_AUTHORIZER", "Exchange", "Integrated", "ResponseValues"]

NO_AUTHORIZER: Final = AuthorizerResult(AuthorizerColumn.NEITHER)
"""The authorizer stage's answer for auth type NONE and an anonymous caller."""


class Exchange:
    """What the stages returned for one request, kept for the access log."""

    __slots__ = (
        "api_id",
        "attached",
        "authorizer_ms",
        "authz",
        "ctx",
        "decision",
        "error",
        "function",
        "integration",
        "ids",
        "length",
        "method",
        "refusal",
        "refused",
        "refused_by",
        "request",
        "responses",
        "settings",
        "shadow",
        "started",
        "upstream",
        "validation_error",
        "verdict",
    )

    def __init__(self, request: web.BaseRequest) -> None:
        self.request = request
        self.ids = RequestIds.new()
        self.started = time.perf_counter()
        self.api_id: str | None = None
        self.ctx: RequestContext | None = None
        self.attached: AttachedPolicy | None = None  # the resource policy it was decided with
        self.decision: Decision | None = None
        self.authz: AuthorizerResult | None = None
        self.verdict: Verdict | None = None
        self.error: tuple[str, str] | None = None  # (errorType, errorMessage)
        self.length: int | None = None
        self.upstream: float | None = None  # integration latency, ms
        self.authorizer_ms = 0  # the authorizer's latency (the proxy event's authorizer.integrationLatency)
        self.function: tuple[str, bool] | None = None  # the Lambda function that answered, and if it cold-started
        self.integration: Integrated | None = None  # what the integration stage sent (gateway.integrate)
        self.responses: GatewayResponses = DEFAULT_RESPONSES  # the API's, once it is known
        self.settings: ApiSettings | None = None
        self.method: RouteMatch | None = None
        self.refused_by: str | None = None  # the door stage that refused: apiKey, throttle, quota, validation
        self.validation_error: str | None = None  # $context.error.validationErrorString
        self.refused: str | None = None  # the gateway response type that ended the request
        self.refusal: Refusal | None = None  # which stage refused it and why (gateway.refusal), once known
        self.shadow: Difference | None = None  # the shadow policy's different decision

    def fail(self, kind: str, reason: str, message: str | None = None) -> web.Response:
        """Answer with gateway response ``kind`` (``message`` or the type's); ``reason`` is for the log only."""
        self.error = (GATEWAY_RESPONSES[kind].error_type, reason)
        self.refused = kind
        return self.responses.respond(kind, self.ids, self._source, message=message)

    def refuse(self, verdict: Verdict) -> web.Response:
        """Answer a refused verdict with its rejection (ACCESS_DENIED, 401, 500 ...)."""
        self.verdict = verdict
        rejection = verdict.response
        if rejection is None:  # pragma: no cover - flow sets a response on every refusal
            return self.fail("API_CONFIGURATION_ERROR", f"refused without a response: {verdict.explain()}")
        return self.reject(rejection)

    def reject(self, rejection: Rejection) -> web.Response:
        """Answer with ``rejection``: its own status, text and ``x-amzn-ErrorType`` (``detail`` is logged)."""
        self.error = (rejection.error_type, rejection.detail or rejection.message or rejection.response_type)
        self.refused = rejection.response_type
        return self.responses.respond(rejection.response_type, self.ids, self._source, rejection=rejection)

    def _source(self) -> ResponseValues:
        return ResponseValues(self)

    def record(self, response: web.StreamResponse, policy_configured: bool) -> dict[str, Any]:
        """The access-log record, read from the values the stages returned."""
        ctx, decision, refusal = self.ctx, self.decision, self.refusal
        now = time.time()  # enums give `_value_`, not `.value`: the same text at a sixth of the cost
        length = self.length if self.length is not None else response.content_length or 0
        record: dict[str, Any] = {
            "requestId": self.ids.request_id,
            "requestTime": iso_second(int(ctx.request_time if ctx else now)),
            "apiId": self.api_id,
            "ip": ctx.source_ip if ctx else request_peer(self.request),
            "caller": ctx.principal if ctx else None,
            "httpMethod": self.request.method,
            "path": ctx.full_path if ctx else self.request.raw_path.partition("?")[0][:2048],
            "resourceArn": ctx.method_arn if ctx else None,
            "stage": ctx.stage if ctx else None,
            "status": response.status,
            "responseLength": length,
            "latency": _three_places((time.perf_counter() - self.started) * 1000),
            "integrationLatency": _three_places(self.upstream) if self.upstream is not None else None,
            "decision": decision.outcome._value_ if decision else "NoPolicy" if ctx and not policy_configured else None,
            "decidingStatement": decision.labels or None if decision else None,
            "authorizer": _authorizer_log(self.authz),
            "verdict": self.verdict.explain() if self.verdict else None,
            "errorType": self.error[0] if self.error else None,
            "errorMessage": self.error[1] if self.error else None,
            "refusedBy": refusal.stage if refusal else None,
            "reason": refusal.reason if refusal else None,
            "hint": refusal.hint if refusal else None,
            "function": _function_log(self.function),
        }
        if self.shadow is not None:
            record["shadowDecision"] = self.shadow.to_dict()
        return record


class Integrated(NamedTuple):
    """The integration a request reached: its type, where it went, and the headers it sent (HTTP_PROXY)."""

    type: str
    target: str | None = None
    headers: Mapping[str, str] | None = None


class ResponseValues:
    """The request's values a customised gateway response reads (``gateway.responses.ValueSource``)."""

    __slots__ = ("_x",)

    def __init__(self, exchange: Exchange) -> None:
        self._x = exchange

    def context_value(self, name: str) -> str | None:
        """``$context.<name>`` from what the stages returned (None: unknown or not reached)."""
        x, ctx = self._x, self._x.ctx
        getter = _CONTEXT.get(name)
        if getter is not None:
            return getter(x)
        if ctx is None:
            return None
        if name.startswith("authorizer.") and x.authz is not None:
            value = x.authz.context.get(name.removeprefix("authorizer."))
            if value is None and name.startswith("authorizer.claims."):
                value = x.authz.claims.get(name.removeprefix("authorizer.claims."))
            return None if value is None else str(value)
        return None

    def stage_variable(self, name: str) -> str | None:
        """The stage variable ``name`` of the request's stage."""
        x = self._x
        if x.settings is None or x.ctx is None:
            return None
        return x.settings.variables(x.ctx.stage).get(name)

    def request_value(self, location: str, name: str) -> str | None:
        """``method.request.<location>.<name>``: the request's header, query value or path parameter."""
        x = self._x
        if location == "header":
            return x.request.headers.get(name)
        if location == "querystring":
            return x.request.rel_url.query.get(name)
        if location == "path" and x.method is not None:
            return x.method.path_parameters.get(name)
        return None


def _ctx_field(read: Callable[[RequestContext], str | None]) -> Callable[[Exchange], str | None]:
    return lambda x: read(x.ctx) if x.ctx is not None else None


_CONTEXT: Final[Mapping[str, Callable[[Exchange], str | None]]] = {
    "requestId": lambda x: x.ids.request_id,
    "extendedRequestId": lambda x: x.ids.apigw_id,
    "apiId": lambda x: x.api_id,
    "accountId": lambda x: x.settings.account if x.settings is not None else None,
    "domainName": lambda x: x.request.host,
    "protocol": lambda x: f"HTTP/{x.request.version.major}.{x.request.version.minor}",
    "httpMethod": lambda x: x.request.method,
    "resourcePath": lambda x: x.method.resource_path if x.method is not None else None,
    "stage": _ctx_field(lambda c: c.stage),
    "path": _ctx_field(lambda c: c.full_path),
    "identity.sourceIp": lambda x: x.ctx.source_ip if x.ctx is not None else request_peer(x.request),
    "identity.userAgent": lambda x: x.request.headers.get("User-Agent"),
    "identity.caller": _ctx_field(lambda c: c.principal),
    "identity.apiKey": _ctx_field(lambda c: c.api_key),
    "identity.apiKeyId": _ctx_field(lambda c: c.api_key_id),
    "requestTimeEpoch": _ctx_field(lambda c: str(int(c.request_time * 1000))),
    "requestTime": _ctx_field(lambda c: time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(c.request_time))),
    "authorizer.principalId": lambda x: x.authz.principal_id if x.authz is not None else None,
    "error.validationErrorString": lambda x: x.validation_error,
}


def _function_log(function: tuple[str, bool] | None) -> dict[str, Any] | None:
    """The ``function`` log field: which function answered and whether it was a cold start."""
    return None if function is None else {"name": function[0], "coldStart": function[1]}


def _three_places(ms: float) -> float:
    """``ms`` rounded half up to 3 places (``round(ms, 3)`` costs 5x as much, on every request)."""
    return int(ms * 1000 + 0.5) / 1000


def _authorizer_log(authz: AuthorizerResult | None) -> dict[str, Any] | None:
    """The ``authorizer`` log field: null when no authorizer ran."""
    if authz is None or authz is NO_AUTHORIZER:
        return None
    return {"column": authz.column._value_, "principalId": authz.principal_id, "cached": authz.cached}
