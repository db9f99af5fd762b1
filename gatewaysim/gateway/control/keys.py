"""API keys and usage plans: read them, and create, change, delete keys and plan keys live.

The gateway's door reads its ``KeyRing`` (``gateway.door.keys``) once per request; every change
here builds a new ring and hands it to ``gateway.live`` (one assignment here; with workers or a
``store:`` every process has it before the answer returns), so the next request sees the key (or no
longer sees it) and a refused change leaves the ring as it was. Each change reads and replaces the
ring under ``live.writing()``, so changes sent to two workers at once never lose one another. Values are checked by
the config's own rules (20 to 128 printable characters) with AWS's messages; names are unique
(usage plans name their keys by name or id); a created key is disabled unless ``--enabled``, as
on AWS. Changes live in memory (and in the store under workers): a restart reads the config again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config.door.keys import ApiKey, UsagePlan, api_keys, generate_key_value, resource_id
from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.gateway.control.paging import page
from gatewaysim.gateway.control.patch import patches, refuse_op, refuse_path
from gatewaysim.gateway.control.state import (
    ControlState,
    Handler,
    KeyHolder,
    Params,
    Result,
    bad_request,
    not_found,
)
from gatewaysim.gateway.control.wire import ServiceError
from gatewaysim.gateway.door.keys import KeyRing

__all__ = ["OPERATIONS", "api_key", "usage_plan"]

logger = logging.getLogger("gatewaysim.gateway.control")

_KEY_PATHS: Final = ("/name", "/description", "/enabled", "/customerId")
_BOOLEANS: Final = {"true": True, "false": False}


def _holder(state: ControlState) -> KeyHolder:
    if state.keys is None:  # pragma: no cover - the gateway always hands its holder over
        raise ServiceError("InternalFailure", "this gateway keeps no API keys")
    return state.keys


def _only_api(state: ControlState) -> str | None:
    return state.settings.apis[0].api_id if len(state.settings.apis) == 1 else None


async def _replace(state: ControlState, keys: tuple[ApiKey, ...], plans: tuple[UsagePlan, ...], what: str) -> None:
    ring = KeyRing(keys, plans, _only_api(state))
    await state.live.replace_keys(_holder(state), ring)  # one assignment (in every process): the next request
    logger.info("api keys: %s through the control plane", what)


def _locked(handler: Handler) -> Handler:
    """``handler`` reading and replacing the ring under ``live.writing()`` (module docstring)."""

    async def locked(state: ControlState, params: Params) -> Result:
        async with state.live.writing():
            return await handler(state, params)

    locked.__doc__ = handler.__doc__
    return locked


def api_key(state: ControlState, key: ApiKey, *, include_value: bool) -> dict[str, Any]:
    """One key in the ``ApiKey`` shape (``value`` only when asked for, as on AWS)."""
    out: dict[str, Any] = {
        "id": key.key_id,
        "name": key.name,
        "enabled": key.enabled,
        "createdDate": state.started,
        "lastUpdatedDate": state.started,
        "stageKeys": [],
    }
    if include_value:
        out["value"] = key.value
    if key.customer_id is not None:
        out["customerId"] = key.customer_id
    if key.description is not None:
        out["description"] = key.description
    return out


def _key(state: ControlState, key_id: str) -> ApiKey:
    key = _holder(state).keyring.by_id.get(key_id)
    if key is None:
        raise not_found("Invalid API Key identifier specified")
    return key


async def get_api_keys(state: ControlState, params: Params) -> Result:
    """``GetApiKeys``: ``--name-query`` (a prefix), ``--customer-id``, ``--include-values``."""
    keys = _holder(state).keyring.keys
    name, customer = params.get("nameQuery"), params.get("customerId")
    found = [k for k in keys if (name is None or k.name.startswith(name)) and customer in (None, k.customer_id)]
    include = bool(params.get("includeValues"))
    return page([api_key(state, k, include_value=include) for k in found], params)


async def get_api_key(state: ControlState, params: Params) -> Result:
    """``GetApiKey`` (``--include-value``)."""
    return api_key(state, _key(state, params["apiKey"]), include_value=bool(params.get("includeValue")))


def _checked_key(name: Any, value: Any, key_id: str) -> ApiKey:
    """A key built by the config's rules, or AWS's BadRequestException with the first problem."""
    checker = Checker()
    item = {"name": name, **({"value": value} if value is not None else {})}
    parsed = api_keys(checker, "apiKey", [item])
    if parsed is INVALID or checker.problems or not parsed:
        problem = checker.problems[0].message if checker.problems else "invalid api key"
        problem = problem.replace("api key", "API Key")
        raise bad_request(problem[:1].upper() + problem[1:])
    built: ApiKey = parsed[0]
    return dataclasses.replace(built, key_id=key_id)


async def create_api_key(state: ControlState, params: Params) -> Result:
    """``CreateApiKey``: disabled unless ``enabled``; the value given or generated (40 characters)."""
    if params.get("stageKeys"):
        raise bad_request(
            "stageKeys is not emulated by gatewaysim: add the key to a usage plan (create-usage-plan-key)"
        )
    ring = _holder(state).keyring
    name = params.get("name") or f"key-{generate_key_value()[:10].lower()}"
    if any(k.name == name for k in ring.keys):
        raise ServiceError(
            "ConflictException", f"An API key named {name[:100]} already exists (gatewaysim keeps names unique)"
        )
    key = _checked_key(name, params.get("value"), resource_id("apikey", name))
    if key.value in ring.by_value:
        raise ServiceError("ConflictException", "API Key already exists")
    key = dataclasses.replace(
        key,
        enabled=bool(params.get("enabled", False)),
        customer_id=params.get("customerId"),
        description=params.get("description"),
    )
    await _replace(state, (*ring.keys, key), ring.plans, f"key `{key.name}` ({key.key_id}) created")
    return api_key(state, key, include_value=True)


def _patched(key: ApiKey, params: Params, ring: KeyRing) -> ApiKey:
    applied = ", ".join(_KEY_PATHS)
    for patch in patches(params, ("replace",), applied):
        if patch.path not in _KEY_PATHS:
            refuse_path(patch, applied)
        refuse_op(patch, ("replace",))
        value = patch.value
        if patch.path == "/enabled":
            if str(value).lower() not in _BOOLEANS:
                raise bad_request(f"Invalid value for /enabled: {str(value)[:50]} (true or false)")
            key = dataclasses.replace(key, enabled=_BOOLEANS[str(value).lower()])
        elif patch.path == "/name":
            if not value or any(k.name == value and k.key_id != key.key_id for k in ring.keys):
                raise bad_request(f"Invalid name: {str(value)[:100]} (empty, or another key's)")
            key = dataclasses.replace(key, name=value)
        elif patch.path == "/customerId":
            key = dataclasses.replace(key, customer_id=value or None)
        else:
            key = dataclasses.replace(key, description=value or None)
    return key


async def update_api_key(state: ControlState, params: Params) -> Result:
    """``UpdateApiKey``: replace ``/enabled``, ``/name``, ``/description``, ``/customerId``."""
    ring = _holder(state).keyring
    old = _key(state, params["apiKey"])
    key = _patched(old, params, ring)
    if key != old:
        keys = tuple(key if k.key_id == old.key_id else k for k in ring.keys)
        plans = tuple(_renamed(plan, old.name, key.name) for plan in ring.plans)
        await _replace(state, keys, plans, f"key `{key.name}` ({key.key_id}) updated")
    return api_key(state, key, include_value=False)


def _renamed(plan: UsagePlan, old: str, new: str) -> UsagePlan:
    if old == new or old not in plan.api_keys:
        return plan
    return dataclasses.replace(plan, api_keys=tuple(new if name == old else name for name in plan.api_keys))


async def delete_api_key(state: ControlState, params: Params) -> Result:
    """``DeleteApiKey``: the key stops opening anything on the next request."""
    ring = _holder(state).keyring
    key = _key(state, params["apiKey"])
    plans = tuple(
        dataclasses.replace(p, api_keys=tuple(n for n in p.api_keys if n not in (key.name, key.key_id)))
        for p in ring.plans
    )
    await _replace(state, tuple(k for k in ring.keys if k.key_id != key.key_id), plans, f"key `{key.name}` deleted")
    return None


def usage_plan(state: ControlState, plan: UsagePlan) -> dict[str, Any]:
    """One plan in the ``UsagePlan`` shape."""
    only = _only_api(state)
    stages = []
    for stage in plan.api_stages:
        item: dict[str, Any] = {"apiId": stage.api_id or only or "", "stage": stage.stage}
        if stage.methods:
            item["throttle"] = {k: {"rateLimit": t.rate_limit, "burstLimit": t.burst_limit} for k, t in stage.methods}
        stages.append(item)
    out: dict[str, Any] = {"id": plan.plan_id, "name": plan.name, "apiStages": stages}
    if plan.throttle is not None:
        out["throttle"] = {"rateLimit": plan.throttle.rate_limit, "burstLimit": plan.throttle.burst_limit}
    if plan.quota is not None:
        out["quota"] = {"limit": plan.quota.limit, "period": plan.quota.period, "offset": plan.quota.offset}
    return out


def _plan(state: ControlState, plan_id: str) -> UsagePlan:
    for plan in _holder(state).keyring.plans:
        if plan.plan_id == plan_id:
            return plan
    raise not_found("Invalid Usage Plan ID specified")


def _plan_keys(state: ControlState, plan: UsagePlan) -> list[ApiKey]:
    ring = _holder(state).keyring
    return [k for k in ring.keys if k.name in plan.api_keys or k.key_id in plan.api_keys]


def _plan_key(key: ApiKey) -> dict[str, Any]:
    return {"id": key.key_id, "type": "API_KEY", "value": key.value, "name": key.name}


async def get_usage_plans(state: ControlState, params: Params) -> Result:
    """``GetUsagePlans`` (``--key-id``: the plans that key is in)."""
    plans = _holder(state).keyring.plans
    key_id = params.get("keyId")
    if key_id is not None:
        key = _key(state, key_id)
        plans = tuple(p for p in plans if key.name in p.api_keys or key.key_id in p.api_keys)
    return page([usage_plan(state, p) for p in plans], params)


async def get_usage_plan(state: ControlState, params: Params) -> Result:
    """``GetUsagePlan``."""
    return usage_plan(state, _plan(state, params["usagePlanId"]))


async def get_usage_plan_keys(state: ControlState, params: Params) -> Result:
    """``GetUsagePlanKeys`` (``--name-query``: a prefix)."""
    name = params.get("nameQuery")
    keys = _plan_keys(state, _plan(state, params["usagePlanId"]))
    return page([_plan_key(k) for k in keys if name is None or k.name.startswith(name)], params)


async def get_usage_plan_key(state: ControlState, params: Params) -> Result:
    """``GetUsagePlanKey``."""
    for key in _plan_keys(state, _plan(state, params["usagePlanId"])):
        if key.key_id == params["keyId"]:
            return _plan_key(key)
    raise not_found("Invalid Usage Plan Key identifier specified")


async def create_usage_plan_key(state: ControlState, params: Params) -> Result:
    """``CreateUsagePlanKey``: the key opens the plan's stages from the next request."""
    if params["keyType"] != "API_KEY":
        raise bad_request(f"Invalid key type specified: {params['keyType'][:50]} (API_KEY)")
    plan = _plan(state, params["usagePlanId"])
    key = _key(state, params["keyId"])
    if key in _plan_keys(state, plan):
        raise ServiceError("ConflictException", f"Usage Plan {plan.plan_id} already has API Key {key.key_id}")
    ring = _holder(state).keyring
    grown = dataclasses.replace(plan, api_keys=(*plan.api_keys, key.key_id))
    plans = tuple(grown if p.plan_id == plan.plan_id else p for p in ring.plans)
    await _replace(state, ring.keys, plans, f"key `{key.name}` added to usage plan `{plan.name}`")
    return _plan_key(key)


