"""Binary media types (spec 18.7): which request bodies go to a function as base64, and which
base64 answers are decoded for the client.

An entry of ``binaryMediaTypes`` matches a media type (parameters and case ignored) when it is
the same type, ``type/*`` for any subtype of ``type``, or ``*/*`` for every type (the AWS docs
recommend it for browsers; spec 22 item 10 is OPEN, we follow the docs). An entry with a left
wildcard (``*/test``) never matches, as AWS recorded. For the answer only the **first** type of
the client's ``Accept`` counts, compared exactly (``Accept: image/*`` matches no entry but
``*/*``).
"""

from __future__ import annotations

import functools

__all__ = ["accepts_binary", "is_binary", "media_type"]


def media_type(value: str | None) -> str | None:
    """``type/subtype`` of a header value, lower-case, without parameters (None: none given)."""
    if not value:
        return None
    found = value.split(";", 1)[0].strip().lower()
    return found or None


@functools.lru_cache(maxsize=1024)
def _matches(kind: str | None, binary_media_types: tuple[str, ...]) -> bool:
    for entry in binary_media_types:
        if entry == "*/*":
            return True
        if kind is None:
            continue
        main, _, sub = entry.partition("/")
        if main == "*":
            continue  # a left wildcard never matched on AWS
        if entry == kind or (sub == "*" and kind.partition("/")[0] == main):
            return True
    return False


def is_binary(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """True when a request body of ``content_type`` reaches the function base64-encoded."""
    return bool(binary_media_types) and _matches(media_type(content_type), binary_media_types)


def accepts_binary(accept: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """True when a base64 answer is decoded for a client whose first ``Accept`` type matches."""
    if not binary_media_types:
        return False
    first = accept.split(",", 1)[0] if accept else None
    return _matches(media_type(first), binary_media_types)
