"""Field parsers for the config: each checks one value and records located problems.

A parser is ``(checker, json_path, raw) -> value``; on a bad value it records a ``Problem`` and
returns ``INVALID``, which ``Checker.section`` leaves out, so the dataclass default stands in
and every other field is still checked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Final

from yarl import URL

from gatewaysim.errors import ConfigError, PolicyError, Problem
from gatewaysim.header_rules import REQUEST_DROPPED
from gatewaysim.suggest import did_you_mean

__all__ = [
    "ABSENT",
    "COMPUTED_KEYS",
    "INVALID",
    "Checker",
    "IPNetwork",
    "RESERVED_STAGES",
    "Parser",
    "Table",
    "identity_header",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Marker(Enum):
    INVALID = "invalid"
    ABSENT = "absent"


INVALID: Final = _Marker.INVALID
ABSENT: Final = _Marker.ABSENT

# Keys the gateway computes itself: a header may never supply them (SECURITY).
COMPUTED_KEYS: Final = frozenset(
    {
        "aws:sourceip",
        "aws:currenttime",
        "aws:epochtime",
        "aws:securetransport",
        "aws:useragent",
        "aws:referer",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:username",
    }
)
# Stage names a request path could never reach: the first path segment means something else.
RESERVED_STAGES: Final[Mapping[str, str]] = {
    "_gatewaysim": "the gateway's own routes",
    "restapis": "the `/restapis/{api-id}/{stage}/_user_request_/` path prefix",  # gatewaysim.gateway.dispatch
}
_TOKEN: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_API_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STAGE: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_REGION: Final = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_PARTITION: Final = re.compile(r"^aws(-[a-z]+)*$")
_CONTEXT_KEY: Final = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_/.-]+$")


class Checker:
    """Collects problems and warnings; paths set by a flag are reported under the flag's name.

    A problem stops the config from loading; a warning (something AWS has that gatewaysim does
    not emulate, or a setting AWS ignores) is reported and the config still loads.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.origins: dict[str, str] = {}  # config path -> flag that set it
        self.policy_errors: list[tuple[str, PolicyError | ConfigError]] = []  # a named file's own errors
        self.functions: frozenset[str] | None = None  # the config's function names, once read
        self.template_functions: dict[str, Any] = {}  # FunctionSettings a template's Python functions give

    def _located(self, path: str) -> str:
        for origin, flag in self.origins.items():
            if path == origin or path.startswith((origin + ".", origin + "[")):
                return flag
        return path

    def add(self, path: str, message: str) -> None:
        """Record a problem at ``path`` (or at the flag that set it)."""
        self.problems.append(Problem(self._located(path), message))

    def warn(self, path: str, message: str) -> None:
        """Record a warning at ``path``: the config loads, and the warning is reported."""
        self.warnings.append(Problem(self._located(path), message))

    def section(self, path: str, raw: Any, table: Table) -> dict[str, Any]:
        """Parse a mapping with ``table``; unknown keys and bad values are recorded."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.add(path, "must be a mapping")
            return {}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            where = f"{path}.{key}" if path else str(key)
            parser = table.get(key) if isinstance(key, str) else None
            if parser is None:
                hint = did_you_mean(str(key), table) or f" (expected one of: {', '.join(table)})"
                self.add(where, f"unknown key `{key}`{hint}")
                continue
            parsed = parser(self, where, value)
            if parsed is not INVALID:
                out[key] = parsed
        return out


Parser = Callable[[Checker, str, Any], Any]
Table = Mapping[str, Parser]


def _kind(raw: Any) -> str:
    return "null" if raw is None else type(raw).__name__


def _matching(pattern: re.Pattern[str], what: str) -> Parser:
    def parse(c: Checker, path: str, raw: Any) -> Any:
        if not isinstance(raw, str) or not pattern.match(raw):
            c.add(path, f"must be {what}, got `{raw}`")
            return INVALID
        return raw

    return parse


api_id = _matching(_API_ID, "an api id (letters, digits, `-`, `_`)")
region = _matching(_REGION, "a region like `us-east-1`")
partition = _matching(_PARTITION, "a partition like `aws`")
header_name = _matching(_TOKEN, "an HTTP header name")


def host(c: Checker, path: str, raw: Any) -> Any:
    """A non-empty host name or address to listen on."""
    if not isinstance(raw, str) or not raw:
        c.add(path, f"must be a host name or address, got `{raw}`")
        return INVALID
    return raw


def port(c: Checker, path: str, raw: Any) -> Any:
    """A TCP port; 0 picks a free one."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 65535:
        c.add(path, f"must be a port number from 0 to 65535, got `{raw}`")
        return INVALID
    return raw


def account(c: Checker, path: str, raw: Any) -> Any:
    """A 12-digit account id (YAML may read it as a number)."""
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(text, str) or len(text) != 12 or not text.isdigit():
        c.add(path, f"must be a 12-digit account id (quote it to keep leading zeros), got `{raw}`")
        return INVALID
    return text


