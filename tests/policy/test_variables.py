"""Policy variables in Resource and String/ARN conditions, defaults, escapes and the literal rule."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.policy import Outcome, evaluate

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def decide(statement: dict[str, Any], request: dict[str, Any], version: str = "2012-10-17") -> Outcome:
    base = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    base.update(statement)
    base = {key: value for key, value in base.items() if value is not None}
    return evaluate({"Version": version, "Statement": base}, request).outcome


USER = "arn:aws:iam::111122223333:user/alice"


@pytest.mark.parametrize(
    ("statement", "request_", "expected"),
    [
        (
            {"Resource": f"{API}/prod/GET/users/${{aws:username}}/*"},
            {"principal": USER, "resource": f"{API}/prod/GET/users/alice/profile"},
            Outcome.ALLOW,
        ),
        (
            {"Resource": f"{API}/prod/GET/users/${{aws:username}}/*"},
            {"principal": USER, "resource": f"{API}/prod/GET/users/bob/profile"},
            Outcome.IMPLICIT_DENY,
        ),
        # an absent variable makes a Resource pattern match nothing
        (
            {"Resource": f"{API}/prod/GET/users/${{aws:username}}/*"},
            {"principal": "anonymous", "resource": f"{API}/prod/GET/users//profile"},
            Outcome.IMPLICIT_DENY,
        ),
        # ... and a NotResource pattern therefore excludes nothing
        (
            {"Resource": None, "NotResource": f"{API}/prod/GET/users/${{aws:username}}/*"},
            {"principal": "anonymous", "resource": f"{API}/prod/GET/users/x/profile"},
            Outcome.ALLOW,
        ),
        # variable names are case-insensitive
        (
            {"Resource": f"{API}/prod/GET/users/${{AWS:UserName}}"},
            {"principal": USER, "resource": f"{API}/prod/GET/users/alice"},
            Outcome.ALLOW,
        ),
        # default values
        (
            {"Resource": f"{API}/prod/GET/${{aws:PrincipalTag/team, 'shared'}}/*"},
            {"principal": USER, "resource": f"{API}/prod/GET/shared/x"},
            Outcome.ALLOW,
        ),
        (
            {"Resource": f"{API}/prod/GET/${{aws:PrincipalTag/team, 'shared'}}/*"},
            {"principal": USER, "resource": f"{API}/prod/GET/red/x", "context": {"aws:PrincipalTag/team": "red"}},
            Outcome.ALLOW,
        ),
        (
            {"Resource": f"{API}/prod/GET/${{aws:PrincipalTag/team, 'shared'}}/*"},
            {"principal": USER, "resource": f"{API}/prod/GET/shared/x", "context": {"aws:PrincipalTag/team": "red"}},
            Outcome.IMPLICIT_DENY,
        ),
        # SECURITY: a substituted value is literal text, never a wildcard
        (
            {"Resource": f"{API}/prod/GET/${{aws:PrincipalTag/team}}"},
            {"resource": f"{API}/prod/GET/anything", "context": {"aws:PrincipalTag/team": "*"}},
            Outcome.IMPLICIT_DENY,
        ),
        (
            {"Condition": {"StringLike": {"aws:Referer": "${aws:UserAgent}"}}},
            {"resource": API, "context": {"aws:UserAgent": "*", "aws:Referer": "https://x"}},
            Outcome.IMPLICIT_DENY,
        ),
        (
            {"Condition": {"StringLike": {"aws:Referer": "${aws:UserAgent}"}}},
            {"resource": API, "context": {"aws:UserAgent": "*", "aws:Referer": "*"}},
            Outcome.ALLOW,
        ),
        # String conditions: absent variable -> Equals/Like false, NotEquals/NotLike true
        (
            {"Condition": {"StringEquals": {"aws:SourceVpce": "${aws:SourceVpc}"}}},
            {"resource": API, "context": {"aws:SourceVpce": "x"}},
            Outcome.IMPLICIT_DENY,
        ),
        (
            {"Condition": {"StringNotEquals": {"aws:SourceVpce": "${aws:SourceVpc}"}}},
            {"resource": API, "context": {"aws:SourceVpce": "x"}},
            Outcome.ALLOW,
        ),
        (
            {"Condition": {"StringNotLike": {"aws:SourceVpce": "${aws:SourceVpc}*"}}},
            {"resource": API, "context": {"aws:SourceVpce": "x"}},
            Outcome.ALLOW,
        ),
        (
            {"Condition": {"StringEquals": {"aws:SourceVpce": "${aws:SourceVpc}"}}},
            {"resource": API, "context": {"aws:SourceVpce": "vpc-1", "aws:SourceVpc": "vpc-1"}},
            Outcome.ALLOW,
        ),
        (
            {"Condition": {"StringLike": {"aws:UserAgent": "${aws:username}-*"}}},
            {"principal": USER, "resource": API, "context": {"aws:UserAgent": "alice-cli"}},
            Outcome.ALLOW,
        ),
        # ARN conditions accept variables too
        (
            {"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:PrincipalAccount}:*"}}},
            {"principal": USER, "resource": API, "context": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}},
            Outcome.ALLOW,
        ),
        # multi-valued keys cannot be variables
        (
            {"Condition": {"StringEquals": {"k": "${aws:TagKeys}"}}},
            {"resource": API, "context": {"k": "a", "aws:TagKeys": ["a", "b"]}},
            Outcome.IMPLICIT_DENY,
        ),
        # escapes inside conditions
        ({"Condition": {"StringLike": {"k": "a${*}"}}}, {"resource": API, "context": {"k": "a*"}}, Outcome.ALLOW),
        (
            {"Condition": {"StringLike": {"k": "a${*}"}}},
            {"resource": API, "context": {"k": "abc"}},
            Outcome.IMPLICIT_DENY,
        ),
        ({"Condition": {"StringEquals": {"k": "${$}{x}"}}}, {"resource": API, "context": {"k": "${x}"}}, Outcome.ALLOW),
    ],
)
def test_variables(statement: dict[str, Any], request_: dict[str, Any], expected: Outcome) -> None:
    assert decide(statement, request_) is expected


def test_variables_are_plain_text_in_version_2008() -> None:
    statement = {"Condition": {"StringEquals": {"k": "${aws:username}"}}}
    assert decide(statement, {"resource": API, "context": {"k": "${aws:username}"}}, "2008-10-17") is Outcome.ALLOW
    assert decide(statement, {"principal": USER, "resource": API, "context": {"k": "alice"}}, "2008-10-17") is (
        Outcome.IMPLICIT_DENY
    )
