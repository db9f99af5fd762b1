"""``lint_policy``: every check of ``CHECKS`` on one policy document (package docstring), and ``codes``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gatewaysim.errors import DocumentError, PolicyError
from gatewaysim.lint.findings import ERROR, WARNING, Finding, LintReport, render_json, render_text
from gatewaysim.lint.model import ApiContext, LintInput, MethodAuth
from gatewaysim.lint.table import CHECKS, PARSE_ERROR, Check
from gatewaysim.policy import Policy, parse_policy
from gatewaysim.safeload import POLICY_LIMITS, load_json_or_yaml

__all__ = [
    "CHECKS",
    "ERROR",
    "PARSE_ERROR",
    "WARNING",
    "ApiContext",
    "Check",
    "Finding",
    "LintReport",
    "MethodAuth",
    "codes",
    "lint_policy",
    "parse_error_report",
    "render_json",
    "render_text",
]


def lint_policy(
    document: str | bytes | Mapping[str, Any] | Policy,
    *,
    api: ApiContext,
    methods: Sequence[MethodAuth] = (),
    source_name: str | None = None,
) -> LintReport:
    """Run every check of ``CHECKS`` on ``document`` for ``api``; parse problems become GS000 errors.

    ``methods`` (optional) enables the checks that depend on authorization types; without them
    those checks stay silent. A ``Policy`` (already parsed) skips the size check.
    """
    raw = _raw(document)
    try:
        policy = parse_policy(
            raw if raw is not None else document, api_arn=api.arn, source_name=source_name, require_principal=True
        )
    except PolicyError as exc:
        return parse_error_report(exc, source_name)
    inp = LintInput(policy, api, methods, raw)
    found = [
        Finding(check.code, check.severity, hit.path, hit.message, hit.fix)
        for check in CHECKS
        for hit in check.function(inp)
    ]
    return LintReport.build(found, source_name)


def parse_error_report(exc: PolicyError, source_name: str | None = None) -> LintReport:
    """A report with one GS000 error per problem of a document that does not parse."""
    fix = "correct the document; it does not parse"
    findings = (Finding(PARSE_ERROR, ERROR, p.path, p.message, fix) for p in exc.problems)
    return LintReport.build(findings, source_name or exc.source)


def _raw(document: str | bytes | Mapping[str, Any] | Policy) -> Mapping[str, Any] | None:
    """The document as a mapping when it is one (for its size and exact JSON paths), else None."""
    if isinstance(document, Mapping):
        return document
    if isinstance(document, Policy):
        return None
    try:
        loaded = load_json_or_yaml(document, POLICY_LIMITS)
    except DocumentError:
        return None  # parse_policy reports it
    return loaded if isinstance(loaded, Mapping) else None


def codes() -> list[tuple[str, str, str]]:
    """(code, severity, summary) for every finding the linter can report, GS000 first."""
    return [(PARSE_ERROR, ERROR, "the document does not parse"), *((c.code, c.severity, c.summary) for c in CHECKS)]
