"""Settings of the live-management features: the admin API and hot reload (parsed by ``config``).

::

    admin: {enabled: true, token: null, allow_remote: false}
    reload: {enabled: true, interval_s: 0.5, functions: false}

``allow_remote: true`` needs a ``token``: an admin API open to the network without one would let
anyone replace the resource policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gatewaysim.config import fields as f
from gatewaysim.config.fields import INVALID, Checker

__all__ = [
    "DEFAULT_DECISIONS_RING",
    "AdminSettings",
    "ReloadSettings",
    "admin_section",
    "reload_section",
]

DEFAULT_DECISIONS_RING: Final = 1000


@dataclass(frozen=True, slots=True)
class AdminSettings:
    """The admin API under ``/_gatewaysim/``: loopback-only unless ``allow_remote`` (with a token)."""

    enabled: bool = True
    token: str | None = None  # when set, every admin request needs `Authorization: Bearer <token>`
    allow_remote: bool = False

    def __repr__(self) -> str:  # the token never reaches a log line or a traceback
        token = "set" if self.token else "None"
        return f"AdminSettings(enabled={self.enabled}, token={token}, allow_remote={self.allow_remote})"


@dataclass(frozen=True, slots=True)
class ReloadSettings:
    """Hot reload: poll the config file and the policy files every ``interval_s`` seconds.

    ``functions``: restart a local function's workers when its code changes (``--reload-functions``).
    """

    enabled: bool = True
    interval_s: float = 0.5
    functions: bool = False


_ADMIN_FIELDS: Final[f.Table] = {"enabled": f.boolean, "token": f.optional_string, "allow_remote": f.boolean}
_RELOAD_FIELDS: Final[f.Table] = {"enabled": f.boolean, "interval_s": f.positive_number, "functions": f.boolean}


def admin_section(checker: Checker, path: str, raw: Any) -> Any:
    """Parse ``admin``; remote access without a token is an error."""
    settings = AdminSettings(**checker.section(path, raw, _ADMIN_FIELDS))
    if settings.allow_remote and not settings.token:
        checker.add(f"{path}.allow_remote", "needs `token`: a remote admin API without one is open to anyone")
        return INVALID
    return settings


def reload_section(checker: Checker, path: str, raw: Any) -> Any:
    """Parse ``reload``."""
    return ReloadSettings(**checker.section(path, raw, _RELOAD_FIELDS))
