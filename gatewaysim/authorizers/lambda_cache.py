"""The Lambda authorizer result cache: TTL with an injectable clock, bounded size (LRU).

What is cached is the well-formed answer (principalId, the *compiled* policy, context), never a
decision: the policy is re-evaluated against each request's method ARN (spec 7.6).
``AnswerCache`` is what the authorizer asks: this in-process cache, or the one every process of
a gateway shares (``authorizers.shared_cache``, in the store).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gatewaysim.authorizers.base import ContextValue
from gatewaysim.policy import CompiledPolicy

__all__ = ["AnswerCache", "AuthorizerAnswer", "AuthorizerCache", "Clock"]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class AuthorizerAnswer:
    """A validated Lambda authorizer answer, ready to evaluate and to cache."""

    principal_id: str
    policy: CompiledPolicy
    context: Mapping[str, ContextValue]
    usage_identifier_key: str | None = None


class AnswerCache(Protocol):
    """Where a Lambda authorizer keeps its answers for ``authorizerResultTtlInSeconds``."""

    async def fetch(self, key: tuple[str | None, ...], method_arn: str) -> AuthorizerAnswer | None:
        """The live answer for ``key`` (``method_arn``: the request's, for a stored answer to compile)."""
        ...

    async def keep(self, key: tuple[str | None, ...], answer: AuthorizerAnswer, raw: Mapping[str, Any]) -> None:
        """Keep ``answer`` (``raw``: what the function returned) for the TTL."""
        ...


class AuthorizerCache:
    """Answers by key, each valid for ``ttl`` seconds of ``clock``; the least recently used goes first."""

    def __init__(self, ttl: float, max_entries: int = 1024, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, AuthorizerAnswer]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> AuthorizerAnswer | None:
        """The live answer for ``key``, or None (an expired entry is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, answer = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: AuthorizerAnswer) -> None:
        """Store ``answer`` for ``ttl`` seconds; evicts the least recently used past ``max_entries``."""
        if self.ttl <= 0 or self.max_entries <= 0:
            return
        self._entries[key] = (self.clock() + self.ttl, answer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def fetch(self, key: tuple[str | None, ...], method_arn: str) -> AuthorizerAnswer | None:
        """``get`` as ``AnswerCache`` asks it."""
        return self.get(key)

    async def keep(self, key: tuple[str | None, ...], answer: AuthorizerAnswer, raw: Mapping[str, Any]) -> None:
        """``put`` as ``AnswerCache`` asks it."""
        self.put(key, answer)

    def clear(self) -> None:
        """Forget everything (AWS: flush the stage's authorizer cache)."""
        self._entries.clear()
