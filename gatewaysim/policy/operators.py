"""Condition operator families: how one policy value is prepared and compared with one request value.

Each family is a pair of functions in the ``FAMILIES`` table; ``OPERATORS`` maps every operator name
to its family, whether it is negated, and its variant. Adding an operator is adding a row.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from gatewaysim.policy import matching
from gatewaysim.policy.variables import Literal, Wild, parse_template

__all__ = ["FAMILIES", "OPERATORS", "EvaluationProblem", "Family", "OperatorSpec", "ValueTest"]

Context = Mapping[str, tuple[str, ...]]
ValueTest = Callable[[str, Context], bool]


class EvaluationProblem(Exception):
    """A request value could not be compared (e.g. ``aws:SourceIp`` that is not an address)."""


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One operator name: its family, whether it negates, and the family variant."""

    family: str
    negated: bool = False
    variant: str = ""


@dataclass(frozen=True, slots=True)
class Family:
    """``prepare(value, variant, variables) -> ValueTest`` raises ValueError for a bad policy value."""

    prepare: Callable[[str, str, bool], ValueTest]
    variables: bool = False


# ---- strings and ARNs ---------------------------------------------------------------------------


def _prepare_string(value: str, variant: str, variables: bool) -> ValueTest:
    template = parse_template(value, variables=variables)
    like, ignore_case, arn = variant == "like", variant == "ignore_case", variant == "arn"
    if not template.has_variables:
        static = _text_test(_chunks(template.parts), like=like, ignore_case=ignore_case, arn=arn)
        return lambda request_value, _context: static(request_value)

    def dynamic(request_value: str, context: Context) -> bool:
        resolved = template.resolve(context)
        if resolved is None:
            return False
        return _text_test(_chunks(resolved), like=like, ignore_case=ignore_case, arn=arn)(request_value)

    return dynamic


def _chunks(parts: Sequence[object]) -> tuple[matching.Chunk, ...]:
    """Template parts -> ``(text, wild)`` chunks; only text written in the policy is wild."""
    return tuple((p.text, isinstance(p, Wild)) for p in parts if isinstance(p, Wild | Literal))


def _text_test(
    chunks: tuple[matching.Chunk, ...], *, like: bool, ignore_case: bool, arn: bool
) -> Callable[[str], bool]:
    wild = (like or arn) and any(w and matching.has_wildcard(t) for t, w in chunks)
    if wild:  # linear time, compiled matchers shared in a cache bounded in bytes (matching.py)
        return matching.glob_matcher(chunks, arn=arn, strict=arn, ignore_case=ignore_case)
    text = "".join(t for t, _ in chunks)
    if ignore_case:
        folded = text.casefold()
        return lambda value: value.casefold() == folded
    return lambda value: value == text


# ---- numbers and dates --------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _number(value: str) -> float:
    if not _NUMBER.fullmatch(value.strip()):
        raise ValueError(f"`{value}` is not a number")
    return float(value)


def _prepare_numeric(value: str, variant: str, variables: bool) -> ValueTest:
    bound, compare = _number(value), _COMPARE[variant]

    def test(request_value: str, _context: Context) -> bool:
        try:
            return compare(_number(request_value), bound)
        except ValueError as exc:
            raise EvaluationProblem(f"request value `{request_value}` is not a number") from exc

    return test


@lru_cache(maxsize=1024)
def parse_date(value: str) -> float:
    """ISO 8601 (W3C profile; a date alone, ``Z`` or an offset) or epoch seconds -> epoch seconds."""
    text = value.strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)
        if not math.isfinite(seconds):
            raise ValueError(f"`{value}` is not a date")
        return seconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"`{value}` is not an ISO 8601 date or epoch time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _prepare_date(value: str, variant: str, variables: bool) -> ValueTest:
    bound, compare = parse_date(value), _COMPARE[variant]

    def test(request_value: str, _context: Context) -> bool:
        try:
            return compare(parse_date(request_value), bound)
        except ValueError as exc:
            raise EvaluationProblem(f"request value `{request_value}` is not a date") from exc

    return test


# ---- Bool, Binary, IP, Null ---------------------------------------------------------------------


