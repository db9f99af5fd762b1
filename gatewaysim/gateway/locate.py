"""Where a request line leads: the API, the normalised target and the method serving it.

``locate`` is a pure function of the request line and the startup settings (hot reload swaps
policies only), so the gateway remembers its answers per request line (``LOCATE_CACHE_SIZE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from gatewaysim.arn import method_arn
from gatewaysim.config.load import ApiSettings, Settings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.gateway.dispatch import select_api
from gatewaysim.gateway.door.plan import MethodDoor, method_door
from gatewaysim.gateway.paths import Rejected, Target, check_method, parse_target
from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["LOCATE_CACHE_MAX_TARGET", "LOCATE_CACHE_SIZE", "Located", "Unlocated", "locate", "route"]

LOCATE_CACHE_SIZE: Final = 4096
"""Request lines whose ``Located`` the gateway remembers (least recently used ones go first)."""
LOCATE_CACHE_MAX_TARGET: Final = 1024
"""Longer request targets are located afresh every time, so the cache stays small."""


@dataclass(frozen=True, slots=True)
class Located:
    """Where a request line leads: the API, the normalised target, the method serving it (None: none)."""

    api: ApiRuntime
    target: Target
    method: RouteMatch | None
    door: MethodDoor | None = None  # what the door checks for this method and stage (None: nothing)
    arn: str | None = None  # the method ARN (remembered with the rest; None: identity computes it)


@dataclass(frozen=True, slots=True)
class Unlocated:
    """A request line that leads nowhere: why, and the API it named if it got that far."""

    reason: str
    api_id: str | None = None


def route(method: str, raw_target: str, api: ApiSettings, *, prefixed: bool = False) -> Target | Rejected:
    """The normalised target of ``method raw_target`` (any API prefix already stripped) on ``api``.

    With ``url_style: bare`` the one stage is implied (``/pets`` is ``/prod/pets``), unless the
    ``/restapis/`` prefix named it (``prefixed``); the method ARN still carries the stage.
    """
    bad_method = check_method(method)
    if bad_method is not None:
        return bad_method
    if api.url_style == "bare" and not prefixed and raw_target.startswith("/"):
        raw_target = f"/{api.stages[0]}{raw_target}"  # SECURITY: only an origin-form path gets the stage
    target = parse_target(raw_target)  # SECURITY: the raw target; request.path is already decoded
    if isinstance(target, Target) and target.stage not in api.stages:
        return Rejected(_no_stage(target, api.stages))
    return target


def _no_stage(target: Target, stages: tuple[str, ...]) -> str:
    """The log line for a first segment that is not a stage, with the path it was probably meant as."""
    path = target.full_path if target.path != "/" else f"/{target.stage}"
    return f"no stage '{target.stage}' (stages: {', '.join(stages)}); did you mean /{stages[0]}{path}?"


def locate(
    settings: Settings, apis: Mapping[str, ApiRuntime], host: str, method: str, raw_target: str
) -> Located | Unlocated:
    """The API, target and method a request line names, or why it names none.

    A pure function of its arguments and the startup settings (hot reload swaps policies
    only), so ``run_stages`` remembers its answers per request line.
    """
    selected = select_api(apis, host, raw_target)  # rules: gatewaysim.gateway.dispatch
    if isinstance(selected, Rejected):
        return Unlocated(selected.reason)
    api = selected.api
    target = route(method, selected.raw_target, api.settings, prefixed=selected.prefixed)
    if isinstance(target, Rejected):
        return Unlocated(target.reason, api.settings.api_id)
    arn = method_arn(api.settings.arn, target.stage, method, target.path)
    match = api.settings.auth.match(method, target.path)
    if match is None:
        return Located(api, target, None, None, arn)
    door = method_door(settings, api.settings, api.models, match.route, target.stage)
    return Located(api, target, match, door, arn)
