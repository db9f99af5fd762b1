"""The Lambda authorizer's result cache in the shared store: one cache for every process of a gateway.

``SharedAnswerCache`` keeps what the function returned (its JSON answer) under
``{namespace}:authz:{scope}:{digest of stage and identity}`` for ``authorizerResultTtlInSeconds``
(Redis expires it), so a token one worker authorized is a cache hit in every other worker and
gateway sharing the store, as AWS's cache is one per stage. A hit is validated and compiled again
here (``parse_answer``, remembered per answer text: the same answer is compiled once a process).
``scope`` names the API and the authorizer, and a digest of how the authorizer is configured, so
a changed authorizer never reads another's answers.

If the store cannot be reached the cache is skipped (the function is called), and a warning says so:
a cache may only save calls, never change an answer.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from gatewaysim.authorizers.lambda_answer import api_arn_of, parse_answer
from gatewaysim.authorizers.lambda_cache import AuthorizerAnswer
from gatewaysim.errors import AuthorizerError
from gatewaysim.store.redis import RedisStore

__all__ = ["SharedAnswerCache", "scope_of"]

logger = logging.getLogger("gatewaysim.authorizers.shared_cache")

_COMPILED: Final = 256
"""Answer texts whose compiled form a process remembers."""


def scope_of(api_id: str, name: str, configuration: str) -> str:
    """``api:name:digest``: whose answers these are (``configuration`` is how the authorizer is set up)."""
    digest = hashlib.sha256(configuration.encode()).hexdigest()[:16]
    return f"{api_id}:{name}:{digest}"


class SharedAnswerCache:
    """``AnswerCache`` in a ``RedisStore`` (module docstring)."""

    def __init__(self, store: RedisStore, scope: str, name: str, ttl_seconds: int) -> None:
        self.store = store
        self.scope = scope
        self.name = name
        self.ttl_ms = ttl_seconds * 1000
        self._parse = functools.lru_cache(maxsize=_COMPILED)(self._parse_text)

    def _key(self, key: tuple[str | None, ...]) -> str:
        digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]
        return self.store.key("authz", self.scope, digest)

    async def fetch(self, key: tuple[str | None, ...], method_arn: str) -> AuthorizerAnswer | None:
        """The answer kept for ``key`` by any process, until its TTL runs out."""
        try:
            text = await self.store.client.get(self._key(key))
        except Exception as exc:
            logger.warning("authorizer `%s`: the shared cache is unreachable, calling the function: %s", self.name, exc)
            return None
        if text is None:
            return None
        try:
            return self._parse(text, api_arn_of(method_arn) or method_arn)
        except (AuthorizerError, ValueError) as exc:  # not what a process of this gateway kept
            logger.warning("authorizer `%s`: a cached answer is not valid, calling the function: %s", self.name, exc)
            return None

    async def keep(self, key: tuple[str | None, ...], answer: AuthorizerAnswer, raw: Mapping[str, Any]) -> None:
        """Keep the function's answer for every process, for the TTL."""
        if self.ttl_ms <= 0:
            return
        try:
            text = json.dumps(raw, separators=(",", ":"), default=str)
            await self.store.client.set(self._key(key), text, px=self.ttl_ms)
        except Exception as exc:
            logger.warning("authorizer `%s`: the shared cache is unreachable: %s", self.name, exc)

    def _parse_text(self, text: bytes, api_arn: str) -> AuthorizerAnswer:
        return parse_answer(json.loads(text), name=self.name, method_arn=api_arn)
