"""Route resolution on the (resource, method) pair, as measured on API Gateway REST (spec 1.2)."""

from __future__ import annotations

import pytest

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.routes import ANY, Route, RouteTable, parse_template
from gatewaysim.errors import ConfigError


def _table(*specs: str) -> RouteTable:
    """Routes from ``"GET /users/{userId}"`` strings."""
    return RouteTable(Route(spec.split(" ", 1)[1], spec.split(" ", 1)[0]) for spec in specs)


def _served(table: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = table.match(method, path)
    return None if found is None else (found.resource_path, dict(found.path_parameters))


# Measured on real API Gateway (us-west-2, floci-io/floci#3399): a literal resource without the
# verb falls back to a parameterised sibling that has it.
SIBLINGS = _table(
    "GET /users/{userId}",
    "PATCH /users/me",
    "POST /roles/provision",
    "GET /roles/{roleId}",
    "GET /things/real",
    "ANY /things/{proxy+}",
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/users/me", ("/users/{userId}", {"userId": "me"})),
        ("PATCH", "/users/me", ("/users/me", {})),
        ("GET", "/users/abc123", ("/users/{userId}", {"userId": "abc123"})),
        ("POST", "/users/me", None),
        ("POST", "/roles/provision", ("/roles/provision", {})),
        ("GET", "/roles/provision", ("/roles/{roleId}", {"roleId": "provision"})),
        ("GET", "/things/real", ("/things/real", {})),
        ("POST", "/things/real", ("/things/{proxy+}", {"proxy": "real"})),
    ],
)
def test_fall_back_to_a_sibling_with_the_verb(
    method: str, path: str, expected: tuple[str, dict[str, str]] | None
) -> None:
    assert _served(SIBLINGS, method, path) == expected


