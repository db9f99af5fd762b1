"""The web dashboard at ``/_gatewaysim/ui``: see why each request was answered as it was.

Plain server-rendered HTML with one small script and one stylesheet shipped in the package
(``static/``; no build step, no CDN, works offline):

* ``/_gatewaysim/ui``: the live request table (new rows arrive over the request feed's
  server-sent events, ``observe.feed``), filterable by status, decision, path and caller;
* ``/_gatewaysim/ui/requests/{id}``: one request's story (``observe.story``);
* ``/_gatewaysim/ui/apis``: routes, integrations, the policy with ``check``'s findings next to
  the statements they concern, stage variables, keys and plans;
* ``/_gatewaysim/ui/simulate``: "would AWS let this through?" on the live policy.

The dashboard lives in ``observe`` and reads the gateway only through ``source.DashboardSource``, a
small interface the gateway implements (``gateway.dashboard_source``): observe sits below the
gateway in the layer table, so the pages never reach into the request path. SECURITY: everything
a client sent is escaped (``pages.e``); the pages carry a strict Content-Security-Policy (no
inline script); the admin API's access rule guards every page.
"""

from __future__ import annotations

from typing import Final

__all__ = ["UI_PREFIX"]

UI_PREFIX: Final = "/_gatewaysim/ui"
"""Where the pages live. The pages themselves (``handler.Dashboard``) load on the first request for one."""
