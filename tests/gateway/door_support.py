"""A Lambda REQUEST authorizer for the API-key tests, loaded by the gateway from this file's path.

It allows every call, returns the ``key`` query-string value as ``usageIdentifierKey`` (AWS's own
sample for keys in a query string, spec 13.1) and echoes what its event said about the API key in
``context``. Not a test module (no ``test_`` prefix).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HANDLER_FILE = str(Path(__file__).resolve())


def usage_key_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Allow; ``usageIdentifierKey`` from ``?key=``; the event's ``identity.apiKey``/``apiKeyId`` in context."""
    identity = event["requestContext"]["identity"]
    answer: dict[str, Any] = {
        "principalId": "user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"eventApiKey": str(identity.get("apiKey")), "eventApiKeyId": str(identity.get("apiKeyId"))},
    }
    key = (event.get("queryStringParameters") or {}).get("key")
    if key is not None:
        answer["usageIdentifierKey"] = key
    return answer
