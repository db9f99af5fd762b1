"""The gateway: one handler on aiohttp's low-level server runs the stages in order.

``Gateway.run_stages`` is the whole request path, one visible function, in AWS's order::

    located  = self.locate(host, method, raw_path)      from the request line alone (remembered):
      api      = select_api(...)                          which API: path prefix, Host, or the only one
      target   = route(...)                               method + normalised path + known stage
      method   = api.settings.auth.match(...)             the route: auth type, authorizer, scopes (else 403)
      door     = method_door(...)                         what the door checks here (None: nothing)
    ctx      = identity.resolve(...)                    RequestContext (immutable)
    verdict  = await self.authorization(...)            resource policy, authorizer, AWS tables (spec 2):
      pre      = pre_authorizer_check(...)                Lambda: an explicit Deny ends it here
      authz    = await call_authorizer(...)               the method's authorizer, if any (auth_stage.py)
      decision = policy.evaluate(...)                     for AWS_IAM with the SigV4 signer as caller
      verdict  = decide(...)                              the AWS outcome tables (flow.py)
    usage_step(...)                                     usage plan: API key, throttle buckets, quota (door/)
    body     = await self.request_body(...)             the whole body, before validation and integration (body.py)
    validation_step(...)                                request validation: parameters, then body (door/)
    response = await self.integration.run(...)          the method's integration, given the body (gateway.integrate)

The usage-plan step follows the authorizer and precedes validation as AWS's execution logs order
them ("Successfully completed authorizer execution", "Verifying Usage Plan for request", "Key
throttle limit exceeded", "Starting execution", "Method request body"; gatewaysim/gateway/door).

Each stage returns a plain value; ``Exchange`` keeps those values for the access log, which
never recomputes anything. Every failure becomes a gateway response (responses.py); a caller
never sees a traceback. ``GET /_gatewaysim/health`` answers 200 once the gateway is serving.

The resource policy a request sees is ``ApiRuntime.policy``, read once per request from the
attached slot that the admin API (``/_gatewaysim/...``, admin.py) and hot reload (reload.py)
replace with one assignment. Every decision also goes to the decision log (decisions.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from typing import IO, TYPE_CHECKING, Any, Final

from aiohttp import web

from gatewaysim import __version__
from gatewaysim.authorizers.base import AuthorizerColumn, AuthorizerResult, AuthType
from gatewaysim.config.load import Settings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import ANONYMOUS, RequestContext
from gatewaysim.errors import ClientBodyError, RequestTooLarge
from gatewaysim.examples.echo_backend import create_demo_app
from gatewaysim.gateway.admin import ADMIN_PREFIX, AdminApi
from gatewaysim.gateway.authorize.stage import (
    AUTHORIZER_HEADERS,
    AuthorizerHost,
    authorizer_for,
    authorizer_request,
    call_authorizer,
    caller_context,
    evaluate,
    signer_context,
)
from gatewaysim.gateway.authorize.tables import PRE_AUTH_CHECK, Verdict, decide, pre_authorizer_check
from gatewaysim.gateway.banner import banner
from gatewaysim.gateway.body import body_refusal, read_body
from gatewaysim.gateway.connections import describe_limits, fit_descriptors, head_bytes, headers_too_large
from gatewaysim.gateway.control.claims import claims
from gatewaysim.gateway.decision_events import render_event
from gatewaysim.gateway.door.keys import KeyRing
from gatewaysim.gateway.door.limits import Clock
from gatewaysim.gateway.door.report import keys_report
from gatewaysim.gateway.door.steps import header_key, usage_step, validation_step
from gatewaysim.gateway.exchange import NO_AUTHORIZER, Exchange
from gatewaysim.gateway.exchange_log import ExchangeLog
from gatewaysim.gateway.gc_settings import tune_for_serving
from gatewaysim.gateway.identity import IdentityResolver, iso_second
from gatewaysim.gateway.integrate import FORWARD_ERRORS, IntegrationStage
from gatewaysim.gateway.locate import LOCATE_CACHE_MAX_TARGET, LOCATE_CACHE_SIZE, Located, Unlocated, locate, route
from gatewaysim.gateway.loops import running_loop_name
from gatewaysim.gateway.no_route import no_method
from gatewaysim.gateway.recent import Recent
from gatewaysim.gateway.reload import Reloader, SettingsLoader
from gatewaysim.gateway.responses import gateway_response
from gatewaysim.gateway.runner import AppServer, Service
from gatewaysim.gateway.runtime import ApiRuntime
from gatewaysim.gateway.shared import shared_state
from gatewaysim.ids import RequestIds
from gatewaysim.integrations.http_proxy.forwarder import Forwarder
from gatewaysim.integrations.http_proxy.outgoing import drop_set
from gatewaysim.integrations.http_proxy.stream import expects_continue, send_continue, too_large
from gatewaysim.observe.access_log import AccessLog
from gatewaysim.observe.decisions import DecisionLog
from gatewaysim.observe.feed import RequestFeed

if TYPE_CHECKING:
    from gatewaysim.gateway.control.plane import ControlPlane
    from gatewaysim.gateway.integrate_lambda import LambdaProxy
    from gatewaysim.gateway.tls import TlsListener
    from gatewaysim.gateway.workers import WorkerRole
    from gatewaysim.observe.dashboard.handler import Dashboard

__all__ = [
    "FORWARD_ERRORS",
    "HEALTH_PATH",
    "Gateway",
    "Located",
    "Unlocated",
    "route",
    "serve",
    "without_authorizer",
]

logger = logging.getLogger("gatewaysim.gateway.service")

HEALTH_PATH: Final = "/_gatewaysim/health"


MAX_METHOD_ARN_BYTES: Final = 1600
"""AWS's limit on a method ARN when the method has authorization or the API a resource policy."""


