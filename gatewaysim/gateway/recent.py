"""What the admin API and the dashboard read of recent requests and decisions: one gateway's, whole.

``Recent`` answers ``requests(limit)``, ``request(id)`` and ``decisions(query)``. In one process
it reads this process's rings (``observe.feed``, ``observe.decisions``). With a shared store every
process keeps its own rings (the request path pays nothing more) and a read asks every process of
the gateway (``RedisStore.ask``): each answers from its rings, and the answers are merged newest
first, so ``/_gatewaysim/decisions``, ``/_gatewaysim/requests`` and the dashboard see the decisions
of every worker and of every gateway sharing the store.

The live stream (``gatewaysim tail``, the dashboard's table) follows every process too: while any
process has a follower (a sorted set of process ids with an expiry, refreshed every
``FOLLOW_REFRESH_S``), every process publishes each access record on ``{namespace}:feed``
(batched per loop turn), and every process hands what it receives to its own followers. With no
follower anywhere nothing is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import orjson

from gatewaysim.observe.decisions import DecisionLog, DecisionQuery
from gatewaysim.observe.feed import RequestFeed

if TYPE_CHECKING:
    from gatewaysim.store.redis import RedisStore

__all__ = ["FOLLOW_REFRESH_S", "Recent"]

logger = logging.getLogger("gatewaysim.gateway.recent")

FOLLOW_REFRESH_S: Final = 1.0
"""How often a process says it has followers, and looks whether any process has."""
_FOLLOW_TTL_S: Final = 5.0


class Recent:
    """Recent requests and decisions of the whole gateway (module docstring)."""

    def __init__(self, feed: RequestFeed, decisions: DecisionLog, store: RedisStore | None = None) -> None:
        self.feed = feed
        self.decisions = decisions
        self.store = store
        self.publishing = False  # some process has a follower: publish every record
        self._pending: list[bytes] = []
        if store is not None:
            feed.shared = True  # local followers get every process's records from the channel
            store.answer("recent", self._answer)
            store.on(store.key("feed"), self._deliver)

    # --- reading -------------------------------------------------------------------------

    async def requests(self, limit: int) -> list[Mapping[str, Any]]:
        """The newest ``limit`` access records, newest first."""
        if self.store is None:
            return self.feed.recent(limit)
        answers = await self.store.ask("recent", {"what": "requests", "limit": limit})
        return _newest(answers, "requestTime", limit)

    async def request(self, request_id: str) -> Mapping[str, Any] | None:
        """The access record of ``request_id`` while a ring holds it."""
        if self.store is None:
            return self.feed.find(request_id)
        answers = await self.store.ask("recent", {"what": "request", "id": request_id})
        return next((found[0] for found in answers if found), None)

    async def events(self, query: DecisionQuery) -> list[dict[str, Any]]:
        """The decision events ``query`` selects, newest first."""
        if self.store is None:
            return self.decisions.query(query)
        answers = await self.store.ask("recent", {"what": "decisions", "query": dataclasses.asdict(query)})
        return _newest(answers, "eventTime", query.limit)

    async def _answer(self, question: dict[str, Any]) -> list[Any]:
        what = question.get("what")
        if what == "requests":
            return self.feed.recent(int(question.get("limit", 100)))
        if what == "request":
            found = self.feed.find(str(question.get("id")))
            return [found] if found is not None else []
        if what == "decisions":
            return self.decisions.query(DecisionQuery(**question.get("query", {})))
        return []

    # --- the live stream -----------------------------------------------------------------

    def published(self, record: Mapping[str, Any]) -> None:
        """After ``feed.publish``: send ``record`` to every process's followers, when any follows."""
        if not self.publishing or self.store is None:
            return
        pending = self._pending
        pending.append(orjson.dumps(record, default=str))
        if len(pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch and self.store is not None:
            task = asyncio.ensure_future(self._send(batch))
            task.add_done_callback(_log_failure)

    async def _send(self, batch: list[bytes]) -> None:
        assert self.store is not None
        async with self.store.client.pipeline(transaction=False) as pipe:
            for payload in batch:
                pipe.publish(self.store.key("feed"), payload)
            await pipe.execute()

    async def _deliver(self, data: bytes) -> None:
        self.feed.deliver(json.loads(data))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While serving: say whether this process has followers, and see whether any has."""
        if self.store is None:
            yield
            return
        task = asyncio.create_task(self._watch_followers(), name="gatewaysim-followers")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch_followers(self) -> None:
        assert self.store is not None
        key = self.store.key("followers")
        while True:
            try:
                now = time.time()
                async with self.store.client.pipeline(transaction=False) as pipe:
                    if self.feed.followers:
                        pipe.zadd(key, {self.store.process_id: now + _FOLLOW_TTL_S})
                    pipe.zremrangebyscore(key, "-inf", now)
                    pipe.zcard(key)
                    results = await pipe.execute()
                self.publishing = bool(results[-1])
            except Exception as exc:  # the store went away for a moment
                logger.warning("cannot reach the store `%s`: %s", self.store.display_url, exc)
            await asyncio.sleep(FOLLOW_REFRESH_S)


def _newest(answers: list[Any], key: str, limit: int) -> list[Any]:
    """Each process's newest-first list merged into one, newest first, at most ``limit``."""
    lists = [answer for answer in answers if isinstance(answer, list)]
    merged = heapq.merge(*lists, key=lambda item: str(item.get(key) or ""), reverse=True)
    return [item for _, item in zip(range(limit), merged, strict=False)]


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("cannot publish to the request feed: %s", task.exception())
