"""AWS_IAM: requests signed by botocore exactly as a client signs them, verified as API Gateway does.

Expected texts are written out here (not imported) so a typo in the module fails a test.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import quote, urlsplit

import aiohttp
import botocore.auth
import pytest
from aiohttp import web
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from pytest_aiohttp import AiohttpServer
from yarl import URL

from gatewaysim.authorizers import sigv4, sigv4_errors, sigv4_parse
from gatewaysim.authorizers.credentials import CredentialStore
from gatewaysim.authorizers.sigv4 import SigV4Rejected, verify_sigv4

FIXED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
REGION = "us-east-1"
HOST = "abc123.execute-api.us-east-1.amazonaws.com"
URL_PETS = f"https://{HOST}/prod/pets"
ALICE, ALICE_SECRET = "AKIAALICEEXAMPLE0001", "alice/secret+key"
ROLE, ROLE_SECRET, ROLE_TOKEN = "ASIAROLEEXAMPLE00001", "role-secret", "FwoGZXIvYXdzEXAMPLETOKEN=="
OLD, OLD_SECRET, OLD_TOKEN = "ASIAEXPIREDEXAMPLE01", "old-secret", "old-token"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."

STORE = CredentialStore.from_mapping(
    {
        ALICE: {
            "secret": ALICE_SECRET,
            "principal": "arn:aws:iam::111122223333:user/alice",
            "tags": {"team": "blue"},
        },
        ROLE: {
            "secret": ROLE_SECRET,
            "principal": "arn:aws:sts::111122223333:assumed-role/Admin/alice-session",
            "session_token": ROLE_TOKEN,
            "mfa": True,
            "token_issue_time": "2024-05-01T11:00:00Z",
        },
        OLD: {
            "secret": OLD_SECRET,
            "principal": "arn:aws:sts::111122223333:assumed-role/Admin/old",
            "session_token": OLD_TOKEN,
            "expiration": "2024-05-01T11:59:00Z",
        },
    }
)


@dataclass(frozen=True)
class Wire:
    """A request as it travels: what the server receives."""

    method: str
    path: str
    query: str
    headers: CIMultiDict[str]
    body: bytes

    def with_header(self, name: str, value: str | None) -> Wire:
        headers = CIMultiDict(self.headers)
        headers.popall(name, None)
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)


def sign(
    method: str = "GET",
    url: str = URL_PETS,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    repeated: list[tuple[str, str]] | None = None,
    params: dict[str, str] | None = None,
    key: str = ALICE,
    secret: str = ALICE_SECRET,
    token: str | None = None,
    region: str = REGION,
    service: str = "execute-api",
    presign: bool = False,
    expires: int = 3600,
    at: datetime | None = FIXED,
    sign_payload: bool = True,
) -> Wire:
    """Sign with botocore exactly as a client does, then take what goes on the wire."""
    all_headers = {"Host": urlsplit(url).netloc, **(headers or {})}
    request = AWSRequest(method=method, url=url, data=body, headers=all_headers, params=params or {})
    for name, value in repeated or ():
        request.headers[name] = value  # botocore's HTTPHeaders keeps repeated names
    if not sign_payload:
        request.context["payload_signing_enabled"] = False
    credentials = Credentials(key, secret, token)
    signer = (
        SigV4QueryAuth(credentials, service, region, expires=expires)
        if presign
        else SigV4Auth(credentials, service, region)
    )
    with _client_clock(at):
        signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    wire_headers = CIMultiDict(request.headers.items())
    for name, value in prepared.headers.items():  # what preparing adds, e.g. Content-Length
        wire_headers.setdefault(name, value)
    raw_body = prepared.body or b""
    return Wire(
        method=method,
        path=parts.path,
        query=parts.query,
        headers=wire_headers,
        body=raw_body.encode() if isinstance(raw_body, str) else raw_body,
    )


def _client_clock(at: datetime | None) -> mock._patch[mock.MagicMock] | _NoPatch:
    """Freeze the signing client's clock (botocore reads it in add_auth); None keeps the real clock."""
    if at is None:
        return _NoPatch()
    naive = at.astimezone(UTC).replace(tzinfo=None)
    return mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive)


