"""Lambda authorizer input: identity sources and the TOKEN / REQUEST event payloads (spec 7.1, 7.2).

Choices: ``headers`` and ``queryStringParameters`` carry the *last* value of a repeated name
(``multiValue*`` carry all); empty maps are ``{}`` (never null); ``requestContext.resourceId`` is a
stable 10-character id derived from the resource template when the server gives none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from multidict import MultiMapping

from gatewaysim.authorizers.base import AuthorizerRequest

__all__ = [
    "IdentitySource",
    "parse_identity_sources",
    "request_context",
    "request_event",
    "token_event",
]

_PREFIXES: Mapping[str, str] = {
    "method.request.header.": "header",
    "method.request.querystring.": "querystring",
    "stageVariables.": "stageVariables",
    "context.": "context",
}


@dataclass(frozen=True, slots=True)
class IdentitySource:
    """One identity-source mapping expression, e.g. ``method.request.header.Authorization``."""

    kind: str  # "header" | "querystring" | "stageVariables" | "context"
    name: str
    expression: str

    def value(self, request: AuthorizerRequest) -> str | None:
        """The request's value for this source, None when absent."""
        if self.kind == "header":
            return _last(request.headers, self.name)
        if self.kind == "querystring":
            return _last(request.query, self.name)
        if self.kind == "stageVariables":
            return request.stage_variables.get(self.name)
        return _context_value(request_context(request), self.name)


def parse_identity_sources(text: str | list[str]) -> tuple[IdentitySource, ...]:
    """Parse a comma list (or a list) of expressions; raises ``ValueError`` naming a bad one."""
    items = text if isinstance(text, list) else str(text).split(",")
    sources = []
    for raw in items:
        expression = str(raw).strip().removeprefix("$")
        for prefix, kind in _PREFIXES.items():
            if expression.startswith(prefix) and len(expression) > len(prefix):
                sources.append(IdentitySource(kind, expression[len(prefix) :], expression))
                break
        else:
            raise ValueError(f"unknown identity source `{raw}`")
    if not sources:
        raise ValueError("`identitySource` names no source")
    return tuple(sources)


def _last(values: MultiMapping[str], name: str) -> str | None:
    found = values.getall(name, [])
    return found[-1] if found else None


def _context_value(context: Mapping[str, Any], dotted: str) -> str | None:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return None if value is None or isinstance(value, Mapping) else str(value)


def _resource_id(request: AuthorizerRequest) -> str:
    if request.resource_id:
        return request.resource_id
    return hashlib.sha256(request.resource_path.encode()).hexdigest()[:10]


def request_context(request: AuthorizerRequest) -> dict[str, Any]:
    """``requestContext`` of a REQUEST event (also the source of ``context.X`` identity sources)."""
    return {
        "path": request.raw_path or f"/{request.stage}{request.path}",
        "accountId": request.account_id,
        "resourceId": _resource_id(request),
        "stage": request.stage,
        "requestId": request.request_id,
        "identity": {
            "apiKey": request.api_key,
            **({"apiKeyId": request.api_key_id} if request.api_key_id is not None else {}),
            "sourceIp": request.source_ip,
            "userAgent": request.user_agent,
        },
        "resourcePath": request.resource_path,
        "httpMethod": request.method,
        "apiId": request.api_id,
    }


def token_event(request: AuthorizerRequest, token: str) -> dict[str, Any]:
    """The TOKEN event: ``type``, ``authorizationToken`` and ``methodArn``."""
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": request.method_arn}


def _single(values: MultiMapping[str]) -> dict[str, str]:
    return {key: values.getall(key)[-1] for key in values}


def _multi(values: MultiMapping[str]) -> dict[str, list[str]]:
    return {key: list(values.getall(key)) for key in values}


def request_event(request: AuthorizerRequest) -> dict[str, Any]:
    """The REQUEST event: the request's headers, query, path and stage data, and ``requestContext``."""
    return {
        "type": "REQUEST",
        "methodArn": request.method_arn,
        "resource": request.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": _single(request.headers),
        "multiValueHeaders": _multi(request.headers),
        "queryStringParameters": _single(request.query),
        "multiValueQueryStringParameters": _multi(request.query),
        "pathParameters": dict(request.path_parameters),
        "stageVariables": dict(request.stage_variables),
        "requestContext": request_context(request),
    }
