"""A route's `integration` and the config's `functions`: what loads, what is refused, what warns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatewaysim.config.integration import Integration, IntegrationType
from gatewaysim.config.integration_values import IntegrationResponse, function_from_uri
from gatewaysim.config.load import Settings, build_settings
from gatewaysim.errors import ConfigError

BACKEND = "http://127.0.0.1:9"
LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:hello/invocations"
)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    return tmp_path


def _load(integration: Any, resource: str = "/{proxy+}", base: Path | None = None, **top: Any) -> Settings:
    route = {"resource": resource, "method": "ANY", "integration": integration}
    config = {"api": {"backend": BACKEND, "routes": [route]}, **top}
    return build_settings(config, source="g.yaml", base_dir=base)


def _integration(settings: Settings) -> Integration:
    integration = settings.apis[0].auth.routes[0].integration
    assert integration is not None
    return integration


def _problems(integration: Any, resource: str = "/{proxy+}", base: Path | None = None, **top: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(integration, resource, base, **top)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def _warnings(settings: Settings) -> list[str]:
    return [f"{p.path}: {p.message}" for p in settings.warnings]


# --- what loads ---------------------------------------------------------------------------


def test_http_proxy_with_proxy_placeholder_and_stage_variable() -> None:
    raw = {
        "type": "http_proxy",  # OpenAPI writes the type in lower case
        "uri": "http://${stageVariables.host}/api/{proxy}",
        "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        "timeoutInMillis": 5000,
    }
    integration = _integration(_load(raw))
    assert integration.type is IntegrationType.HTTP_PROXY
    assert (integration.uri, integration.http_method, integration.timeout_s) == (raw["uri"], "ANY", 5.0)
    assert integration.request_parameters == {"integration.request.path.proxy": "method.request.path.proxy"}


def test_aws_proxy_by_function_name_and_by_uri(code: Path) -> None:
    functions = {"hello": {"handler": "app.lambda_handler", "code": "fn"}}
    by_name = _integration(_load({"type": "AWS_PROXY", "function": "hello"}, base=code, functions=functions))
    by_uri = _integration(_load({"type": "AWS_PROXY", "uri": LAMBDA_URI}, base=code, functions=functions))
    assert by_name.function == by_uri.function == "hello"
    assert by_name.http_method == by_uri.http_method == "POST"
    assert by_name.timeout_ms == 29000  # AWS reports 29000 on every integration by default


def test_mock_integration_responses_in_both_forms() -> None:
    listed = {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "integrationResponses": [
            {"statusCode": 200, "responseParameters": {"method.response.header.Allow": "'GET'"}},
            {"statusCode": "404", "selectionPattern": "4\\d\\d", "responseTemplates": {"application/json": "{}"}},
        ],
    }
    mapped = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {
            "default": {"statusCode": "200", "responseParameters": {"method.response.header.Allow": "'GET'"}},
            "4\\d\\d": {"statusCode": "404", "responseTemplates": {"application/json": "{}"}},
        },
    }
    expected = (
        IntegrationResponse("200", None, {"method.response.header.Allow": "'GET'"}, {}),
        IntegrationResponse("404", "4\\d\\d", {}, {"application/json": "{}"}),
    )
    assert _integration(_load(listed, "/x")).responses == expected
    assert _integration(_load(mapped, "/x")).responses == expected


def test_a_route_without_integration_keeps_the_api_backend() -> None:
    settings = build_settings({"api": {"backend": BACKEND, "routes": [{"resource": "/x", "method": "GET"}]}})
    assert settings.apis[0].auth.routes[0].integration is None


# --- what is refused (each problem located, AWS's words where AWS has them) --------------------

REFUSED = [
    ({"type": "HTTP", "uri": BACKEND}, "api.routes[0].integration.type", "`HTTP` integrations (mapping templates)"),
    ({"type": "LAMBDA"}, "api.routes[0].integration.type", "must be one of HTTP_PROXY, AWS_PROXY, MOCK"),
    ({"type": "MOCK", "timeoutInMillis": 49}, "api.routes[0].integration.timeoutInMillis", "from 50 to 29000"),
    ({"type": "MOCK", "timeoutInMillis": 29001}, "api.routes[0].integration.timeoutInMillis", "got `29001`"),
    ({"type": "MOCK", "timeoutInMillis": True}, "api.routes[0].integration.timeoutInMillis", "an integer"),
    ({"type": "MOCK", "colour": "red"}, "api.routes[0].integration.colour", "unknown key `colour`"),
    ({"type": "HTTP_PROXY"}, "api.routes[0].integration.uri", "needs an http(s) `uri`"),
    ({"type": "HTTP_PROXY", "uri": "ftp://h/x"}, "api.routes[0].integration.uri", "not an absolute http(s) url"),
    (
        {"type": "HTTP_PROXY", "uri": "http://h/{proxy}"},
        "api.routes[0].integration.uri",
        "add it to `requestParameters`",
    ),
    (
        {
            "type": "HTTP_PROXY",
            "uri": "http://{proxy}.example.com/",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        },
        "api.routes[0].integration.uri",
        "not the host",
    ),
    (
        {"type": "HTTP_PROXY", "uri": "http://h/", "httpMethod": "FETCH"},
        "api.routes[0].integration.httpMethod",
        "must be an HTTP method or ANY",
    ),
    (
        {"type": "HTTP_PROXY", "uri": "http://h/{id}", "requestParameters": {"integration.request.path.id": "body"}},
        "api.routes[0].integration.requestParameters.integration.request.path.id",
        "`body` is not a mapping expression",
    ),
    (
        {"type": "HTTP_PROXY", "uri": "http://h/", "requestParameters": {"method.request.path.id": "'x'"}},
        "api.routes[0].integration.requestParameters.method.request.path.id",
        "must be `integration.request.header|querystring|path.NAME`",
    ),
    (
        {
            "type": "HTTP_PROXY",
            "uri": "http://h/",
            "requestParameters": {"integration.request.header.Content-Length": "'1'"},
        },
        "api.routes[0].integration.requestParameters.integration.request.header.Content-Length",
        "AWS answers 500",
    ),
    (
        {
            "type": "HTTP_PROXY",
            "uri": "http://h/",
            "requestParameters": {"integration.request.header.X-Gatewaysim-Authorizer-Context": "'{}'"},
        },
        "api.routes[0].integration.requestParameters.integration.request.header.X-Gatewaysim-Authorizer-Context",
        "set by the gateway itself",
    ),
    (
        {
            "type": "HTTP_PROXY",
            "uri": "http://h/{id}",
            "requestParameters": {"integration.request.path.id": "method.request.path.id"},
        },
        "api.routes[0].integration.requestParameters.integration.request.path.id",
        "resource `/{proxy+}` has no path parameter `id`",
    ),
    ({"type": "AWS_PROXY"}, "api.routes[0].integration", "with `function` or `uri`, not both"),
    ({"type": "AWS_PROXY", "function": "nope"}, "api.routes[0].integration", "unknown function `nope`"),
    ({"type": "AWS_PROXY", "uri": "hello"}, "api.routes[0].integration.uri", "Invalid ARN specified in the request"),
    (
        {"type": "AWS_PROXY", "uri": "arn:aws:apigateway:us-east-1:lambda:functions/hello"},
        "api.routes[0].integration.uri",
        "AWS ARN for integration must contain path or action",
    ),
    (
        {"type": "AWS_PROXY", "uri": "arn:aws:apigateway:us-east-1:sqs:path/123/queue"},
        "api.routes[0].integration.uri",
        "currently only supports Lambda function invocations",
    ),
    ({"type": "MOCK", "uri": "http://h/"}, "api.routes[0].integration.uri", "calls nothing"),
    (
        {"type": "MOCK", "integrationResponses": [{"statusCode": 200}, {"statusCode": 200, "selectionPattern": "2.."}]},
        "api.routes[0].integration.integrationResponses[1].statusCode",
        "status code `200` has two integration responses",
    ),
    (
        {"type": "MOCK", "integrationResponses": [{"statusCode": 200}, {"statusCode": 201}]},
        "api.routes[0].integration.integrationResponses[1]",
        "a second default response",
    ),
    (
        {"type": "MOCK", "integrationResponses": [{"statusCode": 200, "selectionPattern": "(2"}]},
        "api.routes[0].integration.integrationResponses[0].selectionPattern",
        "is not a regular expression",
    ),
    (
        {"type": "MOCK", "integrationResponses": [{"statusCode": 700}]},
        "api.routes[0].integration.integrationResponses[0].statusCode",
        "must be an HTTP status code",
    ),
    (
        {
            "type": "MOCK",
            "integrationResponses": [
                {"statusCode": 200, "responseParameters": {"method.response.header.X": "integration.response.body"}}
            ],
        },
        "api.routes[0].integration.integrationResponses[0].responseParameters.method.response.header.X",
        "has no integration response to map from",
    ),
    (
        {"type": "MOCK", "requestTemplates": {"json": "{}"}},
        "api.routes[0].integration.requestTemplates.json",
        "is not a content type",
    ),
    (
        {"type": "MOCK", "passthroughBehavior": "SOMETIMES"},
        "api.routes[0].integration.passthroughBehavior",
        "must be one of WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER",
    ),
    ("MOCK", "api.routes[0].integration", "must be a mapping with at least `type`"),
]


@pytest.mark.parametrize(("integration", "where", "message"), REFUSED)
def test_refused(integration: Any, where: str, message: str) -> None:
    problems = _problems(integration)
    assert any(p.startswith(f"{where}: ") and message in p for p in problems), problems


def test_every_problem_of_a_config_is_reported_at_once() -> None:
    problems = _problems({"type": "HTTP_PROXY", "uri": "ftp://x", "timeoutInMillis": 1, "colour": 1})
    assert len(problems) == 3


# --- what warns (the config loads) -------------------------------------------------------------

WARNED = [
    ({"type": "HTTP_PROXY", "uri": BACKEND, "contentHandling": "CONVERT_TO_TEXT"}, "contentHandling", "not emulated"),
    ({"type": "HTTP_PROXY", "uri": BACKEND, "cacheKeyParameters": ["x"]}, "cacheKeyParameters", "caching"),
    ({"type": "HTTP_PROXY", "uri": BACKEND, "connectionType": "VPC_LINK"}, "connectionType", "VPC links"),
    ({"type": "HTTP_PROXY", "uri": BACKEND, "requestTemplates": {"a/b": "x"}}, "requestTemplates", "ignored"),
    (
        {"type": "AWS_PROXY", "function": "hello", "requestParameters": {"integration.request.header.X": "'1'"}},
        "requestParameters",
        "AWS_PROXY integrations do not use",
    ),
    ({"type": "AWS_PROXY", "function": "hello", "httpMethod": "GET"}, "httpMethod", "answers 500, as on AWS"),
]


@pytest.mark.parametrize(("integration", "key", "message"), WARNED)
def test_warned(integration: Any, key: str, message: str, code: Path) -> None:
    functions = {"hello": {"handler": "fn/app.py:lambda_handler"}}
    warnings = _warnings(_load(integration, base=code, functions=functions))
    assert any(w.startswith(f"api.routes[0].integration.{key}: ") and message in w for w in warnings), warnings


VTL = (
    "not emulated (VTL: `#if`, `#set`, `$input`, `$util` ...); only `$context.x` and `$stageVariables.x` are filled in"
)
MOCK_TEMPLATES = [
    # (request template, response template, where a VTL warning is; None: no warning)
    ('{"statusCode": 200}', '{"id": "$context.requestId", "v": "$stageVariables.v"}', None),
    ("{statusCode: 200}", "", None),
    (
        '{"statusCode": 200}',
        '{"id": "$input.params(\'id\')"}',
        "integrationResponses[0].responseTemplates.application/json",
    ),
    (
        '{"statusCode": 200}',
        '$util.escapeJavaScript("x")',
        "integrationResponses[0].responseTemplates.application/json",
    ),
    (
        '#if($input.params("x") == "a"){"statusCode": 404}#else{"statusCode": 200}#end',
        "",
        "requestTemplates.application/json",
    ),
    ('#set($context.responseOverride.status = 444){"statusCode": 200}', "", "requestTemplates.application/json"),
]


@pytest.mark.parametrize(("request_template", "response_template", "where"), MOCK_TEMPLATES)
def test_a_mock_template_that_needs_vtl_warns(request_template: str, response_template: str, where: str | None) -> None:
    integration = {
        "type": "MOCK",
        "requestTemplates": {"application/json": request_template},
        "integrationResponses": [{"statusCode": 200, "responseTemplates": {"application/json": response_template}}],
    }
    warnings = [w for w in _warnings(_load(integration)) if "VTL" in w]
    assert warnings == (
        [] if where is None else [f"api.routes[0].integration.{where}: {VTL}, the rest is used as written"]
    )


# --- the Lambda URI forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        (LAMBDA_URI, "hello"),
        (LAMBDA_URI.replace("function:hello", "function:hello:live"), "hello"),  # an alias: the function's name
        (LAMBDA_URI.replace("function:hello", "function:${stageVariables.fn}"), "${stageVariables.fn}"),
        ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/hello/invocations", "hello"),
        (
            "arn:aws:apigateway:eu-west-1:lambda:path/2021-11-15/functions/"
            "arn:aws:lambda:eu-west-1:1:function:stream/response-streaming-invocations",
            "stream",
        ),
    ],
)
def test_function_from_uri(uri: str, name: str) -> None:
    assert function_from_uri(uri).name == name


# --- functions ----------------------------------------------------------------------------------


def _functions(raw: Any, base: Path) -> Settings:
    return build_settings({"api": {"backend": BACKEND}, "functions": raw}, source="g.yaml", base_dir=base)


def test_handler_forms(code: Path) -> None:
    (code / "fn" / "pkg").mkdir()
    (code / "fn" / "pkg" / "__init__.py").write_text("")
    (code / "fn" / "pkg" / "mod.py").write_text("def go(e, c):\n    return {}\n")
    found = _functions(
        {
            "sam": {"handler": "app.lambda_handler", "code": "fn"},
            "file": {"handler": "fn/app.py:lambda_handler"},
            "module": {"handler": "pkg.mod:go", "code": "fn"},
            "nested": {"handler": "pkg/mod.go", "code": "fn"},  # Lambda's `folder/module.function`
        },
        code,
    ).functions
    assert (found["sam"].module, found["sam"].attribute, found["sam"].code_dir) == (
        "app",
        "lambda_handler",
        code / "fn",
    )
    assert (found["file"].file, found["file"].code_dir) == (code / "fn" / "app.py", code / "fn")
    assert (found["module"].module, found["module"].attribute) == ("pkg.mod", "go")
    assert (found["nested"].module, found["nested"].attribute) == ("pkg.mod", "go")
    assert all(f.is_local and f.timeout_s == 3 and f.memory_mb == 128 for f in found.values())


def test_function_values(code: Path) -> None:
    raw = {
        "handler": "fn/app.py:lambda_handler",
        "environment": {"TABLE": "pets", "COUNT": 3, "ON": True},
        "timeout": 0.5,
        "memory_size": 256,
        "concurrency": 4,
    }
    function = _functions({"f": raw}, code).functions["f"]
    assert function.environment == {"TABLE": "pets", "COUNT": "3", "ON": "true"}
    assert (function.timeout_s, function.memory_mb, function.concurrency) == (0.5, 256, 4)
    remote = _functions({"r": {"url": "http://127.0.0.1:9000", "function_name": "function"}}, code).functions["r"]
    assert (remote.is_local, remote.url, remote.remote_name) == (False, "http://127.0.0.1:9000", "function")


FUNCTION_REFUSED = [
    ({"handler": "fn/missing.py:h"}, "functions.f.handler", "no file"),
    ({"handler": "app.lambda_handler", "code": "nowhere"}, "functions.f.code", "no directory"),
    ({"handler": "lambda_handler"}, "functions.f.handler", "is not `module.function`"),
    ({"handler": "app:lambda-handler"}, "functions.f.handler", "does not name a function"),
    ({"handler": "fn/app.py:lambda_handler", "url": "http://h"}, "functions.f", "either `handler`"),
    ({}, "functions.f", "either `handler`"),
    ({"url": "http://h", "code": "fn"}, "functions.f.code", "no local code"),
    (
        {"handler": "fn/app.py:lambda_handler", "environment": {"AWS_REGION": "x"}},
        "functions.f.environment.AWS_REGION",
        "reserved by Lambda",
    ),
    (
        {"handler": "fn/app.py:lambda_handler", "environment": {"1X": "x"}},
        "functions.f.environment.1X",
        "not a variable name",
    ),
    (
        {"handler": "fn/app.py:lambda_handler", "environment": {"X": "x"}},
        "functions.f.environment.X",
        "not a variable name",
    ),  # Lambda's pattern asks for two characters at least
    (
        {"handler": "fn/app.py:lambda_handler", "environment": {"XY": "x" * 5000}},
        "functions.f.environment",
        "Lambda allows 4096",
    ),
    ({"handler": "fn/app.py:lambda_handler", "timeout": 0}, "functions.f.timeout", "above 0 to 900"),
    ({"handler": "fn/app.py:lambda_handler", "timeout": 901}, "functions.f.timeout", "above 0 to 900"),
    ({"handler": "fn/app.py:lambda_handler", "memory_size": 64}, "functions.f.memory_size", "from 128 to 10240"),
    ({"handler": "fn/app.py:lambda_handler", "concurrency": 0}, "functions.f.concurrency", "from 1 to 64"),
    ({"handler": "app.handler", "runtime": "nodejs20.x"}, "functions.f.runtime", "cannot run locally"),
    ({"url": "ftp://h"}, "functions.f.url", "must be an http(s) url"),
    ({"url": "http://h", "function_name": "a b"}, "functions.f.function_name", "must be a Lambda function name"),
]


@pytest.mark.parametrize(("raw", "where", "message"), FUNCTION_REFUSED)
def test_function_refused(raw: Any, where: str, message: str, code: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _functions({"f": raw}, code)
    problems = [f"{p.path}: {p.message}" for p in caught.value.problems]
    assert any(p.startswith(f"{where}: ") and message in p for p in problems), problems


def test_a_bad_function_is_reported_once_not_again_at_its_routes(code: Path) -> None:
    problems = _problems({"type": "AWS_PROXY", "function": "f"}, base=code, functions={"f": {"handler": "x.py:h"}})
    assert problems == [f"functions.f.handler: no file `{code / 'x.py'}`"]


def test_a_module_outside_the_code_directory_warns(code: Path) -> None:
    settings = _functions({"f": {"handler": "installed.module:go", "code": "fn"}}, code)
    assert _warnings(settings) == [
        f"functions.f.handler: module `installed.module` is not in `{code / 'fn'}`; the worker will try to import it"
    ]


def test_config_error_text_is_one_located_line_each() -> None:
    with pytest.raises(ConfigError) as caught:
        _load({"type": "MOCK", "timeoutInMillis": 1})
    assert str(caught.value) == (
        "config `g.yaml`: api.routes[0].integration.timeoutInMillis: "
        "must be an integer from 50 to 29000 (milliseconds), got `1`"
    )


# --- binary media types ---------------------------------------------------------------------------


def test_binary_media_types() -> None:
    settings = build_settings({"api": {"backend": BACKEND, "binary_media_types": ["image/png", "image~1*", "*/*"]}})
    assert settings.apis[0].binary_media_types == ("image/png", "image/*", "*/*")
    with pytest.raises(ConfigError) as caught:
        build_settings({"api": {"backend": BACKEND, "binary_media_types": ["png"]}})
    assert caught.value.problems[0].path == "api.binary_media_types[0]"
