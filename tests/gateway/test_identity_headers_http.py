"""Issue 17, finding 4 (headers), over real sockets.

Before: `X_Gatewaysim_Principal`, `X.Gatewaysim.Principal` and `X_Gatewaysim_Source_Vpce` were
ignored by the gateway but forwarded, and WSGI, CGI and PHP backends read them as the real
identity headers; two `X-Gatewaysim-Principal` headers: the first won silently.
"""

from __future__ import annotations

import pytest

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from
from tests.hostile import open_raw, read_response
from tests.live_support import policy, statement

ALICE = "arn:aws:iam::111122223333:user/alice"
OPEN = policy(statement())
ALICE_ONLY = policy({**statement(), "Principal": {"AWS": ALICE}})

SPELLINGS = [
    "X_Gatewaysim_Principal",
    "X.Gatewaysim.Principal",
    "x-gatewaysim_principal",
    "X_GATEWAYSIM.PRINCIPAL",
    "X_Gatewaysim_Source_Vpce",
    "X_Gatewaysim_Source_Vpc",
    "X_Gatewaysim_Authorizer_Principal_Id",
    "X_HTTP_Method_Override",
    "X_Forwarded_For",
    "X.Amzn.Apigateway.Api.Id",
]


@pytest.mark.parametrize("name", SPELLINGS)
async def test_an_identity_header_spelt_with_underscores_or_dots_is_ignored_and_never_forwarded(
    backend: RecordingBackend, name: str
) -> None:
    async with GatewayServer(policy=ALICE_ONLY, backend=backend.url) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={name: ALICE})
    assert reply.status == 403  # not believed: the caller stays anonymous
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        open_reply = await request_from(gw.url + "/prod/pets", headers={name: ALICE, "X_Other_Thing": "kept"})
    assert open_reply.status == 200
    [seen] = backend.seen
    forwarded = {key.lower() for key in seen.headers}
    assert name.lower() not in forwarded and "x_other_thing" in forwarded
    assert ALICE not in seen.headers.values()


@pytest.mark.parametrize(
    "header",
    ["X-Gatewaysim-Principal", "x-gatewaysim-principal", "X-Gatewaysim-Source-Vpce", "X-Gatewaysim-Source-Vpc"],
)
async def test_a_repeated_identity_header_is_refused(backend: RecordingBackend, header: str) -> None:
    async with GatewayServer(policy=OPEN, backend=backend.url) as gw:
        status, body = await _raw_twice(gw.port, header)
    assert status == 400 and body.endswith(b'{"message":"Bad Request"}')
    assert not backend.seen


async def _raw_twice(port: int, header: str) -> tuple[int, bytes]:
    reader, writer = await open_raw(port)
    other = "arn:aws:iam::999988887777:root"
    writer.write(f"GET /prod/pets HTTP/1.1\r\nHost: x\r\n{header}: {ALICE}\r\n{header}: {other}\r\n\r\n".encode())
    status, _, body = await read_response(reader)
    writer.close()
    return status, body


async def test_identity_headers_count_only_from_trust_headers_from(backend: RecordingBackend) -> None:
    identity = {"trust_headers_from": ["127.0.0.2/32"]}
    async with GatewayServer(policy=ALICE_ONLY, backend=backend.url, identity=identity) as gw:
        stranger = await request_from(gw.url + "/prod/pets", headers={"X-Gatewaysim-Principal": ALICE})
        proxy = await request_from(gw.url + "/prod/pets", source="127.0.0.2", headers={"X-Gatewaysim-Principal": ALICE})
    assert (stranger.status, proxy.status) == (403, 200)
    assert [r["caller"] for r in gw.records] == ["anonymous", ALICE]
    assert all("x-gatewaysim-principal" not in {k.lower() for k in s.headers} for s in backend.seen)
