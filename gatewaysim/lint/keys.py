"""Checks on condition keys: keys API Gateway never sets, or sets only for some APIs or auth types.

API Gateway's table of keys for ``execute-api:Invoke`` (spec 5) is ``SUPPLIED`` below. A key that
is absent makes ordinary operators false and negated or ``IfExists`` operators true; the engine's
own ``compile_condition(...).check({})`` says which, so the messages state the real consequence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from gatewaysim.lint.findings import Hit
from gatewaysim.lint.model import LintInput, MethodAuth, method_list
from gatewaysim.policy import Statement
from gatewaysim.policy.conditions import ConditionSpec, compile_condition

__all__ = [
    "KNOWN_KEYS",
    "SUPPLIED",
    "Absence",
    "KeyInfo",
    "absence",
    "authn_keys_for_anonymous",
    "deny_always_applies",
    "holds_when_absent",
    "key_info",
    "private_keys_on_public_api",
    "source_ip_on_private_api",
    "unsupplied_keys",
]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """When API Gateway sets a key: ``authn`` = AWS_IAM methods only; ``endpoint`` = that endpoint kind only."""

    authn: bool = False
    endpoint: str | None = None  # "private" | "public" | None (every API)


_AUTHN: Final = KeyInfo(authn=True)
_PRIVATE: Final = KeyInfo(endpoint="private")
_SUPPLIED_NAMES: Final[Mapping[str, KeyInfo]] = {
    "aws:CurrentTime": KeyInfo(),
    "aws:EpochTime": KeyInfo(),
    "aws:TokenIssueTime": _AUTHN,
    "aws:MultiFactorAuthPresent": _AUTHN,
    "aws:MultiFactorAuthAge": _AUTHN,
    "aws:PrincipalAccount": _AUTHN,
    "aws:PrincipalArn": _AUTHN,
    "aws:PrincipalOrgID": _AUTHN,
    "aws:PrincipalOrgPaths": _AUTHN,
    "aws:PrincipalType": _AUTHN,
    "aws:userid": _AUTHN,
    "aws:username": _AUTHN,
    "aws:Referer": KeyInfo(),
    "aws:SecureTransport": KeyInfo(),
    "aws:SourceArn": KeyInfo(),
    "aws:SourceIp": KeyInfo(endpoint="public"),
    "aws:SourceVpc": _PRIVATE,
    "aws:SourceVpce": _PRIVATE,
    "aws:VpcSourceIp": _PRIVATE,
    "aws:UserAgent": KeyInfo(),
    "execute-api:viaDomainArn": KeyInfo(),
}
KNOWN_KEYS: Final = tuple(_SUPPLIED_NAMES)
"""The keys API Gateway fills for ``execute-api:Invoke``, spelt as AWS's documentation spells them."""
SUPPLIED: Final[Mapping[str, KeyInfo]] = {name.lower(): info for name, info in _SUPPLIED_NAMES.items()}
_PREFIXES: Final[Mapping[str, KeyInfo]] = {"aws:principaltag/": _AUTHN}


def key_info(key: str) -> KeyInfo | None:
    """How API Gateway fills ``key`` for Invoke; None when it never does."""
    lowered = key.lower()
    found = SUPPLIED.get(lowered)
    if found is not None:
        return found
    return next((info for prefix, info in _PREFIXES.items() if lowered.startswith(prefix)), None)


@dataclass(frozen=True, slots=True)
class Absence:
    """Why a key is absent: ``kind`` (unsupplied | private_only | public_only | authn), the reason, a fix."""

    kind: str
    reason: str
    fix: str
    methods: tuple[MethodAuth, ...] = ()  # authn: the methods where it is absent


def absence(inp: LintInput, statement: Statement, key: str) -> Absence | None:
    """Why ``key`` is absent from some calls this statement covers, or None when it may be present."""
    info = key_info(key)
    if info is None:
        reason = f"`{key}` is never set by API Gateway for `execute-api:Invoke`"
        return Absence("unsupplied", reason, "remove the condition, or use a key API Gateway sets (spec section 5)")
    if info.endpoint == "private" and not inp.api.private:
        reason = (
            f"`{key}` is only set on PRIVATE APIs (calls through a VPC endpoint); this API is {inp.api.endpoint_type}"
        )
        return Absence("private_only", reason, "remove the condition, or declare the API PRIVATE")
    if info.endpoint == "public" and inp.api.private:
        reason = f"`{key}` is not set on a PRIVATE API: the VPC endpoint replaces the caller's address"
        return Absence("public_only", reason, "use `aws:VpcSourceIp` (the caller's address inside the VPC)")
    if info.authn:
        methods = inp.non_iam(inp.covered_methods(statement))
        if methods:
            reason = f"`{key}` is only set for AWS_IAM methods; {method_list(methods)} call as `anonymous`"
            fix = "limit the statement's Resource to the AWS_IAM methods, or switch those methods to AWS_IAM"
            return Absence("authn", reason, fix, methods)
    return None


