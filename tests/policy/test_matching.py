"""Action and Resource matching, with property tests against simple reference implementations."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gatewaysim.policy import Outcome, evaluate
from gatewaysim.policy.matching import action_matcher, arn_matcher, glob_matcher
from gatewaysim.policy.operators import parse_address, parse_network
from tests.policy.regex_oracle import oracle_matches

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def allowed(
    resource_pattern: str | list[str],
    resource: str,
    action: str = "execute-api:Invoke",
    action_pattern: str | list[str] = "execute-api:Invoke",
    version: str = "2012-10-17",
) -> bool:
    policy = {
        "Version": version,
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": action_pattern, "Resource": resource_pattern},
    }
    return evaluate(policy, {"resource": resource, "action": action}).outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"{API}/*/*/*", f"{API}/prod/GET/pets", True),
        (f"{API}/*/*/*", f"{API}/prod/GET/", True),  # root path: `*` matches empty
        (f"{API}/*/*/*", f"{API}/prod/GET", False),  # the literal `/` is required
        (f"{API}/*", f"{API}/prod/POST/a/b/c", True),  # `*` crosses `/`
        (f"{API}/*/GET/pets/*", f"{API}/prod/GET/pets/1/toys", True),
        (f"{API}/*/GET/pets/*", f"{API}/prod/GET/pets/", True),
        (f"{API}/*/GET/pets/*", f"{API}/prod/GET/pets", False),
        (f"{API}/prod/GET/pets", f"{API}/prod/GET/pets", True),
        (f"{API}/prod/GET/pets", f"{API}/prod/GET/pets/1", False),  # anchored
        (f"{API}/prod/GET/pets", f"{API}/prod/get/pets", False),  # case-sensitive
        (f"{API}/prod/GET/pets", f"{API}/Prod/GET/pets", False),
        (f"{API}/prod/?ET/*", f"{API}/prod/GET/x", True),
        (f"{API}/prod/?ET/*", f"{API}/prod/SET/x", True),
        (f"{API}/prod/?ET/*", f"{API}/prod/POST/x", False),
        (f"{API}/prod/GET/a.b", f"{API}/prod/GET/axb", False),  # `.` is literal
        (f"{API}/prod/GET/a+b", f"{API}/prod/GET/a+b", True),
        (f"{API}/prod/GET/(x)|y", f"{API}/prod/GET/y", False),
        ("arn:aws:execute-api:*:*:*", f"{API}/prod/GET/pets", True),
        ("arn:aws:execute-api:us-east-1:*:*", f"{API}/prod/GET/pets", True),
        ("arn:aws:execute-api:us-east-1:*:abcdef1234/*", f"{API}/prod/GET/pets", True),
        ("arn:aws:execute-api:us-east-1:*:abcdef1234/test/*", f"{API}/prod/GET/pets", False),
        ("arn:aws:execute-api:us-west-2:*:*", f"{API}/prod/GET/pets", False),
        ("arn:aws:execute-api:*:123456789012/*", f"{API}/prod/GET/pets", False),  # `*` stays in its segment
        ("arn:aws:execute-api:us-*:*:*", f"{API}/prod/GET/pets", True),
        ("arn:aws:execute-api:*", f"{API}/prod/GET/pets", True),  # short pattern: last segment takes the rest
        ("arn:aws:s3:*", f"{API}/prod/GET/pets", False),
        ("*", f"{API}/prod/GET/pets", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/${*}", f"{API}/prod/GET/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/${*}", f"{API}/prod/GET/x", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/${?}", f"{API}/prod/GET/?", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/${?}", f"{API}/prod/GET/x", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/${$}x", f"{API}/prod/GET/$x", True),
    ],
)
def test_resource_patterns(pattern: str, resource: str, expected: bool) -> None:
    assert allowed(pattern, resource) is expected


def test_escapes_are_literal_text_in_version_2008() -> None:
    pattern = f"{API}/prod/GET/${{*}}"
    assert allowed(pattern, f"{API}/prod/GET/${{*}}", version="2008-10-17")
    assert not allowed(pattern, f"{API}/prod/GET/*", version="2008-10-17")


def test_not_resource() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "NotResource": f"{API}/prod/POST/*"},
    }
    assert evaluate(policy, {"resource": f"{API}/prod/GET/x"}).outcome is Outcome.ALLOW
    decision = evaluate(policy, {"resource": f"{API}/prod/POST/x"})
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.trace[0].failed == "NotResource"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("execute-api:Invoke", "execute-api:Invoke", True),
        ("EXECUTE-API:invoke", "execute-api:Invoke", True),  # case-insensitive
        ("execute-api:*", "execute-api:InvalidateCache", True),
        ("execute-api:Inv*", "execute-api:InvalidateCache", True),
        ("execute-api:Inv*", "execute-api:ManageConnections", False),
        ("execute-api:Invok?", "execute-api:INVOKE", True),
        ("*", "s3:GetObject", True),
        ("execute-api:Invoke", "execute-api:InvokeX", False),
        ("s3:*", "execute-api:Invoke", False),
        ("execute-api:In.oke", "execute-api:Invoke", False),
    ],
)
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    assert allowed("*", f"{API}/prod/GET/x", action=action, action_pattern=pattern) is expected


def test_not_action() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "execute-api:Invoke", "Resource": "*"},
    }
    assert evaluate(policy, {"resource": "*", "action": "execute-api:InvalidateCache"}).outcome is Outcome.EXPLICIT_DENY
    assert evaluate(policy, {"resource": "*", "action": "EXECUTE-API:invoke"}).outcome is Outcome.IMPLICIT_DENY


# ---- property tests against reference implementations ------------------------------------------


def reference_glob(pattern: str, text: str) -> bool:
    """Textbook recursive glob: `*` any run, `?` one character, everything else literal."""
    if not pattern:
        return not text
    head = pattern[0]
    if head == "*":
        return reference_glob(pattern[1:], text) or (bool(text) and reference_glob(pattern, text[1:]))
    if not text:
        return False
    return (head == "?" or head == text[0]) and reference_glob(pattern[1:], text[1:])


ALPHABET = st.sampled_from(list("ab*?./:+()[]^$\\|{}x\n"))
TEXT = st.text(alphabet=st.sampled_from(list("ab./:+()[]^$\\|{}x\n*?")), max_size=12)


@given(pattern=st.text(alphabet=ALPHABET, max_size=10), text=TEXT)
def test_glob_matches_reference(pattern: str, text: str) -> None:
    assert glob_matcher([(pattern, True)], arn=False)(text) == reference_glob(pattern, text)
    assert oracle_matches([(pattern, True)], text, arn=False) == reference_glob(pattern, text)


SEGMENT = st.text(alphabet=st.sampled_from(list("ab*?-1/")), max_size=5)
VALUE_SEGMENT = st.text(alphabet=st.sampled_from(list("ab-1/")), max_size=5)


@given(
    pattern=st.lists(SEGMENT, min_size=6, max_size=6),
    arn=st.lists(VALUE_SEGMENT, min_size=6, max_size=6),
    tail=st.text(alphabet=st.sampled_from(list("ab:/*")), max_size=4),
)
def test_arn_matching_is_segment_wise(pattern: list[str], arn: list[str], tail: str) -> None:
    pattern_text = ":".join(pattern[:5]) + ":" + pattern[5] + tail
    arn_text = ":".join(arn[:5]) + ":" + arn[5] + tail.replace("*", "")
    expected = all(reference_glob(p, a) for p, a in zip(pattern[:5], arn[:5], strict=True)) and reference_glob(
        pattern[5] + tail, arn[5] + tail.replace("*", "")
    )
    assert arn_matcher([pattern_text])(arn_text) is expected


@given(
    pattern=st.text(alphabet=st.sampled_from(list("aB:*?-")), max_size=8),
    action=st.text(alphabet=st.sampled_from(list("Ab:-")), max_size=8),
)
def test_action_matching_ignores_case(pattern: str, action: str) -> None:
    expected = pattern == "*" or reference_glob(pattern.lower(), action.lower())
    assert action_matcher((pattern,))(action) is expected


def reference_in_cidr(address: int, bits: int, network: int, prefix: int) -> bool:
    shift = bits - prefix
    return (address >> shift) == (network >> shift)


@given(address=st.integers(0, 2**32 - 1), network=st.integers(0, 2**32 - 1), prefix=st.integers(0, 32))
def test_ipv4_cidr_matches_reference(address: int, network: int, prefix: int) -> None:
    range_ = parse_network(f"{ipaddress.IPv4Address(network)}/{prefix}")
    addr = parse_address(str(ipaddress.IPv4Address(address)))
    assert (addr in range_) is reference_in_cidr(address, 32, network, prefix)


@given(address=st.integers(0, 2**128 - 1), network=st.integers(0, 2**128 - 1), prefix=st.integers(0, 128))
def test_ipv6_cidr_matches_reference(address: int, network: int, prefix: int) -> None:
    addr = ipaddress.IPv6Address(address)
    net = ipaddress.IPv6Address(network)
    assume(addr.ipv4_mapped is None and net.ipv4_mapped is None)  # v4-mapped: compared as IPv4, see the tables
    range_ = parse_network(f"{net}/{prefix}")
    assert (parse_address(str(addr)) in range_) is reference_in_cidr(address, 128, network, prefix)
