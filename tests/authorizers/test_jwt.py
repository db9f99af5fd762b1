"""COGNITO_USER_POOLS: real RS256/ES256 keys, real JWTs signed with PyJWT, a real JWKS endpoint."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pytest_aiohttp import AiohttpServer

from gatewaysim.authorizers import claims as claims_module
from gatewaysim.authorizers import jwks as jwks_module
from gatewaysim.authorizers import jwt as jwt_module
from gatewaysim.authorizers.claims import java_date, stringify_claims
from gatewaysim.authorizers.jwks import JwksCache, JwksSource, parse_jwks
from gatewaysim.authorizers.jwt import JwtConfig, JwtRejected, JwtVerifier
from gatewaysim.errors import AuthorizerError, ConfigError

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
CLIENT = "4ppcl1ent1d"
NOW = 1_714_564_800.0  # 2024-05-01T12:00:00Z
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(private_key: Any, kid: str) -> dict[str, Any]:
    """The public JWK of a key, as Cognito publishes it."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        data = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        return {**data, "kid": kid, "alg": "RS256", "use": "sig"}
    data = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**data, "kid": kid, "alg": "ES256", "use": "sig"}


JWKS = {"keys": [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]}


def id_claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "aud": CLIENT,
        "email_verified": True,
        "token_use": "id",
        "auth_time": int(NOW) - 60,
        "iss": ISSUER,
        "cognito:username": "alice",
        "cognito:groups": ["admin", "dev"],
        "exp": int(NOW) + 3600,
        "iat": int(NOW) - 60,
        "email": "alice@example.com",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def access_claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "pets/read openid",
        "auth_time": int(NOW) - 60,
        "iss": ISSUER,
        "exp": int(NOW) + 3600,
        "iat": int(NOW) - 60,
        "username": "alice",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def token(claims: dict[str, Any], key: Any = RSA_KEY, kid: str = "rsa-1", algorithm: str = "RS256") -> str:
    return pyjwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A token built by hand, the way an attacker would."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def verifier(**settings: Any) -> JwtVerifier:
    return JwtVerifier(JwtConfig.from_mapping({"issuer": ISSUER, "jwks": JWKS, **settings}))


def rejected(value: str | None, *, scopes: tuple[str, ...] = (), check: JwtVerifier | None = None) -> JwtRejected:
    with pytest.raises(JwtRejected) as info:
        (check or verifier()).verify(value, scopes=scopes, now=NOW)
    assert info.value.status == 401
    assert info.value.response_type == "UNAUTHORIZED"
    return info.value


# -- tokens that pass ------------------------------------------------------------------------------


def test_valid_id_token_rs256() -> None:
    result = verifier().verify(token(id_claims()), now=NOW)
    assert result.token_use == "id"
    assert result.subject == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert result.claims["cognito:username"] == "alice"
    assert result.scopes == ()


def test_valid_access_token_es256_with_scopes() -> None:
    value = token(access_claims(), EC_KEY, "ec-1", "ES256")
    result = verifier().verify(value, scopes=("pets/write", "pets/read"), now=NOW)
    assert result.token_use == "access"
    assert result.scopes == ("pets/read", "openid")
    assert result.granted == ("pets/read",)


def test_authorizer_context_stringifies_claims_like_api_gateway() -> None:
    result = verifier().verify(token(id_claims()), now=NOW)
    assert result.authorizer_context() == {
        "claims": {
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "aud": CLIENT,
            "email_verified": "true",
            "token_use": "id",
            "auth_time": "1714564740",
            "iss": ISSUER,
            "cognito:username": "alice",
            "cognito:groups": "[admin dev]",
            "exp": "Wed May 01 13:00:00 UTC 2024",
            "iat": "Wed May 01 11:59:00 UTC 2024",
            "email": "alice@example.com",
        }
    }


def test_claim_rendering_table() -> None:
    assert java_date(1469818373) == "Fri Jul 29 18:52:53 UTC 2016"  # the shape seen in a real event
    assert stringify_claims({"n": 1.0, "f": 1.5, "none": None, "obj": {"a": [1, "é"]}, "no": False}) == {
        "n": "1",
        "f": "1.5",
        "none": "null",
        "obj": '{"a":[1,"é"]}',
        "no": "false",
    }


def test_audience_is_only_checked_when_app_clients_are_configured() -> None:
    other = token(id_claims(aud="someone-else"))
    assert verifier().verify(other, now=NOW).subject  # REST Cognito authorizers name pools, not clients
    assert rejected(other, check=verifier(audiences=[CLIENT])).message == "Unauthorized"
    assert verifier(audiences=[CLIENT]).verify(token(id_claims()), now=NOW).token_use == "id"


