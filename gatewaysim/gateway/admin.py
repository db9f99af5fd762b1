"""The admin API under ``/_gatewaysim/``: read and replace resource policies, read the decision log.

A change takes effect for the next request, without a redeploy (AWS needs one: a policy changed
with ``update-rest-api`` applies from the next ``create-deployment``). Who is answered is
``gatewaysim.gateway.access``'s rule, shared with the AWS control plane: local, direct clients
(a loopback socket peer, no forwarding header) unless ``admin.allow_remote``; with ``admin.token``
every request needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from gatewaysim.config.live import DEFAULT_DECISIONS_RING, AdminSettings
from gatewaysim.errors import PolicyError, StoreError
from gatewaysim.gateway.access import bearer_token, is_loopback, refusal
from gatewaysim.gateway.attached import AttachedPolicy, attach_policy
from gatewaysim.gateway.decision_events import EVENT_VERSION
from gatewaysim.gateway.identity import request_peer
from gatewaysim.gateway.live import LiveSlots
from gatewaysim.gateway.recent import Recent
from gatewaysim.ids import RequestIds
from gatewaysim.observe.dashboard import UI_PREFIX
from gatewaysim.observe.decisions import OUTCOMES, DecisionLog, DecisionQuery
from gatewaysim.observe.feed import RequestFeed, stream

if TYPE_CHECKING:
    from gatewaysim.gateway.runtime import ApiRuntime
    from gatewaysim.observe.dashboard.handler import Dashboard

__all__ = ["ADMIN_PREFIX", "MAX_POLICY_BYTES", "RESOURCES", "TOKEN_COOKIE", "AdminApi", "is_loopback"]

logger = logging.getLogger("gatewaysim.gateway.admin")

ADMIN_PREFIX: Final = "/_gatewaysim/"
MAX_POLICY_BYTES: Final = 64 * 1024  # AWS allows 8192 characters; room for pretty-printed drafts
RESOURCES: Final = (
    ("/_gatewaysim/", ("GET",), "this list"),
    ("/_gatewaysim/health", ("GET", "HEAD"), "200 once the gateway is serving (no access rule)"),
    ("/_gatewaysim/apis", ("GET",), "every API, in the shape of get-rest-apis"),
    ("/_gatewaysim/apis/{api-id}/policy", ("GET", "PUT", "DELETE"), "read, replace or remove an API's policy"),
    (
        "/_gatewaysim/apis/{api-id}/shadow-policy",
        ("GET", "PUT", "DELETE"),
        "the same for the shadow policy: evaluated for every request, never enforced",
    ),
    (
        "/_gatewaysim/decisions",
        ("GET",),
        "recent decisions, newest first (limit or limit=all, api, outcome, request_id, allowed)",
    ),
    ("/_gatewaysim/keys", ("GET",), "API keys, their usage plans and the quota left (includeValues=true)"),
    ("/_gatewaysim/requests", ("GET",), "every request's access record, newest first (limit, request_id)"),
    ("/_gatewaysim/requests/stream", ("GET",), "the same, live: server-sent events (gatewaysim tail)"),
    ("/_gatewaysim/ui", ("GET",), "the dashboard: live requests, why each was refused, the APIs, a simulate form"),
)
"""What ``GET /_gatewaysim/`` lists: path, methods, what it is for."""
TOKEN_COOKIE: Final = "gatewaysim_admin_token"
_POLICY_PATH: Final = re.compile(r"^/_gatewaysim/apis/([A-Za-z0-9_-]{1,64})/(policy|shadow-policy)$")
_Handler = Callable[[web.BaseRequest, str], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where a policy of an API lives on its ``ApiRuntime`` and what the messages call it."""

    attribute: str  # "attached" or "shadow": replaced with one assignment
    name: str


_SLOTS: Final[Mapping[str, _Slot]] = {
    "policy": _Slot("attached", "resource policy"),
    "shadow-policy": _Slot("shadow", "shadow policy"),
}


def _answer(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers={**RequestIds.new().headers(), **(headers or {})})


def _error(status: int, message: str, **extra: Any) -> web.Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _answer({"message": message, **extra}, status, headers)


