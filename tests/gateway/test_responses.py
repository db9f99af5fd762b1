"""Gateway responses: status, body key and spacing, error type and the id headers (spec 6)."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from gatewaysim.authorizers.base import ACCESS_DENIED, UNAUTHORIZED, Rejection
from gatewaysim.gateway.responses import (
    GATEWAY_RESPONSES,
    RequestIds,
    access_denied_message,
    authorizer_denied_message,
    gateway_response,
    rejection_response,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
IDS = RequestIds("11111111-2222-4333-8444-555555555555", "R9NOvE-qIAMECfw=")


@pytest.mark.parametrize(
    ("name", "status", "body", "error_type"),
    [
        (
            "MISSING_AUTHENTICATION_TOKEN",
            403,
            b'{"message":"Missing Authentication Token"}',
            "MissingAuthenticationTokenException",
        ),
        ("INTEGRATION_TIMEOUT", 504, b'{"message": "Endpoint request timed out"}', "InternalServerErrorException"),
        ("INTEGRATION_FAILURE", 502, b'{"message": "Internal server error"}', "InternalServerErrorException"),
        ("API_CONFIGURATION_ERROR", 500, b'{"message": "Internal server error"}', "InternalServerErrorException"),
        ("REQUEST_TOO_LARGE", 413, b'{"message":"Request Too Long"}', "RequestTooLargeException"),
        ("UNAUTHORIZED", 401, b'{"message":"Unauthorized"}', "UnauthorizedException"),
        ("AUTHORIZER_CONFIGURATION_ERROR", 500, b'{"message":null}', "AuthorizerConfigurationException"),
        ("REQUEST_URI_TOO_LONG", 414, b'{"message":"Request URI too long"}', "RequestUriTooLongException"),
        ("DEFAULT_4XX", 400, b'{"message":"Bad Request"}', "BadRequestException"),
    ],
)
def test_gateway_response_table(name: str, status: int, body: bytes, error_type: str) -> None:
    response = gateway_response(name, IDS)
    assert response.status == status
    assert response.body == body
    assert response.headers["x-amzn-ErrorType"] == error_type
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == IDS.request_id
    assert response.headers["x-amz-apigw-id"] == IDS.apigw_id


def test_access_denied_uses_capital_message() -> None:
    assert GATEWAY_RESPONSES["ACCESS_DENIED"].message_key == "Message"
    text = access_denied_message("anonymous", ARN, explicit=False)
    response = rejection_response(Rejection("ACCESS_DENIED", 403, text, "AccessDeniedException"), IDS)
    assert response.status == 403
    assert response.body == json.dumps({"Message": text}, separators=(",", ":")).encode()
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert response.headers["x-amzn-RequestId"] == IDS.request_id


def test_rejection_of_an_unknown_type_keeps_its_own_fields() -> None:
    response = rejection_response(Rejection("INVALID_SIGNATURE_X", 403, "bad", "InvalidSignatureException"), IDS)
    assert (response.status, response.body) == (403, b'{"message":"bad"}')
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_builtin_rejections_render() -> None:
    assert rejection_response(UNAUTHORIZED, IDS).body == b'{"message":"Unauthorized"}'
    assert rejection_response(ACCESS_DENIED, IDS).body == b'{"Message":null}'


def test_access_denied_message_texts() -> None:
    assert access_denied_message("anonymous", ARN, explicit=False) == (
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:********9012:abcdef1234/prod/GET/pets"
    )
    caller = "arn:aws:iam::999999999999:user/eve"
    assert access_denied_message(caller, ARN, explicit=True) == (
        "User: arn:aws:iam::********9999:user/eve is not authorized to perform: execute-api:Invoke on "
        "resource: arn:aws:execute-api:us-east-1:********9012:abcdef1234/prod/GET/pets with an explicit deny"
    )
    assert authorizer_denied_message(explicit=True) == (
        "User is not authorized to access this resource with an explicit deny"
    )


def test_request_ids() -> None:
    ids = RequestIds.new()
    assert uuid.UUID(ids.request_id).version == 4
    assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", ids.apigw_id)
    assert RequestIds.new() != ids
    assert ids.headers() == {"x-amzn-RequestId": ids.request_id, "x-amz-apigw-id": ids.apigw_id}