def holds_when_absent(spec: ConditionSpec) -> bool:
    """What the engine answers for this condition when the key is missing."""
    return compile_condition(spec).check({}) is None


_OUTCOMES: Final[Mapping[tuple[str, bool], tuple[str, str]]] = {  # (effect, holds) -> (every call, some)
    ("Deny", True): ("this Deny always applies", "this Deny always applies to them"),
    ("Deny", False): ("this Deny never applies", "this Deny never applies to them"),
    ("Allow", True): ("the condition restricts nothing", "the condition does not restrict them"),
    ("Allow", False): ("this Allow never applies", "this Allow never applies to them"),
}


def _consequence(statement: Statement, spec: ConditionSpec, some: bool) -> str:
    holds = holds_when_absent(spec)
    outcome = _OUTCOMES[statement.effect, holds][some]
    truth = "true" if holds else "false"
    return f"so `{spec.operator}` is always {truth}{' for them' if some else ''} and {outcome}"


def _absent_keys(inp: LintInput, kinds: Sequence[str]) -> Iterator[Hit]:
    for statement in inp.statements:
        for spec in statement.condition:
            found = absence(inp, statement, spec.key)
            if found is not None and found.kind in kinds:
                consequence = _consequence(statement, spec, bool(found.methods))
                yield Hit(spec.path, f"{found.reason}, {consequence}", found.fix)


def unsupplied_keys(inp: LintInput) -> Iterator[Hit]:
    """Keys API Gateway never sets for Invoke (``aws:RequestedRegion``, ``aws:ResourceTag/*``, ``s3:...``)."""
    yield from _absent_keys(inp, ("unsupplied",))


def authn_keys_for_anonymous(inp: LintInput) -> Iterator[Hit]:
    """``aws:Principal*``, ``aws:username``... on methods that are not AWS_IAM, where they are absent."""
    yield from _absent_keys(inp, ("authn",))


def private_keys_on_public_api(inp: LintInput) -> Iterator[Hit]:
    """``aws:SourceVpc``, ``aws:SourceVpce``, ``aws:VpcSourceIp`` on a REGIONAL or EDGE API."""
    yield from _absent_keys(inp, ("private_only",))


def source_ip_on_private_api(inp: LintInput) -> Iterator[Hit]:
    """``aws:SourceIp`` on a PRIVATE API, where it is absent."""
    yield from _absent_keys(inp, ("public_only",))


def deny_always_applies(inp: LintInput) -> Iterator[Hit]:
    """A Deny for everyone whose every condition is on a key absent here and true when absent.

    E.g. ``Deny`` + ``NotIpAddress aws:SourceIp`` on a PRIVATE API: it denies every call.
    """
    for statement in inp.statements:
        if statement.effect != "Deny" or not statement.condition or not _for_everyone(statement):
            continue
        reasons = [_always(inp, statement, spec) for spec in statement.condition]
        if all(reasons):
            first = statement.condition[0]
            found = absence(inp, statement, first.key)
            fix = found.fix if found is not None else "remove the statement"
            message = f"this Deny applies to every call it covers: {'; '.join(r for r in reasons if r)}"
            yield Hit(f"{statement.path}.Condition", message, fix)


def _for_everyone(statement: Statement) -> bool:
    return statement.not_principal is not None or (statement.principal is not None and statement.principal.everyone)


def _always(inp: LintInput, statement: Statement, spec: ConditionSpec) -> str | None:
    """The reason the condition is absent and true on every covered call, else None."""
    found = absence(inp, statement, spec.key)
    if found is None or not holds_when_absent(spec):
        return None
    if found.kind == "authn" and len(found.methods) != len(inp.covered_methods(statement)):
        return None  # some covered methods are AWS_IAM: the key is present there
    return f"{found.reason}, and `{spec.operator}` is true when the key is absent"
