"""Which API a request is for, when one gateway serves several: Host header or path prefix.

Three ways name an API, checked in this order:

1. The LocalStack path prefix ``/restapis/{api-id}/{stage}/_user_request_/{path}``. The prefix is
   stripped and the rest is judged and forwarded exactly like ``/{stage}/{path}`` (the method ARN
   is built from the real path, never the prefix). The prefix is matched on the *normalised* path
   (``gatewaysim.gateway.paths`` rules 1-3), so ``/rest%61pis/...`` is the prefix too and an encoded
   ``/`` is refused before any splitting. A first segment ``restapis`` always means the prefix:
   a path that starts so but is not the full form is refused (the prefix is reserved).
2. The Host header ``{api-id}.execute-api.localhost`` or ``{api-id}.execute-api.{region}.amazonaws.com``
   (any port, case-insensitive, one trailing dot allowed); the region must be the API's.
3. Neither: with a single API, that API (whatever the Host); with several, the one API that has
   a stage named like the path's first segment (a SAM template's implicit API serves ``Prod`` and an
   explicit one ``dev``: ``/Prod/hello`` and ``/dev/keyed`` need no Host), else no API. A stage
   that several APIs have (SAM's extra ``Stage``) names none: the refusal lists the APIs.

An API id that names no configured API is refused, whatever the form. When both the prefix and
the Host name an API and they differ, the request is refused (SECURITY: a proxy in front may
route or allow-list by Host; gatewaysim never lets the path silently pick another API). Every
refusal is the gateway's answer for a path that names no resource: 403 ``Missing Authentication
Token`` (AWS answers an unknown host differently, without its own response; our documented choice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeVar

from gatewaysim.config.load import ApiSettings
from gatewaysim.gateway.paths import Rejected, normalise_path

__all__ = [
    "PREFIX_MARKER",
    "PREFIX_ROOT",
    "HasSettings",
    "HostApi",
    "Selected",
    "host_api",
    "invoke_urls",
    "select_api",
    "strip_prefix",
]

PREFIX_ROOT: Final = "restapis"
PREFIX_MARKER: Final = "_user_request_"
_EXECUTE_API_HOST: Final = re.compile(
    r"^(?P<api>[a-z0-9_-]+)\.execute-api\.(?:localhost|(?P<region>[a-z0-9-]+)\.amazonaws\.com)$"
)


class HasSettings(Protocol):
    """Anything that carries an API's settings (the server's ``ApiRuntime``)."""

    @property
    def settings(self) -> ApiSettings:
        """The API's settings."""
        ...


T = TypeVar("T", bound=HasSettings)


@dataclass(frozen=True, slots=True)
class Selected(Generic[T]):
    """The API a request is for, and its request target with any prefix stripped."""

    api: T
    raw_target: str  # `/{stage}/{path}?{query}`: what `paths.parse_target` then judges
    prefixed: bool = False  # the `/restapis/{id}/{stage}/_user_request_/` form: the stage is always named


@dataclass(frozen=True, slots=True)
class HostApi:
    """The API id (lower-cased) a Host header names, and the region if it gave one."""

    api_id: str
    region: str | None


@dataclass(frozen=True, slots=True)
class _Prefix:
    api_id: str
    raw_target: str


def host_api(host: str) -> HostApi | None:
    """The API a Host header names (``{id}.execute-api.localhost[:port]`` ...), or None."""
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal names no API
        return None
    name = name.rpartition(":")[0] if ":" in name else name
    match = _EXECUTE_API_HOST.match(name.removesuffix("."))
    if match is None:
        return None
    return HostApi(match["api"], match["region"])


