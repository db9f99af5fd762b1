"""The harness behind the pytest plugin: LiveGateway / ThreadedGateway, replies, explanations."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from gatewaysim.examples.authorizer_service import create_app as authorizer_app
from gatewaysim.testing import BackendServer, RecordingBackend
from gatewaysim.testing.harness import LiveGateway, assert_allowed, assert_denied
from gatewaysim.testing.harness_sync import ThreadedGateway

OPEN_GET = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/GET/*"}
    ],
}


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
async def authorizer() -> AsyncIterator[BackendServer]:
    async with BackendServer(authorizer_app()) as server:
        yield server


async def test_authorizers_come_through_as_config_overrides(
    backend: RecordingBackend, authorizer: BackendServer
) -> None:
    tokens = {"tokens": {"type": "TOKEN", "url": authorizer.url + "/authorize", "authorizerResultTtlInSeconds": 0}}
    options = {"authorization_type": "CUSTOM", "authorizer": "tokens", "authorizers": tokens}
    async with LiveGateway(backend=backend.url, policy=OPEN_GET, **options) as gw:
        alice = await gw.request("/prod/orders", headers={"Authorization": "Bearer allow-alice"})
        mallory = await gw.request("/prod/orders", headers={"Authorization": "deny-mallory"})
        nobody = await gw.request("/prod/orders")
    assert_allowed(alice)
    assert alice.record is not None and alice.record["authorizer"]["principalId"] == "alice"
    assert_denied(mallory, "ExplicitDeny", status=403)
    assert_denied(nobody, status=401)
    explained = mallory.explain()
    assert '"principalId": "mallory"' in explained and "Deny" in explained
    assert "resource policy (inline policy):" in explained and "Statement[0]  Allow   yes" in explained
    assert len(backend.seen) == 1


async def test_refused_before_the_policy_is_explained(backend: RecordingBackend) -> None:
    async with LiveGateway(backend=backend.url, policy=OPEN_GET) as gw:
        reply = await gw.request("/staging/pets")
    assert reply.outcome is None and not reply.allowed
    with pytest.raises(AssertionError) as failed:
        assert_denied(reply, "ImplicitDeny")
    assert str(failed.value).splitlines() == [
        "expected outcome ImplicitDeny, got none (never judged)",
        "GET /staging/pets -> 403 MissingAuthenticationTokenException",
        f"  request id: {reply.request_id}; api: abcdef1234",
        "  caller: None; source ip: 127.0.0.1",
        "  resource: None",
        "  refused before any policy: no stage 'staging' (stages: prod); did you mean /prod/staging/pets?",
    ]
    assert_denied(reply, status=403)


async def test_no_policy_and_the_health_route(backend: RecordingBackend) -> None:
    async with LiveGateway(backend=backend.url) as gw:
        open_reply = await gw.request("/prod/anything", method="DELETE")
        health = await gw.request("/_gatewaysim/health")
    assert_allowed(open_reply)
    assert "resource policy: none" in open_reply.explain()
    assert health.status == 200 and health.record is None
    with pytest.raises(AssertionError, match="expected a refusal the gateway logged"):
        assert_denied(health)


async def test_policy_file_and_backend_application(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "Version: '2012-10-17'\nStatement:\n  - {Sid: Vpce, Effect: Allow, Principal: '*', Action: execute-api:Invoke,"
        " Resource: 'execute-api:/*', Condition: {StringEquals: {aws:SourceVpce: vpce-1}}}\n"
    )

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.path}")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    gw = LiveGateway(backend=app, policy=policy)
    async with gw:
        through = await gw.request("/prod/a", vpce="vpce-1")
        outside = await gw.request("/prod/a", vpc="vpc-1")
        assert gw.backend_url is not None and gw.backend_url != gw.url
    assert_allowed(through)
    assert through.text == "hello /a"
    assert_denied(outside, "ImplicitDeny")
    assert "policy.yaml" in outside.explain() and "Statement[0] (Vpce)" in outside.explain()


async def test_unknown_identity_key_is_a_clear_error(backend: RecordingBackend) -> None:
    identity = {"headers": {"X-Org": "aws:PrincipalOrgID"}}
    async with LiveGateway(backend=backend.url, identity=identity) as gw:
        with pytest.raises(ValueError, match="maps no header to `aws:sourcevpce`"):
            await gw.request("/prod/x", vpce="vpce-1")


async def test_not_started() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = LiveGateway().url


def test_threaded_gateway_binds_the_source_address(backend_app: web.Application) -> None:
    with ThreadedGateway(backend=backend_app, policy=OPEN_GET) as gw:
        reply = gw.request("/prod/x", source="127.0.0.42", principal="arn:aws:iam::111122223333:user/a")
        denied = gw.request("/prod/x", method="POST", data=b"12345")
        port = gw.port
    assert_allowed(reply)
    assert reply.record is not None and reply.record["ip"] == "127.0.0.42"
    assert reply.json()["peer"] == "127.0.0.1"  # the backend sees the gateway
    assert_denied(denied, "ImplicitDeny")
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # stopped


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
def test_threaded_gateway_over_ipv6(backend_app: web.Application) -> None:
    with ThreadedGateway(backend=backend_app, policy=OPEN_GET, host="::1") as gw:
        reply = gw.request("/prod/x")
    assert_allowed(reply)
    assert reply.record is not None and reply.record["ip"] == "::1"


@pytest.fixture
def backend_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"peer": request.remote})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app
