"""Echoes its event, its context and what it can see of its process (gatewaysim's tests)."""

import json
import logging
import os
import sys

import shared  # this function's own `shared.py`; the other function has a different one

logger = logging.getLogger()


def lambda_handler(event, context):
    print(f"echo got {event['httpMethod']} {event['path']}")
    logger.warning("a warning from the echo handler")
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "environment": {
            k: os.environ.get(k)
            for k in (
                "ECHO_SECRET",
                "OTHER_SECRET",
                "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_REGION",
                "LAMBDA_TASK_ROOT",
                "_HANDLER",
                "HOME_SECRET_OF_THE_GATEWAY",
            )
        },
        "cwd": os.getcwd(),
        "sys_path_0": sys.path[0],
        "shared": shared.WHO,
        "pid": os.getpid(),
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(seen)}
