"""Hostile inputs shared by the hardening tests (issue 17)."""

from __future__ import annotations

__all__ = ["yaml_bomb"]


def yaml_bomb(levels: int, width: int) -> bytes:
    """A "billion laughs" YAML document: ``levels`` anchors each aliasing the previous one ``width``
    times, so it expands to ``width ** levels`` values in a few hundred bytes."""
    names = [f"a{i}" for i in range(levels)]
    lines = [f"{names[0]}: &{names[0]} [" + ",".join(["x"] * width) + "]"]
    lines += [f"{b}: &{b} [" + ",".join([f"*{a}"] * width) + "]" for a, b in zip(names, names[1:], strict=False)]
    return "\n".join(lines).encode()
