"""Parse a policy document (JSON text, YAML text or a mapping) into a frozen ``Policy``.

Parsing checks the shape of every element and collects *all* problems, each located by its JSON
path (``Statement[1].Condition.IpAddress.aws:SourceIp[0]``), into one ``PolicyError``. Values are
checked by the same code that later compiles them (``conditions.check_values``), so a document that
parses always compiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatewaysim.errors import DocumentError, PolicyError, Problem
from gatewaysim.policy import conditions, principals
from gatewaysim.safeload import POLICY_LIMITS, load_json_or_yaml
from gatewaysim.suggest import did_you_mean

__all__ = ["VERSIONS", "Policy", "Statement", "parse_policy"]

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_EXECUTE_API_SHORTHAND = "execute-api:/"


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement; list elements are normalised to tuples, ``None`` when absent."""

    index: int
    sid: str | None
    effect: str
    principal: principals.PrincipalSpec | None
    not_principal: principals.PrincipalSpec | None
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    condition: tuple[conditions.ConditionSpec, ...]
    path: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document."""

    version: str
    id: str | None
    statements: tuple[Statement, ...]
    source: str | None = None
    api_arn: str | None = None

    @property
    def variables_enabled(self) -> bool:
        """Policy variables and ``${*}`` escapes exist only in Version 2012-10-17."""
        return self.version == "2012-10-17"


def parse_policy(
    document: str | bytes | Mapping[str, Any] | Policy,
    *,
    api_arn: str | None = None,
    source_name: str | None = None,
    require_principal: bool = False,
) -> Policy:
    """Parse ``document`` into a ``Policy`` or raise ``PolicyError`` listing every problem.

    ``api_arn`` (``arn:aws:execute-api:REGION:ACCOUNT:API_ID``) expands the ``execute-api:/...``
    shorthand. ``require_principal`` makes a missing Principal/NotPrincipal an error, as it is in a
    resource policy; identity-style policies (a Lambda authorizer's answer) have none.
    """
    if isinstance(document, Policy):
        return document
    problems: list[Problem] = []
    raw = _load(document, problems)
    if raw is None:
        raise PolicyError(problems, source_name)
    parser = _Parser(problems, api_arn, require_principal)
    policy = parser.policy(raw, source_name)
    if problems:
        raise PolicyError(problems, source_name)
    return policy


def _load(document: str | bytes | Mapping[str, Any], problems: list[Problem]) -> Mapping[str, Any] | None:
    if isinstance(document, Mapping):
        return document
    try:
        loaded = load_json_or_yaml(document, POLICY_LIMITS)  # SECURITY: bounded (gatewaysim.safeload)
    except DocumentError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(loaded, Mapping):
        problems.append(Problem("", f"a policy must be an object, not {_kind(loaded)}"))
        return None
    return loaded


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


class _Parser:
    def __init__(self, problems: list[Problem], api_arn: str | None, require_principal: bool) -> None:
        self.problems = problems
        self.api_arn = api_arn
        self.require_principal = require_principal
        self.variables = True

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def policy(self, raw: Mapping[str, Any], source: str | None) -> Policy:
        for key in raw:
            if key not in _TOP_LEVEL:
                hint = did_you_mean(str(key), _TOP_LEVEL) or " (expected Version, Id, Statement)"
                self.error(str(key), f"unknown element `{key}`{hint}")
        version = raw.get("Version", "2008-10-17")
        if version not in VERSIONS:
            self.error("Version", f"`{version}` is not a policy version (use `2012-10-17`)")
            version = "2012-10-17"
        self.variables = version == "2012-10-17"
        policy_id = raw.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.error("Id", "must be a string")
        statements = self.statements(raw.get("Statement"))
        return Policy(str(version), policy_id if isinstance(policy_id, str) else None, statements, source, self.api_arn)

    def statements(self, raw: object) -> tuple[Statement, ...]:
        if raw is None:
            self.error("Statement", "missing")
            return ()
        if isinstance(raw, Mapping):
            parsed = self.statement(raw, 0, "Statement")
            return (parsed,) if parsed else ()
        if not isinstance(raw, list):
            self.error("Statement", f"must be an object or a list of objects, not {_kind(raw)}")
            return ()
        out = []
        for index, item in enumerate(raw):
            path = f"Statement[{index}]"
            if not isinstance(item, Mapping):
                self.error(path, f"must be an object, not {_kind(item)}")
                continue
            parsed = self.statement(item, index, path)
            if parsed:
                out.append(parsed)
        return tuple(out)

    def statement(self, raw: Mapping[str, Any], index: int, path: str) -> Statement | None:
        before = len(self.problems)
        for key in raw:
            if key not in _STATEMENT_KEYS:
                self.error(f"{path}.{key}", f"unknown element `{key}`{did_you_mean(str(key), _STATEMENT_KEYS)}")
        sid = raw.get("Sid")
        if sid is not None and not isinstance(sid, str):
            self.error(f"{path}.Sid", "must be a string")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            self.error(f"{path}.Effect", f"must be `Allow` or `Deny`, not `{effect}`")
        principal, not_principal = self.pair(raw, path, "Principal", required=self.require_principal)
        action, not_action = self.pair(raw, path, "Action", required=True)
        resource, not_resource = self.pair(raw, path, "Resource", required=True)
        specs = conditions.parse_block(raw.get("Condition"), f"{path}.Condition", self.variables, self.problems)
        if len(self.problems) > before:
            return None
        return Statement(
            index=index,
            sid=sid,
            effect=str(effect),
            principal=self.principal(principal, f"{path}.Principal"),
            not_principal=self.principal(not_principal, f"{path}.NotPrincipal"),
            action=self.actions(action, f"{path}.Action"),
            not_action=self.actions(not_action, f"{path}.NotAction"),
            resource=self.resources(resource, f"{path}.Resource"),
            not_resource=self.resources(not_resource, f"{path}.NotResource"),
            condition=specs,
            path=path,
        )

    def pair(self, raw: Mapping[str, Any], path: str, name: str, *, required: bool) -> tuple[Any, Any]:
        positive, negative = raw.get(name), raw.get(f"Not{name}")
        if name in raw and f"Not{name}" in raw:
            self.error(path, f"has both `{name}` and `Not{name}`; use one")
        elif required and name not in raw and f"Not{name}" not in raw:
            self.error(path, f"needs `{name}` or `Not{name}`")
        return positive, negative

    def strings(self, raw: object, path: str) -> tuple[str, ...] | None:
        if raw is None:
            return None
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            self.error(path, "must not be empty")
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item:
                where = f"{path}[{i}]" if isinstance(raw, list) else path
                self.error(where, f"must be a non-empty string, not {_kind(item)}")
            else:
                out.append(item)
        return tuple(out)

    def principal(self, raw: object, path: str) -> principals.PrincipalSpec | None:
        if raw is None:
            return None
        return principals.parse_spec(raw, path, self.problems)

    def actions(self, raw: object, path: str) -> tuple[str, ...] | None:
        values = self.strings(raw, path)
        for i, action in enumerate(values or ()):
            if action != "*" and ":" not in action:
                self.error(_item(path, raw, i), f"`{action}` is not an action (expected `service:Action`)")
        return values

    def resources(self, raw: object, path: str) -> tuple[str, ...] | None:
        values = self.strings(raw, path)
        if values is None:
            return None
        out = []
        for i, resource in enumerate(values):
            expanded = self.expand(resource, _item(path, raw, i))
            if expanded is not None:
                out.append(expanded)
        return tuple(out)

    def expand(self, resource: str, path: str) -> str | None:
        if resource.startswith(_EXECUTE_API_SHORTHAND):
            if self.api_arn is None:
                self.error(path, f"`{resource}` uses the execute-api shorthand; give the API's ARN to expand it")
                return None
            return self.api_arn + resource[len(_EXECUTE_API_SHORTHAND) - 1 :]
        if resource != "*" and not resource.startswith("arn:"):
            self.error(path, f"`{resource}` is not an ARN or `*`")
            return None
        if resource.startswith("arn:") and resource.count(":") < 2:
            self.error(path, f"`{resource}` is not an ARN")
            return None
        return resource


def _item(path: str, raw: object, index: int) -> str:
    return f"{path}[{index}]" if isinstance(raw, Sequence) and not isinstance(raw, str) else path
