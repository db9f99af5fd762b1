"""AWS's authorization workflow: pre-authorizer deny check, Tables A/B (spec 2.e), the 403 texts."""

from __future__ import annotations

import pytest

from gatewaysim.authorizers.base import (
    AuthorizerColumn,
    AuthorizerResult,
    AuthType,
    NoneAuthorizer,
    configuration_error,
    unauthorized,
)
from gatewaysim.gateway.authorize import tables as flow
from gatewaysim.gateway.authorize.tables import FlowSettings, Rule, combine, decide, pre_authorizer_check
from gatewaysim.policy import Outcome

ARN = "arn:aws:execute-api:us-west-2:123456789012:vd2gh6uqw3/api/GET/pets/1"
MASKED_ARN = "arn:aws:execute-api:us-west-2:********9012:vd2gh6uqw3/api/GET/pets/1"
IAM_USER = "arn:aws:iam::123456789012:user/ann"
OTHER_ACCOUNT_USER = "arn:aws:sts::999988885355:assumed-role/partner/session"

# The policy outcome that gives each resource-policy column.
POLICY = {"Allow": Outcome.ALLOW, "neither": Outcome.IMPLICIT_DENY, "Deny": Outcome.EXPLICIT_DENY}
RESULT = {"Allow": Outcome.ALLOW, "Implicit Deny": Outcome.IMPLICIT_DENY, "Explicit Deny": Outcome.EXPLICIT_DENY}

# Spec 2.e Table A, row by row: (authorizer/IAM column, resource policy column, result).
TABLE_A_ROWS = [
    ("Allow", "Allow", "Allow"),
    ("Allow", "neither", "Allow"),
    ("Allow", "Deny", "Explicit Deny"),
    ("neither", "Allow", "Allow"),
    ("neither", "neither", "Implicit Deny"),
    ("neither", "Deny", "Explicit Deny"),
    ("Deny", "Allow", "Explicit Deny"),
    ("Deny", "neither", "Explicit Deny"),
    ("Deny", "Deny", "Explicit Deny"),
]

# Spec 2.e Table B (caller in another account): both must allow.
TABLE_B_ROWS = [
    ("Allow", "Allow", "Allow"),
    ("Allow", "neither", "Implicit Deny"),
    ("Allow", "Deny", "Explicit Deny"),
    ("neither", "Allow", "Implicit Deny"),
    ("neither", "neither", "Implicit Deny"),
    ("neither", "Deny", "Explicit Deny"),
    ("Deny", "Allow", "Explicit Deny"),
    ("Deny", "neither", "Explicit Deny"),
    ("Deny", "Deny", "Explicit Deny"),
]


def _policy_text(caller: str, explicit: bool) -> str:
    suffix = " with an explicit deny" if explicit else ""
    return f"User: {caller} is not authorized to perform: execute-api:Invoke on resource: {MASKED_ARN}{suffix}"


def test_tables_cover_every_row_exactly() -> None:
    assert len(flow.TABLE_A) == len(flow.TABLE_B) == 9
    assert {(a.value, p.value): o for (a, p), o in flow.TABLE_A.items()} == {
        (a, p): RESULT[r] for a, p, r in TABLE_A_ROWS
    }
    assert {(a.value, p.value): o for (a, p), o in flow.TABLE_B.items()} == {
        (a, p): RESULT[r] for a, p, r in TABLE_B_ROWS
    }


@pytest.mark.parametrize(("authorizer", "policy", "expected"), TABLE_A_ROWS)
def test_table_a_lambda_authorizer(authorizer: str, policy: str, expected: str) -> None:
    verdict = combine(AuthType.CUSTOM, AuthorizerColumn(authorizer), POLICY[policy], method_arn=ARN)
    assert verdict.outcome is RESULT[expected]
    assert verdict.rule is Rule.TABLE_A
    assert verdict.row == (authorizer, policy)
    assert verdict.allowed is (expected == "Allow")
    assert (verdict.response is None) is (expected == "Allow")


@pytest.mark.parametrize(("authorizer", "policy", "expected"), TABLE_A_ROWS)
def test_table_a_iam_same_account(authorizer: str, policy: str, expected: str) -> None:
    verdict = combine(
        AuthType.AWS_IAM, AuthorizerColumn(authorizer), POLICY[policy], True, method_arn=ARN, caller=IAM_USER
    )
    assert (verdict.outcome, verdict.rule) == (RESULT[expected], Rule.TABLE_A)
    if expected != "Allow":
        assert verdict.response is not None
        assert verdict.response.message == _policy_text("arn:aws:iam::********9012:user/ann", "Explicit" in expected)


