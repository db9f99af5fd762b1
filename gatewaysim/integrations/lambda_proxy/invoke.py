"""The AWS_PROXY integration: the proxy event to the method's function, its answer to the client.

Outcomes, the gateway response AWS gives for each (spec 18.1, 18.2), and the line in the
function's log and the access log's ``errorMessage``:

* a well-formed answer: the function's status, headers and body;
* a malformed answer: 502 ``Internal server error``; ``Execution failed due to configuration
  error: Malformed Lambda proxy response: <why>``;
* the function raised, crashed, could not load or ran past its own ``timeout``: 502; ``Lambda
  execution failed with status 200 due to customer function error: <errorMessage>. Lambda
  request id: <id>`` (the traceback is logged above it);
* ``timeoutInMillis`` passed: 504 ``Endpoint request timed out``; ``Execution failed due to a
  timeout error``;
* the invoke was refused (an event over 6 MB, an unknown function, an endpoint that refuses),
  or ``httpMethod`` is not POST: 500; ``Execution failed due to configuration error: ...``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final, NamedTuple

import orjson
from aiohttp import web

from gatewaysim.config.integration import Integration
from gatewaysim.integrations.lambda_proxy.answer import Malformed, client_response, read_answer
from gatewaysim.integrations.lambda_proxy.event import EventInput, proxy_event
from gatewaysim.integrations.lambda_proxy.host import FunctionHost, function_arn
from gatewaysim.integrations.lambda_proxy.outcome import FUNCTION_ERROR, REFUSED, TIMEOUT, Invoked
from gatewaysim.integrations.mapping import stage_variables_in

__all__ = ["ProxyOutcome", "invoke_proxy"]

_CONFIGURATION: Final = "Execution failed due to configuration error"


class ProxyOutcome(NamedTuple):
    """The answer (``response``) or the gateway response type that replaces it, and the facts for the log."""

    response: web.Response | None
    failure: str | None = None
    reason: str = ""
    function: str | None = None
    invoked: Invoked | None = None


def _function_error(payload: bytes, request_id: str) -> str:
    try:
        error: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        error = {}
    message = error.get("errorMessage") if isinstance(error, dict) else None
    text = str(message) if message is not None else payload[:200].decode("utf-8", "replace")
    prefix = "Lambda execution failed with status 200 due to customer function error"
    return f"{prefix}: {text}. Lambda request id: {request_id}"


def _looks_like_error(payload: bytes) -> bool:
    """An error object sent as a plain answer (the Runtime Interface Emulator sends no error header)."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and "errorMessage" in value and "statusCode" not in value


async def invoke_proxy(
    host: FunctionHost,
    integration: Integration,
    event: EventInput,
    *,
    accept: str | None,
    partition: str,
    region: str,
    extra_headers: dict[str, str],
) -> ProxyOutcome:
    """Run the method's function for one request (module docstring)."""
    name = stage_variables_in(integration.function or "", event.stage_variables)
    if integration.http_method != "POST":
        return ProxyOutcome(None, "API_CONFIGURATION_ERROR", f"{_CONFIGURATION}: AWS_PROXY needs httpMethod POST")
    log = host.log(name)
    request_id = event.ctx.ids.request_id
    document = proxy_event(event)
    deadline = asyncio.get_running_loop().time() + integration.timeout_s
    arn = function_arn(partition, region, event.account, name)
    trace_id = (document["headers"] or {}).get("X-Amzn-Trace-Id", "")
    invoked = await host.invoke(name, orjson.dumps(document), request_id, arn, trace_id, deadline)
    if invoked is None:
        reason = f"{_CONFIGURATION}: function `{name}` is not in the config's `functions`"
        log.lines(request_id, reason, logging.WARNING)
        return ProxyOutcome(None, "API_CONFIGURATION_ERROR", reason, name)
    outcome = _outcome(invoked, request_id, accept, event.binary_media_types, extra_headers)
    if outcome.failure is not None:
        log.lines(request_id, outcome.reason, logging.WARNING)
    return outcome._replace(function=name, invoked=invoked)


def _outcome(
    invoked: Invoked, request_id: str, accept: str | None, binary: tuple[str, ...], extra: dict[str, str]
) -> ProxyOutcome:
    if invoked.kind == TIMEOUT:
        return ProxyOutcome(None, "INTEGRATION_TIMEOUT", f"Execution failed due to a timeout error: {invoked.message}")
    if invoked.kind == REFUSED:
        return ProxyOutcome(None, "API_CONFIGURATION_ERROR", f"{_CONFIGURATION}: {invoked.message}")
    if invoked.kind == FUNCTION_ERROR or _looks_like_error(invoked.payload):
        return ProxyOutcome(None, "INTEGRATION_FAILURE", _function_error(invoked.payload, request_id))
    answer = read_answer(invoked.payload)
    response = client_response(answer, accept, binary, extra) if not isinstance(answer, Malformed) else answer
    if isinstance(response, Malformed):
        return ProxyOutcome(
            None, "INTEGRATION_FAILURE", f"{_CONFIGURATION}: Malformed Lambda proxy response: {response.reason}"
        )
    return ProxyOutcome(response)
