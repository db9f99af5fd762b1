"""Garbage-collector settings for a process whose job is serving the gateway (``gatewaysim serve``).

CPython runs a young-generation collection every 700 net new container objects. Under load,
what each collection walks is the live objects of the requests in flight (50 concurrent:
thousands), so at the default the gateway spent ~9 µs of CPU per request in the collector
(``bench/proxy_bench.py``, timed with ``gc.callbacks``). Reference counting frees a request's
objects when it ends (a served load leaves no cyclic garbage per request), so collecting less
often keeps memory flat and saves that time. The objects built at startup (settings, compiled
policies, imported modules) are frozen out of every later collection.

Only ``gatewaysim serve`` calls this: a gateway embedded in a test process (``gatewaysim.testing``,
the pytest plugin) leaves that process's collector alone.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["YOUNG_THRESHOLD", "tune_for_serving"]

YOUNG_THRESHOLD: Final = 10_000
"""Net new container objects between young collections (CPython's default is 700)."""


def tune_for_serving() -> None:
    """Freeze what startup built and collect the young generation less often (module docstring)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
