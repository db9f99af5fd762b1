"""Issue 17's fidelity leftovers, over real sockets: trap 14's IncompleteSignatureException, the trace
id on successful answers, and no `Server: Python/aiohttp` on the gateway's answers."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.hostile import open_raw, read_response
from tests.live_support import policy, statement

OPEN = policy(statement())
SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
)


def _hashed(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


@pytest.mark.parametrize("target", ["/staging/pets", "/prod/pets/..", "/restapis/nope/prod/_user_request_/x"])
@pytest.mark.parametrize("authorization", ["Bearer eyJhbGciOi.abc.def", "Basic dXNlcjpwYXNz", "Token a b"])
async def test_an_unknown_route_with_a_non_sigv4_authorization_is_incomplete_signature(
    backend: RecordingBackend, target: str, authorization: str
) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + target, headers={"Authorization": authorization})
    assert reply.status == 403
    assert reply.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert reply.json() == {
        "message": "Invalid key=value pair (missing equal-sign) in Authorization header "
        f"(hashed with SHA-256 and encoded with Base64): '{_hashed(authorization)}'."
    }
    assert authorization not in reply.body.decode()  # the header is never echoed
    assert not backend.seen


async def test_a_lone_token_is_read_as_a_signature_without_its_parameters(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/staging/pets", headers={"Authorization": "allow"})
    assert reply.status == 403 and reply.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert reply.json()["message"].startswith("Authorization header requires 'Credential' parameter.")
    assert reply.json()["message"].endswith(
        f"(Hashed with SHA-256 and encoded with Base64) Authorization={_hashed('allow')}"
    )


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": SIGV4, "X-Amz-Date": "20260101T000000Z"}, {"Authorization": "  "}]
)
async def test_otherwise_an_unknown_route_is_missing_authentication_token(
    backend: RecordingBackend, headers: dict[str, str]
) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/staging/pets", headers=headers)
    assert (reply.status, reply.json()) == (403, {"message": "Missing Authentication Token"})
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


async def test_a_known_route_keeps_its_authorization_header(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={"Authorization": "Bearer x"})
    assert reply.status == 200 and backend.seen[0].headers["Authorization"] == "Bearer x"


async def test_a_successful_answer_carries_the_trace_id_the_backend_got(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        made = await request_from(gw.url + "/prod/pets")
        given = await request_from(gw.url + "/prod/pets", headers={"X-Amzn-Trace-Id": "Root=1-5e6d1a2b-abc"})
        refused = await request_from(gw.url + "/staging/pets")
    first, second = backend.seen
    assert made.headers["X-Amzn-Trace-Id"] == first.headers["X-Amzn-Trace-Id"]
    assert made.headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert given.headers["X-Amzn-Trace-Id"] == second.headers["X-Amzn-Trace-Id"] == "Root=1-5e6d1a2b-abc"
    assert "X-Amzn-Trace-Id" not in refused.headers  # gateway errors carry the two request ids only


async def test_no_answer_advertises_python_or_aiohttp(backend: RecordingBackend) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        answers = [
            await request_from(gw.url + "/prod/pets"),
            await request_from(gw.url + "/staging/pets"),
            await request_from(gw.url + "/_gatewaysim/health"),
            await request_from(gw.url + "/_gatewaysim/apis"),
        ]
        reader, writer = await open_raw(gw.port)
        writer.write(b"GET /prod/pets HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        status, head, _ = await read_response(reader)
        writer.close()
    assert status == 400 and b"\r\nServer:" not in head
    assert all("Server" not in answer.headers for answer in answers), [a.headers for a in answers]
    assert answers[0].headers["x-amzn-Remapped-Server"].startswith("Python")  # the backend's own, remapped
