"""Answers whatever `?case=` names: each row of AWS's proxy response contract, and worse (gatewaysim's tests)."""

import os
import sys
import time

ANSWERS = {
    # AWS-recorded rows (spec 18.1)
    "status-only": {"statusCode": 200},
    "no-status": {"headers": {"test-header": "value"}},
    "string-status": {"statusCode": "201"},
    "bad-status": {"statusCode": "test"},
    "bool-header": {"statusCode": 200, "headers": {"header-bool": True}},
    "null-headers": {"statusCode": 200, "headers": None},
    "multi": {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}},
    "merge": {
        "statusCode": 200,
        "multiValueHeaders": {"test-multi": ["value-multi"]},
        "headers": {"test-multi": "value-solo"},
    },
    "merge-spelling": {
        "statusCode": 200,
        "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
        "headers": {"test-multi": "value-solo"},
    },
    "multi-not-list": {"statusCode": 200, "multiValueHeaders": {"x": "value1"}},
    "unknown-key": {"statusCode": 200, "wrongValue": "value"},
    "string": "justAString",
    "base64-no-binary-types": {"statusCode": 200, "body": "aGVsbG8=", "isBase64Encoded": True},
    # recorded outside LocalStack's suite
    "object-body": {"statusCode": 200, "body": {"hey": "dude"}},
    # beyond the recordings
    "null": None,
    "list": [1, 2],
    "number-header": {"statusCode": 200, "headers": {"x-count": 5}},
    "object-header": {"statusCode": 200, "headers": {"x": {"a": 1}}},
    "status-999": {"statusCode": 999},
    "bool-status": {"statusCode": True},
    "newline-header": {"statusCode": 200, "headers": {"x-evil": "a\r\nSet-Cookie: pwned=1"}},
    "remapped": {"statusCode": 200, "headers": {"Date": "yesterday", "Server": "lambda", "Connection": "close"}},
}


def lambda_handler(event, context):
    case = (event["queryStringParameters"] or {}).get("case", "")
    if case == "raise":
        raise ValueError("the handler failed on purpose")
    if case == "exit":
        sys.exit(3)
    if case == "crash":
        print("about to crash", flush=True)
        os._exit(7)
    if case == "hang":
        while True:
            pass
    if case == "sleep":
        time.sleep(float(event["queryStringParameters"]["s"]))
        return {"statusCode": 200, "body": "slept"}
    if case == "unmarshallable":
        return {"statusCode": 200, "body": object()}
    if case == "pid":
        return {"statusCode": 200, "body": str(os.getpid())}
    return ANSWERS[case]
