"""Read what a SigV4 client claims, from the ``Authorization`` header or the presigned query string.

Pure parsing: no keys, no clock. Malformed input raises :class:`SigV4Rejected` with AWS's text
(the header form answers in AWS's current style, the header itself only as a SHA-256 hash).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_plus

from gatewaysim.authorizers.sigv4_errors import MISSING_TOKEN, Reason, SigV4Rejected

__all__ = ["ALGORITHM", "MAX_EXPIRES", "Claimed", "first", "fmt", "lowered", "read_claim", "utc"]

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES = 604800  # one week, the presigned URL limit
_BASIC = "%Y%m%dT%H%M%SZ"
_BASIC_RE = re.compile(r"^\d{8}T\d{6}Z$")
_HASHED = "(Hashed with SHA-256 and encoded with Base64)"


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the client says it signed, from the header or the query string."""

    credential: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: datetime
    security_token: str | None
    expires: int | None
    query: tuple[tuple[str, str], ...]  # decoded parameters that are part of the canonical query


def read_claim(received: Mapping[str, list[str]], query_string: str) -> Claimed:
    """What the client claims to have signed; raises SigV4Rejected when it cannot be read."""
    query = _query_pairs(query_string)
    authorization = first(received, "authorization")
    if authorization is not None and authorization.strip():
        return _from_header(authorization, received, query)
    if any(name == "X-Amz-Algorithm" for name, _ in query):
        return _from_query(received, query)
    raise SigV4Rejected(Reason.MISSING_TOKEN, MISSING_TOKEN)


def _from_header(value: str, received: Mapping[str, list[str]], query: list[tuple[str, str]]) -> Claimed:
    algorithm, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for token in filter(None, re.split(r"[\s,]+", rest)):
        name, equals, item = token.partition("=")
        if not equals:
            raise SigV4Rejected(
                Reason.INCOMPLETE_SIGNATURE,
                "Invalid key=value pair (missing equal-sign) in Authorization header "
                f"(hashed with SHA-256 and encoded with Base64): '{_hash(value)}'.",
            )
        params[name] = item
    date_value = first(received, "x-amz-date") or first(received, "date")
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if not date_value:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing or not date_value:
        raise SigV4Rejected(Reason.INCOMPLETE_SIGNATURE, f"{' '.join(missing)} {_HASHED} Authorization={_hash(value)}")
    if algorithm != ALGORITHM:
        raise SigV4Rejected(Reason.MISSING_TOKEN, MISSING_TOKEN)
    return Claimed(
        credential=params["Credential"],
        signed_headers=_signed_header_names(params["SignedHeaders"]),
        signature=params["Signature"],
        timestamp=_parse_date(date_value, basic_only=first(received, "x-amz-date") is not None),
        security_token=first(received, "x-amz-security-token"),
        expires=None,
        query=tuple(query),
    )


def _from_query(received: Mapping[str, list[str]], query: list[tuple[str, str]]) -> Claimed:
    params = dict(reversed(query))  # the first occurrence of each name wins
    required = ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
    missing = [f"AWS query-string parameters must include '{name}'." for name in required if not params.get(name)]
    if missing:
        raise SigV4Rejected(Reason.INCOMPLETE_SIGNATURE, f"{' '.join(missing)} Re-examine the query-string parameters.")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SigV4Rejected(Reason.MISSING_TOKEN, MISSING_TOKEN)
    return Claimed(
        credential=params["X-Amz-Credential"],
        signed_headers=_signed_header_names(params["X-Amz-SignedHeaders"]),
        signature=params["X-Amz-Signature"],
        timestamp=_parse_date(params["X-Amz-Date"], basic_only=True),
        security_token=params.get("X-Amz-Security-Token"),
        expires=_parse_expires(params.get("X-Amz-Expires")),
        # SECURITY: every parameter but the signature itself is covered by the signature
        query=tuple(pair for pair in query if pair[0] != "X-Amz-Signature"),
    )


def _signed_header_names(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(";") if name.strip())


def _parse_date(value: str, *, basic_only: bool) -> datetime:
    try:
        if _BASIC_RE.match(value):
            return datetime.strptime(value, _BASIC).replace(tzinfo=UTC)
        if not basic_only:
            return utc(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        pass
    raise SigV4Rejected(
        Reason.INCOMPLETE_SIGNATURE,
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise SigV4Rejected(Reason.INCOMPLETE_SIGNATURE, "X-Amz-Expires should be a number")
    if int(value) > MAX_EXPIRES:
        raise SigV4Rejected(
            Reason.INCOMPLETE_SIGNATURE, f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )
    return int(value)


def lowered(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Every header value under its lower-cased name, repeated headers kept in order."""
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        out.setdefault(name.lower(), []).append(value)
    return out


def first(received: Mapping[str, list[str]], name: str) -> str | None:
    values = received.get(name)
    return values[0] if values else None


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs in order; botocore re-encodes them canonically."""
    pairs = []
    for part in query_string.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote_plus(name, errors="replace"), unquote_plus(value, errors="replace")))
    return pairs


def _hash(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()).decode()


def fmt(moment: datetime) -> str:
    return moment.strftime(_BASIC)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
