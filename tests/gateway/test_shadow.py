"""The shadow policy through real HTTP: decided for every request, never enforced.

The live policy lets two offices in (127.0.1.0/24 and 127.0.2.0/24, real loopback source
addresses); the shadow keeps only the first. Requests from the second office carry a
``shadowDecision`` in the access log and the decision event; no answer changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.authorizers.loading import resolve
from gatewaysim.config.load import build_settings, load_settings
from gatewaysim.errors import PolicyError
from gatewaysim.testing import ClientReply, GatewayServer, RecordingBackend, request_from
from tests.live_support import LiveGateway, non_loopback_address, policy, statement

OFFICE_1, OFFICE_2, HOME = "127.0.1.5", "127.0.2.5", "127.0.3.5"
TWO_OFFICES = policy(statement(Condition={"IpAddress": {"aws:SourceIp": ["127.0.1.0/24", "127.0.2.0/24"]}}))
ONE_OFFICE = policy(statement(Sid="Office", Condition={"IpAddress": {"aws:SourceIp": "127.0.1.0/24"}}))
SHADOW_URL = "/_gatewaysim/apis/abcdef1234/shadow-policy"
NEWLY_DENIED = {
    "change": "newlyDenied",
    "decision": "ImplicitDeny",
    "decidingStatement": None,
    "allowed": False,
    "verdict": "policy-only: -/neither -> ImplicitDeny",
    "reason": "Statement[0] (Office) no longer applies: IpAddress aws:SourceIp",
}


async def _mix(gw: Any) -> list[ClientReply]:
    return [
        await request_from(gw.url + "/prod/hr-systems", source=source, method=method)
        for source in (OFFICE_1, OFFICE_2, HOME)
        for method in ("GET", "POST")
    ]


def _answer(reply: ClientReply) -> tuple[int, bytes, list[tuple[str, str]]]:
    """What a client sees, less what differs between two requests (ids, dates; the backend's Date is remapped)."""
    varying = {"x-amzn-requestid", "x-amz-apigw-id", "date", "x-amzn-remapped-date", "x-amzn-trace-id"}
    return reply.status, reply.body, sorted((k, v) for k, v in reply.headers.items() if k.lower() not in varying)


async def test_differences_are_logged_and_no_answer_changes(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=TWO_OFFICES, backend=backend.url) as plain:
        expected = [_answer(r) for r in await _mix(plain)]
    async with GatewayServer(
        config={"api": {"policy": TWO_OFFICES, "shadow_policy": ONE_OFFICE, "backend": backend.url}}
    ) as gw:
        replies = await _mix(gw)
        events = (await request_from(gw.url + "/_gatewaysim/decisions?limit=all")).json()["events"][::-1]
    assert [_answer(r) for r in replies] == expected  # nowhere in the answers
    assert [r.status for r in replies] == [200, 200, 200, 200, 403, 403]
    shadows = [record.get("shadowDecision") for record in gw.records]
    assert shadows == [None, None, NEWLY_DENIED, NEWLY_DENIED, None, None]  # only office 2's requests change
    assert [event.get("shadowDecision") for event in events] == shadows
    assert "shadowDecision" not in gw.records[0]  # the key is there only where the shadow differs


async def test_a_shadow_that_allows_more_and_a_shadow_identical_to_the_live_one(backend: RecordingBackend) -> None:
    config = {"api": {"policy": ONE_OFFICE, "shadow_policy": ONE_OFFICE, "backend": backend.url}}
    async with GatewayServer(config=config) as gw:
        await _mix(gw)
        assert all("shadowDecision" not in record for record in gw.records)
        wider = json.dumps(TWO_OFFICES).encode()
        assert (await request_from(gw.url + SHADOW_URL, method="PUT", data=wider)).status == 200
        office_2 = await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
    assert office_2.status == 403  # the shadow's Allow is never enforced
    assert gw.records[-1]["shadowDecision"] == {
        "change": "newlyAllowed",
        "decision": "Allow",
        "decidingStatement": "Statement[0]",
        "allowed": True,
        "verdict": "policy-only: -/Allow -> Allow",
        "reason": "allowed by Statement[0] when IpAddress aws:SourceIp 127.0.1.0/24, 127.0.2.0/24",
    }


async def test_the_admin_api_reads_replaces_and_removes_the_shadow(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=TWO_OFFICES, backend=backend.url) as gw:
        none = await request_from(gw.url + SHADOW_URL)
        bad = await request_from(gw.url + SHADOW_URL, method="PUT", data=b'{"Statement": [{"Effect": "Alow"}]}')
        put = await request_from(gw.url + SHADOW_URL, method="PUT", data=json.dumps(ONE_OFFICE).encode())
        got = await request_from(gw.url + SHADOW_URL)
        listed = (await request_from(gw.url + "/_gatewaysim/apis")).json()["items"][0]
        await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
        deleted = await request_from(gw.url + SHADOW_URL, method="DELETE")
        await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
        live = await request_from(gw.url + "/_gatewaysim/apis/abcdef1234/policy")
    assert (none.status, none.json()["message"]) == (404, "api `abcdef1234` has no shadow policy")
    assert bad.status == 400 and bad.json()["message"] == "the policy is not valid; the old one stays"
    assert any("Statement[0].Effect" in line for line in bad.json()["errors"])
    assert put.status == 200 and got.json() == put.json() and got.headers["X-Gatewaysim-Policy-Source"] == "admin API"
    assert listed["shadowPolicySource"] == "admin API" and json.loads(listed["shadowPolicy"]) == got.json()
    assert deleted.status == 204
    assert [r.get("shadowDecision") for r in gw.records] == [NEWLY_DENIED, None]
    assert live.json()["Statement"][0]["Condition"] == TWO_OFFICES["Statement"][0]["Condition"]  # untouched


async def test_the_shadow_endpoints_follow_the_admin_access_rules(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=TWO_OFFICES, backend=backend.url, admin={"token": "s3cret"}) as gw:
        missing = await request_from(gw.url + SHADOW_URL, method="PUT", data=json.dumps(ONE_OFFICE).encode())
        right = await request_from(gw.url + SHADOW_URL, headers={"Authorization": "Bearer s3cret"})
        unknown = await request_from(
            gw.url + "/_gatewaysim/apis/nope/shadow-policy", headers={"Authorization": "Bearer s3cret"}
        )
    assert (missing.status, right.status, unknown.status) == (401, 404, 404)


async def test_a_remote_peer_cannot_set_a_shadow(backend: RecordingBackend) -> None:
    address = non_loopback_address()
    if address is None:  # the loopback rule is covered for every admin path by test_admin
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    load = lambda: build_settings({"api": {"policy": TWO_OFFICES, "backend": backend.url}})  # noqa: E731
    async with LiveGateway(load, reload=False, extra_hosts=[address]) as gw:
        remote = f"http://{address}:{gw.port}"
        put = await request_from(
            remote + SHADOW_URL, method="PUT", source=address, data=json.dumps(ONE_OFFICE).encode()
        )
    assert put.status == 403 and gw.gateway.apis["abcdef1234"].shadow is None


def test_a_bad_shadow_policy_in_the_config_is_located(tmp_path: Path) -> None:
    (tmp_path / "shadow.json").write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Alow"}]}')
    (tmp_path / "g.yaml").write_text(yaml.safe_dump({"api": {"policy": TWO_OFFICES, "shadow_policy": "shadow.json"}}))
    with pytest.raises(PolicyError) as caught:
        load_settings(tmp_path / "g.yaml")
    assert "shadow.json" in str(caught.value) and "Statement[0].Effect" in str(caught.value)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_hot_reload_swaps_the_shadow_file(tmp_path: Path, backend: RecordingBackend) -> None:
    shadow = tmp_path / "shadow.json"
    shadow.write_text(json.dumps(ONE_OFFICE))
    config = tmp_path / "g.yaml"
    api = {"backend": backend.url, "policy": TWO_OFFICES, "shadow_policy": "shadow.json"}
    config.write_text(yaml.safe_dump({"port": 0, "reload": {"interval_s": 0.05}, "api": api}))
    logger, lines = logging.getLogger("gatewaysim.gateway.reload"), _Lines()
    logger.addHandler(lines)
    level, logger.level = logger.level, logging.INFO
    try:
        async with LiveGateway(lambda: load_settings(config)) as gw:
            await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
            shadow.write_text('{"Statement": "not a list of statements"}')  # a bad edit: the last good shadow stays
            await _until(lambda: any("failed" in line for line in lines.lines), "the bad edit was not seen")
            await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
            shadow.write_text(json.dumps(TWO_OFFICES))
            await _until(lambda: any("shadow policy reloaded" in line for line in lines.lines), "no reload")
            await request_from(gw.url + "/prod/hr-systems", source=OFFICE_2)
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    assert [r.get("shadowDecision") for r in gw.log.records] == [NEWLY_DENIED, NEWLY_DENIED, None]


S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")


async def test_a_lambda_method_reuses_the_authorizer_answer_and_is_never_refused(backend: RecordingBackend) -> None:
    S.CALLS.clear()
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler", "authorizerResultTtlInSeconds": 0}
    no_office_2 = {
        "Sid": "NotOffice2",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.2.0/24"}},
    }
    api = {
        "backend": backend.url,
        "policy": policy(statement()),
        "shadow_policy": policy(statement(), no_office_2),
        "authorization_type": "CUSTOM",
        "authorizer": "tokens",
        "authorizers": {"tokens": authorizer},
    }
    async with GatewayServer(config={"api": api}) as gw:
        replies = [
            await request_from(gw.url + "/prod/orders", source=source, headers={"Authorization": "allow"})
            for source in (OFFICE_1, OFFICE_2)
        ]
    assert [r.status for r in replies] == [200, 200]  # the shadow's Deny is never enforced
    assert len(S.CALLS) == 2  # one call per request: the shadow reuses the recorded answer
    assert [r.get("shadowDecision") for r in gw.records] == [
        None,
        {
            "change": "newlyDenied",
            "decision": "ExplicitDeny",
            "decidingStatement": "Statement[1] (NotOffice2)",
            "allowed": False,
            "verdict": "pre-auth: -> ExplicitDeny",
            "reason": "denied before the authorizer by Statement[1] (NotOffice2) when IpAddress aws:SourceIp "
            "127.0.2.0/24",
        },
    ]
