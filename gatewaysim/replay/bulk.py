"""Bulk work without the cyclic garbage collector: reading and deciding many events at once.

Reading 100,000 decision events builds millions of small dicts, lists and tuples, none of them
in a cycle. The cyclic collector would walk the growing heap again and again while they are
built and kept (half the CPU time of a replay, measured by ``bench/replay_bench.py``); reference
counting frees them the same without it. ``collector_paused()`` turns it off for the block and
restores it after.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without cyclic collections (re-enabled after, if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
