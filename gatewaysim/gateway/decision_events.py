"""The decision event: one request's decision values rendered as the versioned JSON the decision
log keeps (``observe.decisions``), the admin API serves and ``log.decisions_file`` holds.

The event (``version`` 1)::

    {"version": 1, "eventTime": "2026-11-29T12:00:00.123Z", "requestId": "...", "apiId": "abcdef1234",
     "stage": "prod", "httpMethod": "GET", "path": "/prod/pets", "resourceArn": "arn:aws:execute-api:...",
     "caller": "anonymous", "sourceIp": "203.0.113.10", "requestContext": {"aws:sourceip": [...], ...},
     "outcome": "ImplicitDeny", "policy": {Decision.to_dict(): deciding statements, per-statement trace},
     "authorizer": null, "verdict": "B: neither/ImplicitDeny -> ImplicitDeny", "allowed": false, "status": 403}

``outcome`` is the resource policy's answer (``NoPolicy`` when the API has none); ``allowed`` and
``verdict`` are the final answer after the authorizer (``Verdict``). Only the entry's values are
kept per request; the event is built when it is read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from gatewaysim.authorizers.base import AuthorizerResult
from gatewaysim.context import RequestContext
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.gateway.exchange import NO_AUTHORIZER, Exchange
from gatewaysim.observe.decisions import NO_POLICY, DecisionEntry
from gatewaysim.policy import Decision

__all__ = ["EVENT_VERSION", "DecisionValues", "decision_entry", "render_event"]

EVENT_VERSION: Final = 1


class DecisionValues(NamedTuple):
    """What the stages returned for one decided request (kept in the ring, rendered on read)."""

    ctx: RequestContext
    decision: Decision | None
    authz: AuthorizerResult | None
    verdict: Verdict | None
    status: int


def decision_entry(x: Exchange, status: int) -> DecisionEntry | None:
    """The decision log entry of one exchange; None when it never reached the policy stage."""
    ctx = x.ctx
    if ctx is None:
        return None
    outcome = x.decision.outcome.value if x.decision is not None else NO_POLICY
    allowed = x.verdict.allowed if x.verdict is not None else None
    return DecisionEntry(
        x.ids.request_id, x.api_id, outcome, allowed, DecisionValues(ctx, x.decision, x.authz, x.verdict, status)
    )


def _event_time(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def render_event(entry: DecisionEntry) -> dict[str, Any]:
    """The versioned JSON event of one entry (the decision's trace is built here, on read)."""
    request_id, api_id = entry.request_id, entry.api_id
    ctx, decision, authz, verdict, status = entry.values
    return {
        "version": EVENT_VERSION,
        "eventTime": _event_time(ctx.request_time),
        "requestId": request_id,
        "apiId": api_id,
        "stage": ctx.stage,
        "httpMethod": ctx.http_method,
        "path": ctx.full_path,
        "resourceArn": ctx.method_arn,
        "caller": ctx.principal,
        "sourceIp": ctx.source_ip,
        "requestContext": _context(ctx.policy_request.context),
        "outcome": decision.outcome.value if decision is not None else NO_POLICY,
        "policy": decision.to_dict() if decision is not None else None,
        "authorizer": _authorizer(authz),
        "verdict": verdict.explain() if verdict is not None else None,
        "allowed": verdict.allowed if verdict is not None else None,
        "status": status,
    }


def _context(context: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {key: list(values) for key, values in context.items()}


def _authorizer(authz: AuthorizerResult | None) -> dict[str, Any] | None:
    if authz is None or authz is NO_AUTHORIZER:
        return None
    return {
        "column": authz.column.value,
        "principal": authz.principal,
        "principalId": authz.principal_id,
        "cached": authz.cached,
        "policy": authz.decision.to_dict() if authz.decision is not None else None,
    }
