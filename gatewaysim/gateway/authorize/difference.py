"""What changes for one request when another policy decides it: the change and what makes it.

``difference(before, after, policy)`` compares a recorded authorization (``Before``) with the same
request decided again (``redecide.Redecided``) under ``policy`` and answers None (nothing
changes) or a ``Difference``:

==========================  ====================================================================
``newlyDenied``             allowed before, refused now
``newlyAllowed``            refused before, allowed now
``decidedDifferently``      the same answer, decided by another statement or rule (a 401 that is
                            now a pre-authorizer 403, an Allow by another statement ...)
``needsAuthorizer``         a Lambda method the recorded policy denied before its authorizer, and
                            the new one does not: the authorizer's answer, never asked, decides
==========================  ====================================================================

``reason`` says what makes the difference without the request's own values, so requests that
change for the same cause share it: ``Statement[0] no longer applies: IpAddress aws:SourceIp``,
``denied by Statement[2] (NoHome) when NotIpAddress aws:SourceIp 203.0.113.0/24``.

Statements of the two policies are matched (``same_statement``) by Sid when both have one, else
by their text (Sid aside), else by position: editing a statement in place (or giving it a Sid),
or moving it, does not count as another statement deciding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from gatewaysim.gateway.authorize.redecide import Redecided
from gatewaysim.gateway.authorize.statements import PolicyView, StatementId, statement_ids, statement_text
from gatewaysim.gateway.authorize.tables import Rule, Verdict
from gatewaysim.policy import Decision, StatementRef, StatementTrace

__all__ = [
    "Before",
    "Change",
    "Difference",
    "PolicyView",
    "StatementId",
    "before_of",
    "deciding_ids",
    "difference",
    "same_statement",
    "statement_ids",
    "statement_text",
]


_REJECTED = Rule.REJECTED.value  # compared per request: a plain str, not the enum's descriptor


class Change(StrEnum):
    """How a request's authorization changes (module docstring)."""

    NEWLY_DENIED = "newlyDenied"
    NEWLY_ALLOWED = "newlyAllowed"
    DECIDED_DIFFERENTLY = "decidedDifferently"
    NEEDS_AUTHORIZER = "needsAuthorizer"


def same_statement(a: StatementId, b: StatementId) -> bool:
    """True when ``a`` and ``b`` are the same statement of two versions of a policy."""
    if a.sid is not None and b.sid is not None:
        return a.sid == b.sid
    if a.text is not None and a.text == b.text:
        return True
    return a.index == b.index  # edited in place (a Sid may have been added)


def deciding_ids(refs: Sequence[StatementRef], statements: Sequence[StatementId]) -> tuple[StatementId, ...]:
    """The deciding statements ``refs`` with their texts from ``statements`` (in order; unknown text: None)."""
    return tuple(_id_of(ref, statements) for ref in refs)


def _id_of(ref: StatementRef, statements: Sequence[StatementId]) -> StatementId:
    if ref.index < len(statements) and statements[ref.index].index == ref.index:
        return statements[ref.index]
    return StatementId(ref.index, ref.sid, ref.effect, None)


class Before(NamedTuple):
    """What was recorded for a request: the verdict and the statements that decided it."""

    allowed: bool
    verdict: str  # Verdict.explain()
    rule: str  # Rule value
    deciding: tuple[StatementId, ...]

    def line(self) -> str:
        """The verdict and the statements that decided it: ``A: Allow/Allow -> Allow by Statement[0]``."""
        return _line(self.verdict, _decided(self.rule, self.deciding))


@dataclass(frozen=True, slots=True)
class Difference:
    """One request's change: what kind, what makes it, and the verdict lines before and after."""

    change: Change
    reason: str
    before: str
    after: str
    decision: str | None  # the new policy's outcome (None: not evaluated)
    deciding: str | None  # its deciding statements, labelled
    allowed: bool | None  # the new verdict (None: the authorizer must decide)
    verdict: str | None  # the new verdict's line, Verdict.explain()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``shadowDecision`` of the access log and the decision event)."""
        return {
            "change": self.change.value,
            "decision": self.decision,
            "decidingStatement": self.deciding,
            "allowed": self.allowed,
            "verdict": self.verdict,
            "reason": self.reason,
        }


def before_of(verdict: Verdict, deciding: tuple[StatementId, ...]) -> Before:
    """``Before`` of a live verdict."""
    return Before(verdict.allowed, verdict.explain(), verdict.rule.value, deciding)


