"""The pipe protocol between the gateway and a function's worker process.

A frame is a 5-byte header (payload length, big-endian ``uint32``, then one kind byte) and the
payload. The gateway sends ``INIT`` once and ``INVOKE`` per request; the worker answers
``READY`` or ``INIT_ERROR`` once, then per invocation any number of ``LOG`` and ``MODULES``
frames followed by exactly one ``RESULT`` or ``ERROR``. Payloads are JSON except ``LOG`` (UTF-8
text) and ``RESULT`` (the function's answer, JSON text as Lambda's invoke API returns it).

Standard library only: the worker imports this module before the user's code.
"""

from __future__ import annotations

import os
import struct
from typing import Final

__all__ = [
    "ERROR",
    "HEADER",
    "INIT",
    "INIT_ERROR",
    "INVOKE",
    "LOG",
    "MAX_EVENT",
    "MAX_PAYLOAD",
    "MODULES",
    "READY",
    "RESULT",
    "encode",
    "read_frame",
    "write_frame",
]

HEADER: Final = struct.Struct(">IB")
MAX_EVENT: Final = 6 * 1024 * 1024
"""Lambda's limit on a synchronous invocation's event, in bytes (larger: RequestEntityTooLargeException)."""
MAX_PAYLOAD: Final = MAX_EVENT + 64 * 1024
"""The largest frame: an event, plus room for the invocation's own fields (answers are smaller)."""

INIT: Final = ord("C")  # gateway -> worker: what to load (JSON)
INVOKE: Final = ord("I")  # gateway -> worker: {"requestId", "deadlineMs", "arn", "event"}
READY: Final = ord("S")  # worker -> gateway: loaded; {"modules": {file: [mtime_ns, size]}}
INIT_ERROR: Final = ord("X")  # worker -> gateway: the handler could not be loaded; {"errorMessage", ...}
LOG: Final = ord("L")  # worker -> gateway: what the handler printed or logged (text)
MODULES: Final = ord("M")  # worker -> gateway: the same, when the worker loaded more modules
RESULT: Final = ord("R")  # worker -> gateway: the function's answer (JSON text)
ERROR: Final = ord("E")  # worker -> gateway: the function failed; {"errorMessage", "errorType", "stackTrace"}


def encode(kind: int, payload: bytes) -> bytes:
    """One frame."""
    return HEADER.pack(len(payload), kind) + payload


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            raise EOFError("the pipe closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[int, bytes]:
    """Read one frame from ``fd`` (blocking); ``EOFError`` when the pipe closes."""
    size, kind = HEADER.unpack(_read_exactly(fd, HEADER.size))
    if size > MAX_PAYLOAD:
        raise ValueError(f"a frame of {size} bytes is over the {MAX_PAYLOAD}-byte limit")
    return kind, _read_exactly(fd, size) if size else b""


def write_frame(fd: int, kind: int, payload: bytes) -> None:
    """Write one frame to ``fd`` (blocking, whole)."""
    view = memoryview(encode(kind, payload))
    while view:
        written = os.write(fd, view)
        view = view[written:]
