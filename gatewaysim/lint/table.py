"""The one table of checks: code, severity, check function, one-line summary. Adding a check is a row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

from gatewaysim.lint import keys, networks, principals, resources, shape
from gatewaysim.lint.findings import ERROR, WARNING, Hit
from gatewaysim.lint.model import LintInput

__all__ = ["CHECKS", "PARSE_ERROR", "Check"]

PARSE_ERROR: Final = "GS000"


class Check(NamedTuple):
    """One row: the check function yields ``Hit``s; the row gives them a code and a severity."""

    code: str
    severity: str
    function: Callable[[LintInput], Iterable[Hit]]
    summary: str


CHECKS: Final[tuple[Check, ...]] = (
    # Resource and Action: can the statement ever apply to a call to this API?
    Check("GS101", ERROR, resources.resource_check("service"), "resource is not an execute-api ARN of this partition"),
    Check("GS102", ERROR, resources.resource_check("region"), "resource names another region"),
    Check("GS103", ERROR, resources.resource_check("account"), "resource names another account than the API owner's"),
    Check("GS104", ERROR, resources.resource_check("api"), "resource names another API id"),
    Check("GS105", ERROR, resources.resource_check("stage"), "resource names a stage the API does not have"),
    Check("GS106", ERROR, resources.resource_check("shape"), "resource is not API/STAGE/VERB/PATH (e.g. no verb)"),
    Check("GS107", ERROR, resources.resource_check("case"), "resource verb is not upper case (`get`)"),
    Check("GS108", ERROR, resources.foreign_actions, "action of another service (`s3:GetObject`)"),
    Check("GS109", WARNING, resources.never_invoke, "Action/NotAction leaves out `execute-api:Invoke`"),
    # Principal and NotPrincipal
    Check("GS201", WARNING, principals.owner_locked_out, "no Allow covers the owner's account: lock-out"),
    Check("GS202", WARNING, principals.public_without_condition, "`Principal: *` Allow without a condition: public"),
    Check(
        "GS203",
        WARNING,
        principals.specific_principal_for_anonymous,
        "named AWS principals never match callers of non-AWS_IAM methods (`anonymous`)",
    ),
    Check("GS204", WARNING, principals.allow_not_principal, "NotPrincipal with Allow grants everyone else"),
    Check(
        "GS205",
        WARNING,
        principals.deny_not_principal_without_account,
        "Deny + NotPrincipal exempts a role or user but not its account",
    ),
    Check("GS206", WARNING, principals.service_principal_only, "only service/federated principals: never a caller"),
    Check(
        "GS207", WARNING, principals.odd_principal_arns, "principal is a role session (one name only) or an IAM group"
    ),
    # Network values
    Check("GS301", ERROR, networks.vpce_ids, "`aws:SourceVpce` value is not a `vpce-` id"),
    Check("GS302", ERROR, networks.vpc_ids, "`aws:SourceVpc` value is not a `vpc-` id"),
    Check("GS303", WARNING, networks.host_bits_set, "IP range with host bits set (`10.0.0.1/8`)"),
    Check("GS304", WARNING, networks.non_public_ranges, "private/loopback/reserved `aws:SourceIp` on a public API"),
    Check("GS305", WARNING, keys.source_ip_on_private_api, "`aws:SourceIp` on a PRIVATE API (absent)"),
    Check("GS306", ERROR, keys.deny_always_applies, "Deny whose conditions are true on every call (absent keys)"),
    Check("GS307", WARNING, networks.allow_only_ip_list, "Allow-only IP list does not restrict authorizer methods"),
    Check("GS308", WARNING, networks.string_operator_on_ip, "string operator with a CIDR range on an IP key"),
    Check("GS309", WARNING, networks.ip_operator_on_other_key, "IP operator on a key that holds no address"),
    # Condition keys
    Check("GS401", WARNING, keys.unsupplied_keys, "condition key API Gateway never sets for Invoke"),
    Check("GS402", WARNING, keys.authn_keys_for_anonymous, "identity key on methods that are not AWS_IAM (absent)"),
    Check("GS403", WARNING, keys.private_keys_on_public_api, "VPC key on a REGIONAL/EDGE API (absent)"),
    # The document
    Check("GS501", ERROR, shape.too_large, "policy over 8,192 characters (minified)"),
    Check("GS502", WARNING, shape.old_version_variables, "`${...}` in a policy without Version 2012-10-17"),
    Check("GS503", WARNING, shape.nothing_allowed, "no Allow statement: methods without an authorizer are denied"),
    Check("GS504", WARNING, shape.too_many_conditions, "statement with more than four conditions"),
    Check("GS505", WARNING, shape.many_wildcards, "pattern with more than four wildcards (`/*/*/v1/*/users/*/keys/*`)"),
)
