"""A decisions file replayed on every CPU: contiguous parts of its lines, one forked worker each.

Reading, checking and deciding an event again costs some 30-40 us of pure Python, so 100,000 of
them keep one CPU busy for seconds. ``replay_lines`` splits the lines into one part a CPU; each
forked worker reads its part (``sources.read_events``), keeps the events of the window and API
asked for, and decides them (``decide``: ``run.replay`` with the candidate the parent already
loaded, or ``run.shadow_report``). The workers inherit the lines and the compiled candidate from
the parent (copy-on-write: nothing is pickled on the way in) and send back only their reports:
counts, the changed requests' ids and a few examples. The parts' reports are merged in order, so
the result is the one a single process gives (``tests/replay/test_parallel.py``).

Small files, one CPU, a platform without ``fork``, or a process running other threads (forking
one is unsafe) run in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from gatewaysim.errors import Problem
from gatewaysim.gateway.authorize.difference import Change
from gatewaysim.replay.bulk import collector_paused
from gatewaysim.replay.events import Replayable
from gatewaysim.replay.run import Group, ReplayReport, fill
from gatewaysim.replay.sources import MAX_PROBLEMS, numbered, read_events

__all__ = ["PARALLEL_FROM", "FileJob", "Lines", "cpus", "replay_lines"]

PARALLEL_FROM: Final = 20_000
"""Fewer lines than this are replayed in this process: forking would cost more than it saves."""
MAX_WORKERS: Final = 8

Lines = Sequence[bytes]
Decide = Callable[[list[Replayable]], ReplayReport]


@dataclass(frozen=True, slots=True)
class FileJob:
    """What every part does: decide the events of ``api`` (None: all) from ``cutoff`` on (None: all)."""

    lines: Lines
    decide: Decide
    api: str | None = None
    cutoff: float | None = None
    examples: int = 3


class _Part(NamedTuple):
    report: ReplayReport | None  # None when the part had problems
    problems: list[Problem]
    problem_count: int
    apis: frozenset[str]


@dataclass(slots=True)
class Outcome:
    """The merged report, the APIs seen in the window, and the first problems (with their count)."""

    report: ReplayReport
    apis: frozenset[str] = frozenset()
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    parts: int = 1  # processes that read and decided


_JOB: FileJob | None = None
"""The job of the parts now running: set before the workers fork, read by them (never pickled)."""


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _run_part(bounds: tuple[int, int]) -> _Part:
    job = _JOB
    assert job is not None  # set by replay_lines before any part runs
    return _part(job, bounds)


def _part(job: FileJob, bounds: tuple[int, int]) -> _Part:
    start, end = bounds
    with collector_paused():
        events, problems, count = read_events(numbered(job.lines[start:end], start + 1))
        if count:
            return _Part(None, problems, count, frozenset())
        if job.cutoff is not None:
            events = [event for event in events if event.epoch() >= job.cutoff]
        apis = frozenset(event.api_id for event in events)
        if job.api is not None:
            events = [event for event in events if event.api_id == job.api]
        return _Part(job.decide(events), [], 0, apis)


def _bounds(total: int, parts: int) -> list[tuple[int, int]]:
    size = -(-total // parts)
    return [(start, min(start + size, total)) for start in range(0, total, size)] or [(0, 0)]


def replay_lines(job: FileJob, workers: int | None = None, *, parallel_from: int = PARALLEL_FROM) -> Outcome:
    """Replay every line of ``job``: in ``workers`` forked processes (default: one a CPU) when it pays."""
    global _JOB
    count = min(workers or cpus(), MAX_WORKERS)
    forking = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if count < 2 or len(job.lines) < parallel_from or not forking:
        return _merge([_part(job, (0, len(job.lines)))], job.examples)
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.map(_run_part, _bounds(len(job.lines), count))
    finally:
        _JOB = None
    return _merge(parts, job.examples)


def _merge(parts: list[_Part], examples: int) -> Outcome:
    """The parts' reports as one, in line order (ids and examples keep the order of the file)."""
    outcome = Outcome(ReplayReport(None), parts=len(parts))
    groups: dict[tuple[Change, str], Group] = {}
    for part in parts:
        outcome.problems += part.problems[: MAX_PROBLEMS - len(outcome.problems)]
        outcome.problem_count += part.problem_count
        outcome.apis |= part.apis
        if part.report is None:
            continue
        outcome.report.decisions += part.report.decisions
        outcome.report.skipped += part.report.skipped
        for group in (g for kind in part.report.groups.values() for g in kind):
            merged = groups.setdefault((group.change, group.reason), Group(group.change, group.reason))
            merged.request_ids += group.request_ids
            merged.examples += group.examples[: max(0, examples - len(merged.examples))]
    fill(outcome.report, groups.values())
    return outcome