def _prepare_bool(value: str, variant: str, variables: bool) -> ValueTest:
    wanted = value.strip().lower()
    if wanted not in ("true", "false"):
        raise ValueError(f"`{value}` is not `true` or `false`")
    return lambda request_value, _context: request_value.strip().lower() == wanted


def _prepare_binary(value: str, variant: str, variables: bool) -> ValueTest:
    try:
        wanted = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"`{value}` is not base64") from exc

    def test(request_value: str, _context: Context) -> bool:
        try:
            return base64.b64decode(request_value, validate=True) == wanted
        except (binascii.Error, ValueError):
            return False

    return test


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(value: str) -> IpNetwork:
    """A CIDR range or a bare address (``/32`` or ``/128``); host bits may be set, as IAM allows."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(f"`{value}` is not an IP range") from exc
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
        mapped = network.network_address.ipv4_mapped
        return ipaddress.IPv4Network(f"{mapped}/{max(network.prefixlen - 96, 0)}", strict=False)
    return network


@lru_cache(maxsize=4096)
def parse_address(value: str) -> IpAddress:
    """An address; ``::ffff:a.b.c.d`` counts as the IPv4 address, an IPv6 zone is dropped."""
    address = ipaddress.ip_address(value.strip().split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _prepare_ip(value: str, variant: str, variables: bool) -> ValueTest:
    network = parse_network(value)

    def test(request_value: str, _context: Context) -> bool:
        try:
            address = parse_address(request_value)
        except ValueError as exc:
            raise EvaluationProblem(f"request value `{request_value}` is not an IP address") from exc
        return address.version == network.version and address in network

    return test


def _prepare_null(value: str, variant: str, variables: bool) -> ValueTest:
    wanted = value.strip().lower()
    if wanted not in ("true", "false"):
        raise ValueError(f"`{value}` is not `true` or `false`")
    return lambda _value, _context: wanted == "true"


FAMILIES: dict[str, Family] = {
    "String": Family(_prepare_string, variables=True),
    "Arn": Family(_prepare_string, variables=True),
    "Numeric": Family(_prepare_numeric),
    "Date": Family(_prepare_date),
    "Bool": Family(_prepare_bool),
    "Binary": Family(_prepare_binary),
    "Ip": Family(_prepare_ip),
    "Null": Family(_prepare_null),
}

OPERATORS: dict[str, OperatorSpec] = {
    "StringEquals": OperatorSpec("String", False, "equals"),
    "StringNotEquals": OperatorSpec("String", True, "equals"),
    "StringEqualsIgnoreCase": OperatorSpec("String", False, "ignore_case"),
    "StringNotEqualsIgnoreCase": OperatorSpec("String", True, "ignore_case"),
    "StringLike": OperatorSpec("String", False, "like"),
    "StringNotLike": OperatorSpec("String", True, "like"),
    "NumericEquals": OperatorSpec("Numeric", False, "eq"),
    "NumericNotEquals": OperatorSpec("Numeric", True, "eq"),
    "NumericLessThan": OperatorSpec("Numeric", False, "lt"),
    "NumericLessThanEquals": OperatorSpec("Numeric", False, "le"),
    "NumericGreaterThan": OperatorSpec("Numeric", False, "gt"),
    "NumericGreaterThanEquals": OperatorSpec("Numeric", False, "ge"),
    "DateEquals": OperatorSpec("Date", False, "eq"),
    "DateNotEquals": OperatorSpec("Date", True, "eq"),
    "DateLessThan": OperatorSpec("Date", False, "lt"),
    "DateLessThanEquals": OperatorSpec("Date", False, "le"),
    "DateGreaterThan": OperatorSpec("Date", False, "gt"),
    "DateGreaterThanEquals": OperatorSpec("Date", False, "ge"),
    "Bool": OperatorSpec("Bool"),
    "BinaryEquals": OperatorSpec("Binary"),
    "IpAddress": OperatorSpec("Ip"),
    "NotIpAddress": OperatorSpec("Ip", True),
    "ArnEquals": OperatorSpec("Arn", False, "arn"),
    "ArnLike": OperatorSpec("Arn", False, "arn"),
    "ArnNotEquals": OperatorSpec("Arn", True, "arn"),
    "ArnNotLike": OperatorSpec("Arn", True, "arn"),
    "Null": OperatorSpec("Null"),
}
