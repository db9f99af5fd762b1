"""The gateway over real sockets: routing, enforcement, forwarding, bypass attempts, logs, shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any

import pytest

from gatewaysim.observe.access_log import ACCESS_FIELDS
from gatewaysim.testing import GatewayServer, RecordingBackend, raw_exchange, request_from

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
MASKED = "arn:aws:execute-api:us-east-1:********9012:abcdef1234"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(resource: str = "execute-api:/*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": resource, **extra}


def _deny(resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": resource, **extra}


OPEN = _policy(_allow())
DENY_ADMIN = _policy(_allow(), {**_deny("execute-api:/*/*/admin*"), "Sid": "NoAdmin"})
CORP = "127.0.113.0/24"
READ_PUBLIC_WRITE_CORP = _policy(
    _allow("execute-api:/prod/GET/*"),
    _allow("execute-api:/prod/POST/*", Condition={"IpAddress": {"aws:SourceIp": CORP}}),
)
IDENTITY_HEADERS = ("x-gatewaysim-principal", "x-gatewaysim-source-vpc", "x-gatewaysim-source-vpce")


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def _http(target: str, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: gw\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


# --- routing and the happy path -----------------------------------------------------------


async def test_allowed_request_is_forwarded_without_the_stage(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets/1?a=1&b=%2F")
    assert reply.status == 200 and reply.json() == {"ok": True, "path": "/pets/1?a=1&b=%2F"}
    assert [s.raw_path for s in backend.seen] == ["/pets/1?a=1&b=%2F"]
    assert reply.headers["x-amzn-RequestId"] == gw.records[0]["requestId"]
    assert len(reply.headers["x-amz-apigw-id"]) == 16
    assert gw.records[0]["resourceArn"] == f"{API}/prod/GET/pets/1"


@pytest.mark.parametrize("target", ["/prod", "/prod/", "/prod?x=1"])
async def test_root_resource(backend: RecordingBackend, target: str) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + target)
    assert reply.status == 200
    assert backend.seen[0].raw_path.partition("?")[0] == "/"
    assert gw.records[0]["resourceArn"] == f"{API}/prod/GET/"  # the root ARN ends in `/`


async def test_strip_stage_off_forwards_the_full_path(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, strip_stage=False) as gw:
        assert (await request_from(gw.url + "/prod/pets")).status == 200
    assert backend.seen[0].raw_path == "/prod/pets"


async def test_several_stages(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, stages=["dev", "prod"]) as gw:
        assert (await request_from(gw.url + "/dev/x")).status == 200
        assert (await request_from(gw.url + "/prod/x")).status == 200
        assert (await request_from(gw.url + "/test/x")).status == 403
    assert [r["resourceArn"] for r in gw.records[:2]] == [f"{API}/dev/GET/x", f"{API}/prod/GET/x"]


async def test_unknown_stage_is_missing_authentication_token(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/staging/pets")
    assert reply.status == 403
    assert reply.body == b'{"message":"Missing Authentication Token"}'
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert reply.headers["Content-Type"] == "application/json"
    assert "x-amzn-RequestId" in reply.headers and "x-amz-apigw-id" in reply.headers
    assert backend.seen == []
    assert gw.records[0]["errorMessage"] == "no stage 'staging' (stages: prod); did you mean /prod/staging/pets?"


async def test_health(backend: RecordingBackend) -> None:
    async with GatewayServer(backend=backend.url) as gw:
        reply = await request_from(gw.url + "/_gatewaysim/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "version": "0.1.0", "apis": ["abcdef1234"]}
    assert backend.seen == [] and gw.records == []


async def test_demo_backend_runs_in_process() -> None:
    async with GatewayServer(policy=OPEN) as gw:
        reply = await request_from(
            gw.url + "/prod/hello?x=1", method="POST", data=b"12345", headers={"X-Gatewaysim-Source-Vpce": "vpce-1"}
        )
    body = reply.json()
    assert body["service"] == "gatewaysim demo backend"
    assert (body["method"], body["path"], body["query"], body["body_length"]) == ("POST", "/hello", "x=1", 5)
    assert body["identity_headers"] == {}
    assert body["headers"]["X-Forwarded-For"] == "127.0.0.1"


# --- enforcement ---------------------------------------------------------------------------


async def test_implicit_deny_answer(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=READ_PUBLIC_WRITE_CORP, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets", method="DELETE")
    assert reply.status == 403
    assert reply.body == (
        b'{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: '
        + f'{MASKED}/prod/DELETE/pets"}}'.encode()
    )
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert backend.seen == []
    record = gw.records[0]
    assert (record["decision"], record["decidingStatement"], record["status"]) == ("ImplicitDeny", None, 403)


async def _expect_continue(port: int, target: str, body: bytes) -> list[bytes]:
    """Send headers with ``Expect: 100-continue``; the body goes only after a ``100 Continue``.

    Returns the status lines the gateway sent, in order, up to the final answer.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses: list[bytes] = []
    try:
        head = f"POST {target} HTTP/1.1\r\nHost: gw\r\nContent-Length: {len(body)}\r\n"
        writer.write((head + "Expect: 100-continue\r\n\r\n").encode())
        await writer.drain()
        while True:
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            statuses.append(answer.split(b"\r\n", 1)[0])
            if not answer.startswith(b"HTTP/1.1 100 "):
                return statuses
            writer.write(body)
            await writer.drain()
    finally:
        writer.close()


