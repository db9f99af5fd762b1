"""The Condition element: parse a block, compile it, decide whether it holds for a request.

Logic (IAM user guide, "Condition operators" and "multivalued context keys"):

* operators and keys within a block: AND; values of one key: OR; negated operators: NOR.
* missing key: ordinary operators false, negated operators true; ``...IfExists`` true;
  ``ForAllValues:`` true (also for an empty set); ``ForAnyValue:`` false.
* ``Null``: ``true`` means the key is absent, ``false`` that it is present; under ``ForAllValues:``/
  ``ForAnyValue:`` the set rules apply (a missing key is the empty set).
* key names are case-insensitive.

The qualifiers and ``IfExists`` are written once here as wrappers around the family tests in
``operators.FAMILIES``; an unknown operator is a parse error, never a silent match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatewaysim.errors import Problem, shorten
from gatewaysim.policy.operators import FAMILIES, OPERATORS, EvaluationProblem, OperatorSpec, ValueTest
from gatewaysim.suggest import closest

__all__ = ["CompiledCondition", "ConditionFailure", "ConditionSpec", "compile_condition", "parse_block"]

_QUALIFIERS = ("ForAnyValue", "ForAllValues")
Context = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    """One ``operator -> key -> values`` entry of a Condition block, as parsed."""

    operator: str
    qualifier: str | None
    base: str
    if_exists: bool
    key: str
    values: tuple[str, ...]
    variables: bool
    path: str


def split_operator(name: str) -> tuple[str | None, str, bool] | None:
    """``ForAnyValue:StringLikeIfExists`` -> (``ForAnyValue``, ``StringLike``, True); None if unknown."""
    qualifier = None
    if ":" in name:
        qualifier, _, name = name.partition(":")
        if qualifier not in _QUALIFIERS:
            return None
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    if base not in OPERATORS or (if_exists and base == "Null"):
        return None
    return qualifier, base, if_exists


def _operator_hint(name: str) -> str:
    """`` (did you mean `X`?)`` for a misspelt operator: its qualifier, base and ``IfExists`` each corrected."""
    qualifier, _, base = name.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    found = base if base in OPERATORS else closest(base, OPERATORS)
    if found is None:
        return ""
    if qualifier:
        qualifier = closest(qualifier, ("ForAnyValue", "ForAllValues")) or qualifier
    suffix = "IfExists" if if_exists and found != "Null" else ""
    suggestion = f"{qualifier}:{found}{suffix}" if qualifier else f"{found}{suffix}"
    return f" (did you mean `{suggestion}`?)" if suggestion != name else ""


def parse_block(raw: object, path: str, variables: bool, problems: list[Problem]) -> tuple[ConditionSpec, ...]:
    """Parse a Condition block, appending located problems; values are checked by preparing them."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, "must be an object of operators"))
        return ()
    specs: list[ConditionSpec] = []
    for name, keys in raw.items():
        at = f"{path}.{name}"
        parts = split_operator(str(name))
        if parts is None:
            problems.append(Problem(path, f"unknown operator `{name}`{_operator_hint(str(name))}"))
            continue
        if not isinstance(keys, Mapping) or not keys:
            problems.append(Problem(at, "must be an object of condition keys and values"))
            continue
        for key, values in keys.items():
            spec = _parse_entry(str(name), parts, str(key), values, f"{at}.{key}", variables, problems)
            if spec is not None:
                specs.append(spec)
    return tuple(specs)


