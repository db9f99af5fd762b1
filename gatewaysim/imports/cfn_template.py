"""A CloudFormation template and what can be known about it offline: parameters, stand-ins, functions.

``CfnTemplate`` holds the parsed template, its parameter values (``Default``s, then overrides) and
the stand-ins used where a value only exists after deploy: ``Ref``/``Fn::GetAtt`` of a Lambda
function (``arn:aws:lambda:{region}:{account}:function:{LogicalId}``), a Cognito user pool
(``{region}_{LogicalId}``) or an IAM role. An override ``X.Arn=...`` (``--parameter-overrides``)
replaces a stand-in; anything else unknown is a located problem naming the override to give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gatewaysim.errors import Problem
from gatewaysim.imports.api_model import FunctionModel
from gatewaysim.imports.intrinsics import UNRESOLVED, Known, Resolver, partition_of
from gatewaysim.imports.model import ImportOptions

__all__ = ["API_TYPE", "KNOWN_TYPES", "CfnTemplate", "SamOrigin", "mapping", "refers_to"]

API_TYPE: Final = "AWS::ApiGateway::RestApi"

# Every resource type of the API Gateway (v1) and SAM namespaces: another name there is a typo that
# CloudFormation refuses ("Unrecognized resource types"), so it is an error here too.
KNOWN_TYPES: Final = frozenset(
    {
        *(
            f"AWS::ApiGateway::{name}"
            for name in [
                "Account",
                "ApiKey",
                "Authorizer",
                "BasePathMapping",
                "BasePathMappingV2",
                "ClientCertificate",
                "Deployment",
                "DocumentationPart",
                "DocumentationVersion",
                "DomainName",
                "DomainNameAccessAssociation",
                "DomainNameV2",
                "GatewayResponse",
                "Method",
                "Model",
                "RequestValidator",
                "Resource",
                "RestApi",
                "Stage",
                "UsagePlan",
                "UsagePlanKey",
                "VpcLink",
            ]
        ),
        *(
            f"AWS::Serverless::{name}"
            for name in [
                "Api",
                "Application",
                "CapacityProvider",
                "Connector",
                "Function",
                "GraphQLApi",
                "HttpApi",
                "LayerVersion",
                "SimpleTable",
                "StateMachine",
                "WebSocketApi",
            ]
        ),
    }
)

StandIn = Callable[[str, str, str, str], Mapping[str, Any]]  # (logical id, partition, region, account)


def _lambda(lid: str, partition: str, region: str, account: str) -> Mapping[str, Any]:
    return {lid: lid, f"{lid}.Arn": f"arn:{partition}:lambda:{region}:{account}:function:{lid}"}


def _user_pool(lid: str, partition: str, region: str, account: str) -> Mapping[str, Any]:
    pool = f"{region}_{lid}"
    return {
        lid: pool,
        f"{lid}.Arn": f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool}",
        f"{lid}.ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool}",
        f"{lid}.UserPoolId": pool,
    }


def _role(lid: str, partition: str, region: str, account: str) -> Mapping[str, Any]:
    return {lid: lid, f"{lid}.Arn": f"arn:{partition}:iam::{account}:role/{lid}"}


def _own_id(lid: str, partition: str, region: str, account: str) -> Mapping[str, Any]:
    return {lid: lid}


STAND_INS: Final[Mapping[str, StandIn]] = {
    "AWS::Lambda::Function": _lambda,
    "AWS::Serverless::Function": _lambda,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::IAM::Role": _role,
    **{
        f"AWS::ApiGateway::{kind}": _own_id
        for kind in ("Authorizer", "Resource", "Deployment", "Stage", "Model", "RequestValidator", "ApiKey")
    },
    "AWS::ApiGateway::UsagePlan": _own_id,
}
"""Resource type -> the ``Ref``/``Fn::GetAtt`` values that stand in for it offline."""


@dataclass(frozen=True, slots=True)
class SamOrigin:
    """What the SAM template said before translation: its functions' code, where policies came from."""

    functions: Mapping[str, FunctionModel] = field(default_factory=dict)
    policy_locations: Mapping[str, str] = field(default_factory=dict)  # API logical id -> SAM path
    properties: frozenset[tuple[str, str]] = frozenset()  # (logical id, property) the SAM template states

    def locate(self, path: str) -> str:
        """``path`` in the translated template, marked when the SAM template does not state it itself."""
        parts = path.split(".", 4)
        stated = len(parts) >= 4 and parts[0] == "Resources" and (parts[1], parts[3]) in self.properties
        return path if stated or not self.properties else f"{path} (as SAM translates it)"


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (templates are read leniently)."""
    return value if isinstance(value, Mapping) else {}


def refers_to(value: Any, logical_id: str) -> bool:
    """True for ``logical_id`` itself or ``{"Ref": logical_id}``."""
    return value == logical_id or (isinstance(value, Mapping) and value.get("Ref") == logical_id)


def _parameter_values(parameters: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in mapping(parameters).items():
        if not isinstance(spec, Mapping) or "Default" not in spec:
            continue
        default, kind = spec["Default"], str(spec.get("Type", "String"))
        if kind.startswith("AWS::SSM::Parameter::"):
            continue  # the default names an SSM parameter, read at deploy time
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        out[name] = [p.strip() for p in str(default).split(",")] if is_list else default
    for name, value in overrides.items():
        kind = str(mapping(mapping(parameters).get(name)).get("Type", "String"))
        is_list = isinstance(value, str) and (kind == "CommaDelimitedList" or kind.startswith("List<"))
        out[name] = [p.strip() for p in value.split(",")] if is_list else value
    return out


class CfnTemplate:
    """A parsed CloudFormation template plus what is known offline; builds resolvers per use."""

    def __init__(
        self,
        data: Mapping[str, Any],
        options: ImportOptions,
        *,
        kind: str = "cloudformation",
        origin: SamOrigin | None = None,
    ) -> None:
        self.data = data
        self.options = options
        self.kind = kind
        self.origin = origin or SamOrigin()
        self.resources: Mapping[str, Any] = mapping(data.get("Resources"))
        self.parameters = _parameter_values(data.get("Parameters"), options.parameters)
        self.attributes = self._stand_ins()
        self._truth: dict[str, bool] = {}

    def _stand_ins(self) -> dict[str, Any]:
        region, account = self.options.region, self.options.account
        if region is None or account is None:
            return {}
        out: dict[str, Any] = {}
        for lid, resource in self.resources.items():
            stand_in = STAND_INS.get(str(mapping(resource).get("Type")))
            if stand_in is not None:
                out.update(stand_in(str(lid), partition_of(region), region, account))
        return out

    def resolver(
        self, api_ids: Mapping[str, str | None], problems: list[Problem], *, keep_going: bool = False
    ) -> Resolver:
        """A resolver in which each API's logical id is its api id."""
        known = Known(
            account=self.options.account,
            region=self.options.region,
            api_ids=api_ids,
            parameters=self.parameters,
            declared_parameters=frozenset(mapping(self.data.get("Parameters"))),
            mappings=mapping(self.data.get("Mappings")),
            conditions=mapping(self.data.get("Conditions")),
            resources=frozenset(str(k) for k in self.resources),
            attributes=self.attributes,
        )
        return Resolver(known, problems, keep_going=keep_going)

    def created(self, logical_id: str) -> bool:
        """False when the resource's ``Condition`` is known to be false (unknown counts as created)."""
        if logical_id not in self._truth:
            condition = mapping(self.resources.get(logical_id)).get("Condition")
            truth: Any = True
            if condition is not None:
                resolver = self.resolver({}, [])
                truth = resolver.condition(condition, f"Resources.{logical_id}.Condition")
            self._truth[logical_id] = truth is UNRESOLVED or bool(truth)
        return self._truth[logical_id]

    def of_type(self, type_name: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Created resources of one type, in template order, with their properties."""
        return [
            (str(lid), mapping(mapping(res).get("Properties")))
            for lid, res in self.resources.items()
            if mapping(res).get("Type") == type_name and self.created(str(lid))
        ]

    def api_names(self) -> list[str]:
        """The logical ids of the template's REST APIs, in template order."""
        return [lid for lid, _ in self.of_type(API_TYPE)]

    def functions(self) -> dict[str, FunctionModel]:
        """Lambda functions of the template: runtime, handler, environment, timeout, memory (resolved where
        they can be; a variable that cannot is left out), and the local code directory (SAM's ``CodeUri``
        as the SAM template said it, or a local ``Code`` path as ``aws cloudformation package`` takes)."""
        out: dict[str, FunctionModel] = {}
        lenient = self.resolver({}, [], keep_going=True)
        for lid, raw in self.of_type("AWS::Lambda::Function"):
            props = mapping(lenient.resolve(raw, f"Resources.{lid}.Properties"))
            code = raw.get("Code")
            sam = self.origin.functions.get(lid)
            local = sam.code_dir if sam is not None else code if isinstance(code, str) and "://" not in code else None
            variables = mapping(mapping(props.get("Environment")).get("Variables"))
            out[lid] = FunctionModel(
                lid,
                _text(props.get("Runtime")),
                _text(props.get("Handler")),
                local,
                {str(k): str(v) for k, v in variables.items() if isinstance(v, str | int | float) and v is not True},
                _number(props.get("Timeout")),
                _number(props.get("MemorySize")),
            )
        return out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
