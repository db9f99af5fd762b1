"""The attached policy: compiled once, the document kept as AWS stores it; and the live modules' names."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest

from gatewaysim.config.load import ApiSettings, build_settings
from gatewaysim.errors import PolicyError
from gatewaysim.gateway.attached import attach_policy, attached_from_settings, expand_shorthand
from gatewaysim.policy import compile_policy

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"


def test_expand_shorthand_in_every_resource_form() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Resource": "execute-api:/prod/GET/*"},
            {"Effect": "Deny", "NotResource": ["execute-api:/*", "arn:aws:execute-api:*:*:*", "*"]},
        ],
    }
    assert expand_shorthand(document, API)["Statement"] == [
        {"Effect": "Allow", "Resource": f"{API}/prod/GET/*"},
        {"Effect": "Deny", "NotResource": [f"{API}/*", "arn:aws:execute-api:*:*:*", "*"]},
    ]
    assert document["Statement"][0]["Resource"] == "execute-api:/prod/GET/*"  # the input is not changed
    one = {"Statement": {"Effect": "Allow", "Resource": "execute-api:/*"}}
    assert expand_shorthand(one, API) == {"Statement": {"Effect": "Allow", "Resource": f"{API}/*"}}


def test_attach_compiles_and_keeps_the_document() -> None:
    text = (
        "Version: '2012-10-17'\n"
        "Statement: [{Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: execute-api:/*}]"
    )
    attached = attach_policy(text, api_arn=API, source="test")
    assert attached.document["Statement"][0]["Resource"] == f"{API}/*"
    assert json.loads(attached.text()) == attached.document
    assert attached.compiled.evaluate({"principal": "anonymous", "resource": f"{API}/prod/GET/x"}).allowed


def test_attach_refuses_a_bad_policy_with_located_problems() -> None:
    with pytest.raises(PolicyError) as caught:
        attach_policy({"Statement": [{"Effect": "Allow"}]}, api_arn=API, source="test")
    assert caught.value.render().splitlines() == [
        "policy: Statement[0]: needs `Principal` or `NotPrincipal`",  # a resource policy names who (issue 17)
        "policy: Statement[0]: needs `Action` or `NotAction`",
        "policy: Statement[0]: needs `Resource` or `NotResource`",
    ]


def test_from_settings_reuses_the_compiled_policy() -> None:
    (api,) = build_settings(
        {"api": {"policy": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}}}
    ).apis
    attached = attached_from_settings(api)
    assert attached is not None and attached.compiled is api.policy and attached.source == "inline policy"
    assert attached_from_settings(ApiSettings()) is None


def test_from_hand_built_settings_reads_the_file_back(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text('{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}')
    api = ApiSettings(policy=compile_policy(file.read_text()), policy_source=str(file))
    attached = attached_from_settings(api)
    assert attached is not None and attached.document["Statement"][0]["Effect"] == "Allow"


MODULES = [
    "gatewaysim.gateway.admin",
    "gatewaysim.gateway.admin_client",
    "gatewaysim.gateway.attached",
    "gatewaysim.observe.decisions",
    "gatewaysim.config.live",
    "gatewaysim.cli.policy",
    "gatewaysim.gateway.reload",
    "gatewaysim.cli.test",
    "gatewaysim.scenarios.http",
    "gatewaysim.scenarios.report",
]


@pytest.mark.parametrize("module", MODULES)
def test_public_names_exist_and_are_documented(module: str) -> None:
    mod = importlib.import_module(module)
    assert all(hasattr(mod, name) for name in mod.__all__)
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        value = getattr(mod, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, f"{module}.{name} has no docstring"
