"""execute-api ARNs: build the API and method ARNs, and mask account ids for messages.

The method ARN is ``arn:{partition}:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/{path}``
with the *actual* request path (path-parameter values filled in), without the stage prefix and
without its leading ``/``; the root resource ends in the verb and a slash: ``.../prod/GET/``
(spec 1.2). Messages shown to callers mask every 12-digit account id as eight ``*`` and the last
four digits: ``********9012`` (spec 6.1).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["access_denied_message", "api_arn", "authorizer_denied_message", "mask_account", "mask_arn", "method_arn"]

_ACCOUNT_SEGMENT: Final = re.compile(r"^(arn:[^:]*:[^:]*:[^:]*:)(\d{12})(:)")


def api_arn(region: str, account: str, api_id: str, partition: str = "aws") -> str:
    """``arn:aws:execute-api:{region}:{account}:{api_id}``: the base the policy shorthand expands on."""
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}"


def method_arn(base: str, stage: str, method: str, path: str) -> str:
    """The resource of an Invoke check: ``{base}/{stage}/{METHOD}/{path without leading /}``.

    ``path`` is the normalised request path after the stage (``/pets/1``; ``/`` for the root).
    """
    return f"{base}/{stage}/{method}/{path[1:]}"


def mask_account(account: str) -> str:
    """``123456789012`` -> ``********9012``."""
    return "********" + account[-4:]


def mask_arn(value: str) -> str:
    """Mask the account segment of an ARN (``arn:p:svc:region:ACCOUNT:...``); other text unchanged."""
    return _ACCOUNT_SEGMENT.sub(lambda m: m.group(1) + mask_account(m.group(2)) + m.group(3), value, count=1)


def access_denied_message(principal: str, method_arn: str, *, explicit: bool) -> str:
    """The resource-policy denial text, account ids masked (spec 6.2)."""
    text = (
        f"User: {mask_arn(principal)} is not authorized to perform: execute-api:Invoke "
        f"on resource: {mask_arn(method_arn)}"
    )
    return text + " with an explicit deny" if explicit else text


def authorizer_denied_message(*, explicit: bool) -> str:
    """The Lambda/Cognito authorizer denial text (spec 6.2)."""
    text = "User is not authorized to access this resource"
    return text + " with an explicit deny" if explicit else text
