"""Expand SAM's ``Auth.ResourcePolicy`` shorthand into the statements SAM generates.

Mirrors aws-sam-translator's ``SwaggerEditor.add_resource_policy`` (``samtranslator/swagger/swagger.py``):
for every path of the API, in this order, ``AwsAccountWhitelist`` (Allow) and ``AwsAccountBlacklist``
(Deny) give one statement each; ``IpRangeWhitelist`` / ``IpRangeBlacklist`` and the VPC lists give an
Allow-everyone statement plus a Deny with ``NotIpAddress`` / ``IpAddress`` / ``StringNotEquals`` /
``StringEquals`` (each pair added once). The resources are ``execute-api:/{stage}/{METHOD}{path}`` for
every method of the path (``ANY`` -> ``*``, ``{param}`` -> ``*``). ``CustomStatements`` come last.

Known difference: SAM orders paths and methods as Python 2.7 dicts did; we keep template order.
The statements are the same, but their positions (and the order inside ``Resource``) can differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["HTTP_METHODS", "expand_resource_policy", "method_resources"]

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
ANY_METHOD = "x-amazon-apigateway-any-method"

_PATH_PARAM = re.compile(r"{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)}")

Paths = Mapping[str, list[str]]


def method_resources(path: str, methods: list[str], stage: str) -> list[str]:
    """``execute-api:/{stage}/{METHOD}{path}`` for each method of a path, as SAM writes them."""
    wildcarded = _PATH_PARAM.sub("*", path)
    verbs = ["*" if m.lower() in (ANY_METHOD, "any") else m.upper() for m in methods]
    return [f"execute-api:/{stage}/{verb}{wildcarded}" for verb in verbs]


def expand_resource_policy(
    shorthand: Mapping[str, Any], paths: Paths, stage: str, policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Add the statements SAM generates for ``shorthand`` over ``paths`` to ``policy`` (or a new one)."""
    policy = policy if policy is not None else {}
    for path, methods in paths.items():
        resources = method_resources(path, methods, stage)
        _accounts(policy, shorthand.get("AwsAccountWhitelist"), "Allow", resources)
        _accounts(policy, shorthand.get("AwsAccountBlacklist"), "Deny", resources)
        _pair(policy, _ip_condition(shorthand.get("IpRangeWhitelist"), "NotIpAddress"), resources)
        _pair(policy, _ip_condition(shorthand.get("IpRangeBlacklist"), "IpAddress"), resources)
        _pair(policy, _vpc_condition(shorthand, "Blacklist", "StringEquals"), resources)
        _pair(policy, _vpc_condition(shorthand, "Whitelist", "StringNotEquals"), resources)
    add_custom_statements(policy, shorthand.get("CustomStatements"))
    return policy


def add_custom_statements(policy: dict[str, Any], custom: Any) -> None:
    """Append ``CustomStatements`` (each once), as SAM's ``_add_custom_statement`` does."""
    if not custom:
        return
    policy["Version"] = "2012-10-17"
    if policy.get("Statement") is None:
        policy["Statement"] = custom
        return
    statements = _as_list(policy["Statement"])
    statements.extend(s for s in _as_list(custom) if s not in statements)
    policy["Statement"] = statements


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _append(policy: dict[str, Any], statement: dict[str, Any], once: bool) -> None:
    policy["Version"] = "2012-10-17"
    if policy.get("Statement") is None:
        # SAM stores a lone account statement as a mapping, not a one-item list.
        policy["Statement"] = statement if not once else [statement]
        return
    statements = _as_list(policy["Statement"])
    if not (once and statement in statements):
        statements.append(statement)
    policy["Statement"] = statements


def _accounts(policy: dict[str, Any], accounts: Any, effect: str, resources: list[str]) -> None:
    if not accounts:
        return
    principal = {"AWS": accounts if isinstance(accounts, list) else [accounts]}
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resources, "Principal": principal}
    _append(policy, statement, once=False)


def _ip_condition(ranges: Any, operator: str) -> dict[str, Any] | None:
    if not ranges:
        return None
    return {operator: {"aws:SourceIp": ranges if isinstance(ranges, list) else [ranges]}}


def _vpc_condition(shorthand: Mapping[str, Any], kind: str, operator: str) -> dict[str, Any] | None:
    keys: dict[str, list[Any]] = {}
    for endpoint in shorthand.get(f"SourceVpc{kind}") or []:
        for prefix, key in (("vpce-", "aws:SourceVpce"), ("vpc-", "aws:SourceVpc")):
            if isinstance(endpoint, str) and endpoint.startswith(prefix):
                keys.setdefault(key, []).append(endpoint)
                break
    keys.setdefault("aws:SourceVpc", []).extend(shorthand.get(f"IntrinsicVpc{kind}") or [])
    keys.setdefault("aws:SourceVpce", []).extend(shorthand.get(f"IntrinsicVpce{kind}") or [])
    found = {key: values for key, values in keys.items() if values}
    return {operator: found} if found else None


def _pair(policy: dict[str, Any], condition: dict[str, Any] | None, resources: list[str]) -> None:
    if condition is None:
        return
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*"}
    deny = {**allow, "Effect": "Deny", "Condition": condition}
    _append(policy, allow, once=True)
    _append(policy, deny, once=True)
