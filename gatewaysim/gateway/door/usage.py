"""The usage-plan step (spec 13.2, 14): the API key, then every throttle bucket, then the quota.

Logged by AWS as one step ("Verifying Usage Plan for request ..."), after the authorizer and
before "Starting execution" (a real 2017 execution log; spec 13.2). For a method that requires a
key:

* source ``HEADER``: the ``x-api-key`` header (case-insensitive); ``AUTHORIZER``: the Lambda
  authorizer's ``usageIdentifierKey`` (the client's header does not count);
* no key, an unknown key, a disabled key, or a key no usage plan serves on this API stage: 403
  ``INVALID_API_KEY`` ``{"message":"Forbidden"}`` (``ForbiddenException``);
* the buckets: the plan's per-method throttle for this key (``apiStages[].throttle``), else the
  plan's per-key throttle; then the stage's method bucket and the account bucket; any empty: 429
  ``THROTTLED`` ``Too Many Requests``;
* then the plan's quota for this key: used up, 429 ``QUOTA_EXCEEDED`` ``Limit Exceeded``.

A method that needs no key ignores any key sent and takes no plan bucket or quota (spec 13.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

from gatewaysim.config.door.keys import ApiKey
from gatewaysim.gateway.door.keys import KeyRing, PlanStage
from gatewaysim.gateway.door.limits import Admission, Bucket, LimitStore, QuotaCounter
from gatewaysim.gateway.door.plan import MethodDoor

__all__ = ["API_KEY_HEADER", "UsageRefusal", "UsageResult", "check_usage", "plan_buckets", "quota_of"]

API_KEY_HEADER: Final = "x-api-key"
_TYPES: Final[Mapping[Admission, tuple[str, str]]] = {
    Admission.THROTTLED: ("THROTTLED", "throttle"),
    Admission.QUOTA_EXCEEDED: ("QUOTA_EXCEEDED", "quota"),
}


class UsageRefusal(NamedTuple):
    """The step said no: the gateway response type, the refusing stage for the log, the reason."""

    response_type: str
    stage: str  # apiKey | throttle | quota
    reason: str


class UsageResult(NamedTuple):
    """The step let the request on; ``key`` is the key it checked (None: the method needs none)."""

    key: ApiKey | None


def plan_buckets(served: PlanStage, key: ApiKey, door: MethodDoor) -> tuple[Bucket, ...]:
    """The key's usage-plan bucket: per method when the plan's stage says, else per key."""
    plan = served.plan
    for method, throttle in served.stage.methods:
        if method == door.method_key:
            where = f"plan/{plan.plan_id}/{key.key_id}/{door.api_id}/{door.stage}{door.method_key}"
            return (Bucket(where, throttle.rate_limit, throttle.burst_limit),)
    if plan.throttle is None:
        return ()
    return (Bucket(f"plan/{plan.plan_id}/{key.key_id}", plan.throttle.rate_limit, plan.throttle.burst_limit),)


def quota_of(served: PlanStage, key: ApiKey) -> QuotaCounter | None:
    """The key's quota counter in its plan (counted across every stage of the plan)."""
    quota = served.plan.quota
    if quota is None:
        return None
    return QuotaCounter(f"quota/{served.plan.plan_id}/{key.key_id}", quota.limit, quota.period, quota.offset)


def _key(door: MethodDoor, ring: KeyRing, value: str | None) -> tuple[ApiKey, PlanStage] | UsageRefusal:
    if not value:
        return UsageRefusal("INVALID_API_KEY", "apiKey", "method requires an api key and none was given")
    key = ring.by_value.get(value)
    if key is None:
        return UsageRefusal("INVALID_API_KEY", "apiKey", "api key is not a known key")
    if not key.enabled:
        return UsageRefusal("INVALID_API_KEY", "apiKey", f"api key {key.masked} is disabled")
    served = ring.plan_for(key, door.api_id, door.stage)
    if served is None:
        reason = f"api key {key.masked} is not associated with a usage plan for api stage {door.api_id}/{door.stage}"
        return UsageRefusal("INVALID_API_KEY", "apiKey", reason)
    return key, served


async def check_usage(
    door: MethodDoor, ring: KeyRing, limits: LimitStore, now: float, key_value: str | None
) -> UsageResult | UsageRefusal:
    """Run the step for one request; ``key_value`` is the header's or the authorizer's key."""
    buckets = door.buckets
    quota: QuotaCounter | None = None
    key: ApiKey | None = None
    if door.requires_key:
        found = _key(door, ring, key_value)
        if isinstance(found, UsageRefusal):
            return found
        key, served = found
        buckets = (*plan_buckets(served, key, door), *buckets)
        quota = quota_of(served, key)
    if buckets or quota is not None:
        admission = await limits.admit(buckets, quota, now)
        if admission is not Admission.ADMITTED:
            response_type, stage = _TYPES[admission]
            return UsageRefusal(response_type, stage, f"{stage} limit exceeded for {door.api_id}/{door.stage}")
    return UsageResult(key)
