"""COGNITO_USER_POOLS: verify a Cognito-style JWT the way API Gateway's REST authorizer does.

:class:`JwtVerifier` checks, in order: the token is present (an optional ``Bearer `` prefix is a
setting, spec 8 OPEN), it is a JWT signed with an allowed algorithm (RS256 or ES256; ``none`` and
HS* are refused before any key is touched), its ``kid`` is in the issuer's JWKS and the key's
algorithm is the header's, the signature (PyJWT), ``iss``, ``exp`` / ``nbf`` / ``iat``,
``token_use`` (``id`` when the method has no scopes, ``access`` when it has), the audience (``aud``
of ID tokens / ``client_id`` of access tokens, only if app client ids are configured: a REST
Cognito authorizer itself names only user pools) and finally the scopes (any method scope in the
space-separated ``scope`` claim). Failures are :class:`JwtRejected`: 401 ``Unauthorized``, or 401
``The incoming token has expired``.

:meth:`JwtVerifier.verify` is pure and synchronous; :meth:`JwtVerifier.verify_async` adds the one
I/O the check may need, a rate-limited JWKS refetch when a token names an unknown ``kid``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from gatewaysim.authorizers.claims import stringify_claims
from gatewaysim.authorizers.jwks import SUPPORTED_ALGORITHMS, JwksCache, JwksSource
from gatewaysim.errors import AuthorizerError, ConfigError, GatewaysimError, Problem

__all__ = ["EXPIRED", "UNAUTHORIZED", "JwtConfig", "JwtRejected", "JwtVerifier", "VerifiedToken"]

UNAUTHORIZED = "Unauthorized"
EXPIRED = "The incoming token has expired"
_POOL_RE = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$")
_CONFIG_KEYS = frozenset(
    {
        "issuer",
        "user_pool_id",
        "jwks",
        "audiences",
        "accept_bearer_prefix",
        "algorithms",
        "leeway",
        "jwks_refresh_interval",
        "jwks_timeout",
        "jwks_max_bytes",
    }
)


class JwtRejected(GatewaysimError, PermissionError):
    """The token was refused; ``message`` is API Gateway's body text, ``detail`` says why (log only)."""

    status = 401
    error_type = "UnauthorizedException"
    response_type = "UNAUTHORIZED"

    def __init__(self, message: str, detail: str, *, unknown_kid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.unknown_kid = unknown_kid


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """One Cognito user pool (issuer) and how its tokens are checked."""

    issuer: str
    jwks: JwksSource
    audiences: tuple[str, ...] = ()
    accept_bearer_prefix: bool = False
    algorithms: frozenset[str] = SUPPORTED_ALGORITHMS
    leeway: float = 0.0
    jwks_refresh_interval: float = 300.0
    jwks_timeout: float = 1.5
    jwks_max_bytes: int = 150_000

    @classmethod
    def from_mapping(cls, data: object, *, source: str | None = None) -> JwtConfig:
        """Build from config: ``issuer`` or ``user_pool_id``, ``jwks`` (default: the issuer's URL), ..."""
        if not isinstance(data, Mapping):
            raise ConfigError([Problem("", "the cognito authorizer settings must be a mapping")], source)
        problems = [Problem(str(k), f"unknown setting `{k}`") for k in data if k not in _CONFIG_KEYS]
        issuer = _issuer(data, problems)
        jwks: JwksSource | None = None
        try:
            jwks = JwksSource.parse(data.get("jwks", f"{issuer}/.well-known/jwks.json"))
        except ConfigError as exc:
            problems.extend(exc.problems)
        audiences = _strings(data.get("audiences", ()), "audiences", problems)
        algorithms = frozenset(_strings(data.get("algorithms", sorted(SUPPORTED_ALGORITHMS)), "algorithms", problems))
        for name in sorted(algorithms - SUPPORTED_ALGORITHMS):  # SECURITY: never none / HS* / anything else
            problems.append(Problem("algorithms", f"`{name}` is not supported (use RS256 and/or ES256)"))
        bearer = data.get("accept_bearer_prefix", False)
        if not isinstance(bearer, bool):
            problems.append(Problem("accept_bearer_prefix", "must be true or false"))
        leeway = _number(data, "leeway", 0.0, problems)
        refresh = _number(data, "jwks_refresh_interval", 300.0, problems)
        timeout = _number(data, "jwks_timeout", 1.5, problems)
        max_bytes = _number(data, "jwks_max_bytes", 150_000, problems)
        if problems or jwks is None:
            raise ConfigError(problems, source)
        return cls(
            issuer,
            jwks,
            audiences,
            bearer is True,
            algorithms or SUPPORTED_ALGORITHMS,
            leeway,
            refresh,
            timeout,
            int(max_bytes),
        )


def _issuer(data: Mapping[str, Any], problems: list[Problem]) -> str:
    issuer, pool = data.get("issuer"), data.get("user_pool_id")
    if isinstance(issuer, str) and issuer:
        return issuer.rstrip("/")
    if issuer is not None:
        problems.append(Problem("issuer", "must be a non-empty string"))
    elif isinstance(pool, str) and (m := _POOL_RE.match(pool)):
        return f"https://cognito-idp.{m.group('region')}.amazonaws.com/{pool}"
    elif pool is not None:
        problems.append(Problem("user_pool_id", f"`{pool}` is not a user pool id like `us-east-1_Example`"))
    else:
        problems.append(Problem("issuer", "missing (or give `user_pool_id`)"))
    return ""


def _strings(raw: object, name: str, problems: list[Problem]) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) and i for i in items):
        problems.append(Problem(name, "must be a string or a list of strings"))
        return ()
    return tuple(items)


