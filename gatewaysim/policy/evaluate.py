"""evaluate(policy, request) -> Decision: explicit deny wins, then allow, else implicit deny."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gatewaysim.policy.conditions import ConditionFailure
from gatewaysim.policy.decision import Decision, Outcome, Request, StatementRef, StatementTrace
from gatewaysim.policy.principals import Caller

if TYPE_CHECKING:
    from gatewaysim.policy.compile import CompiledPolicy, CompiledStatement, Miss
    from gatewaysim.policy.document import Policy

__all__ = ["evaluate", "evaluate_compiled"]

_caller = lru_cache(maxsize=1024)(Caller.parse)


def evaluate(
    policy: str | bytes | Mapping[str, Any] | Policy | CompiledPolicy,
    request: Request | Mapping[str, Any],
) -> Decision:
    """Evaluate ``request`` against ``policy`` (a document, a parsed or a compiled policy).

    The ``execute-api:/...`` shorthand in an uncompiled document is expanded against the API of
    the request's resource ARN when it is an execute-api ARN.
    """
    from gatewaysim.policy.compile import compile_policy

    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = compile_policy(policy, api_arn=_api_arn_of(request.resource))
    return evaluate_compiled(compiled, request)


def _api_arn_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[2] == "execute-api":
        return ":".join(parts[:5]) + ":" + parts[5].split("/", 1)[0]
    return None


def evaluate_compiled(policy: CompiledPolicy, request: Request) -> Decision:
    """The evaluation loop over a compiled policy (every statement is checked, for the trace)."""
    caller = _caller(request.principal)
    action = request.action.lower()
    statements = policy.statements
    positions = range(len(statements)) if policy.index is None else policy.index.candidates(request.resource)
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    misses: dict[int, Miss | None] = {}
    for position in positions:
        statement = statements[position]
        miss = misses[position] = statement.check(request, caller, action)
        if miss is None:
            (denies if statement.deny else allows).append(statement.ref)
    problems = tuple(
        f"{statements[p].ref.label()}: {m.reason()}"
        for p, m in misses.items()
        if isinstance(m, ConditionFailure) and m.problem
    )
    if denies:
        outcome, deciding = Outcome.EXPLICIT_DENY, tuple(denies)
    elif allows:
        outcome, deciding = Outcome.ALLOW, tuple(allows)
    else:
        outcome, deciding = Outcome.IMPLICIT_DENY, ()
    return Decision(outcome, deciding, problems, _TraceBuilder(statements, misses, request))


class _TraceBuilder:
    """Builds the per-statement trace only when someone reads it (the hot path never does).

    Statements the resource index skipped are checked here, so their trace names the first
    element that fails, exactly as if the loop had visited them.
    """

    __slots__ = ("misses", "request", "statements")

    def __init__(self, statements: Sequence[CompiledStatement], misses: dict[int, Miss | None], request: Request):
        self.statements, self.misses, self.request = statements, misses, request

    def __call__(self) -> tuple[StatementTrace, ...]:
        caller, action = _caller(self.request.principal), self.request.action.lower()
        return tuple(
            self._one(s, self.misses[i] if i in self.misses else s.check(self.request, caller, action))
            for i, s in enumerate(self.statements)
        )

    def _one(self, statement: CompiledStatement, miss: Miss | None) -> StatementTrace:
        if miss is None:
            return StatementTrace(statement.ref, True, None, "applies")
        if isinstance(miss, ConditionFailure):
            return StatementTrace(statement.ref, False, "Condition", miss.reason(), miss.key, miss.seen)
        seen = {
            "Principal": self.request.principal,
            "Action": self.request.action,
            "Resource": self.request.resource,
        }[miss.element.removeprefix("Not")]
        verb = "matches" if miss.element.startswith("Not") else "does not match"
        reason = f"{miss.element} {verb} `{seen}`"
        return StatementTrace(statement.ref, False, miss.element, reason, None, (seen,))
