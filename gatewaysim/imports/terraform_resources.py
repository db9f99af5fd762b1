"""Terraform's API Gateway resources, gathered for ``terraform_model``: from ``terraform show -json``
(state ``values`` or plan ``planned_values``, with the plan's ``configuration`` references) and from a
``.tf.json`` configuration (interpolations resolved where known, ``${...id}`` links kept as addresses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.model import ImportOptions
from gatewaysim.imports.openapi_model import sort_unresolved
from gatewaysim.imports.terraform import tf_interpolator

__all__ = ["TfResource", "as_list", "mapping", "show_resources", "tf_json_resources"]

_REFERENCE: Final = re.compile(
    r"\$\{\s*((?:module\.[\w-]+\.)*aws_api_gateway_\w+\.[\w-]+)\.(?:id|root_resource_id|stage_name)\s*\}"
)


@dataclass(frozen=True, slots=True)
class TfResource:
    """One managed resource: its address, its argument values, where they are, and what they reference."""

    address: str
    type: str
    name: str
    values: Mapping[str, Any]
    at: str
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # argument -> addresses


def as_list(value: Any) -> list[Any]:
    """``value`` as a list (a lone value in one, None as none)."""
    return value if isinstance(value, list) else [value] if value is not None else []


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


# ---------------------------------------------------------------- terraform show -json


def _configuration(module: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(address, expressions) of every resource in a plan's ``configuration``, child modules included."""
    for resource in as_list(module.get("resources")):
        address = str(mapping(resource).get("address"))
        yield prefix + address, mapping(mapping(resource).get("expressions"))
    for name, call in mapping(module.get("module_calls")).items():
        yield from _configuration(mapping(mapping(call).get("module")), f"{prefix}module.{name}.")


def _found(expression: Any, prefix: str) -> tuple[str, ...]:
    refs = [str(r) for r in as_list(mapping(expression).get("references"))]
    return tuple(prefix + r for r in refs if r.startswith("aws_api_gateway_") and r.count(".") == 1)


def _references(expressions: Mapping[str, Any], prefix: str) -> dict[str, tuple[str, ...]]:
    """argument -> the resources it references; a nested block's as ``api_stages[0].api_id``."""
    out = {}
    for argument, expression in expressions.items():
        if _found(expression, prefix):
            out[str(argument)] = _found(expression, prefix)
        for index, block in enumerate(expression if isinstance(expression, list) else []):
            for inner, value in mapping(block).items():
                if _found(value, prefix):
                    out[f"{argument}[{index}].{inner}"] = _found(value, prefix)
    return out


def _modules(module: Mapping[str, Any], path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    yield module, path
    for index, child in enumerate(as_list(module.get("child_modules"))):
        yield from _modules(mapping(child), f"{path}.child_modules[{index}]")


def show_resources(data: Mapping[str, Any]) -> list[TfResource]:
    """The API Gateway resources of ``terraform show -json`` output (state ``values`` or plan ``planned_values``)."""
    key = "values" if "values" in data else "planned_values"
    root = mapping(mapping(data.get(key)).get("root_module"))
    config = dict(_configuration(mapping(mapping(data.get("configuration")).get("root_module")), ""))
    out = []
    for module, at in _modules(root, f"{key}.root_module"):
        for index, resource in enumerate(as_list(module.get("resources"))):
            resource = mapping(resource)
            kind, address = str(resource.get("type")), str(resource.get("address"))
            if resource.get("mode", "managed") != "managed" or not kind.startswith("aws_api_gateway_"):
                continue
            module_prefix = address[: address.rfind(kind)] if kind in address else ""
            expressions = config.get(re.sub(r"\[[^]]*\]", "", address), {})
            refs = _references(expressions, module_prefix)
            values = mapping(resource.get("values"))
            out.append(
                TfResource(address, kind, str(resource.get("name")), values, f"{at}.resources[{index}].values", refs)
            )
    return out


# ---------------------------------------------------------------- .tf.json


def _blocks(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in as_list(value):
        out.update(mapping(item))
    return out


_LINKED_BLOCKS: Final = frozenset({"api_stages"})
"""Nested blocks whose arguments link to other resources (a usage plan's ``api_stages.api_id``)."""


def _block_links(raw: Mapping[str, Any], refs: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Links inside nested blocks (``api_stages {api_id = "${...id}"}``) go to ``refs`` as
    ``api_stages[0].api_id``; returns the blocks without them (what is left is interpolated)."""
    out: dict[str, Any] = {}
    for arg, value in raw.items():
        if arg not in _LINKED_BLOCKS or not all(isinstance(b, Mapping) for b in as_list(value)):
            continue
        blocks = []
        for index, block in enumerate(as_list(value)):
            kept = {}
            for inner, item in block.items():
                match = _REFERENCE.fullmatch(item.strip()) if isinstance(item, str) else None
                if match is None:
                    kept[inner] = item
                else:
                    refs[f"{arg}[{index}].{inner}"] = (match.group(1),)
            blocks.append(kept)
        out[str(arg)] = blocks
    return out


def tf_json_resources(
    data: Mapping[str, Any], options: ImportOptions, problems: list[Problem], notices: list[Problem]
) -> list[TfResource]:
    """The API Gateway resources of a ``.tf.json`` configuration, interpolations resolved where known
    (in a ``body``, what gatewaysim does not use may stay unresolved: a notice)."""
    out = []
    resources = _blocks(data.get("resource"))
    for kind, named in resources.items():
        if not str(kind).startswith("aws_api_gateway_"):
            continue
        for name, body in _blocks(named).items():
            at = f"resource.{kind}.{name}"
            raw = _blocks(body)
            whole = {str(arg): _REFERENCE.fullmatch(v.strip()) for arg, v in raw.items() if isinstance(v, str)}
            refs: dict[str, tuple[str, ...]] = {arg: (str(match.group(1)),) for arg, match in whole.items() if match}
            raw = {**raw, **_block_links(raw, refs)}
            values = {}
            for arg, value in raw.items():
                if arg in refs:
                    continue  # a link, not a value: resolved by address
                found: list[Problem] = []
                values[str(arg)] = tf_interpolator(data, options, found).value(value, f"{at}.{arg}")
                if arg == "body":
                    sort_unresolved(found, f"{at}.body", problems, notices)
                else:
                    problems.extend(found)
            out.append(TfResource(f"{kind}.{name}", str(kind), str(name), values, at, refs))
    return out
