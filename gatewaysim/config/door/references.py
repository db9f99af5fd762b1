"""What the door settings name but nobody declared, and other traps: ``check``'s GS6xx findings.

``serve`` refuses the errors (AWS refuses to deploy them: ``Invalid API Stage ...``, an unknown
key id, an unknown model); ``gatewaysim check`` reports them, with the warnings, as findings.
The rows of ``DOOR_CHECKS`` are the codes; each function yields ``(path, message, fix)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final, NamedTuple, Protocol

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.door.keys import ApiKey, UsagePlan
from gatewaysim.config.door.settings import DoorSettings
from gatewaysim.lint.findings import ERROR, WARNING, Finding, Hit

__all__ = ["DOOR_CHECKS", "DoorCheck", "reference_findings"]

_ACAO: Final = "access-control-allow-origin"


class ApiSettings(Protocol):
    """What the checks read of one API (``gatewaysim.config.load.ApiSettings``)."""

    @property
    def api_id(self) -> str: ...
    @property
    def stages(self) -> tuple[str, ...]: ...
    @property
    def auth(self) -> AuthSettings: ...
    @property
    def door(self) -> DoorSettings: ...


class Settings(Protocol):
    """What the checks read of the config (``gatewaysim.config.load.Settings``)."""

    @property
    def apis(self) -> tuple[ApiSettings, ...]: ...
    @property
    def api_keys(self) -> tuple[ApiKey, ...]: ...
    @property
    def usage_plans(self) -> tuple[UsagePlan, ...]: ...


class DoorCheck(NamedTuple):
    """One row: code, severity, the function yielding ``Hit``s, a one-line summary."""

    code: str
    severity: str
    function: Callable[[Settings, str], Iterable[Hit]]
    summary: str


def _api_paths(settings: Settings, form: str) -> Iterator[tuple[str, ApiSettings]]:
    for i, api in enumerate(settings.apis):
        yield (f"apis[{i}]" if form == "apis" else "api"), api


def _plan_stages(settings: Settings, form: str) -> Iterable[Hit]:
    apis = {api.api_id: api for api in settings.apis}
    only = settings.apis[0].api_id if len(settings.apis) == 1 else None
    for i, plan in enumerate(settings.usage_plans):
        for j, stage in enumerate(plan.api_stages):
            where = f"usage_plans[{i}].apiStages[{j}]"
            api_id = stage.api_id or only
            if api_id is None:
                yield Hit(where, "names no `apiId` and the config declares several apis", "add `apiId`")
            elif api_id not in apis or stage.stage not in apis[api_id].stages:
                message = (
                    f"invalid api stage {{api: {api_id}, stage: {stage.stage}}} specified for usage plan `{plan.name}`"
                )
                yield Hit(where, message, "name a declared api id and one of its stages")


def _plan_keys(settings: Settings, form: str) -> Iterable[Hit]:
    declared = {key.name for key in settings.api_keys} | {key.key_id for key in settings.api_keys}
    for i, plan in enumerate(settings.usage_plans):
        for j, name in enumerate(plan.api_keys):
            if name not in declared:
                message = f"usage plan `{plan.name}` names api key `{name}`, which `api_keys` does not declare"
                yield Hit(f"usage_plans[{i}].apiKeys[{j}]", message, "declare it under `api_keys` (name or id)")


def _one_plan_per_stage(settings: Settings, form: str) -> Iterable[Hit]:
    ids = {key.name: key.key_id for key in settings.api_keys} | {key.key_id: key.key_id for key in settings.api_keys}
    only = settings.apis[0].api_id if len(settings.apis) == 1 else None
    seen: dict[tuple[str, str, str], str] = {}
    for i, plan in enumerate(settings.usage_plans):
        for name in plan.api_keys:
            for stage in plan.api_stages:
                slot = (ids.get(name, name), stage.api_id or only or "", stage.stage)
                if slot in seen and seen[slot] != plan.name:
                    message = (
                        f"api key `{name}` is in usage plans `{seen[slot]}` and `{plan.name}` for stage `{stage.stage}`"
                    )
                    yield Hit(f"usage_plans[{i}].apiKeys", message, "a key may be in only one plan per api stage")
                seen.setdefault(slot, plan.name)


def _method_label(route: object) -> str:
    return f"{getattr(route, 'method', '?')} {getattr(route, 'resource', '?')}"


def _models(settings: Settings, form: str) -> Iterable[Hit]:
    for where, api in _api_paths(settings, form):
        for route in api.auth.routes:
            for content_type, name in route.request_models:
                if name not in api.door.models:
                    message = f"method `{_method_label(route)}` maps `{content_type}` to unknown model `{name}`"
                    yield Hit(f"{where}.routes", message, "declare the model under `models`")


def _validators(settings: Settings, form: str) -> Iterable[Hit]:
    for where, api in _api_paths(settings, form):
        for route in api.auth.routes:
            name = route.request_validator
            if name is not None and name not in api.door.request_validators:
                message = f"method `{_method_label(route)}` names unknown request validator `{name}`"
                yield Hit(f"{where}.routes", message, "declare it under `request_validators`")


def _cors_without_acao(settings: Settings, form: str) -> Iterable[Hit]:
    for where, api in _api_paths(settings, form):
        if api.door.cors is None:
            continue
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            spec = api.door.gateway_responses.get(kind)
            if spec is None or not any(name.lower() == _ACAO for name, _ in spec.headers):
                message = f"`cors` is set but `{kind}` adds no Access-Control-Allow-Origin"
                message += ": browsers see the gateway's own errors as CORS failures"
                fix = f"add `gateway_responses.{kind}.responseParameters:"
                fix += """ {gatewayresponse.header.Access-Control-Allow-Origin: "'*'"}`"""
                yield Hit(f"{where}.cors", message, fix)


def _key_required_without_plan(settings: Settings, form: str) -> Iterable[Hit]:
    only = settings.apis[0].api_id if len(settings.apis) == 1 else None
    covered = {(s.api_id or only, s.stage) for plan in settings.usage_plans for s in plan.api_stages if plan.api_keys}
    for where, api in _api_paths(settings, form):
        requires = api.door.api_key_required or any(r.api_key_required for r in api.auth.routes)
        bare = [stage for stage in api.stages if (api.api_id, stage) not in covered]
        if requires and bare:
            message = (
                f"methods require an api key but no usage plan with keys covers stage `{bare[0]}`: every call is 403"
            )
            yield Hit(where, message, "add a usage plan listing the stage and a key")


def _authorizer_source(settings: Settings, form: str) -> Iterable[Hit]:
    for where, api in _api_paths(settings, form):
        if api.door.api_key_source != "AUTHORIZER":
            continue
        for route in api.auth.routes:
            required = route.api_key_required if route.api_key_required is not None else api.door.api_key_required
            if required and route.authorization_type is not AuthType.CUSTOM:
                message = (
                    f"method `{_method_label(route)}` requires a key from an authorizer but has no Lambda authorizer"
                )
                yield Hit(
                    f"{where}.routes", message, "give it `authorizationType: CUSTOM` or use api_key_source HEADER"
                )


DOOR_CHECKS: Final[tuple[DoorCheck, ...]] = (
    DoorCheck("GS601", ERROR, _plan_stages, "usage plan names an api or stage that does not exist"),
    DoorCheck("GS602", ERROR, _plan_keys, "usage plan names an api key that is not declared"),
    DoorCheck("GS603", ERROR, _one_plan_per_stage, "api key in two usage plans for one api stage"),
    DoorCheck("GS604", ERROR, _models, "method maps a content type to an undeclared model"),
    DoorCheck("GS605", ERROR, _validators, "method names an undeclared request validator"),
    DoorCheck("GS606", WARNING, _cors_without_acao, "cors set, but DEFAULT_4XX/5XX add no Access-Control-Allow-Origin"),
    DoorCheck("GS607", WARNING, _key_required_without_plan, "methods require a key, but a stage has no plan with keys"),
    DoorCheck("GS608", WARNING, _authorizer_source, "key source AUTHORIZER on a method without a Lambda authorizer"),
)


def reference_findings(settings: Settings, form: str = "api") -> Iterator[Finding]:
    """Every finding of ``DOOR_CHECKS``; ``form`` is ``api`` or ``apis`` (how the config declared them)."""
    for check in DOOR_CHECKS:
        for hit in check.function(settings, form):
            yield Finding(check.code, check.severity, hit.path, hit.message, hit.fix)
