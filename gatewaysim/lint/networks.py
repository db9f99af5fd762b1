"""Checks on network values: VPC and endpoint ids, IP ranges, and IP allow-lists next to authorizers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Final

from gatewaysim.lint.findings import Hit
from gatewaysim.lint.model import LintInput, method_list
from gatewaysim.policy import Statement
from gatewaysim.policy.conditions import ConditionSpec
from gatewaysim.policy.operators import OPERATORS

__all__ = [
    "NON_PUBLIC",
    "allow_only_ip_list",
    "host_bits_set",
    "ip_operator_on_other_key",
    "non_public_ranges",
    "string_operator_on_ip",
    "vpc_ids",
    "vpce_ids",
]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_AUTHORIZERS: Final = ("CUSTOM", "COGNITO_USER_POOLS")
IP_KEYS: Final = frozenset({"aws:sourceip", "aws:vpcsourceip"})
# Ranges API Gateway never sees as the source of a call to a REGIONAL or EDGE endpoint. The
# documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are left out
# on purpose: they are placeholders in AWS's and the seed's examples, not a user's mistake.
NON_PUBLIC: Final = tuple(
    (ipaddress.ip_network(cidr), kind)
    for cidr, kind in (
        ("0.0.0.0/8", "a `this network` range"),
        ("10.0.0.0/8", "a private range"),
        ("100.64.0.0/10", "a carrier-grade NAT range"),
        ("127.0.0.0/8", "a loopback range"),
        ("169.254.0.0/16", "a link-local range"),
        ("172.16.0.0/12", "a private range"),
        ("192.168.0.0/16", "a private range"),
        ("198.18.0.0/15", "a benchmarking range"),
        ("224.0.0.0/4", "a multicast range"),
        ("240.0.0.0/4", "a reserved range"),
        ("::/128", "the unspecified address"),
        ("::1/128", "the loopback address"),
        ("fc00::/7", "a private (unique local) range"),
        ("fe80::/10", "a link-local range"),
        ("ff00::/8", "a multicast range"),
    )
)


def _entries(
    inp: LintInput, keys: frozenset[str], family: str | None = None
) -> Iterator[tuple[Statement, ConditionSpec]]:
    for statement in inp.statements:
        for spec in statement.condition:
            if spec.key.lower() in keys and (family is None or OPERATORS[spec.base].family == family):
                yield statement, spec


def _values(inp: LintInput, keys: frozenset[str], family: str | None = None) -> Iterator[tuple[str, str]]:
    """(path, value) for every condition value on ``keys`` (operators of ``family`` only, if given)."""
    for statement, spec in _entries(inp, keys, family):
        for index, value in enumerate(spec.values):
            yield inp.value_path(statement, spec, index), value


def _prefix_check(inp: LintInput, key: str, prefix: str, what: str, other_key: str, other: str) -> Iterator[Hit]:
    for path, value in _values(inp, frozenset({key}), "String"):  # `Null: {key: "true"}` holds no id
        if value.startswith(("*", "?", "${", prefix)):
            continue
        message = f"`{value}` is not {what}: they start with `{prefix}`, so the condition never matches a real one"
        fix = f"use the id from the console (`{prefix}...`)"
        if value.startswith(other):
            fix = f"`{value}` looks like the id `{other_key}` expects: use `{other_key}` for it"
        yield Hit(path, message, fix)


def vpce_ids(inp: LintInput) -> Iterator[Hit]:
    """``aws:SourceVpce`` values that are not VPC endpoint ids (``vpce-...``)."""
    yield from _prefix_check(inp, "aws:sourcevpce", "vpce-", "a VPC endpoint id", "aws:SourceVpc", "vpc-")


def vpc_ids(inp: LintInput) -> Iterator[Hit]:
    """``aws:SourceVpc`` values that are not VPC ids (``vpc-...``)."""
    yield from _prefix_check(inp, "aws:sourcevpc", "vpc-", "a VPC id", "aws:SourceVpce", "vpce-")


def host_bits_set(inp: LintInput) -> Iterator[Hit]:
    """``10.0.0.1/8``: host bits set; the range means ``10.0.0.0/8``, which is rarely what was meant."""
    for path, value in _values(inp, IP_KEYS, "Ip"):
        try:
            ipaddress.ip_network(value.strip())
        except ValueError:
            network = ipaddress.ip_network(value.strip(), strict=False)
            address = value.strip().split("/", 1)[0]
            single = f"{address}/{network.max_prefixlen}"
            message = f"`{value}` has host bits set: it means the whole range `{network}`"
            yield Hit(path, message, f"write `{network}`, or `{single}` for the single address")


def non_public_ranges(inp: LintInput) -> Iterator[Hit]:
    """Private, loopback or reserved ranges on ``aws:SourceIp`` of a REGIONAL/EDGE API: never seen there."""
    if inp.api.private:
        return
    for path, value in _values(inp, frozenset({"aws:sourceip"}), "Ip"):
        network = ipaddress.ip_network(value.strip(), strict=False)
        kind = next((k for block, k in NON_PUBLIC if _inside(network, block)), None)
        if kind is None:
            continue
        message = (
            f"`{value}` is {kind}: API Gateway sees only public source addresses on "
            f"this {inp.api.endpoint_type} API (your NAT, proxy or VPN egress), so it never matches"
        )
        fix = "list the public egress addresses of that network, or make the API PRIVATE and use `aws:VpcSourceIp`"
        yield Hit(path, message, fix)


def _inside(network: _Network, block: _Network) -> bool:
    if isinstance(network, ipaddress.IPv4Network) and isinstance(block, ipaddress.IPv4Network):
        return network.subnet_of(block)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(block, ipaddress.IPv6Network):
        return network.subnet_of(block)
    return False


def allow_only_ip_list(inp: LintInput) -> Iterator[Hit]:
    """An IP allow-list (Allow + IpAddress) with no IP Deny, while methods use Lambda or Cognito authorizers.

    AWS Table A: authorizer Allow + policy "neither" = Allow, so the list does not restrict those methods.
    """
    if any(s.effect == "Deny" for s, _ in _entries(inp, IP_KEYS)):
        return
    for statement, spec in _entries(inp, IP_KEYS, "Ip"):
        if statement.effect != "Allow" or OPERATORS[spec.base].negated:
            continue
        methods = tuple(m for m in inp.covered_methods(statement) if m.authorization_type in _AUTHORIZERS)
        if not methods:
            continue
        message = (
            f"this IP allow-list does not restrict {method_list(methods)}: when an authorizer allows, "
            "a policy that only allows (and does not deny) lets every address through"
        )
        fix = f"add a Deny statement with `NotIpAddress` on `{spec.key}` listing the same ranges"
        yield Hit(spec.path, message, fix)


def string_operator_on_ip(inp: LintInput) -> Iterator[Hit]:
    """``StringEquals aws:SourceIp 10.0.0.0/8``: a string compare never matches a range."""
    for statement, spec in _entries(inp, IP_KEYS):
        if OPERATORS[spec.base].family not in ("String", "Arn"):
            continue
        for index, value in enumerate(spec.values):
            if "/" in value:
                message = f"`{spec.operator}` compares `{spec.key}` as text, so the range `{value}` never matches"
                fix = f"use `IpAddress` (or `NotIpAddress`) for `{spec.key}`"
                yield Hit(inp.value_path(statement, spec, index), message, fix)


def ip_operator_on_other_key(inp: LintInput) -> Iterator[Hit]:
    """``IpAddress`` on a key that is not an address: the request value never parses, the condition fails."""
    for statement in inp.statements:
        for spec in statement.condition:
            if OPERATORS[spec.base].family == "Ip" and spec.key.lower() not in IP_KEYS:
                message = f"`{spec.operator}` on `{spec.key}`: only `aws:SourceIp` and `aws:VpcSourceIp` hold addresses"
                yield Hit(spec.path, message, "use a string operator, or the key that holds the caller's address")
