"""The decision log: every authorization decision, allow and deny, with why (CloudTrail for the emulator).

Each request that reached the resource-policy stage leaves one ``DecisionEntry`` in a bounded
ring (the last ``log.decisions_ring`` requests, 1000 by default), queryable at
``GET /_gatewaysim/decisions``, and, with ``log.decisions_file``, one JSON line in that file. An
entry holds the few values the filters read and the stages' values; the log's owner gives the
``render`` function that turns an entry into its event (``gateway.decision_events``), so the
request path pays for one tuple and the event is built only when read or written.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Final, NamedTuple

from gatewaysim.config.live import DEFAULT_DECISIONS_RING
from gatewaysim.observe.line_writer import LineWriter

__all__ = ["NO_POLICY", "OUTCOMES", "DecisionEntry", "DecisionLog", "DecisionQuery", "Render"]

NO_POLICY: Final = "NoPolicy"
OUTCOMES: Final = ("Allow", "ExplicitDeny", "ImplicitDeny", NO_POLICY, "Deny")
"""Values of the ``outcome`` filter; ``Deny`` matches either deny."""
# Built once, as the access log does: json.dumps(separators=...) builds a new encoder on every call.
_EVENT_JSON: Final = json.JSONEncoder(separators=(",", ":"), default=str)


class DecisionEntry(NamedTuple):
    """One decided request: what the filters read, and the stages' values for ``render``."""

    request_id: str
    api_id: str | None
    outcome: str | None  # the resource policy's outcome, NO_POLICY, or None: not evaluated
    allowed: bool | None  # the final verdict (None: no verdict was reached)
    values: Any


Render = Callable[[DecisionEntry], dict[str, Any]]
"""Turns an entry into its JSON event."""


@dataclass(frozen=True, slots=True)
class DecisionQuery:
    """A filter over the ring: newest first, at most ``limit`` events."""

    limit: int = 100
    api: str | None = None
    outcome: str | None = None  # one of OUTCOMES
    request_id: str | None = None
    allowed: bool | None = None

    def matches(self, entry: DecisionEntry) -> bool:
        """True when ``entry`` passes every given filter."""
        if self.request_id is not None and entry.request_id != self.request_id:
            return False
        if self.api is not None and entry.api_id != self.api:
            return False
        if self.allowed is not None and bool(entry.allowed) is not self.allowed:
            return False
        if self.outcome is None:
            return True
        outcome = entry.outcome or ""
        return outcome == self.outcome or (self.outcome == "Deny" and outcome.endswith("Deny"))


class DecisionLog:
    """The ring of recent decisions and, optionally, a JSON-lines file of every decision."""

    def __init__(self, render: Render, size: int = DEFAULT_DECISIONS_RING, stream: IO[str] | None = None) -> None:
        self.size = size
        self.render = render
        self._ring: deque[DecisionEntry] = deque(maxlen=size)
        self._out = LineWriter(stream, owns_stream=True) if stream is not None else None

    @classmethod
    def open(cls, render: Render, size: int, file: str | None) -> DecisionLog:
        """A log keeping ``size`` decisions, appending to ``file`` when given."""
        if file is None:
            return cls(render, size)
        return cls(render, size, open(file, "a", encoding="utf-8"))

    def record(self, entry: DecisionEntry | None) -> None:
        """Keep one decision (nothing for None: the request never reached the policy stage)."""
        if entry is None:
            return
        self._ring.append(entry)
        if self._out is not None:
            self._out.write_line(_EVENT_JSON.encode(self.render(entry)))

    def query(self, query: DecisionQuery) -> list[dict[str, Any]]:
        """The matching events, newest first."""
        return [self.render(entry) for entry in _take(query, reversed(self._ring))]

    def __len__(self) -> int:
        return len(self._ring)

    def close(self) -> None:
        """Write what is queued and close the file (idempotent)."""
        if self._out is not None:
            self._out.close()


def _take(query: DecisionQuery, entries: Iterator[DecisionEntry]) -> Iterator[DecisionEntry]:
    count = 0
    for entry in entries:
        if count >= query.limit:
            return
        if query.matches(entry):
            count += 1
            yield entry
