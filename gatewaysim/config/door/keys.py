"""API keys and usage plans (spec 13, 14): account-level, so top-level in the config.

::

    api_keys:
      - {name: partner, value: "abcdefghij0123456789"}   # value: 20-128 characters; absent = generated at start
      - {name: intern, enabled: false}
    usage_plans:
      - name: gold
        apiStages: [{stage: prod, throttle: {"/pets/GET": {rateLimit: 1, burstLimit: 1}}}]   # apiId: needed with `apis`
        throttle: {rateLimit: 10, burstLimit: 20}
        quota: {limit: 1000, period: DAY, offset: 0}
        apiKeys: [partner]                                   # names or ids (UsagePlanKey)

A key is declared once (its name and value unique); a plan names the keys it serves. Whether a
plan's stages and keys exist is checked once every API is read (``references``).
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.door.throttle import Quota, Throttle, quota, throttle
from gatewaysim.config.fields import INVALID, Checker

__all__ = [
    "KEY_VALUE_MAX",
    "KEY_VALUE_MIN",
    "ApiKey",
    "ApiStage",
    "UsagePlan",
    "api_keys",
    "generate_key_value",
    "resource_id",
    "usage_plans",
]

KEY_VALUE_MIN: Final = 20
KEY_VALUE_MAX: Final = 128
KEY_NAME_MAX: Final = 1024
_ALPHABET: Final = string.ascii_letters + string.digits
_PRINTABLE: Final = frozenset(chr(c) for c in range(0x21, 0x7F))  # a header value: no space, no control


def resource_id(kind: str, name: str) -> str:
    """A stable 10-character lower-case id for a named resource (AWS ids look like ``a1b2c3d4e5``)."""
    digest = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()
    return digest[:10]


def generate_key_value() -> str:
    """A fresh 40-character alphanumeric key value, as API Gateway generates them."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key. ``generated``: the value was made at start (print it)."""

    name: str
    value: str = field(repr=False)
    key_id: str
    enabled: bool = True
    generated: bool = False
    customer_id: str | None = None
    description: str | None = None

    @property
    def masked(self) -> str:
        """The value as AWS logs it: ``****`` and the last 6 characters."""
        return "****" + self.value[-6:]


@dataclass(frozen=True, slots=True)
class ApiStage:
    """A stage a usage plan covers; ``api_id`` None: the config's only API. ``methods``: per-method throttles."""

    api_id: str | None
    stage: str
    methods: tuple[tuple[str, Throttle], ...] = ()  # ("/pets/GET", Throttle)


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """A usage plan: the stages it covers, its per-key throttle and quota, its keys (names or ids)."""

    name: str
    plan_id: str
    api_stages: tuple[ApiStage, ...] = ()
    throttle: Throttle | None = None
    quota: Quota | None = None
    api_keys: tuple[str, ...] = ()


