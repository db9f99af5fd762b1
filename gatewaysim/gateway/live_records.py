"""The serialisable form of the control plane's live writes: API keys with their usage plans, stage variables.

``gateway.live`` stores and publishes these records so every process of a gateway (``serve
--workers N``) and every gateway sharing its ``store:`` holds the same keys and variables. A
record is plain JSON: the keys (every ``ApiKey`` field) and, per usage plan, the keys it names
(plans themselves come from the config and never change live); or one API's stage variables.

``keys_base`` and ``variables_base`` fingerprint what a process's own config gives, so a process
can tell whether a stored record was made on top of the same config (``gateway.live``'s rule for
late joiners). A generated key value counts as its name only: every process generates its own, and
the first process's values are the ones every other adopts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config.door.keys import ApiKey
from gatewaysim.gateway.door.keys import KeyRing

__all__ = [
    "keys_base",
    "keys_record",
    "ring_from_record",
    "variables_base",
    "variables_from_record",
    "variables_record",
]

_KEY_FIELDS: Final = (
    ("id", "key_id"),
    ("name", "name"),
    ("value", "value"),
    ("enabled", "enabled"),
    ("generated", "generated"),
    ("customerId", "customer_id"),
    ("description", "description"),
)
_TEXTS: Final = frozenset({"id", "name", "value"})
_OPTIONAL_TEXTS: Final = frozenset({"customerId", "description"})
_FLAGS: Final = frozenset({"enabled", "generated"})


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _key(key: ApiKey) -> dict[str, Any]:
    return {wire: getattr(key, name) for wire, name in _KEY_FIELDS}


def keys_record(ring: KeyRing) -> dict[str, Any]:
    """The ring's keys and, per usage plan id, the keys that plan names (names or ids)."""
    return {
        "keys": [_key(key) for key in ring.keys],
        "plans": {plan.plan_id: list(plan.api_keys) for plan in ring.plans},
    }


def keys_base(ring: KeyRing) -> str:
    """What identifies the keys and plans a config gives (a generated value counts as its name)."""
    record = keys_record(ring)
    for key in record["keys"]:
        if key["generated"]:
            key["value"] = ""
    plans = [[p.plan_id, p.name, repr(p.api_stages), repr(p.throttle), repr(p.quota)] for p in ring.plans]
    return _digest([record, plans])


def _key_from(item: Any) -> ApiKey:
    if not isinstance(item, Mapping):
        raise ValueError("a key is not an object")
    for wire, _ in _KEY_FIELDS:
        value = item.get(wire)
        valid = (
            isinstance(value, str)
            if wire in _TEXTS
            else isinstance(value, bool)
            if wire in _FLAGS
            else value is None or isinstance(value, str)
        )
        if not valid:
            raise ValueError(f"key field `{wire}` is not valid")
    fields: dict[str, Any] = {name: item.get(wire) for wire, name in _KEY_FIELDS}
    return ApiKey(**fields)


def ring_from_record(record: Mapping[str, Any], config: KeyRing) -> KeyRing:
    """The ring a record describes, on the plans of ``config`` (``ValueError`` when it is malformed)."""
    keys, plan_keys = record.get("keys"), record.get("plans")
    if not isinstance(keys, list) or not isinstance(plan_keys, Mapping):
        raise ValueError("the record has no `keys` list or no `plans` object")
    built = tuple(_key_from(item) for item in keys)
    for plan_id, names in plan_keys.items():
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise ValueError(f"usage plan `{plan_id}` keys are not a list of names")
    plans = [dataclasses.replace(plan, api_keys=tuple(plan_keys.get(plan.plan_id, ()))) for plan in config.plans]
    return KeyRing(built, plans, config.only_api)


def variables_record(stage_variables: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """An API's stage variables as plain JSON objects (stage -> name -> value)."""
    return {stage: dict(variables) for stage, variables in stage_variables.items()}


def variables_base(stage_variables: Mapping[str, Mapping[str, str]]) -> str:
    """What identifies the stage variables a config gives one API."""
    return _digest(variables_record(stage_variables))


def variables_from_record(record: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The stage variables of a record (``ValueError`` when they are not stage -> name -> text)."""
    every = record.get("variables")
    if not isinstance(every, Mapping):
        raise ValueError("the record has no `variables` object")
    out: dict[str, dict[str, str]] = {}
    for stage, variables in every.items():
        if not isinstance(variables, Mapping) or not all(isinstance(v, str) for v in variables.values()):
            raise ValueError(f"stage `{stage}` variables are not names and texts")
        out[str(stage)] = {str(name): value for name, value in variables.items()}
    return out
