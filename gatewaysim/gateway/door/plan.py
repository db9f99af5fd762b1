"""What the door checks for one method on one stage, worked out once (``MethodDoor``).

``method_door`` returns None when the method has nothing to check: no key requirement, no
throttle at any level, no validation. The request path then pays one ``is None`` test.

Which stage throttle applies (spec 14.2; "per-API, per-stage throttling limits are applied at the
API method level", so every method has its own bucket): the method's own setting for this stage,
else its setting for every stage, else the route's ``throttling``; else the stage's ``*/*``
default, else the API's ``throttling``. The account bucket (``account_throttling``) is shared by
every API of the account and region.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatewaysim.config.door.throttle import ALL_METHODS, Throttle
from gatewaysim.config.load import ApiSettings, Settings
from gatewaysim.config.routes import Route
from gatewaysim.gateway.door.limits import Bucket
from gatewaysim.gateway.door.validation import MethodValidation, ModelValidators, method_validation

__all__ = ["MethodDoor", "method_door", "method_key"]


@dataclass(frozen=True, slots=True)
class MethodDoor:
    """One method's door checks on one stage."""

    api_id: str
    stage: str
    method_key: str  # "/pets/{id}/GET", as usage-plan method throttles name it
    requires_key: bool
    key_source: str  # HEADER | AUTHORIZER
    buckets: tuple[Bucket, ...]  # stage method bucket, account bucket (those that apply)
    validation: MethodValidation | None


def method_key(route: Route) -> str:
    """``/pets/GET``; the root resource is ``//GET`` (AWS's form)."""
    return f"{route.resource}/{route.method}" if route.resource != "/" else f"//{route.method}"


def _stage_throttle(api: ApiSettings, route: Route, stage: str, key: str) -> Throttle | None:
    settings = api.door.method_settings
    for wanted_stage in (stage, None):
        for setting in settings:
            if setting.method_key == key and setting.stage == wanted_stage:
                return setting.throttle
    if route.throttle is not None:
        return route.throttle
    for wanted_stage in (stage, None):
        for setting in settings:
            if setting.method_key == ALL_METHODS and setting.stage == wanted_stage:
                return setting.throttle
    return api.door.throttling


def method_door(
    settings: Settings, api: ApiSettings, models: ModelValidators | None, route: Route, stage: str
) -> MethodDoor | None:
    """The door checks for ``route`` on ``stage`` of ``api``; None when there are none."""
    required = route.api_key_required if route.api_key_required is not None else api.door.api_key_required
    key = method_key(route)
    buckets: list[Bucket] = []
    throttle = _stage_throttle(api, route, stage, key)
    if throttle is not None:
        buckets.append(Bucket(f"stage/{api.api_id}/{stage}/{key}", throttle.rate_limit, throttle.burst_limit))
    account = settings.account_throttling
    if account is not None:
        buckets.append(Bucket(f"account/{api.account}/{api.region}", account.rate_limit, account.burst_limit))
    validation = method_validation(api, models, route)
    if not required and not buckets and validation is None:
        return None
    return MethodDoor(api.api_id, stage, key, required, api.door.api_key_source, tuple(buckets), validation)
