"""An OpenAPI file's `x-amazon-apigateway-policy` is attached: the path it denies gets AWS's 403 (issue 12)."""

from __future__ import annotations

from pathlib import Path

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

FILE = Path(__file__).resolve().parents[1] / "data" / "apis" / "openapi-admin-denied.yaml"
MASKED_API = "arn:aws:execute-api:us-east-1:********9012:abcdef1234"


async def test_the_openapi_policy_denies_what_it_denies(backend: RecordingBackend) -> None:
    async with GatewayServer(config={"api": {"backend": backend.url, "openapi": str(FILE)}}) as gw:
        denied = await request_from(gw.url + "/prod/admin")
        allowed = await request_from(gw.url + "/prod/pets")
    assert denied.status == 403
    assert denied.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert denied.json() == {
        "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        f"{MASKED_API}/prod/GET/admin with an explicit deny"
    }
    assert allowed.status == 200
    assert [seen.raw_path for seen in backend.seen] == ["/pets"]
    assert gw.records[0]["decidingStatement"] == "Statement[1]"
