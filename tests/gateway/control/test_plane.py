"""Which requests are control-plane calls, who may make them, and the answers for what is not served."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from gatewaysim.gateway.control.claims import signed_access_key
from tests.gateway.control.support import apigateway, send, serving

# A stage named like AWS's management collections: its paths stay the API's unless signed for apigateway.
STAGES = ["apikeys", "prod"]


@pytest.mark.parametrize(
    ("authorization", "key"),
    [
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/apigateway/aws4_request, SignedHeaders=host",
            "AKID",
        ),
        ("AWS4-HMAC-SHA256 Credential=tok/en/20240101/eu-west-1/apigateway/aws4_request, Signature=ab", "tok/en"),
        ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, Signature=ab", None),
        ("AWS4-HMAC-SHA256 Credential=AKID/us-east-1/apigateway/aws4_request", None),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, x=/apigateway/aws4_request", None),
        ("Bearer AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/apigateway/aws4_request", None),
        ("Basic /apigateway/aws4_request", None),
    ],
)
def test_the_access_key_of_a_signature_scoped_to_apigateway(authorization: str, key: str | None) -> None:
    assert signed_access_key(authorization) == key


def test_a_signed_call_is_the_control_plane_the_same_path_unsigned_is_the_api() -> None:
    with serving(backend="demo", stages=STAGES) as gw:
        unsigned = send(gw.url, "/apikeys")
        signed = send(gw.url, "/apikeys", sign_for="apigateway")
        for_the_api = send(gw.url, "/apikeys", sign_for="execute-api")
    assert unsigned[0] == 200 and json.loads(unsigned[2])["path"] == "/"  # the demo backend, stage `apikeys`
    assert signed[0] == 200 and json.loads(signed[2]) == {"item": []}  # GetApiKeys: the config declares none
    assert for_the_api[0] == 200


def test_restapis_unsigned_is_the_control_plane_with_aws_wire_names() -> None:
    with serving(backend="demo") as gw:
        status, headers, body = send(gw.url, "/restapis")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    [item] = json.loads(body)["item"]  # `items` travels as its locationName, as on AWS
    assert item["id"] == "abcdef1234" and isinstance(item["createdDate"], int)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/restapis/abcdef1234/prod/_user_request_/x", {}),
        ("/restapis/abcdef1234/prod/_user_request_/restapis", {}),
        ("/restapis", {"Host": "abcdef1234.execute-api.localhost"}),
    ],
)
def test_proxied_traffic_stays_the_data_plane_even_when_signed_for_apigateway(
    path: str, headers: dict[str, str]
) -> None:
    with serving(backend="demo") as gw:
        status, answer_headers, body = send(gw.url, path, headers=headers, sign_for="apigateway")
    assert "x-amz-apigw-id" in answer_headers  # the gateway's own answer, never the control plane's
    assert status == 200 or (status == 403 and b"Missing Authentication Token" in body)


def test_an_operation_gatewaysim_does_not_serve_is_named() -> None:
    with serving(backend="demo") as gw, pytest.raises(ClientError) as caught:
        apigateway(gw.url).get_deployments(restApiId="abcdef1234")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplementedException"
    assert "API action 'GetDeployments' for service 'apigateway' is not emulated" in error["Error"]["Message"]


def test_a_path_that_is_no_operation() -> None:
    with serving(backend="demo") as gw:
        status, headers, body = send(gw.url, "/restapis/abcdef1234/nothing/here", method="DELETE")
    assert status == 404 and headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(body) == {"message": "no API Gateway operation is `DELETE /restapis/abcdef1234/nothing/here`"}


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_a_forwarded_call_is_remote_and_refused(header: str) -> None:
    with serving(backend="demo", trusted_proxies=["127.0.0.0/8"]) as gw:
        status, headers, body = send(gw.url, "/restapis", headers={header: "203.0.113.9"}, sign_for="apigateway")
    assert (status, headers["x-amzn-ErrorType"]) == (403, "AccessDeniedException")
    assert json.loads(body)["message"] == "the control plane answers local, direct clients only (admin.allow_remote)"


def test_with_an_admin_token_aws_clients_present_it_as_their_access_key() -> None:
    with serving(backend="demo", admin={"token": "s3cret"}) as gw:
        apis = apigateway(gw.url, key="s3cret").get_rest_apis()["items"]
        with pytest.raises(ClientError) as caught:
            apigateway(gw.url, key="wrong").get_rest_apis()
        bearer = send(gw.url, "/restapis", headers={"Authorization": "Bearer s3cret"})
        unsigned = send(gw.url, "/restapis")
    assert [api["id"] for api in apis] == ["abcdef1234"]
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (bearer[0], unsigned[0]) == (200, 403)


def test_with_the_admin_api_disabled_restapis_is_refused_as_before() -> None:
    with serving(backend="demo", admin={"enabled": False}) as gw:
        status, _, body = send(gw.url, "/restapis", sign_for="apigateway")
    assert status == 403 and b"Missing Authentication Token" in body


DEEP = "[" * 50_000 + "]" * 50_000
HOSTILE_BODIES = [
    (b"{not json", "Could not parse request body into json: not valid JSON"),
    (DEEP.encode(), "Could not parse request body into json: nested deeper than 32 levels"),
    (b'{"patchOperations": ' + DEEP.encode() + b"}", "Could not parse request body into json: nested deeper"),
    (
        json.dumps({"patchOperations": [{"op": "replace", "path": "/policy", "value": "[" * 30_000}]}).encode(),
        "Invalid policy document. Please check the policy syntax and ensure that Principals are valid.",
    ),
    (b'{"patchOperations": "replace"}', "Invalid type for parameter patchOperations"),
    (b'{"unknownMember": 1}', 'Unknown parameter in input: "unknownMember"'),
]


@pytest.mark.parametrize(("body", "message"), HOSTILE_BODIES)
def test_a_hostile_body_is_a_short_bad_request_and_changes_nothing(body: bytes, message: str) -> None:
    with serving() as gw:  # the embedded default: its policy must stay attached
        status, headers, answer = send(gw.url, "/restapis/abcdef1234", method="PATCH", body=body, sign_for="apigateway")
        health = send(gw.url, "/_gatewaysim/health")
        after = apigateway(gw.url).get_rest_api(restApiId="abcdef1234")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "BadRequestException") and len(answer) < 1000
    assert json.loads(answer)["message"].startswith(message)
    assert health[0] == 200 and "policy" in after  # the embedded default policy is still attached


def test_a_body_over_the_limit_is_refused_unread() -> None:
    with serving(backend="demo") as gw:
        status, headers, answer = send(
            gw.url, "/restapis/abcdef1234", method="PATCH", headers={"Content-Length": str(11 * 1024 * 1024)}
        )
    assert (status, headers["x-amzn-ErrorType"]) == (400, "BadRequestException")
    assert json.loads(answer)["message"] == "Request body is over 10485760 bytes"
