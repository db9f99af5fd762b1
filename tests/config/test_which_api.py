"""Which API a lone policy belongs to: flags, then the policy's ARNs, then serve's defaults."""

from __future__ import annotations

from typing import Any

import pytest

from gatewaysim.config.which_api import FROM_DEFAULT, FROM_POLICY, choose_api


def policy(*resources: str) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": list(resources)}
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(
    ("resources", "flags", "expected"),
    [
        # every part from the ARNs
        (
            ["arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/dev/GET/*"],
            {},
            ("a1b2c3", "111122223333", "eu-west-1", "dev", FROM_POLICY, FROM_POLICY),
        ),
        # the value most ARNs name wins; wildcards name nothing
        (
            [
                "arn:aws:execute-api:*:111122223333:a1b2c3/*/GET/*",
                "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/GET/x",
                "arn:aws:execute-api:eu-west-1:444455556666:zzz/prod/GET/y",
            ],
            {},
            ("a1b2c3", "111122223333", "eu-west-1", "prod", FROM_POLICY, FROM_POLICY),
        ),
        # shorthand: only the stage; the rest is serve's default
        (
            ["execute-api:/beta/GET/*"],
            {},
            ("abcdef1234", "123456789012", "us-east-1", "beta", FROM_DEFAULT, FROM_POLICY),
        ),
        (["*"], {}, ("abcdef1234", "123456789012", "us-east-1", "prod", FROM_DEFAULT, FROM_DEFAULT)),
        # a flag wins over the ARNs
        (
            ["arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/dev/GET/*"],
            {"api_id": "other", "stage": "qa"},
            ("other", "111122223333", "eu-west-1", "qa", "--api-id", "--stage"),
        ),
    ],
)
def test_choose_api(resources: list[str], flags: dict[str, str], expected: tuple[str, ...]) -> None:
    choice = choose_api(policy(*resources), **flags)
    api_id, account, region, stage, api_source, stage_source = expected
    assert (choice.api_id, choice.account, choice.region, choice.stage) == (api_id, account, region, stage)
    assert (choice.sources["api"], choice.sources["stage"]) == (api_source, stage_source)


def test_an_unparsable_policy_gives_the_defaults() -> None:
    choice = choose_api("{not json")
    assert (choice.api_id, choice.guessed) == ("abcdef1234", True)


def test_method_arn_and_describe() -> None:
    choice = choose_api(policy("arn:aws-cn:execute-api:cn-north-1:111122223333:a1b2c3/dev/*"))
    assert choice.method_arn("GET", "/pets/1") == "arn:aws-cn:execute-api:cn-north-1:111122223333:a1b2c3/dev/GET/pets/1"
    assert choice.method_arn("GET", "/") == "arn:aws-cn:execute-api:cn-north-1:111122223333:a1b2c3/dev/GET/"
    assert choice.describe() == (
        "api `a1b2c3` (the policy's ARNs), account `111122223333` (the policy's ARNs),"
        " region `cn-north-1` (the policy's ARNs)"
    )