def difference(before: Before, after: Redecided, policy: PolicyView) -> Difference | None:
    """The change for one request, or None when the new policy decides it the same way."""
    decision, verdict = after
    gained, lost = _swapped(before, after, policy)
    if verdict is None:
        change = Change.NEEDS_AUTHORIZER
    elif verdict.allowed != before.allowed:
        change = Change.NEWLY_ALLOWED if verdict.allowed else Change.NEWLY_DENIED
    elif verdict.rule != before.rule or gained or lost:  # a StrEnum member equals its text
        change = Change.DECIDED_DIFFERENTLY
    else:
        return None
    deciding = ", ".join(ref.label() for ref in decision.deciding) if decision is not None else None
    return Difference(
        change,
        _reason(before, after, policy, gained, lost),
        before.line(),
        _after_line(after),
        decision.outcome.value if decision is not None else None,
        deciding or None,
        verdict.allowed if verdict is not None else None,
        verdict.explain() if verdict is not None else None,
    )


def _decided(rule: str, deciding: tuple[StatementId, ...]) -> tuple[StatementId, ...]:
    """The statements that decided: none when the authorizer's rejection did."""
    return () if rule == _REJECTED else deciding


def _swapped(
    before: Before, after: Redecided, policy: PolicyView
) -> tuple[tuple[StatementId, ...], tuple[StatementId, ...]]:
    """(new deciding statements that did not decide before, old deciding ones that no longer do)."""
    decision, verdict = after
    if verdict is None:  # the authorizer decides: the new policy's Allows decide nothing yet
        new: tuple[StatementId, ...] = ()
    else:
        refs = decision.deciding if decision is not None else ()
        new = _decided(verdict.rule, deciding_ids(refs, policy.statements))
    old = _decided(before.rule, before.deciding)
    if len(old) == len(new) and all(map(same_statement, old, new)):  # the usual case: the same, in order
        return (), ()
    gained = tuple(n for n in new if not any(same_statement(o, n) for o in old))
    lost = tuple(o for o in old if not any(same_statement(o, n) for n in new))
    return gained, lost


def _reason(
    before: Before,
    after: Redecided,
    policy: PolicyView,
    gained: tuple[StatementId, ...],
    lost: tuple[StatementId, ...],
) -> str:
    decision, verdict = after
    parts = [f"{_verb(s, verdict)} {s.label()}{_conditions(policy, s.index)}" for s in gained]
    if any(s.effect == "Deny" for s in gained):  # a new Deny wins whatever Allows there were
        lost = tuple(s for s in lost if s.effect == "Deny")
    parts += [why for s in lost if (why := _no_longer(s, decision, policy, quiet=bool(gained)))]
    if verdict is None:
        parts.append("the authorizer decides, and it never ran for this request")
    if not parts:
        parts.append(f"{before.verdict} is now {_after_line(after)}")
    return "; ".join(parts)


def _verb(statement: StatementId, verdict: Verdict | None) -> str:
    if statement.effect != "Deny":
        return "allowed by"
    return "denied before the authorizer by" if verdict is not None and verdict.rule is Rule.PRE_AUTH else "denied by"


def _conditions(policy: PolicyView, index: int) -> str:
    """`` when IpAddress aws:SourceIp 203.0.113.0/24`` for the statement's conditions (AND)."""
    statements = policy.compiled.policy.statements
    if index >= len(statements) or not statements[index].condition:
        return ""
    specs = statements[index].condition
    return " when " + " and ".join(f"{c.operator} {c.key} {', '.join(c.values)}" for c in specs)


def _no_longer(old: StatementId, decision: Decision | None, policy: PolicyView, *, quiet: bool) -> str:
    """Why a statement that decided before does not now (value-free), or that it is gone.

    A statement that still applies but no longer decides (a new Deny wins) is named only when
    nothing gained says why (``quiet``: the gained statement is the reason).
    """
    match = next((s for s in policy.statements if same_statement(old, s)), None)
    if match is None:
        return f"{old.label()} is not in the new policy"
    trace = _trace_of(decision, match.index)
    if trace is None or trace.applies:
        return "" if quiet else f"{match.label()} no longer decides"
    return f"{match.label()} no longer applies: {_why_not(trace)}"


def _trace_of(decision: Decision | None, index: int) -> StatementTrace | None:
    return decision.statement_trace(index) if decision is not None else None


def _why_not(trace: StatementTrace) -> str:
    """The failed element or condition without the request's value."""
    if trace.failed == "Condition":
        return trace.reason.split(": ", 1)[0]  # ConditionFailure.reason: "{operator} {key}: ..."
    failed = trace.failed or "statement"
    return f"{failed} {'matches' if failed.startswith('Not') else 'does not match'}"


def _line(verdict: str, deciding: tuple[StatementId, ...]) -> str:
    return verdict + (f" by {', '.join(s.label() for s in deciding)}" if deciding else "")


def _after_line(after: Redecided) -> str:
    decision, verdict = after
    if verdict is None:
        return "the authorizer decides (it never ran)"
    refs = decision.deciding if decision is not None and verdict.rule is not Rule.REJECTED else ()
    return verdict.explain() + (f" by {', '.join(r.label() for r in refs)}" if refs else "")
