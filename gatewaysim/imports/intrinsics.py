"""Resolve CloudFormation intrinsic functions for the values an emulator knows.

Known: ``AWS::AccountId``, ``AWS::Region``, ``AWS::Partition``, ``AWS::URLSuffix``, ``AWS::NoValue``,
template parameters (their ``Default``, or a value passed in: ``--parameter-overrides``), ``Mappings``,
``Conditions``, the APIs' logical ids (-> their api ids) and the stand-ins ``Known.attributes`` holds
for other resources (``Ref`` and ``Fn::GetAtt`` of a Lambda function, a user pool ...; an override
``X.Arn=...`` or ``X=...`` wins). Anything else (``Fn::ImportValue``, an attribute with no stand-in)
cannot be known offline: it is recorded as a located ``Problem`` naming the override to give, and
the value becomes ``UNRESOLVED``. A reference to a name the template does not declare is a problem
too. Functions are a table: ``INTRINSICS``.

``keep_going`` resolvers (for values gatewaysim does not use, such as integration URIs) record the
same problems but put ``None`` where a value is unresolved, so the rest of the fragment survives.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gatewaysim.errors import Problem

__all__ = ["INTRINSICS", "NO_VALUE", "UNRESOLVED", "Known", "Resolver", "partition_of", "url_suffix"]


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_VALUE: Any = _Marker("NO_VALUE")
"""``Ref: AWS::NoValue``: the enclosing key or list item disappears."""
UNRESOLVED: Any = _Marker("UNRESOLVED")
"""A value that could not be computed; a problem has been recorded for it."""

_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"))


def partition_of(region: str) -> str:
    """The ARN partition of a region."""
    return next((name for prefix, name in _PARTITIONS if region.startswith(prefix)), "aws")


def url_suffix(region: str) -> str:
    """``AWS::URLSuffix`` for a region."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@dataclass(frozen=True, slots=True)
