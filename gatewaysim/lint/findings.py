"""What the linter reports: ``Finding`` (one located problem), ``LintReport``, and their renderings.

Text form, one line a finding::

    api.json: Statement[1].Resource[0]: error GS104: resource `...` names API `x`, ... (fix: use `...`)

JSON form: a list of objects ``{source, path, severity, code, message, fix}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Final, NamedTuple

__all__ = ["ERROR", "WARNING", "Finding", "Hit", "LintReport", "render_json", "render_text"]

ERROR: Final = "error"
WARNING: Final = "warning"
_NUMBERS = re.compile(r"(\d+)")
_STATEMENT = re.compile(r"Statement\[(\d+)\]")


class Hit(NamedTuple):
    """What a check function yields; the check table adds the code and the severity."""

    path: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: ``path`` is a JSON path into the policy (``Statement[1].Resource[0]``, ``""`` = whole)."""

    code: str
    severity: str
    path: str
    message: str
    fix: str

    def render(self, source: str | None = None) -> str:
        """``source: path: severity CODE: message (fix: ...)``."""
        head = ": ".join(part for part in (source, self.path) if part)
        line = f"{self.severity} {self.code}: {self.message} (fix: {self.fix})"
        return f"{head}: {line}" if head else line

    def to_dict(self, source: str | None = None) -> dict[str, str | None]:
        """JSON-ready, the source first."""
        return {"source": source, **asdict(self)}


def _order(finding: Finding) -> tuple[object, ...]:
    """Document order by statement (Statement[2] before Statement[10]); in one statement errors first."""
    match = _STATEMENT.match(finding.path)
    statement = int(match.group(1)) if match and match.group(1) else -1
    pieces = tuple(int(p) if p.isdigit() else p for p in _NUMBERS.split(finding.path))
    return (statement, finding.severity != ERROR, pieces, finding.code)


@dataclass(frozen=True, slots=True)
class LintReport:
    """Every finding for one policy: by statement, errors first within one."""

    findings: tuple[Finding, ...]
    source: str | None = None

    @classmethod
    def build(cls, findings: Iterable[Finding], source: str | None = None) -> LintReport:
        """Sort into document order."""
        return cls(tuple(sorted(findings, key=_order)), source)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings with severity ``error``."""
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings with severity ``warning``."""
        return tuple(f for f in self.findings if f.severity == WARNING)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes found, in order (handy in tests)."""
        return tuple(f.code for f in self.findings)

    def summary(self) -> str:
        """``api.json: 1 error, 2 warnings`` or ``api.json: no problems found``."""
        prefix = f"{self.source}: " if self.source else ""
        if not self.findings:
            return f"{prefix}no problems found"
        errors, warnings = len(self.errors), len(self.warnings)
        return f"{prefix}{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def render_text(reports: Iterable[LintReport]) -> str:
    """One line a finding, then one summary line a report."""
    lines: list[str] = []
    for report in reports:
        lines.extend(finding.render(report.source) for finding in report.findings)
        lines.append(report.summary())
    return "\n".join(lines) + "\n"


def render_json(reports: Iterable[LintReport]) -> str:
    """A JSON list of finding objects across every report."""
    items = [finding.to_dict(report.source) for report in reports for finding in report.findings]
    return json.dumps(items, indent=2) + "\n"
