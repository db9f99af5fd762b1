"""``gatewaysim serve``: run the gateway (a thin shell over ``gateway.service.serve``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Final, TextIO

from gatewaysim.cli.arguments import add_parameter_overrides, parameters_of
from gatewaysim.config.load import load_settings
from gatewaysim.errors import GatewaysimError
from gatewaysim.gateway.loops import event_loop
from gatewaysim.gateway.service import serve

__all__ = ["DEMO_TRUSTED_PROXIES", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--config", metavar="FILE", help="YAML config (see config/gateway.yaml); flags win over it")
    add("--policy", metavar="FILE", help="resource policy (JSON or YAML), or a template/OpenAPI file holding it")
    add("--template", metavar="FILE", help="serve the API(s) of a SAM, CloudFormation, OpenAPI or Terraform file")
    add("--api", dest="template_api", metavar="LOGICAL_ID", help="the template's API to serve (default: all)")
    add_parameter_overrides(parser, "template")
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


def run(args: argparse.Namespace, out: TextIO) -> int:
    overrides = {name: getattr(args, name) for name in _SERVE_OVERRIDES}
    overrides["parameters"] = parameters_of(args)
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
