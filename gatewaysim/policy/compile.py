"""Policy -> CompiledPolicy: every pattern, network, number and date is prepared once, at load time.

``CompiledPolicy.evaluate`` is the only per-request call; it does lookups and matches, nothing else.
It also remembers its recent decisions: a decision depends only on the principal, action,
resource and the context keys the policy reads (its condition keys and policy variables, found
at compile time), so requests that agree on those get the same ``Decision`` object back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from gatewaysim.policy import matching
from gatewaysim.policy.conditions import CompiledCondition, ConditionFailure, compile_condition
from gatewaysim.policy.decision import Decision, Outcome, Request, StatementRef, StatementTrace
from gatewaysim.policy.document import Policy, Statement, parse_policy
from gatewaysim.policy.index import ResourceIndex
from gatewaysim.policy.principals import Caller, PrincipalSpec
from gatewaysim.policy.variables import Template, Variable, Wild, parse_template

__all__ = [
    "MEMO_KEY_CHARS",
    "MEMO_SIZE",
    "CompiledPolicy",
    "CompiledStatement",
    "ElementMiss",
    "compile_policy",
    "evaluate_compiled",
]

Context = Mapping[str, tuple[str, ...]]
MEMO_SIZE: Final = 4096
"""Decisions a compiled policy remembers; when full, it forgets them all and starts again."""
MEMO_KEY_CHARS: Final = 1024
"""A request whose remembered values (principal, resource, the keys the policy reads) are longer is
decided afresh and not remembered (SECURITY: 8 KB User-Agents cannot fill the memo: 4 MiB at most)."""


@dataclass(frozen=True, slots=True)
class ElementMiss:
    """A statement's Principal, Action or Resource element did not match."""

    element: str


_PRINCIPAL_MISS = ElementMiss("Principal")
_NOT_PRINCIPAL_MISS = ElementMiss("NotPrincipal")
_ACTION_MISS = ElementMiss("Action")
_NOT_ACTION_MISS = ElementMiss("NotAction")
_RESOURCE_MISS = ElementMiss("Resource")
_NOT_RESOURCE_MISS = ElementMiss("NotResource")

Miss = ElementMiss | ConditionFailure


class ResourceMatcher:
    """Resource/NotResource patterns: static ones in one matcher, templated ones rendered per request."""

    __slots__ = ("_dynamic", "_static")

    def __init__(self, patterns: tuple[str, ...], variables: bool) -> None:
        templates = [parse_template(p, variables=variables) for p in patterns]
        static = [p for p, t in zip(patterns, templates, strict=True) if _is_static(t)]
        self._static = matching.arn_matcher(static) if static else None
        self._dynamic = tuple(t for t in templates if not _is_static(t))

    @property
    def has_variables(self) -> bool:
        """True when some pattern is rendered per request (variables or escapes)."""
        return bool(self._dynamic)

    def __call__(self, resource: str, context: Context) -> bool:
        if self._static is not None and self._static(resource):
            return True
        for template in self._dynamic:
            resolved = template.resolve(context)
            if resolved is None:
                continue
            chunks = [(part.text, isinstance(part, Wild)) for part in resolved]
            if matching.glob_matcher(chunks, arn=True)(resource):
                return True
        return False


def _is_static(template: Template) -> bool:
    return all(isinstance(p, Wild) for p in template.parts)


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """One statement ready to check against a request."""

    ref: StatementRef
    deny: bool
    principal: PrincipalSpec | None
    principal_negated: bool
    action: Callable[[str], bool]
    action_negated: bool
    resource: ResourceMatcher
    resource_negated: bool
    conditions: tuple[CompiledCondition, ...]

    def check(self, request: Request, caller: Caller, action: str) -> Miss | None:
        """None when the statement applies to the request, else the first element that failed."""
        if self.principal is not None and self.principal.matches(caller) == self.principal_negated:
            return _NOT_PRINCIPAL_MISS if self.principal_negated else _PRINCIPAL_MISS
        if self.action(action) == self.action_negated:
            return _NOT_ACTION_MISS if self.action_negated else _ACTION_MISS
        if self.resource(request.resource, request.context) == self.resource_negated:
            return _NOT_RESOURCE_MISS if self.resource_negated else _RESOURCE_MISS
        for condition in self.conditions:
            failure = condition.check(request.context)
            if failure is not None:
                return failure
        return None


def _compile_statement(statement: Statement, variables: bool) -> CompiledStatement:
    principal = statement.principal or statement.not_principal
    actions = statement.action or statement.not_action or ()
    resources = statement.resource or statement.not_resource or ()
    return CompiledStatement(
        ref=StatementRef(statement.index, statement.sid, statement.effect),
        deny=statement.effect == "Deny",
        principal=principal,
        principal_negated=statement.not_principal is not None,
        action=matching.action_matcher(actions),
        action_negated=statement.not_action is not None,
        resource=ResourceMatcher(resources, variables),
        resource_negated=statement.not_resource is not None,
        conditions=tuple(compile_condition(spec) for spec in statement.condition),
    )


