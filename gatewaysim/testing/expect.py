"""What a harness client saw, and assertions on it that explain the gateway's decision.

``GatewayReply`` is one answer (status, headers, body) with the gateway's access-log record and,
for gateways the harness started, the gateway's own ``Decision`` (with its per-statement trace)
and ``Verdict`` for that request id. ``assert_allowed`` / ``assert_denied`` fail with
``explain_reply``: the request, the verdict and ``explain_table`` of the resource policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDict

from gatewaysim.config.load import IdentitySettings
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.policy import Decision
from gatewaysim.policy.explain import explain_table
from gatewaysim.safeload import load_json

__all__ = [
    "GatewayReply",
    "Observed",
    "assert_allowed",
    "assert_denied",
    "build_reply",
    "explain_reply",
    "identity_headers",
]


@dataclass(frozen=True, slots=True)
class Observed:
    """What the gateway decided for one request: the policy's Decision (with trace) and the Verdict."""

    decision: Decision | None
    verdict: Verdict | None
    policy_source: str | None


@dataclass(frozen=True, slots=True)
class GatewayReply:
    """One answer as the client saw it, with the gateway's access-log record and decision."""

    method: str
    target: str
    status: int
    headers: CIMultiDict[str]
    body: bytes
    record: Mapping[str, Any] | None  # None: the gateway logged nothing (health, or not ours)
    observed: Observed | None = None

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return load_json(self.body)

    @property
    def request_id(self) -> str | None:
        """``x-amzn-RequestId``."""
        return self.headers.get("x-amzn-RequestId")

    @property
    def outcome(self) -> str | None:
        """The final outcome (``Allow``, ``ExplicitDeny``, ``ImplicitDeny``); None if never judged."""
        if self.observed is not None and self.observed.verdict is not None:
            return self.observed.verdict.outcome.value
        verdict = (self.record or {}).get("verdict")
        return verdict.rpartition("-> ")[2] if isinstance(verdict, str) and "-> " in verdict else None

    @property
    def allowed(self) -> bool:
        """True when the gateway let the request through to the backend."""
        return self.outcome == "Allow"

    def explain(self) -> str:
        """Why the gateway answered so (see ``explain_reply``)."""
        return explain_reply(self)


def explain_reply(reply: GatewayReply) -> str:
    """The request, the gateway's answer, the verdict and the resource policy's per-statement trace."""
    record = reply.record or {}
    error = record.get("errorType")
    lines = [f"{reply.method} {reply.target} -> {reply.status}{f' {error}' if error else ''}"]
    if reply.record is None:
        return "\n".join([*lines, "  (the gateway logged no record for this request)"])
    lines.append(f"  request id: {record.get('requestId')}; api: {record.get('apiId')}")
    lines.append(f"  caller: {record.get('caller')}; source ip: {record.get('ip')}")
    lines.append(f"  resource: {record.get('resourceArn')}")
    if record.get("resourceArn") is None:
        lines.append(f"  refused before any policy: {record.get('errorMessage')}")
        return "\n".join(lines)
    lines.append(f"  verdict: {record.get('verdict')}")
    authorizer = record.get("authorizer")
    if isinstance(authorizer, Mapping) and (authorizer.get("principalId") or authorizer.get("column") != "neither"):
        lines.append(f"  authorizer: {json.dumps(authorizer)}")
    observed = reply.observed
    if observed is None or observed.decision is None:
        lines.append(f"  resource policy: {'none' if record.get('decision') == 'NoPolicy' else 'not evaluated'}")
        return "\n".join(lines)
    lines.append(f"  resource policy ({observed.policy_source or 'inline'}):")
    lines.extend(f"    {line}" for line in explain_table(observed.decision).splitlines())
    return "\n".join(lines)


def assert_allowed(reply: GatewayReply) -> None:
    """Fail, showing the gateway's decision, unless the gateway let ``reply``'s request through."""
    __tracebackhide__ = True
    if not reply.allowed:
        raise AssertionError(f"expected the gateway to allow the request\n{explain_reply(reply)}")


def assert_denied(reply: GatewayReply, outcome: str | None = None, *, status: int | None = None) -> None:
    """Fail, showing the gateway's decision, unless it refused the request (with ``outcome``/``status``)."""
    __tracebackhide__ = True
    if reply.record is None and reply.observed is None:
        raise AssertionError(f"expected a refusal the gateway logged\n{explain_reply(reply)}")
    problems = []
    if reply.allowed:
        problems.append("expected the gateway to deny the request")
    elif outcome is not None and reply.outcome != outcome:
        problems.append(f"expected outcome {outcome}, got {reply.outcome or 'none (never judged)'}")
    if status is not None and reply.status != status:
        problems.append(f"expected status {status}, got {reply.status}")
    if problems:
        raise AssertionError("; ".join(problems) + "\n" + explain_reply(reply))


def identity_headers(
    identity: IdentitySettings, *, principal: str | None = None, vpce: str | None = None, vpc: str | None = None
) -> dict[str, str]:
    """The identity headers this gateway reads for a principal, a VPC endpoint and a VPC."""
    out: dict[str, str] = {}
    if principal is not None:
        out[identity.principal_header] = principal
    for key, value in (("aws:sourcevpce", vpce), ("aws:sourcevpc", vpc)):
        if value is None:
            continue
        header = next((h for h, k in identity.headers if k.lower() == key), None)
        if header is None:
            raise ValueError(f"the gateway maps no header to `{key}` (identity.headers)")
        out[header] = value
    return out


def build_reply(
    method: str,
    target: str,
    status: int,
    headers: CIMultiDict[str],
    body: bytes,
    records: Sequence[Mapping[str, Any]],
    observed: Mapping[str, Observed],
) -> GatewayReply | None:
    """The reply with its record and decision; None while the record is not written yet."""
    request_id = headers.get("x-amzn-RequestId")
    record = next((r for r in reversed(records) if r.get("requestId") == request_id), None)
    if request_id is not None and record is None and not _is_health(target):
        return None
    seen = observed.get(request_id) if request_id is not None else None
    return GatewayReply(method, target, status, headers, body, record, seen)


def _is_health(target: str) -> bool:
    return target.partition("?")[0].startswith("/_gatewaysim/")
