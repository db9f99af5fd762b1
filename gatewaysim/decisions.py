"""The decision log: every authorization decision, allow and deny, with why (CloudTrail for the emulator).

Each request that reached the resource-policy stage leaves one entry in a bounded ring (the last
``log.decisions_ring`` requests, 1000 by default), queryable at ``GET /_gatewaysim/decisions``,
and, with ``log.decisions_file``, one JSON line in that file. An entry holds the values the stages
returned (``Exchange``); it is rendered into an event only when read, so the request path pays
for one tuple. The event (``version`` 1)::

    {"version": 1, "eventTime": "2026-11-29T12:00:00.123Z", "requestId": "...", "apiId": "abcdef1234",
     "stage": "prod", "httpMethod": "GET", "path": "/prod/pets", "resourceArn": "arn:aws:execute-api:...",
     "caller": "anonymous", "sourceIp": "203.0.113.10", "requestContext": {"aws:sourceip": [...], ...},
     "outcome": "ImplicitDeny", "policy": {Decision.to_dict(): deciding statements, per-statement trace},
     "authorizer": null, "verdict": "B: neither/ImplicitDeny -> ImplicitDeny", "allowed": false, "status": 403}

``outcome`` is the resource policy's answer (``NoPolicy`` when the API has none); ``allowed`` and
``verdict`` are the final answer after the authorizer (``flow.Verdict``).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Final

from gatewaysim.authorizers.base import AuthorizerResult
from gatewaysim.exchange import NO_AUTHORIZER, Exchange
from gatewaysim.flow import Verdict
from gatewaysim.identity import RequestContext
from gatewaysim.line_writer import LineWriter
from gatewaysim.live_settings import DEFAULT_DECISIONS_RING
from gatewaysim.policy import Decision

__all__ = ["EVENT_VERSION", "OUTCOMES", "DecisionLog", "DecisionQuery", "render_event"]

EVENT_VERSION: Final = 1
NO_POLICY: Final = "NoPolicy"
OUTCOMES: Final = ("Allow", "ExplicitDeny", "ImplicitDeny", NO_POLICY, "Deny")
"""Values of the ``outcome`` filter; ``Deny`` matches either deny."""

# Built once, as logs.py does: json.dumps(separators=...) builds a new encoder on every call.
_EVENT_JSON: Final = json.JSONEncoder(separators=(",", ":"), default=str)

# (request id, api id, context, policy decision, authorizer result, verdict, status)
_Entry = tuple[str, str | None, RequestContext, Decision | None, AuthorizerResult | None, Verdict | None, int]


@dataclass(frozen=True, slots=True)
class DecisionQuery:
    """A filter over the ring: newest first, at most ``limit`` events."""

    limit: int = 100
    api: str | None = None
    outcome: str | None = None  # one of OUTCOMES
    request_id: str | None = None
    allowed: bool | None = None

    def matches(self, entry: _Entry) -> bool:
        """True when ``entry`` passes every given filter."""
        request_id, api_id, _, decision, _, verdict, _ = entry
        if self.request_id is not None and request_id != self.request_id:
            return False
        if self.api is not None and api_id != self.api:
            return False
        if self.allowed is not None and (verdict is not None and verdict.allowed) is not self.allowed:
            return False
        if self.outcome is None:
            return True
        got = decision.outcome.value if decision is not None else NO_POLICY
        return got == self.outcome or (self.outcome == "Deny" and got.endswith("Deny"))


class DecisionLog:
    """The ring of recent decisions and, optionally, a JSON-lines file of every decision."""

    def __init__(self, size: int = DEFAULT_DECISIONS_RING, stream: IO[str] | None = None) -> None:
        self.size = size
        self._ring: deque[_Entry] = deque(maxlen=size)
        self._out = LineWriter(stream, owns_stream=True) if stream is not None else None

    @classmethod
    def open(cls, size: int, file: str | None) -> DecisionLog:
        """A log keeping ``size`` decisions, appending to ``file`` when given."""
        if file is None:
            return cls(size)
        return cls(size, open(file, "a", encoding="utf-8"))

    def record(self, x: Exchange, status: int) -> None:
        """Keep the decision of one exchange (nothing when it never reached the policy stage)."""
        ctx = x.ctx
        if ctx is None:
            return
        entry: _Entry = (x.ids.request_id, x.api_id, ctx, x.decision, x.authz, x.verdict, status)
        self._ring.append(entry)
        if self._out is not None:
            self._out.write_line(_EVENT_JSON.encode(render_event(entry)))

    def query(self, query: DecisionQuery) -> list[dict[str, Any]]:
        """The matching events, newest first."""
        return [render_event(entry) for entry in _take(query, reversed(self._ring))]

    def __len__(self) -> int:
        return len(self._ring)

    def close(self) -> None:
        """Write what is queued and close the file (idempotent)."""
        if self._out is not None:
            self._out.close()


def _take(query: DecisionQuery, entries: Iterator[_Entry]) -> Iterator[_Entry]:
    count = 0
    for entry in entries:
        if count >= query.limit:
            return
        if query.matches(entry):
            count += 1
            yield entry


def _event_time(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def render_event(entry: _Entry) -> dict[str, Any]:
    """The versioned JSON event of one entry (the decision's trace is built here, on read)."""
    request_id, api_id, ctx, decision, authz, verdict, status = entry
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
