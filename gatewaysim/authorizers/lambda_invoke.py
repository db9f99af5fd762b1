"""Calling a Lambda authorizer function: an in-process Python handler or an HTTP endpoint.

Both invokers return the function's answer as decoded JSON, raise ``FunctionUnauthorized`` when the
function said ``Unauthorized`` and ``AuthorizerError`` (with the real cause) for anything else.

Python handler: ``handler(event, context)``; a sync handler runs in a worker thread, an
``async def`` handler (or one returning an awaitable) is awaited on the loop. ``raise
Exception("Unauthorized")`` (any exception class, message exactly ``Unauthorized``) is the 401
signal. The return value goes through ``json.dumps``/``json.loads`` like a real Lambda answer, so
values JSON cannot carry are a function error.

HTTP endpoint contract: the event is POSTed as JSON; a 2xx answer's JSON body is the function's
answer. A body ``{"errorMessage": "Unauthorized"}`` (any status) is the 401 signal; a non-2xx
status, a body that is not JSON, any other ``errorMessage`` body, a timeout or a connection error
is a function error (500), mirroring Lambda's ``Invoke`` reporting function errors in the payload.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from gatewaysim.errors import AuthorizerError
from gatewaysim.safeload import Limits, load_json

__all__ = [
    "FunctionUnauthorized",
    "HttpInvoker",
    "Invoker",
    "LambdaContext",
    "PythonInvoker",
    "UNAUTHORIZED_MESSAGE",
]

_ANSWER_LIMITS = Limits(max_bytes=6 * 1024 * 1024, max_nodes=100_000)  # Lambda's 6 MB response payload

UNAUTHORIZED_MESSAGE = "Unauthorized"


class FunctionUnauthorized(AuthorizerError):
    """The authorizer function answered ``Unauthorized`` (maps to 401, not 500)."""


class Invoker(Protocol):
    """Something that runs the authorizer function for one event."""

    async def __call__(self, event: dict[str, Any]) -> Any:
        """The function's decoded JSON answer."""
        ...


@dataclass(slots=True)
class LambdaContext:
    """The subset of Lambda's context object a handler commonly reads."""

    function_name: str
    timeout: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout
        self.invoked_function_arn = self.invoked_function_arn or (
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invoker gives up."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _as_json(answer: Any, name: str) -> Any:
    try:
        return json.loads(json.dumps(answer))
    except (TypeError, ValueError) as exc:
        raise AuthorizerError(f"authorizer `{name}` returned a value JSON cannot carry: {exc}") from exc


class PythonInvoker:
    """Runs ``handler(event, context)`` in-process: sync handlers off the event loop."""

    def __init__(self, handler: Callable[..., Any], name: str, timeout: float = 10.0) -> None:
        self.handler, self.name, self.timeout = handler, name, timeout

    async def __call__(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(self.name, self.timeout)
        try:
            answer = await asyncio.wait_for(self._run(event, context), self.timeout)
        except TimeoutError as exc:
            raise AuthorizerError(f"authorizer `{self.name}` timed out after {self.timeout}s") from exc
        except Exception as exc:
            if str(exc) == UNAUTHORIZED_MESSAGE:
                raise FunctionUnauthorized(f"authorizer `{self.name}` answered `Unauthorized`") from exc
            raise AuthorizerError(f"authorizer `{self.name}` raised {type(exc).__name__}: {exc}") from exc
        return _as_json(answer, self.name)

    async def _run(self, event: dict[str, Any], context: LambdaContext) -> Any:
        if inspect.iscoroutinefunction(self.handler):
            return await self.handler(event, context)
        answer = await asyncio.to_thread(self.handler, event, context)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer


class HttpInvoker:
    """POSTs the event as JSON to ``url`` and reads the answer (see the module docstring)."""

    def __init__(
        self, url: str, name: str, timeout: float = 10.0, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.url, self.name, self.timeout = url, name, timeout
        self._session = session
        self._owns_session = session is None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def aclose(self) -> None:
        """Close the session this invoker created (an injected session is left to its owner)."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def __call__(self, event: dict[str, Any]) -> Any:
        status, text = await self._post(event)
        try:
            answer = load_json(text, _ANSWER_LIMITS)  # SECURITY: bounded (gatewaysim.safeload)
        except ValueError:  # DocumentError is one
            raise AuthorizerError(
                f"authorizer `{self.name}` answered HTTP {status} with a body that is not JSON"
            ) from None
        error = answer.get("errorMessage") if isinstance(answer, dict) else None
        if error == UNAUTHORIZED_MESSAGE:
            raise FunctionUnauthorized(f"authorizer `{self.name}` answered `Unauthorized`")
        if not 200 <= status < 300:
            raise AuthorizerError(f"authorizer `{self.name}` answered HTTP {status}: {text[:200]}")
        if error is not None:
            raise AuthorizerError(f"authorizer `{self.name}` reported a function error: {error}")
        return answer

    async def _post(self, event: dict[str, Any]) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._get_session().post(self.url, json=event, timeout=timeout) as response:
                return response.status, await response.text()
        except TimeoutError as exc:
            raise AuthorizerError(f"authorizer `{self.name}` timed out after {self.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise AuthorizerError(f"authorizer `{self.name}` could not be reached at `{self.url}`: {exc}") from exc
