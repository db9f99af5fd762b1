"""One API's door settings (``DoorSettings``) and the config keys that set them.

::

    api:
      api_key_source: HEADER        # HEADER (x-api-key) | AUTHORIZER (a Lambda authorizer's usageIdentifierKey)
      api_key_required: false       # the default for methods (a route's `apiKeyRequired` wins)
      throttling: {rateLimit: 100, burstLimit: 50}     # every method of every stage ("*/*")
      method_settings: [...]        # per stage and method (gatewaysim.config.door.throttle)
      gateway_responses: {...}      # gatewaysim.config.door.responses
      request_validators: {...}     # gatewaysim.config.door.validation
      request_validator: all
      models: {...}
      cors: "'*'"                   # gatewaysim.config.door.cors
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from gatewaysim.config import fields as f
from gatewaysim.config.door import cors as cors_config
from gatewaysim.config.door import keys as door_keys
from gatewaysim.config.door import responses, validation
from gatewaysim.config.door.cors import CorsSettings
from gatewaysim.config.door.responses import GatewayResponseSpec
from gatewaysim.config.door.throttle import MethodSetting, Throttle, method_settings, throttle
from gatewaysim.config.door.validation import Model, RequestValidator
from gatewaysim.config.fields import INVALID, Checker

__all__ = ["API_KEY_SOURCES", "DOOR_FIELDS", "DOOR_KEYS", "DoorSettings", "parse_door", "template_keys"]

API_KEY_SOURCES: Final = ("HEADER", "AUTHORIZER")


@dataclass(frozen=True, slots=True)
class DoorSettings:
    """What one API checks at the door besides authorization; the defaults check nothing."""

    api_key_source: str = "HEADER"
    api_key_required: bool = False
    throttling: Throttle | None = None
    method_settings: tuple[MethodSetting, ...] = ()
    gateway_responses: Mapping[str, GatewayResponseSpec] = field(default_factory=dict)
    request_validators: Mapping[str, RequestValidator] = field(default_factory=dict)
    request_validator: str | None = None
    models: Mapping[str, Model] = field(default_factory=dict)
    cors: CorsSettings | None = None


_PARSERS: Final[f.Table] = {
    "api_key_source": f.choice(*API_KEY_SOURCES),
    "api_key_required": f.boolean,
    "throttling": throttle,
    "gateway_responses": responses.gateway_responses,
    "request_validators": validation.request_validators,
    "request_validator": f.optional_string,
    "models": validation.models,
    "cors": cors_config.cors,
}
DOOR_KEYS: Final = (*_PARSERS, "method_settings")
DOOR_FIELDS: Final[f.Table] = {key: (lambda c, path, raw: raw) for key in DOOR_KEYS}
"""The keys pass the API table as they are; ``parse_door`` checks them (method settings need the stages)."""


def parse_door(c: Checker, path: str, raw: Mapping[str, Any], stages: tuple[str, ...]) -> DoorSettings:
    """Check the door keys of the API at ``path`` (``raw`` holds only ``DOOR_KEYS``)."""
    values: dict[str, Any] = {}
    for key, parser in _PARSERS.items():
        if key in raw:
            parsed = parser(c, f"{path}.{key}", raw[key])
            if parsed is not INVALID:
                values[key] = parsed
    if "method_settings" in raw:
        values["method_settings"] = method_settings(c, f"{path}.method_settings", raw["method_settings"], stages)
    settings = DoorSettings(**values)
    name = settings.request_validator
    if name is not None and name not in settings.request_validators:
        declared = ", ".join(settings.request_validators) or "none"
        c.add(f"{path}.request_validator", f"unknown request validator `{name}` (declared: {declared})")
    return settings


class _Templated(Protocol):
    """An API as ``template_keys`` reads it: the file model it came from, if any."""

    @property
    def model(self) -> Any: ...
    @property
    def api_id(self) -> str: ...
    @property
    def stages(self) -> tuple[str, ...]: ...


def template_keys(c: Checker, top: Mapping[str, Any], apis: Sequence[_Templated]) -> dict[str, Any]:
    """``api_keys`` and ``usage_plans`` with those the APIs' files declare added (config first).

    A plan several served APIs share arrives once per API with that API's stages: they are joined,
    keeping the stages served (a config may serve some of a file's stages only). The file's
    entries are checked by the same parsers, located under ``template``.
    """
    served = {(api.api_id, stage) for api in apis for stage in api.stages}
    keys: dict[str, Mapping[str, Any]] = {}
    plans: dict[str, dict[str, Any]] = {}
    for api in apis:
        model = api.model
        if model is None:
            continue
        for key in model.api_keys:
            keys.setdefault(str(key["name"]), key)
        for plan in model.usage_plans:
            joined = plans.setdefault(str(plan["name"]), {**plan, "apiStages": []})
            stages = [s for s in plan["apiStages"] if (s.get("apiId", api.api_id), s.get("stage")) in served]
            joined["apiStages"] = [*joined["apiStages"], *stages]
    out: dict[str, Any] = {}
    for name, found, parse in (("api_keys", keys, door_keys.api_keys), ("usage_plans", plans, door_keys.usage_plans)):
        if found:
            parsed = parse(c, f"template.{name}", list(found.values()))
            out[name] = (*top.get(name, ()), *(parsed if parsed is not INVALID else ()))
    return out
