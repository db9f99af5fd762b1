"""The decision event: one request's decision values rendered as the versioned JSON the decision
log keeps (``observe.decisions``), the admin API serves, ``log.decisions_file`` holds and
``gatewaysim replay`` reads. The format is documented field by field in docs/decision-events.md.

Version 2 holds everything needed to decide the request again exactly: the request the resource
policy was evaluated with (every condition key and value), the route's auth type, the
authorizer's result, the API's account and the flow switch (Tables A/B), and the verdict::

    {"version": 2, "eventTime": "2026-11-29T12:00:00.123Z", "requestId": "...",
     "apiId": "abcdef1234", "apiAccount": "123456789012", "stage": "prod", "httpMethod": "GET",
     "path": "/prod/pets", "resourcePath": "/{proxy+}", "resourceArn": "arn:aws:execute-api:...",
     "authorizationType": "NONE", "caller": "anonymous", "sourceIp": "203.0.113.10",
     "request": {"principal": "anonymous", "action": "execute-api:Invoke", "resource": "arn:...",
                 "context": {"aws:sourceip": ["203.0.113.10"], ...}},
     "outcome": "Allow", "policy": {"decision", "deciding" (with each statement's text), "explanation",
                                    "statements" (a compact trace), "unmatched", "problems", "source"},
     "authorizer": null, "flow": {"cognitoRequiresPolicyAllow": true},
     "verdict": {"outcome": "Allow", "rule": "policy-only", "row": {"authorizer": "-", "policy": "Allow"},
                 "explanation": "policy-only: -/Allow -> Allow"},
     "allowed": true, "status": 200, "refusal": null}

``outcome`` is the resource policy's answer: ``NoPolicy`` when the API has none, null when the
policy was not evaluated (the request ended before it). ``allowed`` and ``verdict`` are the
authorization stage's final answer (null when the request never reached it). ``refusal`` names
the gateway response that ended the request, the stage it came from (``gateway.refusal``: route,
policy, authorizer, cognito, iam, apiKey, throttle, quota, validation, integration, body,
gateway), one line of reason and a hint for a common slip (or null). ``shadowDecision`` is
present only where the API's shadow policy decides differently (``gateway.shadow``). Only the
entry's values are kept per request; the event is built when it is read or written.
"""

from __future__ import annotations

import time
from typing import Any, Final

from gatewaysim.authorizers.base import AuthorizerResult, AuthType, Rejection
from gatewaysim.gateway.attached import AttachedPolicy
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.gateway.decision_pack import DecisionValues, PackedValues, pack, unpack
from gatewaysim.gateway.exchange import Exchange, Integrated
from gatewaysim.gateway.refusal import Refusal
from gatewaysim.observe.decisions import NO_POLICY, DecisionEntry
from gatewaysim.policy import Decision, Request

__all__ = ["EVENT_VERSION", "DecisionValues", "decision_entry", "entry_values", "render_event"]

EVENT_VERSION: Final = 2


def decision_entry(x: Exchange, status: int, policy_configured: bool = True) -> DecisionEntry | None:
    """The decision log entry of one exchange; None when it never got as far as an API's stages."""
    ctx = x.ctx
    if ctx is None:
        return None
    decision = x.decision
    outcome = decision.outcome._value_ if decision is not None else None if policy_configured else NO_POLICY
    values = DecisionValues(
        ctx,
        decision,
        x.authz,
        x.verdict,
        status,
        x.settings,
        x.method,
        x.attached,
        policy_configured,
        x.refused,
        x.shadow,
        x.refusal,
        x.integration,
        x.upstream,
    )
    allowed = x.verdict.allowed if x.verdict else None
    return DecisionEntry(x.ids.request_id, x.api_id, outcome, allowed, pack(values))  # compact: decision_pack


def entry_values(entry: DecisionEntry) -> DecisionValues:
    """The stages' values an entry was made from (unpacked from the ring's compact form)."""
    values = entry.values
    return DecisionValues._make(unpack(values)) if isinstance(values, PackedValues) else values


