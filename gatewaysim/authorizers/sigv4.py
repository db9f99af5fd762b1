"""AWS_IAM authentication: verify a Signature Version 4 request the way API Gateway does.

:func:`verify_sigv4` takes the request exactly as received (method, raw path, raw query string,
headers, body), rebuilds what the client signed and signs it again with botocore's own signer
(``botocore.auth.SigV4Auth``) using the stored secret, the client's ``SignedHeaders`` and the
request's own ``X-Amz-Date``. Both the ``Authorization`` header form and the presigned query-string
form (``X-Amz-Algorithm`` ... ``X-Amz-Signature``) are accepted.

Checks run in AWS's order, and each failure is a :class:`SigV4Rejected` carrying AWS's text, its
``x-amzn-ErrorType`` and the gateway response type:

1. no ``Authorization`` and no ``X-Amz-Algorithm``       -> Missing Authentication Token
2. malformed header / missing parameters or date          -> IncompleteSignatureException
3. algorithm other than ``AWS4-HMAC-SHA256``              -> Missing Authentication Token
4. ``X-Amz-Date`` not ISO 8601 basic                     -> IncompleteSignatureException
5. more than 5 minutes off the clock (either way)         -> InvalidSignatureException
6. ``host`` not signed                                    -> InvalidSignatureException
7. credential scope not ``key/date/region/execute-api/aws4_request`` -> Incomplete/InvalidSignature
8. unknown access key                                     -> UnrecognizedClientException
9. signature differs (canonical request in the message)   -> InvalidSignatureException
10. session token missing, wrong or expired               -> UnrecognizedClient/ExpiredTokenException

Canonical URI: the raw path as sent (stage included), normalised and encoded once more the way
botocore does for every non-S3 service; canonical query: each parameter decoded and re-encoded,
sorted. ``X-Amz-Content-SHA256`` is honoured when sent; a hex value must match the body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from gatewaysim.authorizers.credentials import Credential, CredentialStore, VerifiedCaller
from gatewaysim.authorizers.sigv4_errors import (
    BODY_HASH_MISMATCH,
    EXPIRED_TOKEN,
    HOST_NOT_SIGNED,
    INVALID_TOKEN,
    SIGNATURE_MISMATCH,
    Reason,
    SigV4Rejected,
)
from gatewaysim.authorizers.sigv4_parse import ALGORITHM, Claimed, first, fmt, lowered, read_claim, utc

__all__ = ["ALGORITHM", "MAX_SKEW", "SERVICE", "Reason", "SigV4Rejected", "VerifiedCaller", "verify_sigv4"]

SERVICE = "execute-api"
MAX_SKEW = timedelta(minutes=5)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def verify_sigv4(
    method: str,
    raw_path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    store: CredentialStore,
    region: str,
    now: datetime,
) -> VerifiedCaller:
    """Verify a SigV4-signed request; return its caller or raise :class:`SigV4Rejected`.

    ``raw_path`` is the path exactly as received (percent-encoding intact, stage included);
    ``query_string`` the raw query without ``?``; ``headers`` case-insensitive (multi-valued
    headers such as aiohttp's ``CIMultiDictProxy`` are read in full).
    """
    now = utc(now).replace(microsecond=0)
    received = lowered(headers)
    claimed = read_claim(received, query_string)
    _check_time(claimed, now)
    if "host" not in claimed.signed_headers:
        raise SigV4Rejected(Reason.INVALID_SIGNATURE, HOST_NOT_SIGNED)
    access_key = _check_scope(claimed, region)
    credential = store.get(access_key)
    if credential is None:
        raise SigV4Rejected(Reason.UNRECOGNIZED_CLIENT, INVALID_TOKEN)
    _check_signature(credential, region, claimed, method, raw_path, received, body)
    _check_session_token(credential, claimed.security_token, now)
    return credential.caller()


def _check_time(claimed: Claimed, now: datetime) -> None:
    stamp = claimed.timestamp
    if claimed.expires is None:
        earliest, window = now - MAX_SKEW, "5 min."
    else:  # a presigned URL lives for X-Amz-Expires seconds
        earliest, window = now - timedelta(seconds=claimed.expires), f"{claimed.expires} sec."
    if stamp < earliest:
        raise SigV4Rejected(
            Reason.INVALID_SIGNATURE,
            f"Signature expired: {fmt(stamp)} is now earlier than {fmt(earliest)} ({fmt(now)} - {window})",
        )
    latest = now + MAX_SKEW
    if stamp > latest:
        raise SigV4Rejected(
            Reason.INVALID_SIGNATURE,
            f"Signature not yet current: {fmt(stamp)} is still later than {fmt(latest)} ({fmt(now)} + 5 min.)",
        )


def _check_scope(claimed: Claimed, region: str) -> str:
    """Validate ``key/date/region/service/aws4_request``; return the access key id."""
    parts = claimed.credential.split("/")
    if len(parts) != 5:
        raise SigV4Rejected(
            Reason.INCOMPLETE_SIGNATURE,
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{claimed.credential}'",
        )
    access_key, date, scope_region, service, terminator = parts
    expected_date = claimed.timestamp.strftime("%Y%m%d")
    problems = (
        (scope_region != region, f"Credential should be scoped to a valid region, not '{scope_region}'. "),
        (service != SERVICE, f"Credential should be scoped to correct service: '{SERVICE}'. "),
        (
            terminator != "aws4_request",
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. ",
        ),
        (
            date != expected_date,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{expected_date}', from '{fmt(claimed.timestamp)}'.",
        ),
    )
    message = "".join(text for failed, text in problems if failed)
    if message:
        raise SigV4Rejected(Reason.INVALID_SIGNATURE, message)
    return access_key


class _Resigner(SigV4Auth):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's SigV4 signer, fed exactly the headers and payload hash the client signed."""

    def __init__(self, credential: Credential, region: str, payload_hash: str) -> None:
        super().__init__(Credentials(credential.access_key, credential.secret_key), SERVICE, region)
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        # SECURITY: the client's SignedHeaders list, as received; botocore's own client-side
        # exclusions (user-agent, ...) and its Host fallback must not apply when verifying.
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


def _check_signature(
    credential: Credential,
    region: str,
    claimed: Claimed,
    method: str,
    raw_path: str,
    received: Mapping[str, list[str]],
    body: bytes,
) -> None:
    body_hash = hashlib.sha256(body).hexdigest()
    declared = first(received, "x-amz-content-sha256")
    signer = _Resigner(credential, region, declared if declared is not None else body_hash)
    path = raw_path if raw_path.startswith("/") else f"/{raw_path}"
    request = AWSRequest(method=method.upper(), url=f"http://gatewaysim.invalid{path}", params=list(claimed.query))
    for name in claimed.signed_headers:
        for value in received.get(name, ()):
            request.headers[name] = value
    request.context["timestamp"] = fmt(claimed.timestamp)
    try:
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        expected = signer.signature(string_to_sign, request)
    except UnicodeError:
        raise SigV4Rejected(Reason.INVALID_SIGNATURE, SIGNATURE_MISMATCH) from None
    # SECURITY: constant-time comparison of the signatures
    if not hmac.compare_digest(expected.encode(), claimed.signature.encode("utf-8", "replace")):
        raise SigV4Rejected(
            Reason.INVALID_SIGNATURE,
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{string_to_sign}'\n",
        )
    # SECURITY: a declared body hash is only honoured if the body really has it
    if declared is not None and declared != UNSIGNED_PAYLOAD and declared.lower() != body_hash:
        raise SigV4Rejected(Reason.INVALID_SIGNATURE, BODY_HASH_MISMATCH)


def _check_session_token(credential: Credential, sent: str | None, now: datetime) -> None:
    stored = credential.session_token
    if stored is None and sent is None:
        return
    # SECURITY: a temporary key needs its own token; a long-term key takes none
    if stored is None or sent is None or not hmac.compare_digest(stored.encode(), sent.encode("utf-8", "replace")):
        raise SigV4Rejected(Reason.UNRECOGNIZED_CLIENT, INVALID_TOKEN)
    if credential.expiration is not None and now >= credential.expiration:
        raise SigV4Rejected(Reason.EXPIRED_TOKEN, EXPIRED_TOKEN)
