"""``gatewaysim policy``: read, replace and remove a running gateway's resource policies.

The verbs mirror the AWS CLI commands of the seed article::

    gatewaysim policy get    --rest-api-id abcdef1234
    gatewaysim policy put    --rest-api-id abcdef1234 --policy file://policy.json
    gatewaysim policy delete --rest-api-id abcdef1234
    gatewaysim policy list

With ``--shadow`` get, put and delete act on the API's shadow policy instead (decided for every
request, never enforced: docs/replay.md).

(On AWS the same is ``aws apigateway update-rest-api --patch-operations op=replace,path=/policy,...``
followed by a deployment; the emulator applies a change at once.) ``--url`` names the gateway
(default ``$GATEWAYSIM_URL`` or ``http://127.0.0.1:8080``); ``--token`` (or
``$GATEWAYSIM_ADMIN_TOKEN``) is the admin token. Exit codes: 0 done; 1 the gateway refused or is
unreachable, or the API has no policy; 2 bad input (an unreadable file, a policy the gateway
rejected: its located errors are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final, TextIO

from gatewaysim.errors import ConfigError, DocumentError, Problem
from gatewaysim.gateway.admin_client import admin_call, default_token, default_url
from gatewaysim.imports.policy_text import policy_text
from gatewaysim.safeload import POLICY_LIMITS, read_text

__all__ = ["add_arguments", "read_policy_argument", "run"]

_BAD_INPUT: Final = frozenset({400, 413})
_PATHS: Final[Mapping[str, str]] = {"get": "GET", "put": "PUT", "delete": "DELETE"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``policy`` verbs and their flags."""
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    helps = {
        "get": "print the resource policy attached to an API",
        "put": "validate and attach a resource policy (replaces the current one)",
        "delete": "remove the resource policy: the API then has none",
        "list": "list the gateway's APIs and their policies (get-rest-apis shape)",
    }
    for verb, text in helps.items():
        sub = verbs.add_parser(verb, help=text, description=text)
        if verb != "list":
            sub.add_argument("--rest-api-id", required=True, metavar="ID", help="the API id, e.g. abcdef1234")
        if verb == "put":
            sub.add_argument(
                "--policy", required=True, metavar="DOC", help="file://policy.json, a path, or the JSON text itself"
            )
        if verb != "list":
            sub.add_argument("--shadow", action="store_true", help="the shadow policy (evaluated, never enforced)")
        sub.add_argument("--url", default=None, help="the gateway (default $GATEWAYSIM_URL or http://127.0.0.1:8080)")
        sub.add_argument("--token", default=None, help="admin token (default $GATEWAYSIM_ADMIN_TOKEN)")


def read_policy_argument(value: str, api_id: str | None = None) -> bytes:
    """``file://path``, a plain path, or inline JSON text (as the AWS CLI accepts); a template or
    OpenAPI file gives its API's policy (``gatewaysim.imports.policy_text``)."""
    if value.lstrip().startswith("{"):
        return value.encode("utf-8")
    path = Path(value.removeprefix("file://"))
    try:
        return policy_text(path, read_text(path, POLICY_LIMITS), api_id=api_id).encode("utf-8")
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.strerror}")], str(path)) from exc
    except DocumentError as exc:
        raise ConfigError([Problem("", f"cannot read the policy: {exc.problems[0].message}")], str(path)) from None


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Send the verb to the gateway's admin API; print the answer."""
    err = err if err is not None else sys.stderr
    url = args.url or default_url()
    token = args.token or default_token()
    if args.verb == "list":
        reply = asyncio.run(admin_call(url, "GET", "apis", token=token))
    else:
        data = read_policy_argument(args.policy, args.rest_api_id) if args.verb == "put" else None
        path = f"apis/{args.rest_api_id}/{'shadow-policy' if args.shadow else 'policy'}"
        reply = asyncio.run(admin_call(url, _PATHS[args.verb], path, token=token, data=data))
    if reply.status >= 400:
        err.write("".join(f"gatewaysim policy: {line}\n" for line in reply.message().splitlines()))
        return 2 if reply.status in _BAD_INPUT else 1
    document = reply.json()
    if document is not None:
        out.write(json.dumps(document, indent=2) + "\n")
    return 0
