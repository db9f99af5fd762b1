"""Facts about one request that several integrations report the same way (``$context``, proxy events).

``request_time`` is ``$context.requestTime`` (``dd/MMM/yyyy:HH:mm:ss +0000``); ``resource_id``
and ``deployment_id`` (``gatewaysim.ids``) are stable ids derived from the API and resource.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Final

from gatewaysim.context import RequestContext
from gatewaysim.ids import deployment_id, resource_id

__all__ = ["context_variables", "deployment_id", "domain_prefix", "request_time", "resource_id"]

_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@functools.lru_cache(maxsize=4)
def request_time(second: int) -> str:
    """``$context.requestTime``: ``09/Apr/2015:12:34:56 +0000`` (English month names, whatever the locale)."""
    t = time.gmtime(second)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


@functools.lru_cache(maxsize=256)
def domain_prefix(host: str) -> str:
    """``$context.domainPrefix``: the first label of the host name (no port)."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.split(".", 1)[0]


def context_variables(
    ctx: RequestContext, *, account: str, resource: str, host: str, user_agent: str
) -> Mapping[str, str]:
    """The ``$context`` variables a static template or mapping expression may read."""
    return {
        "accountId": account,
        "apiId": ctx.api_id,
        "deploymentId": deployment_id(ctx.api_id, ctx.stage),
        "domainName": host,
        "domainPrefix": domain_prefix(host),
        "extendedRequestId": ctx.ids.apigw_id,
        "httpMethod": ctx.http_method,
        "identity.sourceIp": ctx.source_ip,
        "identity.userAgent": user_agent,
        "path": ctx.full_path,
        "protocol": "HTTP/1.1",
        "requestId": ctx.ids.request_id,
        "requestTime": request_time(int(ctx.request_time)),
        "requestTimeEpoch": str(int(ctx.request_time * 1000)),
        "resourceId": resource_id(ctx.api_id, resource),
        "resourcePath": resource,
        "stage": ctx.stage,
    }
