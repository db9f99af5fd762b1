"""What a definition or template says about the door, in the config's own form (``config.door``).

From an OpenAPI definition (a file, a CloudFormation ``Body``, SAM's generated one):

* ``x-amazon-apigateway-api-key-source`` -> ``api_key_source``;
* ``x-amazon-apigateway-gateway-responses`` -> ``gateway_responses`` (the same form);
* ``x-amazon-apigateway-request-validators`` -> ``request_validators``; the root
  ``x-amazon-apigateway-request-validator`` -> ``request_validator``;
* the schemas (``definitions`` / ``components.schemas``) -> ``models``; a schema's ``#/definitions/X``
  or ``#/components/schemas/X`` references resolve to the other schemas;
* per operation (``operation_door``): its ``x-amazon-apigateway-request-validator``, its required
  ``parameters`` (``in: header | query | path``; only ``name``, ``in``, ``required`` are read, spec
  17.1) and its body's model (Swagger ``in: body``, OpenAPI 3 ``requestBody.content``; an inline
  schema becomes a model of its own), and ``security`` naming an ``apiKey`` scheme.

From CloudFormation (``cfn_door``): ``RestApi.ApiKeySourceType``, ``GatewayResponse``,
``RequestValidator``, ``Model`` resources of the API, its ``Stage`` ``MethodSettings``, and the
``ApiKey``/``UsagePlan``/``UsagePlanKey`` resources whose plans name one of its stages. Values are
passed on as written; the config's parsers check them and locate every problem.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "API_KEY_SCHEME",
    "api_key",
    "gateway_response",
    "method_settings",
    "model_name",
    "openapi_door",
    "operation_door",
    "plan_stage",
    "ref",
    "request_validator",
    "resource_path",
    "usage_plan",
]

API_KEY_SCHEME: Final = "API_KEY"
_KEY_SOURCE: Final = "x-amazon-apigateway-api-key-source"
_RESPONSES: Final = "x-amazon-apigateway-gateway-responses"
_VALIDATORS: Final = "x-amazon-apigateway-request-validators"
_VALIDATOR: Final = "x-amazon-apigateway-request-validator"
_LOCATIONS: Final = {"header": "header", "query": "querystring", "path": "path"}
_REF_PREFIXES: Final = ("#/definitions/", "#/components/schemas/")


def _schemas(document: Mapping[str, Any]) -> Mapping[str, Any]:
    components = document.get("components")
    found = components.get("schemas") if isinstance(components, Mapping) else None
    if not isinstance(found, Mapping):
        found = document.get("definitions")
    return found if isinstance(found, Mapping) else {}


def _local_refs(node: Any) -> Any:
    """``#/components/schemas/X`` -> ``#/definitions/X``: every model carries the others as ``definitions``."""
    if isinstance(node, Mapping):
        return {
            k: (f"#/definitions/{v.split('/')[-1]}" if k == "$ref" and isinstance(v, str) else _local_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


def _model(schema: Any, schemas: Mapping[str, Any]) -> Any:
    if not isinstance(schema, Mapping):
        return schema
    model = dict(_local_refs(schema))
    if schemas and "definitions" not in model:
        model["definitions"] = {name: _local_refs(s) for name, s in schemas.items()}
    return model


def openapi_door(document: Mapping[str, Any]) -> dict[str, Any]:
    """The API-level door keys a definition sets (``api_key_source``, ``gateway_responses`` ...)."""
    door: dict[str, Any] = {}
    for extension, key in ((_KEY_SOURCE, "api_key_source"), (_RESPONSES, "gateway_responses")):
        if extension in document:
            door[key] = document[extension]
    if _VALIDATORS in document:
        door["request_validators"] = document[_VALIDATORS]
    if _VALIDATOR in document:
        door["request_validator"] = document[_VALIDATOR]
    schemas = _schemas(document)
    if schemas:
        door["models"] = {str(name): _model(schema, schemas) for name, schema in schemas.items()}
    return door


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, Mapping) else None
    if isinstance(ref, str) and ref.startswith(_REF_PREFIXES):
        return ref.split("/")[-1]
    return None


def _inline_model(schema: Mapping[str, Any], models: dict[str, Any], schemas: Mapping[str, Any]) -> str:
    """An inline body schema becomes a model of its own (API Gateway's import does the same)."""
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True, default=str).encode()).hexdigest()[:12]
    name = f"Inline{digest}"
    models.setdefault(name, _model(schema, schemas))
    return name


def _body_models(operation: Mapping[str, Any], document: Mapping[str, Any], models: dict[str, Any]) -> dict[str, str]:
    schemas = _schemas(document)
    found: dict[str, Any] = {}
    for parameter in operation.get("parameters") or []:
        if isinstance(parameter, Mapping) and parameter.get("in") == "body":
            types = operation.get("consumes") or document.get("consumes") or ["application/json"]
            found.update({str(t): parameter.get("schema") for t in types if isinstance(t, str)})
    body = operation.get("requestBody")
    content = body.get("content") if isinstance(body, Mapping) else None
    for media_type, entry in (content or {}).items() if isinstance(content, Mapping) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("schema"), Mapping):
            found[str(media_type)] = entry["schema"]
    out: dict[str, str] = {}
    for media_type, schema in found.items():
        name = _ref_name(schema)
        if name is None and isinstance(schema, Mapping) and schema:
            name = _inline_model(schema, models, schemas)
        if name is not None:
            out[media_type] = name
    return out


