"""Stages over real HTTP: stage variables reach authorizers, `url_style: bare`, and the unknown-stage line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    S.CALLS.clear()


def request_api(backend: str, identity_source: str, **api: Any) -> dict[str, Any]:
    authorizer = {"type": "REQUEST", "handler": f"{S.HANDLER_FILE}:request_handler", "identitySource": identity_source}
    return {
        "api": {
            "backend": backend,
            "policy": None,
            "stages": ["prod", "beta"],
            "authorization_type": "CUSTOM",
            "authorizer": "tenants",
            "authorizers": {"tenants": {**authorizer, "authorizerResultTtlInSeconds": 300}},
            **api,
        }
    }


async def test_stage_variables_reach_the_request_authorizer(backend: RecordingBackend) -> None:
    variables = {"prod": {"env": "production", "tier": "gold"}}
    config = request_api(backend.url, "method.request.header.X-Key, stageVariables.env", stage_variables=variables)
    async with GatewayServer(config=config) as gw:
        prod = await request_from(gw.url + "/prod/pets", headers={"X-Key": "allow"})
        beta = await request_from(gw.url + "/beta/pets", headers={"X-Key": "allow"})
    assert prod.status == 200
    (event,) = S.CALLS  # beta has no `env`: a missing identity source is 401 before any call
    assert event["stageVariables"] == {"env": "production", "tier": "gold"}
    assert event["requestContext"]["stage"] == "prod"
    assert beta.status == 401 and beta.body == b'{"message":"Unauthorized"}'


async def test_bare_urls_imply_the_one_stage(backend: RecordingBackend) -> None:
    policy = S.policy(S.statement("Allow"), S.statement("Deny", "execute-api:/prod/GET/admin"))
    config = {"api": {"backend": backend.url, "policy": policy, "url_style": "bare", "stages": ["prod"]}}
    async with GatewayServer(config=config) as gw:
        pets = await request_from(gw.url + "/pets?x=1")
        root = await request_from(gw.url + "/")
        admin = await request_from(gw.url + "/admin")
        staged = await request_from(gw.url + "/prod/pets")  # bare: `/prod/pets` is a path, not a stage
        prefixed = await request_from(gw.url + "/restapis/abcdef1234/prod/_user_request_/pets")
    assert (pets.status, root.status, staged.status, prefixed.status) == (200, 200, 200, 200)
    assert [s.raw_path for s in backend.seen] == ["/pets?x=1", "/", "/prod/pets", "/pets"]
    assert gw.records[0]["resourceArn"] == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
    assert admin.status == 403 and admin.json() == S.denied("anonymous", "/admin", explicit=True)


async def test_a_first_segment_that_is_no_stage_names_the_likely_path(backend: RecordingBackend) -> None:
    async with GatewayServer(config={"api": {"backend": backend.url, "policy": None}}) as gw:
        reply = await request_from(gw.url + "/pets/1")
        root = await request_from(gw.url + "/pets")
    assert reply.status == 403 and reply.body == MISSING_TOKEN and root.status == 403
    assert gw.records[0]["errorMessage"] == "no stage 'pets' (stages: prod); did you mean /prod/pets/1?"
    assert gw.records[1]["errorMessage"] == "no stage 'pets' (stages: prod); did you mean /prod/pets?"
    assert backend.seen == []
