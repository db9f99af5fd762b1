"""``gatewaysim replay``: which recorded requests would a candidate policy decide differently, and why?

    gatewaysim replay --policy NEW [--url URL | --decisions-file FILE] [--since 10m] [--api ID] [--json]
                      [--parameter-overrides KEY=VALUE ...]
    gatewaysim replay --shadow     [--url URL | --decisions-file FILE] ...

Reads the recorded decisions (the running gateway's ring, default ``$GATEWAYSIM_URL`` or
``http://127.0.0.1:8080``, or a decisions file), decides each again with NEW (``gatewaysim.replay``)
and prints the requests whose outcome changes, grouped. ``--shadow`` groups the differences the
gateway recorded for its shadow policy instead. Exit codes, like ``diff``: 0 nothing changes,
1 something does, 2 bad input (a policy, file or event that does not read, version 1 events, an
unreachable gateway).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final, TextIO

from gatewaysim.cli.arguments import add_parameter_overrides, parameters_of
from gatewaysim.errors import ConfigError, GatewaysimError, Problem
from gatewaysim.gateway.admin_client import default_token, default_url
from gatewaysim.replay.ask import Ask, replay_file, replay_gateway
from gatewaysim.replay.report import Against, render_json, render_text
from gatewaysim.replay.run import EXAMPLES, ReplayReport

__all__ = ["add_arguments", "run"]

BAD_INPUT: Final = 2
_FLAGS: Final = "command line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The replay flags."""
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--policy", type=Path, metavar="NEW", help="the candidate: a policy (JSON, YAML) or a template")
    what.add_argument("--shadow", action="store_true", help="group the differences recorded for the shadow policy")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running gateway (default $GATEWAYSIM_URL or http://127.0.0.1:8080)")
    where.add_argument("--decisions-file", type=Path, metavar="FILE", help="a decisions file (log.decisions_file)")
    parser.add_argument("--since", metavar="DURATION", help="only decisions of the last 90s, 10m, 2h, 1d ...")
    parser.add_argument("--api", metavar="ID", help="the API whose decisions to replay (when there are several)")
    parser.add_argument(
        "--policy-api", metavar="NAME", help="the API in NEW whose policy to use, when it holds several"
    )
    add_parameter_overrides(parser, "NEW's template")
    parser.add_argument("--examples", type=int, default=EXAMPLES, metavar="N", help="examples per reason (default 3)")
    parser.add_argument("--token", help="admin token (default $GATEWAYSIM_ADMIN_TOKEN)")
    parser.add_argument("--json", action="store_true", help="the report as JSON, with every request id")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Replay; 0 nothing changes, 1 something does, 2 bad input."""
    err = err if err is not None else sys.stderr
    try:
        report, against = _report(args)
    except GatewaysimError as exc:
        err.write("".join(f"gatewaysim replay: {line}\n" for line in str(exc).splitlines()))
        return BAD_INPUT
    out.write(render_json(report, against) if args.json else render_text(report, against))
    return 1 if report.changed else 0


def _report(args: argparse.Namespace) -> tuple[ReplayReport, Against]:
    if args.examples < 0:
        raise ConfigError([Problem("--examples", f"must be 0 or more, got `{args.examples}`")], _FLAGS)
    if args.shadow and args.parameters:
        raise ConfigError([Problem("--parameter-overrides", "goes with --policy (a template), not --shadow")], _FLAGS)
    candidate_path = None if args.shadow else args.policy
    ask = Ask(candidate_path, args.api, args.policy_api, args.since, args.examples, parameters_of(args))
    candidate = "the recorded shadow policy" if args.shadow else f"policy `{args.policy}`"
    if args.decisions_file is not None:
        report, source = replay_file(args.decisions_file, ask), f"decisions file `{args.decisions_file}`"
    else:
        url = args.url or default_url()
        report, source = replay_gateway(url, args.token or default_token(), ask), f"the gateway at {url}"
    return report, Against(candidate, source, args.since, shadow=args.shadow)
