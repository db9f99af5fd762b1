"""Lines to a text stream, written together every few milliseconds instead of one write per line.

A log written from request handlers gets a line per request. Writing each one at once costs a
system call per request; ``LineWriter`` keeps the lines and writes them together ``FLUSH_S``
after the first one was queued (as nginx's ``access_log ... flush=``), or at once when
``MAX_PENDING`` lines wait. Under load a write then carries hundreds of lines; one request at a
time no longer pays a write (and the loop lookup that schedules it) each. A line is out at most
``FLUSH_S`` after its request; ``close`` writes what is queued (the gateway closes its logs when
it stops). Outside a running loop (scripts, tests) each line is written and flushed at once.
"""

from __future__ import annotations

import asyncio
from typing import IO, Final

__all__ = ["FLUSH_S", "MAX_PENDING", "LineWriter"]

FLUSH_S: Final = 0.05
"""How long a line may wait for the lines after it (seconds)."""
MAX_PENDING: Final = 1024
"""Queued lines written at once, without waiting for the timer (bounds the memory a burst holds)."""


class LineWriter:
    """Writes whole lines to ``stream``, batched over ``FLUSH_S`` (module docstring)."""

    def __init__(self, stream: IO[str], *, owns_stream: bool = False) -> None:
        self.stream = stream
        self._owns_stream = owns_stream
        self._pending: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def write_line(self, line: str) -> None:
        """Queue ``line`` (without its newline); written within ``FLUSH_S``."""
        pending = self._pending
        pending.append(line)
        if len(pending) >= MAX_PENDING:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(FLUSH_S, self.flush)
            except RuntimeError:  # no running loop: nobody would call flush
                self.flush()

    def flush(self) -> None:
        """Write the queued lines now (idempotent; a closed stream drops them)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        text = "\n".join(self._pending) + "\n"
        self._pending.clear()
        if not self.stream.closed:
            self.stream.write(text)
            self.stream.flush()

    def close(self) -> None:
        """Flush, then close the stream if this writer opened it (idempotent)."""
        self.flush()
        if self._owns_stream and not self.stream.closed:
            self.stream.close()
