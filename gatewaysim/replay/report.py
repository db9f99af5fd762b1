"""Render a ``ReplayReport`` for people (text) or programs (JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.gateway.authorize.difference import Change
from gatewaysim.replay.run import CHANGES, Example, Group, ReplayReport

__all__ = ["HEADINGS", "Against", "render_json", "render_text"]

REPORT_VERSION: Final = 1
HEADINGS: Final = {
    Change.NEWLY_DENIED: "newly denied",
    Change.NEWLY_ALLOWED: "newly allowed",
    Change.DECIDED_DIFFERENTLY: "same outcome, decided differently",
    Change.NEEDS_AUTHORIZER: "the authorizer would decide (it never ran for these)",
}


@dataclass(frozen=True, slots=True)
class Against:
    """What was replayed against what: the candidate (or the recorded shadow), the events' source, the window."""

    candidate: str
    source: str
    since: str | None = None
    shadow: bool = False  # the differences the gateway recorded, not decided here


def render_text(report: ReplayReport, against: Against) -> str:
    """A heading, the counts, then each kind of change with its reasons and examples."""
    window = f", since {against.since}" if against.since else ""
    api = f" of api `{report.api_id}`" if report.api_id else ""
    same = "without a recorded shadow difference" if against.shadow else "decided as recorded"
    lines = [
        f"replay: {report.decisions} recorded decisions{api} ({against.source}{window}) against {against.candidate}",
        f"{report.same} {same}, {report.changed} change, {report.skipped} never reached authorization",
    ]
    for change in CHANGES:
        count = report.count(change)
        if count == 0 and change is Change.NEEDS_AUTHORIZER:
            continue
        lines.append("")
        lines.append(f"{HEADINGS[change]}: {count}")
        for group in report.groups[change]:
            lines.extend(_group_lines(group))
    return "\n".join(lines) + "\n"


def _group_lines(group: Group) -> list[str]:
    lines = [f"  {group.reason}  ({group.count} request{'s' if group.count != 1 else ''})"]
    first = group.examples[0]
    shared = all((e.before, e.after) == (first.before, first.after) for e in group.examples)
    if shared:
        lines += [f"    was: {first.before}", f"    now: {first.after}"]
    for example in group.examples:
        lines.append(f"    {_who(example)}")
        if not shared:
            lines += [f"      was: {example.before}", f"      now: {example.after}"]
    more = group.count - len(group.examples)
    if more > 0:
        lines.append(f"    ... and {more} more")
    return lines


def _who(example: Example) -> str:
    e = example.event
    status = f" ({e.status})" if e.status is not None else ""
    return f"{e.method} {e.path}{status}  from {e.source_ip}  as {e.caller}  at {e.event_time}  [{e.request_id}]"


def render_json(report: ReplayReport, against: Against) -> str:
    """One JSON object: the counts, and per kind of change its reasons with every request id."""
    data: dict[str, Any] = {
        "version": REPORT_VERSION,
        "candidate": against.candidate,
        "source": against.source,
        "since": against.since,
        "api": report.api_id,
        "decisions": report.decisions,
        "same": report.same,
        "changed": report.changed,
        "skipped": report.skipped,
        "groups": {
            change.value: {"count": report.count(change), "differences": [_group(g) for g in report.groups[change]]}
            for change in CHANGES
        },
    }
    return json.dumps(data, indent=2) + "\n"


def _group(group: Group) -> dict[str, Any]:
    return {
        "reason": group.reason,
        "count": group.count,
        "requestIds": group.request_ids,
        "examples": [_example(e) for e in group.examples],
    }


def _example(example: Example) -> dict[str, Any]:
    e = example.event
    return {
        "requestId": e.request_id,
        "eventTime": e.event_time,
        "httpMethod": e.method,
        "path": e.path,
        "caller": e.caller,
        "sourceIp": e.source_ip,
        "status": e.status,
        "before": example.before,
        "after": example.after,
    }
