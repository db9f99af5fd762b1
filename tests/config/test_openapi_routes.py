"""Routes and authorizers from an OpenAPI file: the conversion, its located errors, and the gateway serving it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatewaysim.authorizers.loading import resolve
from gatewaysim.config.load import build_settings
from gatewaysim.errors import ConfigError, TemplateError
from gatewaysim.imports import load_source
from gatewaysim.imports.model import ImportOptions
from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
FILE = Path(__file__).resolve().parents[1] / "data" / "openapi-auth.yaml"


def read_openapi(document: Any, source: str | None = None) -> Any:
    """The model ``gatewaysim.imports`` reads from an OpenAPI document (a path, or a mapping as text)."""
    text = str(document) if isinstance(document, Path) else json.dumps(document)
    loaded = load_source(text if source is None else text, ImportOptions(), fmt="openapi")
    ((model, problems),) = loaded.build({})
    if problems:
        raise TemplateError(problems, source)
    return model


def test_routes_and_authorizers_are_converted() -> None:
    found = read_openapi(FILE)
    assert [r.item for r in found.routes] == [
        {"resource": "/pets", "method": "GET", "authorizationType": "CUSTOM", "authorizer": "tokens"},
        {"resource": "/pets", "method": "POST", "authorizationType": "CUSTOM", "authorizer": "requests"},
        {
            "resource": "/pets/{petId}",
            "method": "ANY",
            "authorizationType": "COGNITO_USER_POOLS",
            "authorizer": "pool",
            "authorizationScopes": ["pets/read"],
            "requestParameters": {"method.request.path.petId": True},  # read; checked with a validator only
        },
        {"resource": "/admin", "method": "GET", "authorizationType": "AWS_IAM"},
        {"resource": "/admin", "method": "DELETE", "authorizationType": "AWS_IAM"},
        {"resource": "/health", "method": "GET", "authorizationType": "NONE"},
        {"resource": "/keyed", "method": "GET", "authorizationType": "NONE", "apiKeyRequired": True},
    ]
    assert found.routes[2].location == "paths./pets/{petId}.x-amazon-apigateway-any-method"
    assert [r.api_key_required for r in found.routes] == [False] * 6 + [True]
    assert {name: dict(a.definition) for name, a in found.authorizers.items()} == {
        "tokens": {
            "type": "TOKEN",
            "identitySource": "method.request.header.Authorization",
            "identityValidationExpression": "^(allow|deny|neither)(:.*)?$",
            "authorizerResultTtlInSeconds": 0,
        },
        "requests": {
            "type": "REQUEST",
            "identitySource": "method.request.header.X-Key, method.request.querystring.tenant",
            "authorizerResultTtlInSeconds": 300,
        },
        "pool": {
            "type": "COGNITO_USER_POOLS",
            "user_pools": [{"user_pool_id": "us-east-1_TestPool1"}],
            "header": "Authorization",
        },
    }
    assert found.authorizers["tokens"].function == "tokens"  # from its authorizerUri
    assert [n.render() for n in found.notices] == []  # the api_key scheme is emulated (issue 14)


def test_swagger_2_security_definitions() -> None:
    document = {
        "swagger": "2.0",
        "securityDefinitions": {
            "auth": {
                "type": "apiKey",
                "name": "X-Token",
                "in": "header",
                "x-amazon-apigateway-authorizer": {"type": "TOKEN"},
            }
        },
        "paths": {"/x": {"get": {"security": [{"auth": []}]}, "parameters": []}},
    }
    found = read_openapi(document)
    assert [r.item for r in found.routes] == [
        {"resource": "/x", "method": "GET", "authorizationType": "CUSTOM", "authorizer": "auth"}
    ]
    assert found.authorizers["auth"].definition == {"type": "TOKEN", "identitySource": "method.request.header.X-Token"}


def test_problems_are_located_in_the_file() -> None:
    document = {
        "openapi": "3.0.1",
        "components": {
            "securitySchemes": {
                "odd": {"x-amazon-apigateway-authorizer": {"type": "jwt"}},
                "pool": {"x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": "x"}},
            }
        },
        "paths": {"/a": {"get": {"x-amazon-apigateway-auth": {"type": "CUSTOM"}}}},
    }
    with pytest.raises(ConfigError) as info:
        read_openapi(document, source="api.yaml")
    assert str(info.value).splitlines() == [
        "template `api.yaml`: components.securitySchemes.odd.x-amazon-apigateway-authorizer.type: "
        "unknown authorizer type `jwt`",
        "template `api.yaml`: components.securitySchemes.pool.x-amazon-apigateway-authorizer.providerARNs: "
        "must list user pool ARNs (`arn:aws:cognito-idp:...`)",
        "template `api.yaml`: paths./a.get.x-amazon-apigateway-auth.type: must be `AWS_IAM` or `NONE`, not `CUSTOM`",
    ]


def test_a_document_whose_paths_are_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="paths: must be a mapping of paths to their methods"):
        read_openapi({"openapi": "3.0.1", "paths": ["/x"]})


def test_an_imported_lambda_authorizer_needs_a_handler_from_the_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"backend": "http://127.0.0.1:1", "openapi": str(FILE)}}, source="gw.yaml")
    lines = str(info.value).splitlines()
    hint = "comes from the OpenAPI file; give it a `handler` or `url` here (its Lambda cannot run)"
    assert f"config `gw.yaml`: api.authorizers.tokens: {hint}" in lines
    assert f"config `gw.yaml`: api.authorizers.requests: {hint}" in lines
    assert any(f"{FILE}: paths./admin.get: AWS_IAM methods need exactly one `AWS_IAM` authorizer" in x for x in lines)


def test_a_broken_openapi_file_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "api.yaml"
    bad.write_text("paths: [", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"openapi": "api.yaml"}}, base_dir=tmp_path)
    assert str(info.value).startswith(f"template `{bad}`: ")
    assert "not valid YAML: line 1: " in str(info.value)


# -- the gateway serving the imported methods ---------------------------------------------------------

ALICE, ALICE_SECRET = "AKIAALICEEXAMPLE0001", "alice-secret"


def imported_api(backend: str, jwks: str) -> dict[str, Any]:
    return {
        "api": {
            "backend": backend,
            "openapi": str(FILE),
            "authorizers": {
                "tokens": {"handler": f"{S.HANDLER_FILE}:token_handler"},
                "requests": {"handler": f"{S.HANDLER_FILE}:request_handler"},
                "pool": {"jwks": jwks},
                "iam": {
                    "type": "AWS_IAM",
                    "credentials": {ALICE: {"secret": ALICE_SECRET, "principal": f"arn:aws:iam::{S.ACCOUNT}:user/a"}},
                },
            },
        }
    }


async def test_the_gateway_serves_an_openapi_file(backend: RecordingBackend, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(S.public_jwks()), encoding="utf-8")
    S.CALLS.clear()
    async with GatewayServer(config=imported_api(backend.url, str(jwks))) as gw:

        async def get(path: str, method: str = "GET", **headers: str) -> int:
            return (await request_from(gw.url + path, method=method, headers=headers)).status

        url, signed = S.signed(gw.url + "/prod/admin", key=ALICE, secret=ALICE_SECRET)
        statuses = {
            "token": await get("/prod/pets", Authorization="allow"),
            "token-invalid": await get("/prod/pets", Authorization="nope"),  # fails the validation expression
            "request": await get("/prod/pets?tenant=t", "POST", **{"X-Key": "allow"}),
            "cognito": await get("/prod/pets/1", "PUT", Authorization=S.access_token("pets/read")),
            "cognito-scope": await get("/prod/pets/1", Authorization=S.access_token("other")),
            "iam": (await request_from(url, headers=signed)).status,
            "iam-unsigned": await get("/prod/admin", "DELETE"),
            "open": await get("/prod/health"),
            "api-key-scheme": await get("/prod/keyed"),
            "undefined": await get("/prod/cats"),
            "undefined-verb": await get("/prod/health", "POST"),
        }
    assert statuses == {
        "token": 200,
        "token-invalid": 401,
        "request": 200,
        "cognito": 200,
        "cognito-scope": 401,
        "iam": 200,
        "iam-unsigned": 403,
        "open": 200,
        "api-key-scheme": 403,  # an apiKey scheme requires a key (spec 13.4); none is sent
        "undefined": 403,
        "undefined-verb": 403,
    }
    assert [e["type"] for e in S.CALLS] == ["TOKEN", "REQUEST"]
    assert S.CALLS[1]["resource"] == "/pets"


def test_openapi_and_routes_together_reject_a_method_declared_twice(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(S.public_jwks()), encoding="utf-8")
    config = imported_api("http://127.0.0.1:1", str(jwks))
    config["api"]["routes"] = [{"resource": "/health", "method": "GET"}]
    with pytest.raises(ConfigError, match=r"api\.routes: route `GET /health` is defined twice"):
        build_settings(yaml.safe_load(yaml.safe_dump(config)))
