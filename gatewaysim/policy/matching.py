"""Wildcards to matchers: anchored, fully escaped regexes, or plain equality when there is no wildcard.

* Actions: case-insensitive, ``*`` and ``?`` anywhere (``execute-api:Inv*``).
* Resources and ARN condition values: case-sensitive and compared as ARNs: the first five
  colon-separated segments (``arn``, partition, service, region, account) are matched one by one, so a
  ``*`` there never swallows a ``:``; in the sixth part (the resource) ``*`` crosses ``/`` and ``:``.
  A pattern with fewer than six segments lets its last segment match the rest of the ARN
  (``arn:aws:execute-api:*`` covers every execute-api ARN; AWS does not document this case). The
  ARN condition operators are documented to compare each of the six components, so there a short
  pattern never swallows the rest.
* ``StringLike``: case-sensitive glob over the whole string.

Patterns arrive as chunks ``(text, wild)``: in a chunk with ``wild`` False (an ``${*}`` escape or
a substituted variable) every character is literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

__all__ = [
    "Chunk",
    "Matcher",
    "action_matcher",
    "arn_matcher",
    "compile_regex",
    "has_wildcard",
    "pattern_regex",
]

Matcher = Callable[[str], bool]
Chunk = tuple[str, bool]


def has_wildcard(pattern: str) -> bool:
    """True when ``pattern`` holds ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


def pattern_regex(chunks: Sequence[Chunk], *, arn: bool, strict: bool = False) -> str:
    """Regex source for a glob (``arn`` False) or an ARN pattern (``arn`` True), unanchored.

    ``strict`` (ARN condition operators, documented as comparing each of the six components) keeps
    every ``*`` of a short pattern inside its segment instead of letting the last one swallow the rest.
    """
    colons = sum(text.count(":") for text, _ in chunks) if arn else 0
    inside_segment = arn and (strict or colons >= 5)
    seen = 0
    out: list[str] = []
    for text, wild in chunks:
        for char in text:
            segmented = inside_segment and seen < 5
            if char == ":":
                seen += 1
            if wild and char == "*":
                out.append("[^:]*" if segmented else ".*")
            elif wild and char == "?":
                out.append("[^:]" if segmented else ".")
            else:
                out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_regex(source: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Anchor and compile (cached: equal patterns share one compiled regex)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(rf"\A(?:{source})\Z", flags)


def action_matcher(patterns: tuple[str, ...]) -> Matcher:
    """Case-insensitive matcher for an Action/NotAction list."""
    if "*" in patterns:
        return _always
    plain = frozenset(p.lower() for p in patterns if not has_wildcard(p))
    globs = [pattern_regex([(p, True)], arn=False) for p in patterns if has_wildcard(p)]
    if not globs:
        return lambda action: action.lower() in plain
    regex = compile_regex("|".join(globs), True)
    return lambda action: action.lower() in plain or regex.match(action) is not None


def arn_matcher(patterns: Sequence[str]) -> Matcher:
    """Case-sensitive ARN matcher for a list of patterns (``*`` alone matches anything)."""
    if "*" in patterns:
        return _always
    plain = frozenset(p for p in patterns if not has_wildcard(p))
    globs = [pattern_regex([(p, True)], arn=True) for p in patterns if has_wildcard(p)]
    if not globs:
        return plain.__contains__
    regex = compile_regex("|".join(globs))
    return lambda arn: arn in plain or regex.match(arn) is not None


def _always(_: str) -> bool:
    return True
