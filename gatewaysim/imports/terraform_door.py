"""Terraform's API keys, usage plans and method settings, in the config's own form (``config.door``).

* ``aws_api_gateway_usage_plan`` naming a stage of the API in ``api_stages`` (``api_id``, ``stage``,
  per-method ``throttle {path, rate_limit, burst_limit}``) -> a ``usage_plans`` item with its
  ``throttle_settings`` and ``quota_settings``;
* ``aws_api_gateway_usage_plan_key`` -> the plan's ``apiKeys``; the ``aws_api_gateway_api_key`` it
  names -> an ``api_keys`` item (its ``name``; ``enabled`` defaults to true as in Terraform; no
  ``value`` = generated at start);
* ``aws_api_gateway_method_settings`` (``stage_name``, ``method_path`` ``*/*`` or ``pets/GET``,
  ``settings.throttling_*``) -> ``method_settings`` items; ``caching_enabled`` is a notice.

Links are found as ``terraform_model`` finds them: a reference (plan configuration, ``.tf.json``
interpolation) or an id (a state's values); nested ``api_stages`` entries keep their own
references under ``api_stages[i].api_id``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.terraform_resources import TfResource, as_list, mapping

__all__ = ["TfDoor", "tf_door"]

_UNSET: Final = (None, -1, -1.0, "")  # Terraform's "not set" for throttling numbers


@dataclass(slots=True)
class TfDoor:
    """An API's keys, plans and method settings from Terraform, and the notices they raise."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    method_settings: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)


Target = Callable[[TfResource, str], "TfResource | None"]


def tf_door(api: TfResource, target: Target, resources: list[TfResource]) -> TfDoor:
    """What ``resources`` say about ``api``'s door; ``target(resource, argument)`` follows a link."""
    door = TfDoor()
    attached: dict[str, list[TfResource]] = {}
    for r in resources:
        if r.type == "aws_api_gateway_usage_plan_key":
            plan, key = target(r, "usage_plan_id"), target(r, "key_id")
            if plan is not None and key is not None:
                attached.setdefault(plan.address, []).append(key)
    for r in resources:
        if r.type == "aws_api_gateway_usage_plan":
            stages = _plan_stages(r, api, target)
            if stages:
                keys = attached.get(r.address, [])
                door.plans.append(_plan(r, stages, [_key_name(k) for k in keys]))
                door.keys += [_key(k) for k in keys if _key(k) not in door.keys]
        elif r.type == "aws_api_gateway_method_settings" and target(r, "rest_api_id") is api:
            _method_settings(r, target, door)
    return door


def _key_name(key: TfResource) -> str:
    return str(key.values.get("name") or key.name)


def _key(key: TfResource) -> dict[str, Any]:
    out: dict[str, Any] = {"name": _key_name(key), "enabled": key.values.get("enabled", True) is not False}
    if isinstance(key.values.get("value"), str) and key.values["value"]:
        out["value"] = key.values["value"]
    return out


def _plan_stages(plan: TfResource, api: TfResource, target: Target) -> list[dict[str, Any]]:
    stages = []
    for index, entry in enumerate(as_list(plan.values.get("api_stages"))):
        entry = mapping(entry)
        if target(plan, f"api_stages[{index}].api_id") is not api or not entry.get("stage"):
            continue
        stage: dict[str, Any] = {"stage": str(entry["stage"])}
        if api.values.get("id"):
            stage["apiId"] = str(api.values["id"])
        throttles = {str(t["path"]): _limits(t) for t in map(mapping, as_list(entry.get("throttle"))) if t.get("path")}
        if throttles:
            stage["throttle"] = throttles
        stages.append(stage)
    return stages


def _limits(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: values[a] for a, k in (("rate_limit", "rateLimit"), ("burst_limit", "burstLimit")) if a in values}


def _plan(plan: TfResource, stages: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": str(plan.values.get("name") or plan.name), "apiStages": stages, "apiKeys": keys}
    throttle = mapping(next(iter(as_list(plan.values.get("throttle_settings"))), None))
    if throttle:
        out["throttle"] = _limits(throttle)
    quota = mapping(next(iter(as_list(plan.values.get("quota_settings"))), None))
    if quota:
        out["quota"] = {
            k: quota[a] for a, k in (("limit", "limit"), ("offset", "offset"), ("period", "period")) if a in quota
        }
    return out


def _method_settings(r: TfResource, target: Target, door: TfDoor) -> None:
    stage_resource = target(r, "stage_name")
    stage = stage_resource.values.get("stage_name") if stage_resource is not None else r.values.get("stage_name")
    settings = mapping(next(iter(as_list(r.values.get("settings"))), None))
    if settings.get("caching_enabled") is True:
        door.notices.append(
            Problem(f"{r.at}.settings.caching_enabled", "not emulated (response cache); responses are never cached")
        )
    rate, burst = settings.get("throttling_rate_limit"), settings.get("throttling_burst_limit")
    if not stage or rate in _UNSET or burst in _UNSET:
        return
    path, _, verb = str(r.values.get("method_path", "*/*")).rpartition("/")
    door.method_settings.append(
        {
            "stage": str(stage),
            "resourcePath": "/*" if path == "*" else "/" + path.lstrip("/"),
            "httpMethod": verb or "*",
            "throttlingRateLimit": rate,
            "throttlingBurstLimit": burst,
        }
    )