class AdminApi:
    """Answers ``/_gatewaysim/`` requests (other than health) for one gateway."""

    def __init__(
        self,
        settings: AdminSettings,
        apis: Mapping[str, ApiRuntime],
        decisions: DecisionLog,
        keys: Callable[[bool], Awaitable[list[dict[str, Any]]]] | None = None,
        *,
        feed: RequestFeed | None = None,
        live: LiveSlots | None = None,
        recent: Recent | None = None,
        dashboard: Callable[[], Dashboard] | None = None,
    ) -> None:
        self.settings = settings
        self.apis = apis
        self.decisions = decisions
        self.keys = keys  # include_values -> the keys report
        self.feed = feed if feed is not None else RequestFeed()
        self.live = live if live is not None else LiveSlots()  # replaces policies here, or in every process
        self.recent = recent if recent is not None else Recent(self.feed, decisions)  # every process's
        self._build_dashboard = dashboard  # the pages load on the first request for one
        self._dashboard: Dashboard | None = None
        self._routes: Mapping[str, Mapping[str, _Handler]] = {
            "/_gatewaysim/": {"GET": self._index},
            "/_gatewaysim/apis": {"GET": self._list_apis},
            "/_gatewaysim/decisions": {"GET": self._list_decisions},
            "/_gatewaysim/keys": {"GET": self._list_keys},
            "/_gatewaysim/requests": {"GET": self._list_requests},
            "/_gatewaysim/requests/stream": {"GET": self._follow_requests},
        }
        self._policy_methods: Mapping[str, Mapping[str, _Handler]] = {
            path: {
                "GET": functools.partial(self._get_policy, slot=slot),
                "PUT": functools.partial(self._put_policy, slot=slot),
                "DELETE": functools.partial(self._delete_policy, slot=slot),
            }
            for path, slot in _SLOTS.items()
        }

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Check who is asking, then dispatch by path and method."""
        path = request.raw_path.partition("?")[0]
        if path.startswith(UI_PREFIX) and "token" in request.rel_url.query and request.method == "GET":
            return _token_cookie(request)
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if self._build_dashboard is not None and (path == UI_PREFIX or path.startswith(UI_PREFIX + "/")):
            if self._dashboard is None:
                self._dashboard = self._build_dashboard()
            return await self._dashboard.handle(request)
        match = _POLICY_PATH.match(path)
        methods, arg = (self._policy_methods[match.group(2)], match.group(1)) if match else (self._routes.get(path), "")
        if methods is None:
            return _error(404, f"no admin resource `{path[:200]}`")
        handler = methods.get(request.method)
        if handler is None:
            return _error(405, f"`{request.method}` is not allowed here", allowed=sorted(methods))
        try:
            return await handler(request, arg)
        except StoreError as exc:  # a live change could not reach the other processes
            return _error(503, str(exc))

    def _refusal(self, request: web.BaseRequest) -> web.Response | None:
        presented = bearer_token(request)
        if presented is None and request.method in ("GET", "HEAD"):  # SECURITY: the cookie only reads
            presented = request.cookies.get(TOKEN_COOKIE)  # a browser's EventSource cannot send a header
        refused = refusal(self.settings, request, presented)  # the rule: gatewaysim.gateway.access
        if refused is None:
            return None
        if refused.kind == "remote":
            logger.warning("admin request from non-local or proxied peer %s refused", refused.peer)
            return _error(403, "the admin API answers local, direct clients only (admin.allow_remote)")
        return _error(401, "the admin API needs `Authorization: Bearer <admin.token>`")

    def _api(self, api_id: str) -> ApiRuntime | web.Response:
        runtime = self.apis.get(api_id)
        return runtime if runtime is not None else _error(404, f"no api `{api_id}` (apis: {', '.join(self.apis)})")

    async def _index(self, request: web.BaseRequest, _: str) -> web.Response:
        resources = [{"path": path, "methods": list(methods), "description": text} for path, methods, text in RESOURCES]
        return _answer({"resources": resources, "apis": list(self.apis)})

    async def _list_apis(self, request: web.BaseRequest, _: str) -> web.Response:
        return _answer({"items": [_api_item(api_id, runtime) for api_id, runtime in self.apis.items()]})

    async def _get_policy(self, request: web.BaseRequest, api_id: str, *, slot: _Slot) -> web.Response:
        runtime = self._api(api_id)
        if isinstance(runtime, web.Response):
            return runtime
        attached: AttachedPolicy | None = getattr(runtime, slot.attribute)
        if attached is None:
            return _error(404, f"api `{api_id}` has no {slot.name}")
        return _answer(attached.document, headers={"X-Gatewaysim-Policy-Source": _header_safe(attached.source)})

    async def _put_policy(self, request: web.BaseRequest, api_id: str, *, slot: _Slot) -> web.Response:
        runtime = self._api(api_id)
        if isinstance(runtime, web.Response):
            return runtime
        body = await _read_body(request)
        if body is None:
            return _error(413, f"a policy document is at most {MAX_POLICY_BYTES} bytes")
        if not body.strip():
            return _error(400, "the body must be a policy document (JSON or YAML)")
        try:
            attached = attach_policy(body, api_arn=runtime.settings.arn, source="admin API")
        except PolicyError as exc:  # the old policy stays attached
            return _error(400, "the policy is not valid; the old one stays", errors=exc.render().splitlines())
        await self.live.attach(runtime, slot.attribute, attached)  # in-flight requests keep the one they started with
        logger.info("api `%s`: %s replaced through the admin API by %s", api_id, slot.name, request_peer(request))
        return _answer(attached.document)

    async def _delete_policy(self, request: web.BaseRequest, api_id: str, *, slot: _Slot) -> web.Response:
        runtime = self._api(api_id)
        if isinstance(runtime, web.Response):
            return runtime
        await self.live.attach(runtime, slot.attribute, None)
        logger.info("api `%s`: %s removed through the admin API by %s", api_id, slot.name, request_peer(request))
        return web.Response(status=204, headers=RequestIds.new().headers())

    async def _list_keys(self, request: web.BaseRequest, _: str) -> web.Response:
        flag = request.rel_url.query.get("includeValues", "false")
        if flag not in ("true", "false"):
            return _error(400, f"`includeValues` must be true or false, got `{flag[:50]}`")
        return _answer({"items": await self.keys(flag == "true") if self.keys is not None else []})

    async def _list_requests(self, request: web.BaseRequest, _: str) -> web.Response:
        params = request.rel_url.query
        limit = params.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= DEFAULT_DECISIONS_RING:
            return _error(400, f"`limit` must be a number from 1 to {DEFAULT_DECISIONS_RING}, got `{limit[:50]}`")
        request_id = params.get("request_id")
        if request_id is not None:
            found = await self.recent.request(request_id)
            return _answer({"requests": [found] if found is not None else []})
        return _answer({"requests": await self.recent.requests(int(limit))})

    async def _follow_requests(self, request: web.BaseRequest, _: str) -> web.StreamResponse:
        return await stream(request, self.feed, RequestIds.new().headers())

    async def _list_decisions(self, request: web.BaseRequest, _: str) -> web.Response:
        query = _decision_query(request.rel_url.query, self.decisions.size)
        if isinstance(query, str):
            return _error(400, query)
        return _answer({"version": EVENT_VERSION, "events": await self.recent.events(query)})


def _token_cookie(request: web.BaseRequest) -> web.Response:
    """``/_gatewaysim/ui?token=...``: keep the admin token in a cookie for the dashboard, and drop it from the URL.

    SECURITY: the cookie is HttpOnly and SameSite=Strict and counts for GET and HEAD only (the
    dashboard only reads); changing a policy still needs ``Authorization: Bearer``. Whether the
    token is right is checked on the next request, by the same rule as every admin request.
    """
    response = web.Response(status=303, headers={**RequestIds.new().headers(), "Location": UI_PREFIX})
    token = request.rel_url.query.get("token", "")[:512]
    response.set_cookie(TOKEN_COOKIE, token, path="/_gatewaysim/", httponly=True, samesite="Strict")
    return response


def _api_item(api_id: str, runtime: ApiRuntime) -> dict[str, Any]:
    """One API in the shape of ``get-rest-apis``' ``items`` (``policy`` as an escaped JSON string)."""
    settings, attached = runtime.settings, runtime.attached
    item: dict[str, Any] = {
        "id": api_id,
        "arn": settings.arn,
        "account": settings.account,
        "region": settings.region,
        "stages": list(settings.stages),
    }
    if attached is not None:
        item.update(policy=attached.text(), policySource=attached.source, policyAttachedAt=attached.attached_at)
    shadow = runtime.shadow
    if shadow is not None:
        item.update(shadowPolicy=shadow.text(), shadowPolicySource=shadow.source)
    return item


