"""``test-invoke-method``: one request through the method's real stages, and what each decided.

Unlike AWS's test invocation (which skips the resource policy and the authorizer), gatewaysim runs
the whole request path in process (``inprocess``): dispatch, identity, the resource policy, the
authorizer, AWS's Tables A/B, the door checks and the integration, exactly as for a request over a
socket from the control-plane caller's own address. So a denied request answers 403 and ``log``
says why: the identity the policy saw, every statement and the condition that failed, the
authorizer's answer, the table row, the integration. Choices (AWS's test invocation has no stage):

* the request runs in the API's **first stage** (its method ARN carries it);
* ``pathWithQueryString`` is the path after the stage (``/pets/7?x=1``); without it the resource's
  own path is used when it has no ``{parameter}``;
* the answer is AWS's shape: ``status``, ``body``, ``headers``, ``multiValueHeaders``, ``log``,
  ``latency`` (ms); ``stageVariables`` and ``clientCertificateId`` overrides are not emulated (the
  log says so); the test invocation is in no access or decision log.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDict

from gatewaysim.config.routes import HTTP_METHODS
from gatewaysim.context import ANONYMOUS
from gatewaysim.gateway.control.inprocess import Collected, MemoryWriter, collect, in_process_request
from gatewaysim.gateway.control.resources import resource_tree
from gatewaysim.gateway.control.state import ControlState, Handler, Params, Result, bad_request, not_found
from gatewaysim.gateway.dispatch import PREFIX_MARKER, PREFIX_ROOT
from gatewaysim.gateway.exchange import NO_AUTHORIZER, Exchange
from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["MAX_PATH", "OPERATIONS", "execution_log"]

MAX_PATH: Final = 8192
# Not in the answer: hop-by-hop headers, and aiohttp's own `Server` (the wire answer drops it too,
# gateway.connections; a backend's arrives as `x-amzn-Remapped-Server`).
_NOT_ANSWERED: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "server"})
_NOT_SENT: Final = frozenset({"host", "content-length", "transfer-encoding"})
"""Headers the invocation sets itself: the prefix names the API, the body's own length frames it."""
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A header name (RFC 9110 token), as the wire's parser demands."""
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""What a header value never holds on the wire (CR, LF, NUL ...; a tab is allowed)."""


def _stamp(now: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(now))


def _pairs(items: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{key}={value}" for key, value in items.items()) + "}"


def _policy_lines(x: Exchange, runtime: ApiRuntime) -> list[str]:
    decision = x.decision
    if decision is None:
        if x.attached is None and runtime.attached is None:
            return ["Resource policy: none attached (an API without a resource policy allows every caller)"]
        return ["Resource policy: not evaluated (the request ended before the policy stage)"]
    lines = [f"Resource policy: {decision.explain()}"]
    for trace in decision.trace:
        why = "applies" if trace.applies else f"does not apply: {trace.reason}"
        lines.append(f"  {trace.statement.label()} {trace.statement.effect}: {why}")
    lines.extend(f"  problem: {problem}" for problem in decision.problems)
    return lines


def _authorizer_line(x: Exchange) -> str:
    method = x.method
    auth_type = method.route.authorization_type.value if method is not None else "none"
    authz = x.authz
    if authz is None or authz is NO_AUTHORIZER:
        return f"Authorizer: none ran (authorization type {auth_type})"
    who = f"principalId {authz.principal_id}, " if authz.principal_id else ""
    cached = ", cached" if authz.cached else ""
    rejected = f", refused: {authz.rejection.detail or authz.rejection.message}" if authz.rejection else ""
    caller = authz.principal or ANONYMOUS
    return f"Authorizer ({auth_type}): {authz.column.value} ({who}caller {caller}{cached}){rejected}"


def _integration_line(x: Exchange, answer: Collected) -> str:
    method = x.method
    if x.upstream is None:
        return "Integration: not called"
    integration = method.route.integration if method is not None else None
    kind = integration.type.value if integration is not None else "HTTP_PROXY"
    cut = f" (cut at {len(answer.body)} bytes, the payload limit)" if answer.truncated else ""
    return f"Integration: {kind} answered {answer.status} in {x.upstream:.1f} ms{cut}"


def execution_log(
    x: Exchange, runtime: ApiRuntime, request: Mapping[str, Any], answer: Collected, notes: list[str]
) -> str:
    """The ``log`` of a test invocation: AWS's opening lines, then gatewaysim's decision trace."""
    ctx, rid = x.ctx, x.ids.request_id
    lines = [
        f"Starting execution for request: {rid}",
        f"HTTP Method: {request['method']}, Resource Path: {request['resource']}",
        f"Method request path: {_pairs(x.method.path_parameters if x.method else {})}",
        f"Method request query string: {_pairs(request['query'])}",
        f"Method request headers: {_pairs(request['headers'])}",
        f"Method request body before transformations: {request['body'][:1000]}",
        *notes,
    ]
    if ctx is not None:
        forwarded = (
            f", X-Forwarded-For believed from trusted proxy {ctx.peer_ip}" if ctx.peer_ip != ctx.source_ip else ""
        )
        lines.append(f"Method ARN: {ctx.method_arn} (stage {ctx.stage})")
        lines.append(f"Identity: caller {ctx.principal}, source IP {ctx.source_ip}{forwarded}")
        lines.extend(_policy_lines(x, runtime))
        lines.append(_authorizer_line(x))
    if x.verdict is not None:
        lines.append(f"Verdict: {x.verdict.explain()}")
    if x.error is not None:
        lines.append(f"Refused: {x.error[0]}: {x.error[1]}")
    lines.append(_integration_line(x, answer))
    lines.append(f"Method completed with status: {answer.status}")
    now = time.time()
    return f"Execution log for request {rid}\n" + "".join(f"{_stamp(now)} : {line}\n" for line in lines)


def _resource_path(runtime: ApiRuntime, resource_id: str, verb: str) -> str:
    if verb not in HTTP_METHODS:  # no method has it, though an ANY route would match it
        raise not_found("Invalid Method identifier specified")
    for rid, path, routes in resource_tree(runtime):
        if rid == resource_id:
            if not any(r.method in (verb, "ANY") for r in routes):
                raise not_found("Invalid Method identifier specified")
            return path
    raise not_found("Invalid Resource identifier specified")


def _target(params: Params, resource: str) -> str:
    given = params.get("pathWithQueryString")
    if given is None:
        if "{" in resource:
            raise bad_request(f"pathWithQueryString is required: resource {resource} has path parameters")
        given = resource
    if not given.startswith("/") or len(given) > MAX_PATH:
        raise bad_request(f"Invalid pathWithQueryString: must start with `/` and be at most {MAX_PATH} characters")
    return given


def _header(name: str, value: str) -> tuple[str, str]:
    # SECURITY: a header no HTTP parser accepts from a socket (CR/LF in a value would split it at the
    # backend) is refused here, as the wire refuses it, instead of failing later as a silent 500.
    if not _TOKEN.fullmatch(name) or _CONTROL.search(value):
        shown = name[:100]
        raise bad_request(f"Invalid header `{shown}`: a name is an HTTP token and a value holds no control characters")
    return name, value


def _headers(params: Params) -> list[tuple[str, str]]:
    sent = [_header(k, v) for k, v in (params.get("headers") or {}).items() if k.lower() not in _NOT_SENT]
    for name, values in (params.get("multiValueHeaders") or {}).items():
        if name.lower() not in _NOT_SENT:
            sent.extend(_header(name, value) for value in values if (name, value) not in sent)
    return [("Host", "localhost"), *sent]  # SECURITY: the prefix names the API; no Host may name another


def _answer(answer: Collected, log: str, latency: float) -> dict[str, Any]:
    multi: dict[str, list[str]] = {}
    for name, value in answer.headers.items():
        if name.lower() not in _NOT_ANSWERED:
            multi.setdefault(name, []).append(value)
    return {
        "status": answer.status,
        "body": answer.body.decode("utf-8", "replace"),
        "headers": {name: values[-1] for name, values in multi.items()},
        "multiValueHeaders": multi,
        "log": log,
        "latency": int(latency),
    }


async def test_invoke_method(state: ControlState, params: Params) -> Result:
    """``TestInvokeMethod``: the request through the real stages; the answer and the decision trace."""
    runtime = state.api(params["restApiId"])
    verb = params["httpMethod"].upper()
    resource = _resource_path(runtime, params["resourceId"], verb)
    simulated = "GET" if verb == "ANY" else verb
    path = _target(params, resource)
    stage = runtime.settings.stages[0]
    target = f"/{PREFIX_ROOT}/{runtime.settings.api_id}/{stage}/{PREFIX_MARKER}{path}"
    body = (params.get("body") or "").encode()
    caller = state.caller
    writer = MemoryWriter()
    request = in_process_request(
        simulated, target, _headers(params), body, peer=caller.peer, sockname=caller.sockname, writer=writer
    )
    exchange = Exchange(request)
    started = time.perf_counter()
    response: web.StreamResponse = await state.invoke(request, exchange)
    answer = await collect(response, request, writer)
    latency = (time.perf_counter() - started) * 1000
    notes = _notes(params, verb, stage)
    described = {
        "method": simulated,
        "resource": resource,
        "query": dict(request.rel_url.query),
        "headers": dict(CIMultiDict(_headers(params)[1:])),
        "body": body.decode("utf-8", "replace"),
    }
    return _answer(answer, execution_log(exchange, runtime, described, answer, notes), latency)


def _notes(params: Params, verb: str, stage: str) -> list[str]:
    notes = [f"gatewaysim: the test invocation runs in stage {stage}, the api's first"]
    if verb == "ANY":
        notes.append("gatewaysim: method ANY simulated as GET")
    if params.get("stageVariables"):
        notes.append("gatewaysim: stageVariables overrides are not emulated; the stage's own variables were used")
    if params.get("clientCertificateId"):
        notes.append("gatewaysim: clientCertificateId is not emulated")
    return notes


OPERATIONS: Final[Mapping[str, Handler]] = {"TestInvokeMethod": test_invoke_method}
