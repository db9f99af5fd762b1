"""The Principal element: parse it, match a caller against it, derive the principal condition keys.

Rules (IAM user guide, "AWS JSON policy elements: Principal"):

* ``"*"`` and ``{"AWS": "*"}`` match everyone, the anonymous caller included.
* An account id and ``arn:aws:iam::ACCOUNT:root`` are the same thing: every identity of that
  account (users, roles and their sessions, the root user), never the anonymous caller.
* A role ARN matches the role and every assumed-role session of it
  (``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION``); the session ARN has no role path, so the
  role is matched by account and name.
* Users, sessions, federated users, services, federated providers and canonical users match exactly.
* Partial wildcards (``arn:aws:iam::*:role/x``) are not allowed in Principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatewaysim.errors import Problem

__all__ = ["ANONYMOUS", "Caller", "PrincipalSpec", "parse_spec", "principal_context_keys"]

ANONYMOUS = "anonymous"
_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A parsed Principal/NotPrincipal value, prepared for set lookups."""

    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    roles: frozenset[tuple[str, str]] = frozenset()  # (account, role name)
    exact: frozenset[str] = frozenset()  # user, session, federated, service, canonical ids

    def matches(self, caller: Caller) -> bool:
        """True when ``caller`` is one of the principals named here."""
        if self.everyone:
            return True
        if caller.name in self.exact:
            return True
        if caller.account is not None and caller.account in self.accounts:
            return True
        return caller.role is not None and caller.role in self.roles


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller as the principal matcher sees it."""

    name: str
    account: str | None = None
    role: tuple[str, str] | None = None

    @classmethod
    def parse(cls, principal: str) -> Caller:
        """Parse a caller ARN, bare account id, service name or ``anonymous``."""
        if principal.isdigit() and len(principal) == 12:
            return cls(f"arn:aws:iam::{principal}:root", principal)
        parts = principal.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            return cls(principal)
        service, account, resource = parts[2], parts[4], parts[5]
        role = None
        if service == "iam" and resource.startswith("role/"):
            role = (account, resource.rsplit("/", 1)[-1])
        elif service == "sts" and resource.startswith("assumed-role/"):
            pieces = resource.split("/")
            if len(pieces) >= 3:
                role = (account, pieces[1])
        return cls(principal, account or None, role)


def parse_spec(raw: object, path: str, problems: list[Problem]) -> PrincipalSpec:
    """Parse a Principal value, recording located problems."""
    if raw == "*":
        return PrincipalSpec(everyone=True)
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, 'must be `"*"` or an object like `{"AWS": "arn:..."}`'))
        return PrincipalSpec()
    everyone = False
    accounts: set[str] = set()
    roles: set[tuple[str, str]] = set()
    exact: set[str] = set()
    for kind, values in raw.items():
        where = f"{path}.{kind}"
        if kind not in _KINDS:
            problems.append(Problem(where, f"unknown principal type `{kind}` (expected {', '.join(_KINDS)})"))
            continue
        items = values if isinstance(values, list) else [values]
        for i, value in enumerate(items):
            at = f"{where}[{i}]" if isinstance(values, list) else where
            if not isinstance(value, str) or not value:
                problems.append(Problem(at, "must be a non-empty string"))
            elif value == "*":
                if kind == "AWS":
                    everyone = True
                else:
                    problems.append(Problem(at, f'`*` is only allowed as `"*"` or for `AWS`, not `{kind}`'))
            elif "*" in value or "?" in value:
                problems.append(Problem(at, f"`{value}`: wildcards are not allowed inside a principal"))
            elif kind == "AWS":
                _add_aws(value, at, problems, accounts, roles, exact)
            else:
                exact.add(value)
    return PrincipalSpec(everyone, frozenset(accounts), frozenset(roles), frozenset(exact))


def _add_aws(
    value: str,
    path: str,
    problems: list[Problem],
    accounts: set[str],
    roles: set[tuple[str, str]],
    exact: set[str],
) -> None:
    if _is_account(value):
        accounts.add(value)
        return
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts") or not _is_account(parts[4]):
        problems.append(Problem(path, f"`{value}` is not an account id or an IAM/STS principal ARN"))
        return
    account, resource = parts[4], parts[5]
    if parts[2] == "iam" and resource == "root":
        accounts.add(account)
    elif parts[2] == "iam" and resource.startswith("role/"):
        roles.add((account, resource.rsplit("/", 1)[-1]))
    else:
        exact.add(value)


def _is_account(value: str) -> bool:
    return len(value) == 12 and value.isdigit()


def principal_context_keys(principal: str) -> dict[str, str]:
    """The ``aws:Principal*`` keys IAM derives from an authenticated caller (lower-cased names).

    Nothing for the anonymous caller (API Gateway fills these only for AWS_IAM methods). For a
    role session, ``aws:PrincipalArn`` is the role's ARN (without a path, which the session ARN
    does not carry).
    """
    caller = Caller.parse(principal)
    if caller.account is None:
        return {}
    keys = {"aws:principalaccount": caller.account}
    resource = caller.name.split(":", 5)[5]
    service = caller.name.split(":", 3)[2]
    if service == "iam" and resource == "root":
        keys.update({"aws:principalarn": caller.name, "aws:principaltype": "Account", "aws:userid": caller.account})
    elif service == "iam" and resource.startswith("user/"):
        keys.update(
            {
                "aws:principalarn": caller.name,
                "aws:principaltype": "User",
                "aws:username": resource.rsplit("/", 1)[-1],
            }
        )
    elif caller.role is not None:
        role_arn = f"arn:aws:iam::{caller.account}:role/{caller.role[1]}"
        if service == "iam":
            role_arn = caller.name
        keys.update({"aws:principalarn": role_arn, "aws:principaltype": "AssumedRole"})
    elif service == "sts" and resource.startswith("federated-user/"):
        name = resource.split("/", 1)[1]
        keys.update(
            {
                "aws:principalarn": caller.name,
                "aws:principaltype": "FederatedUser",
                "aws:userid": f"{caller.account}:{name}",
            }
        )
    else:
        keys["aws:principalarn"] = caller.name
    return keys
