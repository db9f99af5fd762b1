"""Request validation (spec 17): required parameters, then the body against its model.

* A validator applies when the method names one (``requestValidator``) or the API has a default;
  without one nothing is validated, whatever the method declares.
* Parameters (``validateRequestParameters``): each required header, query string or path
  parameter that is absent or blank is missing; one 400 ``BAD_REQUEST_PARAMETERS`` names them all,
  ``Missing required request parameters: [x-header, issuer, qs1]``, ordered by
  ``method.request.<location>.<name>`` (header < path < querystring; names alphabetical within a
  location, as LocalStack does: AWS's order there is not recorded). Checked before the body.
* Body (``validateRequestBody``): the model mapped to the request's content type (none given =
  ``application/json``; parameters such as ``; charset=utf-8`` are ignored) validates the body
  as JSON Schema draft 4 (jsonschema); no model for the content type = not validated. An empty
  body is ``{}``; a body that is not JSON is invalid. Failure: 400 ``BAD_REQUEST_BODY``
  ``Invalid request body``; ``$context.error.validationErrorString`` holds the reasons in the
  java validator's words for ``required``, ``type`` and ``enum`` (the docs' executions logs),
  jsonschema's words otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDictProxy, MultiDictProxy

from gatewaysim.config.load import ApiSettings
from gatewaysim.config.routes import Route

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "MODEL_URI",
    "MethodValidation",
    "ModelValidators",
    "body_problem",
    "media_type",
    "method_validation",
    "missing_parameters",
]

MODEL_URI: Final = "https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"
_PREFIX: Final = "method.request."
ModelValidators = Mapping[str, "Validator"]


def build_model_validators(api: ApiSettings) -> dict[str, Validator]:
    """A draft-4 validator per model; models reference each other by ``MODEL_URI``."""
    from jsonschema import Draft4Validator  # lazily: only APIs with models pay for it
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    resources = [
        (MODEL_URI.format(api_id=api.api_id, name=name), Resource.from_contents(dict(model.schema), DRAFT4))
        for name, model in api.door.models.items()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return {name: Draft4Validator(dict(model.schema), registry=registry) for name, model in api.door.models.items()}


@dataclass(frozen=True, slots=True)
class MethodValidation:
    """What one method validates: required parameters and/or a model per content type."""

    required: tuple[tuple[str, str, str], ...]  # (full key, location, name), sorted by full key
    models: tuple[tuple[str, Validator], ...]  # (content type, validator)


def method_validation(api: ApiSettings, models: ModelValidators | None, route: Route) -> MethodValidation | None:
    """The method's validation, None when no validator applies or it has nothing to check."""
    name = route.request_validator or api.door.request_validator
    validator = api.door.request_validators.get(name) if name is not None else None
    if validator is None:
        return None
    required: tuple[tuple[str, str, str], ...] = ()
    if validator.validate_request_parameters:
        keys = sorted(key for key, needed in route.request_parameters if needed)
        required = tuple(_split(key) for key in keys)
    bodies: tuple[tuple[str, Validator], ...] = ()
    if validator.validate_request_body and models is not None:
        bodies = tuple((ctype, models[model]) for ctype, model in route.request_models if model in models)
    if not required and not bodies:
        return None
    return MethodValidation(required, bodies)


def _split(key: str) -> tuple[str, str, str]:
    location, _, name = key.removeprefix(_PREFIX).partition(".")
    return key, location, name


def missing_parameters(
    rules: MethodValidation,
    headers: CIMultiDictProxy[str],
    query: MultiDictProxy[str],
    path_parameters: Mapping[str, str],
) -> list[str]:
    """The names of required parameters that are absent or blank, in AWS's order."""
    sources: Mapping[str, Mapping[str, str]] = {"header": headers, "querystring": query, "path": path_parameters}
    return [name for _, location, name in rules.required if not sources[location].get(name, "").strip()]


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``; none -> ``application/json``."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value or "application/json"


def _java_style(error: Any) -> str:
    if error.validator == "type":
        allowed = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        kind = _json_type(error.instance)
        return f"instance type ({kind}) does not match any allowed primitive type (allowed: {json.dumps(allowed)})"
    if error.validator == "enum":
        found = json.dumps(error.instance)
        return f"instance value ({found}) not found in enum (possible values: {json.dumps(error.validator_value)})"
    return str(error.message)


def _json_type(value: Any) -> str:
    for kind, types in (("boolean", bool), ("integer", int), ("number", float), ("string", str)):
        if isinstance(value, types):
            return kind
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "null"


def _missing(error: Any) -> list[str]:
    """The properties a ``required`` error's instance lacks."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [str(name) for name in error.validator_value if name not in instance]


def body_problem(rules: MethodValidation, content_type: str | None, body: bytes) -> str | None:
    """Why ``body`` does not match the model for its content type (the validationErrorString), or None."""
    validator = dict(rules.models).get(media_type(content_type))
    if validator is None:
        return None  # no model for this content type: not validated (spec 17.4)
    try:
        instance = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):  # SECURITY: a deeply nested body is refused, not a crash
        return "[Invalid JSON in request body]"
    try:
        errors = list(validator.iter_errors(instance))
    except RecursionError:
        return "[request body is nested too deeply]"
    if not errors:
        return None
    missing = sorted({name for e in errors if e.validator == "required" for name in _missing(e)})
    texts = [_java_style(e) for e in errors if e.validator != "required"]
    if missing:
        texts.insert(0, f"object has missing required properties ({json.dumps(missing, separators=(',', ':'))})")
    return "[" + ", ".join(texts) + "]"
