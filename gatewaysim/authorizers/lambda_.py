"""Lambda authorizers (``CUSTOM``), TOKEN and REQUEST, with AWS's result cache.

Config (one authorizer; AWS's field names)::

    type: TOKEN | REQUEST                       # default TOKEN
    handler: pkg.module:function | path/to/file.py:function | entry-point-name
    url: http://127.0.0.1:9000/auth              # instead of handler: an HTTP endpoint
    identitySource: method.request.header.Authorization   # REQUEST: comma list
    identityValidationExpression: '^Bearer [-0-9a-zA-Z._]+$'   # TOKEN only
    authorizerResultTtlInSeconds: 300           # 0..3600, 0 disables caching
    timeoutSeconds: 10                          # gatewaysim: give up on the function after this
    cacheSize: 1024                             # gatewaysim: LRU bound of the result cache

Request handling: a missing or empty identity source is 401 without calling the function (TOKEN
always; REQUEST when caching is on); a TOKEN that does not *fully* match
``identityValidationExpression`` is 401 without calling (``re.fullmatch``, as Java's
``String.matches`` API Gateway is built on). The function's answer: ``Unauthorized`` -> 401, any
other failure or a malformed answer -> 500 ``{"message": null}`` (the cause is logged). A
well-formed answer is cached (Deny policies too) under the token (TOKEN) or all identity-source
values (REQUEST), per authorizer and per stage (AWS flushes authorizer caches per stage), and its
policy is evaluated against each request's method ARN: Allow -> ``Allow``, explicit Deny ->
``Deny``, no matching statement -> ``neither``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from gatewaysim.authorizers.base import (
    AuthorizerRequest,
    AuthorizerResult,
    Rejection,
    column_for,
    configuration_error,
    unauthorized,
)
from gatewaysim.authorizers.lambda_answer import parse_answer
from gatewaysim.authorizers.lambda_cache import AnswerCache, AuthorizerAnswer, AuthorizerCache, Clock
from gatewaysim.authorizers.lambda_config import (
    DEFAULT_IDENTITY_SOURCE,
    DEFAULT_TTL,
    MAX_TTL,
    LambdaType,
    parse_config,
)
from gatewaysim.authorizers.lambda_events import IdentitySource, parse_identity_sources, request_event, token_event
from gatewaysim.authorizers.lambda_invoke import FunctionUnauthorized, HttpInvoker, Invoker, PythonInvoker
from gatewaysim.authorizers.loading import load_callable
from gatewaysim.errors import AuthorizerError, ConfigError, Problem
from gatewaysim.policy import Request

__all__ = ["DEFAULT_TTL", "MAX_TTL", "LambdaAuthorizer", "LambdaAuthorizerConfig", "LambdaType"]

logger = logging.getLogger("gatewaysim.authorizers.lambda")


def _default_sources() -> tuple[IdentitySource, ...]:
    return parse_identity_sources(DEFAULT_IDENTITY_SOURCE)


@dataclass(frozen=True, slots=True)
class LambdaAuthorizerConfig:
    """A validated Lambda authorizer definition; build it with ``from_mapping``."""

    name: str
    type: LambdaType = LambdaType.TOKEN
    handler: str | None = None
    url: str | None = None
    identity_sources: tuple[IdentitySource, ...] = field(default_factory=_default_sources)
    identity_validation_expression: re.Pattern[str] | None = None
    ttl_seconds: int = DEFAULT_TTL
    timeout_seconds: float = 10.0
    cache_size: int = 1024
    base_dir: Path | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(
        cls,
        name: str,
        data: Mapping[str, Any],
        *,
        source: str | None = None,
        path: str = "",
        base_dir: Path | None = None,
    ) -> LambdaAuthorizerConfig:
        """Validate a config mapping; every problem is collected into one ``ConfigError``.

        ``base_dir`` (the config file's directory) anchors a relative ``path/to/file.py`` handler.
        """
        kwargs = parse_config(data, source=source, path=path or f"authorizers.{name}")
        return cls(name=name, base_dir=base_dir, **kwargs)


class LambdaAuthorizer:
    """A TOKEN or REQUEST Lambda authorizer; implements ``Authorizer`` and ``SupportsClose``."""

    needs_body = False

    def __init__(self, config: LambdaAuthorizerConfig, invoker: Invoker, *, clock: Clock = time.monotonic) -> None:
        self.config = config
        self.invoker = invoker
        self.cache: AnswerCache = AuthorizerCache(config.ttl_seconds, config.cache_size, clock)  # or shared

    @classmethod
    def from_config(
        cls,
        config: LambdaAuthorizerConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Clock = time.monotonic,
    ) -> LambdaAuthorizer:
        """Build the invoker the config names (a Python handler or an HTTP endpoint)."""
        invoker: Invoker
        if config.url is not None:
            invoker = HttpInvoker(config.url, config.name, config.timeout_seconds, session)
        else:
            where = f"authorizers.{config.name}.handler"
            if config.handler is None:
                raise ConfigError([Problem(where, "give exactly one of `handler` or `url`")])
            handler = load_callable(config.handler, base_dir=config.base_dir, where=where)
            invoker = PythonInvoker(handler, config.name, config.timeout_seconds)
        return cls(config, invoker, clock=clock)

    @property
    def caching(self) -> bool:
        """True when results are cached (``authorizerResultTtlInSeconds`` > 0)."""
        return self.config.ttl_seconds > 0

    async def aclose(self) -> None:
        """Close the HTTP session of an endpoint invoker, if it owns one."""
        if isinstance(self.invoker, HttpInvoker):
            await self.invoker.aclose()

    async def authorize(self, request: AuthorizerRequest) -> AuthorizerResult:
        """Identity check, cache, function call, then the policy against ``request.method_arn``."""
        identity = self._identity(request)
        if isinstance(identity, Rejection):
            return AuthorizerResult.rejected(identity)
        key = (request.stage, *identity)
        answer = await self.cache.fetch(key, request.method_arn) if self.caching else None
        cached = answer is not None
        if answer is None:
            fresh = await self._call(request, identity)
            if isinstance(fresh, Rejection):
                return AuthorizerResult.rejected(fresh)
            answer, raw = fresh
            if self.caching:
                await self.cache.keep(key, answer, raw)
        return self._result(answer, request, cached)

    def _identity(self, request: AuthorizerRequest) -> tuple[str | None, ...] | Rejection:
        values = tuple(source.value(request) for source in self.config.identity_sources)
        required = self.config.type is LambdaType.TOKEN or self.caching
        missing = [s.expression for s, v in zip(self.config.identity_sources, values, strict=True) if not v]
        if required and missing:
            # SECURITY: no identity, no call: 401 before the function ever runs.
            return unauthorized(f"authorizer `{self.config.name}`: identity source `{missing[0]}` missing or empty")
        pattern = self.config.identity_validation_expression
        if self.config.type is LambdaType.TOKEN and pattern is not None and not pattern.fullmatch(values[0] or ""):
            return unauthorized(f"authorizer `{self.config.name}`: token does not match identityValidationExpression")
        return values

    async def _call(
        self, request: AuthorizerRequest, identity: tuple[str | None, ...]
    ) -> tuple[AuthorizerAnswer, Any] | Rejection:
        if self.config.type is LambdaType.TOKEN:
            event = token_event(request, identity[0] or "")
        else:
            event = request_event(request)
        try:
            raw = await self.invoker(event)
            return parse_answer(raw, name=self.config.name, method_arn=request.method_arn), raw
        except FunctionUnauthorized as exc:
            logger.info("%s", exc)
            return unauthorized(str(exc))
        except AuthorizerError as exc:
            logger.warning("authorizer configuration error: %s", exc)
            return configuration_error(str(exc))

    def _result(self, answer: AuthorizerAnswer, request: AuthorizerRequest, cached: bool) -> AuthorizerResult:
        # SECURITY: the cached *policy* is evaluated against this request's method ARN; a decision is
        # never reused across ARNs (a policy naming one methodArn must not open the others).
        decision = answer.policy.evaluate(
            Request("anonymous", "execute-api:Invoke", request.method_arn, request.condition_context)
        )
        return AuthorizerResult(
            column=column_for(decision.outcome),
            principal_id=answer.principal_id,
            context=answer.context,
            decision=decision,
            cached=cached,
            usage_identifier_key=answer.usage_identifier_key,
        )
