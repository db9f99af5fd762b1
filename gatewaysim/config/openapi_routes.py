"""Routes and authorizers from an OpenAPI 3 / Swagger 2 file, as API Gateway imports them.

What is read:

* ``paths``: every operation (``get`` ... ``patch``, ``x-amazon-apigateway-any-method`` = ``ANY``)
  becomes a route ``{resource, method, authorizationType, authorizer, authorizationScopes}``.
* The operation's auth: ``x-amazon-apigateway-auth: {type: AWS_IAM | NONE}`` wins; else its
  ``security`` (the document's top-level ``security`` when it has none; ``security: []`` is NONE).
  The first requirement names a scheme: a scheme with ``x-amazon-apigateway-authorizer`` is
  ``CUSTOM`` (type ``token``/``request``) or ``COGNITO_USER_POOLS`` (type ``cognito_user_pools``,
  the requirement's list being the method's scopes); a scheme with
  ``x-amazon-apigateway-authtype: awsSigv4`` is ``AWS_IAM``; any other scheme (an API key) is NONE.
* Security schemes with ``x-amazon-apigateway-authorizer`` become authorizer definitions in the
  config's own form: ``token`` -> ``TOKEN`` (``identitySource`` or the scheme's header ``name``,
  ``identityValidationExpression``, ``authorizerResultTtlInSeconds``), ``request`` -> ``REQUEST``,
  ``cognito_user_pools`` -> ``COGNITO_USER_POOLS`` with one user pool per ``providerARNs`` entry.
  ``authorizerUri`` and ``authorizerCredentials`` name AWS resources that cannot run here: the
  config maps each authorizer name to a ``handler`` or ``url`` (and a Cognito one to its ``jwks``).

Every problem is collected into one ``ConfigError`` whose source is the file, each located by
its JSON path in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.safeload import load_json_or_yaml, read_text

__all__ = ["AUTHORIZER_KEY", "OpenApiAuth", "load_openapi", "read_openapi"]

AUTHORIZER_KEY: Final = "x-amazon-apigateway-authorizer"
_AUTHTYPE_KEY: Final = "x-amazon-apigateway-authtype"
_AUTH_KEY: Final = "x-amazon-apigateway-auth"
_ANY_KEY: Final = "x-amazon-apigateway-any-method"
_VERBS: Final = ("get", "put", "post", "delete", "options", "head", "patch", _ANY_KEY)
_SIGV4: Final = "awsSigv4"
# x-amazon-apigateway-authorizer.type -> (config type, authorizationType of its methods)
_AUTHORIZER_TYPES: Final[Mapping[str, tuple[str, str]]] = {
    "token": ("TOKEN", "CUSTOM"),
    "request": ("REQUEST", "CUSTOM"),
    "cognito_user_pools": ("COGNITO_USER_POOLS", "COGNITO_USER_POOLS"),
}


@dataclass(frozen=True, slots=True)
class OpenApiAuth:
    """What an OpenAPI file says about auth: route items (config form), their JSON paths, authorizers."""

    routes: tuple[dict[str, Any], ...] = ()
    locations: tuple[str, ...] = ()
    authorizers: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def load_openapi(file: Path) -> OpenApiAuth:
    """Read and convert ``file`` (YAML or JSON); raises ``ConfigError`` located in the file."""
    try:
        document = load_json_or_yaml(read_text(file))  # SECURITY: bounded (gatewaysim.safeload)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the file: {exc.strerror}")], str(file)) from exc
    except DocumentError as exc:
        raise ConfigError(exc.problems, str(file)) from None
    return read_openapi(document, source=str(file))


def read_openapi(document: Any, *, source: str | None = None) -> OpenApiAuth:
    """Convert a parsed OpenAPI/Swagger document; raises ``ConfigError`` with every problem."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping) or not isinstance(document.get("paths"), Mapping):
        raise ConfigError([Problem("paths", "an OpenAPI document needs a `paths` mapping")], source)
    schemes = _schemes(document)
    authorizers: dict[str, dict[str, Any]] = {}
    kinds: dict[str, str] = {}  # scheme name -> authorizationType
    for name, scheme in schemes.items():
        where = _scheme_path(document, name)
        if AUTHORIZER_KEY in scheme:
            converted = _authorizer(name, scheme, where, problems)
            if converted is not None:
                authorizers[name], kinds[name] = converted
        elif scheme.get(_AUTHTYPE_KEY) == _SIGV4:
            kinds[name] = "AWS_IAM"
    routes, locations = _routes(document, kinds, problems)
    if problems:
        raise ConfigError(problems, source)
    return OpenApiAuth(tuple(routes), tuple(locations), authorizers)