def stages(c: Checker, path: str, raw: Any) -> Any:
    """One stage name or a non-empty list of distinct ones."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        c.add(path, "must be a stage name or a non-empty list of them")
        return INVALID
    ok = True
    for i, name in enumerate(items):
        where = f"{path}[{i}]" if isinstance(raw, list) else path
        if not isinstance(name, str) or not _STAGE.match(name):
            c.add(where, f"must be a stage name (letters, digits, `-`, `_`), got `{name}`")
            ok = False
        elif name in RESERVED_STAGES:
            c.add(where, f"`{name}` is reserved for {RESERVED_STAGES[name]}")
            ok = False
        elif items.index(name) != i:
            c.add(where, f"stage `{name}` is listed twice")
            ok = False
    return tuple(items) if ok else INVALID


def policy_ref(c: Checker, path: str, raw: Any) -> Any:
    """A policy file path, an inline policy mapping, or null (no policy)."""
    if raw is None or isinstance(raw, Mapping) or (isinstance(raw, str) and raw):
        return raw
    c.add(path, f"must be a file path, an inline policy mapping or null, got `{raw}`")
    return INVALID


def backend(c: Checker, path: str, raw: Any) -> Any:
    """An http(s) base URL, or ``demo`` (None) for the built-in echo backend."""
    if raw == "demo":
        return None
    url = None
    if isinstance(raw, str):
        try:
            url = URL(raw)
        except ValueError:
            url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.query_string or url.fragment:
        c.add(path, f"must be an http(s) url without query or fragment, or `demo`, got `{raw}`")
        return INVALID
    return raw


def boolean(c: Checker, path: str, raw: Any) -> Any:
    """``true`` or ``false``."""
    if not isinstance(raw, bool):
        c.add(path, f"must be true or false, got `{raw}`")
        return INVALID
    return raw


def optional_bool(c: Checker, path: str, raw: Any) -> Any:
    """``true``, ``false`` or null."""
    return None if raw is None else boolean(c, path, raw)


def optional_string(c: Checker, path: str, raw: Any) -> Any:
    """A non-empty string or null."""
    if raw is None or (isinstance(raw, str) and raw):
        return raw
    c.add(path, f"must be a string or null, got `{raw}`")
    return INVALID


def choice(*allowed: str) -> Parser:
    """One of ``allowed``."""

    def parse(c: Checker, path: str, raw: Any) -> Any:
        if raw not in allowed:
            c.add(path, f"must be one of {', '.join(f'`{a}`' for a in allowed)}, got `{raw}`")
            return INVALID
        return raw

    return parse


def _number(minimum: float, strict: bool, integer: bool) -> Parser:
    what = ("an integer" if integer else "a number") + (" above " if strict else " of at least ") + f"{minimum:g}"

    def parse(c: Checker, path: str, raw: Any) -> Any:
        types = (int,) if integer else (int, float)
        if isinstance(raw, bool) or not isinstance(raw, types) or raw < minimum or (strict and raw == minimum):
            c.add(path, f"must be {what}, got `{raw}`")
            return INVALID
        return raw

    return parse


positive_number = _number(0, strict=True, integer=False)
positive_int = _number(0, strict=True, integer=True)
non_negative_number = _number(0, strict=False, integer=False)


_MEDIA_TYPE: Final = re.compile(r"^[A-Za-z0-9*!#$&^_.+-]+/[A-Za-z0-9*!#$&^_.+-]+$")


def media_types(c: Checker, path: str, raw: Any) -> Any:
    """A list of media types like ``image/png`` or ``image/*`` (``binaryMediaTypes``)."""
    if not isinstance(raw, list):
        c.add(path, "must be a list of media types like `image/png`")
        return INVALID
    out: list[str] = []
    for i, item in enumerate(raw):
        text = item.replace("~1", "/") if isinstance(item, str) else item  # OpenAPI's escaped form
        if not isinstance(text, str) or not _MEDIA_TYPE.match(text):
            c.add(f"{path}[{i}]", f"must be a media type like `image/png` or `image/*`, got `{item}`")
        else:
            out.append(text.lower())
    return tuple(out) if len(out) == len(raw) else INVALID


def networks(c: Checker, path: str, raw: Any) -> Any:
    """One CIDR or a list of them (a bare address is a /32 or /128)."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        c.add(path, "must be a CIDR or a list of CIDRs")
        return INVALID
    out: list[IPNetwork] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(raw, list) else path
        try:
            out.append(ipaddress.ip_network(str(item), strict=True))
        except ValueError as exc:
            c.add(where, f"`{item}` is not a CIDR: {exc}")
    return tuple(out) if len(out) == len(items) else INVALID


def context_headers(c: Checker, path: str, raw: Any) -> Any:
    """A mapping ``header name -> condition key`` (e.g. ``X-Vpce: aws:SourceVpce``)."""
    if not isinstance(raw, Mapping):
        c.add(path, "must be a mapping of header name to condition key")
        return INVALID
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, key in raw.items():
        where = f"{path}.{name}"
        if identity_header(c, where, name) is INVALID or _identity_header_problem(c, where, str(name), seen):
            continue
        if not isinstance(key, str) or not _CONTEXT_KEY.match(key):
            c.add(where, f"must be a condition key like `aws:SourceVpce`, got `{key}`")
        elif key.lower() in COMPUTED_KEYS:
            c.add(where, f"`{key}` is computed by the gateway and cannot come from a header")
        else:
            pairs.append((str(name), key))
    return tuple(pairs) if len(pairs) == len(raw) else INVALID


def identity_header(c: Checker, path: str, raw: Any) -> Any:
    """A header name that can carry identity (not one the gateway sets or drops)."""
    name = header_name(c, path, raw)
    if name is not INVALID and (name.lower() in REQUEST_DROPPED or name.lower().startswith("x-forwarded-")):
        c.add(path, f"`{name}` cannot carry identity: the gateway sets or drops it")
        return INVALID
    return name


def _identity_header_problem(c: Checker, path: str, name: str, seen: set[str]) -> bool:
    lower = name.lower()
    if lower in seen:
        c.add(path, f"header `{name}` is mapped twice")
        return True
    seen.add(lower)
    return False
