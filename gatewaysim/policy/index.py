"""A resource index: which statements can possibly match a resource, found with a few dict lookups.

Large policies (hundreds of per-path statements) spend most of their time rejecting statements
whose Resource cannot match. Each Resource pattern is keyed by its literal prefix (the text before
its first wildcard); a resource can only match patterns whose prefix it starts with. Statements
with NotResource, a bare ``*``, or policy variables are always candidates. The index only narrows
the loop: candidates are still checked in full, so decisions are the same with or without it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

__all__ = ["ResourceIndex"]

_MIN_STATEMENTS = 16


class ResourceIndex:
    """Statement positions by the literal prefixes of their Resource patterns."""

    __slots__ = ("_always", "_by_length", "_exact")

    def __init__(self, always: list[int], exact: dict[str, list[int]], by_length: dict[int, dict[str, list[int]]]):
        self._always = tuple(always)
        self._exact = {key: tuple(value) for key, value in exact.items()}
        self._by_length = tuple(
            (length, {k: tuple(v) for k, v in table.items()}) for length, table in by_length.items()
        )

    @classmethod
    def build(cls, resources: Sequence[tuple[tuple[str, ...], bool, bool]]) -> ResourceIndex | None:
        """From ``(patterns, negated, has_variables)`` per statement; None when not worth it."""
        if len(resources) < _MIN_STATEMENTS:
            return None
        always: list[int] = []
        exact: dict[str, list[int]] = defaultdict(list)
        by_length: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for position, (patterns, negated, has_variables) in enumerate(resources):
            if negated or has_variables or "*" in patterns:
                always.append(position)
                continue
            for pattern in patterns:
                cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=-1)
                if cut < 0:
                    exact[pattern].append(position)
                elif cut == 0:
                    always.append(position)
                else:
                    by_length[cut][pattern[:cut]].append(position)
        return cls(always, exact, by_length)

    def candidates(self, resource: str) -> list[int]:
        """Positions of the statements that may match ``resource``, in policy order."""
        found = set(self._always)
        found.update(self._exact.get(resource, ()))
        for length, table in self._by_length:
            found.update(table.get(resource[:length], ()))
        return sorted(found)
