"""The AWS_PROXY integration of the gateway's integration stage: a method's Lambda function answers.

The gateway builds ``LambdaProxy`` only when its config has functions or an ``AWS_PROXY`` method
(``AuthSettings.calls_functions``), so a gateway in front of HTTP backends never loads Lambda's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from gatewaysim.config.load import Settings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.errors import ClientBodyError, RequestTooLarge
from gatewaysim.gateway.body import body_refusal, read_body
from gatewaysim.gateway.exchange import Exchange
from gatewaysim.ids import TRACE_HEADER
from gatewaysim.integrations.lambda_proxy.event import EventInput
from gatewaysim.integrations.lambda_proxy.host import FunctionHost
from gatewaysim.integrations.lambda_proxy.invoke import invoke_proxy

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime

__all__ = ["LambdaProxy"]


class LambdaProxy:
    """The config's functions (``functions``, started and closed with the gateway) behind AWS_PROXY methods;
    ``drop`` is the header set a function never gets from the client."""

    def __init__(self, functions: FunctionHost, drop: frozenset[str]) -> None:
        self.functions = functions
        self.drop = drop

    @classmethod
    def build(cls, settings: Settings, drop: frozenset[str]) -> LambdaProxy:
        """The functions of ``settings`` (none started yet)."""
        region = settings.apis[0].region if settings.apis else "us-east-1"  # the functions' AWS_REGION
        reload = settings.reload
        host = FunctionHost(
            settings.functions, region=region, reload_functions=reload.functions, interval_s=reload.interval_s
        )
        return cls(host, drop)

    async def start(self) -> None:
        """Prepare every function (workers start with their first request)."""
        await self.functions.start()

    async def close(self) -> None:
        """Stop every worker (idempotent)."""
        await self.functions.close()

    async def run(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        x: Exchange,
        method: RouteMatch,
        body: bytes | None,
        port: int,
        trace: str,
    ) -> web.StreamResponse:
        """The method's function answers ``request`` (``port``: the listener's; ``trace``: its trace id)."""
        integration = method.route.integration
        assert integration is not None  # the table sent an AWS_PROXY method here
        settings = api.settings
        if body is None:  # only with `forward.stream_uploads`: a function needs the whole body anyway
            try:
                body = await read_body(request, settings.forward.max_body_bytes)
            except (RequestTooLarge, ClientBodyError) as exc:
                return await body_refusal(request, x, exc)
        event = EventInput(
            request.headers,
            request.host,
            ctx,
            method,
            settings.account,
            settings.variables(ctx.stage),
            body,
            settings.binary_media_types,
            self.drop,
            port,
            x.authz,
            x.authorizer_ms,
        )
        accept = request.headers.get("Accept")
        outcome = await invoke_proxy(
            self.functions,
            integration,
            event,
            accept=accept,
            partition=settings.partition,
            region=settings.region,
            extra_headers={**x.ids.headers(), TRACE_HEADER: trace},
        )
        if outcome.invoked is not None:
            x.upstream = outcome.invoked.duration_ms
            x.function = (outcome.function or "", outcome.invoked.cold_start)
        if outcome.response is None:
            return x.fail(outcome.failure or "INTEGRATION_FAILURE", outcome.reason)
        return outcome.response
