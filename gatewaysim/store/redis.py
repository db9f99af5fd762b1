"""``RedisStore``: the one Redis connection the shared pieces of a gateway use.

Keys live under ``{namespace}:`` so several gateways (or teams) can share one Redis. Besides
plain commands (``client``) it offers what several pieces need:

* ``on(channel, handler)``: one publish/subscribe connection for the process, each message handed
  to its channel's handler in order (the live policies use it);
* ``ask(kind, question)`` and ``answer(kind, responder)``: scatter-gather. ``ask`` publishes the
  question to every process of every gateway sharing the namespace and collects one answer from
  each that received it (``PUBLISH`` says how many did); each answers through its ``responder``.
  The decision and request rings are read this way: nothing is shared per request, the readers
  (admin API, dashboard) pay a round trip instead.

The ``redis`` client (its asyncio API) is imported in ``start``, only when a store is configured.
Every failure to reach the store is a ``StoreError`` naming the store (never its password).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

from gatewaysim.errors import StoreError

__all__ = ["ASK_TIMEOUT_S", "Handler", "RedisStore", "Responder"]

logger = logging.getLogger("gatewaysim.store")

ASK_TIMEOUT_S: Final = 2.0
"""How long ``ask`` waits for every process's answer (a process that died does not answer)."""
REPLY_TTL_S: Final = 30
Handler = Callable[[bytes], Awaitable[None]]
Responder = Callable[[dict[str, Any]], Awaitable[Any]]


class RedisStore:
    """A namespace in one Redis, with publish/subscribe and scatter-gather on top of the client."""

    def __init__(self, url: str, namespace: str = "gatewaysim", *, display_url: str | None = None) -> None:
        self.url = url
        self.namespace = namespace
        self.display_url = display_url or url
        self.process_id = uuid.uuid4().hex  # this process, in the answers it gives
        self._client: Any = None
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._handlers: dict[str, Handler] = {}
        self._responders: dict[str, Responder] = {}

    def key(self, *parts: str) -> str:
        """``{namespace}:part:part``."""
        return ":".join((self.namespace, *parts))

    @property
    def client(self) -> Any:
        """The ``redis.asyncio.Redis`` client (after ``start``)."""
        if self._client is None:
            raise StoreError(f"the store `{self.display_url}` is not started")
        return self._client

    def on(self, channel: str, handler: Handler) -> None:
        """Hand every message of ``channel`` to ``handler``, in order (register before ``start``)."""
        self._handlers[channel] = handler

    async def start(self) -> None:
        """Connect, check the store answers, subscribe (``StoreError`` when it cannot)."""
        import redis.asyncio as redis  # only when a store is configured: ~90 ms to import

        self._client = redis.from_url(self.url, socket_connect_timeout=5, health_check_interval=30)
        self._handlers[self.key("ask")] = self._on_question
        try:
            await self._client.ping()
            self._pubsub = self._client.pubsub()
            await self._pubsub.subscribe(*self._handlers)
            await self._confirmed(set(self._handlers))
        except (OSError, TimeoutError, redis.RedisError) as exc:
            await self.close()
            raise StoreError(f"cannot reach the store `{self.display_url}`: {exc}") from None
        self._listener = asyncio.create_task(self._listen(), name="gatewaysim-store-listener")

    async def close(self) -> None:
        """Stop listening and close the connections (idempotent)."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None

    async def _confirmed(self, channels: set[str]) -> None:
        """Wait for the server's confirmations: a publish from now on reaches this process."""
        waiting = set(channels)
        async with asyncio.timeout(5):
            while waiting:
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    waiting.discard(_text(message["channel"]))
                else:
                    await self._dispatch(message)

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store went away: say so, try again shortly
                logger.warning("lost the store `%s`: %s", self.display_url, exc)
                await asyncio.sleep(1.0)
                continue
            if message is not None:
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        handler = self._handlers.get(_text(message["channel"]))
        if handler is None:
            return
        try:
            await handler(message["data"])
        except Exception:  # one bad message must not stop the listener
            logger.exception("a message from the store could not be handled")

    async def publish(self, channel: str, payload: bytes) -> int:
        """Publish ``payload``; how many subscribers received it."""
        try:
            return int(await self.client.publish(channel, payload))
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.display_url}`: {exc}") from None

    # --- scatter-gather ------------------------------------------------------------------

    def answer(self, kind: str, responder: Responder) -> None:
        """Answer every ``ask(kind, ...)`` of any process sharing the namespace with ``responder``."""
        self._responders[kind] = responder

    async def ask(self, kind: str, question: dict[str, Any], timeout_s: float = ASK_TIMEOUT_S) -> list[Any]:
        """Every process's answer to ``question`` (those that received it and answered in time)."""
        reply = self.key("reply", uuid.uuid4().hex)
        message = json.dumps({"kind": kind, "reply": reply, "question": question}).encode()
        expected = await self.publish(self.key("ask"), message)
        answers: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            while len(answers) < expected:
                left = deadline - loop.time()
                if left <= 0:
                    logger.warning("%d of %d processes answered `%s` in time", len(answers), expected, kind)
                    break
                popped = await self.client.blpop([reply], timeout=max(left, 0.01))
                if popped is not None:
                    answers.append(json.loads(popped[1]))
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot reach the store `{self.display_url}`: {exc}") from None
        return answers

    async def _on_question(self, data: bytes) -> None:
        message = json.loads(data)
        responder = self._responders.get(message.get("kind"))
        if responder is None:
            answer: Any = None
        else:
            answer = await responder(message.get("question") or {})
        payload = json.dumps(answer, separators=(",", ":"), default=str)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.rpush(message["reply"], payload)
            pipe.expire(message["reply"], REPLY_TTL_S)
            await pipe.execute()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
