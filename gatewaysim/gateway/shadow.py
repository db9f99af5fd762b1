"""The shadow policy: every request decided again with a candidate policy, never enforced.

An API's ``shadow_policy`` (config, admin API ``/_gatewaysim/apis/{id}/shadow-policy``, hot
reload) is evaluated for every request that reached the authorization stage, after its answer
is decided, with what the live decision used: the same request context, the recorded authorizer
result (the authorizer is not called again) and the same workflow (``authorize.redecide``).
Where it decides differently (``authorize.difference``), the access-log line and the decision
event carry ``shadowDecision``; the answer to the client never changes.

Without a shadow policy a request pays one attribute check (``Gateway.handle``).
"""

from __future__ import annotations

import logging

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.load import ApiSettings
from gatewaysim.gateway.attached import AttachedPolicy
from gatewaysim.gateway.authorize.difference import Difference, before_of, deciding_ids, difference
from gatewaysim.gateway.authorize.redecide import Recorded, redecide
from gatewaysim.gateway.exchange import Exchange

__all__ = ["recorded_of", "shadow_difference"]

logger = logging.getLogger("gatewaysim.gateway.shadow")


def recorded_of(x: Exchange, settings: ApiSettings) -> Recorded | None:
    """What the authorization stage used for ``x``; None when the request never reached it."""
    ctx, route = x.ctx, x.method
    if x.verdict is None or ctx is None or route is None:
        return None
    auth_type = route.route.authorization_type
    authz = x.authz if auth_type is not AuthType.NONE else None
    return Recorded(auth_type, ctx.policy_request, authz, settings.account, settings.auth.flow)


def shadow_difference(shadow: AttachedPolicy, x: Exchange, settings: ApiSettings) -> Difference | None:
    """How ``shadow`` would decide ``x`` differently from the live policy (None: the same, or not decided)."""
    try:
        recorded = recorded_of(x, settings)
        if recorded is None or x.verdict is None:
            return None
        live = x.attached
        refs = x.decision.deciding if x.decision is not None else ()
        before = before_of(x.verdict, deciding_ids(refs, live.statements if live is not None else ()))
        return difference(before, redecide(shadow.compiled, recorded), shadow.view)
    except Exception:  # the shadow is never enforced: a bug in it must not touch the answer
        logger.exception("shadow policy evaluation failed for request %s", x.ids.request_id)
        return None
