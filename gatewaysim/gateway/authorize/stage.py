"""The authorizer stage's parts that touch a live request: who the caller is, what the authorizer
gets, the body it may need, and what its answer adds to the backend request.

Callers by auth type (spec 3.2):

* ``NONE``: the principal header (``X-Gatewaysim-Principal``) names the caller, as before: it is
  how a user emulates an AWS principal without signing.
* ``CUSTOM`` and ``COGNITO_USER_POOLS``: the resource policy always sees ``anonymous``; the
  principal header is ignored (SECURITY: a header must not turn a token caller into an IAM one).
* ``AWS_IAM``: the principal header is ignored; the caller is the SigV4 signer, whose condition
  keys (``aws:PrincipalArn`` ...) the resource policy is evaluated with, after the signature.

What the backend gets from an authorizer (API Gateway's HTTP_PROXY integration passes nothing by
itself; these headers stand in for ``$context.authorizer.*`` mappings). Client-sent headers of
these names are always dropped first (SECURITY):

* ``X-Gatewaysim-Authorizer-Principal-Id``: the Lambda ``principalId`` (Cognito: the ``sub``).
* ``X-Gatewaysim-Authorizer-Context``: the Lambda ``context`` as a JSON object.
* ``X-Gatewaysim-Authorizer-Claims``: the Cognito token's claims as a JSON object of strings.

For ``AWS_IAM`` methods the SigV4 ``Authorization`` header is dropped (spec 10.2).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from gatewaysim.authorizers.base import (
    Authorizer,
    AuthorizerRequest,
    AuthorizerResult,
    AuthType,
    SupportsClose,
    configuration_error,
)
from gatewaysim.config.auth import AuthSettings
from gatewaysim.config.load import ApiSettings
from gatewaysim.config.routes import RouteMatch
from gatewaysim.context import ANONYMOUS, INVOKE, RequestContext
from gatewaysim.ids import resource_id
from gatewaysim.policy import CompiledPolicy, Decision, Request
from gatewaysim.policy.principals import principal_context_keys

if TYPE_CHECKING:
    from gatewaysim.store.redis import RedisStore

__all__ = [
    "AUTHORIZER_HEADERS",
    "CLAIMS_HEADER",
    "CONTEXT_HEADER",
    "PRINCIPAL_ID_HEADER",
    "AuthorizerHost",
    "authorizer_for",
    "authorizer_request",
    "backend_headers",
    "call_authorizer",
    "caller_context",
    "evaluate",
    "signer_context",
]

logger = logging.getLogger("gatewaysim.auth")

PRINCIPAL_ID_HEADER: Final = "X-Gatewaysim-Authorizer-Principal-Id"
CONTEXT_HEADER: Final = "X-Gatewaysim-Authorizer-Context"
CLAIMS_HEADER: Final = "X-Gatewaysim-Authorizer-Claims"
AUTHORIZER_HEADERS: Final = frozenset(h.lower() for h in (PRINCIPAL_ID_HEADER, CONTEXT_HEADER, CLAIMS_HEADER))
"""Lower-case names the client may never send on (add them to the server's drop set)."""
_SIGV4_PREFIX: Final = "AWS4-"
_PRINCIPAL_KEYS: Final = frozenset(
    {"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username"}
)


def evaluate(policy: CompiledPolicy | None, request: Request) -> Decision | None:
    """The resource policy's decision, None when the API has no resource policy."""
    return policy.evaluate(request) if policy is not None else None


def caller_context(auth_type: AuthType, ctx: RequestContext) -> RequestContext:
    """``ctx`` as the method's auth type sees the caller: the principal header counts for NONE only."""
    if auth_type is AuthType.NONE or ctx.principal == ANONYMOUS:
        return ctx
    # SECURITY: the principal header is ignored for CUSTOM, COGNITO_USER_POOLS and AWS_IAM methods:
    # the caller is `anonymous` (the SigV4 signer replaces it for AWS_IAM once verified).
    derived = set(principal_context_keys(ctx.principal)) | _PRINCIPAL_KEYS
    context = {key: value for key, value in ctx.policy_request.context.items() if key not in derived}
    return ctx._replace(principal=ANONYMOUS, policy_request=Request(ANONYMOUS, INVOKE, ctx.method_arn, context))


def signer_context(ctx: RequestContext, result: AuthorizerResult) -> RequestContext:
    """``ctx`` with the verified SigV4 signer as the caller and its condition keys merged in."""
    context = {**ctx.policy_request.context, **result.context_keys}
    request = Request(result.principal, INVOKE, ctx.method_arn, context)
    return ctx._replace(principal=result.principal, policy_request=request)


def authorizer_request(
    request: web.BaseRequest,
    ctx: RequestContext,
    api: ApiSettings,
    method: RouteMatch,
    body: bytes | None,
    api_key: tuple[str, str | None] | None = None,
) -> AuthorizerRequest:
    """Everything the method's authorizer may read about this request.

    ``api_key`` is ``(value, id)`` of the ``x-api-key`` a key-requiring method reads (source HEADER).
    """
    return AuthorizerRequest(
        method=ctx.http_method,
        path=ctx.path,
        method_arn=ctx.method_arn,
        resource_path=method.resource_path,
        path_parameters=dict(method.path_parameters),
        headers=request.headers,
        query=request.rel_url.query,
        stage=ctx.stage,
        stage_variables=api.variables(ctx.stage),
        source_ip=ctx.source_ip,
        user_agent=request.headers.get("User-Agent", ""),
        api_id=api.api_id,
        account_id=api.account,
        region=api.region,
        request_id=ctx.ids.request_id,
        raw_path=request.raw_path.partition("?")[0],  # as sent: what a SigV4 client signed
        resource_id=resource_id(api.api_id, method.resource_path),  # the proxy event's too
        query_string=ctx.query_string,
        condition_context=ctx.policy_request.context,
        authorization_scopes=method.route.authorization_scopes,
        body=body,
        api_key=api_key[0] if api_key is not None else None,
        api_key_id=api_key[1] if api_key is not None else None,
    )


async def call_authorizer(authorizer: Authorizer, request: AuthorizerRequest) -> AuthorizerResult:
    """Ask ``authorizer``; a bug in it (a plug-in raising) is a 500 ``{"message": null}``, never a traceback."""
    try:
        return await authorizer.authorize(request)
    except Exception as exc:
        logger.exception("authorizer %s failed", type(authorizer).__name__)
        return AuthorizerResult.rejected(configuration_error(f"authorizer raised {type(exc).__name__}: {exc}"))


def _json(value: Mapping[str, object]) -> str:
    return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=True)  # ASCII: safe in a header


