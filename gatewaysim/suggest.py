"""``did you mean``: the closest known name to a misspelt one (difflib; no dependency).

Used wherever a user-written name is refused: config keys (``trusted_proxy`` ->
``trusted_proxies``), sub-commands (``simulat`` -> ``simulate``), condition keys (``SourceIp`` ->
``aws:SourceIp``), policy elements and operators. Names are compared case-insensitively; the
suggestion keeps the known name's spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

__all__ = ["closest", "did_you_mean"]

CUTOFF: Final = 0.6
"""How alike two names must be (difflib's ratio) to suggest one for the other."""
_MAX_NAME: Final = 200  # longer "names" are not typos of a short one; difflib is quadratic


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name nearest to ``word``, or None when none is close (or ``word`` is one of them)."""
    by_lower: dict[str, str] = {}
    for name in known:
        by_lower.setdefault(name.lower(), name)
    lowered = word.lower()
    if not lowered or len(lowered) > _MAX_NAME or lowered in by_lower:
        return None
    prefixed = [name for low, name in by_lower.items() if low.endswith(":" + lowered)]
    if len(prefixed) == 1:  # `SourceIp` -> `aws:SourceIp`: the name without its service prefix
        return prefixed[0]
    match = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=CUTOFF)
    return by_lower[match[0]] if match else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` to append to a message, or ``""`` when nothing is close."""
    found = closest(word, known)
    return f" (did you mean `{found}`?)" if found is not None else ""
