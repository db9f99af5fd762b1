"""Checks on the document as a whole: size, version, nothing allowed, statements too complex to read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Final

from gatewaysim.lint.findings import Hit
from gatewaysim.lint.model import LintInput, method_list
from gatewaysim.policy.operators import OPERATORS

__all__ = [
    "MAX_CONDITIONS",
    "MAX_POLICY_CHARS",
    "MAX_WILDCARDS",
    "many_wildcards",
    "nothing_allowed",
    "old_version_variables",
    "too_large",
    "too_many_conditions",
]

MAX_POLICY_CHARS: Final = 8192  # AWS: "Max resource-policy length" (spec 1.3)
MAX_CONDITIONS: Final = 4  # the seed: "more than three or four conditions" is hard to maintain
MAX_WILDCARDS: Final = 4  # issue 17: `execute-api:/*/*/v1/*/users/*/keys/*/rotate` has 5, `/*/*/a/*/b/*/c/*/admin` 6
_LIKE_FAMILIES: Final = frozenset({"String", "Arn"})


def too_large(inp: LintInput) -> Iterator[Hit]:
    """A policy longer than AWS's 8,192 characters, measured as minified JSON."""
    if inp.raw is None:
        return
    size = len(json.dumps(inp.raw, separators=(",", ":"), ensure_ascii=False, default=str))
    if size > MAX_POLICY_CHARS:
        message = f"the policy is {size} characters as minified JSON; API Gateway accepts at most {MAX_POLICY_CHARS}"
        fix = "merge statements that share a Principal and Condition, list resources with wildcards, or split the API"
        yield Hit("", message, fix)


def old_version_variables(inp: LintInput) -> Iterator[Hit]:
    """``${...}`` in a policy without ``Version: 2012-10-17``: plain text, not a variable."""
    if inp.policy.variables_enabled:
        return
    for item in inp.resource_items:
        if "${" in item.pattern:
            yield _old_version(item.path, item.pattern)
    for statement in inp.statements:
        for spec in statement.condition:
            for index, value in enumerate(spec.values):
                if "${" in value:
                    yield _old_version(inp.value_path(statement, spec, index), value)


def _old_version(path: str, value: str) -> Hit:
    message = (
        f"`{value}` uses a policy variable, but the policy's Version is `2008-10-17` "
        "(the default when Version is missing), where `${...}` is plain text"
    )
    return Hit(path, message, 'add `"Version": "2012-10-17"` at the top of the policy')


def nothing_allowed(inp: LintInput) -> Iterator[Hit]:
    """No Allow statement, while some methods (or, when unknown, maybe all) use no authorizer."""
    if any(s.effect == "Allow" for s in inp.statements):
        return
    unprotected = tuple(m for m in inp.methods if m.authorization_type == "NONE")
    if inp.methods and not unprotected:
        return
    who = method_list(unprotected) if unprotected else "methods with authorization type NONE"
    message = f"no statement allows anything: every call to {who} is denied (they need an explicit Allow)"
    fix = "add an Allow statement for the callers you expect (Deny-only policies suit methods with an authorizer)"
    yield Hit("Statement", message, fix)


def too_many_conditions(inp: LintInput) -> Iterator[Hit]:
    """A statement with more than four condition entries: hard to read, easy to get wrong."""
    for statement in inp.statements:
        if len(statement.condition) > MAX_CONDITIONS:
            message = (
                f"the statement has {len(statement.condition)} conditions (all must hold), more than {MAX_CONDITIONS}"
            )
            fix = "simplify the access model or split it into several statements"
            yield Hit(f"{statement.path}.Condition", message, fix)


def _wildcards(pattern: str, arn: bool) -> int:
    """``*`` and runs of ``?``; in an ARN only the resource part counts (``arn:aws:execute-api:*:*:*`` is 0)."""
    if arn and pattern.count(":") >= 5:
        pattern = pattern.split(":", 5)[5]
    return pattern.count("*") + len(re.findall(r"\?+", pattern))


def _patterns(inp: LintInput) -> Iterator[tuple[str, str, bool]]:
    """(path, pattern, is ARN) for every Action, Resource and wildcard-capable condition value."""
    for item in inp.resource_items:
        yield item.path, item.pattern, True
    for statement in inp.statements:
        actions = statement.action or statement.not_action or ()
        element = "Action" if statement.action is not None else "NotAction"
        for index, action in enumerate(actions):
            yield inp.item_path(statement, element, index, len(actions)), action, False
        for spec in statement.condition:
            operator = OPERATORS[spec.base]
            if operator.family in _LIKE_FAMILIES and operator.variant in ("like", "arn"):
                for index, value in enumerate(spec.values):
                    yield inp.value_path(statement, spec, index), value, operator.family == "Arn"


def many_wildcards(inp: LintInput) -> Iterator[Hit]:
    """A pattern with more than ``MAX_WILDCARDS`` wildcards: hard to read, and every one widens it."""
    for path, pattern, arn in _patterns(inp):
        count = _wildcards(pattern, arn)
        if count > MAX_WILDCARDS:
            message = (
                f"`{pattern}` has {count} wildcards: each `*` matches any run of characters (`/` included), "
                "so it is hard to see everything it covers"
            )
            fix = "name the path segments you mean, or split the pattern into a few simpler ones"
            yield Hit(path, message, fix)
