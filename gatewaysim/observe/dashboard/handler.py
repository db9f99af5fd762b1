"""``Dashboard``: answers ``/_gatewaysim/ui`` and below (the admin API checked who is asking first)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Final
from urllib.parse import unquote

from aiohttp import web

from gatewaysim.observe.dashboard import UI_PREFIX, pages
from gatewaysim.observe.dashboard.source import DashboardSource
from gatewaysim.observe.story import build_story

__all__ = ["SECURITY_HEADERS", "UI_PREFIX", "Dashboard"]

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    # SECURITY: no inline script or style can run, whatever a page shows; no framing; no sniffing
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:;"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATIC: Final[Mapping[str, str]] = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
_FORM_FIELDS: Final = ("api", "method", "path", "caller", "source_ip", "vpce", "context", "authorizer", "run")
_MAX_FIELD: Final = 4096


class Dashboard:
    """The dashboard's pages over a ``DashboardSource``."""

    def __init__(self, source: DashboardSource) -> None:
        self.source = source

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """One page (GET only), by path."""
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, text="the dashboard only reads", headers={"Allow": "GET, HEAD"})
        path = request.raw_path.partition("?")[0].removeprefix(UI_PREFIX).rstrip("/")
        if path.startswith("/static/"):
            return self._static(path.removeprefix("/static/"))
        if path == "":
            return _page(pages.requests_page(list(await self.source.recent(pages.ROW_LIMIT))))
        if path.startswith("/requests/"):
            return await self._request(unquote(path.removeprefix("/requests/")))
        if path == "/apis":
            return _page(pages.apis_page(await self.source.apis()))
        if path == "/simulate":
            return await self._simulate(request)
        return _page(pages.not_found_page(f"no dashboard page `{path[:200]}`"), 404)

    async def _request(self, request_id: str) -> web.Response:
        request_id = request_id[:200]
        record, event = await self.source.record(request_id), await self.source.event(request_id)
        if record is None and event is None:
            return _page(pages.not_found_page(f"no request `{request_id}` among the recent ones"), 404)
        return _page(pages.request_page(build_story(record, event)))

    async def _simulate(self, request: web.BaseRequest) -> web.Response:
        query = request.rel_url.query
        form = {name: query.get(name, "")[:_MAX_FIELD] for name in _FORM_FIELDS}
        result = self.source.simulate(form) if form["run"] else None
        if result is not None and result.get("event") is not None:
            result = {**result, "story": build_story(result.get("record"), result["event"])}
        return _page(pages.simulate_page(await self.source.apis(), form, result))

    @staticmethod
    def _static(name: str) -> web.Response:
        content_type = _STATIC.get(name)
        if content_type is None:  # SECURITY: only the listed files, never a path from the request
            return web.Response(status=404, text="not found")
        body = (resources.files("gatewaysim.observe.dashboard") / "static" / name).read_bytes()
        return web.Response(
            body=body, content_type=content_type, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        )


def _page(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)
