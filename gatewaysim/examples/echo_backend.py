"""The built-in demo backend: echoes what it received as JSON.

``gatewaysim serve`` starts it in-process on a free loopback port when an API has no backend of
its own; ``python -m gatewaysim.examples.echo_backend --host 0.0.0.0 --port 9000`` runs it alone (the compose file's
``backend`` service). It answers every path, ``/_gatewaysim/health`` included, with 200. The
answer shows what the gateway forwarded: method, path, query string, headers, body length, the
peer it came from and any ``X-Gatewaysim-*`` identity header that reached it (there should be
none: the gateway drops them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final

from aiohttp import web

__all__ = ["IDENTITY_PREFIX", "create_demo_app", "echo", "main"]

IDENTITY_PREFIX: Final = "x-gatewaysim-"
_CHUNK: Final = 64 * 1024
_PARSER_LIMITS: Final = {"max_line_size": 16 * 1024, "max_field_size": 16 * 1024}
"""Room for what the gateway lets through (10,240 bytes of headers, a 10,240-character URL) and the
headers it adds; aiohttp's default 8,190 refused headers the gateway had accepted."""


async def echo(request: web.Request) -> web.Response:
    """Describe the request as JSON; the body is counted in chunks, never held whole."""
    length = 0
    while chunk := await request.content.read(_CHUNK):
        length += len(chunk)
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    path, _, query = request.raw_path.partition("?")
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    return web.json_response(
        {
            "service": "gatewaysim demo backend",
            "method": request.method,
            "path": path,
            "query": query,
            "headers": headers,
            "body_length": length,
            "peer": peer[0] if isinstance(peer, tuple) else None,
            "identity_headers": {k: v for k, v in headers.items() if k.lower().startswith(IDENTITY_PREFIX)},
        }
    )


def create_demo_app() -> web.Application:
    """An application that answers every method and path with ``echo``."""
    app = web.Application(handler_args=_PARSER_LIMITS)
    app.router.add_route("*", r"/{tail:[\s\S]*}", echo)
    return app


def _first_line(text: str) -> str:
    """aiohttp's start banner (``======== Running on http://... ========``) as one short line."""
    return text.strip().splitlines()[0].strip("= ") if text.strip() else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the demo backend until SIGINT/SIGTERM: ``python -m gatewaysim.examples.echo_backend --port 9000``."""
    parser = argparse.ArgumentParser(prog="python -m gatewaysim.examples.echo_backend", description="the echo backend")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000; 0 picks one)")
    args = parser.parse_args(argv)
    web.run_app(
        create_demo_app(),
        host=args.host,
        port=args.port,
        print=lambda text: print(f"gatewaysim demo backend: {_first_line(text)}", file=sys.stderr, flush=True),
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
