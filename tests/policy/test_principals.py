"""Principal and NotPrincipal matching, and the principal keys derived from the caller."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.policy import Outcome, Request, evaluate

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets"
ROLE_SESSION = "arn:aws:sts::999888777666:assumed-role/PartnerIntegrationRole/session-1"


def applies(principal_element: Any, caller: str, *, negated: bool = False) -> bool:
    key = "NotPrincipal" if negated else "Principal"
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", key: principal_element, "Action": "execute-api:Invoke", "Resource": "*"},
    }
    return evaluate(policy, {"principal": caller, "resource": ARN}).outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("element", "caller", "expected"),
    [
        ("*", "anonymous", True),
        ({"AWS": "*"}, "anonymous", True),
        ({"AWS": "*"}, "arn:aws:iam::111122223333:user/bob", True),
        ({"AWS": "123456789012"}, "arn:aws:iam::123456789012:user/bob", True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:iam::123456789012:user/bob", True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:sts::123456789012:assumed-role/R/s", True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:iam::123456789012:root", True),
        ({"AWS": "123456789012"}, "123456789012", True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:iam::999999999999:user/bob", False),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "anonymous", False),
        ({"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"}, ROLE_SESSION, True),
        (
            {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
            "arn:aws:sts::999888777666:assumed-role/OtherRole/session-1",
            False,
        ),
        (
            {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
            "arn:aws:sts::111111111111:assumed-role/PartnerIntegrationRole/s",
            False,
        ),
        ({"AWS": "arn:aws:iam::999888777666:role/team/PartnerIntegrationRole"}, ROLE_SESSION, True),  # role path
        (
            {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
            "arn:aws:iam::999888777666:role/PartnerIntegrationRole",
            True,
        ),
        ({"AWS": ROLE_SESSION}, ROLE_SESSION, True),
        ({"AWS": ROLE_SESSION}, "arn:aws:sts::999888777666:assumed-role/PartnerIntegrationRole/session-2", False),
        ({"AWS": "arn:aws:iam::111122223333:user/Bob"}, "arn:aws:iam::111122223333:user/Bob", True),
        ({"AWS": "arn:aws:iam::111122223333:user/Bob"}, "arn:aws:iam::111122223333:user/bob", False),
        (
            {"AWS": "arn:aws:sts::111122223333:federated-user/carol"},
            "arn:aws:sts::111122223333:federated-user/carol",
            True,
        ),
        ({"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", True),
        ({"Service": "lambda.amazonaws.com"}, "anonymous", False),
        ({"Federated": "cognito-identity.amazonaws.com"}, "cognito-identity.amazonaws.com", True),
        ({"AWS": ["111111111111", "arn:aws:iam::222222222222:root"]}, "arn:aws:iam::222222222222:user/x", True),
        ({"AWS": ["111111111111", "arn:aws:iam::222222222222:root"]}, "arn:aws:iam::333333333333:user/x", False),
    ],
)
def test_principal(element: Any, caller: str, expected: bool) -> None:
    assert applies(element, caller) is expected


@pytest.mark.parametrize(
    ("element", "caller", "expected"),
    [
        ({"AWS": "arn:aws:iam::123456789012:root"}, "anonymous", True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, "arn:aws:iam::123456789012:user/x", False),
        ({"AWS": "arn:aws:iam::123456789012:role/Admin"}, "arn:aws:sts::123456789012:assumed-role/Admin/s", False),
        ({"AWS": "arn:aws:iam::123456789012:role/Admin"}, "arn:aws:sts::123456789012:assumed-role/Dev/s", True),
    ],
)
def test_not_principal(element: Any, caller: str, expected: bool) -> None:
    assert applies(element, caller, negated=True) is expected


@pytest.mark.parametrize(
    ("principal", "keys"),
    [
        ("anonymous", {}),
        (
            "arn:aws:iam::111122223333:user/dev/bob",
            {
                "aws:principalarn": ("arn:aws:iam::111122223333:user/dev/bob",),
                "aws:principalaccount": ("111122223333",),
                "aws:principaltype": ("User",),
                "aws:username": ("bob",),
            },
        ),
        (
            ROLE_SESSION,
            {
                "aws:principalarn": ("arn:aws:iam::999888777666:role/PartnerIntegrationRole",),
                "aws:principalaccount": ("999888777666",),
                "aws:principaltype": ("AssumedRole",),
            },
        ),
        (
            "arn:aws:iam::111122223333:root",
            {
                "aws:principalarn": ("arn:aws:iam::111122223333:root",),
                "aws:principalaccount": ("111122223333",),
                "aws:principaltype": ("Account",),
                "aws:userid": ("111122223333",),
            },
        ),
        (
            "arn:aws:sts::111122223333:federated-user/carol",
            {
                "aws:principalarn": ("arn:aws:sts::111122223333:federated-user/carol",),
                "aws:principalaccount": ("111122223333",),
                "aws:principaltype": ("FederatedUser",),
                "aws:userid": ("111122223333:carol",),
            },
        ),
    ],
)
def test_principal_keys_are_derived(principal: str, keys: dict[str, tuple[str, ...]]) -> None:
    assert dict(Request.from_mapping({"principal": principal, "resource": ARN}).context) == keys


def test_given_context_keys_win_over_derived_ones() -> None:
    request = Request.from_mapping(
        {
            "principal": ROLE_SESSION,
            "resource": ARN,
            "context": {"aws:PrincipalArn": "arn:aws:iam::999888777666:role/x/Y"},
        }
    )
    assert request.context["aws:principalarn"] == ("arn:aws:iam::999888777666:role/x/Y",)


def test_principal_arn_condition_on_role_session() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"}},
        },
    }
    assert evaluate(policy, {"principal": ROLE_SESSION, "resource": ARN}).outcome is Outcome.ALLOW
    assert evaluate(policy, {"principal": "anonymous", "resource": ARN}).outcome is Outcome.IMPLICIT_DENY
