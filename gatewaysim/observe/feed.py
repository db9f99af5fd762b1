"""The request feed: every request's access record, kept in a ring and pushed to live followers.

One record a request, refused or not (also those refused before any API stage, which leave no
decision event), as ``observe.access_log`` writes it. ``GET /_gatewaysim/requests`` reads the
ring; ``GET /_gatewaysim/requests/stream`` (server-sent events: ``stream``) follows it, for
``gatewaysim tail`` and the dashboard's live table.

SECURITY: every follower has a bounded queue (a slow one misses records and is told how many), the
number of followers is bounded, and ``close()`` ends every stream so shutdown never waits on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

import orjson
from aiohttp import web

from gatewaysim.observe.access_log import json_line

__all__ = ["HEARTBEAT_S", "MAX_FOLLOWERS", "RequestFeed", "stream"]

MAX_FOLLOWERS: Final = 32
FOLLOWER_QUEUE: Final = 1000
HEARTBEAT_S: Final = 15.0
"""A comment line this often keeps proxies from closing an idle stream and finds gone clients."""
_CLOSED: Final[dict[str, Any]] = {}


class RequestFeed:
    """The last ``size`` access records, and a queue for each live follower."""

    def __init__(self, size: int = 1000) -> None:
        self._ring: deque[str] = deque(maxlen=size)  # each record as a line of JSON (publish)
        self._followers: set[asyncio.Queue[Mapping[str, Any]]] = set()
        self.dropped = 0
        self.closed = False
        self.shared = False  # followers get records from every process (gateway.observed), not here

    def publish(self, record: Mapping[str, Any], line: str | None = None) -> None:
        """Keep ``record`` and hand it to every follower (one that is full misses it).

        The ring keeps the record as one line of JSON (``line``, when the access log wrote it
        already): one object a request instead of a dict and its values, which would keep a
        thousand requests' objects scattered in memory (``gateway.decision_pack`` says the cost).
        """
        self._ring.append(line if line is not None else json_line(record))
        if not self.shared:
            self.deliver(record)

    def deliver(self, record: Mapping[str, Any]) -> None:
        """Hand ``record`` to every follower (one that is full misses it)."""
        for queue in self._followers:
            try:
                queue.put_nowait(record)
            except asyncio.QueueFull:
                self.dropped += 1

    @property
    def followers(self) -> int:
        """How many streams follow the feed now."""
        return len(self._followers)

    def recent(self, limit: int = 100) -> list[Mapping[str, Any]]:
        """The newest ``limit`` records, newest first."""
        return [_record(line) for line in itertools.islice(reversed(self._ring), limit)]

    def find(self, request_id: str) -> Mapping[str, Any] | None:
        """The record of ``request_id`` while it is in the ring."""
        for line in reversed(self._ring):
            if request_id in line:  # a request id is plain ASCII, written as is
                record = _record(line)
                if record.get("requestId") == request_id:
                    return record
        return None

    @contextlib.contextmanager
    def follow(self) -> Any:
        """A queue receiving every record from now on (None when there are too many followers)."""
        if self.closed or len(self._followers) >= MAX_FOLLOWERS:
            yield None
            return
        queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue(FOLLOWER_QUEUE)
        self._followers.add(queue)
        try:
            yield queue
        finally:
            self._followers.discard(queue)

    def close(self) -> None:
        """End every stream (the gateway is stopping)."""
        self.closed = True
        for queue in self._followers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(_CLOSED)


async def _records(
    queue: asyncio.Queue[Mapping[str, Any]], heartbeat_s: float
) -> AsyncIterator[Mapping[str, Any] | None]:
    """Records as they come; None when ``heartbeat_s`` passed without one."""
    while True:
        try:
            record = await asyncio.wait_for(queue.get(), heartbeat_s)
        except TimeoutError:
            yield None
            continue
        if record is _CLOSED:
            return
        yield record


async def stream(
    request: web.BaseRequest, feed: RequestFeed, headers: Mapping[str, str], heartbeat_s: float = HEARTBEAT_S
) -> web.StreamResponse:
    """Follow ``feed`` as server-sent events (``event: request``, one JSON access record each)."""
    with feed.follow() as queue:
        if queue is None:
            return web.json_response({"message": "too many followers; try again later"}, status=503, headers=headers)
        response = web.StreamResponse(
            headers={**headers, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(b": following\n\n")
        try:
            async for record in _records(queue, heartbeat_s):
                line = ": ping\n\n" if record is None else _event(record)
                await response.write(line.encode("utf-8"))
        except (ConnectionResetError, ConnectionError):
            pass  # the follower went away
        return response


def _record(line: str) -> dict[str, Any]:
    """A record back from its JSON line (``json`` reads the escaped lone surrogates orjson refuses)."""
    try:
        record: dict[str, Any] = orjson.loads(line)
    except orjson.JSONDecodeError:
        record = json.loads(line)
    return record


def _event(record: Mapping[str, Any]) -> str:
    data = json.dumps(record, separators=(",", ":"), default=str)  # one line: JSON escapes newlines
    return f"event: request\nid: {record.get('requestId', '')}\ndata: {data}\n\n"
