"""test-invoke-method: a request through the method's real stages; AWS's answer shape with the decision trace."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.gateway.control.support import apigateway, serving

API = "abcdef1234"
GET_X = {"httpMethod": "GET", "pathWithQueryString": "/x"}


def _resource(client: Any, path: str) -> str:
    return next(r["id"] for r in client.get_resources(restApiId=API)["items"] if r["path"] == path)


def test_a_denied_request_answers_403_with_a_log_naming_the_failing_condition() -> None:
    # the embedded default (the seed's corporate-network policy), trusting loopback's X-Forwarded-For as `serve` does
    with serving(trusted_proxies=["127.0.0.0/8"]) as gw:
        client = apigateway(gw.url)
        proxy = _resource(client, "/{proxy+}")
        home = client.test_invoke_method(
            restApiId=API,
            resourceId=proxy,
            httpMethod="GET",
            pathWithQueryString="/hr-systems",
            headers={"X-Forwarded-For": "198.18.0.1"},
        )
        office = client.test_invoke_method(
            restApiId=API,
            resourceId=proxy,
            httpMethod="GET",
            pathWithQueryString="/hr-systems?x=1",
            headers={"X-Forwarded-For": "203.0.113.10"},
        )
        records = gw.records
    assert home["status"] == 403
    assert json.loads(home["body"])["Message"].startswith("User: anonymous is not authorized to perform")
    assert home["headers"]["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "Server" not in home["headers"] and "Server" not in home["multiValueHeaders"]  # as on the wire
    assert home["multiValueHeaders"]["x-amzn-ErrorType"] == ["AccessDeniedException"]
    log = home["log"]
    assert "Identity: caller anonymous, source IP 198.18.0.1" in log
    assert "Resource policy: ImplicitDeny" in log
    assert "aws:SourceIp" in log and "198.18.0.1" in log.split("Resource policy:")[1]  # the failing condition
    assert "Verdict: " in log and "-> ImplicitDeny" in log
    assert "Integration: not called" in log and log.rstrip().endswith("Method completed with status: 403")
    assert office["status"] == 200 and json.loads(office["body"])["path"] == "/hr-systems"
    assert "Integration: HTTP_PROXY answered 200" in office["log"] and isinstance(office["latency"], int)
    assert records == []  # a test invocation is no traffic: no access-log line


def test_the_invocation_is_judged_like_a_real_request() -> None:
    with serving(backend="demo") as gw:
        client = apigateway(gw.url)
        proxy = _resource(client, "/{proxy+}")
        climb = client.test_invoke_method(
            restApiId=API, resourceId=proxy, httpMethod="GET", pathWithQueryString="/a/../b"
        )
        body = client.test_invoke_method(
            restApiId=API, resourceId=proxy, httpMethod="POST", pathWithQueryString="/echo", body="hello"
        )
    assert climb["status"] == 403 and "Missing Authentication Token" in climb["body"]
    assert body["status"] == 200 and json.loads(body["body"])["body_length"] == 5


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        (
            {"resourceId": "nope000000", "httpMethod": "GET"},
            "NotFoundException",
            "Invalid Resource identifier specified",
        ),
        ({"httpMethod": "GET"}, "BadRequestException", "pathWithQueryString is required"),
        ({"httpMethod": "GET", "pathWithQueryString": "x"}, "BadRequestException", "Invalid pathWithQueryString"),
        # a verb no method can have: AWS's answer for a method the resource does not hold
        ({"httpMethod": "FROB", "pathWithQueryString": "/x"}, "NotFoundException", "Invalid Method identifier"),
        # what no HTTP parser lets through a socket is refused up front, never a silent 500
        (
            {**GET_X, "headers": {"X-A": "a\r\nX-Gatewaysim-Principal: r"}},
            "BadRequestException",
            "Invalid header `X-A`",
        ),
        ({**GET_X, "headers": {"X-A": "a\nb"}}, "BadRequestException", "Invalid"),
        ({**GET_X, "headers": {"X-A": "a\x00"}}, "BadRequestException", "Invalid"),
        ({**GET_X, "headers": {"X A": "1"}}, "BadRequestException", "Invalid"),
        ({**GET_X, "headers": {"X:A": "1"}}, "BadRequestException", "Invalid"),
        ({**GET_X, "headers": {"": "1"}}, "BadRequestException", "Invalid"),
        (
            {**GET_X, "multiValueHeaders": {"X-B": ["ok", "b\r\nc: d"]}},
            "BadRequestException",
            "Invalid header `X-B`",
        ),
    ],
)
def test_bad_test_invocations(kwargs: dict[str, Any], code: str, message: str) -> None:
    with serving(backend="demo") as gw:
        client = apigateway(gw.url)
        kwargs = {"restApiId": API, "resourceId": _resource(client, "/{proxy+}"), **kwargs}
        with pytest.raises(ClientError) as caught:
            client.test_invoke_method(**kwargs)
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"].startswith(message)


def test_the_log_names_the_authorizer_and_the_table_row() -> None:
    from tests.auth_support import HANDLER_FILE

    config = {
        "api": {
            "id": API,
            "backend": "demo",
            "authorizers": {"tokens": {"type": "TOKEN", "handler": f"{HANDLER_FILE}:token_handler"}},
            "routes": [{"resource": "/orders", "method": "GET", "authorizationType": "CUSTOM", "authorizer": "tokens"}],
        }
    }
    with serving(config=config) as gw:
        client = apigateway(gw.url)
        orders = _resource(client, "/orders")
        allowed = client.test_invoke_method(
            restApiId=API, resourceId=orders, httpMethod="GET", headers={"Authorization": "allow"}
        )
        denied = client.test_invoke_method(
            restApiId=API, resourceId=orders, httpMethod="GET", headers={"Authorization": "deny"}
        )
        missing = client.test_invoke_method(restApiId=API, resourceId=orders, httpMethod="GET")
    assert allowed["status"] == 200
    assert "Authorizer (CUSTOM): Allow (principalId user-allow, caller anonymous)" in allowed["log"]
    assert "Verdict: A: Allow/neither -> Allow" in allowed["log"]
    assert denied["status"] == 403
    assert "Authorizer (CUSTOM): Deny (principalId user-deny, caller anonymous)" in denied["log"]
    assert missing["status"] == 401 and "Method completed with status: 401" in missing["log"]
