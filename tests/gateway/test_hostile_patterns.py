"""Issue 17, finding 1: one request with a long path or header froze every request (backtracking
wildcards). Over a real socket: the hostile request and a health check both answer, with the right
decision. Before the fix each of these took over a minute (the test's own timeout)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement


def _deny(resource: str = "execute-api:/*", **extra: Any) -> dict[str, Any]:
    return statement("Deny", resource, **extra)


CASES = [
    (  # 1,530 characters of path against seven stars
        policy(statement(), _deny(resource="execute-api:/*/*/a/*/b/*/c/*/admin")),
        "/prod/" + "a/b/c/" * 254 + "x",
        {},
        "Allow",
    ),
    (
        policy(statement(), _deny(resource="execute-api:/*/*/a/*/b/*/c/*/admin")),
        "/prod/" + "a/b/c/" * 254 + "admin",
        {},
        "ExplicitDeny",
    ),
    (  # 8,000 characters of User-Agent against a four-star StringLike
        policy(statement(), _deny(Condition={"StringLike": {"aws:UserAgent": "*a*a*a*b"}})),
        "/prod/pets",
        {"User-Agent": "a" * 8_000},
        "Allow",
    ),
    (
        policy(statement(), _deny(Condition={"StringLike": {"aws:UserAgent": "*a*a*a*b"}})),
        "/prod/pets",
        {"User-Agent": "a" * 7_999 + "b"},
        "ExplicitDeny",
    ),
]


@pytest.mark.parametrize(("document", "path", "headers", "decision"), CASES)
async def test_a_hostile_request_is_decided_and_the_gateway_keeps_answering(
    backend: RecordingBackend, document: dict[str, Any], path: str, headers: dict[str, str], decision: str
) -> None:
    async with GatewayServer(policy=document, backend=backend.url) as gw:
        hostile, health = await asyncio.gather(
            request_from(gw.url + path, headers=headers), request_from(gw.url + "/_gatewaysim/health")
        )
    assert health.status == 200
    assert hostile.status == (200 if decision == "Allow" else 403)
    assert gw.records[-1]["decision"] == decision