async def test_expect_continue_is_answered(backend: RecordingBackend) -> None:
    """``100 Continue`` comes first (the low-level server has no router to send it), then the answer."""
    async with GatewayServer(policy=READ_PUBLIC_WRITE_CORP, backend=backend.url) as gw:
        refused = await _expect_continue(gw.port, "/prod/pets", b"0123456789")  # 127.0.0.1 is outside CORP
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        allowed = await _expect_continue(gw.port, "/prod/pets", b"0123456789")
    assert refused == [b"HTTP/1.1 100 Continue", b"HTTP/1.1 403 Forbidden"]
    assert allowed == [b"HTTP/1.1 100 Continue", b"HTTP/1.1 200 OK"]
    assert [(seen.method, seen.body_length) for seen in backend.seen] == [("POST", 10)]


async def test_a_body_over_the_payload_limit_is_never_asked_for(backend: RecordingBackend) -> None:
    """``Expect: 100-continue`` with a declared body over the limit gets the 413 at once, no ``100
    Continue`` (it got one, and the client sent the whole body only to have it refused)."""
    config: dict[str, Any] = {"api": {"backend": backend.url, "policy": OPEN, "forward": {"max_body_bytes": 16}}}
    async with GatewayServer(config=config) as gw:
        over = await _expect_continue(gw.port, "/prod/pets", b"x" * 17)
        within = await _expect_continue(gw.port, "/prod/pets", b"x" * 16)
        unrouted = await _expect_continue(gw.port, "/nostage", b"x" * 17)
    assert over == [b"HTTP/1.1 413 Request Entity Too Large"]
    assert within == [b"HTTP/1.1 100 Continue", b"HTTP/1.1 200 OK"]
    assert unrouted[0] == b"HTTP/1.1 100 Continue"  # no API, no payload limit: as before
    assert [(seen.method, seen.body_length) for seen in backend.seen] == [("POST", 16)]


async def test_explicit_deny_answer_masks_the_caller(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=DENY_ADMIN, backend=backend.url) as gw:
        reply = await request_from(
            gw.url + "/prod/admin", headers={"X-Gatewaysim-Principal": "arn:aws:iam::999999999999:user/eve"}
        )
    assert reply.status == 403
    assert reply.json() == {
        "Message": "User: arn:aws:iam::********9999:user/eve is not authorized to perform: execute-api:Invoke "
        f"on resource: {MASKED}/prod/GET/admin with an explicit deny"
    }
    assert gw.records[0]["decidingStatement"] == "Statement[1] (NoAdmin)"
    assert gw.records[0]["caller"] == "arn:aws:iam::999999999999:user/eve"


