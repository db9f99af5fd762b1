"""The values the engine takes and returns: ``Request`` in, ``Decision`` out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = ["Decision", "Outcome", "Request", "StatementRef", "StatementTrace"]


class Outcome(StrEnum):
    """The three answers of IAM policy evaluation."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


_NO_CONTEXT: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class Request(NamedTuple):
    """One authorization question. ``context`` keys are lower-cased; values are tuples of strings.

    A named tuple: the gateway builds one per request, at a third of a frozen dataclass's cost.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = _NO_CONTEXT

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Request:
        """Build from ``{"principal", "action", "resource", "context"}``; derives principal keys."""
        from gatewaysim.policy.principals import principal_context_keys

        principal = str(data.get("principal") or "anonymous")
        context = normalise_context(data.get("context") or {})
        for key, value in principal_context_keys(principal).items():
            context.setdefault(key, (value,))
        return cls(
            principal=principal,
            action=str(data.get("action") or "execute-api:Invoke"),
            resource=str(data.get("resource") or ""),
            context=context,
        )


def normalise_context(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Lower-case the keys and turn every value into a tuple of strings (lists stay multi-valued)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if value is None:
            continue
        values: Iterable[Any] = value if isinstance(value, list | tuple) else (value,)
        out[str(key).lower()] = tuple(_as_string(v) for v in values)
    return out


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement named by its position and Sid."""

    index: int
    sid: str | None
    effect: str

    def label(self) -> str:
        """``Statement[0] (Sid)``."""
        return f"Statement[{self.index}]" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True, slots=True)
class StatementTrace:
    """Why one statement did or did not apply.

    ``failed`` names the element that did not match (``Principal``, ``Action``, ``Resource``,
    ``Condition``) or is None when the statement applied. ``key`` and ``seen`` say which condition
    key failed and the request's value for it, ``wanted`` the condition's own values (as written);
    ``reason`` is a one-line human explanation.
    """

    statement: StatementRef
    applies: bool
    failed: str | None = None
    reason: str = ""
    key: str | None = None
    seen: tuple[str, ...] | None = None
    wanted: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "index": self.statement.index,
            "sid": self.statement.sid,
            "effect": self.statement.effect,
            "applies": self.applies,
            "failed": self.failed,
            "reason": self.reason,
            "key": self.key,
            "seen": list(self.seen) if self.seen is not None else None,
            "wanted": list(self.wanted) if self.wanted is not None else None,
        }


def _no_trace() -> tuple[StatementTrace, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome, the statements that decided it, a per-statement trace and problems met.

    ``trace`` is built on first read from what evaluation recorded, so the request path pays for
    it only when something (a 403 explanation, the decision log, ``simulate``) looks at it.
    """

    outcome: Outcome
    deciding: tuple[StatementRef, ...] = ()
    problems: tuple[str, ...] = ()
    build_trace: Callable[[], tuple[StatementTrace, ...]] = field(default=_no_trace, repr=False, compare=False)
    labels: str = field(init=False, repr=False, compare=False)
    """The deciding statements as one line, ``Statement[0] (Sid), Statement[2]`` ("" for none): made
    once, as the decision is (a policy remembers its decisions), read by every access-log record."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", ", ".join(ref.label() for ref in self.deciding))

    @property
    def trace(self) -> tuple[StatementTrace, ...]:
        """For every statement: whether it applied and, if not, which element or key failed."""
        return self.build_trace()

    def statement_trace(self, index: int) -> StatementTrace | None:
        """The trace of one statement, without building the others' when the engine can."""
        one = getattr(self.build_trace, "statement", None)
        if callable(one):
            found: StatementTrace | None = one(index)
            return found
        return next((t for t in self.trace if t.statement.index == index), None)

    @property
    def allowed(self) -> bool:
        """True only for an explicit Allow."""
        return self.outcome is Outcome.ALLOW

    def explain(self) -> str:
        """One line: the outcome and why."""
        if self.deciding:
            names = self.labels
            verb = "allowed by" if self.outcome is Outcome.ALLOW else "denied by"
            return f"{self.outcome.value}: {verb} {names}"
        return f"{self.outcome.value}: no statement applies"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: decision, deciding statements, trace and problems."""
        return {
            "decision": self.outcome.value,
            "deciding": [{"index": r.index, "sid": r.sid, "effect": r.effect} for r in self.deciding],
            "explanation": self.explain(),
            "statements": [t.to_dict() for t in self.trace],
            "problems": list(self.problems),
        }
