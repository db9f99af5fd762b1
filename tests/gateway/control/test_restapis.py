"""get-rest-apis, get-rest-api and update-rest-api through a real boto3 client."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gatewaysim.imports.model import decode_policy_text
from tests.gateway.control.support import POLICY_ALLOW_CORP, apigateway, serving

API_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def test_get_rest_apis_lists_the_configured_apis() -> None:
    with serving(backend="demo", policy=POLICY_ALLOW_CORP) as gw:
        client = apigateway(gw.url)
        apis = client.get_rest_apis()
        one = client.get_rest_api(restApiId="abcdef1234")
    [item] = apis["items"]
    assert item["id"] == "abcdef1234" and item["name"] == "abcdef1234"
    assert item["endpointConfiguration"]["types"] == ["EDGE"]
    assert decode_policy_text(item["policy"])["Statement"][0]["Resource"] == f"{API_ARN}/*"
    assert one["id"] == "abcdef1234" and one["rootResourceId"] == item["rootResourceId"]


def test_update_rest_api_replaces_the_policy_for_the_next_request() -> None:
    deny = {"Version": "2012-10-17", "Statement": [{**POLICY_ALLOW_CORP["Statement"][0], "Effect": "Deny"}]}
    with serving(backend="demo", policy=POLICY_ALLOW_CORP) as gw:
        before = gw.request("/prod/x")
        answer = apigateway(gw.url).update_rest_api(
            restApiId="abcdef1234", patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(deny)}]
        )
        after = gw.request("/prod/x")
    assert (before.status, after.status) == (200, 403)
    assert decode_policy_text(answer["policy"])["Statement"][0]["Effect"] == "Deny"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"op": "replace", "path": "/policy", "value": "{not json"}, "Invalid policy document."),
        ({"op": "replace", "path": "/policy", "value": '{"Statement": [{"Effect": "Maybe"}]}'}, "Invalid policy"),
        (
            {"op": "add", "path": "/policy", "value": "{}"},
            "Invalid patch operation specified. Must be one of: [replace, remove]",
        ),
        ({"op": "replace", "path": "/name", "value": "x"}, "Invalid patch path /name"),
    ],
)
def test_bad_input_is_a_bad_request_and_the_gateway_is_unchanged(patch: dict[str, str], message: str) -> None:
    with serving(backend="demo", policy=POLICY_ALLOW_CORP) as gw:
        client = apigateway(gw.url)
        with pytest.raises(ClientError) as caught:
            client.update_rest_api(restApiId="abcdef1234", patchOperations=[patch])
        after = gw.request("/prod/x")
        policy = decode_policy_text(client.get_rest_api(restApiId="abcdef1234")["policy"])
    error = caught.value.response
    assert error["Error"]["Code"] == "BadRequestException" and error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith(message)
    assert after.status == 200 and policy["Statement"][0]["Sid"] == "Corp"


def test_an_unknown_api_id_is_not_found() -> None:
    with serving(backend="demo") as gw, pytest.raises(ClientError) as caught:
        apigateway(gw.url).get_rest_api(restApiId="nosuchapi1")
    assert caught.value.response["Error"] == {
        "Code": "NotFoundException",
        "Message": "Invalid API identifier specified 123456789012:nosuchapi1",
    }


def test_the_escaped_policy_get_rest_api_prints_goes_back_in_and_an_empty_value_detaches() -> None:
    with serving(backend="demo", policy=POLICY_ALLOW_CORP) as gw:
        client = apigateway(gw.url)
        escaped = client.get_rest_api(restApiId="abcdef1234")["policy"]
        again = client.update_rest_api(
            restApiId="abcdef1234", patchOperations=[{"op": "replace", "path": "/policy", "value": escaped}]
        )
        detached = client.update_rest_api(
            restApiId="abcdef1234", patchOperations=[{"op": "replace", "path": "/policy", "value": ""}]
        )
        admin = gw.request("/prod/x")  # no policy: open
    assert again["policy"] == escaped and "policy" not in detached
    assert admin.status == 200
