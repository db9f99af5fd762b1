"""The AWS authorization workflow as data: pre-authorizer deny check, Tables A/B -> ``Verdict``.

Pure logic (no aiohttp, no I/O). The server evaluates the resource policy once, calls
``pre_authorizer_check`` before a Lambda authorizer runs, runs the authorizer, then calls
``decide`` (or ``combine``) to get the ``Verdict``.

Which rule applies (spec section 2):

==================== ============================================================================
NONE                 2.a: the resource policy must explicitly Allow; no resource policy -> Allow
CUSTOM (Lambda)      pre-check (explicit Deny only), then Table A
AWS_IAM              Table A for a caller of the API's account, Table B for another account
COGNITO_USER_POOLS   ``cognito_requires_policy_allow`` (default True, the prose of 2.d): with a
                     resource policy an explicit Allow is required; False: Table A. Without any
                     resource policy the authenticated caller is allowed either way.
==================== ============================================================================

403 texts (documented choices for spec OPEN points):

* The resource policy denies explicitly -> the policy text ``User: <caller> is not authorized to
  perform: execute-api:Invoke on resource: <arn> with an explicit deny`` (account ids masked), also
  when the authorizer allowed or denied too (a policy Deny is also what the pre-check reports).
* A Lambda authorizer denies explicitly, the policy does not -> ``User is not authorized to access
  this resource with an explicit deny``.
* Lambda authorizer and policy both silent -> the authorizer text ``User is not authorized to
  access this resource`` (spec 2.e: OPEN, "probably").
* Every other deny (NONE, AWS_IAM, Cognito) -> the policy text, without `` with an explicit deny``
  for an implicit deny.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from gatewaysim.arn import access_denied_message, authorizer_denied_message
from gatewaysim.authorizers.base import (
    ACCESS_DENIED,
    AuthorizerColumn,
    AuthorizerResult,
    AuthType,
    Rejection,
)
from gatewaysim.config.flow import DEFAULT_SETTINGS, FlowSettings
from gatewaysim.policy import Outcome

__all__ = [
    "PRE_AUTH_CHECK",
    "TABLE_A",
    "TABLE_B",
    "TABLE_COGNITO_STRICT",
    "TABLE_POLICY_ONLY",
    "DEFAULT_SETTINGS",
    "FlowSettings",
    "PolicyColumn",
    "Rule",
    "Verdict",
    "account_of",
    "combine",
    "decide",
    "policy_column",
    "pre_authorizer_check",
]

A = AuthorizerColumn


class PolicyColumn(StrEnum):
    """The resource-policy column of Tables A/B."""

    ALLOW = "Allow"
    DENY = "Deny"
    NEITHER = "neither"


P = PolicyColumn
ALLOW, EXPLICIT, IMPLICIT = Outcome.ALLOW, Outcome.EXPLICIT_DENY, Outcome.IMPLICIT_DENY

Row = tuple[AuthorizerColumn, PolicyColumn]

# Spec 2.e, Table A: caller and API in the same account (IAM same account, Lambda, Cognito).
TABLE_A: Mapping[Row, Outcome] = {
    (A.ALLOW, P.ALLOW): ALLOW,
    (A.ALLOW, P.NEITHER): ALLOW,
    (A.ALLOW, P.DENY): EXPLICIT,
    (A.NEITHER, P.ALLOW): ALLOW,
    (A.NEITHER, P.NEITHER): IMPLICIT,
    (A.NEITHER, P.DENY): EXPLICIT,
    (A.DENY, P.ALLOW): EXPLICIT,
    (A.DENY, P.NEITHER): EXPLICIT,
    (A.DENY, P.DENY): EXPLICIT,
}

# Spec 2.e, Table B: caller in another account than the API (both must allow).
TABLE_B: Mapping[Row, Outcome] = {
    (A.ALLOW, P.ALLOW): ALLOW,
    (A.ALLOW, P.NEITHER): IMPLICIT,
    (A.ALLOW, P.DENY): EXPLICIT,
    (A.NEITHER, P.ALLOW): IMPLICIT,
    (A.NEITHER, P.NEITHER): IMPLICIT,
    (A.NEITHER, P.DENY): EXPLICIT,
    (A.DENY, P.ALLOW): EXPLICIT,
    (A.DENY, P.NEITHER): EXPLICIT,
    (A.DENY, P.DENY): EXPLICIT,
}

# Spec 2.d prose (Cognito with a resource policy): an explicit policy Allow is required.
TABLE_COGNITO_STRICT: Mapping[Row, Outcome] = {**TABLE_A, (A.ALLOW, P.NEITHER): IMPLICIT}

# Spec 2.a (authorizationType NONE): only the resource policy counts.
TABLE_POLICY_ONLY: Mapping[PolicyColumn, Outcome] = {P.ALLOW: ALLOW, P.NEITHER: IMPLICIT, P.DENY: EXPLICIT}

_POLICY_COLUMN: Mapping[Outcome, PolicyColumn] = {ALLOW: P.ALLOW, EXPLICIT: P.DENY, IMPLICIT: P.NEITHER}

# Rows where a Lambda authorizer's own 403 text is sent; every other deny uses the policy text.
_AUTHORIZER_TEXT: Mapping[Row, str] = {
    (A.DENY, P.ALLOW): authorizer_denied_message(explicit=True),
    (A.DENY, P.NEITHER): authorizer_denied_message(explicit=True),
    (A.NEITHER, P.NEITHER): authorizer_denied_message(explicit=False),
}

PRE_AUTH_CHECK = frozenset({AuthType.CUSTOM})
"""Auth types whose resource policy is checked for an explicit Deny before the authorizer runs."""


class Rule(StrEnum):
    """Which part of the workflow decided."""

    TABLE_A = "A"
    TABLE_B = "B"
    COGNITO_STRICT = "cognito-strict"
    POLICY_ONLY = "policy-only"
    NO_POLICY = "none"
    PRE_AUTH = "pre-auth"
    REJECTED = "rejected"


class Verdict(NamedTuple):
    """The final answer of the authorization stage (a named tuple: one is built per request).

    ``rule`` names what decided, ``row`` the (authorizer, policy) columns looked up (None for the
    pre-check, a rejection or an API without policy). ``response`` is set whenever the request is
    refused: an ACCESS_DENIED 403, or the authorizer's own rejection (401/500/SigV4 403).
    """

    outcome: Outcome
    rule: Rule
    row: tuple[str, str] | None = None
    response: Rejection | None = None

    @property
    def allowed(self) -> bool:
        """True when the request may be forwarded."""
        return self.outcome is Outcome.ALLOW

    def explain(self) -> str:
        """One line for the log: ``A: Allow/neither -> Allow``, ``pre-auth: -> ExplicitDeny``."""
        row = f" {self.row[0]}/{self.row[1]}" if self.row else ""
        # `_value_` (enum's documented attribute) is `.value` without its Python descriptor: a
        # sixth of the time, and the request path reads several per request
        return f"{self.rule._value_}:{row} -> {self.outcome._value_}"


def policy_column(outcome: Outcome | None) -> PolicyColumn:
    """The table column of a resource-policy outcome; None (no resource policy) is ``neither``."""
    return P.NEITHER if outcome is None else _POLICY_COLUMN[outcome]


def account_of(principal: str) -> str | None:
    """The account id of an ARN principal, None for ``anonymous`` or a non-ARN principal."""
    parts = principal.split(":", 5)
    return (parts[4] or None) if len(parts) == 6 and parts[0] == "arn" else None


def _policy_text(caller: str, method_arn: str, outcome: Outcome) -> str:
    return access_denied_message(caller, method_arn, explicit=outcome is EXPLICIT)


def _access_denied(message: str) -> Rejection:
    return Rejection(ACCESS_DENIED.response_type, ACCESS_DENIED.status, message, ACCESS_DENIED.error_type)


def pre_authorizer_check(
    policy_outcome: Outcome | None, *, method_arn: str, caller: str = "anonymous"
) -> Verdict | None:
    """Phase 1 before a Lambda authorizer: only an explicit resource-policy Deny refuses (spec 2.b)."""
    if policy_outcome is not EXPLICIT:
        return None
    # SECURITY: an explicit Deny ends the request before the authorizer is ever called.
    return Verdict(EXPLICIT, Rule.PRE_AUTH, None, _access_denied(_policy_text(caller, method_arn, EXPLICIT)))


def _rule_for(auth_type: AuthType, same_account: bool, has_policy: bool, cognito_strict: bool) -> Rule:
    if auth_type is AuthType.NONE:
        return Rule.POLICY_ONLY if has_policy else Rule.NO_POLICY
    if auth_type is AuthType.AWS_IAM and not same_account:
        return Rule.TABLE_B
    if auth_type is AuthType.COGNITO_USER_POOLS and has_policy and cognito_strict:
        return Rule.COGNITO_STRICT
    return Rule.TABLE_A


_TABLES: Mapping[Rule, Mapping[Row, Outcome]] = {
    Rule.TABLE_A: TABLE_A,
    Rule.TABLE_B: TABLE_B,
    Rule.COGNITO_STRICT: TABLE_COGNITO_STRICT,
}


def combine(
    auth_type: AuthType,
    authorizer_column: AuthorizerColumn | None,
    policy_outcome: Outcome | None,
    same_account: bool = True,
    settings: FlowSettings = DEFAULT_SETTINGS,
    *,
    method_arn: str = "",
    caller: str = "anonymous",
) -> Verdict:
    """Phase 2: combine the authorizer column and the resource-policy outcome into a ``Verdict``.

    ``policy_outcome`` None means the API has no resource policy (column ``neither``).
    ``authorizer_column`` is ignored for NONE. ``caller`` and ``method_arn`` fill the 403 text.
    """
    looked_up, special = _looked_up(
        auth_type, authorizer_column, policy_outcome, same_account, settings.cognito_requires_policy_allow
    )
    if looked_up.outcome is ALLOW:
        return looked_up
    text = special or _policy_text(caller, method_arn, looked_up.outcome)
    return looked_up._replace(response=_access_denied(text))


@functools.lru_cache(maxsize=256)  # a finite table: auth types x columns x outcomes x 2 x 2
def _looked_up(
    auth_type: AuthType,
    authorizer_column: AuthorizerColumn | None,
    policy_outcome: Outcome | None,
    same_account: bool,
    cognito_requires_policy_allow: bool,
) -> tuple[Verdict, str | None]:
    """The verdict of one row of the tables without its 403 text, and the authorizer's own text if
    that row sends it (remembered: the same few rows decide every request)."""
    column = policy_column(policy_outcome)
    rule = _rule_for(auth_type, same_account, policy_outcome is not None, cognito_requires_policy_allow)
    if rule is Rule.NO_POLICY:
        return Verdict(ALLOW, rule), None
    if rule is Rule.POLICY_ONLY:
        outcome, row, special = TABLE_POLICY_ONLY[column], ("-", column._value_), None
    else:
        key = (authorizer_column or A.NEITHER, column)
        outcome, row = _TABLES[rule][key], (key[0]._value_, column._value_)
        special = _AUTHORIZER_TEXT.get(key) if auth_type is AuthType.CUSTOM else None
    return Verdict(outcome, rule, row), special


def decide(
    auth_type: AuthType,
    result: AuthorizerResult,
    policy_outcome: Outcome | None,
    *,
    method_arn: str,
    api_account_id: str,
    settings: FlowSettings = DEFAULT_SETTINGS,
) -> Verdict:
    """The whole phase 2 for one request: a rejection ends it, else ``combine`` with the caller's account."""
    if result.rejection is not None:
        return Verdict(Outcome.IMPLICIT_DENY, Rule.REJECTED, None, result.rejection)
    caller_account = account_of(result.principal)
    same_account = caller_account is None or caller_account == api_account_id
    return combine(
        auth_type,
        result.column,
        policy_outcome,
        same_account,
        settings,
        method_arn=method_arn,
        caller=result.principal,
    )
