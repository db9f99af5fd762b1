"""Header and URL rules for the HTTP_PROXY integration (spec 10.2), as tables.

Request side: hop-by-hop headers, the names ``Connection`` lists, and the headers API Gateway
drops before any integration are removed; ``Host`` is set by the forwarder. Response side:
hop-by-hop headers are dropped; ``Connection``, ``Content-Length``, ``Date``, ``Server`` and
``WWW-Authenticate`` come back as ``x-amzn-Remapped-<Name>``; a missing ``Content-Type``
becomes ``application/json``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Final

from multidict import CIMultiDict
from yarl import URL

from gatewaysim.header_rules import (
    HOP_BY_HOP,
    PROTECTED_PREFIXES,
    REQUEST_DROPPED,
    RESPONSE_DROPPED,
    RESPONSE_REMAPPED,
)

__all__ = [
    "HOP_BY_HOP",
    "PROTECTED_PREFIXES",
    "REQUEST_DROPPED",
    "RESPONSE_DROPPED",
    "RESPONSE_REMAPPED",
    "backend_url",
    "prepare_request_headers",
    "prepare_response_headers",
]

# SECURITY: bytes that would split the request line or change what the backend parses.
_UNSAFE_PATH: Final = re.compile(r"[\x00-\x20\x7f#?]")
_UNSAFE_QUERY: Final = re.compile(r"[\x00-\x20\x7f#]")
_DEFAULT_CONTENT_TYPE: Final = "application/json"


def _connection_listed(values: Iterable[str]) -> frozenset[str]:
    """The lower-case names the ``Connection`` header ``values`` list, minus the protected ones."""
    names = {token.strip().lower() for value in values for token in value.split(",")}
    return frozenset(n for n in names if n and not n.startswith(PROTECTED_PREFIXES))


def prepare_request_headers(
    incoming: Mapping[str, str] | CIMultiDict[str], drop: frozenset[str] = frozenset()
) -> CIMultiDict[str]:
    """A copy of ``incoming`` without hop-by-hop headers and the lower-case names in ``drop``.

    A name counts as the dropped one it equals once ``_`` and ``.`` read as ``-``
    (``X_Gatewaysim_Principal``, ``X.Gatewaysim.Principal``): WSGI, CGI and PHP backends see those
    as the same variable, nginx and Envoy treat underscores alike. Order and repeated headers are
    kept. ``Host`` and ``Content-Length`` are removed: the forwarder sets them for the backend.
    """
    out: CIMultiDict[str] = CIMultiDict()
    connection: list[str] = []
    for name, value in incoming.items():  # one pass, one lower() a header: this runs on every request
        key = name.lower()
        if "_" in key or "." in key:  # SECURITY: `X_Gatewaysim_Principal` is HTTP_X_GATEWAYSIM_PRINCIPAL to CGI
            key = key.replace("_", "-").replace(".", "-")
        if key not in REQUEST_DROPPED and key not in drop:
            out.add(name, value)
        elif key == "connection":
            connection.append(value)
    if connection:  # wherever they stood, before or after `Connection`
        for listed in _connection_listed(connection):
            out.popall(listed, None)
    return out


def prepare_response_headers(
    upstream: Mapping[str, str] | CIMultiDict[str], out: CIMultiDict[str] | None = None
) -> CIMultiDict[str]:
    """The backend's answer headers as the client gets them (drop + remap, spec 10.2).

    Added to ``out`` (the client response's own headers, saving a copy) or to a new set.
    """
    out = CIMultiDict() if out is None else out
    connection: list[str] = []
    for name, value in upstream.items():  # one pass, one lower() a header: this runs on every request
        key = name.lower()
        remapped = RESPONSE_REMAPPED.get(key)
        if remapped is not None:
            out.add(remapped, value)
            if key == "connection":
                connection.append(value)
        elif key not in RESPONSE_DROPPED:
            out.add(name, value)
    if connection:  # remapped names live on under their new names
        for listed in _connection_listed(connection):
            out.popall(listed, None)
    if "Content-Type" not in out:
        out["Content-Type"] = _DEFAULT_CONTENT_TYPE
    return out


@functools.lru_cache(maxsize=256)
def _base(url: str) -> tuple[str, str, str]:
    parsed = URL(url, encoded=True)
    if parsed.scheme not in ("http", "https") or not parsed.raw_authority:
        raise ValueError(f"integration url `{url}` is not an absolute http(s) url")
    return parsed.scheme, parsed.raw_authority, parsed.raw_path.rstrip("/")


@functools.lru_cache(maxsize=4096)  # a URL is immutable; the same request lines come again and again
def backend_url(base: str, path: str, query_string: str) -> URL:
    """``base`` + ``path`` (+ ``?query_string``), byte for byte: nothing re-encoded or normalised."""
    # SECURITY: the server judged these exact bytes; refuse anything the backend would read
    # differently (a raw `?`/`#` in the path, spaces or control characters).
    if not path.startswith("/") or _UNSAFE_PATH.search(path):
        raise ValueError(f"path `{path!r}` is not a normalised request path")
    if _UNSAFE_QUERY.search(query_string):
        raise ValueError(f"query string `{query_string!r}` holds unsafe characters")
    scheme, authority, base_path = _base(base)
    return URL.build(scheme=scheme, authority=authority, path=base_path + path, query_string=query_string, encoded=True)
