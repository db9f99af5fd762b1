"""AWS_PROXY over real HTTP: real Python handlers (tests/data/lambda) in real worker processes.

One gateway serves every route of this module (its workers stay warm between tests); tests that
need their own settings start their own.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gatewaysim.ids import deployment_id, resource_id
from gatewaysim.integrations.request_info import request_time
from gatewaysim.testing import ThreadedGateway
from tests.integrations.lambda_support import DATA, config, function, proxy_route

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
INTERNAL = b'{"message": "Internal server error"}'
TIMED_OUT = b'{"message": "Endpoint request timed out"}'
FUNCTIONS = {
    "echo": function("echo", environment={"ECHO_SECRET": "from-echo"}, memory_size=256, timeout=5),
    "other": function("other", environment={"OTHER_SECRET": "from-other"}),
    "binary": function("binary"),
    "misbehave": function("misbehave", timeout=5),
    "sleepy": function("misbehave", timeout=0.5),
}
ROUTES = (
    proxy_route("/echo/{proxy+}", "echo"),
    proxy_route("/echo", "echo", "GET"),
    proxy_route("/other", "other", "GET"),
    proxy_route("/binary", "binary"),
    proxy_route("/misbehave", "misbehave", "GET"),
    proxy_route("/hang", "misbehave", "GET", timeoutInMillis=400),
    proxy_route("/sleepy", "sleepy", "GET"),
)


@pytest.fixture(scope="module")
def gw() -> Iterator[ThreadedGateway]:
    settings = config(
        *ROUTES,
        functions=FUNCTIONS,
        binary_media_types=["image/png", "*/test", "application/octet-stream"],
        stage_variables={"prod": {"color": "blue"}},
    )
    with ThreadedGateway(config=settings) as gateway:
        yield gateway


def _lines(caplog: pytest.LogCaptureFixture, function_name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == f"gatewaysim.function.{function_name}"]


# --- the event ------------------------------------------------------------------------------------


def test_the_proxy_event_has_every_field(gw: ThreadedGateway) -> None:
    headers = {"tEsT-HEADeR": "aValUE", "User-Agent": "tests/1.0", "Accept": "application/json"}
    before = time.time()
    reply = gw.request("/prod/echo/api/user/test%2Balias@gmail.com?x=1&x=2&y=a+b&e=%C3%A9&empty=", headers=headers)
    assert reply.status == 200, reply.body
    event = reply.json()["event"]
    request_id, apigw_id = reply.headers["x-amzn-RequestId"], reply.headers["x-amz-apigw-id"]
    epoch = event["requestContext"]["requestTimeEpoch"]
    assert before * 1000 - 1000 <= epoch <= time.time() * 1000
    host = f"127.0.0.1:{gw.live.port}" if gw.live else ""
    sent = {
        "Host": host,
        "tEsT-HEADeR": "aValUE",
        "User-Agent": "tests/1.0",
        "Accept": "application/json",
        "Accept-Encoding": "identity",
        "X-Amzn-Trace-Id": event["headers"]["X-Amzn-Trace-Id"],
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": str(gw.live.port if gw.live else 0),
        "X-Forwarded-Proto": "http",
    }
    assert event == {
        "resource": "/echo/{proxy+}",
        "path": "/echo/api/user/test%2Balias@gmail.com",
        "httpMethod": "GET",
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": {"x": "2", "y": "a b", "e": "é", "empty": ""},
        "multiValueQueryStringParameters": {"x": ["1", "2"], "y": ["a b"], "e": ["é"], "empty": [""]},
        "pathParameters": {"proxy": "api/user/test%2Balias@gmail.com"},
        "stageVariables": {"color": "blue"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "deploymentId": deployment_id("abcdef1234", "prod"),
            "domainName": host,
            "domainPrefix": "127",
            "extendedRequestId": apigw_id,
            "httpMethod": "GET",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "127.0.0.1",
                "user": None,
                "userAgent": "tests/1.0",
                "userArn": None,
            },
            "path": "/prod/echo/api/user/test%2Balias@gmail.com",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": request_time(epoch // 1000),
            "requestTimeEpoch": epoch,
            "resourceId": resource_id("abcdef1234", "/echo/{proxy+}"),
            "resourcePath": "/echo/{proxy+}",
            "stage": "prod",
        },
        "body": None,
        "isBase64Encoded": False,
    }
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert "authorizer" not in event["requestContext"]  # spec 18.3: none without an authorizer


# Spec 18.4, recorded against AWS (stage `stage` there, `prod` here; resource `/echo/{proxy+}`):
# `path` keeps the client's trailing and inner slashes but not those right after the stage,
# `requestContext.path` is the path as sent. gatewaysim judges and routes the collapsed path, so
# `{proxy+}` holds it too (AWS keeps `//` inside the proxy value: the one difference).
@pytest.mark.parametrize(
    ("sent", "path", "proxy", "context_path"),
    [
        ("/prod/echo/proxy-value", "/echo/proxy-value", "proxy-value", "/prod/echo/proxy-value"),
        ("/prod/echo/proxy-value/", "/echo/proxy-value/", "proxy-value", "/prod/echo/proxy-value/"),
        ("/prod//echo/proxy-value", "/echo/proxy-value", "proxy-value", "/prod//echo/proxy-value"),
        ("//prod/echo/proxy-value", "/echo/proxy-value", "proxy-value", "/prod/echo/proxy-value"),
        ("/prod/echo/a//b", "/echo/a//b", "a/b", "/prod/echo/a//b"),
    ],
)
def test_slashes_in_the_event_as_aws_shows_them(
    gw: ThreadedGateway, sent: str, path: str, proxy: str, context_path: str
) -> None:
    reply = gw.request(sent)
    assert reply.status == 200, reply.body
    event = reply.json()["event"]
    assert (event["path"], event["pathParameters"], event["requestContext"]["path"]) == (
        path,
        {"proxy": proxy},
        context_path,
    )
    assert event["resource"] == "/echo/{proxy+}"


def test_nulls_when_the_request_has_no_query_parameters_or_stage_variables() -> None:
    with ThreadedGateway(
        config=config(proxy_route("/echo", "echo", "GET"), functions={"echo": function("echo")})
    ) as gw:
        event = gw.request("/prod/echo").json()["event"]
    assert (event["queryStringParameters"], event["multiValueQueryStringParameters"]) == (None, None)
    assert (event["pathParameters"], event["stageVariables"], event["body"]) == (None, None, None)


def test_repeated_headers_identity_headers_and_connection(gw: ThreadedGateway) -> None:
    from gatewaysim.testing.harness_sync import send

    assert gw.live is not None
    raw = [("X-Multi", "one"), ("x-multi", "two"), ("X-Gatewaysim-Principal", "arn:aws:iam::1:user/x")]
    headers = {"Connection": "keep-alive, X-Drop-Me", "X-Drop-Me": "1", "X-Forwarded-For": "203.0.113.9"}
    status, _, body = send(gw.live.host, gw.live.port, "/prod/echo", headers={**dict(raw[:1]), **headers})
    event = json.loads(body)["event"]
    assert status == 200
    for name in ("Connection", "X-Drop-Me", "X-Gatewaysim-Principal"):
        assert name not in event["headers"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"  # SECURITY: an untrusted peer's chain is dropped


def test_text_and_binary_request_bodies(gw: ThreadedGateway) -> None:
    text = gw.request(
        "/prod/echo/x", method="POST", data='{"a": "é"}'.encode(), headers={"Content-Type": "application/json"}
    )
    event = text.json()["event"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": "é"}', False)
    assert "Content-Length" not in event["headers"]  # API Gateway drops it before any integration
    binary = gw.request("/prod/binary", method="POST", data=PNG, headers={"Content-Type": "image/png"})
    assert base64.b64decode(binary.body) == PNG and binary.headers["X-Was-Base64"] == "true"
    plain = gw.request("/prod/binary", method="POST", data=b"plain", headers={"Content-Type": "text/plain"})
    assert plain.body == b"plain" and plain.headers["X-Was-Base64"] == "false"


# --- the context and the process ---------------------------------------------------------------------------


def test_the_handler_gets_a_lambda_context(gw: ThreadedGateway) -> None:
    reply = gw.request("/prod/echo")
    context = reply.json()["context"]
    assert context["function_name"] == "echo"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert context["memory_limit_in_mb"] == 256
    assert context["aws_request_id"] == reply.headers["x-amzn-RequestId"]
    assert context["log_group_name"] == "/aws/lambda/echo"
    assert context["log_stream_name"].endswith("]" + context["log_stream_name"].split("]")[-1])
    assert "[$LATEST]" in context["log_stream_name"]
    assert 0 < context["remaining_ms"] <= 5000


def test_functions_run_apart_with_their_own_environment_modules_and_directory(gw: ThreadedGateway) -> None:
    echo = gw.request("/prod/echo").json()
    other = gw.request("/prod/other").json()
    assert echo["environment"]["ECHO_SECRET"] == "from-echo" and echo["environment"]["OTHER_SECRET"] is None
    assert other["environment"] == {
        "ECHO_SECRET": None,
        "OTHER_SECRET": "from-other",
        "AWS_LAMBDA_FUNCTION_NAME": "other",
    }
    assert (echo["shared"], other["shared"]) == ("echo", "other")  # each its own `shared` module
    assert echo["pid"] != other["pid"]
    assert echo["cwd"] == echo["sys_path_0"] == echo["environment"]["LAMBDA_TASK_ROOT"] == str(DATA / "echo")
    assert echo["environment"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert echo["environment"]["AWS_REGION"] == "us-east-1"
    assert echo["environment"]["_HANDLER"] == "app.lambda_handler"


def test_what_the_handler_prints_and_logs_is_tagged_with_function_and_request(
    gw: ThreadedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gatewaysim.function")
    reply = gw.request("/prod/echo/hello")
    request_id = reply.headers["x-amzn-RequestId"]
    lines = _lines(caplog, "echo")
    assert f"[{request_id}] echo got GET /echo/hello" in lines
    warning = [line for line in lines if "a warning from the echo handler" in line]
    assert warning and warning[0].startswith(f"[{request_id}] [WARNING]\t") and f"\t{request_id}\t" in warning[0]


def test_cold_then_warm_starts_in_the_access_log() -> None:
    with ThreadedGateway(
        config=config(proxy_route("/echo", "echo", "GET"), functions={"echo": function("echo")})
    ) as gw:
        first, second = gw.request("/prod/echo"), gw.request("/prod/echo")
    assert first.record["function"] == {"name": "echo", "coldStart": True}
    assert second.record["function"] == {"name": "echo", "coldStart": False}
    assert first.json()["pid"] == second.json()["pid"]
    assert second.record["integrationLatency"] > 0


# --- the response contract (spec 18.1), AWS-recorded rows first ----------------------------------------------

WELL_FORMED = [
    ("status-only", 200, {"Content-Type": "application/json"}, b""),
    ("no-status", 200, {"test-header": "value"}, b""),
    ("string-status", 201, {}, b""),
    ("bool-header", 200, {"header-bool": "true"}, b""),
    ("null-headers", 200, {}, b""),
    ("multi", 200, {"test-multi": "value1, value2"}, b""),
    ("merge", 200, {"test-multi": "value-multi, value-solo"}, b""),
    ("base64-no-binary-types", 200, {}, b"aGVsbG8="),  # no Accept match: the base64 text as it is
    ("number-header", 200, {"x-count": "5"}, b""),
    (
        "remapped",
        200,
        {
            "X-Amzn-Remapped-Date": "yesterday",
            "X-Amzn-Remapped-Server": "lambda",
            "X-Amzn-Remapped-Connection": "close",
        },
        b"",
    ),
]


@pytest.mark.parametrize(("case", "status", "headers", "body"), WELL_FORMED, ids=[c[0] for c in WELL_FORMED])
def test_well_formed_answers(gw: ThreadedGateway, case: str, status: int, headers: dict[str, str], body: bytes) -> None:
    reply = gw.request(f"/prod/misbehave?case={case}")
    assert (reply.status, reply.body) == (status, body)
    for name, value in headers.items():
        assert ", ".join(reply.headers.getall(name)) == value
    assert reply.headers["Content-Type"] == "application/json"  # the default when the function sets none


def test_the_multi_value_spelling_wins_and_each_value_is_its_own_line(gw: ThreadedGateway) -> None:
    from gatewaysim.testing.harness_sync import send

    assert gw.live is not None
    _, headers, _ = send(gw.live.host, gw.live.port, "/prod/misbehave?case=merge-spelling")
    assert [(k, v) for k, v in headers.items() if k.lower() == "test-multi"] == [
        ("tesT-Multi", "value-multi"),
        ("tesT-Multi", "value-solo"),
    ]


MALFORMED = [
    ("bad-status", "statusCode `test` is not a number"),
    ("multi-not-list", "multiValueHeaders `x` must be a list"),
    ("unknown-key", "unknown key `wrongValue`"),
    ("string", "the answer is a JSON str, not an object"),
    ("object-body", "body must be a string, not an object"),
    ("null", "the answer is a JSON NoneType, not an object"),
    ("list", "the answer is a JSON list, not an object"),
    ("object-header", "headers `x` must be a string, not an object"),
    ("status-999", "statusCode `999` is not an HTTP status"),
    ("bool-status", "statusCode must be a number"),
    ("newline-header", "holds a control character"),
]


@pytest.mark.parametrize(("case", "why"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_answers_are_502_with_the_reason_in_the_log(
    gw: ThreadedGateway, caplog: pytest.LogCaptureFixture, case: str, why: str
) -> None:
    caplog.set_level(logging.INFO, logger="gatewaysim.function")
    reply = gw.request(f"/prod/misbehave?case={case}")
    assert (reply.status, reply.body) == (502, INTERNAL)  # with its space, as AWS sends it
    assert reply.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    message = reply.record["errorMessage"]
    assert message.startswith("Execution failed due to configuration error: Malformed Lambda proxy response: ")
    assert why in message
    assert f"[{reply.headers['x-amzn-RequestId']}] {message}" in _lines(caplog, "misbehave")


# --- binary answers (spec 18.7) --------------------------------------------------------------------------

BINARY = [
    ("image/png", True),
    ("image/png,image/*,*/*;q=0.8", True),
    ("image/webp,image/png,*/*;q=0.8", False),  # only the first Accept type counts
    ("image/jpg", False),
    ("image/*", False),
    ("*/*", False),
    ("random/test", False),  # `*/test` never matched
    (None, False),
]


@pytest.mark.parametrize(("accept", "decoded"), BINARY)
def test_binary_answers_by_the_first_accept_type(gw: ThreadedGateway, accept: str | None, decoded: bool) -> None:
    reply = gw.request("/prod/binary", headers={"Accept": accept} if accept else {})
    assert reply.status == 200
    assert reply.body == (PNG if decoded else base64.b64encode(PNG))
    assert reply.headers["Content-Type"] == "image/png"


def test_without_binary_media_types_the_base64_text_goes_out() -> None:
    with ThreadedGateway(
        config=config(proxy_route("/b", "binary", "GET"), functions={"binary": function("binary")})
    ) as gw:
        reply = gw.request("/prod/b", headers={"Accept": "image/png"})
    assert reply.body == base64.b64encode(PNG)


# --- functions that fail ---------------------------------------------------------------------------------


def test_an_exception_is_502_with_the_traceback_in_the_log(
    gw: ThreadedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gatewaysim.function")
    before = gw.request("/prod/misbehave?case=pid").body
    reply = gw.request("/prod/misbehave?case=raise")
    request_id = reply.headers["x-amzn-RequestId"]
    assert (reply.status, reply.body) == (502, INTERNAL)
    lines = _lines(caplog, "misbehave")
    expected = (
        "Lambda execution failed with status 200 due to customer function error: the handler failed on purpose. "
        f"Lambda request id: {request_id}"
    )
    assert f"[{request_id}] {expected}" in lines and reply.record["errorMessage"] == expected
    assert any("ValueError: the handler failed on purpose" in line for line in lines)
    assert any(line.startswith(f"[{request_id}] Traceback (most recent call last):") for line in lines)
    assert any('raise ValueError("the handler failed on purpose")' in line for line in lines)
    assert gw.request("/prod/misbehave?case=pid").body == before  # a handled exception keeps the worker


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("exit", "Runtime exited with error: exit status 3"),
        ("crash", "Runtime exited with error: exit status 7"),
        ("unmarshallable", "Unable to marshal response: Object of type object is not JSON serializable"),
    ],
)
def test_a_dying_or_unmarshallable_function_is_502(
    gw: ThreadedGateway, caplog: pytest.LogCaptureFixture, case: str, error: str
) -> None:
    caplog.set_level(logging.INFO, logger="gatewaysim.function")
    reply = gw.request(f"/prod/misbehave?case={case}")
    assert (reply.status, reply.body) == (502, INTERNAL)
    assert error in reply.record["errorMessage"]
    assert gw.request("/prod/misbehave?case=status-only").status == 200  # the next request is served


def test_a_crashed_worker_is_replaced(gw: ThreadedGateway) -> None:
    before = gw.request("/prod/misbehave?case=pid").body
    assert gw.request("/prod/misbehave?case=exit").status == 502
    after = gw.request("/prod/misbehave?case=pid")
    assert after.status == 200 and after.body != before


def test_a_hanging_handler_gives_504_while_other_routes_keep_answering(gw: ThreadedGateway) -> None:
    results: dict[str, Any] = {}

    def hang() -> None:
        results["hang"] = gw.request("/prod/hang?case=hang", timeout=10)

    thread = threading.Thread(target=hang)
    thread.start()
    time.sleep(0.1)  # the hanging invocation is under way
    answered = [gw.request("/prod/echo").status for _ in range(5)]
    thread.join(10)
    reply = results["hang"]
    assert answered == [200] * 5
    assert (reply.status, reply.body) == (504, TIMED_OUT)
    assert reply.record["errorMessage"].startswith("Execution failed due to a timeout error")
    assert gw.request("/prod/misbehave?case=status-only").status == 200  # the hung worker was recycled


def test_the_functions_own_timeout_is_a_502(gw: ThreadedGateway) -> None:
    reply = gw.request("/prod/sleepy?case=sleep&s=3")
    assert (reply.status, reply.body) == (502, INTERNAL)
    assert "Task timed out after 0.50 seconds" in reply.record["errorMessage"]


def test_a_handler_that_does_not_load_is_502(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gatewaysim.function")
    (tmp_path / "broken.py").write_text("def handler(event, context)\n    return {}\n")
    (tmp_path / "importer.py").write_text("import not_installed_anywhere\n")
    (tmp_path / "empty.py").write_text("x = 1\n")
    functions = {
        "syntax": {"handler": str(tmp_path / "broken.py") + ":handler"},
        "imports": {"handler": str(tmp_path / "importer.py") + ":handler"},
        "missing": {"handler": str(tmp_path / "empty.py") + ":handler"},
    }
    routes = [proxy_route(f"/{name}", name, "GET") for name in functions]
    with ThreadedGateway(config=config(*routes, functions=functions)) as gw:
        replies = {name: gw.request(f"/prod/{name}") for name in functions}
    assert {name: r.status for name, r in replies.items()} == {"syntax": 502, "imports": 502, "missing": 502}
    assert "Syntax error in module 'broken'" in replies["syntax"].record["errorMessage"]
    assert (
        "Unable to import module 'importer': No module named 'not_installed_anywhere'"
        in replies["imports"].record["errorMessage"]
    )
    assert "Handler 'handler' missing on module 'empty'" in replies["missing"].record["errorMessage"]
    assert any("Runtime.ImportModuleError" in line for line in _lines(caplog, "imports"))


def test_non_post_integration_method_is_500() -> None:
    route = proxy_route("/echo", "echo", "GET", httpMethod="GET")
    with ThreadedGateway(config=config(route, functions={"echo": function("echo")})) as gw:
        reply = gw.request("/prod/echo")
    assert (reply.status, reply.body) == (500, INTERNAL)
    assert gw.settings.warnings  # the config said so when it loaded


def test_an_event_over_lambdas_6_mb_is_refused_with_500() -> None:
    settings = config(proxy_route("/echo", "echo", "POST"), functions={"echo": function("echo")})
    with ThreadedGateway(config=settings) as gw:
        reply = gw.request("/prod/echo", method="POST", data=b"x" * (6 * 1024 * 1024 + 1), timeout=30)
    assert (reply.status, reply.body) == (500, INTERNAL)  # Lambda refuses the invoke; API Gateway says 500
    assert "Lambda accepts at most 6 MB" in reply.record["errorMessage"]
