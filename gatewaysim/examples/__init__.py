"""Runnable examples shipped with the package: the echo backend (``echo_backend``, also the
gateway's ``backend: demo``) and an example Lambda authorizer over HTTP (``authorizer_service``).
The compose file's services run them."""

from __future__ import annotations

__all__: list[str] = []
