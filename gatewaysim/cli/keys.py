"""``gatewaysim keys``: a running gateway's API keys, their usage plans and the quota each has left.

::

    gatewaysim keys                      # one line a key and plan: name, id, value (masked), quota left
    gatewaysim keys --include-values     # the values too (as `aws apigateway get-api-keys --include-values`)
    gatewaysim keys --json

``--url`` (default ``$GATEWAYSIM_URL`` or ``http://127.0.0.1:8080``) and ``--token`` (or
``$GATEWAYSIM_ADMIN_TOKEN``) as for ``gatewaysim policy``. Exit 0, or 1 when the gateway refuses
or cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

from gatewaysim.gateway.admin_client import admin_call, default_token, default_url

__all__ = ["add_arguments", "render", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``keys`` flags."""
    parser.add_argument("--include-values", action="store_true", help="print the key values, not masked")
    parser.add_argument("--json", action="store_true", help="the admin API's JSON answer")
    parser.add_argument("--url", default=None, help="the gateway (default $GATEWAYSIM_URL or http://127.0.0.1:8080)")
    parser.add_argument("--token", default=None, help="admin token (default $GATEWAYSIM_ADMIN_TOKEN)")


def _quota(plan: dict[str, Any]) -> str:
    quota = plan.get("quota")
    if quota is None:
        return "no quota"
    return f"{quota['remaining']} of {quota['limit']} left this {str(quota['period']).lower()}"


def render(items: list[dict[str, Any]]) -> str:
    """One line a key and plan: ``name (id) value enabled plan stages quota``."""
    lines = []
    for key in items:
        state = "enabled" if key["enabled"] else "disabled"
        head = f"{key['name']} ({key['id']}) {key['value']} {state}"
        plans = key["usagePlans"]
        if not plans:
            lines.append(f"{head}: in no usage plan (every key-requiring method answers 403)")
        for plan in plans:
            lines.append(f"{head}: plan {plan['name']} [{', '.join(plan['apiStages'])}] {_quota(plan)}")
    return "\n".join(lines) + "\n" if lines else "no api keys\n"


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Ask the gateway's admin API; print the keys."""
    err = err if err is not None else sys.stderr
    params = {"includeValues": "true"} if args.include_values else None
    reply = asyncio.run(
        admin_call(args.url or default_url(), "GET", "keys", token=args.token or default_token(), params=params)
    )
    if reply.status >= 400:
        err.write(f"gatewaysim keys: {reply.message()}\n")
        return 1
    items = reply.json()["items"]
    out.write(json.dumps(items, indent=2) + "\n" if args.json else render(items))
    return 0
