"""``gatewaysim test --url``: send each scenario to a running gateway as a real HTTP request.

A scenario becomes ``METHOD {url}{path}`` with ``Host: {api-id}.execute-api.{region}.amazonaws.com``
(so a gateway serving several APIs picks the scenario's), the principal, VPC and VPC endpoint in the
identity headers, and its other ``headers``. The source IP:

* a loopback ``source_ip`` of the gateway's address family: the client binds that address, so it is
  the real socket peer (``127.0.113.10``);
* any other: sent as ``X-Forwarded-For``, which counts only when the gateway trusts the client as a
  proxy (``identity.trusted_proxies: [127.0.0.1/32]``); otherwise the gateway sees the client's own
  address, and the decision log (below) shows it: the row fails and says so.

The outcome comes from the answer: a gateway 403 ``AccessDeniedException`` is ``ExplicitDeny`` when
its message ends ``with an explicit deny`` and ``ImplicitDeny`` otherwise; an answer the gateway did
not make (no ``x-amzn-ErrorType``) was forwarded: ``Allow``; any other gateway answer (``Missing
Authentication Token``, 401, 5xx) fails the row. The per-statement trace comes from the gateway's
decision log (``GET /_gatewaysim/decisions?request_id=``) when the admin API answers this client.
``vpc``, ``vpce``, ``vpc_source_ip`` and ``context`` keys travel in the gateway's identity headers
(``identity.headers``; ``--config`` reads them from the gateway's config). A scenario that sets
``time``, or a key the gateway has no header for, cannot be sent as written: it is skipped.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import aiohttp
from yarl import URL

from gatewaysim.gateway.admin_client import GatewayUnreachable, admin_call
from gatewaysim.policy import Decision, Outcome, StatementRef, StatementTrace
from gatewaysim.scenarios.fields import ApiRef, Expectation, ScenarioRequest
from gatewaysim.scenarios.files import Scenario, ScenarioFile, method_arn
from gatewaysim.scenarios.report import Checked

__all__ = ["DEFAULT_KEY_HEADERS", "FIELD_KEYS", "HttpTarget", "decision_from_dict", "outcome_of", "run_over_http"]

FIELD_KEYS: Final[Mapping[str, str]] = {
    "vpc": "aws:sourcevpc",
    "vpce": "aws:sourcevpce",
    "vpc_source_ip": "aws:vpcsourceip",
}
"""Scenario request fields that reach the gateway as an identity header, by condition key."""
DEFAULT_KEY_HEADERS: Final[Mapping[str, str]] = {
    "aws:sourcevpc": "X-Gatewaysim-Source-Vpc",
    "aws:sourcevpce": "X-Gatewaysim-Source-Vpce",
}
_TRACE_TRIES: Final = 5  # the log entry of a streamed answer is written just after its last byte


@dataclass(frozen=True, slots=True)
class HttpTarget:
    """The gateway to test and how it reads identity."""

    url: str
    token: str | None = None
    principal_header: str = "X-Gatewaysim-Principal"
    key_headers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_KEY_HEADERS))  # lower-cased key
    timeout_s: float = 10.0


def outcome_of(status: int, headers: Mapping[str, str], body: str) -> tuple[Outcome | None, str | None]:
    """The decision an answer shows, or None and what the gateway answered instead."""
    error_type = headers.get("x-amzn-ErrorType", "").partition(":")[0]
    if error_type == "AccessDeniedException":
        explicit = "with an explicit deny" in body
        return (Outcome.EXPLICIT_DENY if explicit else Outcome.IMPLICIT_DENY), None
    if not error_type:
        return Outcome.ALLOW, (f"forwarded; the backend answered {status}" if status >= 300 else None)
    return None, f"the gateway answered {status} {error_type}: {body.strip()[:200]}"


def decision_from_dict(data: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> Decision:
    """A ``Decision`` back from a decision event's ``policy`` (docs/decision-events.md).

    Statements listed under ``unmatched`` get a trace line too, naming the element that did not
    match and, from ``event``, the request's value for it.
    """

    def ref(item: Mapping[str, Any]) -> StatementRef:
        return StatementRef(int(item["index"]), item.get("sid"), str(item["effect"]))

    traces = [
        StatementTrace(
            ref(s),
            bool(s["applies"]),
            s.get("failed"),
            str(s.get("reason") or ""),
            s.get("key"),
            tuple(s["seen"]) if s.get("seen") is not None else None,
        )
        for s in data.get("statements") or ()
    ]
    traces += _unmatched(data.get("unmatched"), event or {})
    traces.sort(key=lambda t: t.statement.index)
    deciding = tuple(ref(item) for item in data.get("deciding") or ())
    frozen = tuple(traces)
    return Decision(Outcome(data["decision"]), deciding, tuple(data.get("problems") or ()), lambda: frozen)


_SEEN_IN_EVENT: Final = {"Principal": "caller", "Action": None, "Resource": "resourceArn"}


def _unmatched(raw: Any, event: Mapping[str, Any]) -> list[StatementTrace]:
    if not isinstance(raw, Mapping):
        return []
    out = []
    for element, indexes in raw.items():
        field = _SEEN_IN_EVENT.get(str(element).removeprefix("Not"))
        seen = str(event.get(field)) if field and event.get(field) is not None else "execute-api:Invoke"
        verb = "matches" if str(element).startswith("Not") else "does not match"
        for index in indexes if isinstance(indexes, list) else ():
            reason = f"{element} {verb} `{seen}`"
            out.append(StatementTrace(StatementRef(int(index), None, "-"), False, str(element), reason, None, (seen,)))
    return out


class _Clients:
    """One client session per source address (None: the default)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._sessions: dict[str | None, aiohttp.ClientSession] = {}

    def get(self, source: str | None = None) -> aiohttp.ClientSession:
        if source not in self._sessions:
            connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else aiohttp.TCPConnector()
            self._sessions[source] = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._sessions[source]

    async def __aenter__(self) -> _Clients:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for session in self._sessions.values():
            await session.close()


