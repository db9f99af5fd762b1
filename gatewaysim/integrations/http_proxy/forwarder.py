"""The integration: stream a request to the backend and its answer back (HTTP_PROXY).

One pooled :class:`aiohttp.ClientSession` per :class:`Forwarder`; bodies stream both ways in
chunks and are never read whole. aiohttp's client errors become ours here, at the edge
(:func:`map_client_error`), always chained with ``from exc``:

* connection refused / reset before the answer headers     -> :class:`UpstreamUnavailable`
* no answer headers within ``timeout_s``                   -> :class:`UpstreamTimeout`
* body over ``max_body_bytes`` (declared or while streaming) -> :class:`RequestTooLarge`

Once the answer has started, a failure can only break the client connection; it is reported
in :attr:`ForwardResult.error`, never raised. A client that goes away is reported the same way
(``error`` is the client's :class:`ConnectionError`; ``status`` 499 if no answer started).

The parts: header and URL rules in :mod:`gatewaysim.integrations.http_proxy.headers`, the error table in
:mod:`gatewaysim.integrations.http_proxy.errors`, the two streams in :mod:`gatewaysim.integrations.http_proxy.stream`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Final, NamedTuple

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from gatewaysim.config.forward import ForwardSettings
from gatewaysim.errors import RequestTooLarge, UpstreamTimeout
from gatewaysim.integrations.http_proxy.errors import CLIENT_ERRORS, map_client_error, upstream_error_type
from gatewaysim.integrations.http_proxy.headers import HOP_BY_HOP, REQUEST_DROPPED, prepare_request_headers
from gatewaysim.integrations.http_proxy.headers import backend_url as build_backend_url
from gatewaysim.integrations.http_proxy.stream import CHUNK_SIZE, Upload, relay, too_large_message
from gatewaysim.integrations.http_proxy.upstream import UpstreamPool, UpstreamResponse

Upstream = aiohttp.ClientResponse | UpstreamResponse
"""The backend's answer: from the pooled ``ClientSession`` or the lean path (``upstream.py``)."""

__all__ = [
    "CHUNK_SIZE",
    "CLIENT_CLOSED_REQUEST",
    "CLIENT_ERRORS",
    "HOP_BY_HOP",
    "REQUEST_DROPPED",
    "ForwardResult",
    "ForwardSettings",
    "Forwarder",
    "map_client_error",
    "prepare_request_headers",
    "upstream_error_type",
]

CLIENT_CLOSED_REQUEST: Final = 499  # nginx's code for "the client went away before the answer"
# SECURITY: the proxy passes bytes through untouched: it adds no Accept-Encoding of its own
# (the client would get a compression it never asked for), keeps no cookies, follows no
# redirects and decompresses nothing.
_SKIP_AUTO_HEADERS: Final = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})


class ForwardResult(NamedTuple):
    """What one forward did: the client response (finished, or whole and ready) and its figures.

    ``error`` is set when the exchange broke after the answer started or the client went away:
    an :class:`UpstreamError` (the client saw a broken response) or the client's
    :class:`ConnectionError`. ``integration_latency_ms`` runs from the start of the backend
    request until the backend's answer ended.
    """

    response: web.StreamResponse
    status: int
    response_length: int
    integration_latency_ms: float
    error: Exception | None = None


