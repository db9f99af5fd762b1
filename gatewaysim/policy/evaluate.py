"""evaluate(policy, request) -> Decision: explicit deny wins, then allow, else implicit deny."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewaysim.policy.compile import CompiledPolicy, compile_policy, evaluate_compiled
from gatewaysim.policy.decision import Decision, Request
from gatewaysim.policy.document import Policy

__all__ = ["evaluate", "evaluate_compiled"]


def evaluate(
    policy: str | bytes | Mapping[str, Any] | Policy | CompiledPolicy,
    request: Request | Mapping[str, Any],
) -> Decision:
    """Evaluate ``request`` against the resource policy ``policy`` (a document, a parsed or a compiled policy).

    The ``execute-api:/...`` shorthand in an uncompiled document is expanded against the API of
    the request's resource ARN when it is an execute-api ARN. A resource policy names who it
    applies to: a document with a statement without ``Principal``/``NotPrincipal`` is refused
    (``PolicyError``), as API Gateway refuses it, never applied to everybody. A ``Policy`` or
    ``CompiledPolicy`` built by hand without ``require_principal`` (an identity policy, such as a
    Lambda authorizer's answer) is evaluated as given: there a statement applies to the caller.
    """
    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = compile_policy(policy, api_arn=_api_arn_of(request.resource), require_principal=True)
    return evaluate_compiled(compiled, request)


def _api_arn_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[2] == "execute-api":
        return ":".join(parts[:5]) + ":" + parts[5].split("/", 1)[0]
    return None
