"""The gateway as the dashboard reads it (``observe.dashboard.DashboardSource``): plain values only.

``apis()`` describes each API (routes, integrations, the live policy with ``check``'s findings,
stage variables, keys); ``simulate(form)`` answers "would AWS let this through?" with the live
policy and the AWS tables, the way ``gatewaysim simulate`` does, as a decision-event-shaped mapping
the request page's story reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from gatewaysim.arn import method_arn
from gatewaysim.authorizers.base import AuthorizerColumn, AuthType
from gatewaysim.config.routes import Route
from gatewaysim.gateway.authorize.tables import PRE_AUTH_CHECK, Verdict, account_of, combine, pre_authorizer_check
from gatewaysim.gateway.paths import ROUTABLE_METHODS, Target, parse_target
from gatewaysim.gateway.recent import Recent
from gatewaysim.gateway.refusal import authorization_stage, policy_reason
from gatewaysim.gateway.runtime import ApiRuntime
from gatewaysim.observe.decisions import DecisionQuery
from gatewaysim.observe.feed import RequestFeed
from gatewaysim.policy import Decision, Request

__all__ = ["GatewayDashboard"]

_MAX_CONTEXT_LINES: Final = 50
KeysFor = Callable[[str], Awaitable[list[dict[str, Any]]]]


class GatewayDashboard:
    """Implements ``DashboardSource`` over a running gateway's APIs, decision log and request feed."""

    def __init__(self, apis: Mapping[str, ApiRuntime], recent: Recent, keys: KeysFor | None = None) -> None:
        self._apis = apis
        self._recent = recent  # this process's rings, or every process's (gateway.recent)
        self._keys = keys

    @property
    def feed(self) -> RequestFeed:
        """Every request's access record, live."""
        return self._recent.feed

    async def recent(self, limit: int) -> Sequence[Mapping[str, Any]]:
        """The newest ``limit`` access records, newest first."""
        return await self._recent.requests(limit)

    async def record(self, request_id: str) -> Mapping[str, Any] | None:
        """The access record of ``request_id``, while a ring holds it."""
        return await self._recent.request(request_id)

    async def event(self, request_id: str) -> Mapping[str, Any] | None:
        """The decision event of ``request_id``, while the ring holds it."""
        found = await self._recent.events(DecisionQuery(limit=1, request_id=request_id))
        return found[0] if found else None

    async def apis(self) -> Sequence[Mapping[str, Any]]:
        """Each API, described for the API page."""
        return [await self._describe(runtime) for runtime in self._apis.values()]

    async def _describe(self, runtime: ApiRuntime) -> Mapping[str, Any]:
        settings, attached = runtime.settings, runtime.attached
        routes = settings.auth.routes or ((settings.auth.default or Route("/{proxy+}")),)
        return {
            "id": settings.api_id,
            "arn": settings.arn,
            "stages": list(settings.stages),
            "stageVariables": {stage: dict(values) for stage, values in settings.stage_variables.items()},
            "routes": [self._route(route, runtime) for route in routes],
            "policy": attached.document if attached is not None else None,
            "policySource": attached.source if attached is not None else None,
            "findings": self._findings(runtime),
            "keys": await self._keys(settings.api_id) if self._keys is not None else [],
        }

    @staticmethod
    def _route(route: Route, runtime: ApiRuntime) -> Mapping[str, Any]:
        integration = route.integration
        kind = f"{integration.type} {integration.uri or integration.function or ''}".strip() if integration else None
        return {
            "method": route.method,
            "resource": route.resource if runtime.settings.auth.routes else "every path",
            "authorizationType": str(route.authorization_type),
            "authorizer": route.authorizer,
            "integration": kind or f"HTTP_PROXY {runtime.backend_url or runtime.settings.backend or 'demo'}",
        }

    @staticmethod
    def _findings(runtime: ApiRuntime) -> list[Mapping[str, Any]]:
        from gatewaysim.lint.linter import ApiContext, MethodAuth, lint_policy  # only when the API page is opened

        settings, attached = runtime.settings, runtime.attached
        if attached is None:
            return []
        api = ApiContext(
            settings.api_id, settings.account, settings.region, settings.stages, partition=settings.partition
        )
        methods = [MethodAuth(r.method, r.resource, str(r.authorization_type)) for r in settings.auth.routes]
        report = lint_policy(json.dumps(attached.document), api=api, methods=methods, source_name=attached.source)
        return [
            {"code": f.code, "severity": f.severity, "path": f.path, "message": f.message, "fix": f.fix}
            for f in report.findings
        ]

    def simulate(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        """The form's request against the live policy and the AWS tables (no backend is called)."""
        runtime = self._apis.get(form.get("api", "")) or next(iter(self._apis.values()))
        verb = (form.get("method") or "GET").strip().upper()
        if verb not in ROUTABLE_METHODS:
            return {"error": f"`{verb}` is not a method API Gateway routes ({', '.join(sorted(ROUTABLE_METHODS))})"}
        target = parse_target(form.get("path") or "/")
        if not isinstance(target, Target) or target.stage not in runtime.settings.stages:
            stages = ", ".join(runtime.settings.stages)
            return {
                "error": f"the path must start with a stage of the api ({stages}), e.g. /{runtime.settings.stages[0]}/x"
            }
        context = _context(form)
        if isinstance(context, str):
            return {"error": context}
        return self._decide(runtime, verb, target, form, context)

    def _decide(
        self, runtime: ApiRuntime, verb: str, target: Target, form: Mapping[str, str], context: dict[str, Any]
    ) -> Mapping[str, Any]:
        settings = runtime.settings
        arn = method_arn(settings.arn, target.stage, verb, target.path)
        match = settings.auth.match(verb, target.path)
        if match is None:
            return {"error": f"no method `{verb} {target.path}` on the api: 403 Missing Authentication Token"}
        auth_type = match.route.authorization_type
        given = (form.get("caller") or "anonymous").strip()
        caller = given if auth_type in (AuthType.NONE, AuthType.AWS_IAM) else "anonymous"  # as the gateway does
        request = Request.from_mapping({"principal": caller, "resource": arn, "context": context})
        policy = runtime.attached.compiled if runtime.attached is not None else None
        decision = policy.evaluate(request) if policy is not None else None
        column = AuthorizerColumn(form.get("authorizer") or "Allow")
        verdict = _verdict(auth_type, column, decision, request, settings.account, settings.auth.flow)
        return {
            "allowed": verdict.allowed,
            "answer": _answer(verdict),
            "event": _event(runtime, verb, target, match.resource_path, auth_type, request, decision, column, verdict),
        }


def _context(form: Mapping[str, str]) -> dict[str, Any] | str:
    """The condition keys of the form: the source IP and VPC endpoint, the clock, and KEY=VALUE lines."""
    now = time.time()
    context: dict[str, Any] = {
        "aws:SourceIp": (form.get("source_ip") or "127.0.0.1").strip(),
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:EpochTime": str(int(now)),
        "aws:SecureTransport": "false",
    }
    if form.get("vpce"):
        context["aws:SourceVpce"] = form["vpce"].strip()
    for number, line in enumerate((form.get("context") or "").splitlines()[:_MAX_CONTEXT_LINES], start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or ":" not in key:
            shown = line.strip()[:100]
            return f"line {number} of the condition keys: `{shown}` is not KEY=VALUE (aws:SourceVpc=vpc-1)"
        context[key.strip()] = value.strip()
    return context


def _verdict(
    auth_type: AuthType, column: AuthorizerColumn, decision: Decision | None, request: Request, account: str, flow: Any
) -> Verdict:
    outcome = decision.outcome if decision is not None else None
    if auth_type in PRE_AUTH_CHECK:
        pre = pre_authorizer_check(outcome, method_arn=request.resource, caller=request.principal)
        if pre is not None:
            return pre
    caller_account = account_of(request.principal)
    same = caller_account is None or caller_account == account
    return combine(auth_type, column, outcome, same, flow, method_arn=request.resource, caller=request.principal)


def _answer(verdict: Verdict) -> str:
    response = verdict.response
    if response is None:
        return "forwarded to the integration"
    return f"{response.status} {json.dumps(response.body())}"


def _event(
    runtime: ApiRuntime,
    verb: str,
    target: Target,
    resource_path: str,
    auth_type: AuthType,
    request: Request,
    decision: Decision | None,
    column: AuthorizerColumn,
    verdict: Verdict,
) -> Mapping[str, Any]:
    """The simulated request in the shape of a decision event (what the story reads)."""
    refusal = None
    if not verdict.allowed:
        stage = authorization_stage(verdict, auth_type)
        reason = (
            policy_reason(decision) if stage == "policy" and decision is not None else f"the {stage} answered {column}"
        )
        refusal = {"stage": stage, "responseType": "ACCESS_DENIED", "reason": reason, "hint": None}
    policy = decision.to_dict() if decision is not None else None
    if policy is not None and runtime.attached is not None:
        policy["source"] = runtime.attached.source
    row = {"authorizer": verdict.row[0], "policy": verdict.row[1]} if verdict.row else None
    status = verdict.response.status if verdict.response is not None else 200
    return {
        "requestId": "simulated",
        "httpMethod": verb,
        "path": target.full_path,
        "status": status,
        "apiId": runtime.settings.api_id,
        "stage": target.stage,
        "resourcePath": resource_path,
        "resourceArn": request.resource,
        "authorizationType": str(auth_type),
        "caller": request.principal,
        "sourceIp": request.context.get("aws:sourceip", ("-",))[0],
        "request": {"context": {k: list(v) for k, v in request.context.items()}},
        "policy": policy,
        "authorizer": {"column": str(column), "principal": request.principal}
        if auth_type is not AuthType.NONE
        else None,
        "verdict": {"outcome": str(verdict.outcome), "rule": str(verdict.rule), "row": row},
        "refusal": refusal,
    }
