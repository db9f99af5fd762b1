"""The proxy response contract (spec 18.1) and binary media types (spec 18.7), as tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewaysim.integrations.lambda_proxy.answer import Malformed, ProxyAnswer, client_response, read_answer
from gatewaysim.integrations.lambda_proxy.binary import accepts_binary, is_binary


def _read(value: Any) -> ProxyAnswer | Malformed:
    return read_answer(json.dumps(value).encode())


# AWS-recorded rows (spec 18.1), then what a typed reader with scalar coercion does beyond them
READ = [
    ({"statusCode": 200}, ProxyAnswer(200, (), "", False)),
    ({"headers": {"test-header": "value"}}, ProxyAnswer(200, (("test-header", "value"),), "", False)),
    ({"statusCode": "201"}, ProxyAnswer(201, (), "", False)),
    ({"statusCode": 200, "headers": {"header-bool": True}}, ProxyAnswer(200, (("header-bool", "true"),), "", False)),
    ({"statusCode": 200, "headers": None}, ProxyAnswer(200, (), "", False)),
    (
        {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}},
        ProxyAnswer(200, (("test-multi", "value1"), ("test-multi", "value2")), "", False),
    ),
    (
        {"multiValueHeaders": {"tesT-Multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}},
        ProxyAnswer(200, (("tesT-Multi", "value-multi"), ("tesT-Multi", "value-solo")), "", False),
    ),
    ({"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}, ProxyAnswer(200, (), "aGk=", True)),
    ({"statusCode": None, "body": None}, ProxyAnswer(200, (), "", False)),
    ({"statusCode": 404.0, "body": 123}, ProxyAnswer(404, (), "123", False)),
    ({"body": True, "isBase64Encoded": "false"}, ProxyAnswer(200, (), "true", False)),
    ({"isBase64Encoded": "TRUE", "base64Encoded": False}, ProxyAnswer(200, (), "", True)),
    ({"base64Encoded": True}, ProxyAnswer(200, (), "", True)),  # the bean name, as SAM CLI found REST reads it
    ({"headers": {"x": None, "y": 1.5}}, ProxyAnswer(200, (("y", "1.5"),), "", False)),
]


@pytest.mark.parametrize(("answer", "read"), READ)
def test_well_formed(answer: Any, read: ProxyAnswer) -> None:
    assert _read(answer) == read


MALFORMED = [
    ({"statusCode": "test"}, "statusCode `test` is not a number"),
    ({"statusCode": 200, "multiValueHeaders": {"x": "value1"}}, "multiValueHeaders `x` must be a list"),
    ({"statusCode": 200, "wrongValue": "value"}, "unknown key `wrongValue`"),
    ("justAString", "the answer is a JSON str, not an object"),
    ({"statusCode": 200, "body": {"hey": "dude"}}, "body must be a string, not an object"),
    ({"body": ["a"]}, "body must be a string, not a list"),
    ({"statusCode": True}, "statusCode must be a number"),
    ({"statusCode": 200.5}, "statusCode `200.5` is not a number"),
    ({"statusCode": 99}, "statusCode `99` is not an HTTP status"),
    ({"statusCode": 600}, "statusCode `600` is not an HTTP status"),
    ({"statusCode": 101}, "statusCode `101` is not an HTTP status"),
    ({"isBase64Encoded": 1}, "isBase64Encoded must be true or false"),
    ({"isBase64Encoded": "yes"}, "isBase64Encoded must be true or false"),
    ({"headers": "x"}, "headers must be an object"),
    ({"headers": {"bad name": "v"}}, "is not an HTTP header name"),
    ({"headers": {"x": "a\nb"}}, "holds a control character"),
    ({"multiValueHeaders": {"x": [{"a": 1}]}}, "must be a string, not an object"),
    (None, "not an object"),
]


@pytest.mark.parametrize(("answer", "why"), MALFORMED)
def test_malformed(answer: Any, why: str) -> None:
    found = _read(answer)
    assert isinstance(found, Malformed) and why in found.reason, found


def test_not_json_at_all() -> None:
    assert read_answer(b"Task timed out") == Malformed("the answer is not JSON")
    assert read_answer(b'{"statusCode": NaN}') == Malformed("the answer is not JSON")


def test_the_client_response_remaps_and_defaults() -> None:
    answer = ProxyAnswer(
        200, (("Date", "d"), ("Server", "s"), ("Transfer-Encoding", "chunked"), ("X-A", "1")), "hi", False
    )
    response = client_response(answer, None, (), {"x-amzn-RequestId": "r"})
    assert not isinstance(response, Malformed)
    headers = response.headers
    assert (headers["X-Amzn-Remapped-Date"], headers["X-Amzn-Remapped-Server"], headers["X-A"]) == ("d", "s", "1")
    assert "Transfer-Encoding" not in headers and "Date" not in headers
    assert headers["Content-Type"] == "application/json" and headers["x-amzn-RequestId"] == "r"
    assert response.body == b"hi"


def test_a_base64_body_that_does_not_decode_is_malformed_when_decoding_is_asked() -> None:
    answer = ProxyAnswer(200, (), "not base64!", True)
    assert client_response(answer, "image/png", ("image/png",), {}) == Malformed(
        "isBase64Encoded is true but the body is not base64"
    )
    kept = client_response(answer, "text/html", ("image/png",), {})
    assert not isinstance(kept, Malformed) and kept.body == b"not base64!"


def test_no_body_for_204() -> None:
    response = client_response(ProxyAnswer(204, (), "ignored", False), None, (), {})
    assert not isinstance(response, Malformed) and response.status == 204 and response.body in (None, b"")


BINARY_TYPES = ("image/png", "*/test", "application/*")


@pytest.mark.parametrize(
    ("accept", "types", "decoded"),
    [
        ("image/png", BINARY_TYPES, True),
        ("IMAGE/PNG; q=1", BINARY_TYPES, True),
        ("image/png,image/*,*/*;q=0.8", BINARY_TYPES, True),
        ("image/webp,image/png,*/*;q=0.8", BINARY_TYPES, False),
        ("image/*", BINARY_TYPES, False),
        ("*/*", BINARY_TYPES, False),
        ("random/test", BINARY_TYPES, False),
        ("application/pdf", BINARY_TYPES, True),  # a `type/*` entry
        (None, BINARY_TYPES, False),
        ("image/png", (), False),
        ("text/html", ("*/*",), True),  # `*/*` matches every Accept (AWS docs; spec 22 item 10)
        (None, ("*/*",), True),
    ],
)
def test_accepts_binary(accept: str | None, types: tuple[str, ...], decoded: bool) -> None:
    assert accepts_binary(accept, types) is decoded


@pytest.mark.parametrize(
    ("content_type", "types", "binary"),
    [
        ("image/png", BINARY_TYPES, True),
        ("application/octet-stream; charset=x", BINARY_TYPES, True),
        ("text/plain", BINARY_TYPES, False),
        ("x/test", BINARY_TYPES, False),
        (None, BINARY_TYPES, False),
        (None, ("*/*",), True),
        ("image/png", (), False),
    ],
)
def test_is_binary_request(content_type: str | None, types: tuple[str, ...], binary: bool) -> None:
    assert is_binary(content_type, types) is binary
