"""Why a request was refused: the stage that refused it, one line of reason, and a hint for common slips.

``explain_refusal`` reads what the stages returned (``Exchange``) once a request has been refused,
for the access log (``refusedBy``, ``reason``, ``hint``) and the decision event (``refusal``).

Stages, in the words a user looks for:

=============  ===================================================================
``route``      no API, stage or method for the request line (403 Missing Authentication Token, 414)
``policy``     the resource policy (an explicit Deny, or no Allow where one is needed)
``authorizer`` a Lambda authorizer (TOKEN/REQUEST) or a plug-in: 401, 403 or 500
``cognito``    the Cognito user pool authorizer (a JWT it does not accept)
``iam``        AWS_IAM: the SigV4 signature, or the caller's identity policy
``apiKey`` ``throttle`` ``quota`` ``validation``  the door checks (they name themselves)
``integration``  the backend: unreachable, too slow, or a broken answer (502/504)
``body``       the request body is over the payload limit (413)
``gateway``    gatewaysim itself failed (500; a bug)
=============  ===================================================================

The authorization stage's refusals are told apart by the verdict: a rejection is the
authorizer's; in Tables A/B the column that did not allow decides (an explicit Deny first, the
resource policy when both are silent on NONE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, NamedTuple, Protocol

from aiohttp import web

from gatewaysim.authorizers.base import AuthorizerResult, AuthType
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.gateway.authorize.tables import Rule, Verdict
from gatewaysim.gateway.identity import request_peer
from gatewaysim.policy import Decision
from gatewaysim.policy.explain import explain_line

__all__ = [
    "AUTHORIZER_STAGES",
    "RESPONSE_STAGES",
    "Refusal",
    "Refused",
    "authorization_stage",
    "explain_refusal",
    "policy_reason",
]

AUTHORIZER_STAGES: Final[Mapping[AuthType, str]] = {
    AuthType.CUSTOM: "authorizer",
    AuthType.COGNITO_USER_POOLS: "cognito",
    AuthType.AWS_IAM: "iam",
    AuthType.NONE: "policy",
}
"""The stage name of a method's authorizer, by authorization type."""
RESPONSE_STAGES: Final[Mapping[str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": "route",
    "REQUEST_URI_TOO_LONG": "route",
    "INTEGRATION_FAILURE": "integration",
    "INTEGRATION_TIMEOUT": "integration",
    "REQUEST_TOO_LARGE": "body",
    "API_CONFIGURATION_ERROR": "gateway",
    "INVALID_API_KEY": "apiKey",
    "THROTTLED": "throttle",
    "QUOTA_EXCEEDED": "quota",
    "BAD_REQUEST_BODY": "validation",
    "BAD_REQUEST_PARAMETERS": "validation",
}
"""Gateway response type -> the stage that gave it, when no verdict and no door check says otherwise."""


class Refusal(NamedTuple):
    """The stage that refused a request, one line of why, and a hint when the cause is a common slip."""

    stage: str
    reason: str
    hint: str | None = None


class Refused(Protocol):
    """What ``explain_refusal`` reads of a refused request (``Exchange`` has it all)."""

    @property
    def request(self) -> web.BaseRequest: ...
    @property
    def ctx(self) -> RequestContext | None: ...
    @property
    def method(self) -> RouteMatch | None: ...
    @property
    def decision(self) -> Decision | None: ...
    @property
    def authz(self) -> AuthorizerResult | None: ...
    @property
    def verdict(self) -> Verdict | None: ...
    @property
    def error(self) -> tuple[str, str] | None: ...
    @property
    def refused(self) -> str | None: ...
    @property
    def refused_by(self) -> str | None: ...


def explain_refusal(x: Refused) -> Refusal | None:
    """The refusal of a request the gateway answered itself; None when it was not refused."""
    if x.refused is None:
        return None
    stage = _stage(x)
    reason = _reason(stage, x)
    return Refusal(stage, reason, _hint(stage, reason, x))


def _auth_type(x: Refused) -> AuthType:
    return x.method.route.authorization_type if x.method is not None else AuthType.NONE


def _stage(x: Refused) -> str:
    if x.refused_by is not None:  # a door check names itself
        return x.refused_by
    verdict = x.verdict
    refused_here = verdict is not None and verdict.response is not None and verdict.response.response_type == x.refused
    if verdict is not None and not verdict.allowed and refused_here:  # the authorization stage's own answer
        return authorization_stage(verdict, _auth_type(x))
    return RESPONSE_STAGES.get(x.refused or "", "integration" if verdict is not None else "authorization")


def authorization_stage(verdict: Verdict, auth_type: AuthType) -> str:
    """Which side of the authorization stage refused: the resource policy or the method's authorizer."""
    authorizer = AUTHORIZER_STAGES[auth_type]
    if verdict.rule is Rule.REJECTED:
        return authorizer
    if verdict.rule in (Rule.PRE_AUTH, Rule.POLICY_ONLY, Rule.NO_POLICY) or verdict.row is None:
        return "policy"
    authorizer_column, policy_column = verdict.row
    if policy_column == "Deny" or authorizer_column == "Allow":
        return "policy"  # the policy's explicit Deny wins; an authorizer that allowed did not refuse
    return authorizer


def _reason(stage: str, x: Refused) -> str:
    """One line: the policy's closest miss, the authorizer's own words, or the stage's log reason."""
    logged = x.error[1] if x.error is not None else x.refused or "refused"
    if stage == "policy" and x.decision is not None:
        return policy_reason(x.decision)
    authz = x.authz
    if stage in AUTHORIZER_STAGES.values() and authz is not None and authz.rejection is None:
        column = authz.column.value
        said = f": {explain_line(authz.decision)}" if authz.decision is not None else ""
        return f"the {stage} answered {column}{said}"
    return logged


def policy_reason(decision: Decision) -> str:
    """The policy's answer and, for an implicit deny, each Allow statement a condition stopped."""
    if decision.deciding:
        return decision.explain()
    stopped = [t for t in decision.trace if t.failed == "Condition" and t.statement.effect == "Allow"]
    if not stopped:
        return explain_line(decision)
    return f"{decision.explain()} ({'; '.join(f'{t.statement.label()}: {t.reason}' for t in stopped)})"


def _hint(stage: str, reason: str, x: Refused) -> str | None:
    """A hint for a common slip, when the request shows one."""
    headers = x.request.headers
    if stage == "cognito" and "not a JWT" in reason and _has_bearer(headers.values()):
        return (
            "the token starts with `Bearer `: send the bare JWT, or set `accept_bearer_prefix: true` on the user pool"
        )
    forwarded = headers.get("X-Forwarded-For")
    ctx = x.ctx
    if stage == "policy" and forwarded and ctx is not None and ctx.source_ip == request_peer(x.request):
        return (
            f"X-Forwarded-For `{forwarded[:100]}` was not believed: the peer `{ctx.source_ip}` is not a trusted"
            " proxy (identity.trusted_proxies, --trusted-proxy)"
        )
    return None


def _has_bearer(values: Iterable[str]) -> bool:
    """A header value that is ``Bearer `` and a JWT (three dot-separated parts)."""
    return any(v[:7].lower() == "bearer " and v.count(".") == 2 for v in values)