def _key_value(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        c.add(path, f"must be a string, got `{raw}`")
        return INVALID
    if len(raw) < KEY_VALUE_MIN:
        c.add(path, f"api key value should be at least {KEY_VALUE_MIN} characters, got {len(raw)}")
        return INVALID
    if len(raw) > KEY_VALUE_MAX:
        c.add(path, f"api key value exceeds maximum size of {KEY_VALUE_MAX} characters, got {len(raw)}")
        return INVALID
    if not set(raw) <= _PRINTABLE:
        c.add(path, "api key value must be printable ASCII without spaces (it travels in a header)")
        return INVALID
    return raw


def _name(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, str) or not raw or len(raw) > KEY_NAME_MAX:
        c.add(path, f"must be a name of 1 to {KEY_NAME_MAX} characters, got `{raw}`")
        return INVALID
    return raw


_KEY_FIELDS: Final[f.Table] = {
    "name": _name,
    "value": _key_value,
    "id": _name,
    "enabled": f.boolean,
    "customerId": f.optional_string,
    "description": f.optional_string,
}


def api_keys(c: Checker, path: str, raw: Any) -> Any:
    """The top-level ``api_keys`` list -> ``tuple[ApiKey, ...]`` (names and values unique)."""
    if not isinstance(raw, list):
        c.add(path, "must be a list of api keys")
        return INVALID
    keys: list[ApiKey] = []
    seen: dict[tuple[str, str], str] = {}
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        fields = c.section(where, item, _KEY_FIELDS) if isinstance(item, Mapping) else None
        if fields is None:
            c.add(where, "must be a mapping with at least a `name`")
            continue
        if "name" not in fields:
            if "name" not in item:
                c.add(where, "needs a `name`")
            continue
        key = _build_key(fields)
        for label, value in (("name", key.name), ("value", key.value), ("id", key.key_id)):
            if (label, value) in seen:  # AWS: two keys with one value are the same key
                c.add(f"{where}.{label}", f"this api key {label} is already used by `{seen[label, value]}`")
            seen[label, value] = where
        keys.append(key)
    return tuple(keys)


def _build_key(fields: Mapping[str, Any]) -> ApiKey:
    given = fields.get("value")
    return ApiKey(
        name=fields["name"],
        value=given if given is not None else generate_key_value(),
        key_id=fields.get("id") or resource_id("apikey", fields["name"]),
        enabled=fields.get("enabled", True),
        generated=given is None,
        customer_id=fields.get("customerId"),
        description=fields.get("description"),
    )


def _method_throttles(c: Checker, path: str, raw: Any) -> tuple[tuple[str, Throttle], ...]:
    if not isinstance(raw, Mapping):
        c.add(path, 'must map `"/resource/VERB"` to `{rateLimit, burstLimit}`')
        return ()
    out: list[tuple[str, Throttle]] = []
    for key, value in raw.items():
        where = f"{path}.{key}"
        resource, _, verb = str(key).rpartition("/")
        if not resource.startswith("/") or not verb or verb != verb.upper():
            c.add(where, f'must be `"/resource/VERB"` (root: `"//GET"`), got `{key}`')
            continue
        found = throttle(c, where, value)
        if found is not INVALID:
            out.append((_normal_method_key(resource, verb), found))
    return tuple(out)


def _normal_method_key(resource: str, verb: str) -> str:
    """``//GET`` (AWS's root form) -> ``/GET``; ``/pets/GET`` stays."""
    return f"{resource.rstrip('/') or '/'}/{verb}" if resource != "/" else f"//{verb}"


def _api_stage(c: Checker, path: str, raw: Any) -> ApiStage | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("stage"), str):
        c.add(path, "must be a mapping with a `stage` (and `apiId` when the config declares several apis)")
        return None
    for key in raw:
        if key not in ("apiId", "stage", "throttle"):
            c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: apiId, stage, throttle)")
    api_id = raw.get("apiId")
    if api_id is not None and not isinstance(api_id, str):
        c.add(f"{path}.apiId", f"must be an api id, got `{api_id}`")
        return None
    methods = _method_throttles(c, f"{path}.throttle", raw["throttle"]) if "throttle" in raw else ()
    return ApiStage(api_id, raw["stage"], methods)


def _plan(c: Checker, path: str, raw: Any) -> UsagePlan | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        c.add(path, "must be a mapping with at least a `name`")
        return None
    known = ("name", "id", "description", "apiStages", "throttle", "quota", "apiKeys")
    for key in raw:
        if key not in known:
            c.add(f"{path}.{key}", f"unknown key `{key}` (expected one of: {', '.join(known)})")
    stages_raw = raw.get("apiStages", [])
    if not isinstance(stages_raw, list):
        c.add(f"{path}.apiStages", "must be a list of `{apiId, stage, throttle}`")
        stages_raw = []
    stages = [_api_stage(c, f"{path}.apiStages[{i}]", s) for i, s in enumerate(stages_raw)]
    keys_raw = raw.get("apiKeys", [])
    if not isinstance(keys_raw, list) or not all(isinstance(k, str) for k in keys_raw):
        c.add(f"{path}.apiKeys", "must be a list of api key names or ids")
        keys_raw = []
    limits = {k: parse(c, f"{path}.{k}", raw[k]) for k, parse in (("throttle", throttle), ("quota", quota)) if k in raw}
    given_id = raw.get("id")
    plan_id = given_id if isinstance(given_id, str) and given_id else resource_id("usageplan", raw["name"])
    return UsagePlan(
        name=raw["name"],
        plan_id=plan_id,
        api_stages=tuple(s for s in stages if s is not None),
        throttle=limits["throttle"] if limits.get("throttle", INVALID) is not INVALID else None,
        quota=limits["quota"] if limits.get("quota", INVALID) is not INVALID else None,
        api_keys=tuple(keys_raw),
    )


def usage_plans(c: Checker, path: str, raw: Any) -> Any:
    """The top-level ``usage_plans`` list -> ``tuple[UsagePlan, ...]`` (names unique)."""
    if not isinstance(raw, list):
        c.add(path, "must be a list of usage plans")
        return INVALID
    plans = [_plan(c, f"{path}[{i}]", item) for i, item in enumerate(raw)]
    names: set[str] = set()
    for i, plan in enumerate(plans):
        if plan is not None and plan.name in names:
            c.add(f"{path}[{i}].name", f"usage plan name `{plan.name}` is used twice")
        if plan is not None:
            names.add(plan.name)
    return tuple(p for p in plans if p is not None)
