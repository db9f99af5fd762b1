"""An example Lambda TOKEN authorizer for config/auth-example.yaml (a plain Lambda handler).

Tokens: ``Bearer allow-<user>`` -> Allow for the whole API, ``Bearer deny-<user>`` -> explicit Deny,
anything else -> ``Unauthorized`` (401). The same function runs unchanged on AWS Lambda.
"""

from __future__ import annotations

from typing import Any


def _policy(effect: str, method_arn: str) -> dict[str, Any]:
    # arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path} -> every method of the stage
    api, stage = method_arn.split("/")[:2]
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{api}/{stage}/*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Turn the bearer token into a principal and a policy."""
    token = event["authorizationToken"].removeprefix("Bearer ")
    verdict, _, user = token.partition("-")
    if verdict not in ("allow", "deny") or not user:
        raise Exception("Unauthorized")  # API Gateway answers 401 {"message":"Unauthorized"}
    return {
        "principalId": user,
        "policyDocument": _policy("Allow" if verdict == "allow" else "Deny", event["methodArn"]),
        "context": {"user": user, "plan": "gold", "admin": user == "root"},
    }
