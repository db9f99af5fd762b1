"""Render a Decision for people: one line, or a per-statement table."""

from __future__ import annotations

from gatewaysim.policy.decision import Decision

__all__ = ["explain_line", "explain_table"]


def explain_line(decision: Decision) -> str:
    """The outcome and the deciding statements, or the closest miss when nothing applied."""
    line = decision.explain()
    if decision.deciding or not decision.trace:
        return line
    misses = [t for t in decision.trace if t.failed]
    return f"{line} ({misses[0].statement.label()}: {misses[0].reason})" if len(misses) == 1 else line


def explain_table(decision: Decision) -> str:
    """One row per statement: effect, whether it applied, and why not."""
    rows = [("statement", "effect", "applies", "why")]
    for trace in decision.trace:
        rows.append((trace.statement.label(), trace.statement.effect, "yes" if trace.applies else "no", trace.reason))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    lines.extend(f"problem: {p}" for p in decision.problems)
    return "\n".join([decision.explain(), *lines])
