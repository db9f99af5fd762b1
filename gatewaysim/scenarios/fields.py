"""The fields of a scenario file, as a table of small parsers (used by ``gatewaysim.scenarios.files``).

Each parser takes the raw YAML value and returns the checked value or raises ``ValueError`` with a
one-line message; the caller locates it (``scenarios[3].request.source_ip``) and collects it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from gatewaysim.errors import Problem
from gatewaysim.imports.intrinsics import partition_of
from gatewaysim.suggest import did_you_mean

if TYPE_CHECKING:
    from gatewaysim.policy import Decision

__all__ = [
    "INVALID",
    "OUTCOMES",
    "REQUEST_FIELDS",
    "ApiRef",
    "Expectation",
    "ScenarioRequest",
    "parse_api",
    "parse_expectation",
    "parse_request_fields",
]

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A date without a time of day (YAML timestamps are read as text, gatewaysim.safeload)."""


@dataclass(frozen=True, slots=True)
class ApiRef:
    """The REST API a policy is attached to."""

    id: str
    account: str
    region: str = "us-east-1"

    @property
    def arn(self) -> str:
        """``arn:aws:execute-api:{region}:{account}:{id}``, the prefix of every method ARN."""
        return f"arn:{partition_of(self.region)}:execute-api:{self.region}:{self.account}:{self.id}"


def parse_api(raw: Any, problems: list[Problem]) -> ApiRef | None:
    """Check the ``api`` mapping: ``id``, ``account`` (a quoted 12-digit string), ``region``."""
    if not isinstance(raw, Mapping):
        problems.append(Problem("api", "missing: a mapping with `id`, `account` and `region`"))
        return None
    before = len(problems)
    problems.extend(
        Problem(f"api.{key}", f"unknown field `{key}` (expected id, account, region)")
        for key in raw
        if key not in ("id", "account", "region")
    )
    api_id, account, region = raw.get("id"), raw.get("account"), raw.get("region", "us-east-1")
    if not isinstance(api_id, str) or not re.fullmatch(r"[A-Za-z0-9]+", api_id):
        problems.append(Problem("api.id", f"must be an API id of letters and digits, got `{api_id}`"))
    if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
        problems.append(Problem("api.account", f"must be a quoted string of 12 digits, got `{account}`"))
    if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        problems.append(Problem("api.region", f"not a region name: `{region}`"))
    if len(problems) > before:
        return None
    return ApiRef(id=str(api_id), account=str(account), region=str(region))


# ---------------------------------------------------------------- request fields


def _method(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]+", value):
        raise ValueError(f"not an HTTP method: `{value}`")
    if value.upper() == "ANY":
        raise ValueError("a request has a concrete method; `ANY` is only a route setting")
    return value.upper()


def _path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"must start with `/` and name the stage first, e.g. `/prod/pets`, got `{value}`")
    if not value.split("?", 1)[0].lstrip("/").partition("/")[0]:
        raise ValueError(f"names no stage: `{value}` (the first segment is the stage)")
    return value


def _principal(value: Any) -> str:
    if not isinstance(value, str) or not (value == "anonymous" or value.startswith("arn:")):
        raise ValueError(f"must be `anonymous` or an ARN (user, role session, root), got `{value}`")
    return value


def _ip(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise ValueError(f"not an IP address: `{value}`") from None


def _prefixed(prefix: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or not value.startswith(prefix):
            raise ValueError(f"must be an id starting with `{prefix}`, got `{value}`")
        return value

    return parse


def _headers(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("must be a mapping of header names to string values")
    return MappingProxyType({str(k).lower(): v for k, v in value.items()})


def _time(value: Any) -> datetime:
    if isinstance(value, bool):
        raise ValueError(f"not a time: `{value}`")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if (isinstance(value, date) and not isinstance(value, datetime)) or _DATE_ONLY.fullmatch(str(value)):
        raise ValueError(f"needs a time of day, not only a date: `{value}`")
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time or epoch seconds: `{value}`") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got `{value}`")
    return value


def _context(value: Any) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ValueError("must be a mapping of condition keys to a value or a list of values")
    out: dict[str, tuple[str, ...]] = {}
    for key, raw in value.items():
        items = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, str | int | float | bool) for v in items):
            raise ValueError(f"key `{key}`: values must be strings, numbers or booleans")
        out[str(key)] = tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)
    return MappingProxyType(out)


