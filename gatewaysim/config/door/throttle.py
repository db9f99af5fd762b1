"""Throttle and quota values (spec 14): a token bucket's rate and burst, a usage plan's quota.

Config forms (AWS's field names)::

    throttle: {rateLimit: 10, burstLimit: 20}          # usage plan, route `throttling`, api `throttling`
    quota: {limit: 1000, period: DAY, offset: 0}         # usage plan
    method_settings:                                     # api: stage method settings (CFN MethodSetting)
      - {stage: prod, resourcePath: /pets, httpMethod: GET, throttlingRateLimit: 1, throttlingBurstLimit: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config.fields import INVALID, Checker

__all__ = [
    "ALL_METHODS",
    "QUOTA_PERIODS",
    "MethodSetting",
    "Quota",
    "Throttle",
    "method_settings",
    "quota",
    "throttle",
]

QUOTA_PERIODS: Final = ("DAY", "WEEK", "MONTH")
ALL_METHODS: Final = "*/*"
"""The method-settings key for every method of a stage (``ResourcePath: /*``, ``HttpMethod: *``)."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """A token bucket: ``rate_limit`` tokens a second (may be fractional), at most ``burst_limit`` held."""

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True, slots=True)
class Quota:
    """At most ``limit`` requests per ``period`` (DAY, WEEK, MONTH; calendar UTC), ``offset`` fewer in the first."""

    limit: int
    period: str
    offset: int = 0


@dataclass(frozen=True, slots=True)
class MethodSetting:
    """A stage's throttle for one method (``/pets/{id}`` + ``GET``) or every method (``*/*``).

    ``stage`` None: every stage of the API.
    """

    stage: str | None
    method_key: str  # "*/*" or "/pets/{id}/GET" (resource path + "/" + HTTP method or ANY)
    throttle: Throttle


def _number(c: Checker, path: str, raw: Any, *, integer: bool) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(raw, bool) or not isinstance(raw, kinds) or raw < 0 or raw != raw or raw == float("inf"):
        what = "an integer" if integer else "a number"
        c.add(path, f"must be {what} of at least 0, got `{raw}`")
        return INVALID
    return raw


def _pair(c: Checker, path: str, raw: Any, rate_key: str, burst_key: str) -> Throttle | None:
    if not isinstance(raw, Mapping):
        c.add(path, f"must be a mapping with `{rate_key}` and `{burst_key}`")
        return None
    unknown = [k for k in raw if k not in (rate_key, burst_key)]
    for key in unknown:
        c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {rate_key}, {burst_key})")
    missing = [k for k in (rate_key, burst_key) if k not in raw]
    if missing:
        c.add(path, f"needs both `{rate_key}` and `{burst_key}` (missing `{missing[0]}`)")
        return None
    rate = _number(c, f"{path}.{rate_key}", raw[rate_key], integer=False)
    burst = _number(c, f"{path}.{burst_key}", raw[burst_key], integer=True)
    if rate is INVALID or burst is INVALID or unknown:
        return None
    return Throttle(float(rate), int(burst))


def throttle(c: Checker, path: str, raw: Any) -> Any:
    """``{rateLimit, burstLimit}`` -> ``Throttle``."""
    found = _pair(c, path, raw, "rateLimit", "burstLimit")
    return INVALID if found is None else found


def quota(c: Checker, path: str, raw: Any) -> Any:
    """``{limit, period, offset}`` -> ``Quota``."""
    if not isinstance(raw, Mapping):
        c.add(path, "must be a mapping with `limit` and `period` (and optionally `offset`)")
        return INVALID
    ok = True
    for key in raw:
        if key not in ("limit", "period", "offset"):
            c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: limit, period, offset)")
            ok = False
    limit = _number(c, f"{path}.limit", raw.get("limit"), integer=True)
    offset = _number(c, f"{path}.offset", raw.get("offset", 0), integer=True)
    period = raw.get("period")
    if period not in QUOTA_PERIODS:
        c.add(f"{path}.period", f"must be one of `DAY`, `WEEK`, `MONTH`, got `{period}`")
        ok = False
    if limit is INVALID or offset is INVALID or not ok:
        return INVALID
    if offset > limit:
        c.add(f"{path}.offset", f"must not exceed the limit `{limit}`, got `{offset}`")
        return INVALID
    return Quota(int(limit), str(period), int(offset))


def method_key(resource_path: str, http_method: str) -> str | None:
    """``/pets`` + ``GET`` -> ``/pets/GET``; ``/*`` + ``*`` -> ``*/*``; None when only one is a wildcard."""
    if resource_path == "/*" and http_method == "*":
        return ALL_METHODS
    if "*" in (resource_path, http_method):
        return None
    return f"{resource_path.replace('~1', '/')}/{http_method.upper()}"


_SETTING_KEYS: Final = ("stage", "resourcePath", "httpMethod", "throttlingRateLimit", "throttlingBurstLimit")


def _setting(c: Checker, path: str, raw: Any, stages: tuple[str, ...]) -> MethodSetting | None:
    if not isinstance(raw, Mapping):
        c.add(path, "must be a mapping like `{resourcePath: /pets, httpMethod: GET, throttlingRateLimit: 1, ...}`")
        return None
    rates = {k: v for k, v in raw.items() if k in ("throttlingRateLimit", "throttlingBurstLimit")}
    for key in raw:
        if key not in _SETTING_KEYS:
            c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {', '.join(_SETTING_KEYS)})")
    found = _pair(c, path, rates, "throttlingRateLimit", "throttlingBurstLimit")
    stage = raw.get("stage")
    if stage is not None and stage not in stages:
        c.add(f"{path}.stage", f"unknown stage `{stage}` (the api has: {', '.join(stages)})")
        return None
    resource, verb = raw.get("resourcePath", "/*"), raw.get("httpMethod", "*")
    key = method_key(str(resource), str(verb)) if isinstance(resource, str) and isinstance(verb, str) else None
    if key is None or not (key == ALL_METHODS or str(resource).startswith("/")):
        c.add(
            path, f"`resourcePath` and `httpMethod` must name one method or be `/*` and `*`, got `{resource}` `{verb}`"
        )
        return None
    return MethodSetting(stage, key, found) if found is not None else None


def method_settings(c: Checker, path: str, raw: Any, stages: tuple[str, ...]) -> tuple[MethodSetting, ...]:
    """The ``method_settings`` list of one API."""
    if not isinstance(raw, list):
        c.add(path, "must be a list of method settings")
        return ()
    found = [_setting(c, f"{path}[{i}]", item, stages) for i, item in enumerate(raw)]
    return tuple(s for s in found if s is not None)
