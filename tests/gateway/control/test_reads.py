"""The read operations through a real boto3 client: shapes and ids as AWS answers them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gatewaysim.testing import ThreadedGateway
from tests.gateway.control.support import POLICY_ALLOW_CORP, apigateway

API = "abcdef1234"
CONFIG: dict[str, Any] = {
    "api": {
        "id": API,
        "backend": "demo",
        "stages": ["prod", "beta"],
        "stage_variables": {"prod": {"backendHost": "api.example.com"}},
        "policy": POLICY_ALLOW_CORP,
        "authorizers": {
            "tokens": {"type": "TOKEN", "url": "http://127.0.0.1:9/authorize", "authorizerResultTtlInSeconds": 60},
        },
        "throttling": {"rateLimit": 100, "burstLimit": 50},
        "routes": [
            {"resource": "/pets", "method": "GET"},
            {
                "resource": "/pets/{petId}",
                "methods": ["GET", "DELETE"],
                "authorizationType": "CUSTOM",
                "authorizer": "tokens",
            },
            {"resource": "/orders", "method": "POST", "apiKeyRequired": True},
        ],
        "gateway_responses": {
            "DEFAULT_4XX": {"responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}},
        },
    },
    "api_keys": [{"name": "partner", "value": "abcdefghij0123456789", "customerId": "acme"}],
    "usage_plans": [
        {
            "name": "gold",
            "apiStages": [{"stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 1, "burstLimit": 2}}}],
            "throttle": {"rateLimit": 10, "burstLimit": 20},
            "quota": {"limit": 1000, "period": "DAY"},
            "apiKeys": ["partner"],
        }
    ],
}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with ThreadedGateway(config=CONFIG) as gw:
        yield apigateway(gw.url)


def _by_path(client: Any, **extra: Any) -> dict[str, dict[str, Any]]:
    return {item["path"]: item for item in client.get_resources(restApiId=API, **extra)["items"]}


def test_get_stages_and_get_stage_carry_the_variables_and_throttles(client: Any) -> None:
    stages = {s["stageName"]: s for s in client.get_stages(restApiId=API)["item"]}
    assert sorted(stages) == ["beta", "prod"]
    assert stages["prod"]["variables"] == {"backendHost": "api.example.com"} and stages["beta"]["variables"] == {}
    assert stages["prod"]["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert client.get_stage(restApiId=API, stageName="prod")["deploymentId"] == stages["prod"]["deploymentId"]


def test_get_resources_is_the_route_tree_with_stable_ids(client: Any) -> None:
    resources = _by_path(client)
    assert sorted(resources) == ["/", "/orders", "/pets", "/pets/{petId}"]
    root = resources["/"]
    assert "parentId" not in root and client.get_rest_api(restApiId=API)["rootResourceId"] == root["id"]
    pet = resources["/pets/{petId}"]
    assert pet["parentId"] == resources["/pets"]["id"] and pet["pathPart"] == "{petId}"
    assert pet["resourceMethods"] == {"GET": {}, "DELETE": {}}  # without --embed methods, as on AWS
    assert _by_path(client) == resources  # the same ids every time (derived from the path)


def test_embedded_methods_and_get_method(client: Any) -> None:
    pet = _by_path(client, embed=["methods"])["/pets/{petId}"]
    method = client.get_method(restApiId=API, resourceId=pet["id"], httpMethod="DELETE")
    method.pop("ResponseMetadata")
    assert method == pet["resourceMethods"]["DELETE"]
    authorizer = client.get_authorizers(restApiId=API)["items"][0]
    assert method["authorizationType"] == "CUSTOM" and method["authorizerId"] == authorizer["id"]
    assert method["methodIntegration"]["type"] == "HTTP_PROXY"
    orders = _by_path(client)["/orders"]
    assert client.get_method(restApiId=API, resourceId=orders["id"], httpMethod="POST")["apiKeyRequired"] is True


def test_get_authorizers(client: Any) -> None:
    [authorizer] = client.get_authorizers(restApiId=API)["items"]
    assert authorizer["name"] == "tokens" and authorizer["type"] == "TOKEN"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 60
    assert client.get_authorizer(restApiId=API, authorizerId=authorizer["id"])["name"] == "tokens"


def test_get_gateway_responses_lists_every_type_customised_or_default(client: Any) -> None:
    items = {r["responseType"]: r for r in client.get_gateway_responses(restApiId=API, limit=500)["items"]}
    assert len(items) == 21
    assert items["DEFAULT_4XX"]["defaultResponse"] is False
    assert items["DEFAULT_4XX"]["responseParameters"] == {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
    assert items["ACCESS_DENIED"] == {
        "responseType": "ACCESS_DENIED",
        "statusCode": "403",
        "responseParameters": {},
        "responseTemplates": {"application/json": '{"message":$context.error.messageString}'},
        "defaultResponse": True,
    }
    assert client.get_gateway_response(restApiId=API, responseType="THROTTLED")["statusCode"] == "429"


def test_get_api_keys_shows_values_only_when_asked(client: Any) -> None:
    [hidden] = client.get_api_keys()["items"]
    [shown] = client.get_api_keys(includeValues=True)["items"]
    assert "value" not in hidden and shown["value"] == "abcdefghij0123456789"
    assert shown["name"] == "partner" and shown["enabled"] is True and shown["customerId"] == "acme"
    assert client.get_api_keys(nameQuery="other")["items"] == []
    assert client.get_api_key(apiKey=shown["id"], includeValue=True)["value"] == shown["value"]


def test_get_usage_plans_and_their_keys(client: Any) -> None:
    [plan] = client.get_usage_plans()["items"]
    assert plan["name"] == "gold"
    assert plan["apiStages"] == [
        {"apiId": API, "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 1.0, "burstLimit": 2}}}
    ]
    assert plan["throttle"] == {"rateLimit": 10.0, "burstLimit": 20}
    assert plan["quota"] == {"limit": 1000, "offset": 0, "period": "DAY"}
    [key] = client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert key["name"] == "partner" and key["type"] == "API_KEY"


def test_pages_follow_position(client: Any) -> None:
    first = client.get_gateway_responses(restApiId=API, limit=20)
    second = client.get_gateway_responses(restApiId=API, limit=20, position=first["position"])
    assert len(first["items"]) == 20 and len(second["items"]) == 1 and "position" not in second
    paginated = client.get_paginator("get_resources").paginate(restApiId=API, PaginationConfig={"PageSize": 1})
    assert sum(len(page["items"]) for page in paginated) == 4


@pytest.mark.parametrize(
    ("call", "kwargs", "message"),
    [
        ("get_stage", {"restApiId": API, "stageName": "staging"}, "Invalid Stage identifier specified"),
        ("get_resource", {"restApiId": API, "resourceId": "nope000000"}, "Invalid Resource identifier specified"),
        ("get_authorizer", {"restApiId": API, "authorizerId": "nope"}, "Invalid Authorizer identifier specified"),
        ("get_api_key", {"apiKey": "nope"}, "Invalid API Key identifier specified"),
        ("get_usage_plan", {"usagePlanId": "nope"}, "Invalid Usage Plan ID specified"),
        ("get_stages", {"restApiId": "nosuchapi1"}, "Invalid API identifier specified 123456789012:nosuchapi1"),
    ],
)
def test_unknown_ids_are_aws_not_found(client: Any, call: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(client, call)(**kwargs)
    assert caught.value.response["Error"] == {"Code": "NotFoundException", "Message": message}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_get_method_of_a_verb_the_resource_does_not_declare(client: Any) -> None:
    pets = _by_path(client)["/pets"]
    with pytest.raises(ClientError) as caught:
        client.get_method(restApiId=API, resourceId=pets["id"], httpMethod="PUT")
    assert caught.value.response["Error"]["Message"] == "Invalid Method identifier specified"