def backend_headers(headers: CIMultiDict[str], auth_type: AuthType, result: AuthorizerResult | None) -> None:
    """Add the authorizer's output to the outgoing ``headers``; drop a SigV4 ``Authorization``."""
    if auth_type is AuthType.AWS_IAM:
        for value in headers.getall("Authorization", []):
            if value.strip().startswith(_SIGV4_PREFIX):
                headers.popall("Authorization")  # spec 10.2: the signature stops at the gateway
                break
    if result is None or auth_type is AuthType.NONE:
        return
    if result.principal_id is not None:
        headers[PRINCIPAL_ID_HEADER] = result.principal_id
    if result.context:
        headers[CONTEXT_HEADER] = _json(result.context)
    if result.claims:
        headers[CLAIMS_HEADER] = _json(result.claims)


class AuthorizerHost:
    """Builds the authorizers of each API while the app runs; HTTP-endpoint ones share one session."""

    def __init__(self, store: RedisStore | None = None) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.store = store  # Lambda authorizers cache their answers there, for every process (None: each its own)
        self._built: list[Authorizer] = []

    async def build(self, auth: AuthSettings, api_id: str = "") -> dict[str, Authorizer]:
        """Build ``auth``'s authorizers (from a running loop); raises ``ConfigError``."""
        if not auth.authorizers:
            return {}
        if self.session is None:
            self.session = aiohttp.ClientSession(trust_env=False)
        built = auth.build(self.session)
        if self.store is not None:
            from gatewaysim.authorizers.lambda_ import LambdaAuthorizer  # only with a store
            from gatewaysim.authorizers.shared_cache import SharedAnswerCache, scope_of

            for name, authorizer in built.items():
                if isinstance(authorizer, LambdaAuthorizer) and authorizer.caching:
                    scope = scope_of(api_id, name, repr(authorizer.config))
                    ttl = authorizer.config.ttl_seconds
                    authorizer.cache = SharedAnswerCache(self.store, scope, name, ttl)
        self._built.extend(built.values())
        return built

    async def close(self) -> None:
        """Release what the authorizers hold, then the shared session (idempotent)."""
        built, self._built = self._built, []
        for authorizer in built:
            if isinstance(authorizer, SupportsClose):
                await authorizer.aclose()
        session, self.session = self.session, None
        if session is not None:
            await session.close()


def authorizer_for(authorizers: Mapping[str, Authorizer], auth: AuthSettings, method: RouteMatch) -> Authorizer | None:
    """The built authorizer serving ``method``, None for auth NONE."""
    name = auth.authorizer_name(method.route)
    return authorizers[name] if name is not None else None
