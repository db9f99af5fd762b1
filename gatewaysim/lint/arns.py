"""Could a Resource pattern ever match a method ARN of this API? Answered with the engine's matchers.

A method ARN is ``arn:{partition}:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/{path}``
with an arbitrary path. A pattern *could start with* a prefix when some cut of the pattern, turned
into a matcher by ``matching.glob_matcher`` exactly as the engine does, matches the whole prefix:
then the rest of the pattern can always be completed by some path. ``diagnose`` tries growing
prefixes (service, region, account, API id, stage, verb); the first one no cut matches names the
segment that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from gatewaysim.policy import matching
from gatewaysim.policy.variables import Variable, Wild, parse_template

__all__ = [
    "VERBS",
    "Chunks",
    "ResourceProblem",
    "Target",
    "could_match",
    "could_start",
    "diagnose",
    "pattern_chunks",
    "sample_stages",
]

VERBS: Final = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
Chunks = tuple[matching.Chunk, ...]


def pattern_chunks(pattern: str, variables: bool) -> Chunks:
    """The pattern as ``(text, wild)`` chunks; a policy variable could be anything, so it becomes ``*``."""
    try:
        parts = parse_template(pattern, variables=variables).parts
    except ValueError:
        return ((pattern, True),)
    return tuple(("*", True) if isinstance(part, Variable) else (part.text, isinstance(part, Wild)) for part in parts)


def _strict(chunks: Chunks) -> bool:
    """The engine keeps ``*`` inside a colon segment when the whole pattern has six segments."""
    return sum(text.count(":") for text, _ in chunks) >= 5


def could_match(chunks: Chunks, arn: str) -> bool:
    """True when the pattern matches ``arn`` (the engine's matcher)."""
    return matching.glob_matcher(chunks, arn=True, strict=_strict(chunks))(arn)


@lru_cache(maxsize=256)
def _cut_matchers(chunks: Chunks) -> tuple[tuple[int, matching.Matcher], ...]:
    """For every prefix of the pattern (character by character): its literal length and the engine's matcher."""
    strict = _strict(chunks)
    out: list[tuple[int, matching.Matcher]] = []
    literal = 0
    for index, (text, wild) in enumerate(chunks):
        for end in range(len(text) + 1):
            cut = (*chunks[:index], (text[:end], wild))
            out.append((literal, matching.glob_matcher(cut, arn=True, strict=strict)))
            if end < len(text):
                literal += 0 if wild and text[end] == "*" else 1
    return tuple(out)


def could_start(chunks: Chunks, prefix: str) -> bool:
    """True when some string starting with ``prefix`` matches the pattern."""
    for literal, matcher in _cut_matchers(chunks):
        if literal > len(prefix):
            return False
        if matcher(prefix):
            return True
    return False


@dataclass(frozen=True, slots=True)
class ResourceProblem:
    """Why a pattern can never match this API: ``kind`` names the segment, ``detail`` and ``fix`` say more."""

    kind: str  # service | region | account | api | stage | shape | case
    detail: str
    fix: str


@dataclass(frozen=True, slots=True)
class Target:
    """The API a pattern is checked against."""

    partition: str
    region: str
    account: str
    api_id: str
    stages: tuple[str, ...]  # configured stages; empty = unknown (no stage check)
    sample_stages: tuple[str, ...]  # stages to build verb prefixes with

    @property
    def arn(self) -> str:
        """``arn:aws:execute-api:{region}:{account}:{api-id}``."""
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{self.api_id}"


def _levels(target: Target) -> list[tuple[str, list[str]]]:
    base = f"arn:{target.partition}:execute-api:"
    region = f"{base}{target.region}:"
    account = f"{region}{target.account}:"
    levels = [("service", [base]), ("region", [region]), ("account", [account]), ("api", [f"{target.arn}/"])]
    if target.stages:
        levels.append(("stage", [f"{target.arn}/{stage}/" for stage in target.stages]))
    verbs = [f"{target.arn}/{stage}/{verb}/" for stage in target.sample_stages for verb in VERBS]
    levels.append(("verb", verbs))
    return levels


def diagnose(pattern: str, target: Target, variables: bool) -> ResourceProblem | None:
    """None when the pattern could match some method ARN of the API, else the first wrong segment."""
    if pattern == "*":
        return None
    chunks = pattern_chunks(pattern, variables)
    for level, prefixes in _levels(target):
        if not any(could_start(chunks, prefix) for prefix in prefixes):
            return _EXPLAIN[level](pattern, chunks, target)
    return None


def _segments(pattern: str) -> tuple[list[str], list[str]]:
    """The colon segments (up to six) and the ``/`` tokens of the resource part."""
    parts = pattern.split(":", 5)
    return parts, (parts[5].split("/") if len(parts) == 6 else [])


def _replace(pattern: str, index: int, value: str) -> str:
    parts = pattern.split(":", 5)
    parts[index] = value
    return ":".join(parts)


def _replace_token(pattern: str, index: int, value: str) -> str:
    """Replace the ``index``-th ``/`` token of the resource part (``0`` = API id, ``1`` = stage, ``2`` = verb)."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return pattern
    tokens = parts[5].split("/")
    if index >= len(tokens):
        return pattern
    tokens[index] = value
    return ":".join([*parts[:5], "/".join(tokens)])


def _example(target: Target) -> str:
    return f"`{target.arn}/*` or `{target.arn}/STAGE/VERB/PATH`"


def _service(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    parts, _ = _segments(pattern)
    fix = f"name this API's methods: {_example(target)}"
    if len(parts) < 3 or parts[0] != "arn":
        return ResourceProblem("service", "is not an execute-api ARN", fix)
    if parts[2] == "execute-api" and parts[1] != target.partition:
        detail = f"is in partition `{parts[1]}`, but the API is in `{target.partition}`"
        return ResourceProblem("service", detail, f"use `{_replace(pattern, 1, target.partition)}`")
    if parts[2] == "execute-api":
        return ResourceProblem("service", "is too short to name a method of an API", fix)
    return ResourceProblem("service", f"is an ARN of service `{parts[2]}`, never a method of an API", fix)


def _region(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    parts, _ = _segments(pattern)
    if len(parts) < 5:
        return _service(pattern, chunks, target)
    detail = f"names region `{parts[3]}`, but the API is in `{target.region}`"
    return ResourceProblem("region", detail, f"use `{_replace(pattern, 3, target.region)}`")


def _account(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    parts, _ = _segments(pattern)
    if len(parts) < 6:
        return _service(pattern, chunks, target)
    detail = (
        f"names account `{parts[4]}`, but the API belongs to `{target.account}` "
        "(the method ARN carries the owner's account, not the caller's)"
    )
    return ResourceProblem("account", detail, f"use `{_replace(pattern, 4, target.account)}`")


def _api(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    _, tokens = _segments(pattern)
    if could_match(chunks, target.arn):
        detail = "names the API itself, not its methods (a method ARN goes on with `/STAGE/VERB/PATH`)"
        return ResourceProblem("shape", detail, f"use `{pattern}/*`")
    detail = f"names API `{tokens[0] if tokens else ''}`, not this API `{target.api_id}`"
    return ResourceProblem("api", detail, f"use `{_replace_token(pattern, 0, target.api_id)}`")


def _stage(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    _, tokens = _segments(pattern)
    if any(could_match(chunks, f"{target.arn}/{stage}") for stage in target.stages):
        detail = "stops at the stage (a method ARN goes on with `/VERB/PATH`)"
        return ResourceProblem("shape", detail, f"use `{pattern}/*`")
    stage = tokens[1] if len(tokens) > 1 else ""
    stages = ", ".join(f"`{s}`" for s in target.stages)
    detail = f"names stage `{stage}`, which is not one of the API's stages ({stages})"
    fix = f"use one of {stages} or `*`, e.g. `{_replace_token(pattern, 1, target.stages[0])}`"
    return ResourceProblem("stage", detail, fix)


def _verb(pattern: str, chunks: Chunks, target: Target) -> ResourceProblem:
    _, tokens = _segments(pattern)
    if len(tokens) < 3:
        detail = "stops at the stage (a method ARN goes on with `/VERB/PATH`)"
        return ResourceProblem("shape", detail, f"use `{pattern}/*`")
    verb = tokens[2]
    if verb.upper() in VERBS and verb != verb.upper():
        detail = f"names verb `{verb}`: ARN matching is case-sensitive and the method ARN has `{verb.upper()}`"
        return ResourceProblem("case", detail, f"use `{_replace_token(pattern, 2, verb.upper())}`")
    fixed = _replace_token(pattern, 2, f"*/{verb}")
    detail = f"has `{verb}` where the HTTP verb belongs (`API/STAGE/VERB/PATH`)"
    return ResourceProblem("shape", detail, f"put a verb or `*` after the stage: `{fixed}`")


_EXPLAIN: Final[dict[str, Callable[[str, Chunks, Target], ResourceProblem]]] = {
    "service": _service,
    "region": _region,
    "account": _account,
    "api": _api,
    "stage": _stage,
    "verb": _verb,
}


def sample_stages(stages: Sequence[str], patterns: Sequence[str]) -> tuple[str, ...]:
    """The configured stages, or (unknown stages) each literal stage the patterns name plus a placeholder."""
    if stages:
        return tuple(stages)
    found: list[str] = []
    for pattern in patterns:
        _, tokens = _segments(pattern)
        if len(tokens) > 1 and tokens[1] and not matching.has_wildcard(tokens[1]) and tokens[1] not in found:
            found.append(tokens[1])
    return (*found, "stage")
