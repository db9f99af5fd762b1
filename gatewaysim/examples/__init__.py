"""Runnable examples shipped with the package (the compose file's services use them)."""

from __future__ import annotations

__all__: list[str] = []
