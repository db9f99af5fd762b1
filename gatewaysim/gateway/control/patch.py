"""Patch operations (``update-*``'s ``--patch-operations``), read and checked as AWS checks them.

AWS's messages for a bad patch (recorded against AWS by LocalStack's validated tests):
``Invalid patch operation specified. Must be one of: [replace]`` and ``Invalid patch path
/binaryMediaTypes``. An operation gatewaysim cannot apply live is refused the same way, with the
paths it does apply named, so nothing is ignored silently. Every operation of one call is checked
before any is applied: a bad one leaves the gateway as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.gateway.control.state import bad_request

__all__ = ["MAX_PATCH_OPERATIONS", "Patch", "patches", "refuse_op", "refuse_path"]

MAX_PATCH_OPERATIONS: Final = 100
_OPS: Final = ("add", "remove", "replace", "move", "copy", "test")


@dataclass(frozen=True, slots=True)
class Patch:
    """One patch operation: ``op`` on ``path`` with ``value`` (None when not given)."""

    op: str
    path: str
    value: str | None


def patches(params: Mapping[str, Any], ops: Iterable[str], applied: str) -> list[Patch]:
    """The call's patch operations, each op one of ``ops``; ``applied`` names the paths gatewaysim applies."""
    raw: Sequence[Mapping[str, Any]] = params.get("patchOperations") or []
    if len(raw) > MAX_PATCH_OPERATIONS:
        raise bad_request(f"Too many patch operations: at most {MAX_PATCH_OPERATIONS} in one call")
    allowed = tuple(ops)
    out: list[Patch] = []
    for item in raw:
        op, path = item.get("op"), item.get("path")
        if op not in _OPS:
            raise bad_request(f"Invalid patch operation specified. Must be one of: [{', '.join(allowed)}]")
        if not path:
            raise bad_request(f"Invalid patch path null (gatewaysim applies {applied})")
        out.append(Patch(str(op), str(path), item.get("value")))
    return out


def refuse_op(patch: Patch, ops: Sequence[str]) -> None:
    """AWS's answer for an op the path does not take."""
    if patch.op not in ops:
        raise bad_request(f"Invalid patch operation specified. Must be one of: [{', '.join(ops)}]")


def refuse_path(patch: Patch, applied: str) -> None:
    """AWS's answer for a path it does not take (or gatewaysim cannot apply live)."""
    raise bad_request(f"Invalid patch path {patch.path[:200]} (gatewaysim applies {applied} live)")
