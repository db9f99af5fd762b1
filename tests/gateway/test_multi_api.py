"""Several APIs in one gateway over real sockets: by Host, by `/restapis/` prefix, across accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, raw_exchange, request_from

ALPHA, BRAVO = "alphaapi01", "bravoapi02"
ALPHA_ACCOUNT, BRAVO_ACCOUNT = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{ALPHA_ACCOUNT}:user/alice"  # alpha's own account
BOB = f"arn:aws:iam::{BRAVO_ACCOUNT}:user/bob"  # bravo's account: a partner of alpha
EVE = "arn:aws:iam::333333333333:user/eve"
CORP = "127.0.113.0/24"
MISSING = b'{"message":"Missing Authentication Token"}'


def _stmt(effect: str, principal: Any, resource: str = "execute-api:/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": "execute-api:Invoke", "Resource": resource, **extra}


# alpha (account 111...): the partner account may read; anyone on the corporate network may do
# anything; nobody reaches /admin.
ALPHA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        _stmt("Allow", {"AWS": f"arn:aws:iam::{BRAVO_ACCOUNT}:root"}, "execute-api:/prod/GET/*", Sid="Partner"),
        _stmt("Allow", "*", Condition={"IpAddress": {"aws:SourceIp": CORP}}, Sid="Corp"),
        _stmt("Deny", "*", "execute-api:/*/*/admin*", Sid="NoAdmin"),
    ],
}
# bravo (account 222...): its own account only, and alpha's account explicitly never.
BRAVO_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        _stmt("Allow", {"AWS": BRAVO_ACCOUNT}, Sid="OwnAccount"),
        _stmt("Deny", {"AWS": ALPHA_ACCOUNT}, Sid="NotAlpha"),
    ],
}


@pytest.fixture
async def backends() -> AsyncIterator[tuple[RecordingBackend, RecordingBackend]]:
    async with RecordingBackend() as a, RecordingBackend() as b:
        yield a, b


@pytest.fixture
async def gw(backends: tuple[RecordingBackend, RecordingBackend]) -> AsyncIterator[GatewayServer]:
    a, b = backends
    config = {
        "apis": [
            {"id": ALPHA, "account": ALPHA_ACCOUNT, "stages": ["prod"], "policy": ALPHA_POLICY, "backend": a.url},
            {
                "id": BRAVO,
                "account": BRAVO_ACCOUNT,
                "region": "eu-west-1",
                "stages": ["prod", "v1"],
                "policy": BRAVO_POLICY,
                "backend": b.url,
            },
        ]
    }
    async with GatewayServer(config=config) as server:
        yield server


def _host(api: str, port: int) -> dict[str, str]:
    return {"Host": f"{api}.execute-api.localhost:{port}"}


def _prefixed(api: str, rest: str, stage: str = "prod") -> str:
    return f"/restapis/{api}/{stage}/_user_request_{rest}"


async def test_each_api_by_host_reaches_its_own_backend(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    a, b = backends
    to_alpha = await request_from(
        gw.url + "/prod/reports", headers={**_host(ALPHA, gw.port), "X-Gatewaysim-Principal": BOB}
    )
    to_bravo = await request_from(
        gw.url + "/v1/reports", headers={**_host(BRAVO, gw.port), "X-Gatewaysim-Principal": BOB}
    )
    assert (to_alpha.status, to_bravo.status) == (200, 200)
    assert [s.raw_path for s in a.seen] == ["/reports"] and [s.raw_path for s in b.seen] == ["/reports"]
    assert a.seen[0].headers["X-Amzn-Apigateway-Api-Id"] == ALPHA
    assert b.seen[0].headers["X-Amzn-Apigateway-Api-Id"] == BRAVO
    assert [(r["apiId"], r["resourceArn"], r["decidingStatement"]) for r in gw.records] == [
        (ALPHA, f"arn:aws:execute-api:us-east-1:{ALPHA_ACCOUNT}:{ALPHA}/prod/GET/reports", "Statement[0] (Partner)"),
        (BRAVO, f"arn:aws:execute-api:eu-west-1:{BRAVO_ACCOUNT}:{BRAVO}/v1/GET/reports", "Statement[0] (OwnAccount)"),
    ]


async def test_regional_host_form_must_name_the_apis_region(gw: GatewayServer) -> None:
    regional = {"Host": f"{BRAVO}.execute-api.eu-west-1.amazonaws.com", "X-Gatewaysim-Principal": BOB}
    wrong = {"Host": f"{BRAVO}.execute-api.us-east-1.amazonaws.com", "X-Gatewaysim-Principal": BOB}
    assert (await request_from(gw.url + "/prod/x", headers=regional)).status == 200
    reply = await request_from(gw.url + "/prod/x", headers=wrong)
    assert (reply.status, reply.body) == (403, MISSING)
    assert gw.records[-1]["errorMessage"].startswith(f"no api `{BRAVO}` in `us-east-1`")


async def test_cross_account_principals(gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]) -> None:
    """bob (bravo's account) may read alpha; alice (alpha's account) is explicitly denied on bravo."""
    cases = [
        (ALPHA, "GET", BOB, "127.0.0.5", 200, "Allow"),
        (ALPHA, "POST", BOB, "127.0.0.5", 403, "ImplicitDeny"),  # the partner may only read
        (ALPHA, "POST", EVE, "127.0.113.9", 200, "Allow"),  # anyone on the corporate network
        (ALPHA, "GET", EVE, "127.0.0.5", 403, "ImplicitDeny"),
        (BRAVO, "POST", BOB, "127.0.0.5", 200, "Allow"),
        (BRAVO, "GET", ALICE, "127.0.113.9", 403, "ExplicitDeny"),  # alpha's account, even from corp
        (BRAVO, "GET", EVE, "127.0.113.9", 403, "ImplicitDeny"),
    ]
    for api, method, principal, source, status, decision in cases:
        reply = await request_from(
            gw.url + _prefixed(api, "/data"),
            method=method,
            source=source,
            headers={"X-Gatewaysim-Principal": principal},
        )
        record = gw.records[-1]
        assert (reply.status, record["decision"], record["apiId"]) == (status, decision, api), (api, method, principal)
    denied = gw.records[5]
    assert denied["decidingStatement"] == "Statement[1] (NotAlpha)"
    assert denied["resourceArn"] == f"arn:aws:execute-api:eu-west-1:{BRAVO_ACCOUNT}:{BRAVO}/prod/GET/data"
    a, b = backends
    assert len(a.seen) == 2 and len(b.seen) == 1
    assert all(s.raw_path == "/data" for s in [*a.seen, *b.seen])


async def test_prefix_is_judged_and_forwarded_like_the_plain_path(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    a, _ = backends
    corp = "127.0.113.4"
    ok = await request_from(gw.url + _prefixed(ALPHA, "/pets/%61?x=%2F"), source=corp)
    root = await request_from(gw.url + _prefixed(ALPHA, ""), source=corp)
    admin = await request_from(gw.url + _prefixed(ALPHA, "/admin"), source=corp)
    assert (ok.status, root.status, admin.status) == (200, 200, 403)
    assert "with an explicit deny" in admin.json()["Message"]
    assert [s.raw_path for s in a.seen] == ["/pets/a?x=%2F", "/"]
    arns = [r["resourceArn"] for r in gw.records]
    base = f"arn:aws:execute-api:us-east-1:{ALPHA_ACCOUNT}:{ALPHA}/prod/GET/"
    assert arns == [base + "pets/a", base, base + "admin"]
    assert [r["path"] for r in gw.records] == ["/prod/pets/a", "/prod/", "/prod/admin"]


BYPASSES = [
    _prefixed(ALPHA, "/../admin"),
    _prefixed(ALPHA, "/public/../admin"),
    _prefixed(ALPHA, "/public/%2e%2e/admin"),
    _prefixed(ALPHA, "/public%2F..%2Fadmin"),
    _prefixed(ALPHA, "%2F..%2Fadmin"),
    _prefixed(ALPHA, "/admin%00"),
    "/restapis/alphaapi01%2Fprod/_user_request_/admin",
    "/restapis/alphaapi01/prod%2F_user_request_/admin",
    "/restapis/alphaapi01/../bravoapi02/prod/_user_request_/admin",
    "/restapis/../restapis/alphaapi01/prod/_user_request_/admin",
    "/restapis/alphaapi01/%2e%2e/_user_request_/admin",
    "/restapis/alphaapi01/prod/_user_request_/..%5Cadmin",
    "/restapis/alphaapi01/prod/_user_request_\\..\\admin",
    "/restapis//prod/_user_request_/admin",
    "/restapis/alphaapi01/staging/_user_request_/admin",
    "/restapis/alphaapi01/_gatewaysim/_user_request_/health",
]


@pytest.mark.parametrize("target", BYPASSES)
async def test_prefix_bypass_attempts_never_reach_a_backend(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend], target: str
) -> None:
    raw = await raw_exchange(
        "127.0.0.1", gw.port, f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    )
    assert raw.startswith(b"HTTP/1.1 403 ") and MISSING in raw
    assert backends[0].seen == [] and backends[1].seen == []
    assert gw.records[-1]["resourceArn"] is None


@pytest.mark.parametrize("suffix", ["//admin", "/admin/", "/admin//", "//admin/"])
async def test_empty_segments_are_judged_collapsed_so_the_deny_still_applies(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend], suffix: str
) -> None:
    # AWS accepts `//` and a trailing `/` (spec 18.4); gatewaysim judges and forwards `/admin`
    reply = await request_from(gw.url + _prefixed(ALPHA, suffix), source="127.0.113.4")
    assert reply.status == 403 and "with an explicit deny" in reply.json()["Message"]
    assert backends[0].seen == [] and backends[1].seen == []
    assert gw.records[-1]["resourceArn"] == f"arn:aws:execute-api:us-east-1:{ALPHA_ACCOUNT}:{ALPHA}/prod/GET/admin"


async def test_a_restapis_path_without_the_marker_is_a_control_plane_call_never_forwarded(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    # `/restapis/...` without `_user_request_` is AWS's management API (gatewaysim.gateway.control)
    raw = await raw_exchange(
        "127.0.0.1",
        gw.port,
        b"GET /restapis/alphaapi01/prod/admin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 404 ") and b"x-amzn-ErrorType: UnknownOperationException" in raw
    assert backends[0].seen == [] and backends[1].seen == [] and gw.records == []


async def test_prefix_and_host_that_disagree_are_refused(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    """SECURITY: a proxy in front may allow-list by Host; the path never silently picks another API."""
    headers = {**_host(BRAVO, gw.port), "X-Gatewaysim-Principal": BOB}
    conflict = await request_from(gw.url + _prefixed(ALPHA, "/reports"), headers=headers)
    agree = await request_from(gw.url + _prefixed(BRAVO, "/reports"), headers=headers)
    assert (conflict.status, conflict.body) == (403, MISSING)
    assert gw.records[0]["errorMessage"] == (
        f"host `{BRAVO}.execute-api.localhost:{gw.port}` names api `{BRAVO}` but the path names `{ALPHA}`"
    )
    assert agree.status == 200
    assert backends[0].seen == [] and len(backends[1].seen) == 1


@pytest.mark.parametrize(
    ("host", "target", "reason"),
    [
        (
            "localhost",
            "/prod/reports",
            f"stage `prod` is served by apis `{ALPHA}`, `{BRAVO}`; "
            "use `{api-id}.execute-api.localhost` or a `/restapis/` prefix",
        ),
        (
            "localhost",
            "/beta/reports",
            "no api for host `localhost` (use `{api-id}.execute-api.localhost` or a `/restapis/` prefix)",
        ),
        ("zulu.execute-api.localhost", "/prod/reports", "no api `zulu` (host `zulu.execute-api.localhost`)"),
        ("localhost", _prefixed("zulu", "/reports"), "no api `zulu` (path prefix)"),
    ],
)
async def test_unknown_api_is_missing_authentication_token(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend], host: str, target: str, reason: str
) -> None:
    reply = await request_from(gw.url + target, headers={"Host": host, "X-Gatewaysim-Principal": BOB})
    assert (reply.status, reply.body) == (403, MISSING)
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert (gw.records[0]["errorMessage"], gw.records[0]["apiId"]) == (reason, None)
    assert backends[0].seen == [] and backends[1].seen == []


async def test_a_stage_only_one_api_has_needs_no_host(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    bravo_user = f"arn:aws:iam::{BRAVO_ACCOUNT}:user/b"
    reply = await request_from(gw.url + "/v1/reports", headers={"X-Gatewaysim-Principal": bravo_user})
    assert reply.status == 200
    assert backends[0].seen == [] and [s.raw_path for s in backends[1].seen] == ["/reports"]
    assert gw.records[0]["resourceArn"] == f"arn:aws:execute-api:eu-west-1:{BRAVO_ACCOUNT}:{BRAVO}/v1/GET/reports"


async def test_health_lists_every_api(gw: GatewayServer) -> None:
    reply = await request_from(gw.url + "/_gatewaysim/health")
    assert reply.status == 200 and reply.json()["apis"] == [ALPHA, BRAVO]


async def test_single_api_keeps_plain_paths_whatever_the_host(backend: RecordingBackend) -> None:
    async with GatewayServer(backend=backend.url) as gw:
        plain = await request_from(gw.url + "/prod/x", headers={"Host": "api.example.test:1"})
        prefixed = await request_from(gw.url + "/restapis/abcdef1234/prod/_user_request_/y")
        by_host = await request_from(gw.url + "/prod/z", headers={"Host": "abcdef1234.execute-api.localhost"})
        other = await request_from(gw.url + "/prod/w", headers={"Host": "otherapi01.execute-api.localhost"})
    assert (plain.status, prefixed.status, by_host.status, other.status) == (200, 200, 200, 403)
    assert [s.raw_path for s in backend.seen] == ["/x", "/y", "/z"]


async def test_a_remembered_request_line_is_never_served_to_another_host(
    gw: GatewayServer, backends: tuple[RecordingBackend, RecordingBackend]
) -> None:
    """The gateway remembers where a request line leads; the Host is part of what it remembers."""
    a, b = backends
    statuses = []
    for _ in range(3):  # the second and third rounds are answered from the remembered lines
        for api in (ALPHA, BRAVO):
            reply = await request_from(
                gw.url + "/prod/reports", headers={**_host(api, gw.port), "X-Gatewaysim-Principal": BOB}
            )
            statuses.append(reply.status)
    assert statuses == [200, 200] * 3
    assert len(a.seen) == 3 and len(b.seen) == 3
    assert [r["apiId"] for r in gw.records] == [ALPHA, BRAVO] * 3
    cache = gw.gateway._locate_cached.cache_info()
    assert (cache.hits, cache.misses) == (4, 2)


async def test_long_targets_are_located_afresh(gw: GatewayServer) -> None:
    long_path = "/prod/" + "a" * 2000
    for _ in range(2):
        reply = await request_from(gw.url + long_path, headers=_host(ALPHA, gw.port))
        assert reply.status == 414  # its method ARN is over AWS's 1600 bytes
    assert gw.gateway._locate_cached.cache_info().currsize == 0