class _ClientGone(Exception):
    """Internal: the client broke off while its body was being sent."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Forwarder:
    """Forwards requests to HTTP backends over one pooled client session."""

    def __init__(self, settings: ForwardSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        # plain-HTTP requests whose body is in hand: aiohttp's lower layers (upstream.py)
        self._pool = UpstreamPool(settings.pool_limit, settings.connect_timeout_s, settings.timeout_s)
        self.active = 0  # forwards in progress (tests and admin read it)

    async def start(self) -> None:
        """Create the pooled session (once, from a running loop)."""
        if self._session is not None:
            return
        s = self.settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=s.pool_limit),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=s.connect_timeout_s, sock_read=s.timeout_s),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the session and its pooled connections (idempotent)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        self._pool.close()

    async def __aenter__(self) -> Forwarder:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def forward(
        self,
        request: web.BaseRequest,
        *,
        backend_url: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str] | CIMultiDict[str],
        response_headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        prepared: bool = False,
        method: str | None = None,
        timeout_s: float | None = None,
    ) -> ForwardResult:
        """Send ``request`` to ``backend_url`` + ``path`` (+ ``?query_string``) and stream back.

        ``path`` and ``query_string`` are sent byte for byte (a ``ValueError`` if they hold
        bytes the backend would read differently). ``headers`` is the outgoing set; hop-by-hop
        names are dropped here (``prepare_request_headers``) unless ``prepared`` says the caller
        built them with it already (a ``CIMultiDict`` it hands over), and ``Host`` becomes the
        backend's. ``response_headers``
        are set on the client response before it starts. ``body``, when given, is the request
        body already read (an authorizer needed it): it is sent instead of the client's stream.
        The returned response is finished, or, when the backend's whole answer came in its first
        chunk, a ``web.Response`` holding it, which aiohttp writes once the handler returns it.
        ``method`` and ``timeout_s`` override the request's verb and the settings' timeout (a
        method's own integration: ``httpMethod``, ``timeoutInMillis``).
        """
        if self._session is None:
            raise RuntimeError("forwarder is not started: call `await forwarder.start()` first")
        limit = self.settings.max_body_bytes
        declared = request.content_length
        size = declared if body is None else len(body)
        if size is not None and size > limit:
            raise RequestTooLarge(too_large_message(limit, size))
        url = build_backend_url(backend_url, path, query_string)
        out = headers if prepared and isinstance(headers, CIMultiDict) else prepare_request_headers(headers)
        out["Host"] = url.host_port_subcomponent or ""
        if size is not None and (body or declared is not None):
            out["Content-Length"] = str(size)  # same framing as the client's
        timeout = self.settings.timeout_s if timeout_s is None else timeout_s
        upload = Upload(request, limit, timeout)
        data: AsyncIterator[bytes] | bytes | None = body or None
        if body is None and request.body_exists and declared != 0:
            data = upload.chunks()
        self.active += 1
        started = time.perf_counter()
        try:
            verb = method or request.method
            try:
                if url.scheme == "http":
                    upstream: Upstream = await self._send_lean(verb, url, out, data or b"", upload)
                else:
                    upstream = await self._send(self._session, verb, url, out, data, upload)
            except _ClientGone as gone:
                status = CLIENT_CLOSED_REQUEST
                return ForwardResult(web.Response(status=status), status, 0, _elapsed_ms(started), gone.cause)
            try:
                relayed = await relay(request, upstream, response_headers)
            finally:
                upstream.close()  # no-op once released; drops a half-read connection
            return ForwardResult(relayed.response, upstream.status, relayed.sent, _elapsed_ms(started), relayed.error)
        finally:
            self.active -= 1

    async def _send_lean(
        self, method: str, url: URL, headers: CIMultiDict[str], body: AsyncIterator[bytes] | bytes, upload: Upload
    ) -> Upstream:
        """``_send`` for a plain-HTTP backend, on aiohttp's lower layers (``upstream.py``); errors mapped the same.

        A body in hand needs no task-wide deadline: the connection's read timer is the timeout.
        """
        timeout_s = upload.timeout_s
        try:
            if isinstance(body, bytes):
                return await self._pool.request(method, url, headers, body, timeout_s)
            async with asyncio.timeout(timeout_s) as deadline:
                upload.deadline = deadline
                try:
                    return await self._pool.request(method, url, headers, body)
                finally:
                    upload.deadline = None
        except (aiohttp.ClientError, OSError, RequestTooLarge) as exc:  # TimeoutError is an OSError
            if upload.too_large:
                raise RequestTooLarge(too_large_message(upload.limit)) from exc
            if upload.client_error is not None:
                raise _ClientGone(upload.client_error) from exc
            if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise UpstreamTimeout(f"no answer from the backend within `{timeout_s}` s") from exc
            raise map_client_error(exc) from exc

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: AsyncIterator[bytes] | bytes | None,
        upload: Upload,
    ) -> aiohttp.ClientResponse:
        """Send the request; return once the answer headers are in. Errors mapped here."""
        timeout_s = upload.timeout_s
        try:
            async with asyncio.timeout(timeout_s) as deadline:
                upload.deadline = deadline
                try:
                    return await session.request(method, url, headers=headers, data=body, allow_redirects=False)
                finally:
                    upload.deadline = None
        except (aiohttp.ClientError, OSError) as exc:  # TimeoutError is an OSError
            if upload.too_large:
                raise RequestTooLarge(too_large_message(upload.limit)) from exc
            if upload.client_error is not None:
                raise _ClientGone(upload.client_error) from exc
            if type(exc) is TimeoutError:  # our own deadline
                raise UpstreamTimeout(f"no answer from the backend within `{timeout_s}` s") from exc
            raise map_client_error(exc) from exc


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
