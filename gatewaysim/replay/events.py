"""Read recorded decision events (version 2, docs/decision-events.md) back into what re-deciding needs.

``read_event(data, where)`` checks one event and returns a ``Replayable``: the request's identity
for the report (method, path, caller, source IP, time), the recorded authorization inputs
(``authorize.redecide.Recorded``) and the recorded answer (``authorize.difference.Before``);
``recorded`` is None for a request that never reached the authorization stage (nothing to decide
again). A version 1 event is refused: it lacks the authorizer's result and the route's auth
type, so it cannot be decided again exactly. Every problem is a ``Problem`` located at ``where``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple, TypeVar

import orjson

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult, AuthType, Rejection
from gatewaysim.config.flow import FlowSettings
from gatewaysim.errors import Problem
from gatewaysim.gateway.authorize.difference import Before, Change, StatementId, statement_text
from gatewaysim.gateway.authorize.redecide import Recorded
from gatewaysim.gateway.authorize.tables import Rule
from gatewaysim.gateway.decision_events import EVENT_VERSION
from gatewaysim.policy import Request

__all__ = ["OLD_VERSION", "EventProblem", "Replayable", "read_event"]

OLD_VERSION: Final = (
    "a version {version} decision event: it does not record the authorizer's result and the route's auth type, "
    "so it cannot be decided again; record new traffic with this gatewaysim (version 2 events)"
)
_RULES: Final = frozenset(rule.value for rule in Rule)
_E = TypeVar("_E", bound=StrEnum)
_FLOWS: dict[bool, FlowSettings] = {True: FlowSettings(True), False: FlowSettings(False)}


class EventProblem(ValueError):
    """One event that cannot be read; ``problem`` is located."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


class Replayable(NamedTuple):
    """One recorded request: who and what for the report, and what deciding it again needs."""

    request_id: str
    event_time: str
    api_id: str
    api_arn: str
    method: str
    path: str
    caller: str
    source_ip: str
    status: int | None
    recorded: Recorded | None  # None: the request never reached authorization
    before: Before | None
    shadow: Mapping[str, Any] | None  # the recorded shadowDecision, if any

    def epoch(self) -> float:
        """``event_time`` as epoch seconds."""
        return datetime.fromisoformat(self.event_time.replace("Z", "+00:00")).timestamp()


def read_event(data: Any, where: str) -> Replayable:
    """Check one decoded event; raise ``EventProblem`` naming what is wrong."""
    if not isinstance(data, Mapping):
        raise _problem(where, "not a decision event (a JSON object)")
    version = data.get("version")
    if type(version) is not int or version != EVENT_VERSION:  # not 2.0, "2" or true
        if type(version) is int and 0 < version < EVENT_VERSION:
            raise _problem(where, OLD_VERSION.format(version=version))
        raise _problem(where, f"not a version {EVENT_VERSION} decision event (version `{_shown(version)}`)")
    try:
        return _read(data)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError) as exc:
        raise _problem(where, f"malformed version 2 event: {_what(exc)}") from None


def _problem(where: str, message: str) -> EventProblem:
    return EventProblem(Problem(where, message))


