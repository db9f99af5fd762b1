"""One replay as asked: a candidate (or the recorded shadow) over a decisions file or a gateway's ring.

``replay_file`` reads a decisions file and decides it on every CPU when it is large
(``replay.parallel``); ``replay_gateway`` reads a running gateway's ring. Both keep the events of
``Ask.since`` and of one API (``Ask.api``, or the only one recorded), load the candidate once for
that API (any file a policy comes from: ``candidate.load_candidate``) and return the grouped
``ReplayReport``. Every problem is a located ``GatewaysimError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gatewaysim.replay.candidate import DEFAULT_API_ARN, load_candidate
from gatewaysim.replay.events import Replayable
from gatewaysim.replay.parallel import FileJob, replay_lines
from gatewaysim.replay.run import EXAMPLES, ReplayReport, check_api, replay, select_api, shadow_report
from gatewaysim.replay.sources import cutoff, first_api_arn, from_gateway, line_order, raise_problems, read_lines

__all__ = ["Ask", "replay_file", "replay_gateway"]


@dataclass(frozen=True, slots=True)
class Ask:
    """What to replay: ``candidate`` (None: group the recorded shadow differences) and which events."""

    candidate: Path | None
    api: str | None = None
    policy_api: str | None = None  # the API in a candidate file that holds several
    since: str | None = None  # 90s, 10m, 2h, 1d
    examples: int = EXAMPLES
    parameters: Mapping[str, str] | None = None  # a template candidate's parameters (--parameter-overrides)


def _decider(ask: Ask, arn: str | None) -> Callable[[list[Replayable]], ReplayReport]:
    """What decides the chosen events: the candidate (loaded here, once) or the recorded shadow."""
    examples = ask.examples
    if ask.candidate is None:
        return lambda events: shadow_report(events, examples=examples)
    policy = load_candidate(ask.candidate, arn or DEFAULT_API_ARN, ask.policy_api, ask.parameters)
    return lambda events: replay(events, policy, examples=examples)


def _check_only(events: list[Replayable]) -> ReplayReport:
    return ReplayReport(None)


def replay_file(path: Path, ask: Ask) -> ReplayReport:
    """A decisions file (``log.decisions_file``), on every CPU when it is large."""
    start = cutoff(ask.since)  # a bad duration is bad input before anything is read
    read = read_lines(path)
    decide = _decider(ask, None if ask.candidate is None else first_api_arn(read.lines, ask.api))
    if read.problem_count:  # the file is refused: its other lines are only checked, not decided
        decide = _check_only
    outcome = replay_lines(FileJob(read.lines, decide, ask.api, start, ask.examples))
    problems = sorted(read.problems + outcome.problems, key=line_order)
    raise_problems(problems, read.problem_count + outcome.problem_count, str(path))
    outcome.report.api_id = check_api(outcome.apis, ask.api)
    return outcome.report


def replay_gateway(url: str, token: str | None, ask: Ask) -> ReplayReport:
    """A running gateway's ring (its last ``log.decisions_ring`` decisions)."""
    start = cutoff(ask.since)
    events = from_gateway(url, token)
    if start is not None:
        events = [event for event in events if event.epoch() >= start]
    api_id, events = select_api(events, ask.api)
    report = _decider(ask, events[0].api_arn if events else None)(events)
    report.api_id = api_id
    return report
