"""The door checks in the request path: API keys, usage plans, throttling, quotas, validation.

``plan`` works out once per method and stage what to check (``MethodDoor``, None = nothing);
``keys`` finds keys and their plans; ``limits`` holds the token buckets and quota counters
behind the ``LimitStore`` interface; ``usage`` is the usage-plan step (key, throttle, quota);
``validation`` checks parameters and bodies; ``steps`` are the two calls ``run_stages`` makes.
The settings come from ``gatewaysim.config.door``.
"""

from __future__ import annotations

__all__: list[str] = []
