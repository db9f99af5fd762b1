"""SAM templates: the resource policy of ``AWS::Serverless::Api`` (and the implicit ``ServerlessRestApi``).

The API's paths are those of its inline ``DefinitionBody`` and, when SAM manages the definition
(no ``DefinitionBody``, or ``MergeDefinitions``), the ``Api`` events of functions pointing at it,
in template order. Then, as aws-sam-translator does: event-level ``Auth.ResourcePolicy`` first (in
function translation), ``Cors`` adds OPTIONS to every path, then the API's ``Auth.ResourcePolicy``
over every path, then its ``CustomStatements``. ``sam.py`` holds the statement expansion itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatewaysim.imports.intrinsics import UNRESOLVED
from gatewaysim.imports.model import ImportedPolicy, Route, finish_document
from gatewaysim.imports.openapi import POLICY_KEY
from gatewaysim.imports.sam import ANY_METHOD, HTTP_METHODS, expand_resource_policy
from gatewaysim.imports.template import Template, mapping

__all__ = ["IMPLICIT_API", "deep_merge", "has_implicit_api", "implicit_api", "serverless_api"]

IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"


@dataclass(frozen=True, slots=True)
class ApiEvent:
    """One ``Type: Api`` event of a function."""

    location: str
    api: str
    path: str
    method: str
    auth: Mapping[str, Any]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """SAM ``Globals`` merge: mappings merge key by key, anything else is replaced."""
    merged = dict(copy.deepcopy(base))
    for key, value in override.items():
        old = merged.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        merged[key] = deep_merge(old, value) if both else value  # type: ignore[arg-type]
    return merged


def _events(template: Template) -> list[ApiEvent]:
    events = []
    for lid, function in template.of_type("AWS::Serverless::Function"):
        for event_id, event in mapping(mapping(function.get("Properties")).get("Events")).items():
            props = mapping(mapping(event).get("Properties"))
            if mapping(event).get("Type") != "Api" or "Path" not in props:
                continue
            target = props.get("RestApiId", IMPLICIT_API)
            target = target.get("Ref") if isinstance(target, Mapping) else target
            if not isinstance(target, str):
                continue
            method = str(props.get("Method", "")).lower()
            at = f"Resources.{lid}.Properties.Events.{event_id}"
            events.append(ApiEvent(at, target, str(props["Path"]), method, mapping(props.get("Auth"))))
    return events


def _swagger_method(method: str) -> str:
    return ANY_METHOD if method == "any" else method


def _paths(body: Mapping[str, Any], events: list[ApiEvent], managed: bool) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = {}
    for path, item in mapping(body.get("paths")).items():
        methods = [str(k).lower() for k in mapping(item) if str(k).lower() in HTTP_METHODS | {ANY_METHOD}]
        paths[str(path)] = methods
    for event in events if managed else ():
        methods = paths.setdefault(event.path, [])
        if _swagger_method(event.method) not in methods:
            methods.append(_swagger_method(event.method))
    return paths


def _apply_event_policies(template: Template, logical_id: str, events: list[ApiEvent], state: _ApiState) -> list[str]:
    """Event-level ``Auth.ResourcePolicy`` (applied during function translation); their locations."""
    resolver = template.resolver(logical_id)
    # SAM quirk: an event's stage is the API's StageName when it is a plain string, else `Stage`.
    stage = state.stage_raw if isinstance(state.stage_raw, str) else "Stage"
    used = []
    for event in events:
        shorthand = event.auth.get("ResourcePolicy")
        if not shorthand or not (state.managed or event.auth.get("OverrideApiAuth")):
            continue
        location = f"{event.location}.Properties.Auth.ResourcePolicy"
        used.append(location)
        resolved = resolver.resolve(shorthand, location)
        if resolved is not UNRESOLVED:
            path = {event.path: state.paths.get(event.path, [])}
            expand_resource_policy(resolved, path, stage, state.policy)
    return used


@dataclass(slots=True)
class _ApiState:
    paths: dict[str, list[str]]
    policy: dict[str, Any]
    stage_raw: Any
    managed: bool


def _build(template: Template, logical_id: str, props: Mapping[str, Any], stage_raw: Any) -> ImportedPolicy | None:
    at = f"Resources.{logical_id}.Properties"
    body = mapping(props.get("DefinitionBody"))
    managed = "DefinitionBody" not in props or bool(props.get("MergeDefinitions"))
    events = [e for e in _events(template) if e.api == logical_id]
    state = _ApiState(
        _paths(body, events, managed), copy.deepcopy(dict(mapping(body.get(POLICY_KEY)))), stage_raw, managed
    )
    locations = [f"{at}.DefinitionBody.{POLICY_KEY}"] if state.policy else []
    locations[:0] = _apply_event_policies(template, logical_id, events, state)
    if props.get("Cors"):
        for methods in state.paths.values():
            methods.extend([] if "options" in methods else ["options"])
    auth = mapping(props.get("Auth"))
    resolver = template.resolver(logical_id)
    if auth.get("ResourcePolicy"):
        locations.insert(0, f"{at}.Auth.ResourcePolicy")
        shorthand = resolver.resolve(auth["ResourcePolicy"], locations[0])
        stage = resolver.resolve(stage_raw, f"{at}.StageName")
        if shorthand is not UNRESOLVED and stage is not UNRESOLVED:
            expand_resource_policy(shorthand, state.paths, str(stage), state.policy)
    if not state.policy or not locations:
        return None
    resolved = resolver.resolve(state.policy, locations[0])
    document = None if resolved is UNRESOLVED else finish_document(resolved, locations[0], template.problems)
    if document is None:
        return None
    routes = _routes(state.paths, events, auth)
    authorizers = dict(mapping(auth.get("Authorizers")))
    return ImportedPolicy(document, "sam", locations[0], api=logical_id, routes=routes, authorizers=authorizers)


def _routes(paths: Mapping[str, list[str]], events: list[ApiEvent], auth: Mapping[str, Any]) -> tuple[Route, ...]:
    chosen = {(e.path, _swagger_method(e.method)): e.auth.get("Authorizer") for e in events}
    default = auth.get("DefaultAuthorizer")
    return tuple(
        Route("ANY" if m == ANY_METHOD else m.upper(), path, chosen.get((path, m)) or default)
        for path, methods in paths.items()
        for m in methods
    )


def _globals_api(template: Template) -> Mapping[str, Any]:
    return mapping(mapping(template.data.get("Globals")).get("Api"))


def serverless_api(template: Template, logical_id: str, resource: Mapping[str, Any]) -> ImportedPolicy | None:
    """The policy SAM generates for one ``AWS::Serverless::Api`` (None when it has none)."""
    props = deep_merge(_globals_api(template), mapping(resource.get("Properties")))
    return _build(template, logical_id, props, props.get("StageName"))


def has_implicit_api(template: Template) -> bool:
    """True when SAM would create ``ServerlessRestApi`` (``Api`` events without ``RestApiId``)."""
    declared = IMPLICIT_API in template.resources
    return not declared and any(e.api == IMPLICIT_API for e in _events(template))


def implicit_api(template: Template) -> ImportedPolicy | None:
    """The policy of the implicit ``ServerlessRestApi`` (None when it has none)."""
    props = deep_merge(_globals_api(template), {})
    return _build(template, IMPLICIT_API, props, IMPLICIT_STAGE)
