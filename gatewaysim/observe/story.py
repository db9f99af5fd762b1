"""One request's story, from its access record and its decision event: what ``gatewaysim explain``
prints and the dashboard's request page shows.

``build_story(record, event)`` reads the two plain mappings (either may be missing: a request
refused before any API stage has no event; an old one has left the feed's ring) into a ``Story``:
the request, who refused it and why, every condition key the policy saw, the per-statement trace
(value seen vs wanted), the authorizer's answer and the Table A/B row, the integration, what
would let it through where the trace makes that plain, and the shadow policy's decision where it
differs. ``render_text`` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["Story", "TraceRow", "build_story", "let_through", "render_text", "tail_line"]


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One statement of the resource policy's trace."""

    label: str
    effect: str
    applies: bool
    failed: str
    key: str
    seen: str
    wanted: str
    reason: str


@dataclass(frozen=True, slots=True)
class Story:
    """Everything known about one request, ready to print or render."""

    request_id: str
    headline: str  # GET /prod/pets -> 403
    facts: tuple[tuple[str, str], ...]  # (name, value) lines: time, api, method ARN, caller ...
    refusal: str | None  # refused by policy: ...
    hint: str | None
    context: tuple[tuple[str, str], ...]  # every condition key and its values
    policy: str | None  # the policy's one-line answer, None when not evaluated
    trace: tuple[TraceRow, ...]
    authorizer: tuple[tuple[str, str], ...]
    verdict: str | None
    integration: tuple[tuple[str, str], ...]
    through: tuple[str, ...] = field(default=())  # what would let it through
    shadow: tuple[tuple[str, str], ...] = field(default=())  # how the shadow policy decides it differently


def _join(values: Any) -> str:
    if values is None:
        return "-"
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values) or "-"
    return str(values)


def _trace(policy: Mapping[str, Any] | None) -> tuple[TraceRow, ...]:
    rows = []
    for item in (policy or {}).get("statements") or ():
        label = f"Statement[{item.get('index')}]" + (f" ({item['sid']})" if item.get("sid") else "")
        rows.append(
            TraceRow(
                label,
                str(item.get("effect")),
                bool(item.get("applies")),
                str(item.get("failed") or ""),
                str(item.get("key") or ""),
                _join(item.get("seen")) if item.get("failed") else "",
                _join(item.get("wanted")) if item.get("wanted") else "",
                str(item.get("reason") or ""),
            )
        )
    return tuple(rows)


def let_through(event: Mapping[str, Any]) -> tuple[str, ...]:
    """What the trace says would let the request through (empty when it is not plain)."""
    policy = event.get("policy") or {}
    refusal = event.get("refusal") or {}
    if refusal.get("stage") != "policy" or not policy:
        return ()
    if policy.get("decision") == "ExplicitDeny":
        names = ", ".join(f"Statement[{d['index']}]" for d in policy.get("deciding") or ())
        return (f"{names} denies it explicitly: no Allow can win; change that statement or the request",)
    out = []
    for item in policy.get("statements") or ():
        if item.get("effect") != "Allow" or item.get("applies"):
            continue
        label = f"Statement[{item.get('index')}]" + (f" ({item['sid']})" if item.get("sid") else "")
        failed = item.get("failed")
        if failed == "Condition" and item.get("wanted"):
            seen = _join(item.get("seen")) if item.get("seen") else "nothing"
            out.append(
                f"{label} would allow it if {item.get('key')} matched {_join(item.get('wanted'))}"
                f" (the request has {seen}; the statement's other conditions must hold too)"
            )
        elif failed == "Principal":
            out.append(f"{label} allows other principals: the caller was `{event.get('caller')}`")
        elif failed in ("Resource", "Action"):
            out.append(f"{label} covers other {failed.lower()}s: {item.get('reason')}")
    if not out:
        out.append("no Allow statement names this request: add one, or send it where one applies")
    return tuple(out)


