"""Decide recorded requests again with a candidate policy, and group what changes.

``replay(events, policy)`` decides each recorded request again (``authorize.redecide``: the same
engine, the recorded authorizer result, the pre-authorizer check and Tables A/B) and compares
(``authorize.difference``). The report groups the requests whose authorization changes by kind
(newly denied, newly allowed, decided differently, needs the authorizer) and, within a kind, by
what makes the difference (``Difference.reason``), each with its count, every request id and the
first few requests as examples. ``shadow_report(events)`` groups the ``shadowDecision`` the
gateway recorded the same way, without deciding anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import ConfigError, Problem
from gatewaysim.gateway.attached import AttachedPolicy
from gatewaysim.gateway.authorize.difference import Change, Difference, difference
from gatewaysim.gateway.authorize.redecide import redecide
from gatewaysim.replay.bulk import collector_paused
from gatewaysim.replay.events import Replayable

__all__ = [
    "CHANGES",
    "EXAMPLES",
    "Example",
    "Group",
    "ReplayReport",
    "check_api",
    "fill",
    "replay",
    "select_api",
    "shadow_report",
]

EXAMPLES: Final = 3
_FLAGS: Final = "command line"
CHANGES: Final = (Change.NEWLY_DENIED, Change.NEWLY_ALLOWED, Change.DECIDED_DIFFERENTLY, Change.NEEDS_AUTHORIZER)
"""The groups, in the order reports list them."""


@dataclass(frozen=True, slots=True)
class Example:
    """One changed request: who sent what, and its verdict before and after."""

    event: Replayable
    before: str
    after: str


@dataclass(slots=True)
class Group:
    """The requests that change for one reason."""

    change: Change
    reason: str
    request_ids: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many requests change for this reason."""
        return len(self.request_ids)


@dataclass(slots=True)
class ReplayReport:
    """What a candidate policy (or the recorded shadow) would change in the recorded decisions."""

    api_id: str | None
    decisions: int = 0  # recorded requests considered
    skipped: int = 0  # of them, never reached authorization: nothing to decide again
    groups: dict[Change, list[Group]] = field(default_factory=lambda: {change: [] for change in CHANGES})

    @property
    def changed(self) -> int:
        """Requests whose authorization changes."""
        return sum(group.count for groups in self.groups.values() for group in groups)

    @property
    def same(self) -> int:
        """Requests decided exactly as recorded."""
        return self.decisions - self.skipped - self.changed

    def count(self, change: Change) -> int:
        """Requests in one kind of change."""
        return sum(group.count for group in self.groups[change])


class _Grouper:
    """Collects differences by (change, reason), keeping every id and the first examples."""

    def __init__(self, examples: int) -> None:
        self.examples = examples
        self.groups: dict[tuple[Change, str], Group] = {}

    def add(self, event: Replayable, change: Change, reason: str, before: str, after: str) -> None:
        key = (change, reason)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(change, reason)
        group.request_ids.append(event.request_id)
        if len(group.examples) < self.examples:
            group.examples.append(Example(event, before, after))

    def fill(self, report: ReplayReport) -> ReplayReport:
        return fill(report, self.groups.values())


def fill(report: ReplayReport, groups: Iterable[Group]) -> ReplayReport:
    """Put ``groups`` into ``report``, each kind's largest first (then by reason)."""
    for group in sorted(groups, key=lambda g: (-g.count, g.reason)):
        report.groups[group.change].append(group)
    return report


def check_api(seen: Iterable[str], api_id: str | None) -> str | None:
    """The API replayed: ``api_id`` (it must be among the recorded ones), or the only one recorded."""
    known = sorted(seen)
    names = ", ".join(f"`{a}`" for a in known)
    if api_id is not None:
        if api_id not in known:
            message = f"no recorded decisions of api `{api_id}` (recorded: {names or 'none'})"
            raise ConfigError([Problem("--api", message)], _FLAGS)
        return api_id
    if len(known) > 1:
        raise ConfigError([Problem("--api", f"the decisions are of several apis ({names}): choose one")], _FLAGS)
    return known[0] if known else None


def select_api(events: list[Replayable], api_id: str | None) -> tuple[str | None, list[Replayable]]:
    """The events of one API: ``api_id``'s, or the only API's; several without a choice is an error."""
    chosen = check_api({event.api_id for event in events}, api_id)
    return chosen, events if api_id is None else [event for event in events if event.api_id == api_id]


def replay(events: Iterable[Replayable], policy: AttachedPolicy, *, examples: int = EXAMPLES) -> ReplayReport:
    """Decide every recorded request again with ``policy``; group what changes."""
    report, grouper = ReplayReport(None), _Grouper(examples)
    compiled, view = policy.compiled, policy.view
    with collector_paused():
        for event in events:
            report.decisions += 1
            recorded, before = event.recorded, event.before
            if recorded is None or before is None:
                report.skipped += 1
                continue
            found: Difference | None = difference(before, redecide(compiled, recorded), view)
            if found is not None:
                grouper.add(event, found.change, found.reason, found.before, found.after)
    return grouper.fill(report)


def shadow_report(events: Iterable[Replayable], *, examples: int = EXAMPLES) -> ReplayReport:
    """Group the ``shadowDecision`` each event carries (decided by the gateway when it was recorded)."""
    report, grouper = ReplayReport(None), _Grouper(examples)
    for event in events:
        report.decisions += 1
        if event.recorded is None or event.before is None:
            report.skipped += 1
            continue
        shadow = event.shadow
        if shadow is not None:
            change, reason, after = _shadow_fields(shadow)
            grouper.add(event, change, reason, event.before.line(), after)
    return grouper.fill(report)


def _shadow_fields(shadow: Mapping[str, Any]) -> tuple[Change, str, str]:
    try:
        change = Change(str(shadow.get("change")))
    except ValueError:
        change = Change.DECIDED_DIFFERENTLY
    verdict = shadow.get("verdict") or "the authorizer decides (it never ran)"
    deciding = shadow.get("decidingStatement")
    return change, str(shadow.get("reason") or ""), f"{verdict} by {deciding}" if deciding else str(verdict)
