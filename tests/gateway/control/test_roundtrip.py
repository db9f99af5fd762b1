"""Every operation gatewaysim claims round-trips through a real botocore client; every other one is named.

botocore serialises each call from its own model, gatewaysim reads it through the same model,
answers, and botocore parses the answer: a member in the wrong place, a wrong type or a wrong
status code would fail here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest

from gatewaysim.gateway.control.operations import OPERATIONS
from gatewaysim.testing import ThreadedGateway
from tests.gateway.control.support import apigateway, send
from tests.gateway.control.test_reads import API, CONFIG

MODEL = botocore.session.get_session().get_service_model("apigateway")
Call = Callable[[Any, dict[str, str]], dict[str, Any]]


def _ids(client: Any) -> dict[str, str]:
    resources = {r["path"]: r["id"] for r in client.get_resources(restApiId=API)["items"]}
    return {
        "pets": resources["/pets"],
        "authorizer": client.get_authorizers(restApiId=API)["items"][0]["id"],
        "key": client.get_api_keys()["items"][0]["id"],
        "plan": client.get_usage_plans()["items"][0]["id"],
    }


CALLS: dict[str, Call] = {
    "GetRestApis": lambda c, ids: c.get_rest_apis(limit=10),
    "GetRestApi": lambda c, ids: c.get_rest_api(restApiId=API),
    "UpdateRestApi": lambda c, ids: c.update_rest_api(
        restApiId=API,
        patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(CONFIG["api"]["policy"])}],
    ),
    "GetStages": lambda c, ids: c.get_stages(restApiId=API),
    "GetStage": lambda c, ids: c.get_stage(restApiId=API, stageName="prod"),
    "UpdateStage": lambda c, ids: c.update_stage(
        restApiId=API, stageName="beta", patchOperations=[{"op": "replace", "path": "/variables/v", "value": "1"}]
    ),
    "GetResources": lambda c, ids: c.get_resources(restApiId=API, embed=["methods"]),
    "GetResource": lambda c, ids: c.get_resource(restApiId=API, resourceId=ids["pets"]),
    "GetMethod": lambda c, ids: c.get_method(restApiId=API, resourceId=ids["pets"], httpMethod="GET"),
    "GetIntegration": lambda c, ids: c.get_integration(restApiId=API, resourceId=ids["pets"], httpMethod="GET"),
    "GetAuthorizers": lambda c, ids: c.get_authorizers(restApiId=API),
    "GetAuthorizer": lambda c, ids: c.get_authorizer(restApiId=API, authorizerId=ids["authorizer"]),
    "GetGatewayResponses": lambda c, ids: c.get_gateway_responses(restApiId=API),
    "GetGatewayResponse": lambda c, ids: c.get_gateway_response(restApiId=API, responseType="DEFAULT_5XX"),
    "GetApiKeys": lambda c, ids: c.get_api_keys(includeValues=True, customerId="acme"),
    "GetApiKey": lambda c, ids: c.get_api_key(apiKey=ids["key"], includeValue=True),
    "CreateApiKey": lambda c, ids: c.create_api_key(name="roundtrip", enabled=True, description="d", customerId="c"),
    "UpdateApiKey": lambda c, ids: c.update_api_key(
        apiKey=ids["key"], patchOperations=[{"op": "replace", "path": "/description", "value": "partner key"}]
    ),
    "DeleteApiKey": lambda c, ids: c.delete_api_key(apiKey=c.create_api_key(name="gone")["id"]),
    "GetUsagePlans": lambda c, ids: c.get_usage_plans(keyId=ids["key"]),
    "GetUsagePlan": lambda c, ids: c.get_usage_plan(usagePlanId=ids["plan"]),
    "GetUsagePlanKeys": lambda c, ids: c.get_usage_plan_keys(usagePlanId=ids["plan"], nameQuery="part"),
    "GetUsagePlanKey": lambda c, ids: c.get_usage_plan_key(usagePlanId=ids["plan"], keyId=ids["key"]),
    "CreateUsagePlanKey": lambda c, ids: c.create_usage_plan_key(
        usagePlanId=ids["plan"], keyId=c.create_api_key(name="planned")["id"], keyType="API_KEY"
    ),
    "DeleteUsagePlanKey": lambda c, ids: c.delete_usage_plan_key(
        usagePlanId=ids["plan"],
        keyId=c.create_usage_plan_key(
            usagePlanId=ids["plan"], keyId=c.create_api_key(name="brief")["id"], keyType="API_KEY"
        )["id"],
    ),
    "TestInvokeMethod": lambda c, ids: c.test_invoke_method(
        restApiId=API, resourceId=ids["pets"], httpMethod="GET", multiValueHeaders={"X-Many": ["a", "b"]}
    ),
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[ThreadedGateway]:
    with ThreadedGateway(config=CONFIG) as gw:
        yield gw


def test_every_claimed_operation_has_a_round_trip() -> None:
    assert sorted(CALLS) == sorted(OPERATIONS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_operation_round_trips_through_botocore(gateway: ThreadedGateway, name: str) -> None:
    client = apigateway(gateway.url)
    answer = CALLS[name](client, _ids(client))
    operation = MODEL.operation_model(name)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == operation.http.get("responseCode", 200)
    output = operation.output_shape
    members = set(output.members) if output is not None else set()
    assert set(answer) - {"ResponseMetadata"} <= members
    if output is not None:
        assert set(answer) - {"ResponseMetadata"}  # something came back, parsed into the shape's members


def _path(uri: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", uri)


UNSUPPORTED = sorted(set(MODEL.operation_names) - set(OPERATIONS))


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_every_other_operation_answers_not_implemented_naming_it(gateway: ThreadedGateway, name: str) -> None:
    http = MODEL.operation_model(name).http
    status, headers, body = send(gateway.url, _path(http["requestUri"]), method=http["method"], sign_for="apigateway")
    assert (status, headers["x-amzn-ErrorType"]) == (501, "NotImplementedException")
    assert f"API action '{name}' for service 'apigateway' is not emulated by gatewaysim" in json.loads(body)["message"]
