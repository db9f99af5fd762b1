"""Every condition operator family, as tables: (condition block, request context, holds?)."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.policy import Outcome, evaluate

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"


def holds(condition: dict[str, Any], context: dict[str, Any], version: str = "2012-10-17") -> bool:
    policy = {
        "Version": version,
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": condition},
    }
    decision = evaluate(policy, {"principal": "anonymous", "resource": ARN, "context": context})
    return decision.outcome is Outcome.ALLOW


STRING = [
    ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-1"}, True),
    ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "VPC-1"}, False),
    ({"StringEquals": {"aws:SourceVpc": "vpc-*"}}, {"aws:SourceVpc": "vpc-1"}, False),  # no wildcards in Equals
    ({"StringEquals": {"aws:SourceVpc": "vpc-*"}}, {"aws:SourceVpc": "vpc-*"}, True),
    ({"StringEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}}, {"aws:SourceVpc": "vpc-2"}, True),
    ({"StringEquals": {"aws:SourceVpc": "vpc-1"}}, {}, False),
    ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-2"}, True),
    ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-1"}, False),
    ({"StringNotEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}}, {"aws:SourceVpc": "vpc-2"}, False),  # NOR
    ({"StringNotEquals": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}}, {"aws:SourceVpc": "vpc-3"}, True),
    ({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}, {}, True),  # negated + missing key -> true
    ({"StringEqualsIgnoreCase": {"aws:SourceVpc": "VPC-1"}}, {"aws:SourceVpc": "vpc-1"}, True),
    ({"StringNotEqualsIgnoreCase": {"aws:SourceVpc": "VPC-1"}}, {"aws:SourceVpc": "vpc-1"}, False),
    ({"StringNotEqualsIgnoreCase": {"aws:SourceVpc": "VPC-1"}}, {}, True),
    ({"StringLike": {"aws:UserAgent": "curl/*"}}, {"aws:UserAgent": "curl/8.5.0"}, True),
    ({"StringLike": {"aws:UserAgent": "curl/*"}}, {"aws:UserAgent": "Curl/8.5.0"}, False),  # case-sensitive
    ({"StringLike": {"aws:UserAgent": "curl/?.0"}}, {"aws:UserAgent": "curl/8.0"}, True),
    ({"StringLike": {"aws:UserAgent": "curl/?.0"}}, {"aws:UserAgent": "curl/10.0"}, False),
    ({"StringLike": {"aws:UserAgent": "curl"}}, {"aws:UserAgent": "curl/8"}, False),  # anchored
    ({"StringLike": {"aws:UserAgent": "a.c"}}, {"aws:UserAgent": "abc"}, False),  # `.` is literal
    ({"StringLike": {"aws:UserAgent": "a+(b)[c]{2}|^$"}}, {"aws:UserAgent": "a+(b)[c]{2}|^$"}, True),
    ({"StringLike": {"aws:UserAgent": "*"}}, {"aws:UserAgent": "line\nbreak"}, True),
    ({"StringNotLike": {"aws:UserAgent": ["curl/*", "wget/*"]}}, {"aws:UserAgent": "wget/1"}, False),
    ({"StringNotLike": {"aws:UserAgent": ["curl/*", "wget/*"]}}, {"aws:UserAgent": "python"}, True),
    ({"StringNotLike": {"aws:UserAgent": "curl/*"}}, {}, True),
    ({"StringEquals": {"AWS:SOURCEVPC": "vpc-1"}}, {"aws:sourcevpc": "vpc-1"}, True),  # key names ignore case
]

NUMERIC = [
    ({"NumericEquals": {"k": "10"}}, {"k": "10"}, True),
    ({"NumericEquals": {"k": "10"}}, {"k": "10.0"}, True),
    ({"NumericEquals": {"k": 10}}, {"k": 10}, True),
    ({"NumericNotEquals": {"k": "10"}}, {"k": "11"}, True),
    ({"NumericNotEquals": {"k": ["10", "11"]}}, {"k": "11"}, False),
    ({"NumericNotEquals": {"k": "10"}}, {}, True),
    ({"NumericLessThan": {"k": "10"}}, {"k": "9.5"}, True),
    ({"NumericLessThan": {"k": "10"}}, {"k": "10"}, False),
    ({"NumericLessThanEquals": {"k": "10"}}, {"k": "10"}, True),
    ({"NumericGreaterThan": {"k": "10"}}, {"k": "10"}, False),
    ({"NumericGreaterThan": {"k": "-1"}}, {"k": "0"}, True),
    ({"NumericGreaterThanEquals": {"k": "10"}}, {"k": "10"}, True),
    ({"NumericGreaterThanEquals": {"k": "10"}}, {}, False),
    ({"NumericLessThan": {"k": "10"}}, {"k": "not-a-number"}, False),  # a problem: statement skipped
]

DATE = [
    (
        {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        {"aws:CurrentTime": "2026-11-29T12:00:00Z"},
        True,
    ),
    ({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-11-29T12:00:00Z"}, False),
    (
        {"DateEquals": {"aws:CurrentTime": "2026-11-29T12:00:00Z"}},
        {"aws:CurrentTime": "2026-11-29T13:00:00+01:00"},
        True,
    ),
    ({"DateEquals": {"aws:CurrentTime": "2026-11-29"}}, {"aws:CurrentTime": "2026-11-29T00:00:00Z"}, True),
    ({"DateNotEquals": {"aws:CurrentTime": "2026-11-29"}}, {"aws:CurrentTime": "2026-11-30"}, True),
    ({"DateNotEquals": {"aws:CurrentTime": "2026-11-29"}}, {}, True),
    ({"DateLessThanEquals": {"aws:EpochTime": "1800000000"}}, {"aws:EpochTime": "1800000000"}, True),
    ({"DateGreaterThanEquals": {"aws:CurrentTime": "1764417600"}}, {"aws:CurrentTime": "2025-11-29T12:00:00Z"}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "1764417600"}}, {"aws:CurrentTime": "2025-11-29T12:00:00Z"}, False),
    ({"DateLessThan": {"aws:EpochTime": "2030-01-01T00:00:00Z"}}, {"aws:EpochTime": "1764417600"}, True),
    (
        {"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T12:00:00.500Z"}},
        {"aws:CurrentTime": "2026-11-29T12:00:01Z"},
        True,
    ),
    ({"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}, {}, False),
]

BOOL_BINARY_NULL = [
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": True}, True),
    ({"Bool": {"aws:SecureTransport": "TRUE"}}, {"aws:SecureTransport": "true"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "QmluYXJ5"}, True),
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "QmluYXJZ"}, False),
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {}, False),
    ({"Null": {"aws:SourceVpce": "true"}}, {}, True),
    ({"Null": {"aws:SourceVpce": "true"}}, {"aws:SourceVpce": "vpce-1"}, False),
    ({"Null": {"aws:SourceVpce": "false"}}, {"aws:SourceVpce": "vpce-1"}, True),
    ({"Null": {"aws:SourceVpce": "false"}}, {}, False),
    ({"Null": {"aws:SourceVpce": False}}, {"aws:SourceVpce": "vpce-1"}, True),
    # issue 17: under a set qualifier a missing key is the empty set, and every value is present
    ({"ForAllValues:Null": {"aws:TagKeys": "true"}}, {}, True),
    ({"ForAllValues:Null": {"aws:TagKeys": "false"}}, {}, True),  # was false: the empty set holds
    ({"ForAllValues:Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": ["a", "b"]}, False),
    ({"ForAllValues:Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": ["a", "b"]}, True),
    ({"ForAnyValue:Null": {"aws:TagKeys": "true"}}, {}, False),  # was true: the empty set never holds
    ({"ForAnyValue:Null": {"aws:TagKeys": "false"}}, {}, False),
    ({"ForAnyValue:Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": ["a"]}, False),
    ({"ForAnyValue:Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": ["a"]}, True),
    ({"ForAnyValue:Null": {"aws:TagKeys": ["true", "false"]}}, {"aws:TagKeys": ["a"]}, True),
    ({"ForAllValues:Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": []}, True),  # empty list: empty set
]

IP = [
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.77"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.114.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.5"}, True),  # bare = /32
    ({"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.6"}, False),
    ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}, {"aws:SourceIp": "192.0.2.1"}, True),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, False),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "8.8.8.8"}, True),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "2001:db8::1"}, False),  # v4 range, v6 caller
    ({"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, {"aws:SourceIp": "2001:db8:1234:5678::9"}, True),
    ({"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, {"aws:SourceIp": "2001:db8:1234:5679::9"}, False),
    ({"IpAddress": {"aws:SourceIp": "::1"}}, {"aws:SourceIp": "::1"}, True),  # bare v6 = /128
    ({"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "127.0.0.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "::ffff:127.0.0.9"}, True),  # v4-mapped
    ({"IpAddress": {"aws:SourceIp": "10.0.0.1/8"}}, {"aws:SourceIp": "10.9.9.9"}, True),  # host bits ignored
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "11.0.0.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "11.0.0.0/8"]}}, {"aws:SourceIp": "11.0.0.1"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),  # the private-API trap
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "not-an-ip"}, False),
]

ARNS = [
    (
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Dev"}},
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Dev"},
        True,
    ),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Dev*"}},
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/DevOps"},
        True,
    ),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Dev"}},
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dev"},
        False,
    ),  # case-sensitive
    # `*` in a segment does not cross `:` (StringLike would match here)
    (
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:bucket"}},
        {"aws:SourceArn": "arn:aws:s3:us-east-1:123:bucket"},
        False,
    ),
    (
        {"StringLike": {"aws:SourceArn": "arn:aws:s3:*:bucket"}},
        {"aws:SourceArn": "arn:aws:s3:us-east-1:123:bucket"},
        True,
    ),
    (
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}},
        {"aws:SourceArn": "arn:aws:sns:eu-west-1:1:topic"},
        True,
    ),
    (
        {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/A"}},
        {"aws:PrincipalArn": "arn:aws:iam::1:role/B"},
        True,
    ),
    (
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}},
        {"aws:PrincipalArn": "arn:aws:iam::1:role/B"},
        False,
    ),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}}, {}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}}, {}, False),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}}, {"aws:PrincipalArn": "not-an-arn"}, False),
]

IF_EXISTS = [
    ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {}, True),
    ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-2"}, False),
    ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-1"}, True),
    ({"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {}, True),
    ({"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}, {"aws:SourceVpc": "vpc-1"}, False),
    ({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "11.0.0.1"}, False),
    ({"NumericLessThanIfExists": {"k": "3"}}, {}, True),
    ({"DateLessThanIfExists": {"k": "2020-01-01"}}, {}, True),
    ({"BoolIfExists": {"aws:SecureTransport": "true"}}, {}, True),
    ({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}, {}, True),
]

SETS = [
    ({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x", "b"]}, True),
    ({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x", "y"]}, False),
    ({"ForAnyValue:StringEquals": {"tags": ["a"]}}, {}, False),  # missing -> false
    ({"ForAnyValue:StringEquals": {"tags": ["a"]}}, {"tags": []}, False),  # empty -> false
    ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "b"]}, True),
    ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "c"]}, False),
    ({"ForAllValues:StringEquals": {"tags": ["a"]}}, {}, True),  # missing -> true
    ({"ForAllValues:StringEquals": {"tags": ["a"]}}, {"tags": []}, True),  # empty -> true
    ({"ForAllValues:StringLike": {"tags": ["team-*"]}}, {"tags": ["team-a", "team-b"]}, True),
    ({"ForAnyValue:StringNotEquals": {"tags": ["a"]}}, {"tags": ["a", "b"]}, True),  # b differs
    ({"ForAnyValue:StringNotEquals": {"tags": ["a"]}}, {"tags": ["a"]}, False),
    ({"ForAllValues:StringNotEquals": {"tags": ["a"]}}, {"tags": ["b", "c"]}, True),
    ({"ForAllValues:StringNotEquals": {"tags": ["a"]}}, {"tags": ["b", "a"]}, False),
    ({"ForAnyValue:StringEqualsIfExists": {"tags": ["a"]}}, {}, True),
    ({"ForAnyValue:IpAddress": {"ips": ["10.0.0.0/8"]}}, {"ips": ["11.0.0.1", "10.1.1.1"]}, True),
    ({"ForAllValues:NumericLessThan": {"n": "5"}}, {"n": ["1", "4"]}, True),
    ({"ForAllValues:NumericLessThan": {"n": "5"}}, {"n": ["1", "6"]}, False),
    # no qualifier with a multi-valued request: any value may match; negated: none may
    ({"StringEquals": {"tags": "a"}}, {"tags": ["b", "a"]}, True),
    ({"StringNotEquals": {"tags": "a"}}, {"tags": ["b", "a"]}, False),
]

LOGIC = [
    # AND across keys and across operators
    ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True),
    ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
    (
        {"StringEquals": {"a": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"a": "1", "aws:SourceIp": "10.0.0.1"},
        True,
    ),
    (
        {"StringEquals": {"a": "1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"a": "1", "aws:SourceIp": "9.0.0.1"},
        False,
    ),
    ({}, {}, True),
]


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    STRING + NUMERIC + DATE + BOOL_BINARY_NULL + IP + ARNS + IF_EXISTS + SETS + LOGIC,
)
def test_operator_table(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert holds(condition, context) is expected


def test_every_operator_has_a_row() -> None:
    from gatewaysim.policy.operators import OPERATORS

    rows = STRING + NUMERIC + DATE + BOOL_BINARY_NULL + IP + ARNS + IF_EXISTS + SETS
    used = {name.split(":")[-1].removesuffix("IfExists") for condition, _, _ in rows for name in condition}
    assert set(OPERATORS) <= used


def test_evaluation_problem_is_recorded_and_statement_skipped() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NumericLessThan": {"k": "3"}},
        },
    }
    decision = evaluate(policy, {"principal": "anonymous", "resource": ARN, "context": {"k": "many"}})
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.problems == ("Statement[0]: NumericLessThan k: request value `many` is not a number",)


def test_failed_condition_names_key_and_value() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}, "Bool": {"aws:SecureTransport": "true"}},
        },
    }
    decision = evaluate(policy, {"resource": ARN, "context": {"aws:SourceVpc": "vpc-9", "aws:SecureTransport": "true"}})
    (trace,) = decision.trace
    assert (trace.failed, trace.key, trace.seen) == ("Condition", "aws:SourceVpc", ("vpc-9",))
    assert trace.reason == "StringEquals aws:SourceVpc: request has `vpc-9`"
