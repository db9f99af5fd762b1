"""Checks of an integration's values: URIs, parameter mappings, templates and MOCK responses.

Each check records located problems on the config ``Checker`` (or returns one message) and
returns the value in the form ``config.integration`` keeps. The grammars are AWS's
(spec 18.5, 20.1):

* request parameter keys ``integration.request.{header|querystring|path}.NAME``; values
  ``method.request.{header|querystring|path|multivalueheader|multivaluequerystring}.NAME``,
  ``'static text'``, ``stageVariables.NAME`` or ``context.NAME``;
* MOCK response parameter keys ``method.response.header.NAME``; values ``'static text'``,
  ``stageVariables.NAME`` or ``context.NAME``;
* URIs may hold ``${stageVariables.NAME}`` anywhere and ``{NAME}`` placeholders (filled from
  ``integration.request.path.NAME``) in the path and query only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from gatewaysim.config.fields import Checker

__all__ = [
    "CONTEXT_VALUE",
    "FoundFunction",
    "IntegrationResponse",
    "METHOD_VALUE",
    "PARAMETER_KEY",
    "RESPONSE_KEY",
    "STAGE_VARIABLE",
    "STATIC_VALUE",
    "URI_PLACEHOLDER",
    "check_request_parameters",
    "check_responses",
    "check_templates",
    "function_from_uri",
    "http_uri_problem",
]

PARAMETER_KEY: Final = re.compile(r"integration\.request\.(header|querystring|path)\.([^\s.][^\s]*)")
METHOD_VALUE: Final = re.compile(
    r"method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.([^\s]+)"
)
STATIC_VALUE: Final = re.compile(r"'(.*)'", re.DOTALL)
STAGE_VARIABLE: Final = re.compile(r"stageVariables\.([A-Za-z0-9_]+)")
CONTEXT_VALUE: Final = re.compile(r"context\.([A-Za-z][A-Za-z0-9_.]*)")
RESPONSE_KEY: Final = re.compile(r"method\.response\.header\.([^\s]+)")
URI_PLACEHOLDER: Final = re.compile(r"(?<!\$)\{([A-Za-z0-9_.-]+)\}")
_URI_VARIABLE: Final = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_STATUS: Final = re.compile(r"[1-5]\d\d")
_MAX_PATTERN: Final = 256  # a selection pattern only ever reads a three-digit status code
_LAMBDA_URI: Final = re.compile(
    r"arn:(?P<partition>[a-z-]+):apigateway:(?P<region>[^:]+):(?P<service>[^:]+):(?P<kind>path|action)/(?P<rest>.*)"
)
_INVOCATIONS: Final = re.compile(
    r"(?P<version>2015-03-31|2021-11-15)/functions/(?P<function>.+)/(?:invocations|response-streaming-invocations)"
)
_FUNCTION_ARN: Final = re.compile(r"arn:[a-z-]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::[^:]+)?")
_FUNCTION_NAME: Final = re.compile(r"(?:[A-Za-z0-9_-]|\$\{stageVariables\.[A-Za-z0-9_]+\})+")


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """A MOCK integration response: the method status it answers with and its static parts.

    ``selection_pattern`` is a regular expression matched against the whole status code the
    request template selected; None marks the default response.
    """

    status_code: str
    selection_pattern: str | None = None
    response_parameters: Mapping[str, str] = field(default_factory=dict)
    response_templates: Mapping[str, str] = field(default_factory=dict)


def _value_problem(value: Any, allowed: tuple[re.Pattern[str], ...], what: str) -> str | None:
    if not isinstance(value, str) or not any(p.fullmatch(value) for p in allowed):
        return f"`{value}` is not a mapping expression ({what})"
    return None


_REQUEST_SOURCES: Final = (METHOD_VALUE, STATIC_VALUE, STAGE_VARIABLE, CONTEXT_VALUE)
_REQUEST_WHAT: Final = "`method.request.header.NAME`, `'static'`, `stageVariables.NAME`, `context.NAME` ..."
_RESPONSE_SOURCES: Final = (STATIC_VALUE, STAGE_VARIABLE, CONTEXT_VALUE)
_RESPONSE_WHAT: Final = "`'static'`, `stageVariables.NAME` or `context.NAME`"


_REFUSED_HEADERS: Final[Mapping[str, str]] = {
    "content-length": "AWS answers 500 to a mapping of `Content-Length`",
    "transfer-encoding": "AWS answers 500 to a mapping of `Transfer-Encoding`",
    "x-amzn-trace-id": "AWS answers 500 to a mapping of `X-Amzn-Trace-Id`",
    "x-amzn-apigateway-api-id": "AWS answers 500 to a mapping of `X-Amzn-Apigateway-Api-Id`",
    "host": "the backend's `Host` is the uri's",
}
_GATEWAY_HEADER_PREFIXES: Final = ("x-forwarded-", "x-gatewaysim-authorizer-")


def _header_problem(key: str) -> str | None:
    kind, _, name = key.removeprefix("integration.request.").partition(".")
    if kind != "header":
        return None
    lower = name.lower()
    if lower in _REFUSED_HEADERS:
        return _REFUSED_HEADERS[lower]
    if lower.startswith(_GATEWAY_HEADER_PREFIXES):  # SECURITY: a client value must not pose as the gateway's
        return f"`{name}` is set by the gateway itself"
    return None


def check_request_parameters(checker: Checker, path: str, raw: Any) -> dict[str, str]:
    """``requestParameters``: integration request parameter -> mapping expression."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping like `{integration.request.path.proxy: method.request.path.proxy}`")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        where = f"{path}.{key}"
        if not isinstance(key, str) or not PARAMETER_KEY.fullmatch(key):
            checker.add(where, "must be `integration.request.header|querystring|path.NAME`")
            continue
        problem = _header_problem(key) or _value_problem(value, _REQUEST_SOURCES, _REQUEST_WHAT)
        if problem is not None:
            checker.add(where, problem)
            continue
        out[key] = value
    return out


