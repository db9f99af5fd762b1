"""The harness for plain (sync) tests: the gateway runs in a background thread with its own loop.

::

    with ThreadedGateway(backend=my_app, policy={...}) as gw:
        reply = gw.request("/prod/pets", principal="arn:aws:iam::111122223333:user/alice", source="127.0.0.5")
        assert_allowed(reply)

The client is ``http.client`` bound to ``source`` (``127.0.0.x`` or ``::1``), so the gateway sees
that address as ``aws:SourceIp``; the target goes out byte for byte. Everything else is
``LiveGateway``'s (same options, same ``GatewayReply``).
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar

from multidict import CIMultiDict

from gatewaysim.config.load import Settings
from gatewaysim.testing.expect import GatewayReply, build_reply
from gatewaysim.testing.harness import RECORD_WAIT_S, LiveGateway, Observed

__all__ = ["START_TIMEOUT_S", "ThreadedGateway", "send", "wait_for_reply_sync"]

START_TIMEOUT_S: Final = 30.0
T = TypeVar("T")


class ThreadedGateway:
    """A ``LiveGateway`` served from a daemon thread; ``request`` is a plain blocking call."""

    __test__ = False

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.live: LiveGateway | None = None

    def start(self) -> ThreadedGateway:
        """Start the loop thread, then the gateway (and backend application) on it."""
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="gatewaysim", daemon=True)
        self._thread.start()
        try:
            self.live = self._run(self._start())
        except BaseException:
            self.close()
            raise
        return self

    async def _start(self) -> LiveGateway:
        live = LiveGateway(**self._options)
        await live.start()
        return live

    def close(self) -> None:
        """Stop the gateway and the thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if self.live is not None:
                self._run(self.live.close())
        finally:
            self._loop = self._thread = None
            loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT_S)
            loop.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("the gateway is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(START_TIMEOUT_S)

    @property
    def _live(self) -> LiveGateway:
        if self.live is None:
            raise RuntimeError("the gateway is not started")
        return self.live

    @property
    def url(self) -> str:
        """``http://host:port`` of the gateway."""
        return self._live.url

    @property
    def port(self) -> int:
        """The gateway's port."""
        return self._live.port

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self._live.settings

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every access-log record so far."""
        return self._live.records

    @property
    def observed(self) -> dict[str, Observed]:
        """The gateway's decision for each request id."""
        return self._live.observed

    def request(
        self,
        target: str,
        *,
        method: str = "GET",
        principal: str | None = None,
        source: str | None = None,
        vpce: str | None = None,
        vpc: str | None = None,
        api: str | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        timeout: float = 10.0,
    ) -> GatewayReply:
        """Send ``method target`` as ``principal``, from ``source``, through ``vpce``; ``api`` sets the Host."""
        live = self._live
        sent = live.request_headers(principal=principal, vpce=vpce, vpc=vpc, api=api, headers=headers)
        status, got, body = send(
            live.host,
            live.port,
            target,
            method=method,
            source=source or live.host,
            headers=sent,
            data=data,
            timeout=timeout,
        )
        return wait_for_reply_sync(lambda: build_reply(method, target, status, got, body, live.records, live.observed))

    def __enter__(self) -> ThreadedGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def send(
    host: str,
    port: int,
    target: str,
    *,
    method: str = "GET",
    source: str = "127.0.0.1",
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 10.0,
) -> tuple[int, CIMultiDict[str], bytes]:
    """One blocking request from ``source`` (bound with ``source_address``); status, headers, body."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, target, body=data, headers=dict(headers or {}))
        response = conn.getresponse()
        body = response.read()
        return response.status, CIMultiDict(response.getheaders()), body
    finally:
        conn.close()


def wait_for_reply_sync(build: Callable[[], GatewayReply | None], timeout: float = RECORD_WAIT_S) -> GatewayReply:
    """Call ``build`` until it returns a reply (its record is written), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (reply := build()) is None:
        if time.monotonic() > deadline:
            raise AssertionError("the gateway wrote no access-log record for this request")
        time.sleep(0.001)
    return reply