def _authorizer(event: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    authz = event.get("authorizer")
    if not authz:
        return (("authorizer", f"none ran (auth {event.get('authorizationType') or '-'})"),)
    rows = [("column", str(authz.get("column"))), ("principal", str(authz.get("principal")))]
    if authz.get("principalId"):
        rows.append(("principalId", str(authz["principalId"])))
    if authz.get("claims"):
        rows.append(("claims", ", ".join(f"{k}={v}" for k, v in sorted(authz["claims"].items()))))
    if authz.get("context"):
        rows.append(("context", ", ".join(f"{k}={v}" for k, v in sorted(authz["context"].items()))))
    rejection = authz.get("rejection")
    if rejection:
        rows.append(("rejected", f"{rejection.get('status')} {rejection.get('errorType')}"))
    if authz.get("policy"):
        rows.append(("its policy", str(authz["policy"].get("explanation"))))
    rows.append(("cached", "yes" if authz.get("cached") else "no"))
    return tuple(rows)


def _verdict(event: Mapping[str, Any]) -> str | None:
    verdict = event.get("verdict")
    if not verdict:
        return None
    rule = verdict.get("rule")
    table = {"A": "Table A", "B": "Table B", "cognito-strict": "Cognito (policy Allow required)"}.get(rule, rule)
    row = verdict.get("row")
    cells = f" row authorizer={row['authorizer']}, policy={row['policy']}" if row else ""
    return f"{table}{cells} -> {verdict.get('outcome')}"


def _integration(record: Mapping[str, Any] | None, event: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    if record is not None:
        rows.append(("status", str(record.get("status"))))
        rows.append(("latency", f"{record.get('latency')} ms"))
        if record.get("integrationLatency") is not None:
            rows.append(("integration latency", f"{record.get('integrationLatency')} ms"))
    integration = (event or {}).get("integration")
    if isinstance(integration, Mapping):
        rows.append(("integration", f"{integration.get('type')} {integration.get('target') or ''}".strip()))
        sent = integration.get("requestHeaders")
        if isinstance(sent, Mapping):
            rows.extend((f"sent {header}", str(text)) for header, text in sent.items())
    return tuple(rows)


_CHANGES: Final[Mapping[str, str]] = {
    "newlyDenied": "newly denied: allowed now, refused under the shadow policy",
    "newlyAllowed": "newly allowed: refused now, allowed under the shadow policy",
    "decidedDifferently": "decided differently: the same answer, by another statement or rule",
    "needsAuthorizer": "the authorizer would decide: the shadow policy no longer denies before it",
}


def _shadow(record: Mapping[str, Any] | None, event: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """The shadow policy's different decision (``shadowDecision``; docs/replay.md), () when it agrees."""
    shadow = (event or {}).get("shadowDecision") or (record or {}).get("shadowDecision")
    if not isinstance(shadow, Mapping):
        return ()
    change = str(shadow.get("change"))
    allowed = shadow.get("allowed")
    rows = [
        ("change", _CHANGES.get(change, change)),
        ("outcome", f"{shadow.get('decision') or 'not evaluated'}"),
        ("deciding statement", str(shadow.get("decidingStatement") or "none")),
        ("answer", "the authorizer decides" if allowed is None else "allowed" if allowed else "refused"),
        ("verdict", str(shadow.get("verdict") or "-")),
        ("what differs", str(shadow.get("reason") or "-")),
    ]
    return tuple(rows)


def _facts(record: Mapping[str, Any] | None, event: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    r, e = record or {}, event or {}
    rows = [
        ("time", str(e.get("eventTime") or r.get("requestTime") or "-")),
        ("api", f"{e.get('apiId') or r.get('apiId') or '-'} (stage {e.get('stage') or r.get('stage') or '-'})"),
        ("method ARN", str(e.get("resourceArn") or r.get("resourceArn") or "-")),
        ("route", f"{e.get('resourcePath') or '-'} (auth {e.get('authorizationType') or '-'})"),
        ("caller", str(e.get("caller") or r.get("caller") or "-")),
        ("source ip", str(e.get("sourceIp") or r.get("ip") or "-")),
    ]
    return tuple(rows)


def build_story(record: Mapping[str, Any] | None, event: Mapping[str, Any] | None) -> Story:
    """The story of one request from its access record and its decision event (either may be None)."""
    r, e = record or {}, event or {}
    method, path = r.get("httpMethod") or e.get("httpMethod"), r.get("path") or e.get("path")
    status = r.get("status") or e.get("status")
    error = f" {r['errorType']}" if r.get("errorType") else ""
    refusal = e.get("refusal") or {}
    stage, reason = refusal.get("stage") or r.get("refusedBy"), refusal.get("reason") or r.get("reason")
    context = (e.get("request") or {}).get("context") or {}
    policy = e.get("policy")
    return Story(
        request_id=str(r.get("requestId") or e.get("requestId")),
        headline=f"{method} {path} -> {status}{error}",
        facts=_facts(record, event),
        refusal=f"refused by {stage}: {reason}" if stage else None,
        hint=refusal.get("hint") or r.get("hint"),
        context=tuple((key, _join(values)) for key, values in sorted(context.items())),
        policy=f"{policy.get('explanation')} ({policy.get('source') or 'resource policy'})" if policy else None,
        trace=_trace(policy),
        authorizer=_authorizer(e) if event is not None else (),
        verdict=_verdict(e),
        integration=_integration(record, event),
        through=let_through(e) if event is not None else (),
        shadow=_shadow(record, event),
    )


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]


def render_text(story: Story) -> str:
    """The story as plain text, one section a block (``gatewaysim explain``)."""
    lines = [f"request {story.request_id}: {story.headline}"]
    lines += [f"  {name}: {value}" for name, value in story.facts]
    if story.refusal:
        lines.append(story.refusal)
    if story.hint:
        lines.append(f"hint: {story.hint}")
    if story.context:
        lines.append("request context (every condition key the policy saw):")
        lines += _table([("key", "value"), *story.context])
    if story.policy:
        lines.append(f"resource policy: {story.policy}")
        rows = [("statement", "effect", "applies", "failed", "key", "seen", "wanted")]
        rows += [
            (t.label, t.effect, "yes" if t.applies else "no", t.failed, t.key, t.seen, t.wanted) for t in story.trace
        ]
        lines += _table(rows)
    if story.authorizer:
        lines.append("authorizer:")
        lines += [f"  {name}: {value}" for name, value in story.authorizer]
    if story.verdict:
        lines.append(f"verdict: {story.verdict}")
    if story.integration:
        lines.append("answer:")
        lines += [f"  {name}: {value}" for name, value in story.integration]
    if story.through:
        lines.append("what would let it through:")
        lines += [f"  {line}" for line in story.through]
    if story.shadow:
        lines.append("shadow policy (never enforced) decides it differently:")
        lines += [f"  {name}: {value}" for name, value in story.shadow]
    return "\n".join(lines) + "\n"


_COLOURS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}


def tail_line(record: Mapping[str, Any], *, colour: bool = False) -> str:
    """One line a request: time, method, path, status, caller, source IP, and who refused it and why.

    SECURITY: what a client sent (path, caller) is printed with control characters escaped, so it
    can never move the terminal's cursor or colour it; only the status gets colour, on a terminal.
    """
    status = record.get("status")
    shown = _printable(str(status))
    if colour and isinstance(status, int):
        shown = f"{_COLOURS.get(status // 100, '')}{status}\x1b[0m"
    time_part = str(record.get("requestTime") or "")[11:19] or "--:--:--"
    fields = [record.get("httpMethod"), record.get("path")]
    parts = [time_part, *(_printable(str(f)) for f in fields), shown]
    parts += [_printable(str(record.get("caller") or "-")), _printable(str(record.get("ip") or "-"))]
    stage = record.get("refusedBy")
    if stage:
        parts.append(_printable(f"refused by {stage}: {record.get('reason')}"))
        if record.get("hint"):
            parts.append(_printable(f"(hint: {record['hint']})"))
    parts.append(f"[{_printable(str(record.get('requestId')))}]")
    return " ".join(parts)


def _printable(text: str) -> str:
    """Control characters escaped (``\\x1b``), long text cut."""
    text = text[:2048]
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
