"""Where recorded decisions come from: a running gateway's ring, or a decisions file.

``from_file(path)`` reads ``log.decisions_file`` (one JSON event a line, oldest first);
``from_gateway(url, token)`` asks ``GET /_gatewaysim/decisions?limit=all`` and returns the ring
oldest first. ``since(events, "10m")`` keeps the events of the last ten minutes. Every event is
checked (``events.read_event``); problems are collected and raised together as one located
``ConfigError`` (at most ``MAX_PROBLEMS`` listed), so a bad file never replays half.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import orjson

from gatewaysim.errors import ConfigError, DecisionsError, Problem
from gatewaysim.gateway.admin_client import admin_call
from gatewaysim.replay.bulk import collector_paused
from gatewaysim.replay.events import EventProblem, Replayable, read_event

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_PROBLEMS",
    "cutoff",
    "first_api_arn",
    "from_file",
    "from_gateway",
    "numbered",
    "parse_duration",
    "raise_problems",
    "read_events",
    "read_lines",
    "since",
]

MAX_PROBLEMS: Final = 20
MAX_EVENT_BYTES: Final = 1024 * 1024
"""A decision event is a few KB; a longer line is refused unread (the file may be 100s of MB)."""
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``2h``, ``1d`` -> seconds; raises ``ConfigError`` otherwise."""
    match = _DURATION.match(text)
    if match is None:
        message = f"`{text}` is not a duration (a number and s, m, h or d: 90s, 10m, 2h, 1d)"
        raise ConfigError([Problem("--since", message)], "command line")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def cutoff(window: str | None, now: float | None = None) -> float | None:
    """The epoch second the last ``window`` starts at (None: no window)."""
    if window is None:
        return None
    return (time.time() if now is None else now) - parse_duration(window)


def since(events: list[Replayable], window: str | None, now: float | None = None) -> list[Replayable]:
    """The events of the last ``window`` (all of them when None)."""
    start = cutoff(window, now)
    return events if start is None else [event for event in events if event.epoch() >= start]


def read_events(items: Iterable[tuple[str, Any]]) -> tuple[list[Replayable], list[Problem], int]:
    """The events that read, the first ``MAX_PROBLEMS`` problems, and how many problems there were."""
    events: list[Replayable] = []
    problems: list[Problem] = []
    count = 0
    for where, data in items:
        try:
            if isinstance(data, Problem):  # a line that is not JSON
                raise EventProblem(data)
            events.append(read_event(data, where))
        except EventProblem as exc:
            count += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(exc.problem)
    return events, problems, count


def raise_problems(problems: list[Problem], count: int, source: str) -> None:
    """Raise the located problems found (none: return)."""
    if not count:
        return
    shown = list(problems[:MAX_PROBLEMS])
    if count > len(shown):
        shown.append(Problem("", f"... and {count - len(shown)} more events with problems"))
    raise DecisionsError(shown, source)


def _read_all(items: Iterable[tuple[str, Any]], source: str) -> list[Replayable]:
    events, problems, count = read_events(items)
    raise_problems(problems, count, source)
    return events


def read_lines(path: Path) -> list[bytes]:
    """The lines of a decisions file (bytes, unparsed)."""
    try:
        return path.read_bytes().splitlines()
    except OSError as exc:
        raise DecisionsError([Problem("", f"cannot read the file: {exc.strerror}")], str(path)) from exc


def first_api_arn(lines: Iterable[bytes], api: str | None = None) -> str | None:
    """The API ARN of the first event (of ``api``) among ``lines``, to load the candidate for."""
    for _, data in numbered(lines):
        if isinstance(data, dict) and (api is None or data.get("apiId") == api):
            resource = data.get("resourceArn")
            if isinstance(resource, str) and resource.count(":") >= 5:
                return resource.split("/", 1)[0]
    return None


def from_file(path: Path) -> list[Replayable]:
    """Every event of a decisions file (JSON lines), oldest first."""
    try:
        with path.open("rb") as file, collector_paused():
            return _read_all(numbered(file), str(path))
    except OSError as exc:
        raise DecisionsError([Problem("", f"cannot read the file: {exc.strerror}")], str(path)) from exc


def numbered(lines: Iterable[bytes], first: int = 1) -> Iterator[tuple[str, Any]]:
    """``("line N", decoded event)`` for each non-blank line (a ``Problem`` for one that is not JSON)."""
    for number, line in enumerate(lines, start=first):
        if len(line) > MAX_EVENT_BYTES:  # SECURITY: bounded before parsing (orjson bounds the depth)
            yield f"line {number}", Problem(f"line {number}", f"longer than {MAX_EVENT_BYTES} bytes: not an event")
            continue
        if not line.strip():
            continue
        try:
            yield f"line {number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield f"line {number}", Problem(f"line {number}", f"not JSON: {str(exc).partition(':')[0].lower()}")


def from_gateway(url: str, token: str | None, timeout_s: float = 30.0) -> list[Replayable]:
    """The running gateway's ring, oldest first."""
    reply = asyncio.run(admin_call(url, "GET", "decisions", token=token, params={"limit": "all"}, timeout_s=timeout_s))
    source = f"{url.rstrip('/')}/_gatewaysim/decisions"
    if reply.status != 200:
        raise DecisionsError([Problem("", f"the gateway answered {reply.status}: {reply.message()}")], source)
    body = reply.json()
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise DecisionsError([Problem("", "the answer has no `events` list")], source)
    newest_first = [(f"event {len(events) - i} (request `{_id(e)}`)", e) for i, e in enumerate(events)]
    with collector_paused():
        return _read_all(reversed(newest_first), source)


def _id(event: Any) -> str:
    return str(event.get("requestId")) if isinstance(event, dict) else "?"
