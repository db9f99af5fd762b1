"""The door settings: what API Gateway checks besides authorization, as the config declares it.

``keys`` (API keys, usage plans: account-level, top of the config), ``throttle`` (token buckets,
quotas, stage method settings), ``responses`` (gateway responses), ``validation`` (validators,
models, what a method requires), ``cors`` (the ``cors:`` shortcut), ``settings`` (one API's
``DoorSettings``) and ``references`` (what names something undeclared: ``check``'s findings).
The request path that applies them is ``gatewaysim.gateway.door``.
"""

from __future__ import annotations

__all__: list[str] = []
