"""What ``gatewaysim test`` found for each scenario, and how it prints: a table, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.policy import Decision
from gatewaysim.policy.explain import explain_table
from gatewaysim.scenarios.files import Scenario, ScenarioResult

__all__ = ["Checked", "FileReport", "render_json", "render_text", "summary"]

_NAME_WIDTH: Final = 72
_LABELS: Final = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


@dataclass(frozen=True, slots=True)
class Checked:
    """One scenario's result: the decision read (engine or gateway) and how it differs from the file."""

    scenario: Scenario
    method_arn: str
    decision: Decision | None  # None: no decision could be read (skipped, or the gateway errored)
    failures: tuple[str, ...] = ()
    skipped: str | None = None
    notes: tuple[str, ...] = ()
    http_status: int | None = None

    @classmethod
    def from_result(cls, result: ScenarioResult) -> Checked:
        """A result of ``scenarios.run_scenarios`` (the policy engine)."""
        return cls(result.scenario, result.method_arn, result.decision, result.failures)

    @property
    def result(self) -> str:
        """``pass``, ``fail`` or ``skip``."""
        return "skip" if self.skipped else "fail" if self.failures else "pass"

    @property
    def got(self) -> str:
        """The outcome read, or ``-``."""
        return self.decision.outcome.value if self.decision is not None else "-"


@dataclass(frozen=True, slots=True)
class FileReport:
    """The results of one scenario file."""

    source: str
    against: str  # what answered: a policy file, a config's API, or a gateway URL
    mode: str  # "engine" or "http"
    rows: tuple[Checked, ...] = field(default=())


def summary(reports: Sequence[FileReport]) -> dict[str, int]:
    """Counts of passed, failed and skipped scenarios."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    names = {"pass": "passed", "fail": "failed", "skip": "skipped"}
    for report in reports:
        for row in report.rows:
            counts[names[row.result]] += 1
    return counts


def _counts_line(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    line = f"{total} scenario{'s' if total != 1 else ''}: {counts['passed']} passed, {counts['failed']} failed"
    return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


def render_text(reports: Sequence[FileReport]) -> str:
    """A table per file: one row per scenario; under a failure, why (the per-statement trace)."""
    out: list[str] = []
    for report in reports:
        out.append(f"{report.source} (against {report.against})")
        width = min(_NAME_WIDTH, max((len(row.scenario.name) for row in report.rows), default=0))
        for row in report.rows:
            out.append(f"  {_LABELS[row.result]}  {row.scenario.name.ljust(width)}  {_row_tail(row)}")
            out.extend(f"        {line}" for line in _details(row))
        out.append(f"  {_counts_line(summary([report]))}")
        out.append("")
    if len(reports) > 1:
        out.append(f"{len(reports)} files, {_counts_line(summary(reports))}")
    return "\n".join(out).rstrip("\n") + "\n"


def _row_tail(row: Checked) -> str:
    if row.skipped:
        return f"skipped: {row.skipped}"
    expected = row.scenario.expect.outcome
    matched = row.got == expected or (expected == "Deny" and row.got.endswith("Deny"))
    return row.got if matched else f"{row.got} (expected {expected})"


def _details(row: Checked) -> list[str]:
    lines = list(row.notes)
    if row.result != "fail":
        return lines
    request = row.scenario.request
    lines.insert(0, f"{request.method} {row.method_arn}")
    lines.extend(row.failures)
    if row.decision is not None:
        trace = explain_table(row.decision) if row.decision.trace else row.decision.explain()
        lines.extend(trace.splitlines())
    return lines


def render_json(reports: Sequence[FileReport]) -> str:
    """``{"files": [...], "summary": {...}}``; each result carries the decision's ``to_dict()``."""
    files = [
        {
            "file": report.source,
            "against": report.against,
            "mode": report.mode,
            "results": [_row_json(row) for row in report.rows],
            "summary": summary([report]),
        }
        for report in reports
    ]
    return json.dumps({"files": files, "summary": summary(reports)}, indent=2) + "\n"


def _row_json(row: Checked) -> dict[str, Any]:
    return {
        "name": row.scenario.name,
        "result": row.result,
        "expect": row.scenario.expect.outcome,
        "got": row.decision.outcome.value if row.decision is not None else None,
        "failures": list(row.failures),
        "skipped": row.skipped,
        "notes": list(row.notes),
        "methodArn": row.method_arn,
        "httpStatus": row.http_status,
        "decision": row.decision.to_dict() if row.decision is not None else None,
    }
