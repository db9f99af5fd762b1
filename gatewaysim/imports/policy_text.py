"""A template or OpenAPI file wherever a policy file goes: the policy text of the one API it holds.

``check``, ``simulate``, ``policy put`` (and the config's ``policy:``) read a policy from a file.
When that file is a SAM or CloudFormation template, an OpenAPI definition, Terraform or
``get-rest-api`` output instead of a bare policy, ``policy_text`` returns its API's policy as JSON
text (a file with several APIs that have one needs ``api``; the error lists them). A bare policy
comes back untouched, so the policy parser's own located errors stand.
"""

from __future__ import annotations

import json
from pathlib import Path

from gatewaysim.errors import DocumentError

__all__ = ["policy_text"]


def policy_text(
    path: Path,
    text: str,
    *,
    account: str | None = None,
    region: str | None = None,
    api_id: str | None = None,
    api: str | None = None,
    choose_with: str = "`--api`",
) -> str:
    """``text`` itself when it is a policy document, else the policy of the API the file describes
    (account, region and api id default to ``serve``'s, for the pseudo parameters and stand-ins)."""
    from gatewaysim.imports import detect_format, import_policy
    from gatewaysim.imports.cfn_yaml import load_cfn_yaml

    try:
        data = load_cfn_yaml(text)
    except DocumentError:
        return text  # the policy parser reports it, located
    kind = detect_format(data)
    if kind is None or kind == "policy":
        return text
    imported = import_policy(
        path,
        account=account or "123456789012",
        region=region or "us-east-1",
        api_id=api_id or "abcdef1234",
        api=api,
        choose_with=choose_with,
    )
    return json.dumps(imported.document, indent=2)