def without_authorizer(principal: str) -> AuthorizerResult:
    """The authorizer stage for a method without one (auth NONE): the caller is the principal header's."""
    if principal == ANONYMOUS:
        return NO_AUTHORIZER
    return AuthorizerResult(AuthorizerColumn.NEITHER, principal=principal)


class Gateway:
    """Builds the service for ``settings`` and runs its stages for every request."""

    def __init__(
        self,
        settings: Settings,
        *,
        access_log: AccessLog | None = None,
        reload_settings: SettingsLoader | None = None,
        clock: Clock = time.time,
        worker: WorkerRole | None = None,
    ) -> None:
        self.settings = settings
        self.started = time.time()  # what the control plane shows as the APIs' createdDate
        self.worker = worker  # one of `serve --workers N` (None: the only process)
        self.clock = clock  # throttles and quotas read time here (tests move it)
        only = settings.apis[0].api_id if len(settings.apis) == 1 else None
        self.keyring = KeyRing(settings.api_keys, settings.usage_plans, only)
        self.identity = IdentityResolver(settings.identity)
        self.apis = {api.api_id: ApiRuntime(api, Forwarder(api.forward)) for api in settings.apis}
        self.shared = shared_state(settings, self.apis, clock, self)  # in-process, or one store for every process
        self.limits = self.shared.limits  # throttle buckets and quotas
        # SECURITY: a client never sends identity or authorizer-output headers on to the backend
        drop = drop_set(self.identity.identity_headers) | AUTHORIZER_HEADERS
        self.functions = self._functions(drop)  # the AWS_PROXY methods' functions (None: there are none)
        self.integration = IntegrationStage(drop, self.functions)
        self.authorizer_host = AuthorizerHost(self.shared.store)  # builds each API's authorizers in lifecycle()
        self._loop: asyncio.AbstractEventLoop | None = None  # the serving loop, once lifecycle() runs
        self._own_log = access_log is None
        self.access_log = access_log or AccessLog.open(settings.log.file, settings.log.format)
        self.demo: AppServer | None = None
        self.feed = RequestFeed(settings.log.decisions_ring)  # every request's record, for tail and the dashboard
        self.decisions = DecisionLog.open(render_event, settings.log.decisions_ring, settings.log.decisions_file)
        self.recent = Recent(self.feed, self.decisions, self.shared.store)  # what the admin API reads, whole
        self.log_exchange = ExchangeLog(self.apis, self.access_log, self.feed, self.recent, self.decisions)
        self.admin = (
            AdminApi(
                settings.admin,
                self.apis,
                self.decisions,
                self.keys_report,
                feed=self.feed,
                dashboard=self._dashboard,
                live=self.shared.live,
                recent=self.recent,
            )
            if settings.admin.enabled
            else None
        )
        self._control: ControlPlane | None = None  # the AWS control plane: built on the first call it claims
        self.tls: TlsListener | None = None
        if settings.tls is not None:  # the TLS listener (gateway.tls, loaded only then)
            from gatewaysim.gateway.tls import listener_tls

            self.tls = listener_tls(settings.tls, settings.host)  # a generated certificate is made here
        self._locate_cached = functools.lru_cache(maxsize=LOCATE_CACHE_SIZE)(self.locate)
        self.reloader = (  # hot reload needs a way to load the settings again, as at startup
            Reloader(self.apis, settings, reload_settings, settings.reload.interval_s)
            if reload_settings is not None and settings.reload.enabled
            else None
        )

    def _functions(self, drop: frozenset[str]) -> LambdaProxy | None:
        """The config's functions behind its AWS_PROXY methods; Lambda's modules load only for them."""
        settings = self.settings
        if not settings.functions and not any(api.auth.calls_functions for api in settings.apis):
            return None
        from gatewaysim.gateway.integrate_lambda import LambdaProxy

        return LambdaProxy.build(settings, drop)

    def service(self) -> Service:
        """What ``AppServer`` runs: ``handle`` for every request, backends and authorizers around it."""
        # SECURITY: every request is the gateway's. aiohttp's low-level server has no router, so
        # nothing decodes or dot-collapses the target before the gateway judges it, and no
        # CONNECT or `%0a` target is answered by aiohttp's own 404 (nor costs a router lookup).
        context = self.tls.context if self.tls is not None else None
        return Service(
            self.handle, self.lifecycle, self.unparsed_response, self.feed.close, self.settings.limits, context
        )

    @staticmethod
    def unparsed_response(status: int) -> web.StreamResponse:
        """The answer to a request aiohttp refused before ``handle`` (400: it could not parse it)."""
        kind = "DEFAULT_4XX" if status < 500 else "API_CONFIGURATION_ERROR"
        return gateway_response(kind, RequestIds.new())

    @contextlib.asynccontextmanager
    async def lifecycle(self) -> AsyncIterator[None]:
        """Start the demo backend, forwarders, authorizers, functions and hot reload; stop them on exit."""
        self._loop = asyncio.get_running_loop()  # looked up once: a getpid() call each on Python 3.11
        if any(api.settings.backend is None for api in self.apis.values()):
            self.demo = AppServer(create_demo_app())
            await self.demo.start()
        stack = contextlib.AsyncExitStack()
        try:
            await stack.enter_async_context(self.shared.running())
            await stack.enter_async_context(self.recent.running())
            if self.functions is not None:
                await self.functions.start()
            for api in self.apis.values():
                api.backend_url = api.settings.backend or (self.demo.url if self.demo else "")
                await api.forwarder.start()
                api.authorizers = await self.authorizer_host.build(api.settings.auth, api.settings.api_id)
            async with self.reloader.running() if self.reloader is not None else contextlib.nullcontext():
                yield
        finally:
            if self.functions is not None:
                await self.functions.close()
            for api in self.apis.values():
                await api.forwarder.close()
            await self.authorizer_host.close()
            if self.demo is not None:
                await self.demo.close()
            if self._own_log:
                self.access_log.close()
            else:  # the caller's log stays open; what this gateway logged is written
                self.access_log.flush()
            self.decisions.close()
            await stack.aclose()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Run the stages; map any failure to a gateway response; write the access log."""
        if request.raw_path.partition("?")[0] == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return self._health()
        if self.admin is not None and request.raw_path.startswith(ADMIN_PREFIX):
            return await self.admin.handle(request)
        if self.settings.admin.enabled and claims(request):  # rules: gateway.control.claims
            return await self.control_plane().handle(request)
        exchange = Exchange(request)
        try:
            response = await self.run_stages(request, exchange)
        except Exception as exc:  # a bug must become a 500, never a traceback for the caller
            logger.exception("unexpected error in request %s", exchange.ids.request_id)
            response = exchange.fail("API_CONFIGURATION_ERROR", f"internal error: {type(exc).__name__}: {exc}")
        # The logs are written once the answer is out (the callback runs after this task's step,
        # which writes the answer): the caller does not wait for them.
        (self._loop or asyncio.get_running_loop()).call_soon(self.log_exchange, exchange, response)
        return response

    def control_plane(self) -> ControlPlane:
        """The AWS control plane (``aws apigateway ...``), under the admin API's access rule; built once."""
        if self._control is None:
            from gatewaysim.gateway.control.operations import build  # the first call it claims loads it

            live = self.shared.live
            self._control = build(self.settings, self.apis, self.run_stages, self, live, started=self.started)
        return self._control

    async def run_stages(self, request: web.BaseRequest, x: Exchange) -> web.StreamResponse:
        """The request path, stage by stage (module docstring)."""
        if head_bytes(request) > self.settings.limits.max_header_bytes:  # SECURITY: AWS's 10 KB quota
            return headers_too_large(x, self.settings.limits.max_header_bytes)
        raw_target = request.raw_path  # SECURITY: raw, not decoded
        if len(raw_target) <= LOCATE_CACHE_MAX_TARGET:
            located = self._locate_cached(request.host, request.method, raw_target)
        else:
            located = self.locate(request.host, request.method, raw_target)
        if isinstance(located, Unlocated):
            if expects_continue(request):
                await send_continue(request)
            x.api_id = located.api_id
            if located.api_id is not None:
                x.responses = self.apis[located.api_id].responses
            return no_method(request, x, located.reason)
        api, method, door = located.api, located.method, located.door
        x.api_id, x.settings, x.method, x.responses = api.settings.api_id, api.settings, method, api.responses
        if expects_continue(request) and not too_large(request, api.settings.forward.max_body_bytes):
            await send_continue(request)  # a body the payload limit refuses is never asked for
        repeated = self.identity.repeated(request.headers)
        if repeated is not None:  # SECURITY: two principals: which one counts would be a guess
            return x.fail("DEFAULT_4XX", f"identity header `{repeated}` is repeated")
        ctx = x.ctx = self.identity.resolve(request, api.settings, located.target, x.ids, arn=located.arn)
        if method is None:
            return no_method(request, x, f"no method `{ctx.http_method} {ctx.path}` on the api")
        if len(ctx.method_arn.encode()) > MAX_METHOD_ARN_BYTES and self._authorized(api, method):
            return x.fail("REQUEST_URI_TOO_LONG", f"method ARN is over {MAX_METHOD_ARN_BYTES} bytes")
        try:
            api_key = header_key(door, request) if door is not None else None  # for authorizer events
            verdict, body = await self.authorization(request, api, ctx, method, x, api_key)
            if not verdict.allowed:
                return x.refuse(verdict)
            if door is not None:  # usage plan (key, throttle, quota): spec 13.2
                refused = await usage_step(door, request, x, self.keyring, self.limits, self.clock())
                if refused is not None:
                    return refused
            validation = door.validation if door is not None else None
            body = await self.request_body(request, api, body, whole=validation is not None and bool(validation.models))
            if door is not None and validation is not None:  # validation: spec 17
                refused, body = await validation_step(door, request, x, body, api.settings.forward.max_body_bytes)
                if refused is not None:
                    return refused
        except (RequestTooLarge, ClientBodyError) as exc:
            return await body_refusal(request, x, exc)
        return await self.integration.run(request, api, x.ctx or ctx, x, method, body)

    async def request_body(
        self, request: web.BaseRequest, api: ApiRuntime, read: bytes | None, *, whole: bool = False
    ) -> bytes | None:
        """The whole request body (``gatewaysim.gateway.body``), as AWS reads it before any integration.

        ``read``: the body an authorizer already read. None only with ``forward.stream_uploads``
        (not AWS's behaviour) and no ``whole`` need (a model to validate): the HTTP_PROXY
        integration then streams the client's body.
        """
        if read is not None or (api.settings.forward.stream_uploads and not whole):
            return read
        return await self.whole_body(request, api)

    async def whole_body(self, request: web.BaseRequest, api: ApiRuntime) -> bytes:
        """Read the body whole, within the API's payload limit and the listener's body idle timeout."""
        return await read_body(request, api.settings.forward.max_body_bytes, self.settings.limits.body_idle_timeout_s)

    async def authorization(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        method: RouteMatch,
        x: Exchange,
        api_key: str | None = None,
    ) -> tuple[Verdict, bytes | None]:
        """Resource policy, the method's authorizer and the AWS tables -> ``Verdict`` (spec 2).

        Returns the body too when the authorizer read it (SigV4 hashes the payload), for the forward.
        """
        auth_type = method.route.authorization_type
        ctx = x.ctx = caller_context(auth_type, ctx)  # SECURITY: the principal header counts for NONE only
        attached = x.attached = api.attached  # read once: a swap affects the next request
        policy = attached.compiled if attached is not None else None
        if auth_type in PRE_AUTH_CHECK:
            x.decision = evaluate(policy, ctx.policy_request)
            outcome = x.decision.outcome if x.decision is not None else None
            pre = pre_authorizer_check(outcome, method_arn=ctx.method_arn, caller=ctx.principal)
            if pre is not None:
                x.verdict = pre
                return pre, None  # SECURITY: the authorizer is never called
        authorizer = authorizer_for(api.authorizers, api.settings.auth, method)
        body: bytes | None = None
        if authorizer is None:
            authz = x.authz = without_authorizer(ctx.principal)
        else:
            if authorizer.needs_body:
                body = await self.whole_body(request, api)
            asked = time.perf_counter()
            authz = x.authz = await call_authorizer(
                authorizer, authorizer_request(request, ctx, api.settings, method, body, self.keyring.api_key(api_key))
            )
            x.authorizer_ms = int((time.perf_counter() - asked) * 1000)
        if auth_type is AuthType.AWS_IAM and authz.rejection is None:
            ctx = x.ctx = signer_context(ctx, authz)  # the verified signer is the caller the policy sees
        if auth_type not in PRE_AUTH_CHECK and authz.rejection is None:
            x.decision = evaluate(policy, ctx.policy_request)
        outcome = x.decision.outcome if x.decision is not None else None
        verdict = x.verdict = decide(
            auth_type,
            authz,
            outcome,
            method_arn=ctx.method_arn,
            api_account_id=api.settings.account,
            settings=api.settings.auth.flow,
        )
        return verdict, body

    def _dashboard(self) -> Dashboard:
        """The dashboard's pages over this gateway (built on the first ``/_gatewaysim/ui`` request)."""
        from gatewaysim.gateway.dashboard_source import GatewayDashboard
        from gatewaysim.observe.dashboard.handler import Dashboard

        return Dashboard(GatewayDashboard(self.apis, self.recent, self._keys_of))

    async def _keys_of(self, api_id: str) -> list[dict[str, Any]]:
        """The keys report of one API, values masked (the dashboard's API page)."""
        return await keys_report(self.keyring, self.limits, self.clock(), include_values=False, only_api=api_id)

    async def keys_report(self, include_values: bool = False) -> list[dict[str, Any]]:
        """Each API key, its plans and the quota it has left now (``GET /_gatewaysim/keys``)."""
        only = self.settings.apis[0].api_id if len(self.settings.apis) == 1 else None
        return await keys_report(self.keyring, self.limits, self.clock(), include_values=include_values, only_api=only)

    @staticmethod
    def _authorized(api: ApiRuntime, method: RouteMatch) -> bool:
        """True when AWS authorizes the method's ARN: a resource policy, or authorization on it."""
        return api.policy is not None or method.route.authorization_type is not AuthType.NONE

    def locate(self, host: str, method: str, raw_target: str) -> Located | Unlocated:
        """The API, target and method a request line names, or why it names none (``gateway.locate``)."""
        return locate(self.settings, self.apis, host, method, raw_target)

    def _health(self) -> web.Response:
        body: dict[str, Any] = {"status": "ok", "version": __version__, "apis": sorted(self.apis)}
        if self.worker is not None:  # which of `serve --workers N` answered
            body["worker"] = {"index": self.worker.index, "of": self.worker.count, "pid": os.getpid()}
        return web.json_response(body, headers=RequestIds.new().headers())


