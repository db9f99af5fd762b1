"""``gatewaysim check``: lint resource policies against the API they are attached to, without a server.

Exit codes: 0 = no errors (warnings allowed), 1 = at least one error finding (a document that does
not parse counts: its problems are GS000 errors), 2 = unreadable input (a missing file, a bad
config, missing or invalid flags); that message goes to ``err``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar

from gatewaysim.errors import ConfigError, DocumentError, PolicyError, Problem
from gatewaysim.imports.policy_text import policy_text
from gatewaysim.lint.findings import WARNING, Finding
from gatewaysim.lint.linter import (
    ApiContext,
    LintReport,
    MethodAuth,
    codes,
    lint_policy,
    parse_error_report,
    render_json,
    render_text,
)
from gatewaysim.lint.model import AUTH_TYPES, ENDPOINT_TYPES
from gatewaysim.policy import Policy
from gatewaysim.safeload import POLICY_LIMITS, read_text

__all__ = ["add_arguments", "run"]

Document = str | Policy
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Target:
    """One policy to lint and the API it belongs to."""

    source: str
    document: Document
    api: ApiContext
    methods: tuple[MethodAuth, ...]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The check flags."""
    parser.add_argument("files", nargs="*", type=Path, metavar="POLICY", help="policy documents (JSON or YAML)")
    parser.add_argument("--policy", type=Path, help="a policy document (same as a POLICY argument)")
    parser.add_argument("--config", type=Path, help="a gateway config: lint the policy of each API it declares")
    parser.add_argument(
        "--template", type=Path, help="a SAM/CloudFormation/OpenAPI/Terraform file: its APIs, as `serve --template`"
    )
    parser.add_argument("--api", metavar="NAME", help="the template's API (its logical id) when it has several")
    parser.add_argument("--api-id", help="the REST API id (default: from the policy's ARNs, else abcdef1234)")
    parser.add_argument("--account", help="the API's 12-digit account (default: the policy's ARNs, else 123456789012)")
    parser.add_argument("--region", help="the API's region (default: from the policy's ARNs, else us-east-1)")
    parser.add_argument(
        "--stage", action="append", default=[], help="a deployed stage (repeat; none = stage names not checked)"
    )
    parser.add_argument("--endpoint-type", choices=ENDPOINT_TYPES, type=str.upper, default="REGIONAL")
    parser.add_argument(
        "--method",
        nargs=3,
        action="append",
        default=[],
        metavar=("VERB", "PATH", "AUTH"),
        help=f"a method and its authorization type ({', '.join(AUTH_TYPES)}), e.g. GET /pets/{{id}} CUSTOM; repeat",
    )
    parser.add_argument(
        "--auth-type", type=str.upper, choices=AUTH_TYPES, help="every method of the API uses this authorization type"
    )
    parser.add_argument("--json", action="store_true", help="findings as a JSON list")
    parser.add_argument("--list-codes", action="store_true", help="print every finding code and exit")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Lint every policy; 1 when any finding is an error, 0 otherwise, 2 when the input is unreadable."""
    err = err if err is not None else sys.stderr
    if args.list_codes:
        from gatewaysim.config.door.references import DOOR_CHECKS  # the config room: only for the listing

        rows = [*codes(), *((c.code, c.severity, c.summary) for c in DOOR_CHECKS)]
        out.write("".join(f"{code}  {severity:<7}  {summary}\n" for code, severity, summary in rows))
        return 0
    try:
        results = list(_reports(args, _methods(args), err))
    except ConfigError as exc:
        err.write("".join(f"gatewaysim check: {line}\n" for line in exc.render().splitlines()))
        return 2
    reports = [r for r in results if isinstance(r, LintReport)]
    if args.json:
        out.write(render_json(reports))
    else:
        out.write("".join(render_text([r]) if isinstance(r, LintReport) else f"{r}\n" for r in results))
    return 0 if all(report.ok for report in reports) else 1


def _reports(args: argparse.Namespace, methods: tuple[MethodAuth, ...], err: TextIO) -> Iterator[LintReport | str]:
    """A report for each policy; a note (str) for an API without one."""
    try:
        from_config = args.config is not None or args.template is not None
        targets = list(_from_config(args, methods) if from_config else _from_files(args, methods, err))
    except PolicyError as exc:  # the config compiles its policies: a malformed one stops it
        yield parse_error_report(exc)
        return
    for target in targets:
        if isinstance(target, str | LintReport):
            yield target
        else:
            yield lint_policy(target.document, api=target.api, methods=target.methods, source_name=target.source)


def _from_files(args: argparse.Namespace, methods: tuple[MethodAuth, ...], err: TextIO) -> Iterator[_Target]:
    """Each policy file, linted against the API its flags, its ARNs or serve's defaults name (said on ``err``)."""
    from gatewaysim.config.which_api import choose_api  # the config room: only when there is no config

    files = [*args.files, *([args.policy] if args.policy is not None else [])]
    if not files:
        problem = Problem("", "give a policy file (`gatewaysim check p.json`) or --config")
        raise ConfigError([problem], "command line")
    for file in files:
        # a template or OpenAPI file: the policy of its API (gatewaysim.imports.policy_text)
        text = policy_text(
            file, _read(file), account=args.account, region=args.region, api_id=args.api_id, api=args.api
        )
        choice = choose_api(text, api_id=args.api_id, account=args.account, region=args.region)
        if any(not choice.sources[name].startswith("--") for name in ("api", "account", "region")):
            advice = "; give --api-id, --account, --region for another API" if choice.guessed else ""
            err.write(f"gatewaysim check: `{file}`: {choice.describe()}{advice}\n")
        fields = (choice.api_id, choice.account, choice.region, tuple(args.stage), args.endpoint_type, choice.partition)
        api = _checked("--endpoint-type", ApiContext, *fields)
        yield _Target(str(file), text, api, methods)