def _schemes(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    components = document.get("components")
    found = components.get("securitySchemes") if isinstance(components, Mapping) else None
    if not isinstance(found, Mapping):
        found = document.get("securityDefinitions")
    if not isinstance(found, Mapping):
        return {}
    return {str(name): scheme for name, scheme in found.items() if isinstance(scheme, Mapping)}


def _scheme_path(document: Mapping[str, Any], name: str) -> str:
    root = "securityDefinitions" if "securityDefinitions" in document else "components.securitySchemes"
    return f"{root}.{name}"


def _authorizer(
    name: str, scheme: Mapping[str, Any], where: str, problems: list[Problem]
) -> tuple[dict[str, Any], str] | None:
    raw = scheme[AUTHORIZER_KEY]
    if not isinstance(raw, Mapping):
        problems.append(Problem(f"{where}.{AUTHORIZER_KEY}", "must be a mapping"))
        return None
    kind = str(raw.get("type", "token")).lower()
    if kind not in _AUTHORIZER_TYPES:
        problems.append(Problem(f"{where}.{AUTHORIZER_KEY}.type", f"unknown authorizer type `{raw.get('type')}`"))
        return None
    config_type, auth_type = _AUTHORIZER_TYPES[kind]
    header = scheme.get("name") if scheme.get("in", "header") == "header" else None
    source = raw.get("identitySource") or (f"method.request.header.{header}" if header else None)
    if config_type == "COGNITO_USER_POOLS":
        return _cognito(raw, source, f"{where}.{AUTHORIZER_KEY}", problems), auth_type
    out: dict[str, Any] = {"type": config_type}
    if source is not None:
        out["identitySource"] = source
    for key in ("identityValidationExpression", "authorizerResultTtlInSeconds"):
        if key in raw:
            out[key] = raw[key]
    return out, auth_type


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
    document: Mapping[str, Any], kinds: Mapping[str, str], problems: list[Problem]
) -> tuple[list[dict[str, Any]], list[str]]:
    default_security = document.get("security")
    routes: list[dict[str, Any]] = []
    locations: list[str] = []
    for resource, item in document["paths"].items():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if str(key).lower() not in _VERBS or not isinstance(operation, Mapping):
                continue
            where = f"paths.{resource}.{key}"
            method = "ANY" if str(key).lower() == _ANY_KEY else str(key).upper()
            route = {"resource": str(resource), "method": method}
            auth = _operation_auth(operation, default_security, kinds, where, problems)
            if auth is not None:
                routes.append({**route, **auth})
                locations.append(where)
    return routes, locations


def _operation_auth(
    operation: Mapping[str, Any],
    default_security: Any,
    kinds: Mapping[str, str],
    where: str,
    problems: list[Problem],
) -> dict[str, Any] | None:
    explicit = operation.get(_AUTH_KEY)
    if isinstance(explicit, Mapping):
        explicit_type = str(explicit.get("type", "")).upper()
        if explicit_type not in ("AWS_IAM", "NONE"):
            message = f"must be `AWS_IAM` or `NONE`, not `{explicit_type}`"
            problems.append(Problem(f"{where}.{_AUTH_KEY}.type", message))
            return None
        return {"authorizationType": explicit_type}
    security = operation.get("security", default_security)
    if not isinstance(security, list) or not security:
        return {"authorizationType": "NONE"}
    requirement = security[0]
    if not isinstance(requirement, Mapping) or not requirement:
        return {"authorizationType": "NONE"}
    name, scopes = next(iter(requirement.items()))
    found = kinds.get(str(name))
    if found is None:
        return {"authorizationType": "NONE"}  # an API-key scheme, or one gatewaysim does not enforce
    if found == "AWS_IAM":
        return {"authorizationType": "AWS_IAM"}
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        problems.append(Problem(f"{where}.security[0].{name}", "must be a list of scopes"))
        return None
    auth: dict[str, Any] = {"authorizationType": found, "authorizer": str(name)}
    if found == "COGNITO_USER_POOLS" and scopes:
        auth["authorizationScopes"] = list(scopes)
    return auth
