"""Identity: source IP from the socket (X-Forwarded-For only via trusted proxies), principal, keys."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from gatewaysim.config.load import ApiSettings, IdentitySettings
from gatewaysim.gateway.identity import (
    IdentityResolver,
    TrustedProxies,
    client_address,
    forwarded_chain,
    forwarded_hops,
    peer_address,
)
from gatewaysim.gateway.paths import Target
from gatewaysim.ids import RequestIds
from gatewaysim.testing import BackendServer, request_from

NOW = 1795953600.0  # 2026-11-29T12:00:00Z
NETS = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("127.0.0.5", "127.0.0.5"),
        ("::1", "::1"),
        ("fe80::1%eth0", "fe80::1"),  # scope stripped
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped read as IPv4
        ("2001:DB8::1", "2001:db8::1"),  # canonical form
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_peer_address(raw: str, expected: str) -> None:
    assert peer_address(raw) == expected


@pytest.mark.parametrize(
    ("peer", "hops", "trusted", "expected"),
    [
        # no trusted proxies: the header never counts, whatever it says
        ("127.0.0.1", ["203.0.113.5"], (), "127.0.0.1"),
        # an untrusted peer's header is ignored (spoofing)
        ("127.0.0.5", ["203.0.113.5"], NETS, "127.0.0.5"),
        # a trusted peer: the rightmost hop is the caller
        ("127.0.0.1", ["203.0.113.5"], NETS, "203.0.113.5"),
        # a forged leftmost entry does not win: rightmost untrusted hop is used
        ("127.0.0.1", ["198.51.100.1", "203.0.113.5"], NETS, "203.0.113.5"),
        # trusted hops are skipped from the right
        ("127.0.0.1", ["203.0.113.5", "10.1.2.3"], NETS, "203.0.113.5"),
        # every hop trusted: the leftmost is the caller
        ("127.0.0.1", ["10.9.9.9", "10.1.2.3"], NETS, "10.9.9.9"),
        # garbage: only the proxy that appended it is believed
        ("127.0.0.1", ["203.0.113.5", "garbage"], NETS, "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.5", "garbage", "10.1.2.3"], NETS, "10.1.2.3"),
        # an empty header: the peer
        ("127.0.0.1", [], NETS, "127.0.0.1"),
        # IPv6 and IPv4-mapped entries
        ("127.0.0.1", ["2001:db8::7"], NETS, "2001:db8::7"),
        ("127.0.0.1", ["::ffff:198.51.100.4"], NETS, "198.51.100.4"),
    ],
)
def test_client_address(peer: str, hops: list[str], trusted: tuple[Any, ...], expected: str) -> None:
    assert client_address(peer, hops, trusted) == expected


def test_forwarded_hops_merges_headers_and_trims() -> None:
    assert forwarded_hops(["1.1.1.1, 2.2.2.2", " 3.3.3.3 ,", ""]) == ["1.1.1.1", "2.2.2.2", "3.3.3.3"]


def test_forwarded_chain() -> None:
    assert forwarded_chain("127.0.0.5", ["6.6.6.6"], NETS) == "127.0.0.5"  # untrusted: the chain is dropped
    assert forwarded_chain("127.0.0.1", ["6.6.6.6", "10.0.0.1"], NETS) == "6.6.6.6, 10.0.0.1, 127.0.0.1"
    assert forwarded_chain("127.0.0.1", [], NETS) == "127.0.0.1"
    assert forwarded_chain("127.0.0.1", ["6.6.6.6"], ()) == "127.0.0.1"


@pytest.fixture
async def resolve_server() -> AsyncIterator[Callable[[IdentitySettings], Any]]:
    """A real server whose handler returns the resolved context as JSON."""
    state: dict[str, IdentityResolver] = {}

    async def handler(request: web.Request) -> web.Response:
        ctx = state["resolver"].resolve(request, ApiSettings(), Target("prod", "/pets", "a=1"), RequestIds.new(), NOW)
        return web.json_response(
            {
                "principal": ctx.principal,
                "source_ip": ctx.source_ip,
                "peer_ip": ctx.peer_ip,
                "forwarded_for": ctx.forwarded_for,
                "method_arn": ctx.method_arn,
                "secure": ctx.secure,
                "context": {k: list(v) for k, v in ctx.policy_request.context.items()},
                "resource": ctx.policy_request.resource,
                "action": ctx.policy_request.action,
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with BackendServer(app) as server:

        def use(settings: IdentitySettings) -> str:
            state["resolver"] = IdentityResolver(settings)
            return server.url

        yield use


async def test_anonymous_context(resolve_server: Callable[[IdentitySettings], str]) -> None:
    url = resolve_server(IdentitySettings())
    reply = await request_from(url + "/prod/pets?a=1", source="127.0.0.5", headers={"User-Agent": "curl/8"})
    body = reply.json()
    assert body["principal"] == "anonymous"
    assert body["source_ip"] == body["peer_ip"] == "127.0.0.5"
    assert (
        body["method_arn"] == body["resource"] == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
    )
    assert body["action"] == "execute-api:Invoke"
    context = body["context"]
    assert context["aws:sourceip"] == ["127.0.0.5"]
    assert context["aws:currenttime"] == ["2026-11-29T12:00:00Z"]
    assert context["aws:epochtime"] == ["1795953600"]
    assert context["aws:securetransport"] == ["false"]
    assert context["aws:useragent"] == ["curl/8"]
    assert "aws:referer" not in context  # only when sent
    # principal keys need authentication: absent for anonymous (spec 5)
    assert not {k for k in context if k.startswith("aws:principal")}
    assert "aws:sourcevpce" not in context


async def test_principal_header_derives_principal_keys(resolve_server: Callable[[IdentitySettings], str]) -> None:
    url = resolve_server(IdentitySettings())
    session = "arn:aws:sts::999888777666:assumed-role/PartnerIntegrationRole/s1"
    reply = await request_from(url + "/x", headers={"X-Gatewaysim-Principal": session, "Referer": "https://a/"})
    body = reply.json()
    assert body["principal"] == session
    assert body["context"]["aws:principalarn"] == ["arn:aws:iam::999888777666:role/PartnerIntegrationRole"]
    assert body["context"]["aws:principalaccount"] == ["999888777666"]
    assert body["context"]["aws:principaltype"] == ["AssumedRole"]
    assert body["context"]["aws:referer"] == ["https://a/"]


async def test_empty_identity_headers_count_as_absent(resolve_server: Callable[[IdentitySettings], str]) -> None:
    url = resolve_server(IdentitySettings())
    reply = await request_from(url + "/x", headers={"X-Gatewaysim-Principal": " ", "X-Gatewaysim-Source-Vpce": ""})
    body = reply.json()
    assert body["principal"] == "anonymous"
    assert "aws:sourcevpce" not in body["context"]


async def test_mapped_headers_fill_context_keys(resolve_server: Callable[[IdentitySettings], str]) -> None:
    settings = IdentitySettings(headers=(("X-Org", "aws:PrincipalOrgID"), ("x-vpce", "aws:SourceVpce")))
    url = resolve_server(settings)
    reply = await request_from(url + "/x", headers={"x-org": "o-123", "X-VPCE": "vpce-1"})
    context = reply.json()["context"]
    assert context["aws:principalorgid"] == ["o-123"]
    assert context["aws:sourcevpce"] == ["vpce-1"]


async def test_forwarded_for_from_trusted_peer(resolve_server: Callable[[IdentitySettings], str]) -> None:
    url = resolve_server(IdentitySettings(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)))
    trusted = await request_from(url + "/x", headers={"X-Forwarded-For": "203.0.113.7"})
    assert trusted.json()["source_ip"] == "203.0.113.7"
    assert trusted.json()["forwarded_for"] == "203.0.113.7, 127.0.0.1"
    spoofed = await request_from(url + "/x", source="127.0.0.9", headers={"X-Forwarded-For": "203.0.113.7"})
    assert spoofed.json()["source_ip"] == "127.0.0.9"
    assert spoofed.json()["forwarded_for"] == "127.0.0.9"


async def test_secure_transport_override(resolve_server: Callable[[IdentitySettings], str]) -> None:
    url = resolve_server(IdentitySettings(secure_transport=True))
    reply = await request_from(url + "/x")
    assert reply.json()["context"]["aws:securetransport"] == ["true"]
    assert reply.json()["secure"] is True


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
async def test_ipv6_peer() -> None:
    async def handler(request: web.Request) -> web.Response:
        ctx = IdentityResolver(IdentitySettings()).resolve(
            request, ApiSettings(), Target("prod", "/", ""), RequestIds.new(), NOW
        )
        return web.json_response({"source_ip": ctx.source_ip, "arn": ctx.method_arn})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    async with BackendServer(app, "::1") as server:
        reply = await request_from(server.url + "/prod/", source="::1")
    assert reply.json() == {
        "source_ip": "::1",
        "arn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/",
    }


@pytest.mark.parametrize(
    ("peer", "values"),
    [
        ("127.0.0.1", ()),
        ("127.0.0.1", ("203.0.113.7",)),
        ("127.0.0.1", ("198.51.100.1, 10.0.0.2", "203.0.113.7")),
        ("127.0.0.1", ("10.0.0.2, 10.0.0.3",)),
        ("127.0.0.1", ("garbage, 10.0.0.3",)),
        ("127.0.0.1", ("",)),
        ("127.0.0.1", (", ".join(f"10.0.{i // 250}.{i % 250}" for i in range(200)),)),  # long: not remembered
        ("192.0.2.9", ("203.0.113.7",)),  # an untrusted peer: its header counts for nothing
    ],
)
def test_addresses_agree_with_the_walk(peer: str, values: tuple[str, ...]) -> None:
    """``TrustedProxies.addresses`` (remembered) gives what the plain walk gives, every time it is asked."""
    hops = forwarded_hops(values)
    expected = (client_address(peer, hops, NETS), forwarded_chain(peer, hops, NETS))
    trusted = TrustedProxies(NETS)
    for _ in range(2):
        assert trusted.addresses(peer, values) == expected
        assert trusted.addresses(peer, list(values)) == expected  # aiohttp hands over a list


async def test_every_field_of_a_resolved_context() -> None:
    # resolve builds the context positionally (for speed): each field must hold its own value.
    ids = RequestIds.new()
    settings = IdentitySettings(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/pets"

    async def handler(request: web.Request) -> web.Response:
        target = Target("prod", "/pets", "a=1", "/prod//pets")
        ctx = IdentityResolver(settings).resolve(request, ApiSettings(), target, ids, NOW, arn=arn)
        fields = ctx._asdict()
        request_ = fields.pop("policy_request")
        return web.json_response({**fields, "ids": list(fields["ids"]), "request": [*request_[:3]]})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with BackendServer(app) as server:
        headers = {"X-Forwarded-For": "198.51.100.7", "X-Gatewaysim-Principal": "arn:aws:iam::123456789012:user/ann"}
        reply = await request_from(server.url + "/prod//pets?a=1", method="POST", headers=headers)
    assert reply.json() == {
        "ids": list(ids),
        "api_id": "abcdef1234",
        "stage": "prod",
        "http_method": "POST",
        "path": "/pets",
        "query_string": "a=1",
        "method_arn": arn,
        "principal": "arn:aws:iam::123456789012:user/ann",
        "source_ip": "198.51.100.7",
        "peer_ip": "127.0.0.1",
        "forwarded_for": "198.51.100.7, 127.0.0.1",
        "secure": False,
        "request_time": NOW,
        "api_key": None,
        "api_key_id": None,
        "client_cert": None,
        "sent_path": "/prod//pets",
        "request": ["arn:aws:iam::123456789012:user/ann", "execute-api:Invoke", arn],
    }