def _number(data: Mapping[str, Any], name: str, default: float, problems: list[Problem]) -> float:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.append(Problem(name, "must be a number, zero or more"))
        return default
    return float(value)


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token that passed every check."""

    claims: Mapping[str, Any]
    token_use: str
    scopes: tuple[str, ...] = ()
    subject: str = ""
    granted: tuple[str, ...] = field(default=())  # the method scopes the token satisfied

    def authorizer_context(self) -> dict[str, dict[str, str]]:
        """``requestContext.authorizer`` as API Gateway fills it: every claim as a string."""
        return {"claims": stringify_claims(self.claims)}


class JwtVerifier:
    """Verifies tokens of one issuer; build once at load time, call per request."""

    def __init__(self, config: JwtConfig, *, jwks: JwksCache | None = None) -> None:
        self.config = config
        self.jwks = jwks or JwksCache(
            config.jwks,
            algorithms=config.algorithms,
            refresh_interval=config.jwks_refresh_interval,
            timeout=config.jwks_timeout,
            max_bytes=config.jwks_max_bytes,
        )

    def verify(
        self, authorization_header_value: str | None, *, scopes: Sequence[str] = (), now: float | None = None
    ) -> VerifiedToken:
        """Check a token with the keys at hand; raise :class:`JwtRejected` (401) on any failure."""
        token = self._token(authorization_header_value)
        key, algorithm = self._key(token)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                # time, issuer and audience rules are checked below, against the caller's clock
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise JwtRejected(UNAUTHORIZED, f"bad token: {exc}") from None
        return self._check_claims(claims, tuple(scopes), time.time() if now is None else now)

    async def verify_async(
        self, authorization_header_value: str | None, *, scopes: Sequence[str] = (), now: float | None = None
    ) -> VerifiedToken:
        """:meth:`verify`, refetching the JWKS once if the token names a key not seen yet."""
        try:
            return self.verify(authorization_header_value, scopes=scopes, now=now)
        except JwtRejected as rejected:
            if not rejected.unknown_kid or not self.jwks.remote:
                raise
            refreshed = await self.jwks.refresh()
            if not self.jwks.loaded:
                raise AuthorizerError(f"no signing keys for `{self.config.issuer}` could be loaded") from None
            if not refreshed:
                raise
        return self.verify(authorization_header_value, scopes=scopes, now=now)

    def _token(self, value: str | None) -> str:
        token = (value or "").strip()
        if self.config.accept_bearer_prefix and token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise JwtRejected(UNAUTHORIZED, "no token")
        return token

    def _key(self, token: str) -> tuple[jwt.PyJWK, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise JwtRejected(UNAUTHORIZED, "not a JWT") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        # SECURITY: the algorithm is chosen by us, not by the token: none and HS* never get here
        if not isinstance(algorithm, str) or algorithm not in self.config.algorithms:
            raise JwtRejected(UNAUTHORIZED, f"algorithm `{algorithm}` is not allowed")
        if not isinstance(kid, str) or not kid:
            raise JwtRejected(UNAUTHORIZED, "no kid in the token header")
        key = self.jwks.get(kid)
        if key is None:
            raise JwtRejected(UNAUTHORIZED, f"unknown kid `{kid}`", unknown_kid=True)
        if key.algorithm_name != algorithm:  # SECURITY: an RSA key only checks RS256, an EC key ES256
            raise JwtRejected(UNAUTHORIZED, f"key `{kid}` is for {key.algorithm_name}, not {algorithm}")
        return key, algorithm

    def _check_claims(self, claims: dict[str, Any], scopes: tuple[str, ...], now: float) -> VerifiedToken:
        leeway = self.config.leeway
        if claims.get("iss") != self.config.issuer:
            raise JwtRejected(UNAUTHORIZED, f"issuer `{claims.get('iss')}` is not `{self.config.issuer}`")
        exp = _time_claim(claims, "exp", required=True)
        if exp is not None and exp <= now - leeway:
            raise JwtRejected(EXPIRED, "token expired")
        for name in ("nbf", "iat"):
            moment = _time_claim(claims, name)
            if moment is not None and moment > now + leeway:
                raise JwtRejected(UNAUTHORIZED, f"`{name}` is in the future")
        token_use = "access" if scopes else "id"
        if claims.get("token_use") != token_use:
            raise JwtRejected(UNAUTHORIZED, f"token_use `{claims.get('token_use')}`, expected `{token_use}`")
        self._check_audience(claims, token_use)
        granted_scopes = tuple(str(claims.get("scope") or "").split())
        granted = tuple(s for s in scopes if s in granted_scopes)
        if scopes and not granted:
            raise JwtRejected(UNAUTHORIZED, f"none of the scopes {', '.join(scopes)} is in the token")
        subject = claims.get("sub")
        return VerifiedToken(claims, token_use, granted_scopes, subject if isinstance(subject, str) else "", granted)

    def _check_audience(self, claims: Mapping[str, Any], token_use: str) -> None:
        if not self.config.audiences:
            return
        raw = claims.get("aud") if token_use == "id" else claims.get("client_id")
        values = raw if isinstance(raw, list) else [raw]
        if not any(isinstance(v, str) and v in self.config.audiences for v in values):
            name = "aud" if token_use == "id" else "client_id"
            raise JwtRejected(UNAUTHORIZED, f"`{name}` `{raw}` is not an accepted app client")


def _time_claim(claims: Mapping[str, Any], name: str, *, required: bool = False) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JwtRejected(UNAUTHORIZED, f"`{name}` is missing or not a number")
    return float(value)