_RESERVED_FILES: Final = 64
"""Descriptors kept beside the connection cap: logs, the listener, authorizer sessions, workers."""


async def serve(
    settings: Settings,
    out: IO[str],
    stop: asyncio.Event | None = None,
    *,
    reload_settings: SettingsLoader | None = None,
    worker: WorkerRole | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or ``stop``); in-flight requests drain before exit.

    ``worker``: this process is one of ``serve --workers N`` (``gatewaysim.gateway.workers``): it
    binds the port with ``SO_REUSEPORT`` beside the others and says which worker it is.

    ``reload_settings`` loads the settings again as at startup; with it (and ``reload.enabled``)
    the gateway watches its config and policy files (``gatewaysim.gateway.reload``). Serving is this
    process's job, so its garbage collector is tuned for it once started (``gatewaysim.gateway.gc_settings``).
    """
    reserve = _RESERVED_FILES + sum(api.forward.pool_limit for api in settings.apis)
    limits, connections = fit_descriptors(settings.limits, reserve)
    settings = dataclasses.replace(settings, limits=limits)
    gateway = Gateway(settings, reload_settings=reload_settings, worker=worker)
    server = AppServer(
        gateway.service(),
        settings.host,
        settings.port,
        shutdown_timeout=settings.shutdown_timeout_s,
        reuse_port=worker is not None,
    )
    await server.start()
    tune_for_serving()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    try:
        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig)
        serving = [f"event loop: {running_loop_name()}", describe_limits(limits, connections)]
        serving += gateway.tls.describe() if gateway.tls is not None else []
        if worker is not None:
            serving.append(f"worker: {worker.index} of {worker.count} (pid {os.getpid()})")
        out.write(banner(gateway.settings, gateway.apis, server.url, serving, gateway.keyring.keys) + "\n")
        out.flush()
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        why = received[0] if received else "stopping"
        _say(out, f"{why}: draining in-flight requests (up to {settings.shutdown_timeout_s:g} s)")
        await server.close()
        _say(out, f"stopped at {iso_second(int(time.time()))}")


def _say(out: IO[str], line: str) -> None:
    """One status line of the running server (banner, draining, stopped) to ``out``."""
    out.write(f"gatewaysim: {line}\n")
    out.flush()
