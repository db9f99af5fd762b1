"""An example Lambda authorizer behind an HTTP endpoint (the compose file's ``authorizer`` service).

The gateway POSTs the authorizer event as JSON to ``/authorize`` (config ``authorizers: {name:
{type: TOKEN|REQUEST, url: http://authorizer:9001/authorize}}``) and reads the answer as a Lambda
authorizer's return value::

    {"principalId": "alice", "context": {"tier": "gold"},
     "policyDocument": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:...:abcdef1234/prod/*"}]}}

or ``{"errorMessage": "Unauthorized"}`` (the gateway answers 401). The token is the TOKEN event's
``authorizationToken`` or a REQUEST event's ``Authorization`` header, ``Bearer`` prefix optional;
``TOKENS`` decides. ``GET /calls`` shows how often it was called and the last event; ``GET
/health`` answers 200. Run: ``python -m gatewaysim.examples.authorizer_service --port 9001``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

from aiohttp import web

__all__ = ["TOKENS", "answer", "create_app", "main", "token_of"]

# token -> (principalId, Effect, context)
TOKENS: Final[Mapping[str, tuple[str, str, Mapping[str, str | int | bool]]]] = {
    "allow-alice": ("alice", "Allow", {"tier": "gold"}),
    "allow-bob": ("bob", "Allow", {"tier": "silver"}),
    "deny-mallory": ("mallory", "Deny", {}),
}
UNAUTHORIZED: Final = {"errorMessage": "Unauthorized"}
_CALLS: Final = web.AppKey("calls", list[dict[str, Any]])


def token_of(event: Mapping[str, Any]) -> str:
    """The bearer token of a TOKEN or REQUEST event ('' when there is none)."""
    raw = event.get("authorizationToken")
    if raw is None:
        headers = event.get("headers") or {}
        raw = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    text = str(raw).strip()
    return text[7:].strip() if text.lower().startswith("bearer ") else text


def answer(event: Mapping[str, Any]) -> dict[str, Any]:
    """The Lambda authorizer answer for ``event``: a policy for the whole stage, or Unauthorized."""
    found = TOKENS.get(token_of(event))
    if found is None:
        return dict(UNAUTHORIZED)
    principal, effect, context = found
    api, _, rest = str(event.get("methodArn", "")).partition("/")
    stage = rest.partition("/")[0] or "*"
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": f"{api}/{stage}/*"}
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": dict(context),
    }


async def _authorize(request: web.Request) -> web.Response:
    try:
        event = await request.json()
    except ValueError:
        return web.json_response({"errorMessage": "the event is not JSON"}, status=400)
    if not isinstance(event, dict):
        return web.json_response({"errorMessage": "the event is not a JSON object"}, status=400)
    request.app[_CALLS].append(event)
    return web.json_response(answer(event))


async def _calls(request: web.Request) -> web.Response:
    calls = request.app[_CALLS]
    return web.json_response({"calls": len(calls), "last": calls[-1] if calls else None})


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app() -> web.Application:
    """The authorizer service: ``POST /authorize``, ``GET /calls``, ``GET /health``."""
    app = web.Application()
    app[_CALLS] = []
    app.router.add_post("/authorize", _authorize)
    app.router.add_get("/calls", _calls)
    app.router.add_get("/health", _health)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m gatewaysim.examples.authorizer_service")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9001, help="port to listen on (default 9001; 0 picks one)")
    args = parser.parse_args(argv)
    web.run_app(
        create_app(),
        host=args.host,
        port=args.port,
        print=lambda text: print(f"authorizer service: {text.strip().splitlines()[0].strip('= ')}", file=sys.stderr),
        access_log=None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
