"""``gatewaysim tail``: follow a running gateway's requests, one human line each, the reason on every refusal.

Reads ``GET /_gatewaysim/requests`` (the last ``--last`` requests) and then the live stream
``/_gatewaysim/requests/stream`` (server-sent events). Colour only on a terminal. Stops after
``--count`` lines, when the gateway stops, or on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Final, TextIO

import aiohttp
from yarl import URL

from gatewaysim.gateway.admin_client import GatewayUnreachable, admin_call, default_token, default_url
from gatewaysim.observe.story import tail_line
from gatewaysim.safeload import load_json

__all__ = ["add_arguments", "run", "server_sent_events"]

_MAX_EVENT: Final = 1024 * 1024


def _at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number, ``low`` or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got `{text[:100]}`") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, got `{value}`")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The tail flags."""
    parser.add_argument("--url", default=None, help="the gateway (default $GATEWAYSIM_URL or http://127.0.0.1:8080)")
    parser.add_argument("--token", default=None, help="admin token (default $GATEWAYSIM_ADMIN_TOKEN)")
    parser.add_argument(
        "--last", type=_at_least(0), default=10, metavar="N", help="print the last N requests first (10)"
    )
    parser.add_argument("--refused", action="store_true", help="only requests the gateway refused")
    parser.add_argument("--count", type=_at_least(1), metavar="N", help="stop after N lines")
    parser.add_argument("--json", action="store_true", help="one access record a line, as JSON")


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Follow until the gateway stops, ``--count`` lines, or Ctrl-C."""
    url = args.url or default_url()
    colour = not args.json and _is_terminal(out)
    return asyncio.run(_tail(args, url, args.token or default_token(), out, colour))


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


async def _tail(args: argparse.Namespace, url: str, token: str | None, out: TextIO, colour: bool) -> int:
    printed = 0

    def show(record: Mapping[str, Any]) -> bool:
        nonlocal printed
        if args.refused and not record.get("refusedBy"):
            return False
        out.write((json.dumps(record) if args.json else tail_line(record, colour=colour)) + "\n")
        out.flush()
        printed += 1
        return args.count is not None and printed >= args.count

    if args.last > 0:
        recent = await admin_call(url, "GET", "requests", token=token, params={"limit": str(min(args.last, 1000))})
        if recent.status != 200:
            print(f"gatewaysim tail: {recent.message().splitlines()[0]}", file=sys.stderr)
            return 1
        for record in reversed((recent.json() or {}).get("requests") or []):
            if show(record):
                return 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    stream_url = URL(url.rstrip("/") + "/_gatewaysim/requests/stream")
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(stream_url, headers=headers) as reply:
            if reply.status != 200:
                print(f"gatewaysim tail: the gateway answered {reply.status}", file=sys.stderr)
                return 1
            async for data in server_sent_events(reply.content):
                if show(load_json(data)):
                    return 0
    except (aiohttp.ClientError, OSError) as exc:
        raise GatewayUnreachable(f"cannot follow the gateway at `{url}`: {exc or type(exc).__name__}") from exc
    print("gatewaysim tail: the gateway closed the stream", file=sys.stderr)
    return 0


async def server_sent_events(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event (comments and other fields skipped)."""
    data: list[str] = []
    async for raw in content:
        if len(raw) > _MAX_EVENT:
            continue
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
