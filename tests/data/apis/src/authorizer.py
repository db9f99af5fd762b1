"""The orders API's Lambda REQUEST authorizer (identity: the Authorization header and stage variable `tier`).

`Authorization: allow:<user>` is allowed, `deny:<user>` gets an explicit Deny, anything else is
unauthorized. The stage's `tier` travels to the backend in the authorizer context.
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = (event.get("headers") or {}).get("Authorization", "")
    verdict, _, user = token.partition(":")
    if verdict not in ("allow", "deny") or not user:
        raise Exception("Unauthorized")  # API Gateway answers 401
    api = event["methodArn"].split("/", 1)[0]
    statement = {"Action": "execute-api:Invoke", "Effect": verdict.title(), "Resource": f"{api}/*"}
    return {
        "principalId": user,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"tier": event["stageVariables"]["tier"]},
    }
