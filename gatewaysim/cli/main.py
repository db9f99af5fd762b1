"""The ``gatewaysim`` command: ``main(argv) -> exit code``.

Sub-commands live in ``COMMANDS``, one row each: a help line, a function adding its flags and a
function running it (``run(args, out) -> int``), each a thin shell over a library call. An error
prints one line per problem (``gatewaysim: config `x.yaml`: api.port: ...``), never a traceback,
and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TextIO

from gatewaysim import __version__
from gatewaysim.cli import check as check_cli
from gatewaysim.cli import explain as explain_cli
from gatewaysim.cli import init as init_cli
from gatewaysim.cli import keys as keys_cli
from gatewaysim.cli import policy as policy_cli
from gatewaysim.cli import replay as replay_cli
from gatewaysim.cli import simulate
from gatewaysim.cli import tail as tail_cli
from gatewaysim.cli import test as scenario_cli
from gatewaysim.config.load import load_settings
from gatewaysim.errors import GatewaysimError
from gatewaysim.gateway.loops import event_loop
from gatewaysim.gateway.service import serve
from gatewaysim.suggest import did_you_mean

__all__ = ["COMMANDS", "Command", "build_parser", "main", "unknown_command"]

ERROR_EXIT: Final = 2


@dataclass(frozen=True, slots=True)
class Command:
    """One sub-command: help text, its flags, and what it runs."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, TextIO], int]


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--config", metavar="FILE", help="YAML config (see config/gateway.yaml); flags win over it")
    add("--policy", metavar="FILE", help="resource policy (JSON or YAML), or a template/OpenAPI file holding it")
    add("--template", metavar="FILE", help="serve the API(s) of a SAM, CloudFormation, OpenAPI or Terraform file")
    add("--api", dest="template_api", metavar="LOGICAL_ID", help="the template's API to serve (default: all)")
    add(
        "--parameter-overrides",
        dest="parameters",
        nargs="+",
        type=_parameter_override,
        metavar="KEY=VALUE",
        help="template parameters and stand-ins, like sam's (`Stage=dev AuthFn.Arn=arn:...`)",
    )
    add("--policy-from", choices=("config", "template"), help="which policy wins when both give one")
    add("--url-style", choices=("stage", "bare"), help="`bare`: serve /{path} for the one stage, as `sam local` does")
    add("--backend", metavar="URL", help="backend base URL, or `demo` for the built-in echo backend")
    add("--host", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, help="port to listen on (default 8080; 0 picks a free one)")
    add("--api-id", help="REST API id in the method ARN (default abcdef1234)")
    add("--account", help="12-digit account that owns the API (default 123456789012)")
    add("--region", help="region in the method ARN (default us-east-1)")
    add("--stage", dest="stages", action="append", metavar="NAME", help="a stage name; repeatable (default prod)")
    add(
        "--trusted-proxy",
        dest="trusted_proxies",
        action="append",
        metavar="CIDR",
        help="a proxy network whose X-Forwarded-For is believed; repeatable (default none)",
    )
    add("--log-format", choices=("json", "text"), help="access log format (default json)")
    add("--log-file", metavar="FILE", help="append the access log here instead of stderr")
    add("--decisions-file", metavar="FILE", help="append every decision here, one JSON event a line")
    add(
        "--no-reload",
        dest="reload",
        action="store_const",
        const=False,
        help="do not watch the config and policy files for changes",
    )
    add("--reload-interval", type=float, metavar="SECONDS", help="how often to look for changes (default 0.5)")
    add(
        "--reload-functions",
        dest="reload_functions",
        action="store_const",
        const=True,
        help="restart a local function's workers when its code changes (config reload.functions; on with --template)",
    )
    add(
        "--no-reload-functions",
        dest="reload_functions",
        action="store_const",
        const=False,
        help="keep a function's workers when its code changes (the default but with --template)",
    )
    add("--loop", choices=("uvloop", "asyncio"), help="event loop (default uvloop where installed, else asyncio)")
    add("--workers", type=int, metavar="N", help="processes sharing the port (default 1; more share state via --store)")
    add("--store", metavar="URL", help="shared store for workers and gateways: redis://host:port/db or unix:///path")
    add("--worker", help=argparse.SUPPRESS)  # I/N: set by the supervisor for each of its workers


