"""The event loop ``gatewaysim serve`` runs on: uvloop where it is installed (the default), else asyncio.

uvloop (libuv under asyncio's API) costs the gateway less CPU per request than asyncio's own
loop (``bench/wrk_bench.py``). It is a dependency on every platform it builds for; on the
others, and with ``loop: asyncio`` (``--loop asyncio``), asyncio's loop runs. The start banner
says which one runs. uvloop is imported here, only when ``serve`` starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gatewaysim.errors import ConfigError, Problem

__all__ = ["LoopFactory", "event_loop", "running_loop_name"]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def event_loop(choice: str | None, source: str | None = None) -> tuple[LoopFactory | None, str]:
    """The loop factory for ``asyncio.Runner`` (None: asyncio's) and how the banner names it.

    ``choice`` None means uvloop when it is installed; ``uvloop`` when it is not is an error.
    """
    if choice == "asyncio":
        return None, "asyncio"
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            message = "`uvloop` is not installed here (pip install uvloop; it does not run on Windows)"
            raise ConfigError([Problem("loop", message)], source) from None
        return None, "asyncio (uvloop is not installed)"
    return uvloop.new_event_loop, f"uvloop {getattr(uvloop, '__version__', '')}".rstrip()


def running_loop_name() -> str:
    """``uvloop 0.23.0`` or ``asyncio``: the loop running now, as the banner names it."""
    module = type(asyncio.get_running_loop()).__module__
    if not module.startswith("uvloop"):
        return "asyncio"
    import uvloop  # already imported: it runs this loop

    return f"uvloop {getattr(uvloop, '__version__', '')}".rstrip()
