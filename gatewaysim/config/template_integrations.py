"""A template's integrations and Lambda functions, in the config's own form (``config.integration``,
``config.functions``), so the same parsers check them.

* ``x-amazon-apigateway-integration`` (OpenAPI, and what SAM generates) is already in the config's
  spelling; a CloudFormation ``Method.Integration`` is renamed key by key (``INTEGRATION_KEYS``).
* ``HTTP_PROXY`` and ``MOCK`` are attached as they are. ``AWS_PROXY`` is attached when its function
  can run: one of the config's ``functions``, or a Python function of the same template with local
  code (SAM ``CodeUri``, a local ``Code`` path), which becomes a function of that name. Anything else
  (an ``HTTP``/``AWS`` integration with mapping templates, a Node.js function, S3 code) is a warning
  located in the file, and the method goes to the API's ``backend``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from gatewaysim.config.fields import Checker
from gatewaysim.config.functions import FunctionSettings, functions_section
from gatewaysim.errors import Problem
from gatewaysim.imports.api_model import ApiModel, FunctionModel

__all__ = ["INTEGRATION_KEYS", "file_spelling", "integration_item", "integration_location", "template_functions"]

INTEGRATION_KEYS: Final[Mapping[str, str]] = {
    "Type": "type",
    "Uri": "uri",
    "IntegrationHttpMethod": "httpMethod",
    "RequestParameters": "requestParameters",
    "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior",
    "TimeoutInMillis": "timeoutInMillis",
    "ContentHandling": "contentHandling",
    "CacheKeyParameters": "cacheKeyParameters",
    "CacheNamespace": "cacheNamespace",
    "ConnectionId": "connectionId",
    "ConnectionType": "connectionType",
    "Credentials": "credentials",
    "IntegrationTarget": "integrationTarget",
    "ResponseTransferMode": "responseTransferMode",
    "IntegrationResponses": "integrationResponses",
}
"""CloudFormation ``Integration`` property -> the key of ``x-amazon-apigateway-integration`` (and the config)."""
_RESPONSE_KEYS: Final[Mapping[str, str]] = {
    "StatusCode": "statusCode",
    "SelectionPattern": "selectionPattern",
    "ResponseParameters": "responseParameters",
    "ResponseTemplates": "responseTemplates",
    "ContentHandling": "contentHandling",
}
_CFN_NAMES: Final = {v: k for k, v in INTEGRATION_KEYS.items()}
_CFN_RESPONSE_NAMES: Final = {v: k for k, v in _RESPONSE_KEYS.items()}
_RUNS: Final = frozenset({"HTTP_PROXY", "MOCK", "AWS_PROXY"})
_FUNCTION_KEYS: Final = ("handler", "code", "environment", "timeout", "memory_size")


def _renamed(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation ``Integration`` in OpenAPI's keys (an OpenAPI one is returned as it is)."""
    if "Type" not in raw:
        return dict(raw)
    out = {INTEGRATION_KEYS.get(str(k), str(k)): v for k, v in raw.items()}
    responses = out.get("integrationResponses")
    if isinstance(responses, list):
        out["integrationResponses"] = [
            {_RESPONSE_KEYS.get(str(k), str(k)): v for k, v in r.items()} if isinstance(r, Mapping) else r
            for r in responses
        ]
    return out


def integration_location(raw: Mapping[str, Any] | None, location: str) -> str:
    """Where a method's integration is in its file: CloudFormation's ``Integration`` or the OpenAPI extension."""
    return (
        f"{location}.Integration"
        if raw is not None and "Type" in raw
        else f"{location}.x-amazon-apigateway-integration"
    )


def file_spelling(path: str, at: str) -> str:
    """``path`` (a problem found under ``at`` in the config's keys) in CloudFormation's spelling when
    ``at`` is a CloudFormation ``Integration``: ``.timeoutInMillis`` -> ``.TimeoutInMillis``."""
    if not at.endswith(".Integration") or not path.startswith(at + "."):
        return path
    first, dot, rest = path[len(at) + 1 :].partition(".")
    name, bracket, index = first.partition("[")
    name = _CFN_NAMES.get(name, name)
    if name == "IntegrationResponses" and rest:
        key, dot2, tail = rest.partition(".")
        rest = _CFN_RESPONSE_NAMES.get(key, key) + dot2 + tail
    return f"{at}.{name}{bracket}{index}{dot}{rest}"


def integration_item(
    raw: Mapping[str, Any] | None, location: str, functions: frozenset[str], warnings: list[Problem]
) -> dict[str, Any] | None:
    """The route item's ``integration`` for a template method, or None (a warning says why) when it cannot run."""
    if raw is None:
        return None
    integration = _renamed(raw)
    kind = str(integration.get("type", "")).upper()
    where = integration_location(raw, location)
    if kind not in _RUNS:
        warnings.append(
            Problem(
                where, f"not emulated (`{kind or '?'}` integration, mapping templates); requests go to the `backend`"
            )
        )
        return None
    if kind == "AWS_PROXY":
        from gatewaysim.config.integration_values import function_from_uri

        name = function_from_uri(integration.get("uri")).name
        if name is None or name not in functions:
            warnings.append(
                Problem(
                    where,
                    f"not emulated (function `{name}` has no local Python code here; give `functions.{name}` a "
                    "`handler` or `url`); requests go to the `backend`",
                )
            )
            return None
    return integration


def _definition(function: FunctionModel) -> dict[str, Any]:
    values: dict[str, Any] = {"handler": function.handler, "code": function.code_dir}
    if function.environment:
        values["environment"] = dict(function.environment)
    if function.timeout is not None:
        values["timeout"] = function.timeout
    if function.memory_size is not None:
        values["memory_size"] = function.memory_size
    return {k: values[k] for k in _FUNCTION_KEYS if k in values}


def template_functions(
    checker: Checker, path: str, model: ApiModel, file: Path, declared: frozenset[str]
) -> dict[str, FunctionSettings]:
    """The template's Python functions with local code (not those the config declares itself)."""
    raw = {
        name: _definition(function)
        for name, function in model.functions.items()
        if name not in declared
        and function.handler_spec() is not None
        and (file.parent / str(function.code_dir)).is_dir()
    }
    return functions_section(checker, f"{path}: {file}: functions", raw, file.parent) if raw else {}
