"""Lambda authorizers (TOKEN and REQUEST): events, answers, errors and the result cache (spec 7)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerRequest, AuthorizerResult, AuthType
from gatewaysim.authorizers.lambda_ import LambdaAuthorizer, LambdaAuthorizerConfig, LambdaType
from gatewaysim.authorizers.lambda_events import parse_identity_sources
from gatewaysim.authorizers.lambda_invoke import PythonInvoker
from gatewaysim.gateway.authorize.tables import combine
from gatewaysim.policy import Outcome

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
Handler = Callable[[dict[str, Any], Any], Any]


def make_request(
    method: str = "GET",
    path: str = "/pets/1",
    *,
    resource: str = "/pets/{petId}",
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    query: dict[str, str] | list[tuple[str, str]] | None = None,
    stage: str = "prod",
    stage_variables: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> AuthorizerRequest:
    return AuthorizerRequest(
        method=method,
        path=path,
        method_arn=f"{API}/{stage}/{method}{path}",
        resource_path=resource,
        path_parameters=path_parameters if path_parameters is not None else {"petId": path.rsplit("/", 1)[-1]},
        headers=CIMultiDictProxy(CIMultiDict(headers or {})),
        query=MultiDictProxy(MultiDict(query or {})),
        stage=stage,
        stage_variables=stage_variables or {},
        source_ip="127.0.0.7",
        user_agent="pytest-agent",
        api_id="abcdef1234",
        account_id="123456789012",
        request_id="req-1",
        raw_path=f"/{stage}{path}",
    )


def policy(effect: str = "Allow", resource: str | list[str] = f"{API}/*", key: str = "Resource") -> dict[str, Any]:
    statement = {"Effect": effect, "Action": "execute-api:Invoke", key: resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


class Recorder:
    """A real handler that records each event and answers with ``answer(event)``."""

    def __init__(self, answer: Callable[[dict[str, Any]], Any]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        self.threads.append(threading.current_thread())
        return self.answer(event)

    @property
    def calls(self) -> int:
        return len(self.events)


def allow_all(event: dict[str, Any]) -> dict[str, Any]:
    return {"principalId": "user-1", "policyDocument": policy(), "context": {"tier": "gold", "n": 3, "ok": True}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build(
    handler: Handler,
    *,
    kind: LambdaType = LambdaType.TOKEN,
    clock: Clock | None = None,
    timeout: float = 5.0,
    **options: Any,
) -> LambdaAuthorizer:
    data = {"type": kind.value, "handler": "unused:handler", **options}
    config = LambdaAuthorizerConfig.from_mapping("auth", data)
    return LambdaAuthorizer(config, PythonInvoker(handler, "auth", timeout), clock=clock or Clock())


TOKEN = {"Authorization": "Bearer good"}


async def test_token_event_and_allow_result() -> None:
    recorder = Recorder(allow_all)
    result = await build(recorder).authorize(make_request(headers=TOKEN))
    assert recorder.events == [
        {"type": "TOKEN", "authorizationToken": "Bearer good", "methodArn": f"{API}/prod/GET/pets/1"}
    ]
    assert result.column is AuthorizerColumn.ALLOW
    assert (result.principal, result.principal_id, result.cached) == ("anonymous", "user-1", False)
    assert dict(result.context) == {"tier": "gold", "n": 3, "ok": True}
    assert result.decision is not None and result.decision.outcome is Outcome.ALLOW
    context = recorder.contexts[0]
    assert context.function_name == "auth"
    assert 0 < context.get_remaining_time_in_millis() <= 5000


async def test_sync_handler_runs_off_the_event_loop() -> None:
    recorder = Recorder(allow_all)
    await build(recorder).authorize(make_request(headers=TOKEN))
    assert recorder.threads[0] is not threading.current_thread()


async def test_async_handler_is_awaited() -> None:
    seen: list[str] = []

    async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        seen.append(event["authorizationToken"])
        return allow_all(event)

    result = await build(handler).authorize(make_request(headers=TOKEN))
    assert seen == ["Bearer good"] and result.column is AuthorizerColumn.ALLOW


async def test_cache_hit_calls_once_for_two_requests() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder)
    first = await authorizer.authorize(make_request(headers=TOKEN))
    second = await authorizer.authorize(make_request("POST", "/pets/2", headers=TOKEN))
    assert recorder.calls == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.column is AuthorizerColumn.ALLOW and second.principal_id == "user-1"
    assert dict(second.context) == {"tier": "gold", "n": 3, "ok": True}


async def test_cache_key_is_the_token_and_the_stage() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder)
    await authorizer.authorize(make_request(headers=TOKEN))
    await authorizer.authorize(make_request(headers={"Authorization": "Bearer other"}))
    await authorizer.authorize(make_request(headers=TOKEN, stage="dev"))
    await authorizer.authorize(make_request(headers=TOKEN, stage="dev"))
    assert recorder.calls == 3


async def test_ttl_expiry_with_an_injected_clock() -> None:
    recorder, clock = Recorder(allow_all), Clock()
    authorizer = build(recorder, clock=clock, authorizerResultTtlInSeconds=60)
    await authorizer.authorize(make_request(headers=TOKEN))
    clock.now += 59.9
    assert (await authorizer.authorize(make_request(headers=TOKEN))).cached
    clock.now += 0.1
    assert not (await authorizer.authorize(make_request(headers=TOKEN))).cached
    assert recorder.calls == 2


async def test_default_ttl_is_300_seconds() -> None:
    recorder, clock = Recorder(allow_all), Clock()
    authorizer = build(recorder, clock=clock)
    await authorizer.authorize(make_request(headers=TOKEN))
    clock.now += 299
    await authorizer.authorize(make_request(headers=TOKEN))
    clock.now += 1
    await authorizer.authorize(make_request(headers=TOKEN))
    assert recorder.calls == 2


async def test_ttl_zero_disables_caching() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, authorizerResultTtlInSeconds=0)
    for _ in range(3):
        assert not (await authorizer.authorize(make_request(headers=TOKEN))).cached
    assert recorder.calls == 3


async def test_cache_is_bounded_lru() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, cacheSize=2)
    for token in ("a", "b", "a", "c", "a", "b"):
        await authorizer.authorize(make_request(headers={"Authorization": token}))
    # a, b miss; a hit; c miss evicts b; a hit; b miss again
    assert [e["authorizationToken"] for e in recorder.events] == ["a", "b", "c", "b"]
    assert len(authorizer.cache) == 2


async def test_cached_policy_is_reevaluated_for_each_method_arn() -> None:
    """A policy that lists only the first methodArn 403s other paths from the cache (kc-la-cache)."""
    recorder = Recorder(lambda event: {"principalId": "u", "policyDocument": policy(resource=event["methodArn"])})
    authorizer = build(recorder)
    first = await authorizer.authorize(make_request(path="/pets/1", headers=TOKEN))
    second = await authorizer.authorize(make_request(path="/pets/2", headers=TOKEN))
    assert recorder.calls == 1
    assert first.column is AuthorizerColumn.ALLOW
    assert (second.column, second.cached) == (AuthorizerColumn.NEITHER, True)
    verdict = combine(AuthType.CUSTOM, second.column, None, method_arn=f"{API}/prod/GET/pets/2")
    assert verdict.response is not None
    assert (verdict.response.status, verdict.response.body()) == (
        403,
        {"Message": "User is not authorized to access this resource"},
    )


async def test_deny_policy_is_cached_and_keeps_denying() -> None:
    recorder = Recorder(lambda event: {"principalId": "u", "policyDocument": policy("Deny")})
    authorizer = build(recorder)
    results = [await authorizer.authorize(make_request(headers=TOKEN)) for _ in range(2)]
    assert [r.column for r in results] == [AuthorizerColumn.DENY, AuthorizerColumn.DENY]
    assert recorder.calls == 1 and results[1].cached
    verdict = combine(AuthType.CUSTOM, results[1].column, None, method_arn=f"{API}/prod/GET/pets/1")
    assert verdict.response is not None
    assert verdict.response.body() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }


@pytest.mark.parametrize(
    ("document", "method", "path", "column"),
    [
        (policy(resource=f"{API}/*/GET/*"), "GET", "/pets/1", AuthorizerColumn.ALLOW),
        (policy(resource=f"{API}/*/GET/*"), "POST", "/pets/1", AuthorizerColumn.NEITHER),
        (policy(resource=f"{API}/prod/GET/pets/?"), "GET", "/pets/7", AuthorizerColumn.ALLOW),
        (policy(resource=f"{API}/prod/GET/pets/?"), "GET", "/pets/77", AuthorizerColumn.NEITHER),
        (policy(resource=[f"{API}/dev/*", f"{API}/prod/*/pets/*"]), "PUT", "/pets/1", AuthorizerColumn.ALLOW),
        (policy(resource="*"), "DELETE", "/pets/1", AuthorizerColumn.ALLOW),
        (policy(resource=f"{API}/*/*/admin/*", key="NotResource"), "GET", "/pets/1", AuthorizerColumn.ALLOW),
        (policy(resource=f"{API}/*/*/pets/*", key="NotResource"), "GET", "/pets/1", AuthorizerColumn.NEITHER),
        (policy("Deny", resource=f"{API}/*/GET/*", key="NotResource"), "POST", "/pets/1", AuthorizerColumn.DENY),
        (
            {
                "Version": "2012-10-17",
                "Statement": [*policy()["Statement"], *policy("Deny", f"{API}/*/DELETE/*")["Statement"]],
            },
            "DELETE",
            "/pets/1",
            AuthorizerColumn.DENY,
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "execute-api:*", "Resource": f"{API}/*"}],
            },
            "GET",
            "/pets/1",
            AuthorizerColumn.ALLOW,
        ),
        (
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
            "GET",
            "/pets/1",
            AuthorizerColumn.NEITHER,
        ),
    ],
)
async def test_policy_semantics(document: dict[str, Any], method: str, path: str, column: AuthorizerColumn) -> None:
    authorizer = build(Recorder(lambda event: {"principalId": "u", "policyDocument": document}))
    assert (await authorizer.authorize(make_request(method, path, headers=TOKEN))).column is column


async def test_usage_identifier_key_reaches_the_result() -> None:
    answer = {"principalId": "u", "policyDocument": policy(), "usageIdentifierKey": "key-123"}
    result = await build(Recorder(lambda event: answer)).authorize(make_request(headers=TOKEN))
    assert result.usage_identifier_key == "key-123"


def _raise(message: str) -> Callable[[dict[str, Any]], Any]:
    def answer(event: dict[str, Any]) -> Any:
        raise Exception(message)

    return answer


async def test_unauthorized_exception_is_401_and_not_cached() -> None:
    recorder = Recorder(_raise("Unauthorized"))
    authorizer = build(recorder)
    for _ in range(2):
        result = await authorizer.authorize(make_request(headers=TOKEN))
        assert result.rejection is not None
        assert (result.rejection.status, result.rejection.body()) == (401, {"message": "Unauthorized"})
        assert result.rejection.error_type == "UnauthorizedException"
        assert result.rejection.response_type == "UNAUTHORIZED"
    assert recorder.calls == 2


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (_raise("unauthorized"), "raised Exception: unauthorized"),
        (_raise("Unauthorized "), "raised Exception: Unauthorized "),
        (_raise("database down"), "raised Exception: database down"),
        (lambda e: {"policyDocument": policy()}, "`principalId` missing"),
        (lambda e: {"principalId": 7, "policyDocument": policy()}, "`principalId` missing or not a string"),
        (lambda e: {"principalId": "u"}, "`policyDocument` missing"),
        (lambda e: {"principalId": "u", "policyDocument": "{}"}, "`policyDocument` missing or not an object"),
        (
            lambda e: {"principalId": "u", "policyDocument": {"Statement": [{"Effect": "Maybe"}]}},
            "invalid policyDocument",
        ),
        (
            lambda e: {"principalId": "u", "policyDocument": policy(), "context": {"user": {"id": 1}}},
            "context value `user`",
        ),
        (
            lambda e: {"principalId": "u", "policyDocument": policy(), "context": {"roles": ["a"]}},
            "context value `roles`",
        ),
        (lambda e: {"principalId": "u", "policyDocument": policy(), "context": {"x": None}}, "context value `x`"),
        (lambda e: {"principalId": "u", "policyDocument": policy(), "context": "a=b"}, "`context` is not an object"),
        (lambda e: {"principalId": "u", "policyDocument": policy(), "usageIdentifierKey": 5}, "usageIdentifierKey"),
        (lambda e: {"principalId": "u", "policyDocument": policy(resource=f"{API}/" + "a" * 520)}, "512"),
        (lambda e: [allow_all(e)], "answer is not an object"),
        (lambda e: "Allow", "answer is not an object"),
        (lambda e: {"principalId": "u", "policyDocument": policy(), "context": {"t": object()}}, "JSON cannot carry"),
    ],
)
async def test_function_errors_and_malformed_answers_are_500(
    answer: Callable[[dict[str, Any]], Any], cause: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(answer)
    authorizer = build(recorder)
    with caplog.at_level(logging.WARNING, logger="gatewaysim.authorizers.lambda"):
        results = [await authorizer.authorize(make_request(headers=TOKEN)) for _ in range(2)]
    for result in results:
        assert result.rejection is not None
        assert (result.rejection.status, result.rejection.body()) == (500, {"message": None})
        assert result.rejection.error_type == "AuthorizerConfigurationException"
        assert result.rejection.response_type == "AUTHORIZER_CONFIGURATION_ERROR"
        assert result.rejection.detail is not None and cause in result.rejection.detail
    assert recorder.calls == 2  # failures are not cached
    assert cause in caplog.text  # the real cause is logged


async def test_timeout_is_500() -> None:
    async def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        await asyncio.sleep(5)
        return allow_all(event)

    result = await build(slow, timeout=0.05).authorize(make_request(headers=TOKEN))
    assert result.rejection is not None and result.rejection.status == 500
    assert result.rejection.detail == "authorizer `auth` timed out after 0.05s"


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"X-Other": "Bearer good"}])
async def test_missing_or_empty_token_is_401_without_a_call(headers: dict[str, str]) -> None:
    recorder = Recorder(allow_all)
    result = await build(recorder).authorize(make_request(headers=headers))
    assert result.rejection is not None
    assert (result.rejection.status, result.rejection.message) == (401, "Unauthorized")
    assert recorder.calls == 0


async def test_token_header_name_is_configurable_and_case_insensitive() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, identitySource="method.request.header.X-Auth-Token")
    result = await authorizer.authorize(make_request(headers={"x-auth-token": "abc"}))
    assert result.column is AuthorizerColumn.ALLOW
    assert recorder.events[0]["authorizationToken"] == "abc"


@pytest.mark.parametrize(
    ("token", "called"),
    [("Bearer abc", True), ("Bearer abc123", False), ("xBearer abc", False), ("Bearer abc\n", False)],
)
async def test_identity_validation_expression_is_a_full_match(token: str, called: bool) -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, identityValidationExpression="Bearer [a-z]+")
    result = await authorizer.authorize(make_request(headers={"Authorization": token}))
    assert recorder.calls == int(called)
    if not called:
        assert result.rejection is not None and result.rejection.status == 401


REQUEST_SOURCES = "method.request.header.X-Tenant, method.request.querystring.key, stageVariables.env"


async def test_request_event_shape() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, kind=LambdaType.REQUEST, identitySource=REQUEST_SOURCES)
    request = make_request(
        headers=[("X-Tenant", "t1"), ("Accept", "a/1"), ("Accept", "a/2")],
        query=[("key", "k1"), ("tag", "x"), ("tag", "y")],
        stage_variables={"env": "test"},
    )
    result = await authorizer.authorize(request)
    assert result.column is AuthorizerColumn.ALLOW
    (event,) = recorder.events
    assert event == {
        "type": "REQUEST",
        "methodArn": f"{API}/prod/GET/pets/1",
        "resource": "/pets/{petId}",
        "path": "/pets/1",
        "httpMethod": "GET",
        "headers": {"X-Tenant": "t1", "Accept": "a/2"},
        "multiValueHeaders": {"X-Tenant": ["t1"], "Accept": ["a/1", "a/2"]},
        "queryStringParameters": {"key": "k1", "tag": "y"},
        "multiValueQueryStringParameters": {"key": ["k1"], "tag": ["x", "y"]},
        "pathParameters": {"petId": "1"},
        "stageVariables": {"env": "test"},
        "requestContext": {
            "path": "/prod/pets/1",
            "accountId": "123456789012",
            "resourceId": event["requestContext"]["resourceId"],
            "stage": "prod",
            "requestId": "req-1",
            "identity": {"apiKey": None, "sourceIp": "127.0.0.7", "userAgent": "pytest-agent"},
            "resourcePath": "/pets/{petId}",
            "httpMethod": "GET",
            "apiId": "abcdef1234",
        },
    }
    assert len(event["requestContext"]["resourceId"]) == 10


async def test_request_cache_key_is_every_identity_source() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, kind=LambdaType.REQUEST, identitySource=REQUEST_SOURCES)

    def request(tenant: str, key: str, env: str) -> AuthorizerRequest:
        return make_request(headers={"X-Tenant": tenant}, query={"key": key}, stage_variables={"env": env})

    for args in [("t1", "k1", "e1"), ("t1", "k1", "e1"), ("t2", "k1", "e1"), ("t1", "k2", "e1"), ("t1", "k1", "e2")]:
        await authorizer.authorize(request(*args))
    assert recorder.calls == 4


@pytest.mark.parametrize(
    ("headers", "query", "stage_variables"),
    [
        ({}, {"key": "k"}, {"env": "e"}),
        ({"X-Tenant": "t"}, {}, {"env": "e"}),
        ({"X-Tenant": "t"}, {"key": "k"}, {}),
        ({"X-Tenant": "t"}, {"key": ""}, {"env": "e"}),
    ],
)
async def test_request_missing_source_with_caching_is_401_without_a_call(
    headers: dict[str, str], query: dict[str, str], stage_variables: dict[str, str]
) -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, kind=LambdaType.REQUEST, identitySource=REQUEST_SOURCES)
    result = await authorizer.authorize(make_request(headers=headers, query=query, stage_variables=stage_variables))
    assert result.rejection is not None and result.rejection.status == 401
    assert recorder.calls == 0


async def test_request_sources_are_optional_without_caching() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(
        recorder, kind=LambdaType.REQUEST, identitySource=REQUEST_SOURCES, authorizerResultTtlInSeconds=0
    )
    result = await authorizer.authorize(make_request())
    assert result.column is AuthorizerColumn.ALLOW and recorder.calls == 1


async def test_request_context_identity_source() -> None:
    recorder = Recorder(allow_all)
    authorizer = build(recorder, kind=LambdaType.REQUEST, identitySource="context.identity.sourceIp, context.stage")
    await authorizer.authorize(make_request())
    await authorizer.authorize(make_request(stage="dev"))
    await authorizer.authorize(make_request())
    assert recorder.calls == 2


def test_identity_source_parsing() -> None:
    sources = parse_identity_sources(REQUEST_SOURCES + ", context.requestId")
    assert [(s.kind, s.name) for s in sources] == [
        ("header", "X-Tenant"),
        ("querystring", "key"),
        ("stageVariables", "env"),
        ("context", "requestId"),
    ]
    with pytest.raises(ValueError, match="unknown identity source `method.request.path.id`"):
        parse_identity_sources("method.request.path.id")


async def test_authorizer_satisfies_the_protocol() -> None:
    from gatewaysim.authorizers.base import Authorizer, SupportsClose

    authorizer = build(Recorder(allow_all))
    assert isinstance(authorizer, Authorizer) and isinstance(authorizer, SupportsClose)
    assert authorizer.needs_body is False
    await authorizer.aclose()


def test_result_defaults() -> None:
    result = AuthorizerResult(AuthorizerColumn.ALLOW)
    assert (result.principal, result.rejection, result.cached) == ("anonymous", None, False)
