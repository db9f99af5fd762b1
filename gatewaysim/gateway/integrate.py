"""The integration stage (spec 18): once a request is allowed, its method's integration answers it.

::

    integration = method.route.integration     None: the API's `backend`, HTTP_PROXY as before
    HTTP_PROXY  -> stream to the backend          the method's `uri` (placeholders, stage variables,
                                                  requestParameters, httpMethod, timeoutInMillis)
    AWS_PROXY   -> the method's function          the proxy event in, the proxy answer checked (integrate_lambda)
    MOCK        -> integrations.mock              the integration response the template selects

Each integration is one row of ``IntegrationStage``'s table. A failure becomes the gateway
response AWS uses for it (``Exchange.fail``: the one table in ``gateway.responses``), with the
cause in the access log's ``errorMessage``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gatewaysim.authorizers.base import AuthType
from gatewaysim.config.integration import IntegrationType
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import RequestContext
from gatewaysim.errors import GatewaysimError, RequestTooLarge, UpstreamError, UpstreamTimeout
from gatewaysim.gateway.authorize.stage import backend_headers
from gatewaysim.gateway.exchange import Exchange, Integrated
from gatewaysim.gateway.runtime import ApiRuntime
from gatewaysim.ids import TRACE_HEADER, trace_id
from gatewaysim.integrations.http_proxy.outgoing import outgoing_headers
from gatewaysim.integrations.http_proxy.route import BackendTarget, backend_target
from gatewaysim.integrations.mapping import MappingSource
from gatewaysim.integrations.mock import MockFailure, mock_answer
from gatewaysim.integrations.request_info import context_variables

if TYPE_CHECKING:
    from gatewaysim.gateway.integrate_lambda import LambdaProxy

__all__ = ["FORWARD_ERRORS", "IntegrationStage"]

logger = logging.getLogger("gatewaysim.gateway.integrate")

# Errors the forwarder raises before the answer starts -> gateway response type (first match wins).
FORWARD_ERRORS: Final = (
    (RequestTooLarge, "REQUEST_TOO_LARGE"),
    (UpstreamTimeout, "INTEGRATION_TIMEOUT"),
    (UpstreamError, "INTEGRATION_FAILURE"),
)

Runner = Callable[
    ["IntegrationStage", web.BaseRequest, ApiRuntime, RequestContext, Exchange, RouteMatch, "bytes | None"],
    Awaitable[web.StreamResponse],
]


def _query(query_string: str) -> MultiDictProxy[str]:
    return MultiDictProxy(MultiDict(parse_qsl(query_string, keep_blank_values=True)))


class IntegrationStage:
    """Runs a method's integration; ``drop`` is the header set a backend never gets from the client,
    ``functions`` the AWS_PROXY integration over the config's functions (``integrate_lambda``; None:
    no method calls a function, and Lambda's modules are never loaded)."""

    def __init__(self, drop: frozenset[str], functions: LambdaProxy | None = None) -> None:
        self.drop = drop
        self.functions = functions

    async def run(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        x: Exchange,
        method: RouteMatch | None,
        body: bytes | None,
    ) -> web.StreamResponse:
        """The method's integration answers ``request`` (module docstring)."""
        integration = method.route.integration if method is not None else None
        if integration is None or method is None:
            return await self._http_proxy(request, api, ctx, x, method, body)
        x.integration = Integrated(str(integration.type), integration.function or integration.uri)
        return await _RUNNERS[integration.type](self, request, api, ctx, x, method, body)

    @staticmethod
    def source(request: web.BaseRequest, api: ApiRuntime, ctx: RequestContext, method: RouteMatch) -> MappingSource:
        """What mapping expressions and static templates may read from this request."""
        user_agent = request.headers.get("User-Agent", "")
        context = context_variables(
            ctx, account=api.settings.account, resource=method.resource_path, host=request.host, user_agent=user_agent
        )
        return MappingSource(
            request.headers,
            _query(ctx.query_string),
            method.path_parameters,
            api.settings.variables(ctx.stage),
            context,
        )

    def _target(
        self, request: web.BaseRequest, api: ApiRuntime, ctx: RequestContext, method: RouteMatch | None
    ) -> tuple[BackendTarget, float | None]:
        """Where the request goes: the method's own uri, or the API's backend; and the timeout."""
        integration = method.route.integration if method is not None else None
        if integration is None or method is None:
            path = ctx.path if api.settings.strip_stage else ctx.full_path
            return BackendTarget(api.backend_url, path, ctx.query_string, ctx.http_method, ()), None
        source = self.source(request, api, ctx, method)
        return backend_target(integration, source, ctx.query_string, ctx.http_method), integration.timeout_s

    async def _http_proxy(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        x: Exchange,
        method: RouteMatch | None,
        body: bytes | None,
    ) -> web.StreamResponse:
        headers = outgoing_headers(request.headers, self.drop, ctx, _port(request))
        auth_type = method.route.authorization_type if method is not None else AuthType.NONE
        backend_headers(headers, auth_type, x.authz)  # authorizer output in, a SigV4 Authorization out
        target, timeout = self._target(request, api, ctx, method)
        for name, value in target.headers:
            headers[name] = value  # a mapping replaces the client's header of that name (spec 18.5)
        x.integration = Integrated("HTTP_PROXY", f"{target.method} {target.base}{target.path}", headers)
        try:
            result = await api.forwarder.forward(
                request,
                backend_url=target.base,
                path=target.path,
                query_string=target.query_string,
                headers=headers,
                response_headers={**x.ids.headers(), TRACE_HEADER: headers[TRACE_HEADER]},
                body=body,
                prepared=True,  # outgoing_headers dropped the hop-by-hop headers already
                method=target.method,
                timeout_s=timeout,
            )
        except GatewaysimError as exc:
            kind = next((k for cls, k in FORWARD_ERRORS if isinstance(exc, cls)), "API_CONFIGURATION_ERROR")
            return x.fail(kind, str(exc))
        except ValueError as exc:  # the rendered uri is not one we can send (a stage variable's value)
            return x.fail("API_CONFIGURATION_ERROR", f"integration uri: {exc}")
        x.length, x.upstream = result.response_length, result.integration_latency_ms
        if result.error is not None:
            x.error = (type(result.error).__name__, str(result.error))
        return result.response

    async def _mock(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        x: Exchange,
        method: RouteMatch,
        body: bytes | None,
    ) -> web.StreamResponse:
        integration = method.route.integration
        assert integration is not None  # the table sent a MOCK method here
        source = self.source(request, api, ctx, method)
        answer = mock_answer(integration, source, request.headers.get("Content-Type"), request.headers.get("Accept"))
        if isinstance(answer, MockFailure):
            logger.warning("%s %s: %s", ctx.ids.request_id, method.resource_path, answer.reason)
            return x.fail(answer.response_type, answer.reason)
        x.upstream = 0.0
        return answer.response({**x.ids.headers(), TRACE_HEADER: _trace(request, ctx)})

    async def _aws_proxy(
        self,
        request: web.BaseRequest,
        api: ApiRuntime,
        ctx: RequestContext,
        x: Exchange,
        method: RouteMatch,
        body: bytes | None,
    ) -> web.StreamResponse:
        if self.functions is None:  # pragma: no cover - the gateway builds them for every AWS_PROXY method
            return x.fail("API_CONFIGURATION_ERROR", "this gateway runs no functions")
        return await self.functions.run(request, api, ctx, x, method, body, _port(request), _trace(request, ctx))


def _trace(request: web.BaseRequest, ctx: RequestContext) -> str:
    """The trace id successful answers carry (spec 6.1), the one the integration got."""
    return trace_id(request.headers, ctx.request_time, ctx.ids.request_id)


def _port(request: web.BaseRequest) -> int:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if isinstance(sockname, tuple) else 0


_RUNNERS: Final[Mapping[IntegrationType, Runner]] = {
    IntegrationType.HTTP_PROXY: IntegrationStage._http_proxy,
    IntegrationType.MOCK: IntegrationStage._mock,
    IntegrationType.AWS_PROXY: IntegrationStage._aws_proxy,
}