def _event_time(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def render_event(entry: DecisionEntry) -> dict[str, Any]:
    """The versioned JSON event of one entry (the decision's trace is built here, on read)."""
    v = entry_values(entry)
    ctx, route = v.ctx, v.route
    auth_type = route.route.authorization_type if route is not None else None
    event: dict[str, Any] = {
        "version": EVENT_VERSION,
        "eventTime": _event_time(ctx.request_time),
        "requestId": entry.request_id,
        "apiId": entry.api_id,
        "apiAccount": v.api.account if v.api is not None else None,
        "stage": ctx.stage,
        "httpMethod": ctx.http_method,
        "path": ctx.full_path,
        "resourcePath": route.resource_path if route is not None else None,
        "resourceArn": ctx.method_arn,
        "authorizationType": auth_type.value if auth_type is not None else None,
        "caller": ctx.principal,
        "sourceIp": ctx.source_ip,
        "request": _request(ctx.policy_request),
        "outcome": entry.outcome,
        "policy": _policy(v.decision, v.attached),
        "authorizer": _authorizer(v.authz) if auth_type not in (None, AuthType.NONE) else None,
        "flow": {"cognitoRequiresPolicyAllow": v.api.auth.flow.cognito_requires_policy_allow} if v.api else None,
        "verdict": _verdict(v.verdict),
        "allowed": entry.allowed,
        "status": v.status,
        "refusal": _refusal(v.refused, v.refusal),
        "integration": _integration(v.integration, v.upstream_ms, v.status),
    }
    if v.shadow is not None:
        event["shadowDecision"] = v.shadow.to_dict()
    return event


def _request(request: Request) -> dict[str, Any]:
    context = {key: list(values) for key, values in request.context.items()}
    return {"principal": request.principal, "action": request.action, "resource": request.resource, "context": context}


def _policy(decision: Decision | None, attached: AttachedPolicy | None) -> dict[str, Any] | None:
    """The decision, each deciding statement with its text, and a compact per-statement trace.

    ``statements`` traces the statements whose Principal, Action and Resource matched the request
    (they applied, or a condition failed: what explains a decision); ``unmatched`` lists the
    others by the element that did not match (``{"Resource": [1, 2]}``), which with the event's
    ``caller`` and ``resourceArn`` says the rest. Every statement is in one of the two. (The
    full trace of a 100-statement policy is 25 KB a request, most of it "Resource does not match".)
    """
    if decision is None:
        return None
    considered: list[dict[str, Any]] = []
    unmatched: dict[str, list[int]] = {}
    for trace in decision.trace:
        if trace.failed is None or trace.failed == "Condition":
            considered.append(trace.to_dict())
        else:
            unmatched.setdefault(trace.failed, []).append(trace.statement.index)
    deciding: list[dict[str, Any]] = [{"index": r.index, "sid": r.sid, "effect": r.effect} for r in decision.deciding]
    data: dict[str, Any] = {
        "decision": decision.outcome.value,
        "deciding": deciding,
        "explanation": decision.explain(),
        "statements": considered,
        "unmatched": unmatched,
        "problems": list(decision.problems),
    }
    if attached is not None:
        data["source"] = attached.source
        for item, ref in zip(deciding, decision.deciding, strict=True):
            item["statement"] = attached.statement(ref.index)
    return data


def _authorizer(authz: AuthorizerResult | None) -> dict[str, Any] | None:
    """The authorizer's result as recorded (null when it never ran)."""
    if authz is None:
        return None
    return {
        "column": authz.column.value,
        "principal": authz.principal,
        "principalId": authz.principal_id,
        "context": dict(authz.context),
        "claims": dict(authz.claims),
        "cached": authz.cached,
        "rejection": _rejection(authz.rejection),
        "policy": authz.decision.to_dict() if authz.decision is not None else None,
    }


def _rejection(rejection: Rejection | None) -> dict[str, Any] | None:
    if rejection is None:
        return None
    return {
        "responseType": rejection.response_type,
        "status": rejection.status,
        "message": rejection.message,
        "errorType": rejection.error_type,
    }


def _verdict(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    row = {"authorizer": verdict.row[0], "policy": verdict.row[1]} if verdict.row else None
    return {"outcome": verdict.outcome.value, "rule": verdict.rule.value, "row": row, "explanation": verdict.explain()}


SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
"""Headers whose value an event never holds (a decisions file is written to disk)."""


def _integration(integrated: Integrated | None, latency_ms: float | None, status: int) -> dict[str, Any] | None:
    """Which integration ran, where it went, how long it took, and the headers sent (secrets redacted)."""
    if integrated is None:
        return None
    sent = None
    if integrated.headers is not None:
        sent = {
            name: f"(redacted, {len(value)} characters)" if name.lower() in SECRET_HEADERS else value
            for name, value in integrated.headers.items()
        }
    return {"type": integrated.type, "target": integrated.target, "latencyMs": latency_ms, "status": status,
            "requestHeaders": sent}  # fmt: skip


def _refusal(response_type: str | None, refusal: Refusal | None) -> dict[str, str | None] | None:
    """The gateway response that ended the request, the stage that gave it, why, and a hint (or null)."""
    if response_type is None or refusal is None:
        return None
    return {"stage": refusal.stage, "responseType": response_type, "reason": refusal.reason, "hint": refusal.hint}
