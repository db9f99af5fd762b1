"""Request validation as configured (spec 17.1): validators, models, and what a method requires.

::

    request_validators:                      # name -> what it checks (x-amazon-apigateway-request-validators)
      all: {validateRequestBody: true, validateRequestParameters: true}
      params-only: {validateRequestParameters: true}
    request_validator: all                   # the API's default validator (a route's `requestValidator` wins)
    models:                                  # name -> JSON Schema draft 4 (a mapping, or its JSON text)
      Pet: {type: object, required: [name], properties: {name: {type: string}}}
    routes:
      - resource: /pets
        method: POST
        requestParameters: {method.request.querystring.q: true, method.request.header.x-trace: false}
        requestModels: {application/json: Pet}

A model is checked against the draft-4 meta-schema when the config is read (jsonschema, imported
only when a config has models); another model is referenced as
``https://apigateway.amazonaws.com/restapis/{api-id}/models/{Name}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.errors import DocumentError
from gatewaysim.safeload import POLICY_LIMITS, load_json

__all__ = [
    "PARAMETER_LOCATIONS",
    "Model",
    "RequestValidator",
    "check_schema",
    "models",
    "request_models",
    "request_parameters",
    "request_validators",
]

PARAMETER_LOCATIONS: Final = ("header", "path", "querystring")
_PARAMETER: Final = re.compile(r"method\.request\.(header|path|querystring)\.([^\s.][^\s]*)")
_MODEL_NAME: Final = re.compile(r"[A-Za-z0-9]+")  # AWS: model names are alphanumeric


@dataclass(frozen=True, slots=True)
class RequestValidator:
    """What a named validator checks."""

    name: str
    validate_request_body: bool = False
    validate_request_parameters: bool = False


@dataclass(frozen=True, slots=True)
class Model:
    """A named JSON Schema (draft 4), already checked against the meta-schema."""

    name: str
    schema: Mapping[str, Any] = field(compare=False, repr=False)


_VALIDATOR_FIELDS: Final[f.Table] = {"validateRequestBody": f.boolean, "validateRequestParameters": f.boolean}


def request_validators(c: Checker, path: str, raw: Any) -> Any:
    """``request_validators`` -> ``{name: RequestValidator}``."""
    if not isinstance(raw, Mapping):
        c.add(path, "must map a validator name to `{validateRequestBody, validateRequestParameters}`")
        return INVALID
    out: dict[str, RequestValidator] = {}
    for name, value in raw.items():
        where = f"{path}.{name}"
        if not isinstance(value, Mapping):
            c.add(where, "must be a mapping with `validateRequestBody` and/or `validateRequestParameters`")
            continue
        fields = c.section(where, value, _VALIDATOR_FIELDS)
        out[str(name)] = RequestValidator(
            str(name), fields.get("validateRequestBody", False), fields.get("validateRequestParameters", False)
        )
    return out


def check_schema(schema: Any) -> str | None:
    """Why ``schema`` is not a draft-4 JSON Schema, or None when it is."""
    from jsonschema import Draft4Validator  # lazily: only configs with models pay for it
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, Mapping):
        return "must be a JSON Schema object"
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        return f"not a valid JSON Schema (draft 4){f' at `{where}`' if where else ''}: {exc.message}"
    return None


def models(c: Checker, path: str, raw: Any) -> Any:
    """``models`` -> ``{name: Model}``; each schema checked against draft 4."""
    if not isinstance(raw, Mapping):
        c.add(path, "must map a model name to its JSON Schema")
        return INVALID
    out: dict[str, Model] = {}
    for name, schema in raw.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not _MODEL_NAME.fullmatch(name):
            c.add(where, f"a model name must be alphanumeric, got `{name}`")
            continue
        if isinstance(schema, str):
            try:
                schema = load_json(schema, POLICY_LIMITS)  # SECURITY: bounded (gatewaysim.safeload)
            except DocumentError as exc:
                c.add(where, f"the schema text is not JSON: {exc.problems[0].message}")
                continue
        problem = check_schema(schema)
        if problem is not None:
            c.add(where, problem)
            continue
        out[name] = Model(name, dict(schema))
    return out


def request_parameters(raw: Any) -> tuple[tuple[str, bool], ...]:
    """A route's ``requestParameters`` (``{method.request.querystring.q: true}``); raises ``ValueError``."""
    if not isinstance(raw, Mapping):
        raise ValueError("`requestParameters` must map `method.request.{header|path|querystring}.NAME` to true/false")
    out: list[tuple[str, bool]] = []
    for key, required in raw.items():
        if not isinstance(key, str) or _PARAMETER.fullmatch(key) is None:
            raise ValueError(f"`requestParameters`: `{key}` is not `method.request.{{header|path|querystring}}.NAME`")
        if not isinstance(required, bool):
            raise ValueError(f"`requestParameters.{key}` must be true (required) or false, got `{required}`")
        out.append((key, required))
    return tuple(out)


def request_models(raw: Any) -> tuple[tuple[str, str], ...]:
    """A route's ``requestModels`` (``{application/json: Pet}``); raises ``ValueError``."""
    if not isinstance(raw, Mapping):
        raise ValueError("`requestModels` must map a content type to a model name")
    out: list[tuple[str, str]] = []
    for content_type, name in raw.items():
        if not isinstance(content_type, str) or "/" not in content_type:
            raise ValueError(f"`requestModels`: `{content_type}` is not a content type like `application/json`")
        if not isinstance(name, str) or not name:
            raise ValueError(f"`requestModels.{content_type}` must be a model name, got `{name}`")
        out.append((content_type.lower(), name))
    return tuple(out)
