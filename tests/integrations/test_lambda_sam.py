"""`gatewaysim serve --template` on a SAM template with Python functions (tests/data/lambda/template.yaml),
as a SAM user runs it: real worker processes, real HTTP, the log on the gateway's stderr.

One gateway serves the whole module, on a copy of the template and its code (one test edits a handler).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from gatewaysim.ids import deployment_id, resource_id
from gatewaysim.integrations.request_info import request_time
from gatewaysim.testing.harness_sync import send
from tests.integrations.lambda_support import DATA

INTERNAL = b'{"message": "Internal server error"}'
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class Served(NamedTuple):
    port: int
    log: Path  # the gateway's stderr: access log and function lines
    code: Path  # the copy of tests/data/lambda it serves


class Reply(NamedTuple):
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    code = tmp_path_factory.mktemp("sam") / "app"
    shutil.copytree(DATA, code, ignore=shutil.ignore_patterns("__pycache__"))
    log = code.parent / "stderr.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gatewaysim", "serve", "--template", str(code / "template.yaml"), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            assert process.stdout is not None
            port = None
            drain = threading.Thread()
            while port is None:
                line = process.stdout.readline()
                assert line, f"serve exited:\n{log.read_text()}"
                found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                port = int(found[1]) if found else None
            drain = threading.Thread(target=process.stdout.read, daemon=True)  # the rest of the banner
            drain.start()
            yield Served(port, log, code)
        finally:
            process.terminate()
            process.wait(20)
            if process.stdout is not None:
                drain.join(5)
                process.stdout.close()


def _get(sam: Served, target: str, **headers: str) -> Reply:
    status, got, body = send("127.0.0.1", sam.port, target, headers=headers, timeout=15)
    return Reply(status, got, body)


def _logged(sam: Served, text: str, timeout: float = 3.0) -> list[str]:
    """The gateway's stderr lines holding ``text`` (waiting a little for them)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in sam.log.read_text().splitlines() if text in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_every_field_of_the_proxy_event(sam: Served) -> None:
    reply = _get(sam, "/Prod/echo/orders/7?page=2&tag=a&tag=b", **{"User-Agent": "sam-test", "X-Custom-Header": "Yes"})
    assert reply.status == 200, reply.body
    event = reply.json()["event"]
    context = event["requestContext"]
    epoch = context["requestTimeEpoch"]
    host = f"127.0.0.1:{sam.port}"
    headers = {
        "Host": host,
        "Accept-Encoding": "identity",
        "User-Agent": "sam-test",
        "X-Custom-Header": "Yes",
        "X-Amzn-Trace-Id": event["headers"]["X-Amzn-Trace-Id"],
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": str(sam.port),
        "X-Forwarded-Proto": "http",
    }
    assert event == {
        "resource": "/echo/{proxy+}",
        "path": "/echo/orders/7",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {"page": "2", "tag": "b"},
        "multiValueQueryStringParameters": {"page": ["2"], "tag": ["a", "b"]},
        "pathParameters": {"proxy": "orders/7"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "deploymentId": deployment_id("abcdef1234", "Prod"),
            "domainName": host,
            "domainPrefix": "127",
            "extendedRequestId": reply.headers["x-amz-apigw-id"],
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
                "userAgent": "sam-test",
                "userArn": None,
            },
            "path": "/Prod/echo/orders/7",
            "protocol": "HTTP/1.1",
            "requestId": reply.headers["x-amzn-RequestId"],
            "requestTime": request_time(epoch // 1000),
            "requestTimeEpoch": epoch,
            "resourceId": resource_id("abcdef1234", "/echo/{proxy+}"),
            "resourcePath": "/echo/{proxy+}",
            "stage": "Prod",
        },
        "body": None,
        "isBase64Encoded": False,
    }
    seen = reply.json()
    assert seen["context"]["function_name"] == "EchoFunction"
    assert seen["context"]["memory_limit_in_mb"] == 256  # Globals.Function.MemorySize
    assert 0 < seen["context"]["remaining_ms"] <= 5000  # Globals.Function.Timeout
    assert seen["context"]["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction"
    assert _logged(sam, f"gatewaysim: gatewaysim.function.EchoFunction: [{context['requestId']}] echo got GET")


def test_the_environments_of_two_functions_never_mix(sam: Served) -> None:
    echo = _get(sam, "/Prod/echo").json()
    other = _get(sam, "/Prod/other").json()
    assert (echo["environment"]["ECHO_SECRET"], echo["environment"]["OTHER_SECRET"]) == ("from-echo", None)
    assert (other["environment"]["ECHO_SECRET"], other["environment"]["OTHER_SECRET"]) == (None, "from-other")
    assert (echo["shared"], other["shared"]) == ("echo", "other") and echo["pid"] != other["pid"]
    assert echo["cwd"] == str(sam.code / "echo")


@pytest.mark.parametrize(
    ("case", "why"),
    [
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
    ],
)
def test_each_malformed_answer_is_a_502_and_a_log_line(sam: Served, case: str, why: str) -> None:
    reply = _get(sam, f"/Prod/misbehave?case={case}")
    assert (reply.status, reply.body) == (502, INTERNAL)
    request_id = reply.headers["x-amzn-RequestId"]
    lines = _logged(sam, f"[{request_id}] Execution failed due to configuration error: Malformed Lambda proxy response")
    assert len(lines) == 1 and why in lines[0], lines


def test_a_raising_handler_is_a_502_with_its_traceback_in_the_log(sam: Served) -> None:
    reply = _get(sam, "/Prod/misbehave?case=raise")
    assert (reply.status, reply.body) == (502, INTERNAL)
    request_id = reply.headers["x-amzn-RequestId"]
    assert _logged(sam, f"[{request_id}] Lambda execution failed with status 200 due to customer function error")
    assert _logged(sam, f"[{request_id}] Traceback (most recent call last):")
    logged = _logged(sam, "ValueError: the handler failed on purpose")
    assert any(
        line.startswith(f"gatewaysim: gatewaysim.function.MisbehaveFunction: [{request_id}] [ERROR]") for line in logged
    )


def test_binary_answers(sam: Served) -> None:
    assert _get(sam, "/Prod/binary", Accept="image/png").body == PNG  # Globals.Api.BinaryMediaTypes: image~1png
    assert _get(sam, "/Prod/binary", Accept="text/html").body == base64.b64encode(PNG)
    posted = send("127.0.0.1", sam.port, "/Prod/binary", method="POST", data=PNG, headers={"Content-Type": "image/png"})
    assert base64.b64decode(posted[2]) == PNG and posted[1]["X-Was-Base64"] == "true"


def test_a_hanging_handler_is_a_504_while_the_other_routes_answer(sam: Served) -> None:
    result: list[Reply] = []
    thread = threading.Thread(target=lambda: result.append(_get(sam, "/Prod/hang?case=hang")))
    thread.start()
    time.sleep(0.15)
    others = [_get(sam, "/Prod/echo").status for _ in range(5)]
    thread.join(15)
    assert others == [200] * 5
    assert (result[0].status, result[0].body) == (504, b'{"message": "Endpoint request timed out"}')  # TimeoutInMillis
    assert _get(sam, "/Prod/misbehave?case=status-only").status == 200


def test_editing_a_handler_changes_the_next_answer(sam: Served) -> None:
    handler = sam.code / "other" / "app.py"
    assert "OTHER_SECRET" in _get(sam, "/Prod/other").body.decode()
    original = handler.read_text()
    try:
        handler.write_text('def lambda_handler(event, context):\n    return {"body": "edited"}\n')
        assert _get(sam, "/Prod/other").body == b"edited"  # serve --template reloads functions by default
    finally:
        handler.write_text(original)