def operation_door(
    operation: Mapping[str, Any], path_item: Mapping[str, Any], document: Mapping[str, Any], models: dict[str, Any]
) -> dict[str, Any]:
    """The route-item door keys of one operation (``requestValidator``, ``requestParameters``, ``requestModels``)."""
    item: dict[str, Any] = {}
    if _VALIDATOR in operation:
        item["requestValidator"] = operation[_VALIDATOR]
    parameters: dict[str, bool] = {}
    for parameter in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        if (
            isinstance(parameter, Mapping)
            and parameter.get("in") in _LOCATIONS
            and isinstance(parameter.get("name"), str)
        ):
            key = f"method.request.{_LOCATIONS[parameter['in']]}.{parameter['name']}"
            parameters[key] = parameter.get("required") is True
    if parameters:
        item["requestParameters"] = parameters
    body_models = _body_models(operation, document, models)
    if body_models:
        item["requestModels"] = body_models
    return item


# -- CloudFormation -----------------------------------------------------------------------------

_THROTTLE_KEYS: Final = (("RateLimit", "rateLimit"), ("BurstLimit", "burstLimit"))
_QUOTA_KEYS: Final = (("Limit", "limit"), ("Offset", "offset"), ("Period", "period"))


def ref(value: Any) -> str | None:
    return value["Ref"] if isinstance(value, Mapping) and isinstance(value.get("Ref"), str) else None


def _renamed(raw: Any, keys: tuple[tuple[str, str], ...]) -> Any:
    """CloudFormation's ``{RateLimit, BurstLimit}`` -> the config's ``{rateLimit, burstLimit}`` (others kept)."""
    if not isinstance(raw, Mapping):
        return raw
    names = dict(keys)
    return {names.get(str(k), k): v for k, v in raw.items()}


def resource_path(raw: str) -> str:
    """CloudFormation's ``MethodSetting.ResourcePath`` (``/~1pets~1{id}``) -> ``/pets/{id}``; ``/*`` stays."""
    if raw.startswith("/~1"):
        return raw[1:].replace("~1", "/").replace("~0", "~")
    return raw


def method_settings(stage: str, settings: Any) -> list[dict[str, Any]]:
    """``MethodSettings`` entries with throttling -> config ``method_settings`` items for ``stage``."""
    out = []
    for entry in settings if isinstance(settings, list) else []:
        if not isinstance(entry, Mapping) or "ThrottlingRateLimit" not in entry or "ThrottlingBurstLimit" not in entry:
            continue
        out.append(
            {
                "stage": stage,
                "resourcePath": resource_path(str(entry.get("ResourcePath", "/*"))),
                "httpMethod": str(entry.get("HttpMethod", "*")),
                "throttlingRateLimit": entry["ThrottlingRateLimit"],
                "throttlingBurstLimit": entry["ThrottlingBurstLimit"],
            }
        )
    return out


def gateway_response(props: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """An ``AWS::ApiGateway::GatewayResponse`` -> (its type, the config's customisation)."""
    spec: dict[str, Any] = {}
    for key, config_key in (
        ("StatusCode", "statusCode"),
        ("ResponseParameters", "responseParameters"),
        ("ResponseTemplates", "responseTemplates"),
    ):
        if key in props:
            spec[config_key] = props[key]
    return props.get("ResponseType"), spec


def request_validator(props: Mapping[str, Any]) -> dict[str, Any]:
    """An ``AWS::ApiGateway::RequestValidator`` -> the config's validator."""
    return {
        config_key: props[key]
        for key, config_key in (
            ("ValidateRequestBody", "validateRequestBody"),
            ("ValidateRequestParameters", "validateRequestParameters"),
        )
        if key in props
    }


def model_name(value: Any, names: Mapping[str, str]) -> Any:
    """A method's ``RequestModels`` value: a model name, or ``!Ref`` to a ``Model`` (its name)."""
    found = ref(value)
    return names.get(found, found) if found is not None else value


def api_key(logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """An ``AWS::ApiGateway::ApiKey`` -> a config key named by its logical id (``Enabled`` defaults to false)."""
    key: dict[str, Any] = {"name": logical_id, "enabled": props.get("Enabled", False) in (True, "true")}
    if "Value" in props:
        key["value"] = props["Value"]
    return key


def usage_plan(
    logical_id: str, props: Mapping[str, Any], stages: list[dict[str, Any]], keys: list[str]
) -> dict[str, Any]:
    """An ``AWS::ApiGateway::UsagePlan`` -> a config plan (``stages``: its stages of this API, config form)."""
    plan: dict[str, Any] = {"name": logical_id, "apiStages": stages, "apiKeys": keys}
    if "Throttle" in props:
        plan["throttle"] = _renamed(props["Throttle"], _THROTTLE_KEYS)
    if "Quota" in props:
        plan["quota"] = _renamed(props["Quota"], _QUOTA_KEYS)
    return plan


def plan_stage(stage: str, api_id: str | None, throttle: Any) -> dict[str, Any]:
    """One ``ApiStages`` entry in config form (per-method throttles renamed)."""
    entry: dict[str, Any] = {"stage": stage}
    if api_id is not None:
        entry["apiId"] = api_id
    if isinstance(throttle, Mapping):
        entry["throttle"] = {str(k): _renamed(v, _THROTTLE_KEYS) for k, v in throttle.items()}
    return entry
