"""The API keys and usage plans while serving: which key a value is, which plan serves it where.

Built once from the settings (spec 13.2): a key opens an API stage only when it is enabled and a
usage plan that lists the stage names it. Two keys with the same value cannot both be declared
(the config refuses it), so a value finds at most one key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from gatewaysim.config.door.keys import ApiKey, ApiStage, UsagePlan

__all__ = ["KeyHolder", "KeyRing", "PlanStage"]


@dataclass(frozen=True, slots=True)
class PlanStage:
    """The usage plan serving one key on one API stage, with that stage's per-method throttles."""

    plan: UsagePlan
    stage: ApiStage


class KeyRing:
    """Key lookups by value and by id; the plan of a key on an API stage."""

    def __init__(self, keys: Iterable[ApiKey], plans: Iterable[UsagePlan], only_api: str | None = None) -> None:
        self.keys: tuple[ApiKey, ...] = tuple(keys)
        self.plans: tuple[UsagePlan, ...] = tuple(plans)
        self.only_api = only_api  # the API a plan stage without an api id means (the config's only one)
        self.by_value: Mapping[str, ApiKey] = {key.value: key for key in self.keys}
        self.by_id: Mapping[str, ApiKey] = {key.key_id: key for key in self.keys}
        ids = {key.name: key.key_id for key in self.keys} | {key.key_id: key.key_id for key in self.keys}
        served: dict[tuple[str, str, str], PlanStage] = {}
        for plan in self.plans:
            for stage in plan.api_stages:
                api_id = stage.api_id or only_api or ""
                for name in plan.api_keys:
                    if name in ids:
                        served.setdefault((ids[name], api_id, stage.stage), PlanStage(plan, stage))
        self._served = served

    def api_key(self, value: str | None) -> tuple[str, str | None] | None:
        """``(value, key id)`` for an authorizer event: the id when the value is a declared key."""
        if value is None:
            return None
        key = self.by_value.get(value)
        return value, key.key_id if key is not None else None

    def plan_for(self, key: ApiKey, api_id: str, stage: str) -> PlanStage | None:
        """The plan that lets ``key`` call ``api_id``'s ``stage``, None when none does."""
        return self._served.get((key.key_id, api_id, stage))

    def plans_of(self, key: ApiKey) -> list[UsagePlan]:
        """Every usage plan that names ``key``."""
        return [plan for plan in self.plans if key.name in plan.api_keys or key.key_id in plan.api_keys]


class KeyHolder(Protocol):
    """Who holds the live ``KeyRing`` (the gateway): the door reads it per request, the control plane replaces it."""

    keyring: KeyRing