async def run_over_http(scenario_file: ScenarioFile, target: HttpTarget) -> list[Checked]:
    """Send every scenario of the file to the gateway; compare each answer with its expectation."""
    async with _Clients(target.timeout_s) as clients:
        return [await _check(scenario_file.api, scenario, target, clients) for scenario in scenario_file.scenarios]


async def _check(api: ApiRef, scenario: Scenario, target: HttpTarget, clients: _Clients) -> Checked:
    request = scenario.request
    arn = method_arn(api, request.method, request.path)
    unsendable = _unsendable(request, target)
    if unsendable:
        return Checked(scenario, arn, None, skipped=unsendable)
    headers, source = _request_headers(api, request, target)
    url = URL(target.url.rstrip("/") + request.path)
    try:
        async with clients.get(source).request(request.method, url, headers=headers, allow_redirects=False) as reply:
            body = (await reply.read()).decode("utf-8", "replace")
            status, request_id = reply.status, reply.headers.get("x-amzn-RequestId", "")
            got, note = outcome_of(status, reply.headers, body)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise GatewayUnreachable(f"cannot reach the gateway at `{target.url}`: {exc or type(exc).__name__}") from exc
    event = await _event(target, clients, request_id)
    return _compare(scenario, arn, got, note, event, status)


def _request_headers(api: ApiRef, request: ScenarioRequest, target: HttpTarget) -> tuple[dict[str, str], str | None]:
    """The request headers, and the source address to bind (None: the default one)."""
    headers = dict(request.headers)
    headers["Host"] = f"{api.id}.execute-api.{api.region}.amazonaws.com"
    if request.principal != "anonymous":
        headers[target.principal_header] = request.principal
    for key, (value,) in _context_keys(request).items():
        headers[target.key_headers[key]] = value
    source = request.source_ip
    if source is None:
        return headers, None
    if _bindable(source, URL(target.url).host or ""):
        return headers, source
    headers["X-Forwarded-For"] = source
    return headers, None


