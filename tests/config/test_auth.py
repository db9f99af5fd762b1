"""The auth keys of an API's config: routes, authorizers, default route, flow; every problem located."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.authorizers.base import AuthType
from gatewaysim.authorizers.loading import resolve
from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.load import ApiSettings, build_settings
from gatewaysim.config.routes import Route
from gatewaysim.errors import ConfigError
from gatewaysim.gateway.authorize.tables import FlowSettings

# the helpers module, loaded the way the gateway loads the handlers in it (same file, same module)
S = resolve(f"{Path(__file__).resolve().parents[1] / 'auth_support.py'}:MODULE")
TOKEN = {"type": "TOKEN", "handler": f"{S.HANDLER_FILE}:token_handler"}
IAM = {
    "type": "AWS_IAM",
    "credentials": {"AKIAEXAMPLE000000001": {"secret": "s", "principal": "arn:aws:iam::123456789012:user/a"}},
}


def problems(api: dict[str, Any], **top: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        build_settings({"api": {"backend": "http://127.0.0.1:1", **api}, **top}, source="gw.yaml")
    return [line.removeprefix("config `gw.yaml`: ") for line in str(info.value).splitlines()]


def auth(api: dict[str, Any]) -> AuthSettings:
    return build_settings({"api": {"backend": "http://127.0.0.1:1", **api}}).apis[0].auth


def test_without_auth_keys_every_path_is_an_open_method() -> None:
    settings = auth({})
    assert settings == ApiSettings().auth
    found = settings.match("DELETE", "/any/thing")
    assert found is not None and found.route.authorization_type is AuthType.NONE
    assert settings.match("GET", "/") is not None
    assert settings.flow == FlowSettings(cognito_requires_policy_allow=True)


def test_api_defaults_make_a_catch_all_with_that_auth() -> None:
    settings = auth({"authorization_type": "custom", "authorizer": "tok", "authorizers": {"tok": TOKEN}})
    found = settings.match("POST", "/a/b")
    assert found is not None
    assert (found.route.authorization_type, found.route.authorizer) == (AuthType.CUSTOM, "tok")
    assert settings.authorizer_name(found.route) == "tok"


def test_routes_without_a_default_route_leave_the_rest_undefined() -> None:
    settings = auth({"routes": [{"resource": "/pets/{petId}", "method": ["GET", "POST"]}]})
    found = settings.match("POST", "/pets/9")
    assert found is not None and dict(found.path_parameters) == {"petId": "9"}
    assert settings.match("PUT", "/pets/9") is None
    assert settings.match("GET", "/") is None


def test_default_route_true_uses_the_api_defaults() -> None:
    settings = auth(
        {
            "authorization_type": "AWS_IAM",
            "authorizers": {"iam": IAM},
            "routes": [{"resource": "/open", "authorizationType": "NONE"}],
            "default_route": True,
        }
    )
    assert settings.default == Route("/", "ANY", AuthType.AWS_IAM)
    other = settings.match("GET", "/other")
    assert other is not None and settings.authorizer_name(other.route) == "iam"


def test_flow_switch() -> None:
    assert auth({"flow": {"cognito_requires_policy_allow": False}}).flow == FlowSettings(False)


def test_every_problem_is_reported_at_once_and_located() -> None:
    found = problems(
        {
            "routes": [
                {"resource": "/a", "authorizationType": "CUSTOM", "authorizer": "missing"},
                {"resource": "/b", "authorizationType": "CUSTOM", "authorizer": "pool"},
                {"resource": "/c", "authorizationType": "AWS_IAM"},
                {"resource": "d"},
                {"resource": "/e", "method": "FETCH"},
            ],
            "authorizers": {
                "pool": {"type": "COGNITO_USER_POOLS", "user_pools": [{"issuer": "https://x", "jwks": "nope.json"}]},
                "broken": {"type": "TOKEN", "handler": "no_such_module_here:handler"},
                "odd": {"type": "SAML"},
                "flat": "TOKEN",
            },
            "flow": {"cognito_requires_policy_allow": "yes", "other": 1},
            "default_route": 3,
        }
    )
    assert found == [
        "api.flow.cognito_requires_policy_allow: must be true or false, got `yes`",
        "api.flow.other: unknown key `other` (expected one of: cognito_requires_policy_allow)",
        "api.authorizers.flat: must be a mapping",
        "api.routes[3]: resource `d` must start with `/`",
        "api.routes[4]: unknown method `FETCH`",
        "api.default_route: must be true, false or a mapping like `{authorizationType: CUSTOM, authorizer: name}`",
        "api.routes[0]: unknown authorizer `missing` (declared: broken, odd, pool)",
        "api.routes[1]: authorizer `pool` is of type `COGNITO_USER_POOLS` and cannot serve `CUSTOM` methods",
        "api.routes[2]: AWS_IAM methods need exactly one `AWS_IAM` authorizer in `authorizers`, found none"
        " (the keys SigV4 signatures are checked against, e.g. `iam: {type: AWS_IAM, credentials_file:"
        " ~/.aws/credentials}`; a template's API takes it from a config with `template:`)",
        "api.authorizers.pool.user_pools[0].jwks: cannot read file: No such file or directory",
        "api.authorizers.broken.handler: cannot load `no_such_module_here:handler`: "
        "ModuleNotFoundError: No module named 'no_such_module_here'",
        "api.authorizers.odd.type: must be one of TOKEN, REQUEST, AWS_IAM, COGNITO_USER_POOLS, PLUGIN, not `SAML`",
    ]


def test_api_level_defaults_are_checked() -> None:
    assert problems({"authorization_type": "CUSTOM"}) == [
        "api.authorization_type: authorizationType `CUSTOM` needs an `authorizer` name"
    ]
    assert problems({"authorization_type": "MAGIC"}) == ["api.authorization_type: unknown authorizationType `MAGIC`"]


def test_two_iam_authorizers_are_ambiguous() -> None:
    assert problems({"authorization_type": "AWS_IAM", "authorizers": {"a": IAM, "b": IAM}}) == [
        "api.authorization_type: AWS_IAM methods need exactly one `AWS_IAM` authorizer in `authorizers`, found `a`, `b`"
    ]


def test_shapes() -> None:
    assert problems({"routes": {"resource": "/a"}, "authorizers": ["a"], "openapi": 7}) == [
        "api.openapi: must be a file path or a name, got `7`",
        "api.authorizers: must be a mapping of authorizer name to definition",
        "api.routes: must be a list of routes",
    ]


def test_credentials_problems_are_located_under_the_authorizer() -> None:
    bad = {"type": "AWS_IAM", "credentials": {"AKIAEXAMPLE000000001": {"secret": "s"}}}
    assert problems({"authorizers": {"iam": bad}}) == [
        "api.authorizers.iam.credentials.AKIAEXAMPLE000000001.principal: missing"
    ]


def test_several_apis_are_located_by_index(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(S.public_jwks()), encoding="utf-8")
    pool = {"type": "COGNITO_USER_POOLS", "user_pools": [{"issuer": S.ISSUER, "jwks": "jwks.json"}]}
    config = {
        "apis": [
            {"id": "one", "backend": "http://127.0.0.1:1", "authorizers": {"pool": pool}},
            {
                "id": "two",
                "backend": "http://127.0.0.1:1",
                "routes": [{"resource": "/x", "authorizationType": "AWS_IAM"}],
            },
        ]
    }
    with pytest.raises(ConfigError) as info:
        build_settings(config, base_dir=tmp_path)  # the JWKS file is found next to the config
    assert str(info.value).splitlines() == [
        "config: apis[1].routes[0]: AWS_IAM methods need exactly one `AWS_IAM` authorizer in `authorizers`, found none"
        " (the keys SigV4 signatures are checked against, e.g. `iam: {type: AWS_IAM, credentials_file:"
        " ~/.aws/credentials}`; a template's API takes it from a config with `template:`)"
    ]
