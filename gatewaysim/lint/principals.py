"""Checks on Principal/NotPrincipal: lock-outs, public APIs, principals that never match the callers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from gatewaysim.lint.findings import Hit
from gatewaysim.lint.model import LintInput, method_list
from gatewaysim.policy import Statement
from gatewaysim.policy.principals import Caller, PrincipalSpec

__all__ = [
    "allow_not_principal",
    "deny_not_principal_without_account",
    "owner_locked_out",
    "public_without_condition",
    "odd_principal_arns",
    "service_principal_only",
    "specific_principal_for_anonymous",
]

_PROVIDERS = (":saml-provider/", ":oidc-provider/")


def _lets_in_owner(statement: Statement, account: str) -> bool:
    """True when the statement's Principal/NotPrincipal admits the owner's account or one of its identities."""
    if statement.not_principal is not None:
        return not statement.not_principal.matches(Caller.parse(f"arn:aws:iam::{account}:root"))
    spec = statement.principal
    if spec is None or spec.everyone or account in spec.accounts:
        return True
    return any(owner == account for owner, _ in spec.roles) or any(
        Caller.parse(name).account == account for name in spec.exact
    )


def _element(statement: Statement) -> str:
    return "NotPrincipal" if statement.not_principal is not None else "Principal"


def owner_locked_out(inp: LintInput) -> Iterator[Hit]:
    """Allow statements exist, but none lets in the API owner's account or any of its roles and users."""
    allows = [s for s in inp.statements if s.effect == "Allow"]
    if not allows or any(_lets_in_owner(s, inp.api.account) for s in allows):
        return
    message = (
        f"no Allow statement names the API owner's account `{inp.api.account}` (or `*`): you will lock yourself out"
    )
    fix = f"add `arn:aws:iam::{inp.api.account}:root` (or the owner's roles) to an Allow statement's Principal"
    yield Hit("Statement", message, fix)


def public_without_condition(inp: LintInput) -> Iterator[Hit]:
    """``Principal: "*"`` Allow with no condition: anyone on the internet may call the covered methods."""
    for statement in inp.statements:
        spec = statement.principal
        if statement.effect == "Allow" and spec is not None and spec.everyone and not statement.condition:
            message = "allows every caller, anonymous included, with no condition: the API is public"
            fix = "add a condition (e.g. `IpAddress` on `aws:SourceIp`) or name the allowed principals"
            yield Hit(f"{statement.path}.Principal", message, fix)


def _names_aws(spec: PrincipalSpec) -> bool:
    return not spec.everyone and bool(spec.accounts or spec.roles or any(_is_iam(x) for x in spec.exact))


def _is_iam(name: str) -> bool:
    return Caller.parse(name).account is not None and not any(p in name for p in _PROVIDERS)


def specific_principal_for_anonymous(inp: LintInput) -> Iterator[Hit]:
    """A statement naming AWS principals covers methods whose callers are `anonymous` (not AWS_IAM)."""
    for statement in inp.statements:
        if statement.principal is None or not _names_aws(statement.principal):
            continue
        methods = inp.non_iam(inp.covered_methods(statement))
        if not methods:
            continue
        effect = statement.effect
        message = (
            f"names only AWS principals, but the callers of {method_list(methods)} are `anonymous` "
            f"(only AWS_IAM methods see the caller's identity): this {effect} never applies to them"
        )
        fix = 'switch those methods to AWS_IAM, or use `Principal: "*"` with conditions for them'
        yield Hit(f"{statement.path}.Principal", message, fix)


def service_principal_only(inp: LintInput) -> Iterator[Hit]:
    """A Principal naming only services or identity providers: API callers never arrive as those."""
    for statement in inp.statements:
        spec = statement.principal
        if spec is None or spec.everyone or spec.accounts or spec.roles:
            continue
        if spec.exact and not any(_is_iam(name) for name in spec.exact):
            shown = ", ".join(f"`{name}`" for name in sorted(spec.exact))
            message = (
                f"names only service or federated principals ({shown}): callers of an API arrive as IAM users, "
                "assumed-role sessions or `anonymous`, so it never matches"
            )
            fix = "name the role the callers assume (`arn:aws:iam::ACCOUNT:role/NAME`) or use conditions"
            yield Hit(f"{statement.path}.Principal", message, fix)


def allow_not_principal(inp: LintInput) -> Iterator[Hit]:
    """``NotPrincipal`` with Allow grants everyone else, the anonymous caller included."""
    for statement in inp.statements:
        if statement.effect == "Allow" and statement.not_principal is not None:
            message = "`NotPrincipal` with Allow grants every other caller, anonymous included"
            fix = "use `Principal` naming who is allowed (NotPrincipal is meant for Deny)"
            yield Hit(f"{statement.path}.NotPrincipal", message, fix)


def deny_not_principal_without_account(inp: LintInput) -> Iterator[Hit]:
    """Deny + NotPrincipal exempting a role or user but not its account root may deny the whole account."""
    for statement in inp.statements:
        spec = statement.not_principal
        if statement.effect != "Deny" or spec is None or spec.everyone:
            continue
        named = [(account, f"role/{name}") for account, name in spec.roles]
        named += [(account, name) for name in spec.exact if (account := Caller.parse(name).account) is not None]
        for account, name in sorted(named):
            if account in spec.accounts:
                continue
            message = (
                f"a Deny with `NotPrincipal` exempts `{name}` but not its account `{account}`: "
                "requests are evaluated for the account too, so the whole account may be denied"
            )
            fix = (
                f'also list `arn:aws:iam::{account}:root`, or use `Principal: "*"` with `ArnNotEquals aws:PrincipalArn`'
            )
            yield Hit(f"{statement.path}.NotPrincipal", message, fix)


_ODD_ARNS: Final = (  # (marker in the ARN, what it means, fix)
    (
        ":assumed-role/",
        "names one role session: only a session with exactly that name matches, and session names change",
        "name the role instead: `arn:aws:iam::{account}:role/{name}` covers all its sessions",
    ),
    (
        ":group/",
        "names an IAM group, which is never a caller (requests are made by users and roles)",
        "name the users or roles of the group, or the account `arn:aws:iam::{account}:root` with conditions",
    ),
)


def odd_principal_arns(inp: LintInput) -> Iterator[Hit]:
    """Principal ARNs of an assumed-role session (matches one session name only) or of an IAM group (never)."""
    for statement in inp.statements:
        spec = statement.principal or statement.not_principal
        for name in sorted(spec.exact if spec is not None else ()):
            for marker, meaning, fix in _ODD_ARNS:
                if marker in name:
                    account = Caller.parse(name).account or "ACCOUNT"
                    role = name.split(marker, 1)[1].split("/", 1)[0]
                    where = f"{statement.path}.{_element(statement)}"
                    yield Hit(where, f"`{name}` {meaning}", fix.format(account=account, name=role))
