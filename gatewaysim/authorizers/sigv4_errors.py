"""Why a SigV4 request is refused: AWS's texts, ``x-amzn-ErrorType`` and gateway response types.

Provenance of the texts (see spec 6.2 and 9): seen in real API Gateway answers quoted in public
issues: Missing Authentication Token, the hashed "Invalid key=value pair" and "Authorization
header requires ..." texts, the signature mismatch with its canonical request, Signature expired,
the region and service scope texts, the invalid security token. Seen from the same AWS signing
front end on other services (STS, DynamoDB) and assumed identical here: Signature not yet current,
the 5-element credential, terminator and scope-date texts, the Host text, the date format text,
the expired security token, the presigned query-string texts. S3's texts, reused: the
``x-amz-content-sha256`` mismatch and the ``X-Amz-Expires`` limits. Gateway response types for
IncompleteSignature, UnrecognizedClient and ExpiredToken are inferred.
"""

from __future__ import annotations

from enum import Enum

from gatewaysim.errors import GatewaysimError

__all__ = [
    "BODY_HASH_MISMATCH",
    "EXPIRED_TOKEN",
    "HOST_NOT_SIGNED",
    "INVALID_TOKEN",
    "MISSING_TOKEN",
    "SIGNATURE_MISMATCH",
    "Reason",
    "SigV4Rejected",
]

MISSING_TOKEN = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
BODY_HASH_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."


class Reason(Enum):
    """Why a request was refused, as ``(x-amzn-ErrorType, gateway response type)``."""

    MISSING_TOKEN = ("MissingAuthenticationTokenException", "MISSING_AUTHENTICATION_TOKEN")
    INCOMPLETE_SIGNATURE = ("IncompleteSignatureException", "MISSING_AUTHENTICATION_TOKEN")
    INVALID_SIGNATURE = ("InvalidSignatureException", "INVALID_SIGNATURE")
    UNRECOGNIZED_CLIENT = ("UnrecognizedClientException", "DEFAULT_4XX")
    EXPIRED_TOKEN = ("ExpiredTokenException", "EXPIRED_TOKEN")


class SigV4Rejected(GatewaysimError, PermissionError):
    """A SigV4 check failed; ``message`` is AWS's text for it, answered with status 403."""

    status = 403

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def error_type(self) -> str:
        """The ``x-amzn-ErrorType`` header value."""
        return self.reason.value[0]

    @property
    def response_type(self) -> str:
        """The API Gateway gateway response type (``MISSING_AUTHENTICATION_TOKEN`` ...)."""
        return self.reason.value[1]
