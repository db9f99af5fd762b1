"""A policy's statements as the comparisons know them: position, Sid, effect and canonical text.

An attached policy reads them once (``gateway.attached``); decision events name deciding statements
by them, and ``authorize.difference`` matches the statements of two policies with them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gatewaysim.policy import CompiledPolicy, StatementRef

__all__ = ["PolicyView", "StatementId", "statement_ids", "statement_text"]


@dataclass(slots=True)
class StatementId:
    """A statement as the comparison knows it: position, Sid, effect and text (JSON, Sid left out)."""

    index: int
    sid: str | None
    effect: str
    text: str | None

    def label(self) -> str:
        """``Statement[0] (Sid)``, as the engine names statements."""
        return StatementRef(self.index, self.sid, self.effect).label()


def statement_text(statement: Mapping[str, Any]) -> str:
    """A statement's canonical JSON text (keys sorted, compact), its ``Sid`` left out."""
    body = {key: value for key, value in statement.items() if key != "Sid"}
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # a value orjson does not know (a YAML date ...): the json module's text
        return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def statement_ids(document: Mapping[str, Any]) -> tuple[StatementId, ...]:
    """Every statement of a policy document, in order (``Statement`` one object or a list)."""
    raw = document.get("Statement")
    items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    return tuple(
        StatementId(index, _sid(item), str(item.get("Effect")), statement_text(item))
        for index, item in enumerate(items)
        if isinstance(item, Mapping)
    )


def _sid(statement: Mapping[str, Any]) -> str | None:
    sid = statement.get("Sid")
    return sid if isinstance(sid, str) and sid else None


@dataclass(frozen=True, slots=True)
class PolicyView:
    """The policy deciding again: compiled, and its statements for matching and for conditions."""

    compiled: CompiledPolicy
    statements: tuple[StatementId, ...]
