"""A CloudFormation template and what the importer knows about it (shared by the CFN and SAM readers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gatewaysim.errors import Problem
from gatewaysim.imports.intrinsics import UNRESOLVED, Known, Resolver
from gatewaysim.imports.model import Found, ImportedPolicy, ImportOptions

__all__ = ["Template", "mapping", "refers_to"]


class Template:
    """A CloudFormation template plus what the importer knows; builds per-API resolvers."""

    def __init__(self, data: Mapping[str, Any], options: ImportOptions) -> None:
        self.data = data
        self.options = options
        self.problems: list[Problem] = []
        resources = data.get("Resources")
        self.resources: Mapping[str, Any] = resources if isinstance(resources, Mapping) else {}
        self.parameters = {**_parameter_defaults(data.get("Parameters")), **options.parameters}

    def resolver(self, api_logical_id: str | None, problems: list[Problem] | None = None) -> Resolver:
        """A resolver in which ``Ref: api_logical_id`` (and ``${api_logical_id}``) is the API id."""
        known = Known(
            account=self.options.account,
            region=self.options.region,
            api_id=self.options.api_id,
            api_logical_ids=frozenset({api_logical_id} if api_logical_id else ()),
            parameters=self.parameters,
            declared_parameters=frozenset(mapping(self.data.get("Parameters"))),
            mappings=mapping(self.data.get("Mappings")),
            conditions=mapping(self.data.get("Conditions")),
        )
        return Resolver(known, self.problems if problems is None else problems)

    def collect(self, api: str, build: Callable[[], ImportedPolicy | None]) -> Found:
        """Run ``build`` for one API and keep the problems it met with its result."""
        before = len(self.problems)
        policy = build()
        problems = tuple(self.problems[before:])
        return Found(api=api, policy=None if problems else policy, problems=problems)

    def created(self, logical_id: str, resource: Mapping[str, Any]) -> bool:
        """False when the resource's ``Condition`` is known to be false (unknown counts as created)."""
        condition = resource.get("Condition")
        if condition is None:
            return True
        truth = self.resolver(logical_id, problems=[]).condition(condition, f"Resources.{logical_id}.Condition")
        return truth is UNRESOLVED or bool(truth)

    def of_type(self, type_name: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Resources of one type, in template order."""
        return [
            (lid, res)
            for lid, res in self.resources.items()
            if isinstance(res, Mapping) and res.get("Type") == type_name
        ]


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (templates are read leniently)."""
    return value if isinstance(value, Mapping) else {}


def _parameter_defaults(parameters: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in mapping(parameters).items():
        if not isinstance(spec, Mapping) or "Default" not in spec:
            continue
        default, kind = spec["Default"], str(spec.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        out[name] = [p.strip() for p in str(default).split(",")] if is_list else default
    return out


def refers_to(value: Any, logical_id: str) -> bool:
    """True for ``logical_id`` itself or ``{"Ref": logical_id}``."""
    return value == logical_id or (isinstance(value, Mapping) and value.get("Ref") == logical_id)
