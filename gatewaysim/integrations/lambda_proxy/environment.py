"""The environment of a function's worker process: what Lambda gives a function, and nothing of the gateway's.

A few host variables a Python process needs to start (``PATH``, ``HOME``, ``LANG``, ``LC_*``,
``TMPDIR``, ``SYSTEMROOT``, ``PYTHONPATH``), Lambda's own (``AWS_LAMBDA_FUNCTION_NAME``,
``AWS_REGION``, ``LAMBDA_TASK_ROOT``, ``_HANDLER`` ...), then the function's ``environment`` (the
config refuses Lambda's reserved names there). So two functions never see each other's variables,
and no secret of the gateway's environment reaches a handler.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Final

from gatewaysim.config.functions import FunctionSettings

__all__ = ["worker_environment"]

_PASSED_ON: Final = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")
"""Host variables a worker keeps: what a Python process needs to start. Nothing else leaks in."""


def worker_environment(function: FunctionSettings, region: str, host: Mapping[str, str]) -> dict[str, str]:
    """The worker's environment: a few host variables, Lambda's own, then the function's."""
    env = {key: host[key] for key in _PASSED_ON if key in host}
    code_dir = str(function.code_dir or "")
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": _log_stream(),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.dirname(os.__file__)),
            "_HANDLER": function.handler or "",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            # no __pycache__ in the user's code (Lambda's task root is read-only too), so an edit
            # within the same second and of the same size is never read from a stale .pyc
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(function.environment)  # the config refuses Lambda's reserved names here
    return env


def _log_stream() -> str:
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{os.urandom(16).hex()}"
