"""``DashboardSource``: what the dashboard reads of the gateway, as plain values (the gateway implements it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from gatewaysim.observe.feed import RequestFeed

__all__ = ["DashboardSource"]


class DashboardSource(Protocol):
    """The gateway as the dashboard sees it.

    ``apis()`` describes each API as a mapping: ``id``, ``arn``, ``stages``, ``stageVariables``
    (stage -> name -> value), ``routes`` (``method``, ``resource``, ``authorizationType``,
    ``authorizer``, ``integration``), ``policy`` (the document as stored, or None), ``policySource``,
    ``findings`` (``check``'s: ``code``, ``severity``, ``path``, ``message``, ``fix``), ``keys``.
    ``simulate(form)`` answers the "would AWS let this through?" form: a mapping with ``error``, or
    the request it built and the answer (``resource``, ``caller``, ``event``: the same shape as a
    decision event).
    """

    @property
    def feed(self) -> RequestFeed:
        """Every request's access record, live (the stream follows it)."""
        ...

    async def recent(self, limit: int) -> Sequence[Mapping[str, Any]]:
        """The newest ``limit`` access records, newest first (of every process of the gateway)."""
        ...

    async def record(self, request_id: str) -> Mapping[str, Any] | None:
        """The access record of ``request_id``, while a ring holds it."""
        ...

    async def event(self, request_id: str) -> Mapping[str, Any] | None:
        """The decision event of ``request_id``, while the ring holds it."""
        ...

    async def apis(self) -> Sequence[Mapping[str, Any]]:
        """Each API, described (class docstring)."""
        ...

    def simulate(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        """Evaluate the form's request against the live policy and the AWS tables."""
        ...
