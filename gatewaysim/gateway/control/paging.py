"""``position``/``limit`` paging of the ``get-*`` lists, as AWS pages them (default 25, at most 500).

The AWS CLI and boto3's paginators follow ``position`` until it is absent; a position is opaque
to them, so gatewaysim's is the index of the next item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from gatewaysim.gateway.control.state import bad_request

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "page"]

DEFAULT_LIMIT: Final = 25
MAX_LIMIT: Final = 500


def page(items: Sequence[Mapping[str, Any]], params: Mapping[str, Any], key: str = "items") -> dict[str, Any]:
    """One page of ``items`` under ``key``, with the next ``position`` when there are more."""
    limit = params.get("limit")
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"Invalid limit value specified: must be between 1 and {MAX_LIMIT}")
    position = params.get("position")
    start = 0
    if position is not None:
        if not position.isdigit() or int(position) > len(items):
            raise bad_request(f"Invalid position parameter specified: {position[:100]}")
        start = int(position)
    out: dict[str, Any] = {key: list(items[start : start + limit])}
    if start + limit < len(items):
        out["position"] = str(start + limit)
    return out
