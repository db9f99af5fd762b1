"""Stage variables: per stage, a small map of names to values (spec 20), checked as AWS checks them.

::

    api:
      stages: [prod, beta]
      stage_variables:
        prod: {backendHost: api.example.com, lambdaAlias: live}
        beta: {backendHost: beta.example.com}

Names are word characters (``[A-Za-z0-9_]``, at most 64); values are 1-512 characters from
CloudFormation's set ``[A-Za-z0-9-._~:/?#&=,]`` (spec 20.2: AWS's API error text also names the
space; CloudFormation's pattern does not, and a template is what we read, so we follow it); at most
100 variables a stage. A stage the API does not serve is an error. Templates state variables on
their ``Stage`` resources; ``check_variables`` is the one place both sources are checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.config.fields import INVALID, Checker

__all__ = [
    "MAX_NAME",
    "MAX_VALUE",
    "MAX_VARIABLES",
    "StageVariables",
    "check_variables",
    "stage_variables_section",
    "variable_problems",
]

MAX_NAME: Final = 64
MAX_VALUE: Final = 512
MAX_VARIABLES: Final = 100
_NAME: Final = re.compile(r"[A-Za-z0-9_]+")
_VALUE: Final = re.compile(r"[A-Za-z0-9\-._~:/?#&=,]+")

StageVariables = Mapping[str, Mapping[str, str]]
"""Stage name -> variable name -> value."""


def _scalar(value: Any) -> str | None:
    """A YAML scalar as the text AWS would store (numbers and booleans as written), else None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def variable_problems(name: Any, value: Any) -> list[tuple[str, str]]:
    """(part, message) for one variable: ``part`` is ``name`` or ``value``; empty when it is good."""
    out: list[tuple[str, str]] = []
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        out.append(("name", f"invalid stage variable name `{name}`: use only word characters (letters, digits, `_`)"))
    elif len(name) > MAX_NAME:
        out.append(("name", f"stage variable name `{name[:20]}...` is over {MAX_NAME} characters"))
    text = _scalar(value)
    if text is None:
        out.append(("value", f"must be a string, got `{value}`"))
    elif not _VALUE.fullmatch(text):
        allowed = "letters, digits and `-._~:/?#&=,`"
        out.append(("value", f"invalid stage variable value `{text}`: use only {allowed} (and at least one)"))
    elif len(text) > MAX_VALUE:
        out.append(("value", f"stage variable value is over {MAX_VALUE} characters"))
    return out


def check_variables(checker: Checker, path: str, raw: Any) -> dict[str, str] | None:
    """One stage's variables (a mapping) at ``path``; None when any is bad (every problem is recorded)."""
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping of stage variable names to values")
        return None
    if len(raw) > MAX_VARIABLES:
        checker.add(path, f"a stage holds at most {MAX_VARIABLES} variables, got {len(raw)}")
        return None
    out: dict[str, str] = {}
    ok = True
    for name, value in raw.items():
        for _, message in variable_problems(name, value):
            checker.add(f"{path}.{name}", message)
            ok = False
        out[str(name)] = _scalar(value) or ""
    return out if ok else None


def stage_variables_section(checker: Checker, path: str, raw: Any) -> Any:
    """The config's ``stage_variables``: stage -> variables (the stages are checked against the API later)."""
    if not isinstance(raw, Mapping):
        checker.add(path, "must be a mapping of stage name to its variables")
        return INVALID
    checked = {str(stage): check_variables(checker, f"{path}.{stage}", variables) for stage, variables in raw.items()}
    if any(variables is None for variables in checked.values()):
        return INVALID
    return checked