@pytest.mark.parametrize(("authorizer", "policy", "expected"), TABLE_B_ROWS)
def test_table_b_iam_cross_account(authorizer: str, policy: str, expected: str) -> None:
    verdict = combine(
        AuthType.AWS_IAM, AuthorizerColumn(authorizer), POLICY[policy], False, method_arn=ARN, caller=OTHER_ACCOUNT_USER
    )
    assert (verdict.outcome, verdict.rule, verdict.row) == (RESULT[expected], Rule.TABLE_B, (authorizer, policy))
    if expected != "Allow":
        assert verdict.response is not None
        assert verdict.response.status == 403
        assert verdict.response.response_type == "ACCESS_DENIED"
        assert verdict.response.error_type == "AccessDeniedException"
        caller = "arn:aws:sts::********5355:assumed-role/partner/session"
        assert verdict.response.message == _policy_text(caller, "Explicit" in expected)


# Which 403 text a Lambda-authorizer method sends for each deny row of Table A.
LAMBDA_TEXTS = [
    ("Allow", "Deny", _policy_text("anonymous", True)),
    ("neither", "neither", "User is not authorized to access this resource"),
    ("neither", "Deny", _policy_text("anonymous", True)),
    ("Deny", "Allow", "User is not authorized to access this resource with an explicit deny"),
    ("Deny", "neither", "User is not authorized to access this resource with an explicit deny"),
    ("Deny", "Deny", _policy_text("anonymous", True)),
]


@pytest.mark.parametrize(("authorizer", "policy", "text"), LAMBDA_TEXTS)
def test_lambda_deny_texts(authorizer: str, policy: str, text: str) -> None:
    verdict = combine(AuthType.CUSTOM, AuthorizerColumn(authorizer), POLICY[policy], method_arn=ARN)
    assert verdict.response is not None
    assert verdict.response.body() == {"Message": text}


def test_lambda_without_resource_policy_follows_the_authorizer() -> None:
    allow = combine(AuthType.CUSTOM, AuthorizerColumn.ALLOW, None, method_arn=ARN)
    assert (allow.outcome, allow.row) == (Outcome.ALLOW, ("Allow", "neither"))
    silent = combine(AuthType.CUSTOM, AuthorizerColumn.NEITHER, None, method_arn=ARN)
    assert silent.outcome is Outcome.IMPLICIT_DENY
    assert silent.response is not None and silent.response.message == "User is not authorized to access this resource"


@pytest.mark.parametrize(
    ("policy", "expected", "text"),
    [
        (Outcome.ALLOW, Outcome.ALLOW, None),
        (Outcome.IMPLICIT_DENY, Outcome.IMPLICIT_DENY, _policy_text("anonymous", False)),
        (Outcome.EXPLICIT_DENY, Outcome.EXPLICIT_DENY, _policy_text("anonymous", True)),
    ],
)
def test_auth_none_needs_an_explicit_policy_allow(policy: Outcome, expected: Outcome, text: str | None) -> None:
    verdict = combine(AuthType.NONE, None, policy, method_arn=ARN)
    assert (verdict.outcome, verdict.rule) == (expected, Rule.POLICY_ONLY)
    assert (verdict.response.message if verdict.response else None) == text


def test_auth_none_without_resource_policy_is_open() -> None:
    verdict = combine(AuthType.NONE, AuthorizerColumn.NEITHER, None, method_arn=ARN)
    assert (verdict.outcome, verdict.rule, verdict.response) == (Outcome.ALLOW, Rule.NO_POLICY, None)


async def test_none_authorizer_is_anonymous_and_silent() -> None:
    from gatewaysim.authorizers.base import AuthorizerRequest

    result = await NoneAuthorizer().authorize(AuthorizerRequest("GET", "/", ARN))
    assert (result.column, result.principal, result.rejection) == (AuthorizerColumn.NEITHER, "anonymous", None)