class Known:
    """What the resolver may substitute. ``None`` means "not known": referencing it is a problem."""

    account: str | None = None
    region: str | None = None
    api_ids: Mapping[str, str | None] = field(default_factory=dict)  # API logical id -> api id (None: unknown)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    resources: frozenset[str] = frozenset()  # every logical id of the template (empty: not checked)
    attributes: Mapping[str, Any] = field(default_factory=dict)  # `X` (Ref) / `X.Attr` (GetAtt) -> stand-in
    declared_parameters: frozenset[str] = frozenset()
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Resolves intrinsic functions inside a template fragment; problems go to ``problems``."""

    def __init__(self, known: Known, problems: list[Problem], *, keep_going: bool = False) -> None:
        self.known = known
        self.problems = problems
        self.keep_going = keep_going
        self._conditions: dict[str, Any] = {}
        self._depth = 0

    def resolve(self, node: Any, path: str) -> Any:
        """The fragment with every intrinsic replaced (``NO_VALUE`` entries dropped)."""
        value = self.value(node, path)
        return None if self.keep_going and value is UNRESOLVED else value

    def value(self, node: Any, path: str) -> Any:
        """Like ``resolve``, but ``UNRESOLVED`` stays itself (what the functions build on)."""
        if self._depth >= _MAX_DEPTH:  # SECURITY: a hostile (or self-referencing) fragment cannot recurse forever
            return self.fail(path, f"nested deeper than {_MAX_DEPTH} levels")
        self._depth += 1
        try:
            return self._resolve(node, path)
        finally:
            self._depth -= 1

    def _resolve(self, node: Any, path: str) -> Any:
        if isinstance(node, Mapping):
            if len(node) == 1:
                (key, arg), *_ = node.items()
                function = INTRINSICS.get(key)
                if function is not None:
                    return function(self, arg, path)
                if isinstance(key, str) and key.startswith("Fn::"):
                    return self.fail(path, f"unsupported intrinsic function `{key}`")
            items = {k: self.value(v, _join(path, str(k))) for k, v in node.items()}
            return self._collect_mapping(items)
        if isinstance(node, list):
            values = [self.value(v, f"{path}[{i}]") for i, v in enumerate(node)]
            if any(v is UNRESOLVED for v in values):
                if not self.keep_going:
                    return UNRESOLVED
                values = [None if v is UNRESOLVED else v for v in values]
            return [v for v in values if v is not NO_VALUE]
        return node

    def _collect_mapping(self, items: dict[Any, Any]) -> Any:
        if any(v is UNRESOLVED for v in items.values()):
            if not self.keep_going:
                return UNRESOLVED
            items = {k: None if v is UNRESOLVED else v for k, v in items.items()}
        return {k: v for k, v in items.items() if v is not NO_VALUE}

    def fail(self, path: str, message: str) -> Any:
        """Record a problem at ``path`` and return ``UNRESOLVED``."""
        self.problems.append(Problem(path, message))
        return UNRESOLVED

    def ref(self, name: str, path: str) -> Any:
        """The value of ``Ref: name``: a parameter (or override), pseudo parameter, api id or stand-in."""
        known = self.known
        if name in known.parameters:
            return known.parameters[name]
        pseudo = _pseudo(known).get(name, UNRESOLVED)
        if pseudo is not UNRESOLVED:
            if pseudo is None:
                return self.fail(path, f"`{name}` is not known here; pass `{_PSEUDO_NEEDS[name]}`")
            return pseudo
        if name in known.api_ids:
            api_id = known.api_ids[name]
            if api_id is None:
                return self.fail(path, f"`Ref` to the API `{name}` needs the api id; pass `api_id`")
            return api_id
        if name in known.declared_parameters:
            return self.fail(path, f"parameter `{name}` has no Default; give --parameter-overrides {name}=...")
        if name.startswith("AWS::"):
            return self.fail(
                path, f"pseudo parameter `{name}` is not known offline; give --parameter-overrides {name}=..."
            )
        if name in known.attributes:
            return known.attributes[name]
        if known.resources and name not in known.resources:
            return self.fail(path, f"`!Ref {name}`: `{name}` is not a parameter or resource of this template")
        if known.resources:
            return self.fail(path, f"`!Ref {name}` cannot be resolved offline; give --parameter-overrides {name}=...")
        return self.fail(path, f"cannot resolve `Ref` to `{name}`: not a parameter or this API")

    def attribute(self, name: str, attribute: str, path: str) -> Any:
        """The value of ``Fn::GetAtt: [name, attribute]``: an override or a stand-in, else a problem."""
        known, dotted = self.known, f"{name}.{attribute}"
        for key in (dotted, name):
            if key in known.parameters and key not in known.declared_parameters:
                return known.parameters[key]
        if dotted in known.attributes:
            return known.attributes[dotted]
        if known.resources and name not in known.resources:
            return self.fail(path, f"`!GetAtt {dotted}`: `{name}` is not a resource of this template")
        return self.fail(
            path, f"`!GetAtt {dotted}` cannot be resolved offline; give --parameter-overrides {dotted}=..."
        )

    def condition(self, name: Any, path: str) -> Any:
        """The truth of a named template condition (evaluated once, cycles reported)."""
        if not isinstance(name, str) or name not in self.known.conditions:
            return self.fail(path, f"unknown condition `{name}`")
        if name not in self._conditions:
            self._conditions[name] = UNRESOLVED  # a cycle resolves to UNRESOLVED
            value = self.value(self.known.conditions[name], f"Conditions.{name}")
            self._conditions[name] = value
        return self._conditions[name]


_PSEUDO_NEEDS = {
    "AWS::AccountId": "account",
    "AWS::Region": "region",
    "AWS::Partition": "region",
    "AWS::URLSuffix": "region",
}
"""Pseudo parameter -> the import option that provides it."""


def _pseudo(known: Known) -> dict[str, Any]:
    region = known.region
    return {
        "AWS::AccountId": known.account,
        "AWS::Region": region,
        "AWS::Partition": partition_of(region) if region else None,
        "AWS::URLSuffix": url_suffix(region) if region else None,
        "AWS::NoValue": NO_VALUE,
    }


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_MAX_DEPTH = 100
"""Deepest template fragment resolved (CloudFormation's own documents are far shallower)."""


def _args(r: Resolver, arg: Any, path: str, name: str, count: int) -> list[Any] | None:
    value = r.value(arg, f"{path}.{name}")
    if value is UNRESOLVED:
        return None
    if not isinstance(value, list) or len(value) != count:
        r.fail(path, f"`{name}` takes a list of {count} items")
        return None
    return value


# ---------------------------------------------------------------- the functions


def _fn_ref(r: Resolver, arg: Any, path: str) -> Any:
    if not isinstance(arg, str):
        return r.fail(path, "`Ref` takes a name")
    return r.ref(arg, path)


def _fn_sub(r: Resolver, arg: Any, path: str) -> Any:
    template, variables = (arg, {}) if isinstance(arg, str) else (arg + [None, None])[:2]
    if not isinstance(template, str) or not isinstance(variables, Mapping):
        return r.fail(path, "`Fn::Sub` takes a string or [string, {variables}]")
    values = {str(k): r.value(v, f"{path}.Fn::Sub[1].{k}") for k, v in variables.items()}
    if any(v is UNRESOLVED for v in values.values()):
        return UNRESOLVED
    failed = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal failed
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        value = values[name] if name in values else _sub_name(r, name, path)
        if value is UNRESOLVED:
            failed = True
            return ""
        return str(value)

    result = _SUB_VAR.sub(substitute, template)
    return UNRESOLVED if failed else result


def _sub_name(r: Resolver, name: str, path: str) -> Any:
    if "." in name and not name.startswith("AWS::"):
        resource, _, attribute = name.partition(".")
        return r.attribute(resource, attribute, path)
    return r.ref(name, path)


def _fn_get_att(r: Resolver, arg: Any, path: str) -> Any:
    value = r.value(arg, f"{path}.Fn::GetAtt")
    if isinstance(value, str):
        value = value.split(".", 1)
    if value is UNRESOLVED or value is None:
        return UNRESOLVED
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        return r.fail(path, "`Fn::GetAtt` takes [resource, attribute]")
    return r.attribute(value[0], value[1], path)


def _fn_join(r: Resolver, arg: Any, path: str) -> Any:
    args = _args(r, arg, path, "Fn::Join", 2)
    if args is None:
        return UNRESOLVED
    delimiter, items = args
    if not isinstance(delimiter, str) or not isinstance(items, list):
        return r.fail(path, "`Fn::Join` takes [delimiter, [values]]")
    return delimiter.join(str(item) for item in items)


def _fn_select(r: Resolver, arg: Any, path: str) -> Any:
    args = _args(r, arg, path, "Fn::Select", 2)
    if args is None:
        return UNRESOLVED
    index, items = args
    try:
        return items[int(index)]
    except (ValueError, TypeError, IndexError):
        return r.fail(path, f"`Fn::Select` index `{index}` is not in the list")


def _fn_split(r: Resolver, arg: Any, path: str) -> Any:
    args = _args(r, arg, path, "Fn::Split", 2)
    if args is None:
        return UNRESOLVED
    delimiter, text = args
    if not isinstance(delimiter, str) or not isinstance(text, str):
        return r.fail(path, "`Fn::Split` takes [delimiter, string]")
    return text.split(delimiter)


def _fn_if(r: Resolver, arg: Any, path: str) -> Any:
    if not isinstance(arg, list) or len(arg) != 3:
        return r.fail(path, "`Fn::If` takes [condition, value if true, value if false]")
    truth = r.condition(arg[0], path)
    if truth is UNRESOLVED:
        return UNRESOLVED
    return r.value(arg[1] if truth else arg[2], f"{path}.Fn::If[{1 if truth else 2}]")


def _fn_find_in_map(r: Resolver, arg: Any, path: str) -> Any:
    args = _args(r, arg, path, "Fn::FindInMap", 3)
    if args is None:
        return UNRESOLVED
    value: Any = r.known.mappings
    for key in args:
        if not isinstance(value, Mapping) or str(key) not in value:
            return r.fail(path, f"`Fn::FindInMap`: no entry `{'.'.join(map(str, args))}` in Mappings")
        value = value[str(key)]
    return value


def _fn_base64(r: Resolver, arg: Any, path: str) -> Any:
    value = r.value(arg, path)
    if value is UNRESOLVED:
        return UNRESOLVED
    return base64.b64encode(str(value).encode()).decode()


def _fn_equals(r: Resolver, arg: Any, path: str) -> Any:
    args = _args(r, arg, path, "Fn::Equals", 2)
    return UNRESOLVED if args is None else str(args[0]) == str(args[1])


def _logic(combine: Callable[[list[bool]], bool], name: str) -> Callable[[Resolver, Any, str], Any]:
    def function(r: Resolver, arg: Any, path: str) -> Any:
        if not isinstance(arg, list) or not arg:
            return r.fail(path, f"`{name}` takes a list of conditions")
        values = [_truth(r, item, f"{path}.{name}[{i}]") for i, item in enumerate(arg)]
        if any(v is UNRESOLVED for v in values):
            return UNRESOLVED
        return combine(values)

    return function


def _truth(r: Resolver, item: Any, path: str) -> Any:
    if isinstance(item, Mapping) and set(item) == {"Condition"}:
        return r.condition(item["Condition"], path)
    return r.value(item, path)


def _fn_not(r: Resolver, arg: Any, path: str) -> Any:
    value = _logic(lambda v: not v[0], "Fn::Not")(r, arg, path)
    return value


def _fn_to_json_string(r: Resolver, arg: Any, path: str) -> Any:
    value = r.value(arg, path)
    return UNRESOLVED if value is UNRESOLVED else json.dumps(value, separators=(",", ":"))


def _fn_length(r: Resolver, arg: Any, path: str) -> Any:
    value = r.value(arg, path)
    if value is UNRESOLVED:
        return UNRESOLVED
    return len(value) if isinstance(value, list) else r.fail(path, "`Fn::Length` takes a list")


def _fn_import_value(r: Resolver, arg: Any, path: str) -> Any:
    name = r.value(arg, f"{path}.Fn::ImportValue")
    if name is UNRESOLVED:
        return UNRESOLVED
    if isinstance(name, str) and name in r.known.parameters:
        return r.known.parameters[name]
    hint = f"give --parameter-overrides {name}=..."
    return r.fail(path, f"`!ImportValue {name}` reads another stack's exports, unknown offline; {hint}")


def _unknowable(name: str, why: str) -> Callable[[Resolver, Any, str], Any]:
    def function(r: Resolver, arg: Any, path: str) -> Any:
        return r.fail(path, f"cannot resolve `{name}` locally: {why}")

    return function


INTRINSICS: Mapping[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": _fn_ref,
    "Condition": lambda r, arg, path: r.condition(arg, path),
    "Fn::Sub": _fn_sub,
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::If": _fn_if,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Base64": _fn_base64,
    "Fn::Equals": _fn_equals,
    "Fn::Not": _fn_not,
    "Fn::And": _logic(all, "Fn::And"),
    "Fn::Or": _logic(any, "Fn::Or"),
    "Fn::ToJsonString": _fn_to_json_string,
    "Fn::Length": _fn_length,
    "Fn::GetAtt": _fn_get_att,
    "Fn::ImportValue": _fn_import_value,
    "Fn::GetAZs": _unknowable("Fn::GetAZs", "it depends on the account"),
    "Fn::Cidr": _unknowable("Fn::Cidr", "not supported by the importer"),
}
"""Long-form key -> resolver function."""
