"""Resource policies in Terraform: ``.tf.json`` configuration and ``terraform show -json`` output.

Configuration: ``resource.aws_api_gateway_rest_api_policy.NAME.policy`` (and the ``policy`` argument of
``aws_api_gateway_rest_api``), as JSON text, ``${jsonencode(...)}`` of a JSON-compatible object, or an
object. Interpolations we can know are resolved by the table ``REFERENCES``; anything else is a
located problem. ``terraform show -json`` (state ``values`` or plan ``planned_values``) holds the
evaluated policy text under ``root_module.resources[].values.policy``, child modules included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from gatewaysim.errors import Problem
from gatewaysim.imports.intrinsics import partition_of, url_suffix
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions, finish_document
from gatewaysim.safeload import POLICY_LIMITS, load_json

__all__ = ["POLICY_TYPES", "REFERENCES", "extract_terraform", "extract_terraform_show", "tf_interpolator"]

POLICY_TYPES = ("aws_api_gateway_rest_api_policy", "aws_api_gateway_rest_api")
"""Resource types whose ``policy`` argument is an API's resource policy."""

_INTERPOLATION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
_JSONENCODE = re.compile(r"^\s*\$\{\s*jsonencode\((.*)\)\s*\}\s*$", re.DOTALL)

Lookup = Callable[[ImportOptions, list[str]], Any]


def _api_arn(options: ImportOptions, _: list[str]) -> Any:
    parts = (options.region, options.account, options.api_id)
    if None in parts:
        return None
    region = str(options.region)
    return f"arn:{partition_of(region)}:execute-api:{region}:{options.account}:{options.api_id}"


REFERENCES: Mapping[tuple[str, str], Lookup] = {
    ("aws_api_gateway_rest_api", "id"): lambda o, _: o.api_id,
    ("aws_api_gateway_rest_api", "execution_arn"): _api_arn,
    ("data.aws_caller_identity", "account_id"): lambda o, _: o.account,
    ("data.aws_region", "name"): lambda o, _: o.region,
    ("data.aws_region", "region"): lambda o, _: o.region,
    ("data.aws_region", "id"): lambda o, _: o.region,
    ("data.aws_partition", "partition"): lambda o, _: partition_of(o.region) if o.region else None,
    ("data.aws_partition", "dns_suffix"): lambda o, _: url_suffix(o.region) if o.region else None,
}
"""(resource type, attribute) -> what it evaluates to here; ``None`` = needs an option not given."""


class _Interpolator:
    def __init__(self, data: Mapping[str, Any], options: ImportOptions, problems: list[Problem]) -> None:
        self.options = options
        self.problems = problems
        variables = _blocks(data.get("variable"))
        self.variables = {name: spec.get("default") for name, spec in variables.items() if isinstance(spec, Mapping)}
        self.variables.update(options.parameters)
        self.locals = {k: v for block in _as_list(data.get("locals")) for k, v in _mapping(block).items()}

    def text(self, value: str, path: str) -> Any:
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            result = self.expression(match.group(1).strip(), path)
            failed = failed or result is None
            return "" if result is None else str(result)

        out = _INTERPOLATION.sub(substitute, value).replace("$${", "${")
        return None if failed else out

    def expression(self, expr: str, path: str) -> Any:
        parts = expr.split(".")
        if parts[0] == "var" and len(parts) == 2 and parts[1] in self.variables:
            return self.variables[parts[1]]
        if parts[0] == "local" and len(parts) == 2 and isinstance(self.locals.get(parts[1]), str):
            return self.text(self.locals[parts[1]], path)
        kind = ".".join(parts[:2]) if parts[0] == "data" else parts[0]
        lookup = REFERENCES.get((kind, parts[-1])) if len(parts) >= 3 else None
        value = lookup(self.options, parts) if lookup else None
        if value is None:
            hint = " (pass account / region / api id)" if lookup else ""
            self.problems.append(Problem(path, f"cannot resolve `${{{expr}}}` locally{hint}"))
        return value

    def value(self, raw: Any, path: str) -> Any:
        """An argument's value: ``${jsonencode(...)}`` decoded, interpolations resolved where known."""
        return _policy_value(raw, self, path)

    def walk(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, list):
            return [self.walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            return {k: self.walk(v, f"{path}.{k}") for k, v in value.items()}
        return value


def tf_interpolator(data: Mapping[str, Any], options: ImportOptions, problems: list[Problem]) -> _Interpolator:
    """Resolves a ``.tf.json`` file's interpolations (variables, locals, ``REFERENCES``) into ``problems``."""
    return _Interpolator(data, options, problems)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _blocks(value: Any) -> dict[str, Any]:
    """Terraform JSON lets any block level be an object or a list of objects: merge them."""
    out: dict[str, Any] = {}
    for item in _as_list(value):
        out.update(_mapping(item))
    return out


def _policy_value(raw: Any, interpolator: _Interpolator, path: str) -> Any:
    if isinstance(raw, str):
        encoded = _JSONENCODE.match(raw)
        if encoded is None:
            return interpolator.text(raw, path)
        try:
            raw = load_json(encoded.group(1), POLICY_LIMITS)
        except ValueError:
            interpolator.problems.append(Problem(path, "the `jsonencode(...)` argument is not JSON-compatible"))
            return None
    return interpolator.walk(raw, path)


def extract_terraform(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """Policies of ``aws_api_gateway_rest_api_policy`` / ``aws_api_gateway_rest_api`` in ``.tf.json``."""
    found = []
    resources = _blocks(data.get("resource"))
    for kind in POLICY_TYPES:
        for name, body in _blocks(resources.get(kind)).items():
            args = _blocks(body)
            if "policy" not in args:
                found.append(Found(api=f"{kind}.{name}"))
                continue
            problems: list[Problem] = []
            location = f"resource.{kind}.{name}.policy"
            value = _policy_value(args["policy"], _Interpolator(data, options, problems), location)
            document = None if value is None else finish_document(value, location, problems)
            policy = None
            if document is not None and not problems:
                policy = ImportedPolicy(document, "terraform", location, api=f"{kind}.{name}")
            found.append(Found(api=f"{kind}.{name}", policy=policy, problems=tuple(problems)))
    return found


def _modules(module: Mapping[str, Any], path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    yield module, path
    for index, child in enumerate(_as_list(module.get("child_modules"))):
        yield from _modules(_mapping(child), f"{path}.child_modules[{index}]")


def extract_terraform_show(data: Mapping[str, Any], options: ImportOptions) -> list[Found]:
    """Policies in ``terraform show -json`` output (state or plan)."""
    del options  # the output is already evaluated
    key = "values" if "values" in data else "planned_values"
    root = _mapping(_mapping(data.get(key)).get("root_module"))
    found = []
    for module, at in _modules(root, f"{key}.root_module"):
        for index, resource in enumerate(_as_list(module.get("resources"))):
            resource = _mapping(resource)
            if resource.get("type") not in POLICY_TYPES or resource.get("mode", "managed") != "managed":
                continue
            address, values = str(resource.get("address")), _mapping(resource.get("values"))
            if not values.get("policy"):
                found.append(Found(api=address))
                continue
            problems: list[Problem] = []
            location = f"{at}.resources[{index}].values.policy"
            document = finish_document(values["policy"], location, problems)
            api_id = values.get("rest_api_id") or (
                values.get("id") if resource.get("type") == POLICY_TYPES[1] else None
            )
            policy = None
            if document is not None:
                policy = ImportedPolicy(document, "terraform-show", location, api=address, api_id=api_id)
            found.append(Found(api=address, policy=policy, problems=tuple(problems)))
    return found
