"""Restart a function's workers when its code changes (``reload.functions``, ``--reload-functions``).

Every ``interval_s`` the watcher compares the files each function's workers loaded from its code
directory with the (mtime, size) they had when loaded (the workers report both); a changed or
removed file retires the workers of the old code (``FunctionPool.recycle``). Only these files are
polled, so a code directory with many vendored packages costs nothing until they are imported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from gatewaysim.integrations.lambda_proxy.pool import FunctionPool

__all__ = ["watch_code"]

logger = logging.getLogger("gatewaysim.integrations.lambda_proxy.watch")


def check_once(pools: Iterable[FunctionPool]) -> list[str]:
    """Look at every pool's files once; recycle the pools whose code changed. Returns their names."""
    recycled = []
    for pool in pools:
        changed = pool.stale_files()
        if changed:
            pool.recycle(f"{', '.join(sorted(Path(p).name for p in changed))} changed")
            recycled.append(pool.function.name)
    return recycled


async def watch_code(pools: Iterable[FunctionPool], interval_s: float) -> None:
    """Check the pools' code every ``interval_s`` seconds until cancelled."""
    pools = list(pools)
    while True:
        await asyncio.sleep(interval_s)
        try:
            check_once(pools)
        except Exception:  # a watcher bug must not end the gateway; log it and keep watching
            logger.exception("function code watcher failed")
