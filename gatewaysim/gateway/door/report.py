"""Each API key with its plans and the quota it has left: ``GET /_gatewaysim/keys``, ``gatewaysim keys``.

Values are masked as AWS logs them (``****`` + the last 6 characters) unless asked for
(``?includeValues=true``, like ``aws apigateway get-api-keys --include-values``).
"""

from __future__ import annotations

from typing import Any

from gatewaysim.config.door.keys import ApiKey, UsagePlan
from gatewaysim.gateway.door.keys import KeyRing
from gatewaysim.gateway.door.limits import LimitStore, QuotaCounter

__all__ = ["keys_report"]


async def _plan(plan: UsagePlan, key: ApiKey, limits: LimitStore, now: float, only_api: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": plan.plan_id,
        "name": plan.name,
        "apiStages": [f"{s.api_id or only_api}/{s.stage}" for s in plan.api_stages],
    }
    if plan.throttle is not None:
        item["throttle"] = {"rateLimit": plan.throttle.rate_limit, "burstLimit": plan.throttle.burst_limit}
    quota = plan.quota
    if quota is not None:
        counter = QuotaCounter(f"quota/{plan.plan_id}/{key.key_id}", quota.limit, quota.period, quota.offset)
        item["quota"] = {
            "limit": quota.limit,
            "period": quota.period,
            "offset": quota.offset,
            "remaining": await limits.remaining(counter, now),
        }
    return item


async def keys_report(
    ring: KeyRing, limits: LimitStore, now: float, *, include_values: bool = False, only_api: str | None = None
) -> list[dict[str, Any]]:
    """Every declared key: id, name, value (masked unless ``include_values``), enabled, plans with quota left."""
    return [
        {
            "id": key.key_id,
            "name": key.name,
            "value": key.value if include_values else key.masked,
            "enabled": key.enabled,
            "generated": key.generated,
            "usagePlans": [await _plan(plan, key, limits, now, only_api) for plan in ring.plans_of(key)],
        }
        for key in ring.keys
    ]
