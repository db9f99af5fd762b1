"""Validate a Lambda authorizer's answer (spec 7.3) into an ``AuthorizerAnswer``.

Required: ``principalId`` (a string) and ``policyDocument`` (an object our engine compiles:
Deny, wildcards, ``NotResource``, ``NotAction`` and conditions are honoured). Optional:
``context`` (an object whose values are strings, numbers or booleans; null, objects and arrays are
invalid) and ``usageIdentifierKey`` (a string). A ``Resource`` longer than 512 characters is
invalid. Anything else wrong raises ``AuthorizerError`` naming the problem, which the authorizer
turns into 500 AuthorizerConfigurationException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewaysim.authorizers.base import ContextValue
from gatewaysim.authorizers.lambda_cache import AuthorizerAnswer
from gatewaysim.errors import AuthorizerError, PolicyError
from gatewaysim.policy import CompiledPolicy, compile_policy

__all__ = ["MAX_RESOURCE_LENGTH", "api_arn_of", "parse_answer"]

MAX_RESOURCE_LENGTH = 512


def api_arn_of(method_arn: str) -> str | None:
    """``arn:aws:execute-api:REGION:ACCOUNT:API`` of a method ARN (for the ``execute-api:/`` shorthand)."""
    parts = method_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "execute-api":
        return None
    return ":".join(parts[:5]) + ":" + parts[5].split("/", 1)[0]


def parse_answer(answer: Any, *, name: str, method_arn: str) -> AuthorizerAnswer:
    """Check the answer's shape and compile its policy; raises ``AuthorizerError``."""
    if not isinstance(answer, Mapping):
        raise AuthorizerError(f"authorizer `{name}` answer is not an object: `{type(answer).__name__}`")
    principal_id = answer.get("principalId")
    if not isinstance(principal_id, str):
        raise AuthorizerError(f"authorizer `{name}` answer: `principalId` missing or not a string")
    return AuthorizerAnswer(
        principal_id=principal_id,
        policy=_policy(answer.get("policyDocument"), name, method_arn),
        context=_context(answer.get("context"), name),
        usage_identifier_key=_usage_key(answer.get("usageIdentifierKey"), name),
    )


def _policy(document: Any, name: str, method_arn: str) -> CompiledPolicy:
    if not isinstance(document, Mapping):
        raise AuthorizerError(f"authorizer `{name}` answer: `policyDocument` missing or not an object")
    try:
        compiled = compile_policy(document, api_arn=api_arn_of(method_arn), source_name=f"authorizer {name}")
    except PolicyError as exc:
        raise AuthorizerError(f"authorizer `{name}` answer: invalid policyDocument: {exc}") from exc
    for statement in compiled.policy.statements:
        for resource in (*(statement.resource or ()), *(statement.not_resource or ())):
            if len(resource) > MAX_RESOURCE_LENGTH:
                raise AuthorizerError(
                    f"authorizer `{name}` answer: Statement[{statement.index}] resource longer than"
                    f" {MAX_RESOURCE_LENGTH} characters"
                )
    return compiled


def _context(raw: Any, name: str) -> dict[str, ContextValue]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise AuthorizerError(f"authorizer `{name}` answer: `context` is not an object")
    bad = [key for key, value in raw.items() if not isinstance(value, str | int | float | bool)]
    if bad:
        raise AuthorizerError(
            f"authorizer `{name}` answer: context value `{bad[0]}` is not a string, number or boolean"
        )
    return dict(raw)


def _usage_key(raw: Any, name: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise AuthorizerError(f"authorizer `{name}` answer: `usageIdentifierKey` is not a string")
