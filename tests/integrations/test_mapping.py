"""Mapping expressions, static templates and a method's own HTTP_PROXY target, as tables."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, MultiDict

from gatewaysim.config.integration import Integration, IntegrationType
from gatewaysim.integrations.http_proxy.route import backend_target
from gatewaysim.integrations.mapping import MappingSource, render, stage_variables_in

SOURCE = MappingSource(
    headers=CIMultiDict([("X-Id", "a"), ("X-Id", "b"), ("Host", "api.example.com")]),
    query=MultiDict([("page", "1"), ("page", "2"), ("q", "a b")]),
    path_parameters={"proxy": "items/42", "id": "a%2Bb"},
    stage_variables={"host": "backend.internal:8080", "v": "2"},
    context={"requestId": "r-1", "stage": "prod", "identity.sourceIp": "127.0.0.7"},
)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("method.request.header.x-id", "b"),  # header names are case-insensitive; the last value
        ("method.request.multivalueheader.X-Id", "a,b"),
        ("method.request.querystring.page", "2"),
        ("method.request.multivaluequerystring.page", "1,2"),
        ("method.request.path.proxy", "items/42"),
        ("method.request.path.missing", None),
        ("method.request.header.Nope", None),
        ("'static, with spaces'", "static, with spaces"),
        ("''", ""),
        ("stageVariables.host", "backend.internal:8080"),
        ("stageVariables.undefined", None),
        ("context.requestId", "r-1"),
        ("context.identity.sourceIp", "127.0.0.7"),
        ("integration.response.body", None),
    ],
)
def test_mapping_expression_values(expression: str, value: str | None) -> None:
    assert SOURCE.value(expression) == value


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ('{"statusCode": 200}', '{"statusCode": 200}'),
        ("$context.requestId", "r-1"),
        ("${context.stage}-$stageVariables.v", "prod-2"),
        ("$stageVariables['host']", "backend.internal:8080"),
        ("[$stageVariables.undefined]", "[]"),  # undefined renders empty (spec 20.1)
        ("$context.identity.sourceIp", "127.0.0.7"),
        ("$input.body", "$input.body"),  # VTL beyond variables is not emulated (the config warns)
    ],
)
def test_static_templates(template: str, rendered: str) -> None:
    assert render(template, SOURCE) == rendered


def test_stage_variables_in_a_uri() -> None:
    assert stage_variables_in(
        "http://${stageVariables.host}/v${stageVariables.v}/${stageVariables.x}", SOURCE.stage_variables
    ) == ("http://backend.internal:8080/v2/")


def _proxy(uri: str, parameters: dict[str, str], verb: str = "ANY") -> Integration:
    return Integration(IntegrationType.HTTP_PROXY, uri=uri, http_method=verb, request_parameters=parameters)


@pytest.mark.parametrize(
    ("uri", "parameters", "client_query", "base", "target"),
    [
        (
            "http://${stageVariables.host}/api/{proxy}",
            {"integration.request.path.proxy": "method.request.path.proxy"},
            "a=1",
            "http://backend.internal:8080",
            "/api/items/42?a=1",
        ),
        (  # a placeholder in the query adds to the client's value of the same key (spec 18.5)
            "http://h/x?id={id}",
            {"integration.request.path.id": "method.request.path.id"},
            "id=bar",
            "http://h",
            "/x?id=a%2Bb&id=bar",
        ),
        (  # a path value keeps its encoding in the path and gets its query delimiters escaped in the query
            "http://h/{id}?copy={id}",
            {"integration.request.path.id": "method.request.path.id"},
            "",
            "http://h",
            "/a%2Bb?copy=a%2Bb",
        ),
        (  # values that are not the request's path are encoded whole
            "http://h/{q}",
            {
                "integration.request.path.q": "method.request.querystring.q",
                "integration.request.querystring.p": "'x&y=z'",
            },
            "",
            "http://h",
            "/a%20b?p=x%26y%3Dz",
        ),
        ("http://h", {}, "", "http://h", "/"),
        (
            "https://h:8443/base/",
            {"integration.request.querystring.none": "method.request.header.Missing"},
            "",
            "https://h:8443",
            "/base/",
        ),
    ],
)
def test_backend_target(uri: str, parameters: dict[str, str], client_query: str, base: str, target: str) -> None:
    found = backend_target(_proxy(uri, parameters), SOURCE, client_query, "GET")
    query = f"?{found.query_string}" if found.query_string else ""
    assert (found.base, found.path + query, found.method) == (base, target, "GET")


def test_backend_target_header_mappings_and_verb() -> None:
    parameters = {
        "integration.request.header.X-Tenant": "method.request.header.X-Id",
        "integration.request.header.X-None": "method.request.header.Missing",
        "integration.request.header.X-Crlf": "method.request.querystring.evil",
    }
    source = SOURCE._replace(query=MultiDict([("evil", "a\r\nInjected: 1")]))
    found = backend_target(_proxy("http://h/", parameters, "POST"), source, "", "GET")
    assert found.headers == (("X-Tenant", "b"),)  # absent sources add nothing; a decoded CR/LF never becomes a header
    assert found.method == "POST"
