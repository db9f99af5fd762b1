"""``gatewaysim test``: check scenario files (``*.scenarios.yaml``) against a policy or a running gateway.

Without ``--url`` each scenario goes to the policy engine (``scenarios.run_scenarios``): against the
scenario file's own policy, the policy of ``--policy``, or the policy of the scenario's API in
``--config``. With ``--url`` each scenario is a real HTTP request to that gateway
(``gatewaysim.scenarios.http``). Prints a table (or ``--json``); under each failure the reason and
the per-statement trace. Exit codes: 0 every scenario passed, 1 any failed (or the gateway could
not be reached), 2 bad input (a scenario file, policy or config that does not load; every problem
is printed, located).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from gatewaysim.config.load import ApiSettings, Settings, load_settings
from gatewaysim.errors import ConfigError, GatewaysimError, Problem
from gatewaysim.gateway.admin_client import default_token
from gatewaysim.policy import Decision, Request, compile_policy
from gatewaysim.scenarios.files import EvaluateFn, ScenarioFile, evaluator_for, load_scenarios, run_scenarios
from gatewaysim.scenarios.http import HttpTarget, run_over_http
from gatewaysim.scenarios.report import Checked, FileReport, render_json, render_text
from gatewaysim.scenarios.same_policy import policy_difference

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The test flags."""
    parser.add_argument("files", nargs="+", type=Path, metavar="SCENARIOS.yaml", help="scenario files")
    parser.add_argument("--url", help="test a running gateway over HTTP, e.g. http://127.0.0.1:8080")
    parser.add_argument("--policy", type=Path, help="use this policy instead of each file's own (engine mode)")
    parser.add_argument(
        "--config", type=Path, help="use the policy of the scenario's API in this gateway config (and its headers)"
    )
    parser.add_argument("--token", help="admin token for the decision log (--url; default $GATEWAYSIM_ADMIN_TOKEN)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request (--url)")
    parser.add_argument("--json", action="store_true", help="results as JSON")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Run every scenario file; 0 all pass, 1 any fails, 2 bad input."""
    err = err if err is not None else sys.stderr
    try:
        reports = _reports(args, err)
    except GatewaysimError as exc:
        err.write("".join(f"gatewaysim test: {line}\n" for line in str(exc).splitlines()))
        return exc.exit_code
    out.write(render_json(reports) if args.json else render_text(reports))
    return 1 if any(row.result == "fail" for report in reports for row in report.rows) else 0


def _reports(args: argparse.Namespace, err: TextIO) -> list[FileReport]:
    if args.url and args.policy:
        problem = Problem("--policy", "not with --url: the gateway answers with its own policy")
        raise ConfigError([problem], "command line")
    files = _load_all(args.files)
    settings = _load_config(args.config)
    if args.url:
        return asyncio.run(_over_http(files, args.url, _http_target(args, settings), err))
    reports = []
    for scenario_file in files:
        evaluate, against = _evaluator(scenario_file, args.policy, settings)
        rows = tuple(Checked.from_result(result) for result in run_scenarios(scenario_file, evaluate))
        reports.append(FileReport(_name(scenario_file), against, "engine", rows))
    return reports


async def _over_http(files: list[ScenarioFile], url: str, target: HttpTarget, err: TextIO) -> list[FileReport]:
    reports = []
    for scenario_file in files:
        difference = await policy_difference(scenario_file, url, target.token)
        if difference is not None:
            err.write(f"gatewaysim test: warning: `{_name(scenario_file)}`: {difference}\n")
        reports.append(FileReport(_name(scenario_file), url, "http", tuple(await run_over_http(scenario_file, target))))
    return reports


def _name(scenario_file: ScenarioFile) -> str:
    return scenario_file.source or "scenarios"


class _BadInput(GatewaysimError):
    """Scenario files that do not load; the message holds every file's located problems."""


def _load_all(paths: list[Path]) -> list[ScenarioFile]:
    """Every file, or one error listing the problems of every file that does not load."""
    loaded, errors = [], []
    for path in paths:
        try:
            loaded.append(load_scenarios(path))
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise _BadInput("\n".join(errors))
    return loaded


def _load_config(path: Path | None) -> Settings | None:
    return load_settings(path) if path is not None else None


def _evaluator(scenario_file: ScenarioFile, policy: Path | None, settings: Settings | None) -> tuple[EvaluateFn, str]:
    """What answers the scenarios: ``--policy``, the config's API, or the file's own policy."""
    api = scenario_file.api
    if policy is not None:
        from gatewaysim.imports import import_policy  # the readers load only when a file needs them

        document = import_policy(policy, account=api.account, region=api.region, api_id=api.id).document
        compiled = compile_policy(dict(document), api_arn=api.arn, source_name=str(policy), require_principal=True)
        return _engine(compiled.evaluate), f"policy `{policy}`"
    if settings is not None:
        chosen = _config_api(settings, api.id)
        if chosen.policy is None:
            raise ConfigError([Problem("", f"api `{chosen.api_id}` has no resource policy")], settings.source)
        return _engine(chosen.policy.evaluate), f"api `{chosen.api_id}` of `{settings.source}` ({chosen.policy_source})"
    evaluate = evaluator_for(scenario_file)
    name = scenario_file.policy_path.name if scenario_file.policy_path else "the inline policy"
    return evaluate, f"policy `{name}`"


def _engine(evaluate: Callable[[Request], Decision]) -> EvaluateFn:
    def run(mapping: Mapping[str, Any]) -> Decision:
        return evaluate(Request.from_mapping(mapping))

    return run


def _config_api(settings: Settings, api_id: str) -> ApiSettings:
    """The config's API with the scenario's id, or its only API."""
    apis = {api.api_id: api for api in settings.apis}
    if api_id in apis:
        return apis[api_id]
    if len(apis) == 1:
        return next(iter(apis.values()))
    known = ", ".join(f"`{a}`" for a in apis)
    raise ConfigError([Problem("", f"no api `{api_id}` in the config (apis: {known})")], settings.source)


def _http_target(args: argparse.Namespace, settings: Settings | None) -> HttpTarget:
    token = args.token or default_token()
    if settings is None:
        return HttpTarget(args.url, token, timeout_s=args.timeout)
    identity = settings.identity
    key_headers = {key.lower(): header for header, key in identity.headers}
    return HttpTarget(args.url, token, identity.principal_header, key_headers, args.timeout)
