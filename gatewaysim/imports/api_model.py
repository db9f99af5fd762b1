"""One API as a source file describes it, whatever the source (SAM, CloudFormation, OpenAPI, Terraform).

Readers fill an ``ApiModel``; the config room turns it into ``ApiSettings``. Values are already
resolved (intrinsics, Terraform interpolation) and in gatewaysim's config vocabulary where one
exists: routes are config route items (``{resource, method, authorizationType, authorizer,
authorizationScopes}``), authorizers config authorizer definitions (``{type: TOKEN, identitySource
...}``). Every item keeps its JSON path in the source, so any later problem is located there.
``notices`` are the "not emulated" warnings (``gatewaysim.imports.coverage``), already located.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatewaysim.errors import Problem
from gatewaysim.imports.model import ImportedPolicy

__all__ = ["ApiModel", "AuthorizerModel", "FunctionModel", "RouteModel", "StageModel"]


@dataclass(frozen=True, slots=True)
class StageModel:
    """A stage the source deploys, with its variables (raw: checked by the config) and where they are."""

    name: str
    location: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    variables_location: str = ""


@dataclass(frozen=True, slots=True)
class RouteModel:
    """A method: a config route item, where the source declares it, and what gatewaysim keeps raw for later."""

    item: Mapping[str, Any]
    location: str
    api_key_required: bool = False
    integration: Mapping[str, Any] | None = None  # resolved, as the source states it


@dataclass(frozen=True, slots=True)
class FunctionModel:
    """A Lambda function the source defines: enough to run a Python handler from its local code."""

    logical_id: str
    runtime: str | None = None
    handler: str | None = None
    code_dir: str | None = None  # a local directory (SAM ``CodeUri``), relative to the source file
    environment: Mapping[str, str] = field(default_factory=dict)  # Environment.Variables, resolved
    timeout: int | None = None  # seconds
    memory_size: int | None = None  # MB

    def handler_spec(self) -> str | None:
        """``dir/module.py:function`` for a Python handler with local code, else None."""
        if not (self.runtime or "").startswith("python") or not self.handler or self.code_dir is None:
            return None
        module, dot, function = self.handler.rpartition(".")
        if not dot or not module or not function:
            return None
        base = self.code_dir.rstrip("/") or "."
        return f"{base}/{module.replace('.', '/')}.py:{function}"


@dataclass(frozen=True, slots=True)
class AuthorizerModel:
    """An authorizer: its config definition, where it is declared and the template function behind it."""

    definition: Mapping[str, Any]
    location: str
    function: str | None = None  # logical id of the Lambda function its URI names, when in this source


@dataclass(frozen=True, slots=True)
class ApiModel:
    """Everything a source says about one REST API, in gatewaysim's vocabulary."""

    name: str | None  # logical id, Terraform address or OpenAPI title
    kind: str  # sam | cloudformation | openapi | terraform | terraform-show
    source: str | None = None  # the file (None for text given directly)
    api_id: str | None = None  # when the source states it (Terraform state)
    stages: tuple[StageModel, ...] = ()
    routes: tuple[RouteModel, ...] = ()
    authorizers: Mapping[str, AuthorizerModel] = field(default_factory=dict)
    policy: ImportedPolicy | None = None
    functions: Mapping[str, FunctionModel] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    notices: tuple[Problem, ...] = ()
    declares_routes: bool = True  # False: the source says nothing about methods (a bare policy)
    door: Mapping[str, Any] = field(default_factory=dict)  # API-level door keys, config form (door_model)
    api_keys: tuple[Mapping[str, Any], ...] = ()  # config `api_keys` items the source declares for this API
    usage_plans: tuple[Mapping[str, Any], ...] = ()  # config `usage_plans` items naming this API's stages
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # later readers' extras

    @property
    def label(self) -> str:
        """How messages name the API: its name, or the file."""
        return self.name or self.source or "api"