def _parse_entry(
    name: str,
    parts: tuple[str | None, str, bool],
    key: str,
    raw: object,
    path: str,
    variables: bool,
    problems: list[Problem],
) -> ConditionSpec | None:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        problems.append(Problem(path, "must not be empty"))
        return None
    values: list[str] = []
    before = len(problems)
    for i, item in enumerate(items):
        at = f"{path}[{i}]" if isinstance(raw, list) else path
        value = _scalar(item)
        if value is None:
            problems.append(Problem(at, f"must be a string, number or boolean, not `{item!r}`"))
            continue
        try:
            _prepare(OPERATORS[parts[1]], value, variables)
        except ValueError as exc:
            problems.append(Problem(at, str(exc)))
        values.append(value)
    if len(problems) > before:
        return None
    qualifier, base, if_exists = parts
    return ConditionSpec(name, qualifier, base, if_exists, key, tuple(values), variables, path)


def _scalar(item: object) -> str | None:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return str(item)
    return item if isinstance(item, str) else None


def _prepare(spec: OperatorSpec, value: str, variables: bool) -> ValueTest:
    family = FAMILIES[spec.family]
    return family.prepare(value, spec.variant, variables and family.variables)


@dataclass(frozen=True, slots=True)
class ConditionFailure:
    """Why a condition did not hold: the operator, key and the request's values (None if absent)."""

    operator: str
    key: str
    seen: tuple[str, ...] | None
    problem: str | None = None

    def reason(self) -> str:
        """One line for explanations; what the client sent is quoted to at most 100 characters a value."""
        if self.problem:
            return shorten(f"{self.operator} {self.key}: {self.problem}")
        if self.seen is None:
            return f"{self.operator} {self.key}: key not in the request"
        shown = ", ".join(f"`{v}`" for v in self.seen) or "no value"
        return shorten(f"{self.operator} {self.key}: request has {shown}")


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """A condition entry ready to evaluate against a lower-cased request context."""

    spec: ConditionSpec
    key: str
    tests: tuple[ValueTest, ...]
    negated: bool
    is_null: bool

    def check(self, context: Context) -> ConditionFailure | None:
        """None when the condition holds, else why not."""
        values = context.get(self.key)
        try:
            holds = self._holds(values, context)
        except EvaluationProblem as exc:
            return ConditionFailure(self.spec.operator, self.spec.key, values, str(exc))
        return None if holds else ConditionFailure(self.spec.operator, self.spec.key, values)

    def _holds(self, values: tuple[str, ...] | None, context: Context) -> bool:
        spec = self.spec
        if self.is_null:
            return self._null(values, context)
        if not values:
            if spec.if_exists or spec.qualifier == "ForAllValues":
                return True
            return self.negated if spec.qualifier is None else False
        if spec.qualifier == "ForAllValues":
            return all(self._matches(v, context) != self.negated for v in values)
        if spec.qualifier == "ForAnyValue":
            return any(self._matches(v, context) != self.negated for v in values)
        for value in values:  # no qualifier: any value may match; negated operators: none may (NOR)
            if self._matches(value, context):
                return not self.negated
        return self.negated

    def _null(self, values: tuple[str, ...] | None, context: Context) -> bool:
        """``Null``: ``true`` asks for an absent key. Under a set qualifier the request's values are a
        set (a missing key is the empty set) and each value is present: ``ForAllValues`` holds for
        the empty set, else when ``false`` is listed; ``ForAnyValue`` never for the empty set."""
        wants_absent = [test("", context) for test in self.tests]
        qualifier = self.spec.qualifier
        if qualifier is None:
            absent = not values
            return any(wanted == absent for wanted in wants_absent)
        if not values:
            return qualifier == "ForAllValues"
        return not all(wants_absent)

    def _matches(self, value: str, context: Context) -> bool:
        for test in self.tests:  # noqa: SIM110  # a plain loop: this is the hot path, any(genexpr) costs more
            if test(value, context):
                return True
        return False


def compile_condition(spec: ConditionSpec) -> CompiledCondition:
    """Prepare every value of a parsed condition once."""
    operator = OPERATORS[spec.base]
    tests = tuple(_prepare(operator, value, spec.variables) for value in spec.values)
    return CompiledCondition(spec, spec.key.lower(), tests, operator.negated, spec.base == "Null")