def _context_keys(request: ScenarioRequest) -> dict[str, tuple[str, ...]]:
    """The condition keys the scenario sets beyond the ones the gateway computes, lower-cased."""
    keys: dict[str, tuple[str, ...]] = {
        key: (str(getattr(request, name)),) for name, key in FIELD_KEYS.items() if getattr(request, name)
    }
    keys.update({key.lower(): values for key, values in request.context.items()})
    return keys


def _unsendable(request: ScenarioRequest, target: HttpTarget) -> str | None:
    """Why the scenario cannot be sent as it is (None: it can)."""
    if request.time is not None:
        return "`time` cannot be sent over HTTP (the gateway uses its own clock)"
    keys = _context_keys(request)
    missing = [key for key in keys if key not in target.key_headers]
    if missing:
        return f"`{missing[0]}` has no identity header at the gateway (identity.headers; pass --config)"
    several = [key for key, values in keys.items() if len(values) != 1]
    if several:
        return f"`{several[0]}` has several values; an identity header carries one"
    return None


def _bindable(source: str, gateway_host: str) -> bool:
    """A loopback source of the gateway's address family can be the real socket peer."""
    address = ipaddress.ip_address(source)
    host = "127.0.0.1" if gateway_host == "localhost" else gateway_host.strip("[]")
    try:
        gateway = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback and gateway.is_loopback and gateway.version == address.version


async def _event(target: HttpTarget, clients: _Clients, request_id: str) -> Mapping[str, Any] | str:
    """The gateway's decision-log event of ``request_id``, or why there is none."""
    if not request_id:
        return "no decision log: the answer has no x-amzn-RequestId"
    params = {"request_id": request_id, "limit": "1"}
    for attempt in range(_TRACE_TRIES):
        reply = await admin_call(
            target.url, "GET", "decisions", token=target.token, params=params, session=clients.get()
        )
        if reply.status != 200:
            return f"no decision log: the admin API answered {reply.status} ({reply.message().splitlines()[0]})"
        events = (reply.json() or {}).get("events") or []
        if events:
            return dict(events[0])
        await asyncio.sleep(0.02 * (attempt + 1))
    return "no decision log entry for this request"


def _compare(
    scenario: Scenario, arn: str, got: Outcome | None, note: str | None, event: Mapping[str, Any] | str, status: int
) -> Checked:
    expect = scenario.expect
    notes = [note] if note else []
    if got is None:
        return Checked(scenario, arn, None, (f"expected `{expect.outcome}`, but {note}",), http_status=status)
    failures: list[str] = []
    if isinstance(event, str):
        notes.append(event + (": deciding statements not checked" if expect.deciding is not None else ""))
        decision = Decision(got)
        expect = Expectation(expect.outcome)
    else:
        failures += _event_mismatches(scenario.request, arn, event)
        policy = event.get("policy")
        logged = decision_from_dict(policy, event) if isinstance(policy, Mapping) else Decision(got)
        if logged.outcome is not got:
            notes.append(f"the resource policy answered {logged.outcome.value}; the gateway's verdict: {got.value}")
        decision = Decision(got, logged.deciding, logged.problems, logged.build_trace)
    failures = [*expect.check(decision), *failures]
    return Checked(scenario, arn, decision, tuple(failures), notes=tuple(notes), http_status=status)


def _event_mismatches(request: ScenarioRequest, arn: str, event: Mapping[str, Any]) -> list[str]:
    """What the gateway saw that differs from the scenario (the test did not test what it says)."""
    out = []
    seen_ip = event.get("sourceIp")
    if request.source_ip is not None and seen_ip != request.source_ip:
        out.append(
            f"the gateway saw source ip `{seen_ip}`, not `{request.source_ip}`: it does not trust this client "
            "as a proxy (identity.trusted_proxies) or the address cannot be bound"
        )
    if event.get("resourceArn") != arn:
        out.append(f"the gateway's method ARN is `{event.get('resourceArn')}`, the scenario's `{arn}`")
    return out
