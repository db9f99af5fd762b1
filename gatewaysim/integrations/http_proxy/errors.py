"""aiohttp's client errors -> gatewaysim's tree, as one table (httpx's boundary mapping).

Looked up along the exception's MRO, most specific first. Every direct child of
``aiohttp.ClientError`` is listed, so a new aiohttp error family fails the completeness test
in ``tests/test_forward.py`` until someone decides where it belongs. Callers chain the result:
``raise map_client_error(exc) from exc``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import aiohttp

from gatewaysim.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable

__all__ = ["CLIENT_ERRORS", "map_client_error", "upstream_error_type"]

CLIENT_ERRORS: Final[Mapping[type[BaseException], type[UpstreamError]]] = {
    aiohttp.ServerTimeoutError: UpstreamTimeout,  # connect / socket-read timeouts
    aiohttp.ClientConnectionError: UpstreamUnavailable,  # refused, reset, disconnected, TLS
    aiohttp.ClientPayloadError: UpstreamUnavailable,  # body cut short or malformed framing
    aiohttp.UploadAbortedError: UpstreamUnavailable,  # request body not fully sent
    aiohttp.ClientResponseError: UpstreamError,  # answer unusable (bad status line, headers)
    aiohttp.InvalidURL: UpstreamError,  # integration address unusable
    aiohttp.NonHttpUrlClientError: UpstreamError,
    aiohttp.RedirectClientError: UpstreamError,
    aiohttp.ClientError: UpstreamError,
    TimeoutError: UpstreamTimeout,  # from the transport, outside aiohttp's own classes
    OSError: UpstreamUnavailable,
}


def upstream_error_type(cls: type[BaseException]) -> type[UpstreamError]:
    """Our error class for an aiohttp client error class (the first match along its MRO)."""
    for base in cls.__mro__:
        mapped = CLIENT_ERRORS.get(base)
        if mapped is not None:
            return mapped
    return UpstreamError


def map_client_error(exc: BaseException) -> UpstreamError:
    """Turn an aiohttp client error (or transport OSError) into our tree; chain it yourself."""
    cls = upstream_error_type(type(exc))
    what = "timed out" if cls is UpstreamTimeout else "failed"
    return cls(f"backend request {what}: {type(exc).__name__}: {exc}".rstrip(": "))
