"""What one function invocation came to, however the function ran (a local worker, or over HTTP).

``RESULT``: the function answered (``payload`` is its JSON). ``FUNCTION_ERROR``: it raised, timed
out on its own ``Timeout``, crashed or could not load (``payload`` is Lambda's error object) ->
502. ``TIMEOUT``: the integration's ``timeoutInMillis`` passed first -> 504. ``REFUSED``: the
invoke itself failed (the event is too large, the endpoint refused or cannot be reached) -> 500,
as API Gateway answers when Lambda's API refuses an invoke (spec 18.2).
"""

from __future__ import annotations

import json
from typing import Final, NamedTuple

__all__ = ["FUNCTION_ERROR", "REFUSED", "RESULT", "TIMEOUT", "Invoked", "error_payload"]

RESULT: Final = "result"
FUNCTION_ERROR: Final = "function error"
TIMEOUT: Final = "timeout"
REFUSED: Final = "refused"


class Invoked(NamedTuple):
    """One invocation's outcome, its cold start and its duration (ms, from invoke to answer)."""

    kind: str
    payload: bytes = b""
    message: str = ""
    cold_start: bool = False
    duration_ms: float = 0.0


def error_payload(error_type: str, message: str, request_id: str) -> bytes:
    """Lambda's error object for an error the runtime reports (a timeout, an exit)."""
    return json.dumps({"errorMessage": message, "errorType": error_type, "requestId": request_id}).encode()