class _NoPatch:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def verify(wire: Wire, *, now: datetime = FIXED, region: str = REGION) -> sigv4.VerifiedCaller:
    return verify_sigv4(
        wire.method,
        wire.path,
        wire.query,
        CIMultiDictProxy(wire.headers),
        wire.body,
        store=STORE,
        region=region,
        now=now,
    )


def rejected(wire: Wire, *, now: datetime = FIXED, region: str = REGION) -> SigV4Rejected:
    with pytest.raises(SigV4Rejected) as info:
        verify(wire, now=now, region=region)
    assert info.value.status == 403
    return info.value


def hashed(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


# -- requests that pass ----------------------------------------------------------------------------


def test_header_form_long_term_key_passes() -> None:
    caller = verify(sign())
    assert caller.access_key == ALICE
    assert caller.principal_arn == "arn:aws:iam::111122223333:user/alice"
    assert caller.account == "111122223333"
    assert caller.principal_type == "User"
    assert caller.user_id.startswith("AIDA")
    assert caller.tags == {"team": "blue"}
    assert caller.session_token_used is False


def test_header_form_with_session_token_passes() -> None:
    wire = sign(key=ROLE, secret=ROLE_SECRET, token=ROLE_TOKEN)
    assert "x-amz-security-token" in wire.headers["Authorization"]  # botocore signs the token too
    caller = verify(wire)
    assert caller.principal_arn == "arn:aws:sts::111122223333:assumed-role/Admin/alice-session"
    assert caller.principal_type == "AssumedRole"
    assert caller.session_token_used is True


@pytest.mark.parametrize("token", [None, ROLE_TOKEN], ids=["long-term", "session"])
def test_presigned_query_form_passes(token: str | None) -> None:
    key, secret = (ALICE, ALICE_SECRET) if token is None else (ROLE, ROLE_SECRET)
    wire = sign(key=key, secret=secret, token=token, presign=True)
    assert "Authorization" not in wire.headers and "X-Amz-Signature=" in wire.query
    assert verify(wire).access_key == key


def test_presigned_url_lives_for_its_expires_not_five_minutes() -> None:
    wire = sign(presign=True, expires=3600)
    assert verify(wire, now=FIXED + timedelta(minutes=59)).access_key == ALICE
    short = sign(presign=True, expires=60)
    error = rejected(short, now=FIXED + timedelta(seconds=61))
    assert error.message == (
        "Signature expired: 20240501T120000Z is now earlier than 20240501T120001Z (20240501T120101Z - 60 sec.)"
    )
    assert error.error_type == "InvalidSignatureException"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{HOST}/prod/pets",
        f"https://{HOST}/prod/",
        f"https://{HOST}/",
        f"https://{HOST}/prod/a%20b",
        f"https://{HOST}/prod/caf%C3%A9/%E2%9C%93",
        f"https://{HOST}/prod/~user/x-y_z.json",
        f"https://{HOST}/prod/a/./b/../c",
        f"https://{HOST}//prod//double//slash",
        f"https://{HOST}/prod/x%2Fy/%25literal",
        f"https://{HOST}/prod/pets?a=2&a=1&b=&c",
        f"https://{HOST}/prod/pets?name=caf%C3%A9&sym=~%21%2A&plus=%2B",
    ],
)
@pytest.mark.parametrize("presign", [False, True], ids=["header", "query"])
def test_paths_and_queries_are_canonicalised_like_botocore(url: str, presign: bool) -> None:
    assert verify(sign(url=url, presign=presign)).access_key == ALICE


@pytest.mark.parametrize("presign", [False, True], ids=["header", "query"])
def test_query_params_with_spaces_plus_unicode_and_empty_values(presign: bool) -> None:
    wire = sign(params={"q": "a b+c/é~", "empty": "", "zeta": "1"}, presign=presign)
    assert "q=a+b%2Bc" in wire.query or "q=a%20b%2Bc" in wire.query  # botocore's own wire forms
    assert verify(wire).access_key == ALICE


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(_TEXT, min_size=1, max_size=4),
    safe=st.sampled_from(["", "-_.~", "~!$&'()*+,;=:@"]),
    params=st.dictionaries(_TEXT.filter(lambda k: not k.lower().startswith("x-amz-")), _TEXT, max_size=4),
    presign=st.booleans(),
)
def test_any_path_and_query_botocore_signs_verifies(
    segments: list[str], safe: str, params: dict[str, str], presign: bool
) -> None:
    path = "/prod/" + "/".join(quote(segment, safe=safe) for segment in segments)
    wire = sign(url=f"https://{HOST}{path}", params=params, presign=presign)
    assert verify(wire).access_key == ALICE


