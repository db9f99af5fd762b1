"""What ``simulate`` makes of its request flags: the method ARN to ask about, and notes on ``--context`` keys.

``--resource`` takes a full method ARN, or a short ``/STAGE/VERB/PATH`` (``/prod/GET/pets``) that
is expanded on the API ``config.which_api`` chooses; ``--method GET --path /pets`` builds one on
the same API. Anything else is refused naming the flag to give. A ``--context`` key the policy
never reads and API Gateway never sets gets a note, with the closest known key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from gatewaysim.errors import Problem
from gatewaysim.gateway.paths import ROUTABLE_METHODS
from gatewaysim.lint.keys import KNOWN_KEYS
from gatewaysim.policy import CompiledPolicy
from gatewaysim.suggest import did_you_mean

__all__ = ["SHORT_RESOURCE", "MethodSpec", "context_notes", "method_spec"]

SHORT_RESOURCE: Final = re.compile(r"^/?(?P<stage>[A-Za-z0-9_-]{1,128})/(?P<verb>[A-Z]+)/(?P<path>.*)$")
_VERBS: Final = ", ".join(sorted(ROUTABLE_METHODS))
_FORMS: Final = "--resource arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH, --resource /STAGE/VERB/PATH"


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A method to build the ARN of: its verb, its path after the stage, and the stage if named."""

    verb: str
    path: str
    stage: str | None = None


def method_spec(resource: str | None, method: str | None, path: str | None) -> str | MethodSpec | Problem:
    """A full ARN (as given), a method to build one for, or what is wrong with the flags."""
    if resource is not None:
        if method is not None or path is not None:
            return Problem("--resource", "not with --method/--path (give one or the other)")
        return _from_resource(resource)
    if method is None and path is None:
        return Problem(
            "--resource", "give --resource ARN, --resource /STAGE/VERB/PATH, --method VERB --path PATH, or --requests"
        )
    if path is None:
        return Problem("--path", "missing (with --method)")
    if method is None:
        return Problem("--method", "missing (with --path)")
    if method.upper() not in ROUTABLE_METHODS:
        return Problem("--method", f"`{method}` is not an HTTP method ({_VERBS})")
    return MethodSpec(method.upper(), path.split("?", 1)[0])


def _from_resource(resource: str) -> str | MethodSpec | Problem:
    if resource.startswith("arn:"):
        return resource
    short = SHORT_RESOURCE.match(resource)
    if short is not None and short["verb"] in ROUTABLE_METHODS:
        return MethodSpec(short["verb"], short["path"], short["stage"])
    verb, _, path = resource.partition(" ")
    example = (
        f"--method {verb} --path {path}" if path and verb.upper() in ROUTABLE_METHODS else "--method GET --path /pets"
    )
    return Problem("--resource", f"`{resource}` is not a method ARN; give {_FORMS}, or {example}")


def _policy_keys(policy: CompiledPolicy) -> list[str]:
    return [spec.key for statement in policy.policy.statements for spec in statement.condition]


def context_notes(items: Sequence[str], policy: CompiledPolicy) -> Iterable[str]:
    """A note for each ``--context KEY=VALUE`` whose key neither the policy reads nor API Gateway sets."""
    read = _policy_keys(policy)
    known = {key.lower() for key in (*read, *KNOWN_KEYS)}
    for index, item in enumerate(items):
        key = item.partition("=")[0]
        if key.lower() not in known:
            yield f"--context[{index}]: the policy reads no key `{key}`{did_you_mean(key, [*read, *KNOWN_KEYS])}"