def test_access_token_audience_is_client_id() -> None:
    check = verifier(audiences=CLIENT)
    assert check.verify(token(access_claims()), scopes=("pets/read",), now=NOW).token_use == "access"
    error = rejected(token(access_claims(client_id="other")), scopes=("pets/read",), check=check)
    assert "client_id" in error.detail


def test_bearer_prefix_is_a_setting() -> None:
    value = f"Bearer {token(id_claims())}"
    assert rejected(value).detail == "not a JWT"
    assert verifier(accept_bearer_prefix=True).verify(value, now=NOW).token_use == "id"
    assert verifier(accept_bearer_prefix=True).verify(value.replace("Bearer", "bearer"), now=NOW).subject


def test_leeway_and_the_real_clock() -> None:
    late = token(id_claims(exp=int(NOW) - 10))
    assert verifier(leeway=30).verify(late, now=NOW).token_use == "id"
    fresh = token(id_claims(exp=int(time.time()) + 600, iat=int(time.time()) - 5))
    assert verifier().verify(fresh).token_use == "id"


# -- tokens API Gateway refuses -----------------------------------------------------------------------


@pytest.mark.parametrize("exp_offset", [0, -1, -86400], ids=["exactly-now", "a-second-ago", "a-day-ago"])
def test_expired(exp_offset: int) -> None:
    error = rejected(token(id_claims(exp=int(NOW) + exp_offset)))
    assert error.message == "The incoming token has expired"


