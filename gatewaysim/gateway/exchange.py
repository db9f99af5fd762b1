"""One request's trip through the stages: the values each stage returned, and the log record.

``Exchange`` only stores what the stages handed back (context, policy decision, authorizer
result, verdict, forward figures); ``record`` reads them into the access-log fields of
:mod:`gatewaysim.observe.access_log` and recomputes nothing.
"""

from __future__ import annotations

import time
from typing import Any, Final

from aiohttp import web

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult
from gatewaysim.context import RequestContext
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.gateway.identity import iso_second, request_peer
from gatewaysim.gateway.responses import GATEWAY_RESPONSES, gateway_response, rejection_response
from gatewaysim.ids import RequestIds
from gatewaysim.policy import Decision

__all__ = ["NO_AUTHORIZER", "Exchange"]

NO_AUTHORIZER: Final = AuthorizerResult(AuthorizerColumn.NEITHER)
"""The authorizer stage's answer for auth type NONE and an anonymous caller."""


class Exchange:
    """What the stages returned for one request, kept for the access log."""

    __slots__ = (
        "api_id",
        "authz",
        "ctx",
        "decision",
        "error",
        "ids",
        "length",
        "request",
        "started",
        "upstream",
        "verdict",
    )

    def __init__(self, request: web.BaseRequest) -> None:
        self.request = request
        self.ids = RequestIds.new()
        self.started = time.perf_counter()
        self.api_id: str | None = None
        self.ctx: RequestContext | None = None
        self.decision: Decision | None = None
        self.authz: AuthorizerResult | None = None
        self.verdict: Verdict | None = None
        self.error: tuple[str, str] | None = None  # (errorType, errorMessage)
        self.length: int | None = None
        self.upstream: float | None = None  # integration latency, ms

    def fail(self, kind: str, reason: str) -> web.Response:
        """Answer with gateway response ``kind``; ``reason`` is for the log only."""
        self.error = (GATEWAY_RESPONSES[kind].error_type, reason)
        return gateway_response(kind, self.ids)

    def refuse(self, verdict: Verdict) -> web.Response:
        """Answer a refused verdict with its rejection (ACCESS_DENIED, 401, 500 ...)."""
        self.verdict = verdict
        rejection = verdict.response
        if rejection is None:  # pragma: no cover - flow sets a response on every refusal
            return self.fail("API_CONFIGURATION_ERROR", f"refused without a response: {verdict.explain()}")
        self.error = (rejection.error_type, rejection.detail or rejection.message or rejection.response_type)
        return rejection_response(rejection, self.ids)

    def record(self, response: web.StreamResponse, policy_configured: bool) -> dict[str, Any]:
        """The access-log record, read from the values the stages returned."""
        ctx, decision = self.ctx, self.decision
        now = time.time()
        length = self.length if self.length is not None else response.content_length or 0
        return {
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
            "decision": decision.outcome.value if decision else "NoPolicy" if ctx and not policy_configured else None,
            "decidingStatement": ", ".join(r.label() for r in decision.deciding) or None if decision else None,
            "authorizer": _authorizer_log(self.authz),
            "verdict": self.verdict.explain() if self.verdict else None,
            "errorType": self.error[0] if self.error else None,
            "errorMessage": self.error[1] if self.error else None,
        }


def _three_places(ms: float) -> float:
    """``ms`` rounded half up to 3 places (``round(ms, 3)`` costs 5x as much, on every request)."""
    return int(ms * 1000 + 0.5) / 1000


def _authorizer_log(authz: AuthorizerResult | None) -> dict[str, Any] | None:
    """The ``authorizer`` log field: null when no authorizer ran."""
    if authz is None or authz is NO_AUTHORIZER:
        return None
    return {"column": authz.column.value, "principalId": authz.principal_id, "cached": authz.cached}
