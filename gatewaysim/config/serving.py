"""How ``gatewaysim serve`` runs: its event loop.

::

    loop: uvloop        # or asyncio (--loop); default: uvloop where it is installed, else asyncio
"""

from __future__ import annotations

from typing import Final

from gatewaysim.config import fields as f

__all__ = ["LOOPS", "SERVING_FIELDS"]

LOOPS: Final = ("uvloop", "asyncio")


SERVING_FIELDS: Final[f.Table] = {
    "loop": f.choice(*LOOPS),
}
"""The top-level keys this module reads (``config.load`` merges them into its table)."""
