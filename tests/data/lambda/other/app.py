"""A second function with its own environment and its own `shared` module (gatewaysim's tests)."""

import json
import os

import shared


def lambda_handler(event, context):
    environment = {k: os.environ.get(k) for k in ("ECHO_SECRET", "OTHER_SECRET", "AWS_LAMBDA_FUNCTION_NAME")}
    return {"body": json.dumps({"environment": environment, "shared": shared.WHO, "pid": os.getpid()})}
