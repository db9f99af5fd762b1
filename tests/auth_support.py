"""Shared by the auth tests over HTTP: authorizer handlers the gateway loads, signing and token helpers.

The gateway loads the handlers from this file by path (``HANDLER_FILE:token_handler``); the tests
get the very same module with ``support()``, so they can read ``CALLS``. The file is not a test
module (no ``test_`` prefix); pytest never collects it.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
import jwt
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerRequest, AuthorizerResult, unauthorized

HANDLER_FILE = str(Path(__file__).resolve())
MODULE: ModuleType = sys.modules[__name__]
CALLS: list[dict[str, Any]] = []  # every event a handler here received, in order

API_ID, ACCOUNT, REGION = "abcdef1234", "123456789012", "us-east-1"
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}"
MASKED_API = f"arn:aws:execute-api:{REGION}:********9012:{API_ID}"


def support() -> ModuleType:
    """This module as the gateway loaded it (same path -> same module, same ``CALLS``)."""
    from gatewaysim.authorizers.loading import resolve

    module: ModuleType = resolve(f"{HANDLER_FILE}:MODULE")
    return module


# -- Lambda authorizer handlers ---------------------------------------------------------------------


def _policy(effect: str, resource: str) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _answer(behaviour: str, method_arn: str, principal: str) -> dict[str, Any]:
    """The authorizer's answer for a behaviour word (see ``token_handler``)."""
    api = method_arn.split("/", 1)[0]
    if behaviour == "unauthorized":
        raise Exception("Unauthorized")
    if behaviour == "crash":
        raise ValueError("boom")
    if behaviour == "malformed":
        return {"principalId": principal}  # no policyDocument
    resources = {
        "allow": ("Allow", f"{api}/*"),
        "deny": ("Deny", f"{api}/*"),
        "neither": ("Allow", f"{api}/*/GET/elsewhere"),
        "allow-one": ("Allow", method_arn),
    }
    effect, resource = resources[behaviour]
    context = {"user": principal, "level": 3, "admin": False}
    return {"principalId": principal, "policyDocument": _policy(effect, resource), "context": context}


def token_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """TOKEN: the token is `<behaviour>` or `<behaviour>:<anything>`; behaviours in ``_answer``."""
    CALLS.append(event)
    token = event["authorizationToken"]
    return _answer(token.split(":", 1)[0], event["methodArn"], f"user-{token}")


def request_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """REQUEST: the behaviour is the `X-Key` header; the principal names the `tenant` query value."""
    CALLS.append(event)
    behaviour = event["headers"].get("X-Key", "")
    tenant = event["queryStringParameters"].get("tenant", "-")
    return _answer(behaviour, event["methodArn"], f"tenant-{tenant}")


class PluginAuthorizer:
    """A user plug-in: Allow when `X-Plugin` carries the configured secret, else 401."""

    needs_body = False

    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        CALLS.append({"plugin": request.method_arn})
        if request.headers.get("X-Plugin") != self.secret:
            return AuthorizerResult.rejected(unauthorized("wrong plug-in secret"))
        return AuthorizerResult(AuthorizerColumn.ALLOW, principal_id="plugged", context={"via": "plugin"})


def build_plugin(secret: str) -> PluginAuthorizer:
    """The ``factory`` a ``type: PLUGIN`` authorizer names."""
    return PluginAuthorizer(secret)


# -- policies -----------------------------------------------------------------------------------------


def statement(effect: str, resource: str = "execute-api:/*", principal: Any = "*") -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": "execute-api:Invoke", "Resource": resource}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def denied(caller: str, path: str, *, explicit: bool, method: str = "GET") -> dict[str, str]:
    """The ACCESS_DENIED body of a resource-policy refusal (account ids masked)."""
    who = caller if caller == "anonymous" else _mask_account(caller)
    text = f"User: {who} is not authorized to perform: execute-api:Invoke on resource: {MASKED_API}/prod/{method}{path}"
    return {"Message": text + (" with an explicit deny" if explicit else "")}


def _mask_account(arn: str) -> str:
    parts = arn.split(":")
    parts[4] = "********" + parts[4][-4:]
    return ":".join(parts)


# -- SigV4 ---------------------------------------------------------------------------------------------


def signed(
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    key: str,
    secret: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    service: str = "execute-api",
    region: str = REGION,
    at: datetime | None = None,
    presign: bool = False,
) -> tuple[str, dict[str, str]]:
    """Sign like a botocore client; returns the URL to send (presigned: with the query) and the headers."""
    request = AWSRequest(method=method, url=url, data=body, headers={"Host": urlsplit(url).netloc, **(headers or {})})
    credentials = Credentials(key, secret, token)
    signer = (
        SigV4QueryAuth(credentials, service, region, expires=300)
        if presign
        else SigV4Auth(credentials, service, region)
    )
    if at is None:
        signer.add_auth(request)
    else:
        naive = at.astimezone(UTC).replace(tzinfo=None)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive):
            signer.add_auth(request)
    return request.url, dict(request.headers.items())


# -- JWT -----------------------------------------------------------------------------------------------

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
POOL_ID = "us-east-1_TestPool1"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "app-client-1"


def public_jwks() -> dict[str, Any]:
    """The JWKS of ``RSA_KEY`` (kid ``rsa-1``, RS256) and ``EC_KEY`` (kid ``ec-1``, ES256): public keys only."""
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    return {
        "keys": [
            {**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
            {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"},
        ]
    }


def id_token(*, key: Any = RSA_KEY, kid: str = "rsa-1", algorithm: str = "RS256", **changes: Any) -> str:
    """A Cognito-style ID token, valid for an hour unless ``changes`` say otherwise."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "0f1e2d3c-user",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "email": "alice@example.com",
        "iat": now - 10,
        "exp": now + 3600,
        **changes,
    }
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm, headers={"kid": kid}
    )


def access_token(scope: str, **changes: Any) -> str:
    """A Cognito-style access token carrying ``scope`` (space separated)."""
    claims = {"token_use": "access", "aud": None, "client_id": CLIENT_ID, "scope": scope, **changes}
    return id_token(**claims)
