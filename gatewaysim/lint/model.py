"""The linter's inputs: the API (``ApiContext``), its methods (``MethodAuth``) and ``LintInput``.

``LintInput`` is what every check function reads: the parsed policy, the API, the methods, the raw
document (for sizes and exact JSON paths) and a few answers computed once and shared by checks
(which Resource patterns cannot match the API, which methods a statement could cover).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from gatewaysim.lint import arns
from gatewaysim.policy import Policy, Statement
from gatewaysim.policy.conditions import ConditionSpec

__all__ = ["AUTH_TYPES", "ENDPOINT_TYPES", "ApiContext", "LintInput", "MethodAuth", "ResourceItem", "method_list"]

AUTH_TYPES: Final = ("NONE", "CUSTOM", "AWS_IAM", "COGNITO_USER_POOLS")
ENDPOINT_TYPES: Final = ("REGIONAL", "EDGE", "PRIVATE")


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The API a policy is attached to. ``stages`` empty = unknown (stage names are then not checked)."""

    api_id: str
    account: str
    region: str
    stages: tuple[str, ...] = ()
    endpoint_type: str = "REGIONAL"
    partition: str = "aws"

    def __post_init__(self) -> None:
        if self.endpoint_type not in ENDPOINT_TYPES:
            raise ValueError(f"endpoint type `{self.endpoint_type}` is not one of {', '.join(ENDPOINT_TYPES)}")

    @property
    def arn(self) -> str:
        """``arn:aws:execute-api:{region}:{account}:{api-id}``: the base the ``execute-api:/`` shorthand uses."""
        return f"arn:{self.partition}:execute-api:{self.region}:{self.account}:{self.api_id}"

    @property
    def private(self) -> bool:
        """True for a PRIVATE API (reached through VPC endpoints)."""
        return self.endpoint_type == "PRIVATE"


@dataclass(frozen=True, slots=True)
class MethodAuth:
    """One method of the API and its ``authorizationType``: ``MethodAuth("GET", "/pets/{id}", "CUSTOM")``."""

    method: str
    resource_path: str
    authorization_type: str = "NONE"

    def __post_init__(self) -> None:
        if self.authorization_type not in AUTH_TYPES:
            raise ValueError(f"authorization type `{self.authorization_type}` is not one of {', '.join(AUTH_TYPES)}")
        if self.method != "ANY" and self.method not in arns.VERBS:
            raise ValueError(f"method `{self.method}` is not an upper-case HTTP verb or `ANY`")
        if not self.resource_path.startswith("/"):
            raise ValueError(f"resource path `{self.resource_path}` must start with `/`")

    @property
    def label(self) -> str:
        """``GET /pets/{id}``."""
        return f"{self.method} {self.resource_path}"

    @property
    def iam(self) -> bool:
        """True when callers are IAM principals (AWS_IAM); every other type calls as `anonymous`."""
        return self.authorization_type == "AWS_IAM"


@dataclass(frozen=True, slots=True)
class ResourceItem:
    """One Resource/NotResource pattern of a statement, located."""

    statement: Statement
    element: str  # Resource | NotResource
    pattern: str
    path: str


