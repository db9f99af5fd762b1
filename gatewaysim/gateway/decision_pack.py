"""The decision ring's compact form of one request's values: one JSON blob and shared references.

The ring keeps the last ``log.decisions_ring`` requests (1000 by default). Kept as the stages
returned them, each request's context, policy request, condition values and outgoing headers
stay alive as some forty small objects: each request then allocates its own objects where the
ones the ring just dropped lived, cold in the CPU caches, and serving one request cost 7% more
CPU than with a ring of one (``bench/wrk_bench.py``). Packed, a request leaves one ``bytes``
(its own values, encoded by orjson in about half a microsecond) beside references: to what it
shares with other requests (the API's settings, the route, the attached policy, the decision the
policy remembers) and to its few small answers (the verdict; the authorizer's result, a shared
one when none ran; a refusal or a shadow difference, when there is one). Everything else it
built is freed while still warm.

``unpack`` gives back exactly the fields ``pack`` was given, for every value a request can hold;
values orjson cannot encode (a lone surrogate from undecodable header bytes) are kept unpacked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NamedTuple

import orjson
from multidict import CIMultiDict

from gatewaysim.authorizers.base import AuthorizerResult
from gatewaysim.config.load import ApiSettings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.gateway.attached import AttachedPolicy
from gatewaysim.gateway.authorize.tables import Verdict
from gatewaysim.gateway.exchange import Integrated
from gatewaysim.gateway.refusal import Refusal
from gatewaysim.ids import RequestIds
from gatewaysim.policy import Decision, Request

if TYPE_CHECKING:
    from gatewaysim.gateway.authorize.difference import Difference

__all__ = ["DecisionValues", "PackedValues", "pack", "unpack"]


class DecisionValues(NamedTuple):
    """What the stages returned for one request (kept in the ring, rendered on read)."""

    ctx: RequestContext
    decision: Decision | None
    authz: AuthorizerResult | None
    verdict: Verdict | None
    status: int
    api: ApiSettings | None
    route: RouteMatch | None
    attached: AttachedPolicy | None  # the policy the request was decided with
    policy_configured: bool
    refused: str | None  # the gateway response type that ended it
    shadow: Difference | None
    refusal: Refusal | None  # the stage that refused it, why, and a hint (gateway.refusal)
    integration: Integrated | None  # what the integration stage sent
    upstream_ms: float | None  # the integration's latency


class PackedValues(NamedTuple):
    """A request's decision values: its own in ``blob``, the others by reference (flat: one tuple)."""

    blob: bytes
    decision: Decision | None  # remembered by the policy
    authz: AuthorizerResult | None
    verdict: Verdict | None
    api: ApiSettings | None
    route: RouteMatch | None
    attached: AttachedPolicy | None
    shadow: Difference | None
    refusal: Refusal | None


def pack(values: DecisionValues) -> DecisionValues | PackedValues:
    """``values`` in the compact form (``values`` itself when orjson cannot encode them)."""
    ctx, integration = values.ctx, values.integration
    request = ctx.policy_request
    own = (
        [list(ctx.ids), *ctx[1:_POLICY_REQUEST], *ctx[_POLICY_REQUEST + 1 :]],
        [request.principal, request.action, request.resource, request.context],
        values.status,
        values.policy_configured,
        values.refused,
        values.upstream_ms,
        None if integration is None else _integration(integration),
    )
    try:
        blob = orjson.dumps(own)
    except TypeError:  # orjson.JSONEncodeError: a surrogate, or a value JSON has no form for
        return values
    v = values
    return PackedValues(blob, v.decision, v.authz, v.verdict, v.api, v.route, v.attached, v.shadow, v.refusal)


def unpack(packed: PackedValues) -> tuple[Any, ...]:
    """The fields of the ``DecisionValues`` that ``pack`` was given, in their order."""
    fields, request, status, configured, refused, upstream_ms, integration = orjson.loads(packed.blob)
    principal, action, resource, context = request
    policy_request = Request(principal, action, resource, {key: tuple(vs) for key, vs in context.items()})
    fields[0] = RequestIds(*fields[0])
    fields.insert(_POLICY_REQUEST, policy_request)
    integrated = None
    if integration is not None:
        kind, target, headers = integration
        integrated = Integrated(kind, target, None if headers is None else CIMultiDict(headers))
    _, decision, authz, verdict, api, route, attached, shadow, refusal = packed
    return (
        RequestContext(*fields), decision, authz, verdict, status, api, route, attached, configured, refused, shadow,
        refusal, integrated, upstream_ms,
    )  # fmt: skip


_POLICY_REQUEST: Final = RequestContext._fields.index("policy_request")


def _integration(integration: Integrated) -> list[Any]:
    headers = integration.headers
    return [integration.type, integration.target, None if headers is None else list(headers.items())]
