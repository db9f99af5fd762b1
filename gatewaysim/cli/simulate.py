"""``gatewaysim simulate``: evaluate requests against a policy file without a server."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from gatewaysim.authorizers.base import AuthorizerColumn, AuthType
from gatewaysim.cli.simulate_input import context_notes, method_spec
from gatewaysim.config.which_api import choose_api
from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.gateway.authorize.tables import (
    PRE_AUTH_CHECK,
    FlowSettings,
    Verdict,
    account_of,
    combine,
    pre_authorizer_check,
)
from gatewaysim.imports.policy_text import policy_text
from gatewaysim.policy import Decision, Request, compile_policy
from gatewaysim.policy.evaluate import evaluate_compiled
from gatewaysim.policy.explain import explain_table
from gatewaysim.safeload import FILE_LIMITS, POLICY_LIMITS, load_json, read_text

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulate flags."""
    parser.add_argument(
        "--policy",
        required=True,
        type=Path,
        help="policy document (JSON or YAML), or a template/OpenAPI file holding it",
    )
    parser.add_argument("--api", metavar="NAME", help="the API of a template with several policies (its logical id)")
    parser.add_argument("--principal", default="anonymous", help="caller ARN, account id or `anonymous`")
    parser.add_argument("--action", default="execute-api:Invoke")
    parser.add_argument(
        "--resource",
        help="method ARN (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/GET/path) or short /STAGE/GET/path",
    )
    parser.add_argument("--method", metavar="VERB", help="with --path: build the method ARN, e.g. --method GET")
    parser.add_argument("--path", help="with --method: the request path after the stage, e.g. /pets/1")
    parser.add_argument("--api-id", help="API id of a built ARN (default: from the policy's ARNs, else abcdef1234)")
    parser.add_argument("--account", help="account of a built ARN (default: the policy's ARNs, else 123456789012)")
    parser.add_argument("--region", help="region of a built ARN (default: the policy's ARNs, else us-east-1)")
    parser.add_argument("--stage", help="stage of a built ARN (default: the policy's ARNs, else prod)")
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context key; repeat a key for a list",
    )
    parser.add_argument("--requests", type=Path, help="a JSON-lines file, one request mapping a line")
    parser.add_argument("--api-arn", help="API ARN for the `execute-api:/` shorthand (default: from the resource)")
    parser.add_argument("--json", action="store_true", help="one JSON object a request")
    flow = parser.add_argument_group("authorizer stage (combine with AWS's Tables A/B)")
    flow.add_argument("--auth-type", choices=[t.value for t in AuthType], help="the method's authorizationType")
    flow.add_argument(
        "--authorizer",
        choices=[c.value for c in AuthorizerColumn],
        default=AuthorizerColumn.NEITHER.value,
        help="the authorizer's (or IAM identity policy's) decision: Allow, Deny or neither",
    )
    flow.add_argument("--api-account", help="the account owning the API (default: from the resource ARN)")
    flow.add_argument(
        "--cognito-table-a",
        action="store_true",
        help="Cognito + resource policy follows Table A (default: an explicit policy Allow is required)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Evaluate every request; 0 when all are allowed, 1 when any is denied (errors raise)."""
    err = err if err is not None else sys.stderr
    text = policy_text(
        args.policy,
        _read_policy(args.policy),
        account=args.account,
        region=args.region,
        api_id=args.api_id,
        api=args.api,
    )
    requests = list(_requests(args, text, err))
    api_arn = args.api_arn or _api_arn_of(requests)
    policy = compile_policy(text, api_arn=api_arn, source_name=str(args.policy), require_principal=True)
    if args.requests is None:
        err.write("".join(f"gatewaysim simulate: {note}\n" for note in context_notes(args.context, policy)))
    denied = False
    for request in requests:
        decision = evaluate_compiled(policy, request)
        verdict = _combine(args, request, decision) if args.auth_type else None
        denied |= not (verdict.allowed if verdict is not None else decision.allowed)
        out.write(_render(request, decision, verdict, as_json=args.json) + "\n")
    return 1 if denied else 0


def _combine(args: argparse.Namespace, request: Request, decision: Decision) -> Verdict:
    """The API Gateway workflow for the given auth type and authorizer decision (flow.py)."""
    auth_type = AuthType(args.auth_type)
    api_account = args.api_account or account_of(request.resource) or ""
    caller_account = account_of(request.principal)
    settings = FlowSettings(cognito_requires_policy_allow=not args.cognito_table_a)
    if auth_type in PRE_AUTH_CHECK:
        pre = pre_authorizer_check(decision.outcome, method_arn=request.resource, caller=request.principal)
        if pre is not None:
            return pre
    return combine(
        auth_type,
        AuthorizerColumn(args.authorizer),
        decision.outcome,
        caller_account is None or caller_account == api_account,
        settings,
        method_arn=request.resource,
        caller=request.principal,
    )


def _read_policy(path: Path) -> str:
    try:
        return read_text(path, POLICY_LIMITS)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.strerror}")], str(path)) from exc
    except DocumentError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.problems[0].message}")], str(path)) from None


