"""The decision log: every decision with its explanation, in a bounded ring and a JSON-lines file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.gateway.decision_events import EVENT_VERSION
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.live_support import policy, statement

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
EVE = "arn:aws:iam::999999999999:user/eve"
POLICY = policy(
    statement(resource="execute-api:/prod/GET/*"),
    statement("Deny", Sid="NoEve", Principal={"AWS": "arn:aws:iam::999999999999:root"}),
)


async def _decisions(gw: GatewayServer, query: str = "") -> Any:
    reply = await request_from(gw.url + "/_gatewaysim/decisions" + query)
    assert reply.status == 200, reply.body
    return reply.json()


async def _traffic(gw: GatewayServer) -> list[str]:
    """Allow, ImplicitDeny, ExplicitDeny and an unrouted request; their request ids."""
    replies = [
        await request_from(gw.url + "/prod/pets"),
        await request_from(gw.url + "/prod/pets", method="POST"),
        await request_from(gw.url + "/prod/pets", headers={"X-Gatewaysim-Principal": EVE}),
        await request_from(gw.url + "/nostage/pets"),
    ]
    assert [r.status for r in replies] == [200, 403, 403, 403]
    return [r.headers["x-amzn-RequestId"] for r in replies]


async def test_every_decision_is_logged_newest_first(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        ids = await _traffic(gw)
        body = await _decisions(gw)
    events = body["events"]
    assert body["version"] == EVENT_VERSION
    assert [e["requestId"] for e in events] == ids[2::-1]  # the unrouted request made no decision
    assert [e["outcome"] for e in events] == ["ExplicitDeny", "ImplicitDeny", "Allow"]
    assert [e["allowed"] for e in events] == [False, False, True]
    assert [e["status"] for e in events] == [403, 403, 200]


async def test_event_shape(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        ids = await _traffic(gw)
        (event,) = (await _decisions(gw, f"?request_id={ids[2]}"))["events"]
    assert event["version"] == 2
    assert event["eventTime"].endswith("Z") and len(event["eventTime"]) == len("2026-11-29T12:00:00.123Z")
    assert (event["apiId"], event["apiAccount"], event["stage"], event["httpMethod"], event["path"]) == (
        "abcdef1234",
        "123456789012",
        "prod",
        "GET",
        "/prod/pets",
    )
    assert (event["resourcePath"], event["authorizationType"]) == ("/{proxy+}", "NONE")
    assert event["resourceArn"] == f"{API}/prod/GET/pets"
    assert (event["caller"], event["sourceIp"]) == (EVE, "127.0.0.1")
    request = event["request"]
    assert (request["principal"], request["action"], request["resource"]) == (
        EVE,
        "execute-api:Invoke",
        f"{API}/prod/GET/pets",
    )
    assert request["context"]["aws:sourceip"] == ["127.0.0.1"]
    assert request["context"]["aws:principalaccount"] == ["999999999999"]
    decision = event["policy"]
    assert decision["decision"] == "ExplicitDeny" and decision["source"] == "inline policy"
    stored = {**POLICY["Statement"][1], "Resource": f"{API}/*"}  # as stored: the shorthand spelled out
    assert decision["deciding"] == [{"index": 1, "sid": "NoEve", "effect": "Deny", "statement": stored}]
    assert [s["applies"] for s in decision["statements"]] == [True, True]
    assert event["verdict"] == {
        "outcome": "ExplicitDeny",
        "rule": "policy-only",
        "row": {"authorizer": "-", "policy": "Deny"},
        "explanation": "policy-only: -/Deny -> ExplicitDeny",
    }
    assert event["authorizer"] is None  # auth NONE: no authorizer ran; the header's caller is request.principal
    assert event["flow"] == {"cognitoRequiresPolicyAllow": True}
    assert event["refusal"] == {
        "stage": "policy",
        "responseType": "ACCESS_DENIED",
        "reason": "ExplicitDeny: denied by Statement[1] (NoEve)",
        "hint": None,
    }
    assert "shadowDecision" not in event


async def test_an_allowed_request_has_no_refusal_and_the_unrouted_one_no_event(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        ids = await _traffic(gw)
        events = {e["requestId"]: e for e in (await _decisions(gw, "?limit=all"))["events"]}
    assert events[ids[0]]["refusal"] is None and events[ids[0]]["status"] == 200
    assert events[ids[1]]["refusal"] == {
        "stage": "policy",
        "responseType": "ACCESS_DENIED",
        "reason": "ImplicitDeny: no statement applies",
        "hint": None,
    }
    assert ids[3] not in events  # an unknown stage: no API stage ran, nothing was decided


async def test_a_request_without_a_method_is_refused_at_the_route(backend: RecordingBackend) -> None:
    config = {"api": {"backend": backend.url, "policy": POLICY, "routes": [{"resource": "/pets", "method": "GET"}]}}
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + "/prod/cats")
        (event,) = (await _decisions(gw))["events"]
    assert reply.status == 403
    assert (event["outcome"], event["verdict"], event["allowed"]) == (None, None, None)  # never evaluated
    assert (event["resourcePath"], event["authorizationType"]) == (None, None)
    assert event["refusal"] == {
        "stage": "route",
        "responseType": "MISSING_AUTHENTICATION_TOKEN",
        "reason": "no method `GET /cats` on the api",
        "hint": None,
    }


async def test_the_trace_names_what_failed(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        ids = await _traffic(gw)
        (event,) = (await _decisions(gw, f"?request_id={ids[1]}"))["events"]
    # neither statement's Principal/Action/Resource matched: each is named by the element that did not
    assert event["policy"]["statements"] == []
    assert event["policy"]["unmatched"] == {"Resource": [0], "Principal": [1]}


async def test_a_failed_condition_is_traced_in_full(backend: RecordingBackend) -> None:
    office = policy(statement(Sid="Office", Condition={"IpAddress": {"aws:SourceIp": "127.0.1.0/24"}}))
    async with GatewayServer(policy=office, backend=backend.url) as gw:
        await request_from(gw.url + "/prod/pets", source="127.0.2.5")
        (event,) = (await _decisions(gw))["events"]
    assert event["policy"]["statements"] == [
        {
            "index": 0,
            "sid": "Office",
            "effect": "Allow",
            "applies": False,
            "failed": "Condition",
            "reason": "IpAddress aws:SourceIp: request has `127.0.2.5`",
            "key": "aws:SourceIp",
            "seen": ["127.0.2.5"],
            "wanted": ["127.0.1.0/24"],
        }
    ]
    assert event["policy"]["unmatched"] == {}


@pytest.mark.parametrize(
    ("query", "outcomes"),
    [
        ("?outcome=Allow", ["Allow"]),
        ("?outcome=Deny", ["ExplicitDeny", "ImplicitDeny"]),
        ("?outcome=ImplicitDeny", ["ImplicitDeny"]),
        ("?allowed=false", ["ExplicitDeny", "ImplicitDeny"]),
        ("?allowed=true", ["Allow"]),
        ("?limit=2", ["ExplicitDeny", "ImplicitDeny"]),
        ("?limit=all", ["ExplicitDeny", "ImplicitDeny", "Allow"]),
        ("?outcome=Deny&limit=1", ["ExplicitDeny"]),
        ("?api=abcdef1234&outcome=Allow", ["Allow"]),
        ("?api=other", []),
        ("?outcome=NoPolicy", []),
    ],
)
async def test_filters(backend: RecordingBackend, query: str, outcomes: list[str]) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        await _traffic(gw)
        events = (await _decisions(gw, query))["events"]
    assert [e["outcome"] for e in events] == outcomes


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?limit=0", "`limit` must be a number from 1 to 1000 or `all`, got `0`"),
        ("?limit=x", "`limit` must be a number from 1 to 1000 or `all`, got `x`"),
        ("?outcome=allow", "`outcome` must be one of Allow, ExplicitDeny, ImplicitDeny, NoPolicy, Deny, got `allow`"),
        ("?allowed=yes", "`allowed` must be true or false, got `yes`"),
        ("?colour=red", "unknown parameter `colour` (expected limit, api, outcome, request_id, allowed)"),
    ],
)
async def test_bad_queries(backend: RecordingBackend, query: str, message: str) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/_gatewaysim/decisions" + query)
    assert (reply.status, reply.json()["message"]) == (400, message)


async def test_no_policy_is_an_event_too(backend: RecordingBackend) -> None:
    async with GatewayServer(backend=backend.url) as gw:
        await request_from(gw.url + "/prod/x")
        (event,) = (await _decisions(gw, "?outcome=NoPolicy"))["events"]
    assert (event["outcome"], event["policy"], event["allowed"]) == ("NoPolicy", None, True)


async def test_the_ring_is_bounded(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=POLICY, backend=backend.url, log={"decisions_ring": 3}) as gw:
        ids = [(await request_from(gw.url + f"/prod/{i}")).headers["x-amzn-RequestId"] for i in range(5)]
        events = (await _decisions(gw, "?limit=3"))["events"]
        too_many = await request_from(gw.url + "/_gatewaysim/decisions?limit=4")
    assert [e["requestId"] for e in events] == ids[:1:-1]
    assert len(gw.gateway.decisions) == 3
    assert too_many.status == 400


async def test_decisions_file_holds_every_event_as_json_lines(backend: RecordingBackend, tmp_path: Path) -> None:
    file = tmp_path / "decisions.jsonl"
    async with GatewayServer(policy=POLICY, backend=backend.url, log={"decisions_file": str(file)}) as gw:
        await _traffic(gw)
        served = (await _decisions(gw))["events"]
    lines = file.read_text().splitlines()
    assert len(lines) == 3
    written = [json.loads(line) for line in lines]
    assert written == served[::-1]  # the same events, oldest first
    assert all(event["version"] == 2 for event in written)