async def test_no_policy_means_open(backend: RecordingBackend) -> None:
    async with GatewayServer(backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/anything", method="PATCH", source="127.0.0.77")
    assert reply.status == 200
    assert gw.records[0]["decision"] == "NoPolicy"


async def test_head_is_judged_as_head(backend: RecordingBackend) -> None:
    policy = _policy(_allow("execute-api:/prod/HEAD/*"))
    async with GatewayServer(policy=policy, backend=backend.url) as gw:
        assert (await request_from(gw.url + "/prod/x", method="HEAD")).status == 200
        assert (await request_from(gw.url + "/prod/x")).status == 403


# --- forwarding headers ---------------------------------------------------------------------


async def test_forwarding_headers(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        await request_from(
            gw.url + "/prod/x",
            source="127.0.0.9",
            headers={
                "X-Forwarded-For": "6.6.6.6",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Port": "1",
                "X-Custom": "kept",
                "Keep-Alive": "timeout=5",
                "Connection": "X-Forwarded-For, X-Custom-Hop",
                "X-Custom-Hop": "dropped",
            },
        )
    headers = backend.seen[0].headers
    assert headers["X-Forwarded-For"] == "127.0.0.9"  # an untrusted peer's chain is dropped
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Port"] == str(gw.port)
    assert headers["X-Amzn-Apigateway-Api-Id"] == "abcdef1234"
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert headers["X-Custom"] == "kept"
    assert "Keep-Alive" not in headers and "X-Custom-Hop" not in headers
    assert headers.getall("X-Forwarded-For") == ["127.0.0.9"]


async def test_trusted_proxy_chain_is_extended(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        await request_from(gw.url + "/prod/x", headers={"X-Forwarded-For": "203.0.113.9"})
    assert backend.seen[0].headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert gw.records[0]["ip"] == "203.0.113.9"


# --- bypass attempts ------------------------------------------------------------------------


async def test_spoofed_forwarded_for_from_an_untrusted_peer(backend: RecordingBackend) -> None:
    corp_only = _policy(_allow(Condition={"IpAddress": {"aws:SourceIp": CORP}}))
    async with GatewayServer(policy=corp_only, backend=backend.url, trusted_proxies=["127.0.0.1/32"]) as gw:
        spoofed = await request_from(gw.url + "/prod/x", source="127.0.0.5", headers={"X-Forwarded-For": "127.0.113.7"})
        real = await request_from(gw.url + "/prod/x", source="127.0.113.7")
        forwarded = await request_from(gw.url + "/prod/x", headers={"X-Forwarded-For": "127.0.113.7"})
    assert spoofed.status == 403
    assert real.status == 200
    assert forwarded.status == 200  # the same claim from the trusted proxy counts
    assert gw.records[0]["ip"] == "127.0.0.5"
    assert len(backend.seen) == 2


async def test_spoofed_forwarded_for_without_trusted_proxies(backend: RecordingBackend) -> None:
    corp_only = _policy(_allow(Condition={"IpAddress": {"aws:SourceIp": CORP}}))
    async with GatewayServer(policy=corp_only, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/x", headers={"X-Forwarded-For": "127.0.113.7"})
    assert reply.status == 403 and backend.seen == []


TRAVERSALS = [
    "/prod/public/../admin",
    "/prod/public/%2e%2e/admin",
    "/prod/public/%2E%2e/admin",
    "/prod/public/.%2e/admin",
    "/prod/public%2F..%2Fadmin",
    "/prod/public/..%2Fadmin",
    "/prod/public%5C..%5Cadmin",
    "/prod/public\\..\\admin",
    "/prod/./admin",
    "/prod/admin%00",
    "/prod/admin%0a",
    "/prod/%2e%2e/prod/admin",
]


@pytest.mark.parametrize("target", ["/prod//admin", "/prod/admin/", "//prod/admin", "/prod/admin//"])
async def test_empty_segments_are_judged_as_the_collapsed_path(backend: RecordingBackend, target: str) -> None:
    # AWS accepts `//` and a trailing `/` (spec 18.4); the policy judges `/admin`, so its Deny holds
    async with GatewayServer(policy=DENY_ADMIN, backend=backend.url) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, _http(target))
    assert _status(raw) == 403 and b"with an explicit deny" in raw
    assert backend.seen == []
    assert gw.records[0]["resourceArn"].endswith("/prod/GET/admin")


@pytest.mark.parametrize("target", TRAVERSALS)
async def test_ambiguous_paths_never_reach_the_backend(backend: RecordingBackend, target: str) -> None:
    async with GatewayServer(policy=DENY_ADMIN, backend=backend.url) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, _http(target))
        reply = await request_from(gw.url + target) if "\\" not in target else None
    assert _status(raw) == 403
    assert b'{"message":"Missing Authentication Token"}' in raw
    if reply is not None:
        assert reply.status == 403
    assert backend.seen == []
    assert gw.records[0]["errorType"] == "MissingAuthenticationTokenException"
    assert gw.records[0]["resourceArn"] is None


async def test_encoded_unreserved_characters_are_judged_decoded(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=DENY_ADMIN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/%61dmin")
        allowed = await request_from(gw.url + "/prod/public/%61")
    assert reply.status == 403 and "with an explicit deny" in reply.json()["Message"]
    assert allowed.status == 200
    assert [s.raw_path for s in backend.seen] == ["/public/a"]  # the same normalised path is forwarded


@pytest.mark.parametrize("override", ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"])
async def test_method_override_never_changes_the_verb(backend: RecordingBackend, override: str) -> None:
    async with GatewayServer(policy=READ_PUBLIC_WRITE_CORP, backend=backend.url) as gw:
        denied = await request_from(gw.url + "/prod/pets", method="POST", source="127.0.0.5", headers={override: "GET"})
        allowed = await request_from(gw.url + "/prod/pets", headers={override: "DELETE"})
    assert denied.status == 403
    assert gw.records[0]["resourceArn"] == f"{API}/prod/POST/pets"
    assert allowed.status == 200
    (seen,) = backend.seen
    assert seen.method == "GET"
    assert not {"x-http-method-override", "x-http-method", "x-method-override"} & {h.lower() for h in seen.headers}


@pytest.mark.parametrize("method", [b"get", b"TRACE", b"PROPFIND", b"CONNECT"])
async def test_unroutable_methods_never_reach_the_backend(backend: RecordingBackend, method: bytes) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, _http("/prod/x", method.decode()))
    assert _status(raw) in (400, 403)  # the HTTP parser or the gateway refuses it
    if _status(raw) == 403:
        assert b'{"message":"Missing Authentication Token"}' in raw
    assert backend.seen == []


CUSTOM_IDENTITY = {
    "headers": {
        "X-Gatewaysim-Source-Vpc": "aws:SourceVpc",
        "X-Gatewaysim-Source-Vpce": "aws:SourceVpce",
        "X-Org": "aws:PrincipalOrgID",
    }
}


@pytest.mark.parametrize("identity", [None, CUSTOM_IDENTITY], ids=["default-headers", "custom-headers"])
async def test_identity_headers_never_reach_the_backend(
    backend: RecordingBackend, identity: dict[str, Any] | None
) -> None:
    policy = _policy(_allow(Principal={"AWS": "123456789012"}))
    sent = {
        "X-Gatewaysim-Principal": "arn:aws:iam::123456789012:user/alice",
        "x-gatewaysim-source-vpc": "vpc-1",
        "X-GATEWAYSIM-SOURCE-VPCE": "vpce-1",
        "Connection": "X-Forwarded-For",
        **({"X-Org": "o-1"} if identity else {}),
    }
    async with GatewayServer(policy=policy, backend=backend.url, identity=identity) as gw:
        assert (await request_from(gw.url + "/prod/x", headers=sent)).status == 200
        assert (await request_from(gw.url + "/prod/x", method="POST", data=b"x", headers=sent)).status == 200
    assert len(backend.seen) == 2
    for seen in backend.seen:
        names = {h.lower() for h in seen.headers}
        assert not names & {*IDENTITY_HEADERS, "x-org"}
        assert "gatewaysim" not in json.dumps(dict(seen.headers)).lower()
        assert seen.headers["X-Forwarded-For"] == "127.0.0.1"


# --- malformed input and failures ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /prod/a b HTTP/1.1\r\nHost: gw\r\n\r\n",
        b"GET /prod/x HTTP/9.9\r\nHost: gw\r\n\r\n",
        b"GET /prod/x HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /prod/" + b"a" * 20000 + b" HTTP/1.1\r\nHost: gw\r\n\r\n",
        b"GET /prod/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
)
async def test_malformed_request_gets_400_and_the_gateway_keeps_serving(
    backend: RecordingBackend, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        raw = await raw_exchange("127.0.0.1", gw.port, data)
        assert (await request_from(gw.url + "/prod/still-alive")).status == 200
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    assert _status(raw) == 400
    assert body == b'{"message":"Bad Request"}'  # the gateway's shape, never the parser's text about the bytes
    assert headers[b"Content-Type"] == b"application/json"
    assert headers[b"x-amzn-ErrorType"] == b"BadRequestException"
    assert b"x-amzn-RequestId" in headers and b"x-amz-apigw-id" in headers  # (raw_exchange read until close)
    assert not [r for r in caplog.records if r.exc_info], "a client's bad request is no traceback in the log"
    assert any("could not be parsed" in r.getMessage() for r in caplog.records)
    assert [s.raw_path for s in backend.seen] == ["/still-alive"]


def _path_for_arn_of(total: int) -> str:
    """A `/prod/...` path whose method ARN (`{API}/prod/GET/...`) is exactly ``total`` bytes."""
    prefix = f"{API}/prod/GET/"
    return "/prod/" + "a" * (total - len(prefix))


@pytest.mark.parametrize(
    ("policy", "arn_bytes", "status"),
    [
        (OPEN, 1600, 200),  # at the limit
        (OPEN, 1601, 414),  # over it, with a resource policy
        (None, 1601, 200),  # no policy and auth NONE: nothing authorizes the ARN, no limit
    ],
)
async def test_method_arn_over_1600_bytes_is_414(
    backend: RecordingBackend, policy: dict[str, Any] | None, arn_bytes: int, status: int
) -> None:
    path = _path_for_arn_of(arn_bytes)
    async with GatewayServer(policy=policy, backend=backend.url) as gw:
        reply = await request_from(gw.url + path)
    assert reply.status == status
    if status == 414:
        assert reply.body == b'{"message":"Request URI too long"}'
        assert backend.seen == []
        assert gw.records[0]["resourceArn"] == f"{API}{path.replace('/prod/', '/prod/GET/', 1)}"
    else:
        assert [s.raw_path for s in backend.seen] == [path.removeprefix("/prod")]


async def test_backend_down_is_502() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        async with GatewayServer(policy=OPEN, backend=f"http://127.0.0.1:{port}") as gw:
            reply = await request_from(gw.url + "/prod/x")
    assert (reply.status, reply.body) == (502, b'{"message": "Internal server error"}')
    assert reply.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert gw.records[0]["status"] == 502


async def test_backend_timeout_is_504() -> None:
    async with (
        RecordingBackend(delay=0.5) as slow,
        GatewayServer(policy=OPEN, backend=slow.url, forward={"timeout_s": 0.1}) as gw,
    ):
        reply = await request_from(gw.url + "/prod/x")
    assert (reply.status, reply.body) == (504, b'{"message": "Endpoint request timed out"}')
    assert gw.records[0]["errorType"] == "InternalServerErrorException"


async def test_body_over_the_limit_is_413(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url, forward={"max_body_bytes": 10}) as gw:
        reply = await request_from(gw.url + "/prod/x", method="POST", data=b"x" * 100)
        small = await request_from(gw.url + "/prod/x", method="POST", data=b"x" * 10)
    assert reply.status == 413 and reply.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert small.status == 200
    assert [s.body_length for s in backend.seen] == [10]


# --- access log --------------------------------------------------------------------------------


async def test_access_log_records(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=DENY_ADMIN, backend=backend.url) as gw:
        await request_from(gw.url + "/prod/pets?q=1", source="127.0.0.6")
        await request_from(gw.url + "/prod/admin")
    allowed, denied = gw.records
    assert tuple(allowed) == ACCESS_FIELDS
    assert allowed["ip"] == "127.0.0.6" and allowed["caller"] == "anonymous"
    assert (allowed["httpMethod"], allowed["path"], allowed["stage"]) == ("GET", "/prod/pets", "prod")
    assert (allowed["status"], allowed["decision"], allowed["decidingStatement"]) == (200, "Allow", "Statement[0]")
    assert allowed["responseLength"] == len(b'{"ok": true, "path": "/pets?q=1"}')
    assert allowed["integrationLatency"] is not None and allowed["latency"] >= allowed["integrationLatency"]
    assert allowed["authorizer"] is None and allowed["errorType"] is None
    assert allowed["verdict"] == "policy-only: -/Allow -> Allow"
    assert (denied["decision"], denied["status"], denied["errorType"]) == ("ExplicitDeny", 403, "AccessDeniedException")
    assert denied["integrationLatency"] is None


async def test_access_log_text_stream(backend: RecordingBackend) -> None:
    import io

    stream = io.StringIO()
    async with GatewayServer(policy=OPEN, backend=backend.url, log_format="text", access_log=stream) as gw:
        await request_from(gw.url + "/prod/x")
    assert stream.getvalue().startswith("127.0.0.1 anonymous [")
    assert '"GET /prod/x" 200 ' in stream.getvalue()


# --- shutdown, several APIs, IPv6 ----------------------------------------------------------------


async def test_close_drains_in_flight_requests() -> None:
    async with RecordingBackend(delay=0.4) as slow:
        gw = GatewayServer(policy=OPEN, backend=slow.url)
        await gw.start()
        pending = asyncio.ensure_future(request_from(gw.url + "/prod/slow"))
        while not slow.seen:
            await asyncio.sleep(0.01)
        await gw.close()  # waits for the request in flight
        await gw.close()  # idempotent
        reply = await pending
    assert reply.status == 200 and reply.json()["path"] == "/slow"


async def test_several_apis_are_chosen_by_host(backend: RecordingBackend) -> None:
    config = {
        "apis": [
            {"id": "one", "policy": OPEN, "backend": backend.url},
            {"id": "two", "account": "111111111111", "policy": _policy(), "backend": backend.url},
        ]
    }
    async with GatewayServer(config=config) as gw:
        one = await request_from(gw.url + "/prod/x", headers={"Host": "one.execute-api.localhost"})
        two = await request_from(gw.url + "/prod/x", headers={"Host": "two.execute-api.localhost:8080"})
        other = await request_from(gw.url + "/prod/x", headers={"Host": "three.execute-api.localhost"})
    assert one.status == 200
    assert two.status == 403 and "********1111:two/prod/GET/x" in two.json()["Message"]
    assert other.status == 403 and other.json() == {"message": "Missing Authentication Token"}


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback on this machine")
async def test_ipv6_caller(backend: RecordingBackend) -> None:
    v6_only = _policy(_allow(Condition={"IpAddress": {"aws:SourceIp": "::1/128"}}))
    v4_only = _policy(_allow(Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    async with GatewayServer(policy=v6_only, backend=backend.url, host="::1") as gw:
        assert gw.url.startswith("http://[::1]:")
        assert (await request_from(gw.url + "/prod/x", source="::1")).status == 200
    async with GatewayServer(policy=v4_only, backend=backend.url, host="::1") as gw:
        assert (await request_from(gw.url + "/prod/x", source="::1")).status == 403
    assert backend.seen[0].headers["X-Forwarded-For"] == "::1"


# --- the logs follow the answer ---------------------------------------------------------------


async def test_a_failure_while_logging_never_changes_the_answer(
    backend: RecordingBackend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The logs are written once the answer is out: a bug there is logged, the caller still gets
    its answer (it got a 500 when the logs came first) and the next request is logged again."""
    from gatewaysim.gateway.exchange import Exchange

    record = Exchange.record
    failures = iter([True])

    def failing_once(self: Exchange, response: Any, configured: bool) -> dict[str, Any]:
        if next(failures, False):
            raise RuntimeError("broken log")
        return record(self, response, configured)

    monkeypatch.setattr(Exchange, "record", failing_once)
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        with caplog.at_level(logging.ERROR, logger="gatewaysim.gateway.exchange_log"):
            first = await request_from(gw.url + "/prod/pets")
            await asyncio.sleep(0.05)  # the log callback runs after the answer
        second = await request_from(gw.url + "/prod/pets")
        await asyncio.sleep(0.05)
        assert (first.status, second.status) == (200, 200)
        assert [r["requestId"] for r in gw.records] == [second.headers["x-amzn-RequestId"]]
    assert any("could not log request" in r.getMessage() for r in caplog.records)
