"""A method's integration (spec 18): what runs once a request is authorized, as AWS models it.

One ``Integration`` value per method, read from a route's ``integration`` key (AWS's own spelling,
as in ``x-amazon-apigateway-integration``; the template readers map SAM events and CloudFormation
``Integration`` properties onto the same keys)::

    routes:
      - resource: /{proxy+}
        method: ANY
        integration:
          type: HTTP_PROXY                     # HTTP_PROXY | AWS_PROXY | MOCK (any case)
          uri: "http://${stageVariables.host}/{proxy}"
          httpMethod: ANY                      # ANY: the request's own verb
          requestParameters: {integration.request.path.proxy: method.request.path.proxy}
          timeoutInMillis: 5000                # 50..29000 (default 29000)
      - {resource: /hello, method: GET, integration: {type: AWS_PROXY, function: hello}}
      - resource: /hello
        method: OPTIONS
        integration:
          type: MOCK
          requestTemplates: {application/json: '{"statusCode": 200}'}
          integrationResponses:                # or `responses:` in the OpenAPI form (pattern -> response)
            - statusCode: 200
              responseParameters: {method.response.header.Access-Control-Allow-Origin: "'*'"}

``AWS_PROXY`` names its function with ``function`` or AWS's ``uri``
(``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function arn}/invocations``); the
function is one of the config's ``functions``. Keys AWS knows but gatewaysim does not emulate
(``contentHandling``, ``cacheKeyParameters``, ``credentials`` ...) are warnings; unknown keys are
errors. Request parameters and templates that AWS ignores for a type are warnings too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.config.integration_values import (
    IntegrationResponse,
    check_request_parameters,
    check_responses,
    check_templates,
    function_from_uri,
    http_uri_problem,
)

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "MAX_TIMEOUT_MS",
    "MIN_TIMEOUT_MS",
    "NOT_EMULATED",
    "Integration",
    "IntegrationResponse",
    "IntegrationType",
    "parse_integration",
]

MIN_TIMEOUT_MS: Final = 50
MAX_TIMEOUT_MS: Final = 29_000
DEFAULT_TIMEOUT_MS: Final = 29_000
_VERBS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"})
_PASSTHROUGH: Final = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
NOT_EMULATED: Final[Mapping[str, str]] = {
    "contentHandling": "payload conversion (`contentHandling`) is not emulated; bodies pass as they are",
    "cacheKeyParameters": "integration caching is not emulated",
    "cacheNamespace": "integration caching is not emulated",
    "connectionId": "VPC links are not emulated; the uri is called directly",
    "credentials": "integration credentials are not emulated; functions run with the gateway's rights",
    "tlsConfig": "`tlsConfig` is not emulated",
    "integrationTarget": "`integrationTarget` is not emulated",
    "responseTransferMode": "response streaming is not emulated; answers are buffered",
}


_VTL: Final = re.compile(
    r"#(?:set|if|elseif|else|end|foreach|break|stop|define|macro|parse|include|evaluate)\b"
    r"|\$!?\{?(?:input|util|method|integration)\b"
)
_VTL_WARNING: Final = (
    "not emulated (VTL: `#if`, `#set`, `$input`, `$util` ...); only `$context.x` and `$stageVariables.x`"
    " are filled in, the rest is used as written"
)


class IntegrationType(StrEnum):
    """The integration types gatewaysim runs (AWS's ``type``)."""

    HTTP_PROXY = "HTTP_PROXY"
    AWS_PROXY = "AWS_PROXY"
    MOCK = "MOCK"


@dataclass(frozen=True, slots=True)
class Integration:
    """One method's integration, validated (see the module docstring for the keys)."""

    type: IntegrationType
    uri: str | None = None
    http_method: str = "ANY"
    function: str | None = None  # AWS_PROXY: the function's name (may hold `${stageVariables.x}`)
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    request_templates: Mapping[str, str] = field(default_factory=dict)
    responses: tuple[IntegrationResponse, ...] = ()
    passthrough_behavior: str = "WHEN_NO_MATCH"

    @property
    def timeout_s(self) -> float:
        """The integration timeout in seconds."""
        return self.timeout_ms / 1000.0


_KEYS: Final = frozenset(
    {
        "type",
        "uri",
        "httpMethod",
        "function",
        "timeoutInMillis",
        "requestParameters",
        "requestTemplates",
        "integrationResponses",
        "responses",
        "passthroughBehavior",
        "connectionType",
        *NOT_EMULATED,
    }
)


def parse_integration(checker: Checker, path: str, raw: Any) -> Integration | Any:
    """The ``Integration`` at ``path``, or ``INVALID`` (every problem recorded on ``checker``)."""
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping with at least `type`")
        return INVALID
    before = len(checker.problems)
    _keys(checker, path, raw)
    kind = _type(checker, path, raw.get("type"))
    timeout = _timeout(checker, path, raw.get("timeoutInMillis", DEFAULT_TIMEOUT_MS))
    parameters = check_request_parameters(checker, f"{path}.requestParameters", raw.get("requestParameters"))
    templates = check_templates(checker, f"{path}.requestTemplates", raw.get("requestTemplates"))
    responses = check_responses(checker, path, raw)
    passthrough = str(raw.get("passthroughBehavior", "WHEN_NO_MATCH")).upper()
    if passthrough not in _PASSTHROUGH:
        checker.add(f"{path}.passthroughBehavior", f"must be one of {', '.join(_PASSTHROUGH)}, got `{passthrough}`")
    if kind is None:
        return INVALID
    per_type = _BY_TYPE[kind](checker, path, raw)
    if per_type is INVALID or len(checker.problems) > before:
        return INVALID
    values: dict[str, Any] = {
        "type": kind,
        "timeout_ms": timeout,
        "request_parameters": parameters,
        "request_templates": templates,
        "responses": responses,
        "passthrough_behavior": passthrough,
    }
    return Integration(**values, **per_type)


def _keys(checker: Checker, path: str, raw: Mapping[str, Any]) -> None:
    for key in raw:
        if key not in _KEYS:
            checker.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {', '.join(sorted(_KEYS))})")
        elif key in NOT_EMULATED:
            checker.warn(f"{path}.{key}", NOT_EMULATED[key])
    connection = raw.get("connectionType", "INTERNET")
    if str(connection).upper() != "INTERNET":
        checker.warn(f"{path}.connectionType", "VPC links are not emulated; the uri is called directly")