def strip_prefix(raw_target: str) -> _Prefix | Rejected | None:
    """The API id and ``/{stage}/...`` target of a ``/restapis/...`` target; None without a prefix."""
    path, sep, query = raw_target.partition("?")
    normal = normalise_path(path)  # SECURITY: match the prefix on the same path the rules judge
    if isinstance(normal, Rejected) or not normal.startswith(f"/{PREFIX_ROOT}"):
        return None  # the ordinary route refuses a bad path with the same reason
    segments = normal[1:].split("/")
    if segments[0] != PREFIX_ROOT:
        return None  # `/restapisx/...`: an ordinary path
    if len(segments) < 4 or segments[3] != PREFIX_MARKER or not segments[1] or not segments[2]:
        return Rejected(
            f"malformed `/{PREFIX_ROOT}/` prefix (expected `/{PREFIX_ROOT}/{{api-id}}/{{stage}}/{PREFIX_MARKER}/...`)"
        )
    rest = "/".join(segments[4:])
    target = f"/{segments[2]}/{rest}" if len(segments) > 4 else f"/{segments[2]}"
    return _Prefix(segments[1], target + sep + query)


def select_api(apis: Mapping[str, T], host: str, raw_target: str) -> Selected[T] | Rejected:
    """The API ``raw_target`` (``request.raw_path``) is for, given the Host header (module docstring)."""
    named = host_api(host)
    by_host = _lookup(apis, named.api_id) if named is not None else None
    if named is not None and (by_host is None or named.region not in (None, by_host.settings.region)):
        where = f" in `{named.region}`" if named.region else ""
        return Rejected(f"no api `{named.api_id}`{where} (host `{host}`)")
    prefix = strip_prefix(raw_target)
    if isinstance(prefix, Rejected):
        return prefix
    if prefix is not None:
        api = _lookup(apis, prefix.api_id)
        if api is None:
            return Rejected(f"no api `{prefix.api_id}` (path prefix)")
        if by_host is not None and by_host is not api:
            # SECURITY: two selectors that disagree are refused, never resolved either way
            return Rejected(f"host `{host}` names api `{by_host.settings.api_id}` but the path names `{prefix.api_id}`")
        return Selected(api, prefix.raw_target, prefixed=True)
    if by_host is not None:
        return Selected(by_host, raw_target)
    if len(apis) == 1:
        return Selected(next(iter(apis.values())), raw_target)
    return _by_stage(apis, host, raw_target)


def _by_stage(apis: Mapping[str, T], host: str, raw_target: str) -> Selected[T] | Rejected:
    """Rule 3 with several APIs: the one API whose stages hold the path's first segment."""
    how = f"use `{{api-id}}.execute-api.localhost` or a `/{PREFIX_ROOT}/` prefix"
    normal = normalise_path(raw_target.partition("?")[0])
    stage = "" if isinstance(normal, Rejected) else normal.lstrip("/").partition("/")[0]
    holders = [api for api in apis.values() if stage and stage in api.settings.stages]
    if len(holders) == 1:
        return Selected(holders[0], raw_target)
    if holders:
        names = ", ".join(f"`{api.settings.api_id}`" for api in holders)
        return Rejected(f"stage `{stage}` is served by apis {names}; {how}")
    return Rejected(f"no api for host `{host}` ({how})")


def _lookup(apis: Mapping[str, T], api_id: str) -> T | None:
    """The API with id ``api_id``; host names are case-insensitive, so a case-blind match counts."""
    found = apis.get(api_id)
    if found is not None:
        return found
    return next((api for key, api in apis.items() if key.lower() == api_id.lower()), None)


def invoke_urls(base_url: str, api_id: str, stage: str, *, single: bool, unique: bool = False) -> list[str]:
    """How to reach ``stage`` of ``api_id`` at ``base_url``: plain when ``single``, else by Host and by
    prefix, and plain too when no other API has the stage (``unique``: rule 3)."""
    if single:
        return [f"{base_url}/{stage}/"]
    scheme, _, authority = base_url.partition("://")
    port = authority.rpartition(":")[2]
    plain = [f"{base_url}/{stage}/"] if unique else []
    return [
        *plain,
        f"{scheme}://{api_id}.execute-api.localhost:{port}/{stage}/",
        f"{base_url}/{PREFIX_ROOT}/{api_id}/{stage}/{PREFIX_MARKER}/",
    ]
