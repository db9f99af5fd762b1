"""The shared store: where the state that must be one across processes and hosts lives (issue 16).

One gateway keeps its state in its own memory (the default). Several processes of one gateway
(``serve --workers N``) and several gateways behind a load balancer keep it in one Redis
(``store: redis://...``), so they answer as one gateway: usage-plan buckets and quotas, the
Lambda-authorizer cache, the live policies, and the decision and request rings the admin API and
the dashboard read.

* ``redis``: ``RedisStore``, the one connection every shared piece uses (keys under a namespace,
  scripts, publish/subscribe, scatter-gather questions to every process); the ``redis`` client is
  imported only when a store is configured;
* ``private``: a private ``redis-server`` on a Unix socket, for ``--workers N`` without ``store``.

Each concern keeps its in-process implementation in its own room and adds the shared one beside
it, written against ``RedisStore``: ``gateway.door.shared_limits``, ``authorizers.shared_cache``,
``gateway.live``, ``gateway.cluster``.
"""

from __future__ import annotations

__all__: list[str] = []
