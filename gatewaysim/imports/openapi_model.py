"""An OpenAPI 3 / Swagger 2 definition (a file, a CloudFormation ``Body``, SAM's generated one) -> API parts.

What is read (everything else is a "not emulated" notice, ``gatewaysim.imports.coverage``):

* ``paths``: every operation (``get`` ... ``patch``, ``x-amazon-apigateway-any-method`` = ``ANY``)
  becomes a route ``{resource, method, authorizationType, authorizer, authorizationScopes}``.
* The operation's auth: ``x-amazon-apigateway-auth: {type: AWS_IAM | NONE}`` wins; else its
  ``security`` (the document's top-level ``security`` when it has none; ``security: []`` is NONE;
  spec 13.4 OPEN: a 2025 AWS recording applied the root-level ``security``). The first requirement
  names a scheme: one with ``x-amazon-apigateway-authorizer`` is ``CUSTOM`` (``token``/``request``)
  or ``COGNITO_USER_POOLS`` (the requirement's list being the method's scopes); one with
  ``x-amazon-apigateway-authtype: awsSigv4`` is ``AWS_IAM``; an ``apiKey`` scheme without an
  authorizer makes the method ``apiKeyRequired`` (spec 13.4; SAM's ``api_key``), beside its
  authorizer if another scheme of the requirement is one.
* The door (``door_model``): the API key source, gateway responses, request validators, models,
  and per operation its validator, required parameters and body model.
* Security schemes with ``x-amazon-apigateway-authorizer`` become authorizer definitions in the
  config's own form: ``token`` -> ``TOKEN`` (``identitySource`` or the scheme's header ``name``,
  ``identityValidationExpression``, ``authorizerResultTtlInSeconds``), ``request`` -> ``REQUEST``,
  ``cognito_user_pools`` -> ``COGNITO_USER_POOLS`` with one user pool per ``providerARNs`` entry.
  ``authorizerUri`` names the function; when it is a function of the same template its local
  handler can run, else the config maps the authorizer to a ``handler`` or ``url``.
* ``x-amazon-apigateway-policy``: the resource policy.

Every problem is recorded with its JSON path in the source (``at`` is the document's own path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.api_model import AuthorizerModel, RouteModel
from gatewaysim.imports.coverage import extension_notices
from gatewaysim.imports.door_model import openapi_door, operation_door

__all__ = [
    "AUTHORIZER_KEY",
    "POLICY_KEY",
    "OpenApiParts",
    "function_of_uri",
    "read_openapi_parts",
    "sort_unresolved",
]

AUTHORIZER_KEY: Final = "x-amazon-apigateway-authorizer"
POLICY_KEY: Final = "x-amazon-apigateway-policy"
_AUTHTYPE_KEY: Final = "x-amazon-apigateway-authtype"
_AUTH_KEY: Final = "x-amazon-apigateway-auth"
_ANY_KEY: Final = "x-amazon-apigateway-any-method"
_INTEGRATION_KEY: Final = "x-amazon-apigateway-integration"
_BINARY_KEY: Final = "x-amazon-apigateway-binary-media-types"
_VERBS: Final = ("get", "put", "post", "delete", "options", "head", "patch", _ANY_KEY)
_SIGV4: Final = "awssigv4"
# x-amazon-apigateway-authorizer.type -> (config type, authorizationType of its methods)
_AUTHORIZER_TYPES: Final[Mapping[str, tuple[str, str]]] = {
    "token": ("TOKEN", "CUSTOM"),
    "request": ("REQUEST", "CUSTOM"),
    "cognito_user_pools": ("COGNITO_USER_POOLS", "COGNITO_USER_POOLS"),
}
# Parts of a definition gatewaysim reads: an unresolvable value there is an error, elsewhere a notice
# (an authorizer's URI only tells which template function runs it; the config can say that too).
_USED: Final = ("x-amazon-apigateway-policy", "security", "components", "securityDefinitions", "paths")
_UNUSED_KEYS: Final = (".x-amazon-apigateway-integration", ".authorizerUri", ".authorizerCredentials")
_FUNCTION_IN_URI: Final = re.compile(r":function:([^/:]+)(?::[^/]*)?/invocations$")


@dataclass(slots=True)
class OpenApiParts:
    """What a definition says: routes, authorizers, its policy (raw) and binary media types."""

    routes: list[RouteModel] = field(default_factory=list)
    authorizers: dict[str, AuthorizerModel] = field(default_factory=dict)
    policy: Any = None
    policy_location: str | None = None
    binary_media_types: tuple[str, ...] = ()
    title: str | None = None
    door: dict[str, Any] = field(default_factory=dict)  # API-level door keys, config form (door_model)


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def sort_unresolved(unresolved: list[Problem], at: str, problems: list[Problem], notices: list[Problem]) -> None:
    """Values of the definition at ``at`` that could not be resolved: an error where gatewaysim uses
    the value (the policy, auth, paths), else a notice (an integration URI, a title)."""
    for problem in unresolved:
        first = problem.path[len(at) + 1 :].split(".", 1)[0] if at else problem.path.split(".", 1)[0]
        if first in _USED and not any(key in problem.path for key in _UNUSED_KEYS):
            problems.append(problem)
        else:
            notices.append(Problem(problem.path, f"{problem.message} (gatewaysim does not use this value)"))


def function_of_uri(uri: Any) -> str | None:
    """The function name in a Lambda invocation URI (``...:function:NAME/invocations``), or None."""
    match = _FUNCTION_IN_URI.search(uri) if isinstance(uri, str) else None
    return match.group(1) if match else None


def read_openapi_parts(
    document: Mapping[str, Any], at: str, problems: list[Problem], notices: list[Problem]
) -> OpenApiParts:
    """Read a resolved definition; located problems go to ``problems``, not-emulated warnings to ``notices``."""
    parts = OpenApiParts()
    info = document.get("info")
    parts.title = str(info["title"]) if isinstance(info, Mapping) and isinstance(info.get("title"), str) else None
    if POLICY_KEY in document:
        parts.policy, parts.policy_location = document[POLICY_KEY], _join(at, POLICY_KEY)
    binary = document.get(_BINARY_KEY)
    parts.binary_media_types = tuple(str(b) for b in binary) if isinstance(binary, list) else ()
    notices.extend(Problem(path, message) for path, message in extension_notices(document, at))
    paths = document.get("paths")
    if paths is not None and not isinstance(paths, Mapping):
        problems.append(Problem(_join(at, "paths"), "must be a mapping of paths to their methods"))
        return parts
    kinds: dict[str, str] = {}  # scheme name -> authorizationType ("API_KEY" for key schemes)
    for name, scheme, where in _schemes(document, at):
        if AUTHORIZER_KEY in scheme:
            converted = _authorizer(scheme, where, problems)
            if converted is not None:
                parts.authorizers[name], kinds[name] = converted
        elif str(scheme.get(_AUTHTYPE_KEY, "")).lower() == _SIGV4:
            kinds[name] = "AWS_IAM"
        elif scheme.get("type") == "apiKey":
            kinds[name] = "API_KEY"
    parts.door = openapi_door(document)
    _routes(document, at, kinds, parts, problems, notices)
    return parts


def _schemes(document: Mapping[str, Any], at: str) -> list[tuple[str, Mapping[str, Any], str]]:
    components = document.get("components")
    found, root = (components.get("securitySchemes") if isinstance(components, Mapping) else None), "components"
    root = "components.securitySchemes"
    if not isinstance(found, Mapping):
        found, root = document.get("securityDefinitions"), "securityDefinitions"
    if not isinstance(found, Mapping):
        return []
    return [
        (str(name), scheme, _join(at, f"{root}.{name}"))
        for name, scheme in found.items()
        if isinstance(scheme, Mapping)
    ]


def _authorizer(scheme: Mapping[str, Any], where: str, problems: list[Problem]) -> tuple[AuthorizerModel, str] | None:
    raw = scheme[AUTHORIZER_KEY]
    at = f"{where}.{AUTHORIZER_KEY}"
    if not isinstance(raw, Mapping):
        problems.append(Problem(at, "must be a mapping"))
        return None
    kind = str(raw.get("type", "token")).lower()
    if kind not in _AUTHORIZER_TYPES:
        problems.append(Problem(f"{at}.type", f"unknown authorizer type `{raw.get('type')}`"))
        return None
    config_type, auth_type = _AUTHORIZER_TYPES[kind]
    header = scheme.get("name") if scheme.get("in", "header") == "header" else None
    source = raw.get("identitySource") or (f"method.request.header.{header}" if header else None)
    if config_type == "COGNITO_USER_POOLS":
        return AuthorizerModel(_cognito(raw, source, at, problems), at), auth_type
    out: dict[str, Any] = {"type": config_type}
    if source is not None:
        out["identitySource"] = source
    for key in ("identityValidationExpression", "authorizerResultTtlInSeconds"):
        if key in raw:
            out[key] = raw[key]
    return AuthorizerModel(out, at, function=function_of_uri(raw.get("authorizerUri"))), auth_type


def _cognito(raw: Mapping[str, Any], source: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    arns = raw.get("providerARNs")
    if not isinstance(arns, list) or not arns or not all(isinstance(a, str) and "/" in a for a in arns):
        problems.append(Problem(f"{where}.providerARNs", "must list user pool ARNs (`arn:aws:cognito-idp:...`)"))
        arns = []
    out: dict[str, Any] = {
        "type": "COGNITO_USER_POOLS",
        "user_pools": [{"user_pool_id": arn.rsplit("/", 1)[-1]} for arn in arns],
    }
    prefix = "method.request.header."
    if isinstance(source, str) and source.startswith(prefix):
        out["header"] = source[len(prefix) :]
    return out


def _routes(
    document: Mapping[str, Any],
    at: str,
    kinds: Mapping[str, str],
    parts: OpenApiParts,
    problems: list[Problem],
    notices: list[Problem],
) -> None:
    default_security = document.get("security")
    paths = document.get("paths")
    for resource, item in paths.items() if isinstance(paths, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if str(key).lower() not in _VERBS or not isinstance(operation, Mapping):
                continue
            where = _join(at, f"paths.{resource}.{key}")
            method = "ANY" if str(key).lower() == _ANY_KEY else str(key).upper()
            auth, keyed = _operation_auth(operation, default_security, kinds, where, problems)
            if auth is not None:
                integration = operation.get(_INTEGRATION_KEY)
                models: dict[str, Any] = parts.door.setdefault("models", {})
                door = operation_door(operation, item, document, models)
                if not models:
                    del parts.door["models"]
                parts.routes.append(
                    RouteModel(
                        {"resource": str(resource), "method": method, **auth, **door, **_keyed(keyed)},
                        where,
                        api_key_required=keyed,
                        integration=integration if isinstance(integration, Mapping) else None,
                    )
                )


def _keyed(keyed: bool) -> dict[str, Any]:
    """``apiKeyRequired`` in the route item: a ``security`` requirement names an ``apiKey`` scheme."""
    return {"apiKeyRequired": True} if keyed else {}


def _operation_auth(
    operation: Mapping[str, Any],
    default_security: Any,
    kinds: Mapping[str, str],
    where: str,
    problems: list[Problem],
) -> tuple[dict[str, Any] | None, bool]:
    """The method's auth in route-item form (None: a problem), and whether it requires an API key."""
    security = operation.get("security", default_security)
    requirements = security if isinstance(security, list) else []
    keyed = any(isinstance(r, Mapping) and any(kinds.get(str(n)) == "API_KEY" for n in r) for r in requirements)
    explicit = operation.get(_AUTH_KEY)
    if isinstance(explicit, Mapping):
        explicit_type = str(explicit.get("type", "")).upper()
        if explicit_type not in ("AWS_IAM", "NONE"):
            message = f"must be `AWS_IAM` or `NONE`, not `{explicit_type}`"
            problems.append(Problem(f"{where}.{_AUTH_KEY}.type", message))
            return None, keyed
        return {"authorizationType": explicit_type}, keyed
    for requirement in requirements:
        if not isinstance(requirement, Mapping):
            continue
        for name, scopes in requirement.items():
            found = kinds.get(str(name))
            if found is None or found == "API_KEY":
                continue  # an API-key scheme, or one API Gateway does not enforce (SAM's `NONE`)
            return _auth_of(str(name), found, scopes, where, problems), keyed
    return {"authorizationType": "NONE"}, keyed


def _auth_of(name: str, found: str, scopes: Any, where: str, problems: list[Problem]) -> dict[str, Any] | None:
    if found == "AWS_IAM":
        return {"authorizationType": "AWS_IAM"}
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        problems.append(Problem(f"{where}.security[0].{name}", "must be a list of scopes"))
        return None
    auth: dict[str, Any] = {"authorizationType": found, "authorizer": name}
    if found == "COGNITO_USER_POOLS" and scopes:
        auth["authorizationScopes"] = list(scopes)
    return auth
