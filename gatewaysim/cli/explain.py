"""``gatewaysim explain REQUEST_ID``: the story of one request, as the dashboard's request page tells it.

From a running gateway (``--url``, default ``$GATEWAYSIM_URL`` or ``http://127.0.0.1:8080``: its
decision log and request feed) or from a decisions file (``--decisions-file``, the JSON lines of
``log.decisions_file``). Exit codes: 0 found, 1 not found or the gateway unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from gatewaysim.errors import ConfigError, GatewaysimError, Problem
from gatewaysim.gateway.admin_client import admin_call, default_token, default_url
from gatewaysim.observe.story import build_story, render_text
from gatewaysim.safeload import load_json

__all__ = ["add_arguments", "find_in_file", "run"]

_MAX_LINE = 4 * 1024 * 1024  # a decision event is a few KiB; a longer line is not one


class NotFound(GatewaysimError):
    """No request with that id where we looked."""

    exit_code = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The explain flags."""
    parser.add_argument("request_id", metavar="REQUEST_ID", help="the x-amzn-RequestId of the answer")
    parser.add_argument("--url", default=None, help="the gateway (default $GATEWAYSIM_URL or http://127.0.0.1:8080)")
    parser.add_argument("--token", default=None, help="admin token (default $GATEWAYSIM_ADMIN_TOKEN)")
    parser.add_argument("--decisions-file", type=Path, help="read a decisions file (JSON lines) instead of a gateway")
    parser.add_argument("--json", action="store_true", help="the access record and the decision event as JSON")


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the request's story; 1 when it is not found."""
    if args.decisions_file is not None:
        record, event = None, find_in_file(args.decisions_file, args.request_id)
        where = f"`{args.decisions_file}`"
    else:
        url = args.url or default_url()
        record, event = asyncio.run(_from_gateway(url, args.token or default_token(), args.request_id))
        where = f"the gateway at `{url}` (it keeps the last log.decisions_ring requests)"
    if record is None and event is None:
        raise NotFound(f"no request `{args.request_id}` in {where}")
    if args.json:
        out.write(json.dumps({"record": record, "event": event}, indent=2) + "\n")
    else:
        out.write(render_text(build_story(record, event)))
    return 0


def find_in_file(path: Path, request_id: str) -> Mapping[str, Any] | None:
    """The last event of ``request_id`` in a decisions file (JSON lines), or None."""
    found = None
    try:
        with path.open("r", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if request_id not in line or len(line) > _MAX_LINE:
                    continue
                try:
                    event = load_json(line)
                except ValueError:  # not JSON, or over safeload's limits
                    continue
                if isinstance(event, dict) and event.get("requestId") == request_id:
                    found = event
    except OSError as exc:
        raise ConfigError([Problem("", f"cannot read the decisions file: {exc.strerror}")], str(path)) from exc
    return found


async def _from_gateway(
    url: str, token: str | None, request_id: str
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    params = {"request_id": request_id}
    events = await admin_call(url, "GET", "decisions", token=token, params={**params, "limit": "1"})
    records = await admin_call(url, "GET", "requests", token=token, params=params)
    for reply in (events, records):
        if reply.status != 200:
            raise NotFound(f"the gateway at `{url}` answered {reply.status}: {reply.message().splitlines()[0]}")
    found_events = (events.json() or {}).get("events") or []
    found_records = (records.json() or {}).get("requests") or []
    return (found_records[0] if found_records else None), (found_events[0] if found_events else None)
