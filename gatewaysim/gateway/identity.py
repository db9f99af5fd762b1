"""aiohttp request -> ``RequestContext``: who is calling, from where, and what they ask for.

* ``aws:SourceIp`` is the socket peer (IPv6 scope stripped, ``::ffff:a.b.c.d`` read as
  ``a.b.c.d``). ``X-Forwarded-For`` counts only when the peer is inside a configured trusted
  proxy network (none by default); then the rightmost hop that is not a trusted proxy is the
  caller. An entry that is not an address stops the walk: the proxy that appended it is used.
* The principal comes from the principal header (default ``X-Gatewaysim-Principal``); absent
  or empty, the caller is ``anonymous``. ``aws:PrincipalArn``/``Account``/``Type`` are derived
  from it by ``Request.from_mapping`` and are absent for ``anonymous`` (spec 5).
* Configured headers fill condition keys (default ``X-Gatewaysim-Source-Vpc`` ->
  ``aws:SourceVpc``, ``X-Gatewaysim-Source-Vpce`` -> ``aws:SourceVpce``); an empty header
  counts as absent. These identity headers never reach the backend, nor their spellings with
  ``_`` or ``.`` for ``-`` (ignored here, as nginx ignores underscored names, and dropped).
* An identity header sent twice is refused (400): which one counts would be a guess.
* ``identity.trust_headers_from`` (CIDRs; default everyone): the identity headers count only
  from these socket peers (a shared gateway believes them from its own proxy only); from others
  the caller is ``anonymous`` without VPC keys.
* Always set: ``aws:CurrentTime`` (``2026-11-29T12:00:00Z``), ``aws:EpochTime``,
  ``aws:SecureTransport``; ``aws:UserAgent``/``aws:Referer`` only when the header was sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial
from typing import Any, Final

from aiohttp import web
from multidict import CIMultiDictProxy, istr

from gatewaysim.arn import method_arn
from gatewaysim.config.fields import IPNetwork
from gatewaysim.config.load import ApiSettings, IdentitySettings
from gatewaysim.context import ANONYMOUS, INVOKE, RequestContext
from gatewaysim.gateway.paths import Target
from gatewaysim.ids import RequestIds
from gatewaysim.policy import Request
from gatewaysim.policy.principals import principal_context_keys

__all__ = [
    "IdentityResolver",
    "TrustedProxies",
    "client_address",
    "forwarded_chain",
    "forwarded_hops",
    "iso_second",
    "peer_address",
    "request_peer",
    "time_keys",
    "transport_peer",
]

_UNKNOWN_PEER: Final = "0.0.0.0"  # a transport with no peer (closed, or a unix socket)
_XFF: Final = istr("X-Forwarded-For")
_SENT_IF_PRESENT: Final = ((istr("User-Agent"), "aws:useragent"), (istr("Referer"), "aws:referer"))


@lru_cache(maxsize=4096)
def peer_address(host: str) -> str:
    """A socket peer as ``aws:SourceIp`` shows it: no IPv6 scope, IPv4-mapped read as IPv4."""
    host = host.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@lru_cache(maxsize=4096)
def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


_trusted = lru_cache(maxsize=4096)(_in_networks)


def forwarded_hops(values: Sequence[str]) -> list[str]:
    """The ``X-Forwarded-For`` entries of every such header, in order, trimmed."""
    return [hop.strip() for value in values for hop in value.split(",") if hop.strip()]


def client_address(peer: str, hops: Sequence[str], trusted: tuple[IPNetwork, ...]) -> str:
    """``aws:SourceIp``: the peer, or behind trusted proxies the rightmost untrusted hop."""
    # SECURITY: a client-supplied X-Forwarded-For counts only when the peer is a trusted proxy.
    if not trusted or not _trusted(peer, trusted):
        return peer
    last_trusted = peer
    for hop in reversed(hops):
        address = peer_address(hop)
        if not _is_address(address):
            return last_trusted  # garbage: believe only the proxy that appended it
        if not _trusted(address, trusted):
            return address
        last_trusted = address
    return last_trusted


def forwarded_chain(peer: str, hops: Sequence[str], trusted: tuple[IPNetwork, ...]) -> str:
    """The ``X-Forwarded-For`` for the backend: the trusted chain plus the peer, else the peer."""
    if hops and trusted and _trusted(peer, trusted):
        return ", ".join([*hops, peer])
    return peer  # SECURITY: an untrusted peer's chain is dropped, never passed on


def _walk(peer: str, values: tuple[str, ...], trusted: tuple[IPNetwork, ...]) -> tuple[str, str]:
    hops = forwarded_hops(values)
    return client_address(peer, hops, trusted), forwarded_chain(peer, hops, trusted)


_REMEMBERED_CHAIN: Final = 512  # longer X-Forwarded-For values are walked afresh, never kept


class TrustedProxies:
    """The trusted-proxy networks, and the address walks over them remembered per peer and chain.

    Proxies send the same few chains again and again. The caches key on the peer and the header
    values only (hashing the networks on every request would cost more than the walk saves).
    """

    def __init__(self, networks: tuple[IPNetwork, ...]) -> None:
        self.networks = networks
        self._is_trusted = lru_cache(maxsize=4096)(partial(_in_networks, networks=networks))
        self._remembered = lru_cache(maxsize=4096)(partial(_walk, trusted=networks))

    def addresses(self, peer: str, forwarded_for: Sequence[str]) -> tuple[str, str]:
        """``aws:SourceIp`` and the backend's ``X-Forwarded-For``, from the peer and the client's headers."""
        if not forwarded_for or not self.networks or not self._is_trusted(peer):
            return peer, peer  # SECURITY: an untrusted peer's X-Forwarded-For counts for nothing
        values = tuple(forwarded_for)
        if sum(map(len, values)) > _REMEMBERED_CHAIN:
            return _walk(peer, values, self.networks)
        return self._remembered(peer, values)


class IdentityResolver:
    """Reads identity from requests; header names are prepared once, at startup."""

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.trusted_proxies = TrustedProxies(settings.trusted_proxies)
        self._principal_header = istr(settings.principal_header)
        self._context_headers = tuple((istr(name), key.lower()) for name, key in settings.headers)
        self._all_headers = (self._principal_header, *(name for name, _ in self._context_headers))
        self.identity_headers: frozenset[str] = frozenset(
            [settings.principal_header.lower(), *(name.lower() for name, _ in settings.headers)]
        )
        trusted = settings.trust_headers_from
        self._believed = None if trusted is None else lru_cache(maxsize=4096)(partial(_in_networks, networks=trusted))

    def repeated(self, headers: CIMultiDictProxy[str]) -> str | None:
        """The identity header sent more than once, if any (SECURITY: which one counts is ambiguous: 400)."""
        for name in self._all_headers:
            if len(headers.getall(name, ())) > 1:
                return str(name)
        return None

    def believes_headers(self, peer: str) -> bool:
        """True when the identity headers of a request from socket peer ``peer`` count
        (``identity.trust_headers_from``; everyone by default, since they are how callers are simulated)."""
        return self._believed is None or self._believed(peer)

    def resolve(
        self,
        request: web.BaseRequest,
        api: ApiSettings,
        target: Target,
        ids: RequestIds,
        now: float | None = None,
        *,
        arn: str | None = None,
    ) -> RequestContext:
        """The context of ``request`` for ``api``, whose target is already normalised.

        ``arn``: the method ARN of ``request.method`` on ``target`` when the caller has it already
        (the gateway remembers it with the located request line); computed here otherwise.
        """
        now = time.time() if now is None else now
        headers = request.headers
        transport = request.transport
        peer = transport_peer(transport)
        source_ip, forwarded_for = self.trusted_proxies.addresses(peer, headers.getall(_XFF, ()))
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        secure = self.settings.secure_transport
        if secure is None:
            secure = ssl_object is not None or (
                transport is not None and transport.get_extra_info("sslcontext") is not None
            )
        believed = self.believes_headers(peer)  # SECURITY: judged by the socket peer, never a header
        principal = (headers.get(self._principal_header, "").strip() if believed else "") or ANONYMOUS
        current_time, epoch_time = time_keys(int(now))
        context: dict[str, tuple[str, ...]] = {
            "aws:sourceip": (source_ip,),
            "aws:currenttime": current_time,
            "aws:epochtime": epoch_time,
            "aws:securetransport": ("true" if secure else "false",),
        }
        for name, key in _SENT_IF_PRESENT:
            value = headers.get(name)
            if value is not None:
                context[key] = (value,)
        for header, key in self._context_headers if believed else ():
            value = headers.get(header, "")
            if value:
                context[key] = (value,)
        if principal != ANONYMOUS:
            for key, derived in principal_context_keys(principal).items():
                context.setdefault(key, (derived,))
        method = request.method
        if arn is None:
            arn = method_arn(api.arn, target.stage, method, target.path)
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        # Positional, in RequestContext's field order: keywords for its 18 fields cost twice the time.
        return RequestContext(
            ids,
            api.api_id,
            target.stage,
            method,  # http_method
            target.path,
            target.query_string,
            arn,  # method_arn
            principal,
            source_ip,
            peer,  # peer_ip
            forwarded_for,
            secure,
            now,  # request_time
            Request(principal, INVOKE, arn, context),  # policy_request
            None,  # api_key: the door sets it
            None,  # api_key_id
            _client_certificate(der) if der else None,  # client_cert
            target.sent,  # sent_path
        )


def _client_certificate(der: bytes) -> Mapping[str, Any]:
    """The caller's certificate under mutual TLS (``gateway.tls``, loaded only then)."""
    from gatewaysim.gateway.tls import client_certificate

    return client_certificate(der)


@lru_cache(maxsize=4)
def time_keys(second: int) -> tuple[tuple[str], tuple[str]]:
    """``aws:CurrentTime`` and ``aws:EpochTime`` for one epoch second (shared within the second)."""
    return (iso_second(second),), (str(second),)


@lru_cache(maxsize=4)
def iso_second(second: int) -> str:
    """``2026-11-29T12:00:00Z``: ISO 8601 UTC, as ``aws:CurrentTime`` and ``$context.requestTime``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


def request_peer(request: web.BaseRequest) -> str:
    """The socket peer of ``request`` as ``aws:SourceIp`` shows it."""
    return transport_peer(request.transport)


def transport_peer(transport: asyncio.BaseTransport | None) -> str:
    """The socket peer of ``transport`` as ``aws:SourceIp`` shows it."""
    peername = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peername, tuple) and peername:
        return peer_address(str(peername[0]))
    return _UNKNOWN_PEER