def _parameter_override(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` or SAM's ``ParameterKey=KEY,ParameterValue=VALUE``."""
    if text.startswith("ParameterKey="):
        key, _, value = text.removeprefix("ParameterKey=").partition(",ParameterValue=")
    else:
        key, _, value = text.partition("=")
    if not key or "=" not in text:
        raise argparse.ArgumentTypeError(f"`{text}` is not KEY=VALUE")
    return key, value


_SERVE_OVERRIDES: Final = (
    "policy",
    "template",
    "template_api",
    "policy_from",
    "url_style",
    "backend",
    "host",
    "port",
    "api_id",
    "account",
    "region",
    "stages",
    "trusted_proxies",
    "log_format",
    "log_file",
    "decisions_file",
    "loop",
    "workers",
    "store",
    "reload",
    "reload_interval",
    "reload_functions",
)


# The embedded default (no config, policy or backend) is a demo on loopback: it believes
# X-Forwarded-For from loopback so `curl -H 'X-Forwarded-For: 203.0.113.10'` can show an allow.
DEMO_TRUSTED_PROXIES: Final = ["127.0.0.0/8", "::1/128"]


def _run_serve(args: argparse.Namespace, out: TextIO) -> int:
    overrides = {name: getattr(args, name) for name in _SERVE_OVERRIDES}
    overrides["parameters"] = dict(args.parameters) if args.parameters else None
    embedded = args.config is None and args.policy is None and args.backend is None and args.template is None
    if embedded and args.trusted_proxies is None:
        overrides["trusted_proxies"] = DEMO_TRUSTED_PROXIES
    if args.template is not None and args.reload_functions is None:
        overrides["reload_functions"] = True  # `sam local` habits: an edited handler answers the next request
    settings = load_settings(args.config, overrides)
    loop_factory, _ = event_loop(settings.loop, settings.source)
    _one_line_logging()
    role = None
    try:
        if args.worker or settings.workers > 1:
            from gatewaysim.gateway import workers  # only to run several processes

            role = workers.WorkerRole.parse(args.worker) if args.worker else None
            if role is None:  # the supervisor: it serves nothing itself
                asyncio.run(workers.supervise(settings, getattr(args, "argv", ()), out))
                return 0
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            reload = lambda: load_settings(args.config, overrides)  # noqa: E731 - as at startup
            runner.run(serve(settings, out, reload_settings=reload, worker=role))
    except OSError as exc:  # the listening socket: address in use, permission, unknown host
        raise _ListenError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from exc
    return 0


class _ListenError(GatewaysimError):
    """The gateway could not open its listening socket."""


class _OneLineFormatter(logging.Formatter):
    """Log records as one line, without tracebacks (aiohttp logs one for every malformed request)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"gatewaysim: {record.name}: {record.getMessage().splitlines()[0] if record.getMessage() else ''}"


def _one_line_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    for name in ("aiohttp", "gatewaysim"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    for name in ("gatewaysim.gateway.admin", "gatewaysim.gateway.reload"):  # a policy change is worth a line
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("gatewaysim.function").setLevel(logging.INFO)  # what functions print, line by line


# The sub-commands, in the order `--help` lists them.
COMMANDS: Final[dict[str, Command]] = {
    "init": Command("write a starter config, policy and scenario file here", init_cli.add_arguments, init_cli.run),
    "serve": Command("run the gateway in front of a backend", _serve_arguments, _run_serve),
    "simulate": Command("evaluate requests against a policy, no server", simulate.add_arguments, simulate.run),
    "check": Command("lint resource policies against their API", check_cli.add_arguments, check_cli.run),
    "test": Command("check scenario files against a policy or a gateway", scenario_cli.add_arguments, scenario_cli.run),
    "tail": Command(
        "follow a running gateway's requests, the reason on every refusal", tail_cli.add_arguments, tail_cli.run
    ),
    "explain": Command("tell why one request was answered as it was", explain_cli.add_arguments, explain_cli.run),
    "policy": Command(
        "get, put, delete or list a gateway's resource policies", policy_cli.add_arguments, policy_cli.run
    ),
    "keys": Command("list a gateway's API keys and the quota each has left", keys_cli.add_arguments, keys_cli.run),
    "replay": Command(
        "which recorded requests would a candidate policy decide differently", replay_cli.add_arguments, replay_cli.run
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``gatewaysim`` argument parser: one sub-parser a row of ``COMMANDS``."""
    parser = argparse.ArgumentParser(prog="gatewaysim", description="A local emulator of AWS API Gateway's front door.")
    parser.add_argument("--version", action="version", version=f"gatewaysim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(sub)
    return parser


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's sub-commands by name (empty when it has none)."""
    for action in parser._actions:  # argparse keeps its sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """``unknown command `simulat` (did you mean `simulate`?)`` for a misspelt (sub-)command, else None.

    Walks the words that name commands (``policy get``): every option before them takes no value.
    """
    said: list[str] = []
    for word in argv:
        verbs = _verbs(parser)
        if not verbs:
            return None
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return None
            continue
        if word not in verbs:
            hint = did_you_mean(word, verbs) or f" (commands: {', '.join(verbs)})"
            return f"unknown command `{' '.join([*said, word])}`{hint}"
        said.append(word)
        parser = verbs[word]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = unknown_command(parser, argv)
    if unknown is not None:
        print(f"gatewaysim: {unknown}", file=sys.stderr)
        return ERROR_EXIT
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else ERROR_EXIT
    if args.command is None:
        parser.print_help(sys.stderr)
        return ERROR_EXIT
    args.argv = argv[argv.index(args.command) + 1 :]  # the command's own words (serve's workers repeat them)
    try:
        return COMMANDS[args.command].run(args, sys.stdout)
    except GatewaysimError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"gatewaysim: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