def check_templates(checker: Checker, path: str, raw: Any) -> dict[str, str]:
    """``requestTemplates`` / ``responseTemplates``: content type -> template text."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping of content type to template text")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or "/" not in key:
            checker.add(f"{path}.{key}", f"`{key}` is not a content type like `application/json`")
        elif value is not None and not isinstance(value, str):
            checker.add(f"{path}.{key}", "must be the template's text (a string)")
        else:
            out[key.lower()] = value or ""
    return out


def _response_parameters(checker: Checker, path: str, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping like `{method.response.header.Allow: \"'GET'\"}`")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        where = f"{path}.{key}"
        if not isinstance(key, str) or not RESPONSE_KEY.fullmatch(key):
            checker.add(where, "must be `method.response.header.NAME`")
            continue
        problem = _value_problem(value, _RESPONSE_SOURCES, _RESPONSE_WHAT)
        if problem is not None:
            checker.add(where, problem + "; a MOCK integration has no integration response to map from")
            continue
        out[key] = value
    return out


def _response(checker: Checker, path: str, raw: Any, pattern: str | None) -> IntegrationResponse | None:
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping with `statusCode`")
        return None
    known = {"statusCode", "selectionPattern", "responseParameters", "responseTemplates", "contentHandling"}
    for key in raw:
        if key not in known:
            checker.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {', '.join(sorted(known))})")
    if "contentHandling" in raw:
        checker.warn(f"{path}.contentHandling", "payload conversion (`contentHandling`) is not emulated")
    status = str(raw.get("statusCode", ""))
    if not _STATUS.fullmatch(status):
        checker.add(f"{path}.statusCode", f"must be an HTTP status code like `200`, got `{raw.get('statusCode')}`")
    pattern = pattern if pattern is not None else raw.get("selectionPattern")
    pattern = None if pattern in (None, "", "default") else str(pattern)
    if pattern is not None and _pattern_problem(pattern) is not None:
        checker.add(f"{path}.selectionPattern", str(_pattern_problem(pattern)))
    parameters = _response_parameters(checker, f"{path}.responseParameters", raw.get("responseParameters"))
    templates = check_templates(checker, f"{path}.responseTemplates", raw.get("responseTemplates"))
    return IntegrationResponse(status, pattern, parameters, templates)


def _pattern_problem(pattern: str) -> str | None:
    if len(pattern) > _MAX_PATTERN:
        return f"a selection pattern is at most {_MAX_PATTERN} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"`{pattern}` is not a regular expression: {exc}"
    return None


def check_responses(checker: Checker, path: str, raw: Mapping[str, Any]) -> tuple[IntegrationResponse, ...]:
    """The MOCK integration responses, from ``integrationResponses`` (a list) or ``responses`` (OpenAPI)."""
    listed, mapped = raw.get("integrationResponses"), raw.get("responses")
    if listed is not None and mapped is not None:
        checker.add(f"{path}.responses", "give `integrationResponses` (a list) or `responses` (a mapping), not both")
        return ()
    found: list[tuple[str, IntegrationResponse | None]] = []
    if listed is not None:
        if not isinstance(listed, list):
            checker.add(f"{path}.integrationResponses", "must be a list of integration responses")
            return ()
        found = [
            (f"{path}.integrationResponses[{i}]", _response(checker, f"{path}.integrationResponses[{i}]", r, None))
            for i, r in enumerate(listed)
        ]
    elif mapped is not None:
        if not isinstance(mapped, Mapping):
            checker.add(f"{path}.responses", "must map selection patterns (or `default`) to integration responses")
            return ()
        found = [
            (f"{path}.responses.{k}", _response(checker, f"{path}.responses.{k}", r, str(k))) for k, r in mapped.items()
        ]
    return _distinct(checker, found)


def _distinct(checker: Checker, found: list[tuple[str, IntegrationResponse | None]]) -> tuple[IntegrationResponse, ...]:
    seen_status: set[str] = set()
    defaults = 0
    out = []
    for where, response in found:
        if response is None:
            continue
        if response.status_code in seen_status:
            checker.add(f"{where}.statusCode", f"status code `{response.status_code}` has two integration responses")
        seen_status.add(response.status_code)
        defaults += response.selection_pattern is None
        if defaults > 1 and response.selection_pattern is None:
            checker.add(where, "a second default response (without `selectionPattern`)")
        out.append(response)
    return tuple(out)


class FoundFunction(NamedTuple):
    """The function an AWS_PROXY ``uri`` names, or why it names none."""

    name: str | None
    problem: str | None = None


def function_from_uri(uri: Any) -> FoundFunction:
    """The Lambda function name in an AWS_PROXY integration URI (AWS's own error texts)."""
    if not isinstance(uri, str) or not uri.startswith("arn:"):
        return FoundFunction(None, f"`{uri}`: Invalid ARN specified in the request")
    match = _LAMBDA_URI.fullmatch(uri)
    if match is None:
        return FoundFunction(None, f"`{uri}`: AWS ARN for integration must contain path or action")
    if match["service"] != "lambda" or match["kind"] != "path":
        message = "Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations"
        return FoundFunction(None, f"`{uri}`: {message} (Firehose is not emulated)")
    invocation = _INVOCATIONS.fullmatch(match["rest"])
    if invocation is None:
        expected = "`path/2015-03-31/functions/{function arn}/invocations`"
        return FoundFunction(None, f"`{uri}`: not a Lambda invocations path ({expected})")
    function = invocation["function"]
    arn = _FUNCTION_ARN.fullmatch(function)
    name = arn["name"] if arn is not None else function
    if not _FUNCTION_NAME.fullmatch(name):
        return FoundFunction(None, f"`{uri}`: `{name}` is not a Lambda function name or ARN")
    return FoundFunction(name)


def http_uri_problem(uri: Any, parameters: Mapping[str, Any]) -> str | None:
    """Why ``uri`` cannot be an HTTP_PROXY integration URI, or None."""
    if not isinstance(uri, str) or not uri:
        return "an HTTP_PROXY integration needs an http(s) `uri`"
    plain = _URI_VARIABLE.sub("stagevariable", uri)
    scheme, sep, rest = plain.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return f"`{uri}` is not an absolute http(s) url"
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority:
        return f"`{uri}` has no host"
    if URI_PLACEHOLDER.search(authority) or "{" in authority:
        # SECURITY: a client-filled placeholder must never choose the host the gateway calls
        return f"`{uri}`: placeholders may fill the path and query only, not the host"
    if "#" in rest:
        return f"`{uri}` has a fragment"
    for name in URI_PLACEHOLDER.findall(plain):
        if f"integration.request.path.{name}" not in parameters:
            return (
                f"`{{{name}}}` in `{uri}` is filled from `integration.request.path.{name}`; add it to "
                f"`requestParameters` (e.g. `integration.request.path.{name}: method.request.path.{name}`)"
            )
    return None