class LintInput:
    """Everything a check reads, with shared answers computed once."""

    def __init__(
        self,
        policy: Policy,
        api: ApiContext,
        methods: Sequence[MethodAuth] = (),
        raw: Mapping[str, Any] | None = None,
    ) -> None:
        self.policy = policy
        self.api = api
        self.methods = tuple(methods)
        self.raw = raw
        self._covered: dict[int, tuple[MethodAuth, ...]] = {}

    @property
    def statements(self) -> tuple[Statement, ...]:
        """The parsed statements."""
        return self.policy.statements

    # ---- locating values --------------------------------------------------------------------------

    def _raw_statement(self, statement: Statement) -> Mapping[str, Any] | None:
        raw = self.raw.get("Statement") if self.raw is not None else None
        if isinstance(raw, Mapping):
            return raw
        if isinstance(raw, list) and statement.index < len(raw) and isinstance(raw[statement.index], Mapping):
            item: Mapping[str, Any] = raw[statement.index]
            return item
        return None

    def item_path(self, statement: Statement, element: str, index: int, count: int) -> str:
        """``Statement[0].Resource[1]``, or ``Statement[0].Resource`` when the element is a single string."""
        raw = self._raw_statement(statement)
        listed = isinstance(raw.get(element), list) if raw is not None else count > 1
        return f"{statement.path}.{element}[{index}]" if listed else f"{statement.path}.{element}"

    def value_path(self, statement: Statement, spec: ConditionSpec, index: int) -> str:
        """The path of one condition value: ``...IpAddress.aws:SourceIp[0]`` or without ``[0]`` for a scalar."""
        raw = self._raw_statement(statement)
        block = raw.get("Condition") if raw is not None else None
        keys = block.get(spec.operator) if isinstance(block, Mapping) else None
        value = keys.get(spec.key) if isinstance(keys, Mapping) else None
        listed = isinstance(value, list) if keys is not None else len(spec.values) > 1
        return f"{spec.path}[{index}]" if listed else spec.path

    # ---- shared answers ---------------------------------------------------------------------------

    @cached_property
    def resource_items(self) -> tuple[ResourceItem, ...]:
        """Every Resource and NotResource pattern, located."""
        items: list[ResourceItem] = []
        for statement in self.statements:
            for element, patterns in (("Resource", statement.resource), ("NotResource", statement.not_resource)):
                for index, pattern in enumerate(patterns or ()):
                    path = self.item_path(statement, element, index, len(patterns or ()))
                    items.append(ResourceItem(statement, element, pattern, path))
        return tuple(items)

    @cached_property
    def target(self) -> arns.Target:
        """The API as the ARN analysis sees it."""
        api = self.api
        samples = arns.sample_stages(api.stages, [item.pattern for item in self.resource_items])
        return arns.Target(api.partition, api.region, api.account, api.api_id, api.stages, samples)

    @cached_property
    def resource_problems(self) -> tuple[tuple[ResourceItem, arns.ResourceProblem], ...]:
        """The patterns that can never match a method ARN of this API, with the reason."""
        out = []
        for item in self.resource_items:
            problem = arns.diagnose(item.pattern, self.target, self.policy.variables_enabled)
            if problem is not None:
                out.append((item, problem))
        return tuple(out)

    def covered_methods(self, statement: Statement) -> tuple[MethodAuth, ...]:
        """The methods whose ARN the statement's Resource could match (every method for NotResource)."""
        if statement.resource is None:
            return self.methods
        cached = self._covered.get(statement.index)
        if cached is None:
            chunks = [arns.pattern_chunks(p, self.policy.variables_enabled) for p in statement.resource]
            cached = tuple(m for m in self.methods if any(self._covers(c, m) for c in chunks))
            self._covered[statement.index] = cached
        return cached

    def _covers(self, chunks: arns.Chunks, method: MethodAuth) -> bool:
        verbs = arns.VERBS if method.method == "ANY" else (method.method,)
        path = method.resource_path[1:]
        literal, brace, _ = path.partition("{")
        for stage in self.target.sample_stages:
            for verb in verbs:
                arn = f"{self.api.arn}/{stage}/{verb}/{literal}"
                if arns.could_start(chunks, arn) if brace else arns.could_match(chunks, arn):
                    return True
        return False

    def non_iam(self, methods: Sequence[MethodAuth]) -> tuple[MethodAuth, ...]:
        """The methods whose callers reach the policy as `anonymous`."""
        return tuple(m for m in methods if not m.iam)


def method_list(methods: Sequence[MethodAuth], limit: int = 4) -> str:
    """```GET /pets` (NONE), `POST /pets` (CUSTOM)`` with at most ``limit`` named."""
    shown = [f"`{m.label}` ({m.authorization_type})" for m in methods[:limit]]
    more = len(methods) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
