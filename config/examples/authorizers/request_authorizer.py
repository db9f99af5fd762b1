"""An example Lambda REQUEST authorizer for config/auth-example.yaml (a plain Lambda handler).

Identity sources: the ``X-Api-Key`` header and the ``tenant`` query parameter. A known key for that
tenant -> Allow, with the tenant in the context; a known key for another tenant -> explicit Deny;
an unknown key -> ``Unauthorized`` (401).
"""

from __future__ import annotations

from typing import Any

KEYS = {"key-blue-1": "blue", "key-red-1": "red"}  # API key -> the tenant it belongs to


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Allow a key for its own tenant only."""
    key = event["headers"].get("X-Api-Key", "")
    tenant = event["queryStringParameters"].get("tenant", "")
    owner = KEYS.get(key)
    if owner is None:
        raise Exception("Unauthorized")
    effect = "Allow" if owner == tenant else "Deny"
    api, stage = event["methodArn"].split("/")[:2]
    # The whole stage, not just this methodArn: the answer is cached and re-evaluated per method.
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{api}/{stage}/*"}
    return {
        "principalId": f"{owner}-client",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"tenant": owner},
    }
