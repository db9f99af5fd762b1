"""The dashboard's pages as HTML text. SECURITY: every value goes through ``e`` (html.escape) on its way in.

Pages are built from plain values (access records, decision events, the source's API
descriptions); nothing here decides anything. The script (``static/dashboard.js``) only adds
live rows and filters; without it every page still reads.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from gatewaysim.observe.story import Story, TraceRow

__all__ = [
    "ROW_LIMIT",
    "apis_page",
    "e",
    "not_found_page",
    "request_page",
    "requests_page",
    "simulate_page",
]

ROW_LIMIT: Final = 500
"""Rows the live table keeps (older ones drop off the bottom)."""
UI: Final = "/_gatewaysim/ui"


def e(value: Any) -> str:
    """``value`` as HTML text: ``& < > " '`` escaped."""
    return html.escape("-" if value is None else str(value), quote=True)


def _layout(title: str, active: str, body: str) -> str:
    nav = "".join(
        f'<a href="{UI}{path}"{" aria-current=page" if name == active else ""}>{label}</a>'
        for name, path, label in (
            ("requests", "", "Requests"),
            ("apis", "/apis", "APIs"),
            ("simulate", "/simulate", "Would AWS let this through?"),
        )
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · gatewaysim</title>"
        '<link rel="icon" href="data:,">'  # no /favicon.ico request reaching the gateway's APIs
        f'<link rel="stylesheet" href="{UI}/static/dashboard.css">'
        f'<script src="{UI}/static/dashboard.js" defer></script></head>'
        f"<body><header><strong>gatewaysim</strong><nav>{nav}</nav></header><main>{body}</main></body></html>"
    )


def _decision(record: Mapping[str, Any]) -> str:
    return str(record.get("refusedBy") or "allowed")


def _status_class(status: Any) -> str:
    return f"s{str(status)[:1]}xx" if isinstance(status, int) else ""