@pytest.mark.parametrize(
    ("strict", "policy", "expected"),
    [
        (True, Outcome.ALLOW, Outcome.ALLOW),
        (True, Outcome.IMPLICIT_DENY, Outcome.IMPLICIT_DENY),  # the prose: explicit Allow required
        (True, Outcome.EXPLICIT_DENY, Outcome.EXPLICIT_DENY),
        (True, None, Outcome.ALLOW),  # no resource policy at all: the JWT alone decides
        (False, Outcome.ALLOW, Outcome.ALLOW),
        (False, Outcome.IMPLICIT_DENY, Outcome.ALLOW),  # Table A row Allow/neither
        (False, Outcome.EXPLICIT_DENY, Outcome.EXPLICIT_DENY),
        (False, None, Outcome.ALLOW),
    ],
)
def test_cognito_setting(strict: bool, policy: Outcome | None, expected: Outcome) -> None:
    settings = FlowSettings(cognito_requires_policy_allow=strict)
    verdict = combine(AuthType.COGNITO_USER_POOLS, AuthorizerColumn.ALLOW, policy, True, settings, method_arn=ARN)
    assert verdict.outcome is expected
    if expected is Outcome.IMPLICIT_DENY:
        assert verdict.rule is Rule.COGNITO_STRICT
        assert verdict.response is not None and verdict.response.message == _policy_text("anonymous", False)


def test_cognito_default_is_the_prose() -> None:
    assert FlowSettings().cognito_requires_policy_allow is True


@pytest.mark.parametrize("outcome", [Outcome.ALLOW, Outcome.IMPLICIT_DENY, None])
def test_pre_check_ignores_everything_but_explicit_deny(outcome: Outcome | None) -> None:
    assert pre_authorizer_check(outcome, method_arn=ARN) is None


def test_pre_check_refuses_an_explicit_deny() -> None:
    verdict = pre_authorizer_check(Outcome.EXPLICIT_DENY, method_arn=ARN)
    assert verdict is not None
    assert (verdict.outcome, verdict.rule, verdict.row) == (Outcome.EXPLICIT_DENY, Rule.PRE_AUTH, None)
    assert verdict.response is not None
    assert verdict.response.status == 403
    assert verdict.response.body() == {"Message": _policy_text("anonymous", True)}
    assert frozenset({AuthType.CUSTOM}) == flow.PRE_AUTH_CHECK


def test_decide_passes_a_rejection_through() -> None:
    for rejection in (unauthorized("no token"), configuration_error("boom")):
        verdict = decide(
            AuthType.CUSTOM,
            AuthorizerResult.rejected(rejection),
            Outcome.ALLOW,
            method_arn=ARN,
            api_account_id="123456789012",
        )
        assert (verdict.outcome, verdict.rule, verdict.response) == (Outcome.IMPLICIT_DENY, Rule.REJECTED, rejection)
    assert unauthorized("x").body() == {"message": "Unauthorized"}
    assert configuration_error("x").body() == {"message": None}
    assert configuration_error("x").status == 500


@pytest.mark.parametrize(
    ("principal", "table"),
    [(IAM_USER, Rule.TABLE_A), (OTHER_ACCOUNT_USER, Rule.TABLE_B), ("anonymous", Rule.TABLE_A)],
)
def test_decide_picks_the_table_from_the_caller_account(principal: str, table: Rule) -> None:
    result = AuthorizerResult(AuthorizerColumn.ALLOW, principal=principal)
    verdict = decide(AuthType.AWS_IAM, result, Outcome.IMPLICIT_DENY, method_arn=ARN, api_account_id="123456789012")
    assert verdict.rule is table
    assert verdict.allowed is (table is Rule.TABLE_A)


def test_verdict_explain() -> None:
    verdict = combine(AuthType.CUSTOM, AuthorizerColumn.ALLOW, Outcome.IMPLICIT_DENY, method_arn=ARN)
    assert verdict.explain() == "A: Allow/neither -> Allow"


def test_account_of() -> None:
    assert flow.account_of(IAM_USER) == "123456789012"
    assert flow.account_of("anonymous") is None
    assert flow.account_of("arn:aws:s3:::bucket") is None


def test_flow_imports_no_aiohttp() -> None:
    import subprocess
    import sys

    code = "import sys, gatewaysim.gateway.authorize.tables; print('aiohttp' in sys.modules, 'asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_texts_match_the_gateway_response_helpers() -> None:
    from gatewaysim.gateway.responses import access_denied_message, authorizer_denied_message

    for explicit in (True, False):
        policy = combine(AuthType.NONE, None, POLICY["Deny" if explicit else "neither"], method_arn=ARN)
        assert policy.response is not None
        assert policy.response.message == access_denied_message("anonymous", ARN, explicit=explicit)
        lambda_ = combine(AuthType.CUSTOM, AuthorizerColumn("Deny" if explicit else "neither"), None, method_arn=ARN)
        assert lambda_.response is not None
        assert lambda_.response.message == authorizer_denied_message(explicit=explicit)