def _header_safe(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")[:512]


async def _read_body(request: web.BaseRequest) -> bytes | None:
    """The body, or None when it is larger than ``MAX_POLICY_BYTES``."""
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        total += len(chunk)
        if total > MAX_POLICY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _decision_query(params: Mapping[str, str], size: int) -> DecisionQuery | str:
    """The filters of ``GET /_gatewaysim/decisions``, or what is wrong with them."""
    unknown = sorted(set(params) - {"limit", "api", "outcome", "request_id", "allowed"})
    if unknown:
        return f"unknown parameter `{unknown[0]}` (expected limit, api, outcome, request_id, allowed)"
    limit_text = params.get("limit", "100")
    if limit_text == "all":
        limit_text = str(size)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= size:
        return f"`limit` must be a number from 1 to {size} or `all`, got `{limit_text}`"
    outcome = params.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        return f"`outcome` must be one of {', '.join(OUTCOMES)}, got `{outcome}`"
    allowed = params.get("allowed")
    if allowed is not None and allowed not in ("true", "false"):
        return f"`allowed` must be true or false, got `{allowed}`"
    return DecisionQuery(
        limit=int(limit_text),
        api=params.get("api"),
        outcome=outcome,
        request_id=params.get("request_id"),
        allowed=None if allowed is None else allowed == "true",
    )