# Measured in eu-central-1 (ministackorg/ministack#1423): methodless or verb-mismatched nodes fall
# through to the root {proxy+}.
PROXY_TREE = RouteTable(
    [
        Route("/{proxy+}", ANY),
        Route("/jobs/{operation_type}", "GET"),
        Route("/cors_only", "OPTIONS"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/jobs/reboot", ("/jobs/{operation_type}", {"operation_type": "reboot"})),
        ("GET", "/jobs", ("/{proxy+}", {"proxy": "jobs"})),
        ("POST", "/jobs", ("/{proxy+}", {"proxy": "jobs"})),
        ("POST", "/jobs/reboot", ("/{proxy+}", {"proxy": "jobs/reboot"})),
        ("GET", "/cors_only", ("/{proxy+}", {"proxy": "cors_only"})),
        ("OPTIONS", "/cors_only", ("/cors_only", {})),
        ("GET", "/a/b/c", ("/{proxy+}", {"proxy": "a/b/c"})),
        ("GET", "/", None),  # {proxy+} needs at least one segment; the root has no method
    ],
)
def test_fall_through_to_proxy(method: str, path: str, expected: tuple[str, dict[str, str]] | None) -> None:
    assert _served(PROXY_TREE, method, path) == expected


def test_exact_verb_beats_any_on_the_same_resource() -> None:
    table = RouteTable([Route("/pets", ANY, AuthType.NONE), Route("/pets", "GET", AuthType.AWS_IAM)])
    get, post = table.match("GET", "/pets"), table.match("post", "/pets")
    assert get is not None and get.route.authorization_type is AuthType.AWS_IAM
    assert post is not None and post.route.method == ANY


def test_root_and_nested_parameters() -> None:
    table = _table("GET /", "GET /pets/{petId}/toys/{toyId}")
    assert _served(table, "GET", "/") == ("/", {})
    assert _served(table, "GET", "/pets/7/toys/9") == ("/pets/{petId}/toys/{toyId}", {"petId": "7", "toyId": "9"})
    assert _served(table, "GET", "/pets/7/toys") is None
    assert _served(table, "GET", "/pets/7/toys/9/extra") is None


def test_nested_greedy_beats_the_root_greedy() -> None:
    table = _table("ANY /{proxy+}", "ANY /api/{rest+}")
    assert _served(table, "GET", "/api/v1/x") == ("/api/{rest+}", {"rest": "v1/x"})
    assert _served(table, "GET", "/other/x") == ("/{proxy+}", {"proxy": "other/x"})


def test_case_and_empty_segments() -> None:
    table = _table("GET /pets", "GET /pets/{petId}")
    assert _served(table, "GET", "/Pets") is None  # case-sensitive
    assert _served(table, "GET", "/pets/") is None  # an empty segment is no {petId}
    assert _served(table, "GET", "/pets//") is None


def test_unknown_path_is_none_unless_a_default_exists() -> None:
    assert _served(_table("GET /pets"), "GET", "/nope") is None
    default = Route("/{proxy+}", ANY, AuthType.AWS_IAM)
    found = RouteTable([Route("/pets", "GET")], default=default).match("GET", "/nope/x")
    assert found is not None and found.route is default


def test_catch_all_matches_everything_with_one_auth_type() -> None:
    table = RouteTable.catch_all(AuthType.CUSTOM, "tokenAuth")
    for method, path in [("GET", "/"), ("DELETE", "/a/b"), ("PATCH", "/x")]:
        found = table.match(method, path)
        assert found is not None
        assert (found.route.authorization_type, found.route.authorizer) == (AuthType.CUSTOM, "tokenAuth")
    root = table.match("GET", "/")
    assert root is not None and root.resource_path == "/"


def test_from_config_expands_methods_and_auth() -> None:
    table = RouteTable.from_config(
        [
            {"resource": "/pets", "methods": ["get", "POST"], "authorizationType": "CUSTOM", "authorizer": "auth"},
            {
                "path": "/admin/{proxy+}",
                "authorizationType": "COGNITO_USER_POOLS",
                "authorizer": "pool",
                "authorizationScopes": ["admin/write"],
            },
            {"resource": "/health", "method": "GET"},
        ]
    )
    post = table.match("POST", "/pets")
    assert post is not None and (post.route.method, post.route.authorizer) == ("POST", "auth")
    admin = table.match("DELETE", "/admin/users/1")
    assert admin is not None
    assert admin.route.authorization_scopes == ("admin/write",)
    assert admin.path_parameters == {"proxy": "users/1"}
    health = table.match("GET", "/health")
    assert health is not None and health.route.authorization_type is AuthType.NONE


def test_from_config_collects_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        RouteTable.from_config(
            [
                {"resource": "pets"},
                {"resource": "/a", "method": "FETCH"},
                {"resource": "/b", "authorizationType": "CUSTOM"},
                {"resource": "/c", "authorizationType": "MAGIC"},
                {"resource": "/d", "authorizer": "x"},
                {"resource": "/e", "colour": "red"},
                {"resource": "/{proxy+}/x"},
            ],
            source="gatewaysim.yaml",
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == [f"routes[{i}]" for i in range(7)]
    text = str(caught.value)
    assert "config `gatewaysim.yaml`: routes[0]: resource `pets` must start with `/`" in text
    assert "unknown method `FETCH`" in text
    assert "needs an `authorizer` name" in text
    assert "unknown authorizationType `MAGIC`" in text
    assert "unknown key `colour`" in text
    assert "must be the last segment" in text


def test_duplicate_route_is_an_error() -> None:
    with pytest.raises(ConfigError, match="defined twice"):
        RouteTable.from_config([{"resource": "/a", "method": "GET"}, {"resource": "/a", "methods": ["GET"]}])


@pytest.mark.parametrize("template", ["/a//b", "/{}", "/{a}/{a}", "/x{y}", "/{a b}", "/{proxy+}/more", "relative"])
def test_bad_templates(template: str) -> None:
    with pytest.raises(ValueError):
        parse_template(template)


def test_sibling_parameters_must_share_a_name() -> None:
    with pytest.raises(ValueError, match="another parameter name"):
        _table("GET /pets/{petId}", "POST /pets/{id}")
