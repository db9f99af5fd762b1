"""execute-api ARNs: the method ARN carries the real path; messages mask account ids."""

from __future__ import annotations

import pytest

from gatewaysim.arn import api_arn, mask_account, mask_arn, method_arn

BASE = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def test_api_arn() -> None:
    assert api_arn("us-east-1", "123456789012", "abcdef1234") == BASE
    assert api_arn("cn-north-1", "123456789012", "x", "aws-cn") == "arn:aws-cn:execute-api:cn-north-1:123456789012:x"


@pytest.mark.parametrize(
    ("stage", "method", "path", "expected"),
    [
        ("prod", "GET", "/", f"{BASE}/prod/GET/"),  # the root keeps its trailing slash (spec 1.2)
        ("prod", "GET", "/pets", f"{BASE}/prod/GET/pets"),
        ("dev", "POST", "/pets/a1b2/toys", f"{BASE}/dev/POST/pets/a1b2/toys"),
        ("prod", "DELETE", "/a%20b", f"{BASE}/prod/DELETE/a%20b"),
    ],
)
def test_method_arn(stage: str, method: str, path: str, expected: str) -> None:
    assert method_arn(BASE, stage, method, path) == expected


def test_mask_account() -> None:
    assert mask_account("123456789012") == "********9012"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{BASE}/prod/GET/pets", "arn:aws:execute-api:us-east-1:********9012:abcdef1234/prod/GET/pets"),
        (
            "arn:aws:sts::123455555355:assumed-role/Role/session",
            "arn:aws:sts::********5355:assumed-role/Role/session",
        ),
        ("arn:aws:iam::999888777666:user/bob", "arn:aws:iam::********7666:user/bob"),
        ("anonymous", "anonymous"),
        ("arn:aws:iam::12345:user/short", "arn:aws:iam::12345:user/short"),  # not an account id
        # only the account segment is masked, never digits in the resource part
        ("arn:aws:iam::111111111111:role/222222222222", "arn:aws:iam::********1111:role/222222222222"),
    ],
)
def test_mask_arn(value: str, expected: str) -> None:
    assert mask_arn(value) == expected
