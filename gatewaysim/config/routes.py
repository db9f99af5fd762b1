"""The route table: resource path templates and their methods, matched like API Gateway REST.

A route is a (resource template, method) pair such as ``GET /pets/{petId}`` or ``ANY /{proxy+}``,
carrying the method's ``authorizationType``, authorizer name and authorization scopes, and its
``integration`` (``config.integration``; None: the API's ``backend``, HTTP_PROXY).

Matching (spec 1.2, last paragraph; measured behaviour): the candidate resources whose template
matches the path are tried from the most specific to the least specific (segment by segment: a
literal beats ``{param}`` beats ``{proxy+}``); the first candidate that declares the request's verb,
or else ``ANY``, wins. A more specific resource that lacks the verb therefore falls through to a
``{param}`` or ``{proxy+}`` resource that has it. No candidate -> ``None`` (the server answers
403 ``Missing Authentication Token``), unless the table has a catch-all ``default`` route.

``path`` is expected normalised by ``gatewaysim.gateway.paths`` (which already refuses ``//``, dot
segments and a trailing ``/`` other than the root's). Matching is case-sensitive; an empty segment
matches no literal or ``{param}``; path-parameter values are the path's segments as given;
``{proxy+}`` needs at least one segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.door.throttle import Throttle, throttle
from gatewaysim.config.door.validation import request_models, request_parameters
from gatewaysim.config.fields import INVALID, Checker
from gatewaysim.config.integration import Integration
from gatewaysim.errors import ConfigError, Problem

__all__ = ["ANY", "HTTP_METHODS", "Route", "RouteMatch", "RouteTable", "parse_template"]

ANY = "ANY"
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", ANY})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NEEDS_AUTHORIZER = frozenset({AuthType.CUSTOM, AuthType.COGNITO_USER_POOLS})


@dataclass(frozen=True, slots=True)
class Route:
    """One method on one resource.

    The door fields (``gatewaysim.config.door``): ``api_key_required`` None takes the API's
    default; ``request_validator`` None the API's default validator; ``request_parameters`` are
    ``(method.request.querystring.q, required)`` pairs; ``request_models`` ``(content type, model)``
    pairs; ``throttle`` the method's own stage throttle in every stage.
    """

    resource: str
    method: str = ANY
    authorization_type: AuthType = AuthType.NONE
    authorizer: str | None = None
    authorization_scopes: tuple[str, ...] = ()
    api_key_required: bool | None = None
    request_validator: str | None = None
    request_parameters: tuple[tuple[str, bool], ...] = ()
    request_models: tuple[tuple[str, str], ...] = ()
    throttle: Throttle | None = None
    integration: Integration | None = None  # None: the API's backend (HTTP_PROXY)


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """A resolved request: the route, its template and the path parameters."""

    route: Route
    path_parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def resource_path(self) -> str:
        """The matched template, e.g. ``/pets/{petId}``."""
        return self.route.resource


@dataclass(frozen=True, slots=True)
class _Segment:
    kind: str  # "literal" | "param" | "greedy"
    text: str  # the literal text, or the parameter name


def parse_template(template: str) -> tuple[_Segment, ...]:
    """Split ``/pets/{petId}`` into segments; raises ``ValueError`` with a one-line reason."""
    if not template.startswith("/"):
        raise ValueError(f"resource `{template}` must start with `/`")
    if template == "/":
        return ()
    segments = []
    parts = template[1:].split("/")
    for index, part in enumerate(parts):
        segments.append(_parse_segment(template, part, last=index == len(parts) - 1))
    names = [s.text for s in segments if s.kind != "literal"]
    if len(names) != len(set(names)):
        raise ValueError(f"resource `{template}` repeats a path parameter name")
    return tuple(segments)


def _parse_segment(template: str, part: str, *, last: bool) -> _Segment:
    if not part:
        raise ValueError(f"resource `{template}` has an empty segment")
    if part.startswith("{") and part.endswith("}"):
        name = part[1:-1]
        greedy = name.endswith("+")
        name = name.removesuffix("+")
        if not _NAME.fullmatch(name):
            raise ValueError(f"resource `{template}` has an invalid parameter `{part}`")
        if greedy and not last:
            raise ValueError(f"resource `{template}`: a greedy `{part}` must be the last segment")
        return _Segment("greedy" if greedy else "param", name)
    if "{" in part or "}" in part:
        raise ValueError(f"resource `{template}` has an invalid segment `{part}`")
    return _Segment("literal", part)


class _Node:
    """One resource of the tree with its methods and children by kind."""

    __slots__ = ("greedy", "literals", "methods", "param")

    def __init__(self) -> None:
        self.methods: dict[str, Route] = {}
        self.literals: dict[str, _Node] = {}
        self.param: tuple[str, _Node] | None = None
        self.greedy: tuple[str, _Node] | None = None

    def route_for(self, method: str) -> Route | None:
        return self.methods.get(method) or self.methods.get(ANY)


def _candidates(node: _Node, parts: Sequence[str], params: dict[str, str]) -> Iterator[tuple[_Node, dict[str, str]]]:
    """Resources matching ``parts``, most specific first: literal, then {param}, then {proxy+}."""
    if not parts:
        yield node, params
        return
    head, rest = parts[0], parts[1:]
    child = node.literals.get(head) if head else None
    if child is not None:
        yield from _candidates(child, rest, params)
    if node.param is not None and head:
        name, param_node = node.param
        yield from _candidates(param_node, rest, {**params, name: head})
    if node.greedy is not None:
        name, greedy_node = node.greedy
        yield greedy_node, {**params, name: "/".join(parts)}


class RouteTable:
    """Routes arranged as API Gateway's resource tree; ``match`` resolves (method, path)."""

    def __init__(self, routes: Iterable[Route], default: Route | None = None) -> None:
        self._root = _Node()
        self.routes: tuple[Route, ...] = tuple(routes)
        self.default = default
        for route in self.routes:
            self._add(route)

    def _add(self, route: Route) -> None:
        node = self._root
        for segment in parse_template(route.resource):
            node = self._child(node, segment, route.resource)
        if route.method in node.methods:
            raise ValueError(f"route `{route.method} {route.resource}` is defined twice")
        node.methods[route.method] = route

    @staticmethod
    def _child(node: _Node, segment: _Segment, template: str) -> _Node:
        if segment.kind == "literal":
            return node.literals.setdefault(segment.text, _Node())
        slot = node.param if segment.kind == "param" else node.greedy
        if slot is not None and slot[0] != segment.text:
            raise ValueError(f"resource `{template}`: a sibling uses another parameter name than `{segment.text}`")
        if slot is None:
            slot = (segment.text, _Node())
            if segment.kind == "param":
                node.param = slot
            else:
                node.greedy = slot
        return slot[1]

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route serving ``method path`` (``path`` without stage), or None (403 Missing Auth Token)."""
        parts = path[1:].split("/") if path not in ("", "/") else []
        verb = method.upper()
        for node, params in _candidates(self._root, parts, {}):
            route = node.route_for(verb)
            if route is not None:
                return RouteMatch(route, params)
        if self.default is not None:
            return RouteMatch(self.default)
        return None

    @classmethod
    def catch_all(
        cls,
        authorization_type: AuthType = AuthType.NONE,
        authorizer: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> RouteTable:
        """``ANY /`` and ``ANY /{proxy+}``: every request matches, with one authorization type."""
        routes = [Route(r, ANY, authorization_type, authorizer, scopes) for r in ("/", "/{proxy+}")]
        return cls(routes)

    @classmethod
    def from_config(
        cls, items: Sequence[Mapping[str, Any]], *, source: str | None = None, path: str = "routes"
    ) -> RouteTable:
        """Build from config entries ``{resource, method(s), authorizationType, authorizer, authorizationScopes}``.

        Every problem is collected into one ``ConfigError``.
        """
        problems: list[Problem] = []
        routes: list[Route] = []
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            try:
                routes.extend(_routes_from_item(item))
            except ValueError as exc:
                problems.append(Problem(where, str(exc)))
        table: RouteTable | None = None
        if not problems:
            try:
                table = cls(routes)
            except ValueError as exc:
                problems.append(Problem(path, str(exc)))
        if problems or table is None:
            raise ConfigError(problems, source)
        return table


def _routes_from_item(item: Mapping[str, Any]) -> list[Route]:
    if not isinstance(item, Mapping):
        raise ValueError("a route must be a mapping")
    unknown = set(item) - {
        "resource",
        "path",
        "method",
        "methods",
        "authorizationType",
        "authorizer",
        "authorizationScopes",
        *_DOOR_ITEM_KEYS,
        "integration",  # parsed by the caller (config.integration), which locates its problems
    }
    if unknown:
        raise ValueError(f"unknown key `{sorted(unknown)[0]}`")
    resource = item.get("resource", item.get("path"))
    if not isinstance(resource, str):
        raise ValueError("`resource` must be a string like `/pets/{petId}`")
    parse_template(resource)
    methods = _methods(item.get("methods", item.get("method", ANY)))
    auth_type, authorizer, scopes = _authorization(item)
    door = _door(item)
    return [Route(resource, m, auth_type, authorizer, scopes, **door) for m in methods]


_DOOR_ITEM_KEYS = ("apiKeyRequired", "requestValidator", "requestParameters", "requestModels", "throttling")


def _door(item: Mapping[str, Any]) -> dict[str, Any]:
    """The route item's door keys as ``Route`` fields (gatewaysim.config.door)."""
    out: dict[str, Any] = {}
    if "apiKeyRequired" in item:
        if not isinstance(item["apiKeyRequired"], bool):
            raise ValueError(f"`apiKeyRequired` must be true or false, got `{item['apiKeyRequired']}`")
        out["api_key_required"] = item["apiKeyRequired"]
    if "requestValidator" in item:
        if not isinstance(item["requestValidator"], str) or not item["requestValidator"]:
            raise ValueError(f"`requestValidator` must be a validator name, got `{item['requestValidator']}`")
        out["request_validator"] = item["requestValidator"]
    if "requestParameters" in item:
        out["request_parameters"] = request_parameters(item["requestParameters"])
    if "requestModels" in item:
        out["request_models"] = request_models(item["requestModels"])
    if "throttling" in item:
        out["throttle"] = _route_throttle(item["throttling"])
    return out


