"""What an answered request leaves behind: its access record, the request feed, the decision log.

``Gateway.handle`` schedules it once the answer is out (a ``call_soon`` after the step that
writes the answer), so the caller never waits for the logs; a failure here is logged itself and
changes no answer. The refusal's explanation and a shadow policy's difference are worked out
here too: only the logs read them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from gatewaysim.gateway.decision_events import decision_entry
from gatewaysim.gateway.exchange import Exchange
from gatewaysim.gateway.recent import Recent
from gatewaysim.gateway.refusal import explain_refusal
from gatewaysim.gateway.runtime import ApiRuntime
from gatewaysim.observe.access_log import AccessLog
from gatewaysim.observe.decisions import DecisionLog
from gatewaysim.observe.feed import RequestFeed

__all__ = ["ExchangeLog"]

logger = logging.getLogger("gatewaysim.gateway.exchange_log")


class ExchangeLog:
    """Writes each answered exchange to the access log, the request feed and the decision log."""

    def __init__(
        self,
        apis: Mapping[str, ApiRuntime],
        access_log: AccessLog,
        feed: RequestFeed,
        recent: Recent,
        decisions: DecisionLog,
    ) -> None:
        self.apis = apis
        self.access_log = access_log
        self.feed = feed
        self.recent = recent
        self.decisions = decisions

    def __call__(self, exchange: Exchange, response: web.StreamResponse) -> None:
        """Log one answered request (module docstring)."""
        try:
            if exchange.refused is not None:  # only a refused request pays for its explanation
                exchange.refusal = explain_refusal(exchange)
            runtime = self.apis.get(exchange.api_id or "")
            configured = runtime is not None and runtime.attached is not None
            if runtime is not None and runtime.shadow is not None:  # all a request pays without a shadow policy
                from gatewaysim.gateway.shadow import shadow_difference  # loaded with the first shadow policy

                exchange.shadow = shadow_difference(runtime.shadow, exchange, runtime.settings)
            record = exchange.record(response, configured)
            self.feed.publish(record, self.access_log.emit(record))
            if self.recent.publishing:  # someone follows the feed of every process (store:)
                self.recent.published(record)
            self.decisions.record(decision_entry(exchange, response.status, configured))
        except Exception:  # a bug here must not take the gateway down; the answer is out already
            logger.exception("could not log request %s", exchange.ids.request_id)