def _requests(args: argparse.Namespace, policy_text: str, err: TextIO) -> Iterator[Request]:
    if args.requests is not None:
        yield from _requests_file(args.requests)
        return
    resource = _resource(args, policy_text, err)
    context: dict[str, Any] = {}
    for index, item in enumerate(args.context):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError([Problem(f"--context[{index}]", f"`{item}` is not KEY=VALUE")], "command line")
        existing = context.get(key)
        context[key] = value if existing is None else [*_as_list(existing), value]
    yield Request.from_mapping(
        {"principal": args.principal, "action": args.action, "resource": resource, "context": context}
    )


def _resource(args: argparse.Namespace, policy_text: str, err: TextIO) -> str:
    """The method ARN: ``--resource`` as given, a short one expanded, or built from ``--method``/``--path``."""
    spec = method_spec(args.resource, args.method, args.path)
    if isinstance(spec, Problem):
        raise ConfigError([spec], "command line")
    if isinstance(spec, str):
        return spec
    choice = choose_api(policy_text, api_id=args.api_id, account=args.account, region=args.region, stage=args.stage)
    if spec.stage is not None:  # named in the short resource
        choice = replace(choice, stage=spec.stage, sources={**choice.sources, "stage": "--resource"})
    resource = choice.method_arn(spec.verb, spec.path)
    err.write(f"gatewaysim simulate: resource `{resource}`: {choice.describe(stage=True)}\n")
    return resource


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _requests_file(path: Path) -> Iterator[Request]:
    try:
        lines = read_text(path, FILE_LIMITS).splitlines()
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read: {exc.strerror}")], str(path)) from exc
    except DocumentError as exc:
        raise ConfigError(exc.problems, str(path)) from None
    problems: list[Problem] = []
    requests: list[Request] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = load_json(line, POLICY_LIMITS)
        except DocumentError as exc:
            problems.append(Problem(f"line {number}", exc.problems[0].message))
            continue
        if not isinstance(data, Mapping) or not data.get("resource"):
            problems.append(Problem(f"line {number}", "must be an object with at least `resource`"))
            continue
        requests.append(Request.from_mapping(data))
    if problems:
        raise ConfigError(problems, str(path))
    yield from requests


def _api_arn_of(requests: list[Request]) -> str | None:
    for request in requests:
        parts = request.resource.split(":", 5)
        if len(parts) == 6 and parts[2] == "execute-api":
            return ":".join(parts[:5]) + ":" + parts[5].split("/", 1)[0]
    return None


def _render(request: Request, decision: Decision, verdict: Verdict | None, *, as_json: bool) -> str:
    if as_json:
        payload: dict[str, Any] = {
            "principal": request.principal,
            "action": request.action,
            "resource": request.resource,
            **decision.to_dict(),
        }
        if verdict is not None:
            payload["policyDecision"] = payload["decision"]
            payload["decision"] = verdict.outcome.value
            payload["verdict"] = _verdict_dict(verdict)
        return json.dumps(payload, sort_keys=False)
    head = f"{request.principal} {request.action} {request.resource}"
    text = f"{head}\n{explain_table(decision)}\n"
    if verdict is not None:
        text += f"combined with the authorizer: {verdict.explain()}{_status(verdict)}\n"
    return text


def _verdict_dict(verdict: Verdict) -> dict[str, Any]:
    response = verdict.response
    return {
        "outcome": verdict.outcome.value,
        "rule": verdict.rule.value,
        "row": {"authorizer": verdict.row[0], "policy": verdict.row[1]} if verdict.row else None,
        "status": response.status if response else 200,
        "body": response.body() if response else None,
    }


def _status(verdict: Verdict) -> str:
    response = verdict.response
    return f" (answer {response.status} {json.dumps(response.body())})" if response else " (forwarded)"
