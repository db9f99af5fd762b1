"""The matcher gatewaysim used before issue 17, kept here only as the oracle of the property tests.

Wildcards became an anchored regex (``*`` -> ``.*`` or ``[^:]*``): right, but backtracking, so a
pattern like ``/*/*/a/*/b/*/c/*/admin`` took seconds on a long path. ``gatewaysim.policy.matching``
must answer exactly as this did.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["oracle_matches", "pattern_regex"]

Chunk = tuple[str, bool]


def pattern_regex(chunks: Sequence[Chunk], *, arn: bool, strict: bool = False) -> str:
    """The old regex source for a glob (``arn`` False) or an ARN pattern (``arn`` True), unanchored."""
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


def oracle_matches(
    chunks: Sequence[Chunk], text: str, *, arn: bool, strict: bool = False, ignore_case: bool = False
) -> bool:
    """The old answer: the anchored regex, DOTALL (IGNORECASE for actions)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.match(rf"\A(?:{pattern_regex(chunks, arn=arn, strict=strict)})\Z", text, flags) is not None
