"""The answer for a request that names no method: AWS's 403, shaped by its ``Authorization`` header.

API Gateway answers an unknown stage, path or verb with 403 ``Missing Authentication Token``
(spec 6.2, trap 14). When the request carries an ``Authorization`` header that is not a SigV4
signature (``Bearer x``, ``Basic ...``), API Gateway reads it as one anyway and answers
``IncompleteSignatureException`` with ``Invalid key=value pair (missing equal-sign) in
Authorization header (hashed with SHA-256 and encoded with Base64): '<hash>'.`` (the header is
never echoed: only its hash). A well-formed SigV4 header keeps ``Missing Authentication Token``.
"""

from __future__ import annotations

from aiohttp import web

from gatewaysim.authorizers.base import Rejection
from gatewaysim.gateway.exchange import Exchange

__all__ = ["no_method"]


def no_method(request: web.BaseRequest, x: Exchange, reason: str) -> web.Response:
    """403 ``Missing Authentication Token``, or AWS's IncompleteSignature text (module docstring)."""
    authorization = request.headers.get("Authorization", "")
    if authorization.strip():
        # the SigV4 reader, only for a request that sends an Authorization header
        from gatewaysim.authorizers.sigv4_errors import Reason, SigV4Rejected
        from gatewaysim.authorizers.sigv4_parse import lowered, read_claim

        try:
            read_claim(lowered(request.headers), "")
        except SigV4Rejected as exc:
            if exc.reason is Reason.INCOMPLETE_SIGNATURE:
                status = SigV4Rejected.status
                rejection = Rejection("MISSING_AUTHENTICATION_TOKEN", status, exc.message, exc.error_type, reason)
                return x.reject(rejection)
    return x.fail("MISSING_AUTHENTICATION_TOKEN", reason)
