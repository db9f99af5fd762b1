"""AWS_IAM methods in the running gateway: requests signed by botocore, sent over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gatewaysim.authorizers.loading import resolve
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")

ALICE, ALICE_SECRET = "AKIAALICEEXAMPLE0001", "alice/secret+key"
ROLE, ROLE_SECRET, ROLE_TOKEN = "ASIAROLEEXAMPLE00001", "role-secret", "FwoGZXIvYXdzEXAMPLETOKEN=="
ALICE_ARN = f"arn:aws:iam::{S.ACCOUNT}:user/alice"
SESSION_ARN = f"arn:aws:sts::{S.ACCOUNT}:assumed-role/Admin/alice-session"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
MISSING = b'{"message":"Missing Authentication Token"}'
CREDENTIALS = {
    ALICE: {"secret": ALICE_SECRET, "principal": ALICE_ARN, "tags": {"team": "blue"}},
    ROLE: {"secret": ROLE_SECRET, "principal": SESSION_ARN, "session_token": ROLE_TOKEN},
}


def iam_api(backend: str, policy: Any = None, **extra: Any) -> dict[str, Any]:
    iam = {"type": "AWS_IAM", "credentials": CREDENTIALS, **extra}
    return {
        "api": {
            "backend": backend,
            "policy": policy,
            "authorization_type": "AWS_IAM",
            "authorizers": {"iam": iam},
        }
    }


async def send(url: str, headers: dict[str, str], method: str = "GET", data: bytes | None = None) -> Any:
    return await request_from(url, method=method, headers=headers, data=data)


# -- signed requests that pass -----------------------------------------------------------------------


@pytest.mark.parametrize("presign", [False, True], ids=["header", "query"])
@pytest.mark.parametrize(("key", "secret", "token"), [(ALICE, ALICE_SECRET, None), (ROLE, ROLE_SECRET, ROLE_TOKEN)])
async def test_signed_get_with_query_passes(
    backend: RecordingBackend, presign: bool, key: str, secret: str, token: str | None
) -> None:
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        url, headers = S.signed(gw.url + "/prod/pets?b=2&a=1", key=key, secret=secret, token=token, presign=presign)
        reply = await send(url, headers)
    assert reply.status == 200, reply.body
    seen = backend.seen[0]
    assert seen.raw_path.startswith("/pets?b=2&a=1")
    assert "Authorization" not in seen.headers  # spec 10.2: the signature is dropped
    assert gw.records[0]["caller"] == (ALICE_ARN if key == ALICE else SESSION_ARN)
    assert gw.records[0]["authorizer"] == {"column": "Allow", "principalId": None, "cached": False}


@pytest.mark.parametrize("token", [None, ROLE_TOKEN])
async def test_signed_post_with_body_passes_and_the_body_arrives_whole(
    backend: RecordingBackend, token: str | None
) -> None:
    body = b'{"name": "rex"}' * 100
    key, secret = (ROLE, ROLE_SECRET) if token else (ALICE, ALICE_SECRET)
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", method="POST", body=body, key=key, secret=secret, token=token)
        reply = await send(url, headers, "POST", body)
    assert reply.status == 200, reply.body
    assert backend.seen[0].method == "POST" and backend.seen[0].body_length == len(body)
    assert backend.seen[0].headers["Content-Length"] == str(len(body))


async def test_the_signer_fills_the_condition_keys_of_the_resource_policy(backend: RecordingBackend) -> None:
    tagged = S.statement("Allow", principal={"AWS": S.ACCOUNT})
    tagged["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    config = iam_api(backend.url, S.policy(tagged))
    # the role session has no identity Allow for anything: only the resource policy could allow it
    config["api"]["authorizers"]["iam"]["identity_policies"] = {
        f"arn:aws:iam::{S.ACCOUNT}:role/Admin": S.policy(
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/prod/GET/elsewhere"}
        )
    }
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", key=ALICE, secret=ALICE_SECRET)
        tagged_reply = await send(url, headers)
        url, headers = S.signed(gw.url + "/prod/pets", key=ROLE, secret=ROLE_SECRET, token=ROLE_TOKEN)
        untagged_reply = await send(url, headers)
    assert tagged_reply.status == 200
    assert untagged_reply.status == 403
    assert untagged_reply.json() == S.denied(SESSION_ARN, "/pets", explicit=False)


# -- what AWS answers when the signature is wrong ----------------------------------------------------


async def _refused(backend: RecordingBackend, **sign: Any) -> Any:
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        send_headers = sign.pop("send_headers", {})
        url, headers = S.signed(gw.url + "/prod/pets", **{"key": ALICE, "secret": ALICE_SECRET, **sign})
        reply = await send(url, {**headers, **send_headers})
    assert reply.status == 403
    assert backend.seen == []
    return reply


async def test_wrong_secret(backend: RecordingBackend) -> None:
    reply = await _refused(backend, secret="not-the-secret")
    message = reply.json()["message"]
    assert message.startswith(
        MISMATCH + "\n\nThe Canonical String for this request should have been\n'GET\n/prod/pets\n"
    )
    assert reply.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


async def test_expired_date(backend: RecordingBackend) -> None:
    reply = await _refused(backend, at=datetime.now(UTC) - timedelta(minutes=10))
    message = reply.json()["message"]
    assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)")
    assert reply.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


async def test_date_in_the_future(backend: RecordingBackend) -> None:
    reply = await _refused(backend, at=datetime.now(UTC) + timedelta(minutes=10))
    assert reply.json()["message"].startswith("Signature not yet current: ")


async def test_tampered_header(backend: RecordingBackend) -> None:
    reply = await _refused(backend, headers={"X-Tenant": "blue"}, send_headers={"X-Tenant": "red"})
    assert reply.json()["message"].startswith(MISMATCH)


async def test_tampered_body(backend: RecordingBackend) -> None:
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", method="POST", body=b"amount=1", key=ALICE, secret=ALICE_SECRET)
        reply = await send(url, headers, "POST", b"amount=9")
    assert reply.status == 403 and reply.json()["message"].startswith(MISMATCH)
    assert backend.seen == []


async def test_wrong_service(backend: RecordingBackend) -> None:
    reply = await _refused(backend, service="s3")
    assert reply.json() == {"message": "Credential should be scoped to correct service: 'execute-api'. "}


async def test_wrong_region(backend: RecordingBackend) -> None:
    reply = await _refused(backend, region="eu-west-1")
    assert reply.json() == {"message": "Credential should be scoped to a valid region, not 'eu-west-1'. "}


async def test_unknown_access_key(backend: RecordingBackend) -> None:
    reply = await _refused(backend, key="AKIANOBODY0000000000")
    assert reply.json() == {"message": "The security token included in the request is invalid."}


@pytest.mark.parametrize("token", [None, "not-the-token"], ids=["missing", "wrong"])
async def test_session_token_missing_or_wrong(backend: RecordingBackend, token: str | None) -> None:
    reply = await _refused(backend, key=ROLE, secret=ROLE_SECRET, token=token)
    assert reply.json() == {"message": "The security token included in the request is invalid."}


async def test_missing_authorization(backend: RecordingBackend) -> None:
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets")
        bearer = await request_from(gw.url + "/prod/pets", headers={"Authorization": "Bearer abc"})
    assert (reply.status, reply.body) == (403, MISSING)
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert bearer.status == 403
    assert bearer.json()["message"].startswith("Invalid key=value pair (missing equal-sign) in Authorization header")
    assert backend.seen == []


# -- the caller is the signer -------------------------------------------------------------------------


async def test_the_principal_header_cannot_override_the_signer(backend: RecordingBackend) -> None:
    admin = f"arn:aws:iam::{S.ACCOUNT}:user/admin"
    silent = S.policy({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{S.API}/prod/GET/elsewhere"})
    config = iam_api(backend.url, S.policy(S.statement("Allow", principal={"AWS": admin})))
    config["api"]["authorizers"]["iam"]["identity_policies"] = {ALICE_ARN: silent}
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", key=ALICE, secret=ALICE_SECRET)
        reply = await send(url, {**headers, "X-Gatewaysim-Principal": admin})
    assert reply.status == 403
    assert reply.json() == S.denied(ALICE_ARN, "/pets", explicit=False)
    assert gw.records[0]["caller"] == ALICE_ARN


async def test_the_principal_header_alone_is_not_a_signature(backend: RecordingBackend) -> None:
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        reply = await request_from(gw.url + "/prod/pets", headers={"X-Gatewaysim-Principal": ALICE_ARN})
    assert (reply.status, reply.body) == (403, MISSING)


async def test_cross_account_signer_without_resource_policy_is_an_implicit_deny(backend: RecordingBackend) -> None:
    other = "arn:aws:iam::111122223333:user/bob"
    config = iam_api(backend.url)
    config["api"]["authorizers"]["iam"]["credentials"] = {"AKIABOBEXAMPLE000001": {"secret": "b", "principal": other}}
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", key="AKIABOBEXAMPLE000001", secret="b")
        reply = await send(url, headers)
    assert reply.status == 403
    assert reply.json() == S.denied(other, "/pets", explicit=False)
    assert gw.records[0]["verdict"] == "B: Allow/neither -> ImplicitDeny"


# -- the body an authorizer reads is bounded ----------------------------------------------------------


async def test_body_over_the_limit_is_413_before_verification(backend: RecordingBackend) -> None:
    config = iam_api(backend.url)
    config["api"]["forward"] = {"max_body_bytes": 16}
    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", method="POST", body=b"x" * 17, key=ALICE, secret=ALICE_SECRET)
        reply = await send(url, headers, "POST", b"x" * 17)
        url, headers = S.signed(gw.url + "/prod/pets", method="POST", body=b"x" * 16, key=ALICE, secret=ALICE_SECRET)
        fits = await send(url, headers, "POST", b"x" * 16)
    assert (reply.status, reply.body) == (413, b'{"message":"Request Too Long"}')
    assert fits.status == 200 and [s.body_length for s in backend.seen] == [16]


async def test_chunked_body_over_the_limit_is_413(backend: RecordingBackend) -> None:
    config = iam_api(backend.url)
    config["api"]["forward"] = {"max_body_bytes": 16}

    async def chunks() -> Any:
        for _ in range(4):
            yield b"x" * 8

    async with GatewayServer(config=config) as gw:
        url, headers = S.signed(gw.url + "/prod/pets", method="POST", body=b"x" * 32, key=ALICE, secret=ALICE_SECRET)
        async with aiohttp.ClientSession() as session, session.post(url, data=chunks(), headers=headers) as response:
            status, body = response.status, await response.read()
    assert (status, body) == (413, b'{"message":"Request Too Long"}')
    assert backend.seen == []


async def test_a_chunked_signed_body_is_read_once_and_forwarded_with_its_length(backend: RecordingBackend) -> None:
    async def chunks() -> Any:
        for part in (b"alpha-", b"beta-", b"gamma"):
            yield part

    async with GatewayServer(config=iam_api(backend.url)) as gw:
        body = b"alpha-beta-gamma"
        url, headers = S.signed(gw.url + "/prod/pets", method="PUT", body=body, key=ALICE, secret=ALICE_SECRET)
        async with aiohttp.ClientSession() as session, session.put(url, data=chunks(), headers=headers) as response:
            status = response.status
    assert status == 200
    seen = backend.seen[0]
    assert (seen.method, seen.body_length, seen.headers["Content-Length"]) == ("PUT", len(body), str(len(body)))
    assert "Transfer-Encoding" not in seen.headers


async def test_method_arn_over_1600_bytes_is_414_before_the_signature_is_checked(backend: RecordingBackend) -> None:
    """An AWS_IAM method authorizes its ARN even without a resource policy: AWS's 1600-byte quota holds."""
    arn_prefix = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/"
    path = "/prod/" + "a" * (1601 - len(arn_prefix))
    async with GatewayServer(config=iam_api(backend.url)) as gw:
        url, headers = S.signed(gw.url + path, key=ALICE, secret=ALICE_SECRET)
        reply = await send(url, headers)
    assert (reply.status, reply.body) == (414, b'{"message":"Request URI too long"}')
    assert backend.seen == []
