"""Checks on Resource/NotResource and Action/NotAction: can the statement ever apply to this API?"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from gatewaysim.lint.findings import Hit
from gatewaysim.lint.model import LintInput
from gatewaysim.policy import matching

__all__ = ["API_ACTIONS", "INVOKE", "foreign_actions", "never_invoke", "resource_check"]

INVOKE: Final = "execute-api:Invoke"
API_ACTIONS: Final = (INVOKE, "execute-api:InvalidateCache", "execute-api:ManageConnections")


def resource_check(kind: str) -> Callable[[LintInput], Iterator[Hit]]:
    """A check reporting the Resource/NotResource patterns that fail at segment ``kind``."""

    def check(inp: LintInput) -> Iterator[Hit]:
        for item, problem in inp.resource_problems:
            if problem.kind != kind:
                continue
            if item.element == "Resource":
                message = f"resource `{item.pattern}` {problem.detail}; it never matches a call to this API"
            else:
                message = f"excluded resource `{item.pattern}` {problem.detail}; it excludes nothing"
            yield Hit(item.path, message, problem.fix)

    check.__name__ = f"resource_{kind}"
    check.__doc__ = f"Resource patterns whose {kind} can never match this API."
    return check


def foreign_actions(inp: LintInput) -> Iterator[Hit]:
    """Action entries of another service (``s3:GetObject``): a call to an API is never that action."""
    for statement in inp.statements:
        actions = statement.action or ()
        for index, action in enumerate(actions):
            if any(matching.action_matcher((action,))(known) for known in API_ACTIONS):
                continue
            path = inp.item_path(statement, "Action", index, len(actions))
            message = f"action `{action}` never matches a call to an API (calls are `{INVOKE}`)"
            yield Hit(path, message, f"use `{INVOKE}`")


def never_invoke(inp: LintInput) -> Iterator[Hit]:
    """Statements whose Action/NotAction leaves out ``execute-api:Invoke``, so they never apply to calls."""
    for statement in inp.statements:
        if statement.action is not None:
            api_actions = [a for a in statement.action if any(matching.action_matcher((a,))(k) for k in API_ACTIONS)]
            if api_actions and not matching.action_matcher(statement.action)(INVOKE):
                shown = ", ".join(f"`{a}`" for a in api_actions)
                message = f"the statement's actions ({shown}) leave out `{INVOKE}`: it never applies to calls"
                yield Hit(f"{statement.path}.Action", message, f"add `{INVOKE}` if the statement is about calls")
        elif statement.not_action is not None and matching.action_matcher(statement.not_action)(INVOKE):
            message = f"`NotAction` excludes `{INVOKE}`: the statement never applies to calls"
            yield Hit(f"{statement.path}.NotAction", message, f"remove `{INVOKE}` (or `execute-api:*`) from NotAction")