def _type(checker: Checker, path: str, raw: Any) -> IntegrationType | None:
    text = raw.upper() if isinstance(raw, str) else ""
    if text in IntegrationType.__members__:
        return IntegrationType(text)
    if text in ("HTTP", "AWS"):
        checker.add(f"{path}.type", f"`{raw}` integrations (mapping templates) are not emulated; use `{text}_PROXY`")
    else:
        checker.add(f"{path}.type", f"must be one of HTTP_PROXY, AWS_PROXY, MOCK, got `{raw}`")
    return None


def _timeout(checker: Checker, path: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not MIN_TIMEOUT_MS <= raw <= MAX_TIMEOUT_MS:
        message = f"must be an integer from {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} (milliseconds), got `{raw}`"
        checker.add(f"{path}.timeoutInMillis", message)
        return DEFAULT_TIMEOUT_MS
    return raw


def _verb(checker: Checker, path: str, raw: Any, default: str) -> str | None:
    verb = str(raw if raw is not None else default).upper()
    if verb not in _VERBS:
        checker.add(f"{path}.httpMethod", f"must be an HTTP method or ANY, got `{raw}`")
        return None
    return verb


def _http_proxy(checker: Checker, path: str, raw: Mapping[str, Any]) -> dict[str, Any] | Any:
    uri, verb = raw.get("uri"), _verb(checker, path, raw.get("httpMethod"), "ANY")
    if "function" in raw:
        checker.add(f"{path}.function", "only AWS_PROXY integrations name a function")
    problem = http_uri_problem(uri, raw.get("requestParameters") or {})
    if problem is not None:
        checker.add(f"{path}.uri", problem)
    if problem is not None or verb is None:
        return INVALID
    _ignored(checker, path, raw, ("requestTemplates", "integrationResponses", "responses"), "HTTP_PROXY")
    return {"uri": uri, "http_method": verb}


def _aws_proxy(checker: Checker, path: str, raw: Mapping[str, Any]) -> dict[str, Any] | Any:
    verb = _verb(checker, path, raw.get("httpMethod"), "POST")
    name, uri = raw.get("function"), raw.get("uri")
    if (name is None) == (uri is None):
        checker.add(path, "an AWS_PROXY integration names its function with `function` or `uri`, not both")
        return INVALID
    if uri is not None:
        found = function_from_uri(uri)
        if found.problem is not None:
            checker.add(f"{path}.uri", found.problem)
            return INVALID
        name = found.name
    elif not isinstance(name, str) or not name:
        checker.add(f"{path}.function", f"must be the name of a function in `functions`, got `{name}`")
        return INVALID
    if verb is not None and verb != "POST":
        checker.warn(f"{path}.httpMethod", f"AWS_PROXY calls Lambda with POST; `{verb}` answers 500, as on AWS")
    _ignored(
        checker, path, raw, ("requestParameters", "requestTemplates", "integrationResponses", "responses"), "AWS_PROXY"
    )
    return INVALID if verb is None else {"uri": uri, "function": name, "http_method": verb}


def _mock(checker: Checker, path: str, raw: Mapping[str, Any]) -> dict[str, Any] | Any:
    for key in ("uri", "function"):
        if key in raw:
            checker.add(f"{path}.{key}", "a MOCK integration calls nothing; remove it")
    if "uri" in raw or "function" in raw:
        return INVALID
    _ignored(checker, path, raw, ("requestParameters",), "MOCK")
    _vtl(checker, path, raw)
    return {}


def _vtl(checker: Checker, path: str, raw: Mapping[str, Any]) -> None:
    """A warning for each MOCK template that asks VTL for more than ``$context.x`` / ``$stageVariables.x``."""
    found: list[tuple[str, Any]] = [(f"{path}.requestTemplates", raw.get("requestTemplates"))]
    listed, mapped = raw.get("integrationResponses"), raw.get("responses")
    for at, response in [
        *((f"{path}.integrationResponses[{i}]", r) for i, r in enumerate(listed if isinstance(listed, list) else [])),
        *((f"{path}.responses.{k}", r) for k, r in (mapped.items() if isinstance(mapped, Mapping) else ())),
    ]:
        if isinstance(response, Mapping):
            found.append((f"{at}.responseTemplates", response.get("responseTemplates")))
    for at, templates in found:
        for media, text in templates.items() if isinstance(templates, Mapping) else ():
            if isinstance(text, str) and _VTL.search(text):
                checker.warn(f"{at}.{media}", _VTL_WARNING)


def _ignored(checker: Checker, path: str, raw: Mapping[str, Any], keys: tuple[str, ...], kind: str) -> None:
    for key in keys:
        if raw.get(key):
            checker.warn(f"{path}.{key}", f"ignored: {kind} integrations do not use `{key}` (as on AWS)")


_BY_TYPE: Final = {
    IntegrationType.HTTP_PROXY: _http_proxy,
    IntegrationType.AWS_PROXY: _aws_proxy,
    IntegrationType.MOCK: _mock,
}