def test_query_is_decoded_and_re_encoded_not_taken_as_sent() -> None:
    # AWS rebuilds the canonical query from the decoded parameters, so a client that signs a
    # non-canonical spelling (%7E for ~) as-is fails (inferred from the SigV4 rules, not captured).
    wire = sign(url=f"{URL_PETS}?sym=%7E")
    error = rejected(wire)
    assert "\nsym=~\n" in error.message


def test_body_and_extra_signed_headers_pass() -> None:
    body = json.dumps({"name": "rex", "tags": ["ü", "ß"]}).encode()
    wire = sign("POST", body=body, headers={"Content-Type": "application/json", "X-Custom": "  a   b  "})
    assert "content-type;host;x-amz-date;x-custom" in wire.headers["Authorization"]
    assert verify(wire).access_key == ALICE


def test_repeated_signed_header_values_are_joined_in_order() -> None:
    wire = sign(repeated=[("X-Multi", "one"), ("X-Multi", "two")])
    assert wire.headers.getall("X-Multi") == ["one", "two"]
    assert verify(wire).access_key == ALICE
    swapped = CIMultiDict((k, v) for k, v in wire.headers.items() if k != "X-Multi")
    swapped.extend([("X-Multi", "two"), ("X-Multi", "one")])
    error = rejected(replace(wire, headers=swapped))
    assert "\nx-multi:two,one\n" in error.message


def test_unsigned_payload_header_is_honoured() -> None:
    wire = sign("PUT", body=b"payload", sign_payload=False)
    assert wire.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert verify(wire).access_key == ALICE


def test_date_header_instead_of_x_amz_date() -> None:
    wire = sign(headers={"Date": "Wed, 01 May 2024 12:00:00 GMT"})
    assert "X-Amz-Date" not in wire.headers and "date;host" in wire.headers["Authorization"]
    assert verify(wire).access_key == ALICE


@pytest.mark.parametrize("offset", [timedelta(minutes=5), timedelta(minutes=-5)], ids=["late", "early"])
def test_five_minutes_either_way_is_still_accepted(offset: timedelta) -> None:
    assert verify(sign(), now=FIXED + offset).access_key == ALICE


def test_real_clock() -> None:
    wire = sign(at=None)
    assert verify(wire, now=datetime.now(UTC)).access_key == ALICE


# -- requests AWS refuses ------------------------------------------------------------------------


def test_wrong_secret_shows_the_canonical_request_and_string_to_sign() -> None:
    error = rejected(sign(secret="not-the-secret"))
    canonical = f"GET\n/prod/pets\n\nhost:{HOST}\nx-amz-date:20240501T120000Z\n\nhost;x-amz-date\n{EMPTY_SHA256}"
    string_to_sign = (
        "AWS4-HMAC-SHA256\n20240501T120000Z\n20240501/us-east-1/execute-api/aws4_request\n"
        + hashlib.sha256(canonical.encode()).hexdigest()
    )
    assert error.message == (
        f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )
    assert (error.error_type, error.response_type) == ("InvalidSignatureException", "INVALID_SIGNATURE")


def test_tampered_body() -> None:
    wire = sign("POST", body=b'{"amount": 1}', headers={"Content-Type": "application/json"})
    error = rejected(replace(wire, body=b'{"amount": 1000}'))
    assert error.message.startswith(MISMATCH)
    assert hashlib.sha256(b'{"amount": 1000}').hexdigest() in error.message


def test_tampered_signed_header() -> None:
    wire = sign(headers={"X-Tenant": "blue"})
    error = rejected(wire.with_header("X-Tenant", "red"))
    assert error.message.startswith(MISMATCH) and "\nx-tenant:red\n" in error.message


