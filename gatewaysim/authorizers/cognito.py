"""``authorizationType: COGNITO_USER_POOLS``: verify the JWT from the token header.

A method without scopes takes an ID token; with scopes an access token holding any of them
(spec 8). The token's claims reach the backend as the authorizer context. A verified token is the
authorizer's Allow; every failure is a 401 (``Unauthorized`` or ``The incoming token has
expired``), a JWKS that cannot be loaded a 500.
"""

from __future__ import annotations

from collections.abc import Sequence

import jwt

from gatewaysim.authorizers.base import (
    AuthorizerColumn,
    AuthorizerRequest,
    AuthorizerResult,
    Rejection,
    configuration_error,
)
from gatewaysim.authorizers.jwt import JwtRejected, JwtVerifier
from gatewaysim.errors import AuthorizerError

__all__ = ["CognitoAuthorizer"]


class CognitoAuthorizer:
    """One or more user pools (one verifier each); the token's ``iss`` picks the pool."""

    needs_body = False

    def __init__(self, verifiers: Sequence[JwtVerifier], *, header: str = "Authorization") -> None:
        if not verifiers:
            raise ValueError("a Cognito authorizer needs at least one user pool")
        self.verifiers = tuple(verifiers)
        self.header = header

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        """Verify the token; the claims become the authorizer context."""
        value = request.headers.get(self.header)
        verifier = self._pick(value)
        try:
            token = await verifier.verify_async(value, scopes=request.authorization_scopes)
        except JwtRejected as exc:
            return AuthorizerResult.rejected(
                Rejection(exc.response_type, exc.status, exc.message, exc.error_type, exc.detail)
            )
        except AuthorizerError as exc:
            return AuthorizerResult.rejected(configuration_error(str(exc)))
        claims = token.authorizer_context()["claims"]
        return AuthorizerResult(AuthorizerColumn.ALLOW, principal_id=token.subject or None, claims=claims)

    def _pick(self, value: str | None) -> JwtVerifier:
        if len(self.verifiers) == 1 or not value:
            return self.verifiers[0]
        issuer = _unverified_issuer(value)
        for verifier in self.verifiers:
            if verifier.config.issuer == issuer:
                return verifier
        return self.verifiers[0]


def _unverified_issuer(value: str) -> str | None:
    """Only to choose which pool verifies the token; the chosen verifier checks ``iss`` itself."""
    token = value.split(" ", 1)[-1].strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None
