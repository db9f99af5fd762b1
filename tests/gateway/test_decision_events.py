"""Decision events (version 2) carry what deciding the request again needs, through real HTTP:
the route's auth type, the authorizer's result as recorded, the caller the policy saw, the verdict row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

POLICY = S.policy(S.statement("Allow"), S.statement("Deny", "execute-api:/*/*/admin"))


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    S.CALLS.clear()


def lambda_api(backend: str) -> dict[str, Any]:
    authorizer = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler", "authorizerResultTtlInSeconds": 300}
    return {
        "api": {
            "backend": backend,
            "policy": POLICY,
            "authorization_type": "CUSTOM",
            "authorizer": "tokens",
            "authorizers": {"tokens": authorizer},
        }
    }


async def _events(gw: GatewayServer) -> list[dict[str, Any]]:
    reply = await request_from(gw.url + "/_gatewaysim/decisions?limit=all")
    events: list[dict[str, Any]] = reply.json()["events"]
    return events[::-1]  # oldest first


async def test_a_lambda_authorizer_result_is_recorded_as_it_answered(backend: RecordingBackend) -> None:
    async with GatewayServer(config=lambda_api(backend.url)) as gw:
        first = await request_from(gw.url + "/prod/pets", headers={"Authorization": "allow"})
        cached = await request_from(gw.url + "/prod/pets/2", headers={"Authorization": "allow"})
        events = await _events(gw)
    assert (first.status, cached.status) == (200, 200)
    event = events[0]
    assert event["authorizationType"] == "CUSTOM" and event["caller"] == "anonymous"
    authorizer = event["authorizer"]
    assert {k: v for k, v in authorizer.items() if k != "policy"} == {
        "column": "Allow",
        "principal": "anonymous",
        "principalId": "user-allow",
        "context": {"user": "user-allow", "level": 3, "admin": False},
        "claims": {},
        "cached": False,
        "rejection": None,
    }
    assert authorizer["policy"]["decision"] == "Allow"  # the authorizer's own policy, evaluated for this ARN
    assert event["verdict"]["row"] == {"authorizer": "Allow", "policy": "Allow"} and event["verdict"]["rule"] == "A"
    assert events[1]["authorizer"]["cached"] is True


async def test_the_pre_authorizer_deny_records_no_authorizer(backend: RecordingBackend) -> None:
    async with GatewayServer(config=lambda_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/admin", headers={"Authorization": "allow"})
        (event,) = await _events(gw)
    assert reply.status == 403 and S.CALLS == []
    assert event["authorizer"] is None  # never called: replay knows its answer is unknown
    assert event["verdict"] == {
        "outcome": "ExplicitDeny",
        "rule": "pre-auth",
        "row": None,
        "explanation": "pre-auth: -> ExplicitDeny",
    }
    assert event["policy"]["deciding"][0]["index"] == 1


async def test_an_authorizer_rejection_is_recorded(backend: RecordingBackend) -> None:
    async with GatewayServer(config=lambda_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets")  # no token
        (event,) = await _events(gw)
    assert reply.status == 401
    assert event["authorizer"]["rejection"] == {
        "responseType": "UNAUTHORIZED",
        "status": 401,
        "message": "Unauthorized",
        "errorType": "UnauthorizedException",
    }
    assert event["verdict"]["rule"] == "rejected" and event["outcome"] == "Allow"  # the pre-check evaluated it
    assert event["refusal"] == {
        "stage": "authorizer",
        "responseType": "UNAUTHORIZED",
        "reason": "authorizer `tokens`: identity source `method.request.header.Authorization` missing or empty",
        "hint": None,
    }


async def test_an_iam_caller_is_the_signer_with_its_keys(backend: RecordingBackend) -> None:
    user = f"arn:aws:iam::{S.ACCOUNT}:user/alice"
    config = {
        "api": {
            "backend": backend.url,
            "policy": S.policy(S.statement("Allow")),
            "authorization_type": "AWS_IAM",
            "authorizers": {
                "iam": {"type": "AWS_IAM", "credentials": {"AKIAALICE": {"secret": "s", "principal": user}}}
            },
        }
    }
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", key="AKIAALICE", secret="s")
        reply = await request_from(url, headers=headers)
        (event,) = await _events(gw)
    assert reply.status == 200
    assert event["caller"] == user and event["request"]["principal"] == user
    assert event["request"]["context"]["aws:principalaccount"] == [S.ACCOUNT]
    assert (event["authorizer"]["column"], event["authorizer"]["principal"]) == ("Allow", user)
    assert event["apiAccount"] == S.ACCOUNT and event["verdict"]["rule"] == "A"