async def delete_usage_plan_key(state: ControlState, params: Params) -> Result:
    """``DeleteUsagePlanKey``."""
    plan = _plan(state, params["usagePlanId"])
    key = _key(state, params["keyId"])
    if key not in _plan_keys(state, plan):
        raise not_found("Invalid Usage Plan Key identifier specified")
    ring = _holder(state).keyring
    shrunk = dataclasses.replace(plan, api_keys=tuple(n for n in plan.api_keys if n not in (key.name, key.key_id)))
    plans = tuple(shrunk if p.plan_id == plan.plan_id else p for p in ring.plans)
    await _replace(state, ring.keys, plans, f"key `{key.name}` removed from usage plan `{plan.name}`")
    return None


OPERATIONS: Final[Mapping[str, Handler]] = {
    "GetApiKeys": get_api_keys,
    "GetApiKey": get_api_key,
    "CreateApiKey": _locked(create_api_key),
    "UpdateApiKey": _locked(update_api_key),
    "DeleteApiKey": _locked(delete_api_key),
    "GetUsagePlans": get_usage_plans,
    "GetUsagePlan": get_usage_plan,
    "GetUsagePlanKeys": get_usage_plan_keys,
    "GetUsagePlanKey": get_usage_plan_key,
    "CreateUsagePlanKey": _locked(create_usage_plan_key),
    "DeleteUsagePlanKey": _locked(delete_usage_plan_key),
}
