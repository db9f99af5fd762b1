"""How ``gatewaysim serve`` runs: its event loop, its worker processes and the store they share.

::

    loop: uvloop        # or asyncio (--loop); default: uvloop where it is installed, else asyncio
    workers: 1          # processes sharing the port with SO_REUSEPORT (--workers)
    store: redis://127.0.0.1:6379/0               # (--store) or, with a namespace of its own:
    store: {url: redis://cache:6379/0, namespace: team-a}

``store`` is where the state that must be one across processes and hosts lives: usage-plan
buckets and quotas, the Lambda-authorizer cache, the decision and request rings, the live
policies. Without it that state is in-process; ``workers`` above 1 without it gets a private
Redis (``gatewaysim.store.private``, started by ``gatewaysim.gateway.workers``). Gateways naming
the same store and namespace share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from yarl import URL

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker

__all__ = ["LOOPS", "MAX_WORKERS", "SERVING_FIELDS", "StoreSettings", "store_section", "workers"]

LOOPS: Final = ("uvloop", "asyncio")
MAX_WORKERS: Final = 64
STORE_SCHEMES: Final = ("redis", "rediss", "unix")
_NAMESPACE: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """A shared store: a Redis URL and the namespace its keys are under."""

    url: str
    namespace: str = "gatewaysim"

    def __repr__(self) -> str:  # a password in the URL never reaches a log line
        return f"StoreSettings(url={self.display_url!r}, namespace={self.namespace!r})"

    @property
    def display_url(self) -> str:
        """The URL without its password."""
        url = URL(self.url)
        return str(url.with_password("***")) if url.password else self.url


def workers(c: Checker, path: str, raw: Any) -> Any:
    """A number of worker processes, 1 to ``MAX_WORKERS``."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_WORKERS:
        c.add(path, f"must be a number of processes from 1 to {MAX_WORKERS}, got `{raw}`")
        return INVALID
    return raw


def _store_url(c: Checker, path: str, raw: Any) -> Any:
    try:
        url = URL(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        url = None
    if url is None or url.scheme not in STORE_SCHEMES or (url.scheme != "unix" and not url.host):
        schemes = ", ".join(f"`{s}://`" for s in STORE_SCHEMES)
        c.add(path, f"must be a Redis url ({schemes}), got `{raw}`")
        return INVALID
    return raw


def _namespace(c: Checker, path: str, raw: Any) -> Any:
    if not isinstance(raw, str) or not _NAMESPACE.match(raw):
        c.add(path, f"must be 1-64 letters, digits, `_`, `.`, `:` or `-`, got `{raw}`")
        return INVALID
    return raw


_STORE_FIELDS: Final[f.Table] = {"url": _store_url, "namespace": _namespace}


def store_section(c: Checker, path: str, raw: Any) -> Any:
    """``store``: a Redis URL, a mapping with ``url`` (and ``namespace``), or null (in-process)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        url = _store_url(c, path, raw)
        return INVALID if url is INVALID else StoreSettings(url)
    if not isinstance(raw, Mapping):
        c.add(path, "must be a Redis url or a mapping with `url` and `namespace`")
        return INVALID
    fields = c.section(path, raw, _STORE_FIELDS)
    if "url" not in fields:
        if "url" not in raw:
            c.add(f"{path}.url", "is required")
        return INVALID
    return StoreSettings(**fields)


SERVING_FIELDS: Final[f.Table] = {
    "loop": f.choice(*LOOPS),
    "workers": workers,
    "store": store_section,
}
"""The top-level keys this module reads (``config.load`` merges them into its table)."""