def _route_throttle(raw: Any) -> Throttle:
    checker = Checker()
    found = throttle(checker, "throttling", raw)
    if found is INVALID or not isinstance(found, Throttle):
        raise ValueError(checker.problems[0].render() if checker.problems else "`throttling` is not valid")
    return found


def _methods(raw: Any) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    methods = [str(v).upper() for v in values]
    bad = [m for m in methods if m not in HTTP_METHODS]
    if bad or not methods:
        raise ValueError(f"unknown method `{bad[0] if bad else ''}`")
    return methods


def _authorization(item: Mapping[str, Any]) -> tuple[AuthType, str | None, tuple[str, ...]]:
    raw_type = item.get("authorizationType", "NONE")
    try:
        auth_type = AuthType(str(raw_type).upper())
    except ValueError:
        raise ValueError(f"unknown authorizationType `{raw_type}`") from None
    authorizer = item.get("authorizer")
    if auth_type in _NEEDS_AUTHORIZER and not isinstance(authorizer, str):
        raise ValueError(f"authorizationType `{auth_type}` needs an `authorizer` name")
    if authorizer is not None and auth_type not in _NEEDS_AUTHORIZER:
        raise ValueError(f"`authorizer` is only used with CUSTOM or COGNITO_USER_POOLS, not `{auth_type}`")
    scopes = item.get("authorizationScopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError("`authorizationScopes` must be a list of strings")
    return auth_type, authorizer, tuple(scopes)