def _read(path: Path) -> str:
    try:
        return read_text(path, POLICY_LIMITS)
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.strerror}")], str(path)) from exc
    except DocumentError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.problems[0].message}")], str(path)) from None


def _from_config(args: argparse.Namespace, methods: tuple[MethodAuth, ...]) -> Iterator[_Target | LintReport | str]:
    # imported here: the config pulls in the server's settings (aiohttp); linting a file does not need them
    from gatewaysim.config.load import DEFAULT_POLICY_SOURCE, default_policy_text, load_settings

    overrides: dict[str, Any] = {
        "policy": str(args.policy) if args.policy is not None else None,
        "api_id": args.api_id,
        "account": args.account,
        "region": args.region,
        "stages": list(args.stage) or None,
        "template": str(args.template) if args.template is not None else None,
        "template_api": args.api,
    }
    settings = load_settings(args.config, overrides, strict=False)
    source = str(args.config) if args.config is not None else None  # template warnings name their file
    if settings.findings:  # the door settings: undeclared keys, stages, models, validators; cors traps (GS6xx)
        yield LintReport.build(settings.findings, source or str(args.template))
    if settings.warnings:  # what AWS would do that gatewaysim does not (a template's properties, config keys)
        yield LintReport.build([_not_emulated(w) for w in settings.warnings], source)
    for api in settings.apis:
        if api.policy is None:  # no resource policy: nothing to lint
            yield f"api `{api.api_id}`: no resource policy, nothing to check"
            continue
        fields = (api.api_id, api.account, api.region, api.stages, args.endpoint_type, api.partition)
        context = _checked("--endpoint-type", ApiContext, *fields)
        source = api.policy_source or "inline policy"
        document: Document = api.policy.policy
        if source == DEFAULT_POLICY_SOURCE:
            document = default_policy_text()
        elif Path(source).is_file():
            document = _read(Path(source))  # the text, so the size check sees what AWS would
        yield _Target(source, document, context, methods or _config_methods(api))


NOT_EMULATED: Final = "GS700"
"""The finding code of what AWS would do with a setting that gatewaysim does not emulate."""


def _not_emulated(warning: Problem) -> Finding:
    fix = "nothing to change: gatewaysim does not emulate it yet; test that behaviour against AWS"
    return Finding(NOT_EMULATED, WARNING, warning.path, warning.message, fix)


def _config_methods(api: object) -> tuple[MethodAuth, ...]:
    """The API's routes, if the config declares them (``ApiSettings.routes``: a RouteTable or Routes)."""
    routes = getattr(api, "routes", None)  # not every config version has routes
    routes = getattr(routes, "routes", routes)
    if not isinstance(routes, Iterable):
        return ()
    return tuple(
        MethodAuth(str(r.method), str(r.resource), str(r.authorization_type))
        for r in routes
        if hasattr(r, "method") and hasattr(r, "resource") and hasattr(r, "authorization_type")
    )


def _checked(flag: str, kind: Callable[..., _T], *values: Any) -> _T:
    """Build a value from flags; its ValueError becomes a located ConfigError (exit 2)."""
    try:
        return kind(*values)
    except ValueError as exc:
        raise ConfigError([Problem(flag, str(exc))], "command line") from exc


def _methods(args: argparse.Namespace) -> tuple[MethodAuth, ...]:
    """``--method VERB PATH AUTH`` entries, and ``--auth-type`` as ``ANY /`` plus ``ANY /{proxy+}``."""
    given: Sequence[Sequence[str]] = args.method
    methods = [
        _checked(f"--method[{i}]", MethodAuth, verb.upper(), path, auth.upper())
        for i, (verb, path, auth) in enumerate(given)
    ]
    if args.auth_type:
        methods += [MethodAuth("ANY", path, args.auth_type) for path in ("/", "/{proxy+}")]
    return tuple(methods)
