"""The header set the backend gets (spec 10.2), built by the server before forwarding.

Dropped: the identity headers (SECURITY: a backend must never see, or trust, a caller's claimed
principal or VPC; also spelt with ``_`` or ``.`` for ``-``, as CGI-style backends read them), the
method-override headers (SECURITY: the verb judged is the verb forwarded; ``X-HTTP-Method-Override``
and friends could make a backend run another verb), and any client-sent
``X-Forwarded-For``/``-Proto``/``-Port`` and ``X-Amzn-Apigateway-Api-Id`` (the gateway
sets its own). Added: ``X-Forwarded-For`` (from ``RequestContext.forwarded_for``),
``X-Forwarded-Proto``, ``X-Forwarded-Port``, ``X-Amzn-Apigateway-Api-Id`` and, when the caller
sent none, an ``X-Amzn-Trace-Id``. Hop-by-hop headers go in the same pass
(:func:`gatewaysim.integrations.http_proxy.headers.prepare_request_headers`), so the set is copied once;
``Host`` and ``Content-Length`` are the forwarder's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from multidict import CIMultiDict

from gatewaysim.context import RequestContext
from gatewaysim.ids import trace_root
from gatewaysim.integrations.http_proxy.headers import prepare_request_headers

__all__ = ["GATEWAY_SET", "METHOD_OVERRIDE_HEADERS", "drop_set", "outgoing_headers"]

METHOD_OVERRIDE_HEADERS: Final = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})
GATEWAY_SET: Final = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-apigateway-api-id"})


def drop_set(identity_headers: Iterable[str]) -> frozenset[str]:
    """Every lower-case header name the backend must not get from the client (built once), with
    ``_`` and ``.`` read as ``-`` as ``prepare_request_headers`` reads the client's names."""
    names = (name.lower().replace("_", "-").replace(".", "-") for name in identity_headers)
    return frozenset(names) | METHOD_OVERRIDE_HEADERS | GATEWAY_SET


def outgoing_headers(
    incoming: Mapping[str, str], drop: frozenset[str], ctx: RequestContext, port: int
) -> CIMultiDict[str]:
    """The client's headers minus hop-by-hop ones and ``drop``, plus the ``X-Forwarded-*`` and AWS headers."""
    out = prepare_request_headers(incoming, drop)  # SECURITY: identity and method-override headers stop here
    out["X-Forwarded-For"] = ctx.forwarded_for
    out["X-Forwarded-Proto"] = "https" if ctx.secure else "http"
    out["X-Forwarded-Port"] = str(port)
    out["X-Amzn-Apigateway-Api-Id"] = ctx.api_id
    if "X-Amzn-Trace-Id" not in out:
        out["X-Amzn-Trace-Id"] = trace_root(ctx.request_time, ctx.ids.request_id)
    return out