def test_wrong_issuer() -> None:
    error = rejected(token(id_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")))
    assert error.message == "Unauthorized" and "issuer" in error.detail


def test_signed_with_another_key() -> None:
    error = rejected(token(id_claims(), key=OTHER_RSA_KEY, kid="rsa-1"))
    assert error.message == "Unauthorized" and error.detail.startswith("bad token")


def test_tampered_payload() -> None:
    header, _, signature = token(id_claims()).split(".")
    forged = b64(json.dumps(id_claims(**{"cognito:groups": ["root"]})).encode())
    assert rejected(f"{header}.{forged}.{signature}").message == "Unauthorized"


def test_unknown_kid() -> None:
    error = rejected(token(id_claims(), kid="rotated-away"))
    assert error.message == "Unauthorized" and error.unknown_kid is True


def test_alg_none() -> None:
    value = handmade({"alg": "none", "kid": "rsa-1"}, id_claims(), lambda _: b"")
    assert rejected(value).detail == "algorithm `none` is not allowed"
    assert rejected(value.rsplit(".", 1)[0] + ".").message == "Unauthorized"


def test_hs256_with_the_public_key_as_secret() -> None:
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    value = handmade(
        {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
        id_claims(),
        lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
    )
    assert rejected(value).detail == "algorithm `HS256` is not allowed"


def test_key_type_must_match_the_header_algorithm() -> None:
    value = token(id_claims(), EC_KEY, "rsa-1", "ES256")  # an ES256 token naming the RSA key
    assert rejected(value).detail == "key `rsa-1` is for RS256, not ES256"


def test_missing_scope() -> None:
    error = rejected(token(access_claims(scope="pets/read")), scopes=("pets/write", "admin"))
    assert error.message == "Unauthorized" and "none of the scopes" in error.detail


@pytest.mark.parametrize(
    ("claims", "scopes"),
    [(access_claims(), ()), (id_claims(), ("pets/read",))],
    ids=["access-token-on-scopeless-method", "id-token-on-scoped-method"],
)
def test_wrong_token_use(claims: dict[str, Any], scopes: tuple[str, ...]) -> None:
    assert "token_use" in rejected(token(claims), scopes=scopes).detail


@pytest.mark.parametrize(
    "claims",
    [
        id_claims(nbf=int(NOW) + 60),
        id_claims(iat=int(NOW) + 60),
        id_claims(exp=None),
        id_claims(exp="tomorrow"),
        id_claims(token_use=None),
    ],
    ids=["nbf-future", "iat-future", "no-exp", "exp-not-a-number", "no-token-use"],
)
def test_bad_time_and_use_claims(claims: dict[str, Any]) -> None:
    assert rejected(token(claims)).message == "Unauthorized"


@pytest.mark.parametrize("value", [None, "", "   ", "not-a-jwt", "a.b.c", "Basic dXNlcjpwYXNz"])
def test_missing_or_garbage(value: str | None) -> None:
    assert rejected(value).message == "Unauthorized"


def test_rejection_is_a_gatewaysim_error() -> None:
    from gatewaysim.errors import GatewaysimError

    error = rejected(None)
    assert isinstance(error, GatewaysimError) and str(error) == "Unauthorized"
    assert error.error_type == "UnauthorizedException"


# -- configuration -----------------------------------------------------------------------------------


def test_config_from_user_pool_id() -> None:
    config = JwtConfig.from_mapping({"user_pool_id": "eu-west-2_AbC123"})
    assert config.issuer == "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbC123"
    assert config.jwks.url == f"{config.issuer}/.well-known/jwks.json"
    assert config.algorithms == frozenset({"RS256", "ES256"}) and config.accept_bearer_prefix is False


def test_config_errors_are_located() -> None:
    with pytest.raises(ConfigError) as info:
        JwtConfig.from_mapping(
            {
                "user_pool_id": "nope",
                "colour": "red",
                "jwks": 42,
                "audiences": [1],
                "algorithms": ["RS256", "HS256", "none"],
                "accept_bearer_prefix": "yes",
                "leeway": -1,
                "jwks_timeout": "fast",
            },
            source="api.yaml",
        )
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("colour", "unknown setting `colour`"),
        ("user_pool_id", "`nope` is not a user pool id like `us-east-1_Example`"),
        ("jwks", "must be a file path, an http(s) URL or an inline JWKS object"),
        ("audiences", "must be a string or a list of strings"),
        ("algorithms", "`HS256` is not supported (use RS256 and/or ES256)"),
        ("algorithms", "`none` is not supported (use RS256 and/or ES256)"),
        ("accept_bearer_prefix", "must be true or false"),
        ("leeway", "must be a number, zero or more"),
        ("jwks_timeout", "must be a number, zero or more"),
    ]
    with pytest.raises(ConfigError, match="issuer: missing"):
        JwtConfig.from_mapping({"jwks": JWKS})
    with pytest.raises(ConfigError, match="must be a mapping"):
        JwtConfig.from_mapping("issuer")


def test_parse_jwks_skips_what_cannot_sign_our_tokens() -> None:
    secret_key = {"kty": "oct", "k": b64(b"s3cr3t"), "kid": "hmac"}
    encryption = {**jwk(OTHER_RSA_KEY, "enc-1"), "use": "enc", "alg": "RSA-OAEP"}
    keys = parse_jwks({"keys": [secret_key, encryption, jwk(RSA_KEY, "rsa-1")]})
    assert list(keys) == ["rsa-1"]
    with pytest.raises(ConfigError, match="no signing key for ES256, RS256"):
        parse_jwks({"keys": [secret_key]})


def test_parse_jwks_errors_are_located() -> None:
    private = RSAAlgorithm.to_jwk(RSA_KEY, as_dict=True)
    with pytest.raises(ConfigError) as info:
        parse_jwks(
            {
                "keys": [
                    "nope",
                    {"kty": "RSA", "n": "x"},
                    {**private, "kid": "leaked"},
                    {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
                    jwk(RSA_KEY, "dup"),
                    jwk(RSA_KEY, "dup"),
                ]
            },
            source="pool.json",
        )
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("keys[0]", "must be a JWK object"),
        ("keys[1].kid", "missing"),
        ("keys[2]", "key `leaked` contains private key material"),
        ("keys[3]", "key `broken` is not a valid public key"),
        ("keys[5].kid", "duplicate kid `dup`"),
    ]
    with pytest.raises(ConfigError, match="`keys` list"):
        parse_jwks([])


async def test_jwks_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    cache = JwksCache(JwksSource.parse(str(path)))
    assert not cache.loaded
    await cache.load()
    assert cache.kids == ("rsa-1", "ec-1")
    sync_cache = JwksCache(JwksSource.parse(path))
    sync_cache.load_sync()
    assert sync_cache.loaded and not sync_cache.remote
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        JwksCache(JwksSource(path=tmp_path / "bad.json")).load_sync()
    with pytest.raises(ConfigError, match="cannot read file"):
        await JwksCache(JwksSource(path=tmp_path / "absent.json")).load()


# -- a JWKS served over a real socket --------------------------------------------------------------


@dataclass
class JwksEndpoint:
    url: str
    document: dict[str, Any]
    requests: int = 0
    status: int = 200
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
async def endpoint(aiohttp_server: AiohttpServer) -> AsyncIterator[JwksEndpoint]:
    state = JwksEndpoint(url="", document={"keys": [jwk(RSA_KEY, "rsa-1")]})

    async def serve(request: web.Request) -> web.Response:
        state.requests += 1
        return web.json_response({**state.document, **state.extra}, status=state.status)

    app = web.Application()
    app.router.add_get("/us-east-1_Example/.well-known/jwks.json", serve)
    server = await aiohttp_server(app, host="127.0.0.1")
    state.url = f"http://127.0.0.1:{server.port}/us-east-1_Example/.well-known/jwks.json"
    yield state


class FakeClock:
    """An injected monotonic clock, so the refetch interval can pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def remote_verifier(endpoint: JwksEndpoint, clock: FakeClock) -> JwtVerifier:
    config = JwtConfig.from_mapping({"issuer": ISSUER, "jwks": endpoint.url, "jwks_refresh_interval": 60})
    cache = JwksCache(config.jwks, refresh_interval=config.jwks_refresh_interval, clock=clock)
    return JwtVerifier(config, jwks=cache)


async def test_remote_jwks_is_fetched_once(endpoint: JwksEndpoint) -> None:
    check = remote_verifier(endpoint, FakeClock())
    await check.jwks.load()
    for _ in range(20):
        assert (await check.verify_async(token(id_claims()), now=NOW)).token_use == "id"
        assert check.verify(token(id_claims()), now=NOW).token_use == "id"
    assert endpoint.requests == 1 and check.jwks.fetches == 1


async def test_first_request_fetches_lazily(endpoint: JwksEndpoint) -> None:
    check = remote_verifier(endpoint, FakeClock())
    results = await asyncio.gather(*(check.verify_async(token(id_claims()), now=NOW) for _ in range(5)))
    assert [r.token_use for r in results] == ["id"] * 5
    assert endpoint.requests == 1  # concurrent unknown-kid requests share one fetch


async def test_unknown_kid_refetches_at_most_once_per_interval(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    check = remote_verifier(endpoint, clock)
    await check.jwks.load()
    endpoint.document = {"keys": [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-2")]}  # the pool rotates keys
    clock.now += 30
    rotated = token(access_claims(), EC_KEY, "ec-2", "ES256")
    with pytest.raises(JwtRejected) as info:
        await check.verify_async(rotated, scopes=("pets/read",), now=NOW)
    assert info.value.unknown_kid and endpoint.requests == 1  # too soon: no refetch
    clock.now += 31
    assert (await check.verify_async(rotated, scopes=("pets/read",), now=NOW)).token_use == "access"
    assert endpoint.requests == 2
    for _ in range(3):  # a kid nobody has: at most one refetch per interval
        with pytest.raises(JwtRejected):
            await check.verify_async(token(id_claims(), kid="forged"), now=NOW)
    assert endpoint.requests == 2
    clock.now += 61
    with pytest.raises(JwtRejected):
        await check.verify_async(token(id_claims(), kid="forged"), now=NOW)
    assert endpoint.requests == 3


async def test_load_sync_over_http(endpoint: JwksEndpoint) -> None:
    cache = JwksCache(JwksSource(url=endpoint.url))
    await asyncio.to_thread(cache.load_sync)  # the blocking startup path, off this test's loop
    assert cache.kids == ("rsa-1",) and endpoint.requests == 1


async def test_remote_jwks_failures(endpoint: JwksEndpoint) -> None:
    endpoint.status = 500
    with pytest.raises(ConfigError, match="answered HTTP 500"):
        await JwksCache(JwksSource(url=endpoint.url)).load()
    with pytest.raises(ConfigError, match="cannot fetch"):
        await asyncio.to_thread(JwksCache(JwksSource(url=endpoint.url)).load_sync)
    endpoint.status = 200
    endpoint.extra = {"padding": "x" * 2000}
    with pytest.raises(ConfigError, match="more than 1000 bytes"):
        await JwksCache(JwksSource(url=endpoint.url), max_bytes=1000).load()
    with pytest.raises(ConfigError, match="more than 1000 bytes"):
        await asyncio.to_thread(JwksCache(JwksSource(url=endpoint.url), max_bytes=1000).load_sync)


async def test_unreachable_jwks_is_a_configuration_error(endpoint: JwksEndpoint) -> None:
    endpoint.status = 503
    check = remote_verifier(endpoint, FakeClock())
    with pytest.raises(AuthorizerError, match="no signing keys"):
        await check.verify_async(token(id_claims()), now=NOW)
    with pytest.raises(ConfigError, match="cannot fetch `http://127.0.0.1:9/"):
        await JwksCache(JwksSource(url="http://127.0.0.1:9/jwks.json"), timeout=0.5).load()


def test_inline_config_through_jwks_source() -> None:
    source = JwksSource.parse(JWKS)
    assert source.document is not None and source.describe() == "inline jwks"
    cache = JwksCache(source)
    assert cache.loaded and cache.get("ec-1") is not None and cache.get("nope") is None
    check = JwtVerifier(replace(JwtConfig.from_mapping({"issuer": ISSUER, "jwks": JWKS}), leeway=5.0))
    assert check.config.leeway == 5.0


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (jwt_module, {"EXPIRED", "UNAUTHORIZED", "JwtConfig", "JwtRejected", "JwtVerifier", "VerifiedToken"}),
        (jwks_module, {"SUPPORTED_ALGORITHMS", "JwksCache", "JwksSource", "parse_jwks"}),
        (claims_module, {"java_date", "stringify_claim", "stringify_claims"}),
    ],
)
def test_public_surface(module: Any, names: set[str]) -> None:
    assert set(module.__all__) == names
    assert all(hasattr(module, name) for name in names)
