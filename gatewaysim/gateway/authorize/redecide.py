"""Decide a recorded authorization again, with another resource policy (shadow policies, replay).

What the authorization stage saw is kept as ``Recorded``: the request the resource policy was
evaluated with (principal, action, method ARN, every condition key), the route's auth type, the
authorizer's result, the API's account and the flow switches. ``redecide`` runs it through the
same engine and the same workflow as the live request path (``tables``):

* a Lambda (``CUSTOM``) method first gets the pre-authorizer check: an explicit Deny of the new
  policy ends the request before the authorizer (spec 2.b);
* the authorizer is never called again: its recorded result (column, caller, rejection) is reused;
* a Lambda method whose authorizer never ran (the recorded policy denied before it) and that the
  new policy no longer denies cannot be decided without the authorizer: ``verdict`` is None;
* otherwise ``tables.decide`` combines them (Tables A/B, Cognito's switch, policy only for NONE).
"""

from __future__ import annotations

from typing import NamedTuple

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult, AuthType
from gatewaysim.config.flow import DEFAULT_SETTINGS, FlowSettings
from gatewaysim.gateway.authorize.tables import PRE_AUTH_CHECK, Verdict, decide, pre_authorizer_check
from gatewaysim.policy import CompiledPolicy, Decision, Request

__all__ = ["Recorded", "Redecided", "redecide"]


class Recorded(NamedTuple):
    """One request's authorization inputs, as the live request path had them.

    ``authz`` is the authorizer's result; None when no authorizer ran (auth type NONE, or a Lambda
    method whose recorded policy denied before its authorizer).
    """

    auth_type: AuthType
    request: Request
    authz: AuthorizerResult | None
    api_account: str
    flow: FlowSettings = DEFAULT_SETTINGS


class Redecided(NamedTuple):
    """The new policy's decision (None: not evaluated) and the new verdict (None: the authorizer must run)."""

    decision: Decision | None
    verdict: Verdict | None


def redecide(policy: CompiledPolicy, recorded: Recorded) -> Redecided:
    """``recorded`` decided again with ``policy``, the way ``Gateway.authorization`` decides."""
    auth_type, request, authz = recorded.auth_type, recorded.request, recorded.authz
    decision: Decision | None = None
    if auth_type in PRE_AUTH_CHECK:
        decision = policy.evaluate(request)
        pre = pre_authorizer_check(decision.outcome, method_arn=request.resource, caller=request.principal)
        if pre is not None:
            return Redecided(decision, pre)
        if authz is None:  # the authorizer never ran for this request: its answer is unknown
            return Redecided(decision, None)
    if authz is None:  # auth NONE: the caller is the one the policy saw (the principal header's)
        authz = AuthorizerResult(AuthorizerColumn.NEITHER, principal=request.principal)
    if auth_type not in PRE_AUTH_CHECK and authz.rejection is None:
        decision = policy.evaluate(request)
    outcome = decision.outcome if decision is not None else None
    verdict = decide(
        auth_type,
        authz,
        outcome,
        method_arn=request.resource,
        api_account_id=recorded.api_account,
        settings=recorded.flow,
    )
    return Redecided(decision, verdict)
