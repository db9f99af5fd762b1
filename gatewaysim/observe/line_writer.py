"""Lines to a text stream, one write per event-loop turn instead of one per line.

A log written from request handlers gets a line per request. Writing each one at once costs a
system call per request; ``LineWriter`` keeps the lines of one loop turn and writes them together
in a callback scheduled with ``call_soon``, so every line is still out before the loop waits for
new input. Outside a running loop (scripts, tests) each line is written and flushed at once.
"""

from __future__ import annotations

import asyncio
from typing import IO

__all__ = ["LineWriter"]


class LineWriter:
    """Writes whole lines to ``stream``, batched per event-loop turn."""

    def __init__(self, stream: IO[str], *, owns_stream: bool = False) -> None:
        self.stream = stream
        self._owns_stream = owns_stream
        self._pending: list[str] = []

    def write_line(self, line: str) -> None:
        """Queue ``line`` (without its newline); written before the loop next waits."""
        pending = self._pending
        pending.append(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no running loop: nobody would call flush
                self.flush()

    def flush(self) -> None:
        """Write the queued lines now (idempotent; a closed stream drops them)."""
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
