"""A function behind Lambda's invoke API: ``POST {url}/2015-03-31/functions/{name}/invocations``.

That is the API of Lambda itself and of the Runtime Interface Emulator that AWS's Lambda base
images run (``aws-lambda-rie``), so a compose harness can put a function in any language behind
gatewaysim. How the answers are read:

* 200: the function's answer, unless ``X-Amz-Function-Error`` says it is an error object
  (Lambda; the emulator sends none, and its ``Task timed out after ...`` text is a function error);
* 502 from the emulator: the function failed to load or crashed (its body is the error object);
* any other status, or no answer at all: the invoke was refused -> 500, as API Gateway answers
  when Lambda's API refuses (throttling, unknown function, payload too large) (spec 18.2);
* no answer within the integration timeout: 504.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import aiohttp

from gatewaysim.config.functions import FunctionSettings
from gatewaysim.integrations.lambda_proxy.frames import MAX_EVENT
from gatewaysim.integrations.lambda_proxy.outcome import (
    FUNCTION_ERROR,
    REFUSED,
    RESULT,
    TIMEOUT,
    Invoked,
    error_payload,
)
from gatewaysim.integrations.lambda_proxy.process import FunctionLog

__all__ = ["RemoteFunction", "invocations_url"]

_MAX_ANSWER: Final = 6 * 1024 * 1024 + 64 * 1024
_TIMED_OUT: Final = b"Task timed out after"


def invocations_url(function: FunctionSettings) -> str:
    """``{url}/2015-03-31/functions/{name}/invocations``."""
    base = (function.url or "").rstrip("/")
    return f"{base}/2015-03-31/functions/{function.remote_name or function.name}/invocations"


class RemoteFunction:
    """Invokes ``function`` over HTTP with the gateway's shared client session."""

    def __init__(self, function: FunctionSettings, session: aiohttp.ClientSession, log: FunctionLog) -> None:
        self.function = function
        self.url = invocations_url(function)
        self.session = session
        self.log = log

    async def invoke(self, event: bytes, request_id: str, arn: str, trace_id: str, deadline: float) -> Invoked:
        """POST the event; read the answer by the module docstring's rules."""
        if len(event) > MAX_EVENT:  # Lambda refuses events over 6 MB (RequestEntityTooLargeException)
            return Invoked(REFUSED, message=f"the event is {len(event)} bytes; Lambda accepts at most 6 MB")
        started = time.perf_counter()
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": "RequestResponse",
            "X-Amzn-Trace-Id": trace_id,
            "X-Amzn-Request-Id": request_id,
        }
        try:
            async with asyncio.timeout_at(deadline):
                async with self.session.post(self.url, data=event, headers=headers, allow_redirects=False) as answer:
                    body = await answer.content.read(_MAX_ANSWER + 1)
                    status, function_error = answer.status, answer.headers.get("X-Amz-Function-Error")
        except TimeoutError:
            return Invoked(TIMEOUT, message=f"`{self.url}` did not answer in time")
        except (aiohttp.ClientError, OSError) as exc:
            return Invoked(REFUSED, message=f"cannot invoke `{self.url}`: {type(exc).__name__}: {exc}")
        elapsed = (time.perf_counter() - started) * 1000
        return self._read(status, function_error, body, request_id)._replace(duration_ms=elapsed)

    def _read(self, status: int, function_error: str | None, body: bytes, request_id: str) -> Invoked:
        if len(body) > _MAX_ANSWER:
            message = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
            return Invoked(FUNCTION_ERROR, error_payload("Function.ResponseSizeTooLarge", message, request_id), message)
        if status == 200 and body.startswith(_TIMED_OUT):
            message = body.decode("utf-8", "replace")
            return Invoked(FUNCTION_ERROR, error_payload("Sandbox.Timedout", message, request_id), message)
        if status == 200:
            return Invoked(FUNCTION_ERROR if function_error else RESULT, body, function_error or "")
        if status == 502:
            return Invoked(FUNCTION_ERROR, body, "the function failed to start or crashed")
        text = body[:200].decode("utf-8", "replace")
        return Invoked(REFUSED, message=f"`{self.url}` answered HTTP {status}: {text}")
