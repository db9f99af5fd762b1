"""The gateway: one aiohttp application whose single middleware runs the stages in order.

``Gateway.run_stages`` is the whole request path, one visible function::

    api      = select_api(request)                      which API (Host header when several)
    target   = route(request, api)                      method + normalised path + known stage
    ctx      = identity.resolve(...)                    RequestContext (frozen)
    decision = policy.evaluate(ctx.policy_request)      resource policy (None: the API has none)
    pre      = pre_authorizer_check(...)                Lambda: an explicit Deny ends it here
    authz    = await self.authorize(api, ctx, request)  the authorizer stage (auth NONE for now)
    verdict  = decide(...)                              the AWS outcome tables (flow.py, spec 2)
    response = await forwarder.forward(...)             the integration, streamed

Each stage returns a plain value; ``Exchange`` keeps those values for the access log, which
never recomputes anything. Every failure becomes a gateway response (responses.py); a caller
never sees a traceback. ``GET /_gatewaysim/health`` answers 200 once the gateway is serving.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from gatewaysim import __version__
from gatewaysim.authorizers.base import (
    Authorizer,
    AuthorizerColumn,
    AuthorizerRequest,
    AuthorizerResult,
    AuthType,
)
from gatewaysim.banner import banner
from gatewaysim.config import ApiSettings, Settings
from gatewaysim.demo import create_demo_app
from gatewaysim.errors import GatewaysimError, RequestTooLarge, UpstreamError, UpstreamTimeout
from gatewaysim.exchange import NO_AUTHORIZER, Exchange
from gatewaysim.flow import PRE_AUTH_CHECK, decide, pre_authorizer_check
from gatewaysim.forward import Forwarder
from gatewaysim.identity import ANONYMOUS, IdentityResolver, RequestContext
from gatewaysim.logs import AccessLog
from gatewaysim.outgoing import drop_set, outgoing_headers
from gatewaysim.paths import Rejected, Target, check_method, parse_target
from gatewaysim.responses import RequestIds
from gatewaysim.runner import AppServer

__all__ = ["FORWARD_ERRORS", "HEALTH_PATH", "ApiRuntime", "Gateway", "serve"]

logger = logging.getLogger("gatewaysim.server")

HEALTH_PATH: Final = "/_gatewaysim/health"
# Errors the forwarder raises before the answer starts -> gateway response type (first match wins).
FORWARD_ERRORS: Final = (
    (RequestTooLarge, "REQUEST_TOO_LARGE"),
    (UpstreamTimeout, "INTEGRATION_TIMEOUT"),
    (UpstreamError, "INTEGRATION_FAILURE"),
)


@dataclass(slots=True)
class ApiRuntime:
    """One API while serving: its settings, forwarder, authorizer and resolved backend URL."""

    settings: ApiSettings
    forwarder: Forwarder
    auth_type: AuthType = AuthType.NONE
    authorizer: Authorizer | None = None  # None: auth type NONE, nothing to ask
    backend_url: str = ""


def route(request: web.Request, api: ApiSettings) -> Target | Rejected:
    """The normalised target of ``request`` on ``api``, or why it names no resource."""
    bad_method = check_method(request.method)
    if bad_method is not None:
        return bad_method
    target = parse_target(request.raw_path)  # SECURITY: raw_path; request.path is already decoded
    if isinstance(target, Target) and target.stage not in api.stages:
        return Rejected(f"unknown stage `{target.stage}`")
    return target


class Gateway:
    """Builds the application for ``settings`` and runs its stages for every request."""

    def __init__(
        self,
        settings: Settings,
        *,
        access_log: AccessLog | None = None,
    ) -> None:
        self.settings = settings
        self.identity = IdentityResolver(settings.identity)
        self.apis = {api.api_id: ApiRuntime(api, Forwarder(api.forward)) for api in settings.apis}
        self._single = next(iter(self.apis.values())) if len(self.apis) == 1 else None
        self._drop = drop_set(self.identity.identity_headers)
        self._own_log = access_log is None
        self.access_log = access_log or AccessLog.open(settings.log.file, settings.log.format)
        self.demo: AppServer | None = None

    def app(self) -> web.Application:
        """The aiohttp application: every request goes to ``handle``; backends live with it."""
        # SECURITY: every request is the gateway's, whatever aiohttp's router makes of it (the
        # router matches the decoded, dot-collapsed request.path and 404s CONNECT or `%0a`
        # targets on its own). The one middleware never calls the router's handler.
        app = web.Application(middlewares=[self._gateway_middleware])
        # A catch-all route only so the router's lookup succeeds: an unmatched lookup builds an
        # HTTPNotFound response object on every request (measured: a third of the gateway's cost).
        app.router.add_route("*", "/{tail:.*}", self._never_called)
        app.cleanup_ctx.append(self._lifecycle)
        return app

    @staticmethod
    async def _never_called(request: web.Request) -> web.StreamResponse:  # pragma: no cover - see app()
        raise AssertionError("the gateway middleware answers every request")

    @web.middleware
    async def _gateway_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        return await self.handle(request)

    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        if any(api.settings.backend is None for api in self.apis.values()):
            self.demo = AppServer(create_demo_app())
            await self.demo.start()
        for api in self.apis.values():
            api.backend_url = api.settings.backend or (self.demo.url if self.demo else "")
            await api.forwarder.start()
        yield
        for api in self.apis.values():
            await api.forwarder.close()
        if self.demo is not None:
            await self.demo.close()
        if self._own_log:
            self.access_log.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Run the stages; map any failure to a gateway response; write the access log."""
        if request.raw_path.partition("?")[0] == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return self._health()
        exchange = Exchange(request)
        try:
            response = await self.run_stages(request, exchange)
        except Exception as exc:  # a bug must become a 500, never a traceback for the caller
            logger.exception("unexpected error in request %s", exchange.ids.request_id)
            response = exchange.fail("API_CONFIGURATION_ERROR", f"internal error: {type(exc).__name__}: {exc}")
        runtime = self.apis.get(exchange.api_id or "")
        configured = runtime is not None and runtime.settings.policy is not None
        self.access_log.emit(exchange.record(response, configured))
        return response

    async def run_stages(self, request: web.Request, x: Exchange) -> web.StreamResponse:
        """The request path, stage by stage (module docstring)."""
        api = self.select_api(request)
        if api is None:
            return x.fail("MISSING_AUTHENTICATION_TOKEN", f"no api for host `{request.host}`")
        x.api_id = api.settings.api_id
        target = route(request, api.settings)
        if isinstance(target, Rejected):
            return x.fail("MISSING_AUTHENTICATION_TOKEN", target.reason)
        ctx = x.ctx = self.identity.resolve(request, api.settings, target, x.ids)
        policy = api.settings.policy
        decision = x.decision = policy.evaluate(ctx.policy_request) if policy is not None else None
        outcome = decision.outcome if decision is not None else None
        if api.auth_type in PRE_AUTH_CHECK:
            pre = pre_authorizer_check(outcome, method_arn=ctx.method_arn, caller=ctx.principal)
            if pre is not None:
                return x.refuse(pre)  # SECURITY: the authorizer is never called
        authz = x.authz = await self.authorize(api, ctx, request)
        verdict = x.verdict = decide(
            api.auth_type, authz, outcome, method_arn=ctx.method_arn, api_account_id=api.settings.account
        )
        if not verdict.allowed:
            return x.refuse(verdict)
        return await self._forward(request, api, ctx, x)

    async def authorize(self, api: ApiRuntime, ctx: RequestContext, request: web.Request) -> AuthorizerResult:
        """The authorizer stage: auth NONE answers at once; an authorizer gets an ``AuthorizerRequest``.

        With auth NONE the caller is the principal the identity header named (``anonymous`` if
        none). Open for issue 4: an authorizer with ``needs_body`` (the forwarder streams the body,
        so reading it here needs a replay), and the AWS_IAM principal feeding the policy request.
        """
        if api.authorizer is None:
            if ctx.principal == ANONYMOUS:
                return NO_AUTHORIZER
            return AuthorizerResult(AuthorizerColumn.NEITHER, principal=ctx.principal)
        settings = api.settings
        return await api.authorizer.authorize(
            AuthorizerRequest(
                method=ctx.http_method,
                path=ctx.path,
                method_arn=ctx.method_arn,
                headers=request.headers,
                query=request.rel_url.query,
                stage=ctx.stage,
                source_ip=ctx.source_ip,
                user_agent=request.headers.get("User-Agent", ""),
                api_id=settings.api_id,
                account_id=settings.account,
                region=settings.region,
                request_id=ctx.ids.request_id,
                raw_path=ctx.full_path,
                query_string=ctx.query_string,
                condition_context=ctx.policy_request.context,
            )
        )

    def select_api(self, request: web.Request) -> ApiRuntime | None:
        """The only API, or the one whose id is the first label of the Host header."""
        if self._single is not None:
            return self._single
        return self.apis.get(request.host.partition(".")[0].partition(":")[0])

    async def _forward(
        self, request: web.Request, api: ApiRuntime, ctx: RequestContext, x: Exchange
    ) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        port = int(sockname[1]) if isinstance(sockname, tuple) else 0
        headers = outgoing_headers(request.headers, self._drop, ctx, port)
        try:
            result = await api.forwarder.forward(
                request,
                backend_url=api.backend_url,
                path=ctx.path if api.settings.strip_stage else ctx.full_path,
                query_string=ctx.query_string,
                headers=headers,
                response_headers=x.ids.headers(),
            )
        except GatewaysimError as exc:
            kind = next((k for cls, k in FORWARD_ERRORS if isinstance(exc, cls)), "API_CONFIGURATION_ERROR")
            return x.fail(kind, str(exc))
        x.length, x.upstream = result.response_length, result.integration_latency_ms
        if result.error is not None:
            x.error = (type(result.error).__name__, str(result.error))
        return result.response

    def _health(self) -> web.Response:
        body = {"status": "ok", "version": __version__, "apis": sorted(self.apis)}
        return web.json_response(body, headers=RequestIds.new().headers())


async def serve(settings: Settings, out: IO[str], stop: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or ``stop``); in-flight requests drain before exit."""
    gateway = Gateway(settings)
    server = AppServer(gateway.app(), settings.host, settings.port, shutdown_timeout=settings.shutdown_timeout_s)
    await server.start()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
        out.write(banner(gateway, server.url) + "\n")
        out.flush()
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await server.close()
