"""Where recorded decisions come from: a running gateway's ring, or a decisions file.

``from_file(path)`` reads ``log.decisions_file`` (one JSON event a line, oldest first; the file is
read in bounded steps by ``read_lines``: a line over ``MAX_EVENT_BYTES`` is never held, a file over
``MAX_FILE_BYTES`` is refused, a short line is checked at once and not kept, so memory stays within
about twice the bytes read whatever the file holds); ``from_gateway(url, token)`` asks
``GET /_gatewaysim/decisions?limit=all`` (at most ``MAX_RING_BYTES``) and returns the ring oldest
first. ``since(events, "10m")`` keeps the events of the last ten minutes. Every event is
checked (``events.read_event``); problems are collected and raised together as one located
``ConfigError`` (at most ``MAX_PROBLEMS`` listed), so a bad file never replays half.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final, NamedTuple

import orjson

from gatewaysim.errors import ConfigError, DecisionsError, Problem
from gatewaysim.gateway.admin_client import admin_call
from gatewaysim.replay.bulk import collector_paused
from gatewaysim.replay.events import EventProblem, Replayable, read_event

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "MAX_RING_BYTES",
    "DecisionLines",
    "cutoff",
    "first_api_arn",
    "from_file",
    "from_gateway",
    "line_order",
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
MAX_FILE_BYTES: Final = 2 * 1024**3
"""A decisions file replayed at once (100,000 events are some 250 MB); a larger one is refused."""
MAX_RING_BYTES: Final = 1024**3
"""The longest ``GET /_gatewaysim/decisions?limit=all`` answer read (a ring of 1000 events is a few MB)."""
_SHORT: Final = 64
"""A line shorter than this cannot be a decision event: it is checked as it is read and not kept."""
_STOP_AFTER: Final = 1000
"""Lines found wrong while reading after which the rest of the file is not read (it is refused anyway)."""
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


class DecisionLines(NamedTuple):
    """A decisions file's lines (blank for a line already found wrong) and the problems found reading it."""

    lines: list[bytes]
    problems: list[Problem]  # the first MAX_PROBLEMS
    problem_count: int


def read_lines(path: Path, max_bytes: int = MAX_FILE_BYTES) -> DecisionLines:
    """The lines of a decisions file (bytes, unparsed), read in bounded steps.

    SECURITY: a line longer than ``MAX_EVENT_BYTES`` is skipped in bounded reads, never held (a
    file without newlines, ``/dev/zero``); more than ``max_bytes`` in all is refused; a line too
    short to be an event is checked here and not kept (a file of one-byte lines costs no more
    memory than a file of events), and after ``_STOP_AFTER`` such lines the file is refused
    unread. Pipes work: nothing needs the file's size.
    """
    reading = _Reading(str(path), max_bytes)
    try:
        with path.open("rb") as file:
            while line := file.readline(MAX_EVENT_BYTES + 1):
                reading.add(line, file)
    except OSError as exc:
        raise DecisionsError([Problem("", f"cannot read the file: {exc.strerror or exc}")], str(path)) from exc
    return DecisionLines(reading.lines, reading.found, reading.count)


class _Reading:
    """The lines read so far, the problems found on the way, and the bytes read."""

    def __init__(self, source: str, max_bytes: int) -> None:
        self.source, self.max_bytes = source, max_bytes
        self.lines: list[bytes] = []
        self.found: list[Problem] = []
        self.count = self.total = 0

    def add(self, line: bytes, file: Any) -> None:
        number = len(self.lines) + 1
        self.total += len(line)
        problem = None
        if len(line) > MAX_EVENT_BYTES and not line.endswith(b"\n"):
            self.total += _skip_line(file, self.max_bytes - self.total)
            problem = _too_long(number)
        elif len(line) < _SHORT and line.strip():
            problem = _short_line_problem(line, number)
        if self.total > self.max_bytes:
            message = f"more than {self.max_bytes} bytes: too large to replay at once; replay a recent part of it"
            raise DecisionsError([Problem("", f"{message} (`tail -n 100000 FILE > part.jsonl`)")], self.source)
        if problem is not None:
            self._wrong(problem, number)
            line = b""
        self.lines.append(line.rstrip(b"\r\n"))

    def _wrong(self, problem: Problem, number: int) -> None:
        self.count += 1
        self.found += [problem][: MAX_PROBLEMS - len(self.found)]
        if self.count >= _STOP_AFTER:  # SECURITY: a file of junk lines is refused without reading it all
            more = Problem("", f"... and {self.count - len(self.found)} more; stopped reading at line {number}")
            raise DecisionsError([*self.found, more], self.source)


def _skip_line(file: Any, budget: int) -> int:
    """Read past the rest of an over-long line in bounded steps (at most ``budget`` + 1 bytes); bytes read."""
    skipped = 0
    while skipped <= budget:
        part = file.readline(MAX_EVENT_BYTES)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            break
    return skipped


def _too_long(number: int) -> Problem:
    return Problem(f"line {number}", f"longer than {MAX_EVENT_BYTES} bytes: not an event")


def _short_line_problem(line: bytes, number: int) -> Problem | None:
    """What is wrong with a line too short to be an event (None: it reads after all)."""
    for where, data in numbered([line], number):
        try:
            if isinstance(data, Problem):
                return data
            read_event(data, where)
        except EventProblem as exc:
            return exc.problem
    return None


def line_order(problem: Problem) -> int:
    """The line number of a problem located at ``line N`` (0 for one about the whole file)."""
    number = problem.path.removeprefix("line ")
    return int(number) if number.isdigit() else 0


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
    read = read_lines(path)
    with collector_paused():
        events, problems, count = read_events(numbered(read.lines))
    raise_problems(sorted(read.problems + problems, key=line_order), read.problem_count + count, str(path))
    return events


def numbered(lines: Iterable[bytes], first: int = 1) -> Iterator[tuple[str, Any]]:
    """``("line N", decoded event)`` for each non-blank line (a ``Problem`` for one that is not JSON)."""
    for number, line in enumerate(lines, start=first):
        if len(line) > MAX_EVENT_BYTES:  # SECURITY: bounded before parsing (orjson bounds the depth)
            yield f"line {number}", _too_long(number)
            continue
        if not line.strip():
            continue
        try:
            yield f"line {number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield f"line {number}", Problem(f"line {number}", f"not JSON: {str(exc).partition(':')[0].lower()}")


def from_gateway(url: str, token: str | None, timeout_s: float = 30.0) -> list[Replayable]:
    """The running gateway's ring, oldest first."""
    params = {"limit": "all"}
    reply = asyncio.run(
        admin_call(url, "GET", "decisions", token=token, params=params, timeout_s=timeout_s, max_bytes=MAX_RING_BYTES)
    )
    source = f"{url.rstrip('/')}/_gatewaysim/decisions"
    if reply.status != 200:
        raise DecisionsError([Problem("", f"the gateway answered {reply.status}: {reply.message()}")], source)
    try:  # orjson, not the admin client's document reader: a large ring is tens of MB (orjson bounds the depth)
        body = orjson.loads(reply.body)
    except orjson.JSONDecodeError as exc:
        message = f"the answer is not JSON: {str(exc).partition(':')[0].lower()}"
        raise DecisionsError([Problem("", message)], source) from None
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise DecisionsError([Problem("", "the answer has no `events` list")], source)
    newest_first = [(f"event {len(events) - i} (request `{_id(e)}`)", e) for i, e in enumerate(events)]
    with collector_paused():
        return _read_all(reversed(newest_first), source)


def _id(event: Any) -> str:
    return str(event.get("requestId")) if isinstance(event, dict) else "?"
