"""Correlation ids: the request id, the ``apigw`` id and the X-Ray trace root; resource ids.

They label a request in logs and headers; they are not secrets and nothing trusts them. So they
come from ``random.getrandbits`` (no system call; re-seeded in forked children) rather than
``os.urandom``, which costs a ``getrandom`` call each, three per request on the hot path.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping
from random import getrandbits
from typing import Final, NamedTuple

__all__ = [
    "TRACE_HEADER",
    "RequestIds",
    "apigw_id",
    "deployment_id",
    "request_id",
    "resource_id",
    "trace_id",
    "trace_root",
]

TRACE_HEADER: Final = "X-Amzn-Trace-Id"
_UUID4_CLEAR: Final = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET: Final = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def request_id() -> str:
    """A version-4 UUID string, like ``x-amzn-RequestId``."""
    b = (getrandbits(128) & _UUID4_CLEAR | _UUID4_SET).to_bytes(16, "big")  # half the time of `:032x`
    return f"{b[:4].hex()}-{b[4:6].hex()}-{b[6:8].hex()}-{b[8:10].hex()}-{b[10:].hex()}"


def apigw_id() -> str:
    """A 16-character URL-safe base64 id, like ``x-amz-apigw-id`` (``R9NOvE-qIAMECfw=``)."""
    return base64.urlsafe_b64encode(getrandbits(88).to_bytes(11, "big")).decode("ascii")


def trace_root(now: float, request_id: str | None = None) -> str:
    """An X-Ray style ``Root=1-{epoch seconds, hex}-{24 hex}``: from ``request_id`` when given, so
    the backend, the Lambda event and the client's answer carry the same trace id; else random."""
    unique = request_id.replace("-", "")[:24] if request_id else f"{getrandbits(96):024x}"
    return f"Root=1-{int(now):08x}-{unique}"


def trace_id(headers: Mapping[str, str], now: float, request_id: str) -> str:
    """The request's ``X-Amzn-Trace-Id``: the caller's when it sent one, else the gateway's (``trace_root``)."""
    return headers.get(TRACE_HEADER) or trace_root(now, request_id)


class RequestIds(NamedTuple):
    """The ids API Gateway stamps on every answer: ``x-amzn-RequestId`` and ``x-amz-apigw-id``.

    A named tuple, as ``RequestContext``: one is built for every request.
    """

    request_id: str
    apigw_id: str

    @classmethod
    def new(cls) -> RequestIds:
        """A fresh UUID4 request id and a 16-character base64 ``apigw`` id (like ``R9NOvE-qIAMECfw=``)."""
        return cls(request_id(), apigw_id())

    def headers(self) -> dict[str, str]:
        """The id headers for any answer, gateway-made or forwarded."""
        return {"x-amzn-RequestId": self.request_id, "x-amz-apigw-id": self.apigw_id}


_ID_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz0123456789"


def _short_id(text: str, length: int) -> str:
    digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:12], "big")
    out = []
    for _ in range(length):
        digest, index = divmod(digest, len(_ID_ALPHABET))
        out.append(_ID_ALPHABET[index])
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def resource_id(api_id: str, resource: str) -> str:
    """A 10-character resource id (``$context.resourceId``), the same for every request to ``resource``.

    AWS assigns random ids; these are derived from the API and the resource template, so the
    authorizer's event, the proxy event and the logs agree, across restarts too.
    """
    return _short_id(f"{api_id} {resource}", 10)


@functools.lru_cache(maxsize=256)
def deployment_id(api_id: str, stage: str) -> str:
    """A 6-character id of the deployment behind ``stage`` (``$context.deploymentId``; one per stage here)."""
    return _short_id(f"{api_id} {stage} deployment", 6)