REQUEST_FIELDS: Mapping[str, tuple[Callable[[Any], Any], str]] = MappingProxyType(
    {
        "method": (_method, "HTTP method, default GET"),
        "path": (_path, "URL path with the stage first, e.g. /prod/pets/1 (required)"),
        "principal": (_principal, "`anonymous` (default) or the caller's ARN (AWS_IAM)"),
        "source_ip": (_ip, "aws:SourceIp, the caller's address as API Gateway sees it"),
        "vpc_source_ip": (_ip, "aws:VpcSourceIp, the caller's address inside the VPC"),
        "vpc": (_prefixed("vpc-"), "aws:SourceVpc"),
        "vpce": (_prefixed("vpce-"), "aws:SourceVpce"),
        "headers": (_headers, "request headers; User-Agent and Referer become aws:UserAgent/aws:Referer"),
        "time": (_time, "aws:CurrentTime/aws:EpochTime (ISO 8601 or epoch); default: now"),
        "secure_transport": (_bool, "aws:SecureTransport, default true"),
        "context": (_context, "any further condition keys, e.g. aws:PrincipalTag/team"),
    }
)


INVALID: Any = object()
"""Stands for a field whose value was rejected (its problem is already recorded)."""


def parse_request_fields(raw: Any, at: str, problems: list[Problem]) -> dict[str, Any]:
    """Parse the present fields of a ``request`` (or ``defaults``) mapping; collect problems."""
    if not isinstance(raw, Mapping):
        problems.append(Problem(at, "must be a mapping of request fields"))
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        entry = REQUEST_FIELDS.get(key)
        if entry is None:
            hint = did_you_mean(str(key), REQUEST_FIELDS) or f" (expected one of {', '.join(REQUEST_FIELDS)})"
            problems.append(Problem(f"{at}.{key}", f"unknown field `{key}`{hint}"))
            continue
        if value is None:  # `null` clears a value set in `defaults`
            out[key] = None
            continue
        try:
            out[key] = entry[0](value)
        except ValueError as exc:
            problems.append(Problem(f"{at}.{key}", str(exc)))
            out[key] = INVALID
    return out


@dataclass(frozen=True, slots=True)
class ScenarioRequest:
    """One request as the resource policy sees it."""

    path: str
    method: str = "GET"
    principal: str = "anonymous"
    source_ip: str | None = None
    vpc_source_ip: str | None = None
    vpc: str | None = None
    vpce: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    time: datetime | None = None
    secure_transport: bool = True
    context: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(cls, fields: Mapping[str, Any], at: str, problems: list[Problem]) -> ScenarioRequest | None:
        """Build from parsed fields (defaults merged in; ``None`` means unset); ``path`` is required."""
        present = {key: value for key, value in fields.items() if value is not None}
        if "path" not in present:
            problems.append(Problem(f"{at}.path", "missing: set `path` here or in `defaults`"))
        if "path" not in present or any(value is INVALID for value in present.values()):
            return None
        return cls(**present)


# ---------------------------------------------------------------- expectations

OUTCOMES: Mapping[str, str] = MappingProxyType(
    {"allow": "Allow", "deny": "Deny", "explicitdeny": "ExplicitDeny", "implicitdeny": "ImplicitDeny"}
)
"""Accepted spellings of ``expect`` (case, ``-``, ``_`` and spaces ignored); ``Deny`` means either."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """The outcome a scenario expects and, optionally, the deciding statements (index or Sid)."""

    outcome: str
    deciding: tuple[int | str, ...] | None = None

    def check(self, decision: Decision) -> tuple[str, ...]:
        """The ways ``decision`` differs from this expectation (empty when it matches)."""
        got = decision.outcome.value
        failures = []
        if got != self.outcome and not (self.outcome == "Deny" and got.endswith("Deny")):
            failures.append(f"expected `{self.outcome}`, got `{got}`")
        if self.deciding is not None:
            wanted = {str(item) for item in self.deciding}
            actual = [ref.sid if ref.sid in wanted else str(ref.index) for ref in decision.deciding]
            if sorted(actual) != sorted(wanted):
                failures.append(f"expected deciding {_show(self.deciding)}, got {_show(actual)}")
        return tuple(failures)


def _show(items: Any) -> str:
    return "[" + ", ".join(str(item) for item in items) + "]"


def parse_expectation(raw: Any, deciding: Any, at: str, problems: list[Problem]) -> Expectation | None:
    """Check ``expect`` (see ``OUTCOMES``) and ``deciding`` (a list of indexes or Sids)."""
    outcome = OUTCOMES.get(re.sub(r"[\s_-]", "", raw).lower()) if isinstance(raw, str) else None
    if outcome is None:
        problems.append(Problem(f"{at}.expect", f"must be Allow, ExplicitDeny, ImplicitDeny or Deny, got `{raw}`"))
    refs: tuple[int | str, ...] | None = None
    if deciding is not None:
        valid = isinstance(deciding, list) and all(
            (isinstance(d, int) and not isinstance(d, bool) and d >= 0) or isinstance(d, str) for d in deciding
        )
        if not valid:
            problems.append(Problem(f"{at}.deciding", "must be a list of statement indexes or Sids"))
        else:
            refs = tuple(deciding)
    if outcome is None or (deciding is not None and refs is None):
        return None
    return Expectation(outcome=outcome, deciding=refs)