def test_tampered_query() -> None:
    wire = sign(params={"limit": "10"})
    error = rejected(replace(wire, query=wire.query.replace("limit=10", "limit=11")))
    assert error.message.startswith(MISMATCH) and "\nlimit=11\n" in error.message


def test_tampered_presigned_query() -> None:
    wire = sign(params={"limit": "10"}, presign=True)
    error = rejected(replace(wire, query=wire.query.replace("limit=10", "limit=99")))
    assert error.message.startswith(MISMATCH)


def test_tampered_method() -> None:
    error = rejected(replace(sign(), method="DELETE"))
    assert error.message.startswith(f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'DELETE\n")


def test_body_swapped_under_a_declared_content_hash() -> None:
    body = b"original"
    wire = sign("PUT", body=body, headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    assert verify(wire).access_key == ALICE
    error = rejected(replace(wire, body=b"swapped"))
    assert error.message == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert error.error_type == "InvalidSignatureException"


def test_raw_space_in_the_signed_url_fails_because_the_wire_path_is_encoded() -> None:
    wire = sign(url=f"https://{HOST}/prod/a b")  # the client signed /prod/a%20b, but sends /prod/a%20b
    error = rejected(replace(wire, path="/prod/a%20b"))
    assert "\n/prod/a%2520b\n" in error.message  # AWS encodes the path as sent once more


def test_expired() -> None:
    error = rejected(sign(), now=FIXED + timedelta(minutes=6))
    assert error.message == (
        "Signature expired: 20240501T120000Z is now earlier than 20240501T120100Z (20240501T120600Z - 5 min.)"
    )
    assert (error.error_type, error.response_type) == ("InvalidSignatureException", "INVALID_SIGNATURE")


def test_not_yet_current() -> None:
    error = rejected(sign(), now=FIXED - timedelta(minutes=6))
    assert error.message == (
        "Signature not yet current: 20240501T120000Z is still later than 20240501T115900Z (20240501T115400Z + 5 min.)"
    )
    assert error.error_type == "InvalidSignatureException"


def test_wrong_service() -> None:
    error = rejected(sign(service="lambda"))
    assert error.message == "Credential should be scoped to correct service: 'execute-api'. "
    assert (error.error_type, error.response_type) == ("InvalidSignatureException", "INVALID_SIGNATURE")


def test_wrong_region() -> None:
    error = rejected(sign(region="ap-northeast-1"))
    assert error.message == "Credential should be scoped to a valid region, not 'ap-northeast-1'. "


def test_wrong_region_and_service_are_reported_together() -> None:
    error = rejected(sign(region="eu-west-1", service="s3"))
    assert error.message == (
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
        "Credential should be scoped to correct service: 'execute-api'. "
    )


def test_unknown_access_key() -> None:
    error = rejected(sign(key="AKIANOBODYEXAMPLE001"))
    assert error.message == INVALID_TOKEN
    assert (error.error_type, error.response_type) == ("UnrecognizedClientException", "DEFAULT_4XX")


@pytest.mark.parametrize(
    ("key", "secret", "token"),
    [(ROLE, ROLE_SECRET, None), (ROLE, ROLE_SECRET, "some-other-token"), (ALICE, ALICE_SECRET, "stray-token")],
    ids=["missing", "wrong", "token-on-long-term-key"],
)
@pytest.mark.parametrize("presign", [False, True], ids=["header", "query"])
def test_session_token_must_match_the_key(key: str, secret: str, token: str | None, presign: bool) -> None:
    error = rejected(sign(key=key, secret=secret, token=token, presign=presign))
    assert error.message == INVALID_TOKEN
    assert error.error_type == "UnrecognizedClientException"


def test_expired_session_credentials() -> None:
    error = rejected(sign(key=OLD, secret=OLD_SECRET, token=OLD_TOKEN))
    assert error.message == "The security token included in the request is expired"
    assert (error.error_type, error.response_type) == ("ExpiredTokenException", "EXPIRED_TOKEN")


def test_missing_authorization() -> None:
    wire = Wire("GET", "/prod/pets", "", CIMultiDict({"Host": HOST}), b"")
    error = rejected(wire)
    assert error.message == "Missing Authentication Token"
    assert (error.error_type, error.response_type) == (
        "MissingAuthenticationTokenException",
        "MISSING_AUTHENTICATION_TOKEN",
    )


PLAIN = Wire("GET", "/prod/pets", "", CIMultiDict({"Host": HOST}), b"")
ALL_REQUIRED = (
    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
    "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
    "existence of either a 'X-Amz-Date' or a 'Date' header."
)
GOOD_SCOPE = f"{ALICE}/20240501/us-east-1/execute-api/aws4_request"


@pytest.mark.parametrize(
    ("authorization", "x_amz_date", "message", "error_type"),
    [
        (
            "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig",
            None,
            "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and "
            "encoded with Base64): '{hash}'.",
            "IncompleteSignatureException",
        ),
        (
            "Basic dXNlcjpwYXNzd29yZA==",
            None,
            ALL_REQUIRED + " (Hashed with SHA-256 and encoded with Base64) Authorization={hash}",
            "IncompleteSignatureException",
        ),
        (
            "eyJhbGciOiJSUzI1NiJ9",
            None,
            ALL_REQUIRED + " (Hashed with SHA-256 and encoded with Base64) Authorization={hash}",
            "IncompleteSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}",
            "20240501T120000Z",
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. (Hashed with SHA-256 and encoded with Base64) Authorization={hash}",
            "IncompleteSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA512 Credential={GOOD_SCOPE}, SignedHeaders=host;x-amz-date, Signature=abc",
            "20240501T120000Z",
            "Missing Authentication Token",
            "MissingAuthenticationTokenException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}, SignedHeaders=host;x-amz-date, Signature=abc",
            "2024-05-01T12:00:00Z",
            "Date must be in ISO-8601 'basic format'. Got '2024-05-01T12:00:00Z'. See "
            "http://en.wikipedia.org/wiki/ISO_8601",
            "IncompleteSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}, SignedHeaders=x-amz-date, Signature=abc",
            "20240501T120000Z",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            "InvalidSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ALICE}/20240501/us-east-1, SignedHeaders=host, Signature=abc",
            "20240501T120000Z",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{ALICE}/20240501/us-east-1'",
            "IncompleteSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ALICE}/20240430/us-east-1/execute-api/aws5_request, "
            "SignedHeaders=host, Signature=abc",
            "20240501T120000Z",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20240430' != '20240501', from '20240501T120000Z'.",
            "InvalidSignatureException",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={GOOD_SCOPE}, SignedHeaders=host;x-amz-date, Signature=abc",
            "20240501T120000Z",
            MISMATCH,
            "InvalidSignatureException",
        ),
    ],
    ids=[
        "bearer",
        "basic-with-equals",
        "no-space",
        "missing-params",
        "unsupported-algorithm",
        "bad-date",
        "host-not-signed",
        "short-credential",
        "bad-terminator-and-date",
        "bad-signature",
    ],
)
def test_malformed_authorization_headers(
    authorization: str, x_amz_date: str | None, message: str, error_type: str
) -> None:
    wire = PLAIN.with_header("Authorization", authorization).with_header("X-Amz-Date", x_amz_date)
    error = rejected(wire)
    expected = message.replace("{hash}", hashed(authorization))
    if message == MISMATCH:
        assert error.message.startswith(expected)
    else:
        assert error.message == expected
    assert error.error_type == error_type


def test_incomplete_signature_uses_the_missing_authentication_token_response() -> None:
    error = rejected(PLAIN.with_header("Authorization", "Bearer x"))
    assert (error.status, error.response_type) == (403, "MISSING_AUTHENTICATION_TOKEN")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
            "include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS "
            "query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
        ),
        (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={GOOD_SCOPE}&X-Amz-Date=20240501T120000Z"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&X-Amz-Expires=soon",
            "X-Amz-Expires should be a number",
        ),
        (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={GOOD_SCOPE}&X-Amz-Date=20240501T120000Z"
            "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&X-Amz-Expires=604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
    ],
    ids=["missing-params", "expires-not-a-number", "expires-too-long"],
)
def test_malformed_presigned_queries(query: str, message: str) -> None:
    error = rejected(replace(PLAIN, query=query))
    assert error.message == message
    assert error.error_type == "IncompleteSignatureException"