def _shadow(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    shadow = record.get("shadowDecision")
    return shadow if isinstance(shadow, Mapping) else None


def request_row(record: Mapping[str, Any]) -> str:
    """One row of the live table (the script builds the same from each streamed record)."""
    request_id = str(record.get("requestId") or "")
    reason = record.get("reason") or ""
    if record.get("hint"):
        reason = f"{reason} (hint: {record['hint']})"
    shadow = _shadow(record)
    if shadow is not None:  # the shadow policy would decide it differently (docs/replay.md)
        reason = f"{reason} shadow policy: {shadow.get('change')}: {shadow.get('reason')}".strip()
    attrs = {
        "data-id": request_id,
        "data-status": record.get("status"),
        "data-decision": _decision(record),
        "data-path": record.get("path"),
        "data-caller": record.get("caller"),
        "data-shadow": shadow.get("change") if shadow is not None else "",
    }
    cells = [
        f"<td>{e(str(record.get('requestTime') or '')[11:19])}</td>",
        f"<td>{e(record.get('httpMethod'))}</td>",
        f'<td class="path"><a href="{UI}/requests/{quote(request_id, safe="")}">{e(record.get("path"))}</a></td>',
        f'<td class="{_status_class(record.get("status"))}">{e(record.get("status"))}</td>',
        f"<td>{e(record.get('caller'))}</td>",
        f"<td>{e(record.get('ip'))}</td>",
        f"<td>{e(record.get('refusedBy') or '')}</td>",
        f'<td class="reason">{e(reason)}</td>',
    ]
    attributes = " ".join(f'{name}="{e(value)}"' for name, value in attrs.items())
    return f"<tr {attributes}>{''.join(cells)}</tr>"


def requests_page(records: Iterable[Mapping[str, Any]]) -> str:
    """The live request table, newest first, with its filters."""
    rows = "".join(request_row(r) for r in records)
    filters = (
        '<form class="filters" id="filters" role="search">'
        '<label>status <input name="status" placeholder="403, 4, 5xx" size="8"></label>'
        '<label>decision <select name="decision"><option value="">any</option>'
        '<option value="allowed">allowed</option><option value="refused">refused</option>'
        + "".join(
            f'<option value="{s}">refused by {s}</option>'
            for s in (
                "route",
                "policy",
                "authorizer",
                "cognito",
                "iam",
                "apiKey",
                "throttle",
                "quota",
                "validation",
                "integration",
            )  # fmt: skip
        )
        + "</select></label>"
        '<label>path <input name="path" placeholder="/prod/pets" size="14"></label>'
        '<label>caller <input name="caller" placeholder="arn or anonymous" size="14"></label>'
        '<label>shadow <select name="shadow"><option value="">any</option>'
        '<option value="differs">shadow differs</option></select></label>'
        '<span id="live" class="live">not live</span></form>'
    )
    head = "".join(
        f"<th>{h}</th>" for h in ("time", "method", "path", "status", "caller", "source ip", "refused by", "why")
    )
    table = (
        f'<div class="scroll"><table id="requests" data-stream="/_gatewaysim/requests/stream" data-limit="{ROW_LIMIT}">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )
    intro = "<h1>Requests</h1><p>Every request, newest first. New rows arrive as they happen.</p>"
    return _layout("Requests", "requests", intro + filters + table)


def _pairs(rows: Iterable[tuple[str, str]], css: str = "pairs") -> str:
    body = "".join(f"<tr><th>{e(name)}</th><td>{e(value)}</td></tr>" for name, value in rows)
    return f'<table class="{css}">{body}</table>'


def _trace(rows: Sequence[TraceRow]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("statement", "effect", "applies", "failed", "key", "seen", "wanted"))
    body = "".join(
        f'<tr class="{"applies" if t.applies else "fails"}"><td>{e(t.label)}</td><td>{e(t.effect)}</td>'
        f"<td>{'yes' if t.applies else 'no'}</td><td>{e(t.failed)}</td><td>{e(t.key)}</td>"
        f'<td class="seen">{e(t.seen)}</td><td class="wanted">{e(t.wanted)}</td></tr>'
        for t in rows
    )
    return f'<div class="scroll"><table class="trace"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _story(story: Story) -> str:
    parts = [f"<h1>{e(story.headline)}</h1>", f'<p class="muted">request {e(story.request_id)}</p>']
    if story.refusal:
        parts.append(f'<p class="refusal">{e(story.refusal)}</p>')
    if story.hint:
        parts.append(f'<p class="hint">hint: {e(story.hint)}</p>')
    if story.through:
        items = "".join(f"<li>{e(line)}</li>" for line in story.through)
        parts.append(f'<section><h2>What would let it through</h2><ul class="through">{items}</ul></section>')
    if story.shadow:
        parts.append(
            '<section id="shadow"><h2>Shadow policy decides it differently</h2>'
            '<p class="muted">never enforced: the answer above is the live policy\'s</p>'
            f"{_pairs(story.shadow, 'pairs shadow')}</section>"
        )
    parts.append(f"<section><h2>Request</h2>{_pairs(story.facts)}</section>")
    if story.context:
        parts.append(f"<section><h2>Request context</h2>{_pairs(story.context, 'pairs context')}</section>")
    if story.policy:
        parts.append(f"<section><h2>Resource policy</h2><p>{e(story.policy)}</p>{_trace(story.trace)}</section>")
    if story.authorizer or story.verdict:
        verdict = f"<p>verdict: {e(story.verdict)}</p>" if story.verdict else ""
        parts.append(f"<section><h2>Authorizer and tables</h2>{_pairs(story.authorizer)}{verdict}</section>")
    if story.integration:
        parts.append(f"<section><h2>Answer and integration</h2>{_pairs(story.integration)}</section>")
    return "".join(parts)


def request_page(story: Story) -> str:
    """One request's story."""
    return _layout(f"Request {story.request_id}", "requests", _story(story))


def not_found_page(what: str) -> str:
    """A page for something that is not (or no longer) here."""
    return _layout("Not found", "", f"<h1>Not found</h1><p>{e(what)}</p>")


def _findings_for(findings: Sequence[Mapping[str, Any]], index: int | None) -> str:
    prefix = f"Statement[{index}]" if index is not None else None
    chosen = [
        f
        for f in findings
        if (prefix is None and not str(f.get("path", "")).startswith("Statement["))
        or (
            prefix is not None
            and (f.get("path") == prefix or str(f.get("path", "")).startswith((prefix + ".", prefix + "[")))
        )
    ]
    items = "".join(
        f'<li class="{e(f.get("severity"))}"><b>{e(f.get("severity"))} {e(f.get("code"))}</b> '
        f"{e(f.get('path'))}: {e(f.get('message'))} <i>fix: {e(f.get('fix'))}</i></li>"
        for f in chosen
    )
    return f'<ul class="findings">{items}</ul>' if items else ""


def _policy(api: Mapping[str, Any]) -> str:
    document = api.get("policy")
    if not isinstance(document, Mapping):
        return "<p>No resource policy: every caller is allowed (auth NONE), as on AWS.</p>"
    findings = api.get("findings") or []
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    parts = [f"<p>source: {e(api.get('policySource'))}</p>", _findings_for(findings, None)]
    for index, statement in enumerate(statements):
        text = json.dumps(statement, indent=2, sort_keys=False)
        parts.append(
            f'<div class="statement"><h3>Statement[{index}]</h3><pre>{e(text)}</pre>'
            f"{_findings_for(findings, index)}</div>"
        )
    return "".join(parts)


def _routes(api: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("method", "resource", "authorization", "authorizer", "integration"))
    body = "".join(
        f"<tr><td>{e(r.get('method'))}</td><td>{e(r.get('resource'))}</td><td>{e(r.get('authorizationType'))}</td>"
        f"<td>{e(r.get('authorizer') or '')}</td><td>{e(r.get('integration'))}</td></tr>"
        for r in api.get("routes") or ()
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _variables(api: Mapping[str, Any]) -> str:
    rows = [
        (f"{stage}.{name}", value)
        for stage, values in sorted((api.get("stageVariables") or {}).items())
        for name, value in sorted(values.items())
    ]
    return _pairs(rows) if rows else "<p>none</p>"


def _keys(api: Mapping[str, Any]) -> str:
    keys = api.get("keys") or []
    if not keys:
        return "<p>none</p>"
    return "".join(f"<pre>{e(json.dumps(key, indent=2, sort_keys=True))}</pre>" for key in keys)


def apis_page(apis: Sequence[Mapping[str, Any]]) -> str:
    """Each API: routes and integrations, the policy with check's findings, stage variables, keys."""
    parts = ["<h1>APIs</h1>"]
    for api in apis:
        parts.append(
            f'<section class="api"><h2>{e(api.get("id"))}</h2><p class="muted">{e(api.get("arn"))} · stages '
            f"{e(', '.join(api.get('stages') or ()))}</p>"
            f"<h3>Routes</h3>{_routes(api)}<h3>Resource policy</h3>{_policy(api)}"
            f"<h3>Stage variables</h3>{_variables(api)}<h3>API keys and usage plans</h3>{_keys(api)}</section>"
        )
    return _layout("APIs", "apis", "".join(parts))


_FIELDS: Final = (
    ("method", "method", "GET"),
    ("path", "path (with the stage)", "/prod/pets"),
    ("caller", "caller (principal ARN, or anonymous)", "anonymous"),
    ("source_ip", "source IP", "203.0.113.10"),
    ("vpce", "VPC endpoint (aws:SourceVpce)", ""),
    ("context", "more condition keys (KEY=VALUE, one a line)", ""),
)


def simulate_page(apis: Sequence[Mapping[str, Any]], form: Mapping[str, str], result: Mapping[str, Any] | None) -> str:
    """The form, and the answer when the form was sent."""
    options = "".join(
        f'<option value="{e(a.get("id"))}"{" selected" if form.get("api") == a.get("id") else ""}>'
        f"{e(a.get('id'))}</option>"
        for a in apis
    )
    fields = [f'<label>API <select name="api">{options}</select></label>']
    for name, label, example in _FIELDS:
        value = form.get(name, "")
        if name == "context":
            fields.append(
                f'<label>{e(label)} <textarea name="{name}" rows="2" placeholder="aws:SourceVpc=vpc-1">'
                f"{e(value)}</textarea></label>"
            )
        else:
            fields.append(
                f'<label>{e(label)} <input name="{name}" value="{e(value)}" placeholder="{e(example)}"></label>'
            )
    columns = "".join(
        f'<option value="{c}"{" selected" if (form.get("authorizer") or "Allow") == c else ""}>{c}</option>'
        for c in ("Allow", "Deny", "neither")
    )
    fields.append(f'<label>the method\'s authorizer answers <select name="authorizer">{columns}</select></label>')
    body = [
        "<h1>Would AWS let this through?</h1>",
        "<p>Evaluates a request against the live resource policy and API Gateway's tables (as "
        "<code>gatewaysim simulate</code>), without calling the backend.</p>",
        f'<form class="simulate" id="simulate" method="get" action="{UI}/simulate">{"".join(fields)}'
        '<button type="submit" name="run" value="1">Ask</button></form>',
    ]
    if result is not None:
        body.append(_answer(result))
    return _layout("Simulate", "simulate", "".join(body))


def _answer(result: Mapping[str, Any]) -> str:
    if result.get("error"):
        return f'<section id="answer"><p class="refusal">{e(result["error"])}</p></section>'
    story: Story = result["story"]
    allowed = bool(result.get("allowed"))
    verdict = "Yes: AWS would let it through" if allowed else "No: AWS would refuse it"
    css = "allowed" if allowed else "refusal"
    head = f'<p class="{css} verdict">{e(verdict)} ({e(result.get("answer"))})</p>'
    return f'<section id="answer">{head}{_story(story)}</section>'
