"""Read an API's resource policy from the files people already have. Pure: no aiohttp, no network.

Sources (``fmt``; detected from the content when not given):

==================  ==================================================================
``cloudformation``  ``AWS::ApiGateway::RestApi`` ``Properties.Policy`` / ``Body`` (YAML or JSON)
``sam``             ``AWS::Serverless::Api`` ``Auth.ResourcePolicy`` expanded as SAM does
``openapi``         top-level ``x-amazon-apigateway-policy`` (OpenAPI 3 or Swagger 2)
``terraform``       ``.tf.json``: ``aws_api_gateway_rest_api_policy`` / ``aws_api_gateway_rest_api``
``terraform-show``  ``terraform show -json`` state or plan
``get-rest-api``    ``aws apigateway get-rest-api`` / ``get-rest-apis`` output (escaped policy text)
``policy``          a bare policy document
==================  ==================================================================

``import_policies`` returns every API's policy; ``import_policy`` returns the one policy (or the one
named by ``api``) and says which candidates there are when the choice is ambiguous. Every problem
(an unresolvable ``!GetAtt``, a ``${var}`` without a default...) is a located ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gatewaysim.errors import ConfigError, Problem
from gatewaysim.imports.cloudformation import extract_template
from gatewaysim.imports.documents import extract_bare_policy, extract_get_rest_api
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, Route
from gatewaysim.imports.openapi import POLICY_KEY, extract_openapi
from gatewaysim.imports.reading import parse_source, read_source
from gatewaysim.imports.terraform import extract_terraform, extract_terraform_show

__all__ = [
    "DETECTORS",
    "FORMATS",
    "ImportedPolicy",
    "Route",
    "detect_format",
    "import_policies",
    "import_policy",
]

Extractor = Callable[[Mapping[str, Any], ImportOptions], list[Found]]

FORMATS: Mapping[str, Extractor] = {
    "cloudformation": extract_template,
    "sam": extract_template,
    "openapi": extract_openapi,
    "terraform": extract_terraform,
    "terraform-show": extract_terraform_show,
    "get-rest-api": extract_get_rest_api,
    "policy": extract_bare_policy,
}
"""Format name -> extractor."""


def _is_template(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("Resources"), Mapping)


def _is_sam(data: Mapping[str, Any]) -> bool:
    transform = data.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    resources = data.get("Resources")
    values = resources.values() if isinstance(resources, Mapping) else ()
    types = [r.get("Type") for r in values if isinstance(r, Mapping)]
    return "AWS::Serverless-2016-10-31" in transforms or any(str(t).startswith("AWS::Serverless::") for t in types)


DETECTORS: tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...] = (
    ("sam", lambda d: _is_template(d) and _is_sam(d)),
    ("cloudformation", _is_template),
    ("openapi", lambda d: "openapi" in d or "swagger" in d or POLICY_KEY in d),
    ("terraform-show", lambda d: "planned_values" in d or isinstance(d.get("values"), Mapping)),
    ("terraform", lambda d: "resource" in d),
    ("get-rest-api", lambda d: "policy" in d or isinstance(d.get("items"), list)),
    ("policy", lambda d: "Statement" in d),
)
"""(format, test) in the order they are tried on a parsed file."""


def detect_format(data: Any) -> str | None:
    """The format of a parsed file, or None when no detector recognises it."""
    if not isinstance(data, Mapping):
        return None
    return next((name for name, test in DETECTORS if test(data)), None)


def _find(
    source: str | Path,
    fmt: str | None,
    options: ImportOptions,
) -> tuple[list[Found], str | None]:
    text, name = read_source(source)
    data = parse_source(text, name)
    kind = fmt or detect_format(data)
    if kind is None:
        expected = ", ".join(FORMATS)
        raise ConfigError([Problem("", f"cannot tell what kind of file this is (expected one of {expected})")], name)
    if kind not in FORMATS:
        raise ConfigError([Problem("", f"unknown format `{kind}` (expected one of {', '.join(FORMATS)})")], name)
    if not isinstance(data, Mapping):
        raise ConfigError([Problem("", f"a {kind} file must be a mapping at the top")], name)
    return FORMATS[kind](data, options), name


def _options(account: str | None, region: str | None, api_id: str | None, parameters: Any) -> ImportOptions:
    return ImportOptions(account=account, region=region, api_id=api_id, parameters=dict(parameters or {}))


def _no_policy(found: list[Found], name: str | None) -> ConfigError:
    seen = ", ".join(f"`{f.api}`" for f in found if f.api)
    suffix = f" (APIs without one: {seen})" if seen else ""
    return ConfigError([Problem("", f"no resource policy found{suffix}")], name)


def import_policies(
    source: str | Path,
    *,
    fmt: str | None = None,
    account: str | None = None,
    region: str | None = None,
    api_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> list[ImportedPolicy]:
    """Every resource policy in ``source`` (a path or the text itself); all problems raise at once."""
    found, name = _find(source, fmt, _options(account, region, api_id, parameters))
    problems = [p for f in found for p in f.problems]
    if problems:
        raise ConfigError(problems, name)
    policies = [f.policy for f in found if f.policy is not None]
    if not policies:
        raise _no_policy(found, name)
    return policies


def import_policy(
    source: str | Path,
    *,
    fmt: str | None = None,
    account: str | None = None,
    region: str | None = None,
    api_id: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    api: str | None = None,
) -> ImportedPolicy:
    """The one resource policy in ``source`` (or the API named ``api``); ambiguity is an error."""
    found, name = _find(source, fmt, _options(account, region, api_id, parameters))
    candidates = [f for f in found if f.policy is not None or f.problems]
    if api is not None:
        candidates = [f for f in found if f.api == api]
        if not candidates:
            known = ", ".join(f"`{f.api}`" for f in found if f.api) or "none"
            raise ConfigError([Problem("", f"no API named `{api}` (APIs: {known})")], name)
    if len(candidates) > 1:
        names = ", ".join(f"`{f.api}` ({f.policy.location if f.policy else 'unresolved'})" for f in candidates)
        raise ConfigError([Problem("", f"several APIs have a resource policy: {names}; choose one with `api`")], name)
    if not candidates:
        raise _no_policy(found, name)
    chosen = candidates[0]
    if chosen.problems:
        raise ConfigError(chosen.problems, name)
    if chosen.policy is None:
        raise _no_policy([chosen], name)
    return chosen.policy
