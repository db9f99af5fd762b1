"""The decision order, the Decision object, and the engine's purity."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gatewaysim.policy import Outcome, PolicyError, Request, compile_policy, evaluate

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
ALLOW_ALL = {
    "Sid": "AllowAll",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "execute-api:Invoke",
    "Resource": f"{API}/*",
}
DENY_ACCOUNT = {
    "Sid": "DenyAccount",
    "Effect": "Deny",
    "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
    "Action": "execute-api:Invoke",
    "Resource": f"{API}/*/*/*",
}


def test_explicit_deny_beats_allow() -> None:
    policy = {"Version": "2012-10-17", "Statement": [ALLOW_ALL, DENY_ACCOUNT]}
    denied = evaluate(policy, {"principal": "arn:aws:iam::999999999999:user/eve", "resource": f"{API}/prod/GET/x"})
    assert denied.outcome is Outcome.EXPLICIT_DENY
    assert [(r.index, r.sid) for r in denied.deciding] == [(1, "DenyAccount")]
    assert denied.explain() == "ExplicitDeny: denied by Statement[1] (DenyAccount)"
    allowed = evaluate(policy, {"principal": "arn:aws:iam::111111111111:user/ann", "resource": f"{API}/prod/GET/x"})
    assert allowed.outcome is Outcome.ALLOW and allowed.allowed
    assert [(r.index, r.sid) for r in allowed.deciding] == [(0, "AllowAll")]


def test_implicit_deny_when_nothing_applies() -> None:
    decision = evaluate({"Version": "2012-10-17", "Statement": [DENY_ACCOUNT]}, {"resource": f"{API}/prod/GET/x"})
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.deciding == ()
    (trace,) = decision.trace
    assert (trace.failed, trace.seen, trace.reason) == (
        "Principal",
        ("anonymous",),
        "Principal does not match `anonymous`",
    )


def test_empty_policy_is_implicit_deny() -> None:
    assert evaluate({"Version": "2012-10-17", "Statement": []}, {"resource": API}).outcome is Outcome.IMPLICIT_DENY


def test_every_applying_statement_is_named() -> None:
    policy = {"Version": "2012-10-17", "Statement": [ALLOW_ALL, {**ALLOW_ALL, "Sid": "Again"}]}
    decision = evaluate(policy, {"resource": f"{API}/prod/GET/x"})
    assert [r.sid for r in decision.deciding] == ["AllowAll", "Again"]


def test_outcome_is_a_string_enum_and_to_dict_is_json() -> None:
    decision = evaluate({"Version": "2012-10-17", "Statement": [ALLOW_ALL]}, {"resource": f"{API}/prod/GET/x"})
    assert decision.outcome == "Allow"
    payload = json.loads(json.dumps(decision.to_dict()))
    assert payload["decision"] == "Allow"
    assert payload["statements"][0]["applies"] is True


def test_action_element_failure_is_traced() -> None:
    decision = evaluate(
        {"Version": "2012-10-17", "Statement": [ALLOW_ALL]},
        {"resource": f"{API}/prod/GET/x", "action": "execute-api:InvalidateCache"},
    )
    assert decision.trace[0].failed == "Action"


def test_resource_element_failure_is_traced() -> None:
    decision = evaluate(
        {"Version": "2012-10-17", "Statement": [ALLOW_ALL]},
        {"resource": "arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/x"},
    )
    assert decision.trace[0].failed == "Resource"
    assert decision.trace[0].seen == ("arn:aws:execute-api:us-east-1:123456789012:other/prod/GET/x",)


def test_general_resource_policies_from_other_services() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "111122223333"},
            "Action": "s3:Get*",
            "Resource": "arn:aws:s3:::bucket/*",
        },
    }
    request = {
        "principal": "arn:aws:iam::111122223333:user/u",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/a/b.txt",
    }
    assert evaluate(policy, request).outcome is Outcome.ALLOW


def test_evaluate_accepts_document_text_parsed_and_compiled_policies() -> None:
    doc = {"Version": "2012-10-17", "Statement": {**ALLOW_ALL, "Resource": "execute-api:/*"}}
    request = {"resource": f"{API}/prod/GET/x"}
    compiled = compile_policy(doc, api_arn=API)
    for policy in (doc, json.dumps(doc), compiled.policy, compiled):
        assert evaluate(policy, request).outcome is Outcome.ALLOW
    assert compiled.evaluate(Request.from_mapping(request)).outcome is Outcome.ALLOW
    assert compiled.evaluate(request).outcome is Outcome.ALLOW


def test_context_values_may_be_strings_lists_numbers_or_booleans() -> None:
    request = Request.from_mapping({"resource": API, "context": {"A": "x", "b": ["1", 2], "c": True, "d": None}})
    assert dict(request.context) == {"a": ("x",), "b": ("1", "2"), "c": ("true",)}


def test_policy_package_imports_neither_aiohttp_nor_asyncio() -> None:
    code = (
        "import sys, gatewaysim.policy as p; "
        "p.evaluate({'Version':'2012-10-17','Statement':[]}, {'resource':'*'}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp','asyncio')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_statement_without_principal_never_applies_to_everybody() -> None:
    """Issue 17: `evaluate` used to apply a Principal-less statement to every caller. A resource
    policy must name who it applies to (API Gateway refuses it otherwise); an identity policy
    (a Lambda authorizer's answer) compiled as such still applies to its caller."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{API}/*"}],
    }
    request = {"principal": "anonymous", "resource": f"{API}/prod/GET/x"}
    with pytest.raises(PolicyError) as info:
        evaluate(document, request)
    assert str(info.value) == "policy: Statement[0]: needs `Principal` or `NotPrincipal`"
    identity = compile_policy(document)  # require_principal=False: an identity policy
    assert evaluate(identity, request).outcome is Outcome.ALLOW