def test_presigned_with_unsupported_algorithm_is_missing_token() -> None:
    wire = sign(presign=True)
    error = rejected(replace(wire, query=wire.query.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")))
    assert error.message == "Missing Authentication Token"


def test_context_keys_of_an_assumed_role_session() -> None:
    caller = verify(sign(key=ROLE, secret=ROLE_SECRET, token=ROLE_TOKEN))
    keys = caller.context_keys()
    assert keys["aws:principalarn"] == ("arn:aws:iam::111122223333:role/Admin",)
    assert keys["aws:principaltype"] == ("AssumedRole",)
    assert keys["aws:userid"][0].startswith("AROA") and keys["aws:userid"][0].endswith(":alice-session")
    assert keys["aws:multifactorauthpresent"] == ("true",)
    assert keys["aws:tokenissuetime"] == ("2024-05-01T11:00:00Z",)
    assert "aws:username" not in keys


def test_rejections_are_gatewaysim_errors() -> None:
    from gatewaysim.errors import GatewaysimError

    error = rejected(PLAIN)
    assert isinstance(error, GatewaysimError) and isinstance(error, PermissionError)
    assert str(error) == "Missing Authentication Token"


def test_public_surface() -> None:
    assert set(sigv4.__all__) == {
        "ALGORITHM",
        "MAX_SKEW",
        "SERVICE",
        "Reason",
        "SigV4Rejected",
        "VerifiedCaller",
        "verify_sigv4",
    }
    assert all(hasattr(sigv4, name) for name in sigv4.__all__)
    for module in (sigv4_errors, sigv4_parse):
        assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
    assert set(sigv4_errors.__all__) >= {"Reason", "SigV4Rejected", "MISSING_TOKEN"}
    assert set(sigv4_parse.__all__) >= {"Claimed", "read_claim", "ALGORITHM"}


# -- over a real socket --------------------------------------------------------------------------


@pytest.fixture
async def echo_server(aiohttp_server: AiohttpServer) -> AsyncIterator[str]:
    async def handler(request: web.Request) -> web.Response:
        path, _, query = request.raw_path.partition("?")
        try:
            caller = verify_sigv4(
                request.method,
                path,
                query,
                request.headers,
                await request.read(),
                store=STORE,
                region=REGION,
                now=datetime.now(UTC),
            )
        except SigV4Rejected as error:
            return web.json_response(
                {"message": error.message}, status=error.status, headers={"x-amzn-ErrorType": error.error_type}
            )
        return web.json_response({"caller": caller.principal_arn})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/prod/pets?limit=10&limit=20&empty=", b""),
        ("GET", "/prod/a%20b/caf%C3%A9/~x", b""),
        ("POST", "/prod/pets", b'{"name": "rex"}'),
    ],
)
@pytest.mark.parametrize("presign", [False, True], ids=["header", "query"])
async def test_signed_requests_over_http(echo_server: str, method: str, path: str, body: bytes, presign: bool) -> None:
    wire = sign(method, echo_server + path, body=body, presign=presign, at=None)
    headers = {k: v for k, v in wire.headers.items() if k.lower() != "host"}  # aiohttp sends its own Host
    url = URL(f"{echo_server}{wire.path}?{wire.query}" if wire.query else f"{echo_server}{wire.path}", encoded=True)
    async with aiohttp.ClientSession() as session, session.request(method, url, headers=headers, data=body) as resp:
        payload = await resp.json()
    assert resp.status == 200, payload
    assert payload == {"caller": "arn:aws:iam::111122223333:user/alice"}


async def test_tampered_request_over_http_gets_aws_answer(echo_server: str) -> None:
    wire = sign("POST", echo_server + "/prod/pets", body=b"one", at=None)
    headers = {k: v for k, v in wire.headers.items() if k.lower() not in ("host", "content-length")}
    async with (
        aiohttp.ClientSession() as session,
        session.post(URL(echo_server + wire.path, encoded=True), headers=headers, data=b"two") as resp,
    ):
        payload = await resp.json()
    assert resp.status == 403
    assert resp.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert payload["message"].startswith(MISMATCH)
