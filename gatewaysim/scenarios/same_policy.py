"""``test --url``: is the gateway answering with the scenario file's policy? (A warning when not.)

The scenario file names a policy; a running gateway holds its own. When they differ, every row
tests the gateway's policy, whatever the file says, so ``gatewaysim test --url`` warns before its
table. The documents are compared as AWS stores them: JSON, the ``execute-api:/`` shorthand
expanded on the gateway's API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gatewaysim.errors import GatewaysimError
from gatewaysim.gateway.admin_client import admin_call
from gatewaysim.gateway.attached import expand_shorthand
from gatewaysim.scenarios.files import ScenarioFile, load_policy_document

__all__ = ["policy_difference"]


async def policy_difference(scenario_file: ScenarioFile, url: str, token: str | None) -> str | None:
    """Why the gateway's policy is not the file's (one line), or None when it is (or cannot be told)."""
    try:
        reply = await admin_call(url, "GET", "apis", token=token)
    except GatewaysimError:
        return None  # the rows themselves report an unreachable gateway
    if reply.status != 200:
        return f"cannot compare policies: the admin API answered {reply.status} ({reply.message().splitlines()[0]})"
    item = _api_item((reply.json() or {}).get("items") or [], scenario_file.api.id)
    if item is None:
        return None
    if "policy" not in item:
        return f"the gateway's api `{item['id']}` has no resource policy: every row tests an open API"
    ours = json.loads(json.dumps(expand_shorthand(dict(load_policy_document(scenario_file)), item["arn"])))
    if json.loads(item["policy"]) == ours:
        return None
    mine = f"`{scenario_file.policy_path.name}`" if scenario_file.policy_path else "the inline policy"
    theirs = item.get("policySource") or "unknown source"
    return (
        f"the gateway's api `{item['id']}` holds another policy ({theirs}) than this file's ({mine}):"
        " the rows test the gateway's policy"
    )


def _api_item(items: list[Mapping[str, Any]], api_id: str) -> Mapping[str, Any] | None:
    """The gateway's API the scenarios reach: the one with their id, else the only one."""
    for item in items:
        if item.get("id") == api_id:
            return item
    return items[0] if len(items) == 1 else None
