"""The admin API over real sockets: read, replace and remove policies; who may ask; the decision log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.config.load import build_settings
from gatewaysim.gateway.admin import MAX_POLICY_BYTES, is_loopback
from gatewaysim.imports import import_policy
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.hostile import yaml_bomb
from tests.live_support import LiveGateway, non_loopback_address, policy, statement

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
OPEN = policy(statement())
DENY_ALL = policy(statement("Deny"))
POLICY_URL = "/_gatewaysim/apis/abcdef1234/policy"


async def _put(gw: GatewayServer, document: Any, **headers: str) -> Any:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return await request_from(gw.url + POLICY_URL, method="PUT", data=body, headers=headers)


async def test_get_returns_the_document_as_stored(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + POLICY_URL)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    # AWS stores the policy with the execute-api shorthand spelled out
    assert reply.json() == policy(statement(resource=f"{API}/*"))
    assert reply.headers["X-Gatewaysim-Policy-Source"] == "inline policy"


async def test_put_takes_effect_for_the_next_request(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/pets")).status == 200
        reply = await _put(gw, DENY_ALL)
        assert reply.status == 200 and reply.json()["Statement"][0]["Effect"] == "Deny"
        denied = await request_from(gw.url + "/prod/pets")
        assert (await request_from(gw.url + POLICY_URL)).json() == reply.json()
    assert denied.status == 403 and denied.json()["Message"].endswith("with an explicit deny")
    assert [r["decision"] for r in gw.records] == ["Allow", "ExplicitDeny"]


async def test_bad_put_is_refused_and_the_old_policy_keeps_answering(backend: RecordingBackend) -> None:
    bad = policy(statement(), {"Effect": "Alow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"})
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await _put(gw, bad)
        after = await request_from(gw.url + "/prod/pets")
        current = await request_from(gw.url + POLICY_URL)
    assert reply.status == 400
    assert reply.json() == {
        "message": "the policy is not valid; the old one stays",
        "errors": ["policy: Statement[1].Effect: must be `Allow` or `Deny`, not `Alow`"],
    }
    assert after.status == 200
    assert current.json() == policy(statement(resource=f"{API}/*"))


HOSTILE_PUTS = [
    # a YAML alias bomb of 10**6 values in 340 bytes
    (yaml_bomb(6, 10), "policy: YAML aliases expand the document to over 100000 values: line 5"),
    (b"[" * 30_000 + b"]" * 30_000, "policy: nested deeper than 100 levels"),
    (b"Version: " + b"{a: " * 15_000, "policy: nested deeper than 100 levels: line 1"),
    (b"\xc3\x28", "policy: not UTF-8 text: byte `0xc3` at line 1, column 1"),
]


@pytest.mark.parametrize(("body", "error"), HOSTILE_PUTS)
async def test_a_hostile_put_is_a_short_400_and_the_old_policy_stays(
    backend: RecordingBackend, body: bytes, error: str
) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await _put(gw, body)
        health = await request_from(gw.url + "/_gatewaysim/health")
        after = await request_from(gw.url + "/prod/x")
    assert reply.status == 400 and len(reply.body) < 300
    assert reply.json() == {"message": "the policy is not valid; the old one stays", "errors": [error]}
    assert (health.status, after.status) == (200, 200)


async def test_an_error_line_quotes_at_most_100_characters(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        bad = await _put(gw, {"Version": "2012-10-17", "Statement": [{**statement(), "Action": "x" * 60_000}]})
    assert bad.status == 400 and len(bad.body) < 400
    assert bad.json()["errors"] == [
        f"policy: Statement[0].Action: `{'x' * 100}...` (60000 characters) is not an action (expected `service:Action`)"
    ]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "the body must be a policy document (JSON or YAML)"),
        (b"[1, 2]", 400, "the policy is not valid; the old one stays"),
        (b"{" + b" " * MAX_POLICY_BYTES + b"}", 413, f"a policy document is at most {MAX_POLICY_BYTES} bytes"),
    ],
)
async def test_put_refuses_what_is_not_a_policy(
    backend: RecordingBackend, body: bytes, status: int, message: str
) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await _put(gw, body)
        assert (await request_from(gw.url + "/prod/x")).status == 200
    assert (reply.status, reply.json()["message"]) == (status, message)


async def test_put_accepts_yaml(backend: RecordingBackend) -> None:
    text = (
        b"Version: '2012-10-17'\n"
        b"Statement:\n  - {Effect: Deny, Principal: '*', Action: execute-api:Invoke, Resource: '*'}\n"
    )
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await _put(gw, text)
        assert (await request_from(gw.url + "/prod/x")).status == 403
    assert reply.json()["Statement"][0] == statement("Deny", resource="*")


async def test_delete_leaves_the_api_without_a_policy(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=DENY_ALL, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/x")).status == 403
        deleted = await request_from(gw.url + POLICY_URL, method="DELETE")
        allowed = await request_from(gw.url + "/prod/x")
        missing = await request_from(gw.url + POLICY_URL)
        listed = await request_from(gw.url + "/_gatewaysim/apis")
    assert deleted.status == 204 and deleted.body == b""
    assert allowed.status == 200
    assert gw.records[-1]["decision"] == "NoPolicy"  # an API without a resource policy is open
    assert (missing.status, missing.json()) == (404, {"message": "api `abcdef1234` has no resource policy"})
    assert "policy" not in listed.json()["items"][0]


async def test_list_apis_reads_back_with_the_get_rest_api_importer(backend: RecordingBackend, tmp_path: Path) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/_gatewaysim/apis")
    item = reply.json()["items"][0]
    assert (item["id"], item["arn"], item["stages"], item["policySource"]) == (
        "abcdef1234",
        API,
        ["prod"],
        "inline policy",
    )
    listing = tmp_path / "apis.json"
    listing.write_bytes(reply.body)
    imported = import_policy(listing, api="abcdef1234")
    assert imported.document == policy(statement(resource=f"{API}/*"))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/_gatewaysim/apis/nope/policy", 404),
        ("POST", "/_gatewaysim/apis/abcdef1234/policy", 405),
        ("DELETE", "/_gatewaysim/apis", 405),
        ("GET", "/_gatewaysim/apis/abcdef1234", 404),
        ("GET", "/_gatewaysim/apis/%61bcdef1234/policy", 404),  # ids are matched raw
        ("GET", "/_gatewaysim/nothing", 404),
    ],
)
async def test_unknown_admin_resources(backend: RecordingBackend, method: str, path: str, status: int) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + path, method=method)
    assert reply.status == status and "message" in reply.json()
    assert backend.seen == [] and gw.records == []  # never a gateway request


async def test_admin_disabled_is_just_an_unknown_stage(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, admin={"enabled": False}) as gw:
        reply = await request_from(gw.url + POLICY_URL)
    assert reply.status == 403 and reply.json() == {"message": "Missing Authentication Token"}


# --- who may ask ---------------------------------------------------------------------------


async def test_token_is_required_when_configured(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, admin={"token": "s3cret"}) as gw:
        missing = await request_from(gw.url + POLICY_URL)
        wrong = await _put(gw, DENY_ALL, Authorization="Bearer nope")
        basic = await request_from(gw.url + POLICY_URL, headers={"Authorization": "Basic s3cret"})
        still_open = await request_from(gw.url + "/prod/x")
        right = await request_from(gw.url + POLICY_URL, headers={"Authorization": "Bearer s3cret"})
    assert [missing.status, wrong.status, basic.status, right.status] == [401, 401, 401, 200]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert still_open.status == 200  # the refused PUT changed nothing


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "Via"])
async def test_a_forwarded_request_is_remote_even_from_a_loopback_proxy(backend: RecordingBackend, header: str) -> None:
    # A trusted proxy on loopback presents a remote client: the policy sees the client, and the
    # admin API counts the request as remote (it came through a proxy), so it is refused. `Via` is
    # the one a proxy must add (RFC 9110 7.6.3), whatever it does with X-Forwarded-For.
    spoof_policy = policy(statement(Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    async with GatewayServer(policy=spoof_policy, backend=backend.url, trusted_proxies=["127.0.0.0/8"]) as gw:
        forwarded = {header: "203.0.113.5" if header != "Forwarded" else "for=203.0.113.5"}
        admin = await request_from(gw.url + POLICY_URL, headers=forwarded)
        deleted = await request_from(gw.url + POLICY_URL, method="DELETE", headers=forwarded)
        direct = await request_from(gw.url + POLICY_URL)
        still = await request_from(gw.url + "/prod/x", headers={"X-Forwarded-For": "198.51.100.9"})
    assert (admin.status, deleted.status, direct.status) == (403, 403, 200)
    assert admin.json() == {"message": "the admin API answers local, direct clients only (admin.allow_remote)"}
    assert still.status == 403  # the DELETE did not happen: the policy still refuses other networks


async def test_a_forwarded_request_is_answered_with_allow_remote_and_the_token(backend: RecordingBackend) -> None:
    settings = {"admin": {"allow_remote": True, "token": "t"}, "trusted_proxies": ["127.0.0.0/8"]}
    async with GatewayServer(policy=OPEN, backend=backend.url, **settings) as gw:
        forwarded = {"X-Forwarded-For": "203.0.113.5"}
        without = await request_from(gw.url + POLICY_URL, headers=forwarded)
        with_token = await request_from(gw.url + POLICY_URL, headers={**forwarded, "Authorization": "Bearer t"})
    assert (without.status, with_token.status) == (401, 200)


async def test_non_loopback_peer_is_refused_whatever_it_forwards(backend: RecordingBackend) -> None:
    address = non_loopback_address()
    if address is None:  # the loopback rule is still covered by test_is_loopback and the spoof test above
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    load = lambda: build_settings({"api": {"policy": OPEN, "backend": backend.url}})  # noqa: E731
    async with LiveGateway(load, reload=False, extra_hosts=[address]) as gw:
        remote = f"http://{address}:{gw.port}"
        spoofed = {"X-Forwarded-For": "127.0.0.1"}
        refused = await request_from(remote + POLICY_URL, source=address, headers=spoofed)
        put = await request_from(remote + POLICY_URL, method="PUT", source=address, data=json.dumps(DENY_ALL).encode())
        decisions = await request_from(remote + "/_gatewaysim/decisions", source=address)
        gateway_request = await request_from(remote + "/prod/x", source=address)
        local = await request_from(gw.url + POLICY_URL)
    assert [refused.status, put.status, decisions.status] == [403, 403, 403]
    assert refused.json() == {"message": "the admin API answers local, direct clients only (admin.allow_remote)"}
    assert gateway_request.status == 200  # the PUT did not happen; the API itself serves remote callers
    assert gw.log.records[0]["ip"] == address
    assert local.status == 200


async def test_allow_remote_with_token_answers_a_remote_peer(backend: RecordingBackend) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    raw = {"api": {"policy": OPEN, "backend": backend.url}, "admin": {"allow_remote": True, "token": "t"}}
    async with LiveGateway(lambda: build_settings(raw), reload=False, extra_hosts=[address]) as gw:
        remote = f"http://{address}:{gw.port}"
        without = await request_from(remote + POLICY_URL, source=address)
        with_token = await request_from(remote + POLICY_URL, source=address, headers={"Authorization": "Bearer t"})
    assert (without.status, with_token.status) == (401, 200)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.200.3.4", True),
        ("::1", True),
        ("192.0.2.2", False),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("not an address", False),
    ],
)
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


async def test_the_admin_root_lists_what_is_there(backend: RecordingBackend) -> None:
    """`GET /_gatewaysim/` answers with every admin resource, its methods and what it is for."""
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/_gatewaysim/")
    assert reply.status == 200
    listed = {item["path"]: item for item in reply.json()["resources"]}
    assert set(listed) >= {
        "/_gatewaysim/health",
        "/_gatewaysim/apis",
        "/_gatewaysim/apis/{api-id}/policy",
        "/_gatewaysim/decisions",
    }
    assert listed["/_gatewaysim/apis/{api-id}/policy"]["methods"] == ["GET", "PUT", "DELETE"]
    assert all(item["description"] for item in listed.values())
    assert reply.json()["apis"] == ["abcdef1234"]


async def test_many_distinct_policies_keep_the_pattern_cache_within_its_budget(backend: RecordingBackend) -> None:
    """Issue 17: 300 PUTs of different 60 KB policies grew memory by ~209 KB each (a regex cache
    bounded by count only). The compiled-pattern cache is bounded in bytes."""
    from gatewaysim.policy.matching import MATCHER_CACHE

    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        for n in range(40):
            resources = [f"execute-api:/prod/GET/{n}/{i}/*/x{'?' * 3}/*" + "p" * 330 for i in range(150)]
            reply = await _put(gw, policy(statement(resource=resources)))  # ~58 KB, 150 patterns
            assert reply.status == 200, reply.body[:200]
            assert MATCHER_CACHE.bytes <= MATCHER_CACHE.max_bytes
        allowed = await request_from(gw.url + f"/prod/39/1/a/xyyy/b{'p' * 330}")
        denied = await request_from(gw.url + f"/prod/39/1/a/xyy/b{'p' * 330}")
    assert (allowed.status, denied.status) == (200, 403)
    assert len(MATCHER_CACHE) <= MATCHER_CACHE.max_items