def _shown(value: Any) -> str:
    """A value as JSON text, cut short (it came from the file)."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = str(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _object(data: Mapping[str, Any], key: str, name: str | None = None) -> Mapping[str, Any]:
    value = data[key]
    if not isinstance(value, Mapping):
        raise ValueError(f"`{name or key}` must be an object, got `{_shown(value)}`")
    return value


def _what(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"`{exc.args[0]}` is missing"
    return str(exc) or type(exc).__name__


_IDENTITY: Final = ("requestId", "eventTime", "apiId", "httpMethod", "path", "caller", "sourceIp", "resourceArn")


def _read(data: Mapping[str, Any]) -> Replayable:
    verdict = data["verdict"]
    recorded = before = None
    if verdict is not None:
        recorded = _recorded(data)
        before = _before(data, _object(data, "verdict"))
    request_id, event_time, api_id, method, path, caller, source_ip, resource = values = [data[k] for k in _IDENTITY]
    for key, value in zip(_IDENTITY, values, strict=True):
        if type(value) is not str:
            raise ValueError(f"`{key}` must be a string")
    try:
        datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"`eventTime` is not an ISO 8601 time: `{_shown(event_time)}`") from None
    status = data.get("status")
    shadow = _shadow(data.get("shadowDecision"))
    return Replayable(
        request_id,
        event_time,
        api_id,
        resource.split("/", 1)[0],
        method,
        path,
        caller,
        source_ip,
        status if type(status) is int else None,
        recorded,
        before,
        shadow,
    )


_CHANGES: Final = frozenset(change.value for change in Change)


def _shadow(shadow: Any) -> Mapping[str, Any] | None:
    """A recorded ``shadowDecision`` checked (``replay --shadow`` groups by it), or None."""
    if shadow is None:
        return None
    if not isinstance(shadow, Mapping):
        raise ValueError(f"`shadowDecision` must be an object, got `{_shown(shadow)}`")
    change = shadow.get("change")
    if not isinstance(change, str) or change not in _CHANGES:
        choices = ", ".join(sorted(_CHANGES))
        raise ValueError(f"`shadowDecision.change` must be one of {choices}, got `{_shown(change)}`")
    for key in ("reason", "verdict", "decidingStatement", "decision"):
        if shadow.get(key) is not None and type(shadow.get(key)) is not str:
            raise ValueError(f"`shadowDecision.{key}` must be a string, got `{_shown(shadow.get(key))}`")
    return shadow


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if type(value) is not str:
        raise ValueError(f"`{key}` must be a string")
    return value


def _recorded(data: Mapping[str, Any]) -> Recorded:
    raw = _object(data, "request")
    context = raw["context"]
    if not isinstance(context, Mapping):
        raise ValueError("`request.context` must be an object")
    request = Request(
        _text(raw, "principal"),
        _text(raw, "action"),
        _text(raw, "resource"),
        {key: _values(values) for key, values in context.items()},
    )
    flow = _object(data, "flow")
    return Recorded(
        _choice(AuthType, data, "authorizationType"),
        request,
        _authorizer(data["authorizer"]),
        _text(data, "apiAccount"),
        _FLOWS[bool(flow["cognitoRequiresPolicyAllow"])],
    )


def _values(values: Any) -> tuple[str, ...]:
    if type(values) is not list or not all(type(value) is str for value in values):
        raise ValueError("`request.context` values must be lists of strings")
    return tuple(values)


def _authorizer(raw: Any) -> AuthorizerResult | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"`authorizer` must be an object or null, got `{_shown(raw)}`")
    rejection = raw.get("rejection")
    if rejection is not None and not isinstance(rejection, Mapping):
        raise ValueError(f"`authorizer.rejection` must be an object or null, got `{_shown(rejection)}`")
    return AuthorizerResult(
        _choice(AuthorizerColumn, raw, "column", "authorizer.column"),
        principal=_text(raw, "principal"),
        principal_id=raw.get("principalId"),
        rejection=_rejection(rejection) if rejection is not None else None,
        cached=bool(raw.get("cached")),
    )


def _choice(kind: type[_E], data: Mapping[str, Any], key: str, name: str | None = None) -> _E:
    value = data[key]
    member = kind._value2member_map_.get(value) if isinstance(value, str) else None
    if member is None:
        choices = ", ".join(m.value for m in kind)
        raise ValueError(f"`{name or key}` must be one of {choices}, got `{value}`")
    return member  # type: ignore[return-value]  # the map holds kind's members


def _rejection(raw: Mapping[str, Any]) -> Rejection:
    return Rejection(_text(raw, "responseType"), int(raw["status"]), raw.get("message"), _text(raw, "errorType"))


def _before(data: Mapping[str, Any], verdict: Mapping[str, Any]) -> Before:
    rule = verdict["rule"]
    if not isinstance(rule, str) or rule not in _RULES:
        raise ValueError(f"unknown verdict rule `{rule if isinstance(rule, str) else _shown(rule)}`")
    policy = data.get("policy")
    deciding = tuple(_statement(item) for item in _deciding(policy)) if policy else ()
    return Before(verdict["outcome"] == "Allow", _text(verdict, "explanation"), rule, deciding)


def _deciding(policy: Any) -> list[Mapping[str, Any]]:
    if not isinstance(policy, Mapping):
        raise ValueError(f"`policy` must be an object or null, got `{_shown(policy)}`")
    deciding = policy["deciding"]
    if type(deciding) is not list or not all(isinstance(item, Mapping) for item in deciding):
        raise ValueError("`policy.deciding` must be a list of objects")
    return deciding


def _statement(item: Mapping[str, Any]) -> StatementId:
    index = item["index"]
    if type(index) is not int or index < 0:
        raise ValueError(f"`policy.deciding[].index` must be a statement index, got `{_shown(index)}`")
    statement = item.get("statement")
    text = statement_text(statement) if isinstance(statement, Mapping) else None
    sid = item.get("sid")
    return StatementId(index, sid if isinstance(sid, str) else None, str(item["effect"]), text)