class CompiledPolicy:
    """A policy prepared for evaluation. Build it with ``compile_policy``."""

    __slots__ = ("_memo", "context_keys", "index", "policy", "statements")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.statements = tuple(_compile_statement(s, policy.variables_enabled) for s in policy.statements)
        self.index = ResourceIndex.build(
            [
                (s.resource or s.not_resource or (), s.not_resource is not None, c.resource.has_variables)
                for s, c in zip(policy.statements, self.statements, strict=True)
            ]
        )
        self.context_keys = context_keys(policy, self.statements)
        self._memo: dict[tuple[Any, ...], Decision] = {}

    def evaluate(self, request: Request | Mapping[str, Any]) -> Decision:
        """Explicit deny wins, then allow, else implicit deny (remembered: module docstring)."""
        if not isinstance(request, Request):
            request = Request.from_mapping(request)
        keys = self.context_keys
        if keys is None:
            return evaluate_compiled(self, request)
        context = request.context
        values = [context.get(k) for k in keys]
        memo_key = (request.principal, request.action, request.resource, *values)
        try:
            decision = self._memo.get(memo_key)
        except TypeError:  # a hand-built Request with list values: evaluate, but do not remember
            return evaluate_compiled(self, request)
        if decision is None and _chars(request, values) > MEMO_KEY_CHARS:
            return evaluate_compiled(self, request)
        if decision is None:
            decision = evaluate_compiled(self, request)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[memo_key] = decision
        return decision


def _chars(request: Request, values: list[tuple[str, ...] | None]) -> int:
    return len(request.principal) + len(request.resource) + sum(len(v) for vs in values if vs for v in vs)


def context_keys(policy: Policy, statements: tuple[CompiledStatement, ...]) -> tuple[str, ...] | None:
    """Every context key evaluation may read: condition keys and policy variables (None: unknown).

    Every Resource pattern and condition value is read as a template, whatever its operator, so
    the set may hold more keys than are read, never fewer.
    """
    keys = {condition.key for statement in statements for condition in statement.conditions}
    if policy.variables_enabled:
        texts = [p for s in policy.statements for p in (s.resource or s.not_resource or ())]
        texts += [value for s in policy.statements for spec in s.condition for value in spec.values]
        for text in texts:
            try:
                template = parse_template(text, variables=True)
            except ValueError:
                return None  # SECURITY: when unsure what a statement reads, never reuse a decision
            keys.update(part.key for part in template.parts if isinstance(part, Variable))
    return tuple(sorted(keys))


def compile_policy(
    document: str | bytes | Mapping[str, Any] | Policy | CompiledPolicy,
    *,
    api_arn: str | None = None,
    source_name: str | None = None,
    require_principal: bool = False,
) -> CompiledPolicy:
    """Parse (if needed) and compile a policy; raises ``PolicyError`` on a malformed document."""
    if isinstance(document, CompiledPolicy):
        return document
    policy = parse_policy(document, api_arn=api_arn, source_name=source_name, require_principal=require_principal)
    return CompiledPolicy(policy)


# --- the evaluation loop: explicit deny wins, then allow, else implicit deny ---

_caller = lru_cache(maxsize=1024)(Caller.parse)


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

    def statement(self, index: int) -> StatementTrace | None:
        """The trace of the statement at ``index`` alone (None: no such statement)."""
        if not 0 <= index < len(self.statements):
            return None
        statement = self.statements[index]
        if index in self.misses:
            return self._one(statement, self.misses[index])
        caller, action = _caller(self.request.principal), self.request.action.lower()
        return self._one(statement, statement.check(self.request, caller, action))

    def _one(self, statement: CompiledStatement, miss: Miss | None) -> StatementTrace:
        if miss is None:
            return StatementTrace(statement.ref, True, None, "applies")
        if isinstance(miss, ConditionFailure):
            wanted = next(
                (
                    c.spec.values
                    for c in statement.conditions
                    if c.spec.key == miss.key and c.spec.operator == miss.operator
                ),
                None,
            )
            return StatementTrace(statement.ref, False, "Condition", miss.reason(), miss.key, miss.seen, wanted)
        seen = {
            "Principal": self.request.principal,
            "Action": self.request.action,
            "Resource": self.request.resource,
        }[miss.element.removeprefix("Not")]
        verb = "matches" if miss.element.startswith("Not") else "does not match"
        reason = f"{miss.element} {verb} `{seen}`"
        return StatementTrace(statement.ref, False, miss.element, reason, None, (seen,))
