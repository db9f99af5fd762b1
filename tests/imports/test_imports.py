"""Importers: the exact policy documents read from CloudFormation, SAM, OpenAPI, Terraform and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gatewaysim.errors import ConfigError
from gatewaysim.imports import detect_format, import_policies, import_policy
from gatewaysim.imports.cfn_yaml import load_cfn_yaml

DATA = Path(__file__).resolve().parents[1] / "data"
KNOWN: dict[str, Any] = {"account": "123456789012", "region": "us-east-1", "api_id": "abcdef1234"}
INVOKE = "execute-api:Invoke"


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in exc.value.problems]


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cfn-template.yaml", "cloudformation"),
        ("cfn-two-apis.json", "cloudformation"),
        ("sam-template.yaml", "sam"),
        ("sam-shorthand.yaml", "sam"),
        ("openapi.yaml", "openapi"),
        ("main.tf.json", "terraform"),
        ("terraform-show.json", "terraform-show"),
        ("get-rest-api.json", "get-rest-api"),
    ],
)
def test_detect_format(name: str, kind: str) -> None:
    data = load_cfn_yaml((DATA / name).read_text())
    assert detect_format(data) == kind


def test_detect_format_of_a_bare_policy_and_of_nothing_known() -> None:
    assert detect_format({"Version": "2012-10-17", "Statement": []}) == "policy"
    assert detect_format({"hello": "world"}) is None
    assert detect_format(["not", "a", "mapping"]) is None


# ---------------------------------------------------------------- CloudFormation


CFN_PROD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OfficeNetwork",
            "Effect": "Allow",
            "Principal": "*",
            "Action": INVOKE,
            "Resource": "arn:aws:execute-api:eu-west-1:123456789012:*/prod/*/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        },
        {
            "Sid": "PartnerReadsOrders",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
            "Action": INVOKE,
            "Resource": "arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/orders",
        },
        {
            "Sid": "BlockedAccount",
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": INVOKE,
            "Resource": "execute-api:/*",
        },
    ],
}


def test_cloudformation_template_resolves_sub_join_ref_and_if() -> None:
    imported = import_policy(DATA / "cfn-template.yaml", account="123456789012", region="eu-west-1")
    assert imported.document == CFN_PROD
    assert (imported.source, imported.location, imported.api) == (
        "cloudformation",
        "Resources.OrdersApi.Properties.Policy",
        "OrdersApi",
    )


def test_cloudformation_parameters_override_defaults_and_conditions_follow() -> None:
    imported = import_policy(
        DATA / "cfn-template.yaml", account="123456789012", region="eu-west-1", parameters={"StageName": "dev"}
    )
    statements = imported.document["Statement"]
    assert [s["Sid"] for s in statements] == ["OfficeNetwork", "PartnerReadsOrders"]  # !If IsProd -> NoValue
    assert statements[0]["Resource"] == "arn:aws:execute-api:eu-west-1:123456789012:*/dev/*/*"


def test_cloudformation_unknown_account_and_region_are_located_errors() -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(DATA / "cfn-template.yaml")
    base = "Resources.OrdersApi.Properties.Policy.Statement"
    assert problems(exc) == [
        (f"{base}[0].Resource", "`AWS::Partition` is not known here; pass `region`"),
        (f"{base}[0].Resource", "`AWS::Region` is not known here; pass `region`"),
        (f"{base}[0].Resource", "`AWS::AccountId` is not known here; pass `account`"),
        (f"{base}[1].Resource.Fn::Join[1][1]", "`AWS::Region` is not known here; pass `region`"),
        (f"{base}[1].Resource.Fn::Join[1][3]", "`AWS::AccountId` is not known here; pass `account`"),
    ]
    assert str(exc.value).startswith(f"template `{DATA / 'cfn-template.yaml'}`: {base}[0].Resource: ")


def test_policy_given_as_json_text_and_inside_the_openapi_body() -> None:
    found = import_policies(DATA / "cfn-two-apis.json", **KNOWN)
    assert [(p.api, p.location) for p in found] == [
        ("PublicApi", "Resources.PublicApi.Properties.Policy"),
        ("InternalApi", "Resources.InternalApi.Properties.Body.x-amazon-apigateway-policy"),
    ]
    assert found[0].document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": INVOKE,
                "Resource": "arn:aws:execute-api:us-east-1:123456789012:*/*/*/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
            }
        ],
    }
    assert found[1].document["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}
    }


def test_several_apis_are_ambiguous_until_one_is_named() -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(DATA / "cfn-two-apis.json", **KNOWN)
    [(path, message)] = problems(exc)
    assert path == ""
    assert "`PublicApi` (Resources.PublicApi.Properties.Policy)" in message
    assert "`InternalApi` (Resources.InternalApi.Properties.Body.x-amazon-apigateway-policy)" in message
    assert message.endswith("choose one with `api`")
    assert import_policy(DATA / "cfn-two-apis.json", api="InternalApi", **KNOWN).api == "InternalApi"
    with pytest.raises(ConfigError, match="no API named `Nope` \\(APIs: `PublicApi`, `InternalApi`\\)"):
        import_policy(DATA / "cfn-two-apis.json", api="Nope", **KNOWN)


def test_problems_of_one_api_do_not_block_naming_another() -> None:
    # without an account, PublicApi cannot be resolved; InternalApi needs nothing
    assert import_policy(DATA / "cfn-two-apis.json", api="InternalApi").api == "InternalApi"
    with pytest.raises(ConfigError) as exc:
        import_policies(DATA / "cfn-two-apis.json")
    assert [p.path for p in exc.value.problems] == ["Resources.PublicApi.Properties.Policy"] * 2


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("!Ref Api", {"Ref": "Api"}),
        ("!Sub 'x-${AWS::Region}'", {"Fn::Sub": "x-${AWS::Region}"}),
        ("!Sub ['${A}', {A: b}]", {"Fn::Sub": ["${A}", {"A": "b"}]}),
        ("!GetAtt Api.RootResourceId", {"Fn::GetAtt": ["Api", "RootResourceId"]}),
        ("!GetAtt [Api, RootResourceId]", {"Fn::GetAtt": ["Api", "RootResourceId"]}),
        ("!Join ['', [a, b]]", {"Fn::Join": ["", ["a", "b"]]}),
        ("!If [C, a, b]", {"Fn::If": ["C", "a", "b"]}),
        ("!Select [0, [a]]", {"Fn::Select": [0, ["a"]]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [M, k, v]", {"Fn::FindInMap": ["M", "k", "v"]}),
        ("!Base64 hi", {"Fn::Base64": "hi"}),
        ("!ImportValue shared-vpc", {"Fn::ImportValue": "shared-vpc"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        ("!Not [!Condition C]", {"Fn::Not": [{"Condition": "C"}]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("2012-10-17", "2012-10-17"),  # a date-like scalar stays text
    ],
)
def test_short_form_tags_load_as_long_form(yaml_text: str, expected: Any) -> None:
    assert load_cfn_yaml(yaml_text) == expected


def _template(resource_value: str, extra: str = "") -> str:
    return f"""
Parameters:
  Env: {{Type: String, Default: prod}}
  Cidrs: {{Type: CommaDelimitedList, Default: "10.0.0.0/8, 192.0.2.0/24"}}
  NoDefault: {{Type: String}}
Mappings:
  Ranges:
    prod: {{office: 203.0.113.0/24}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsDev, !Equals [a, a]]]
Resources:
  MyApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Policy:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
            Resource: {resource_value}
{extra}"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!Ref MyApi", "abcdef1234"),
        (
            "!Sub 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${MyApi}/*'",
            "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
        ),
        ("!Sub '${!Literal}-${AWS::URLSuffix}'", "${Literal}-amazonaws.com"),
        ("!Sub ['${Api}/${S}/GET/', {S: !Ref Env, Api: !Ref MyApi}]", "abcdef1234/prod/GET/"),
        ("{'Fn::Sub': 'execute-api:/${Env}/*', 'Ignored': 1}", None),
        ("!Select [1, !Ref Cidrs]", "192.0.2.0/24"),
        ("!Select [1, !Split ['/', 'a/b/c']]", "b"),
        ("!Join [',', !Ref Cidrs]", "10.0.0.0/8,192.0.2.0/24"),
        ("!FindInMap [Ranges, !Ref Env, office]", "203.0.113.0/24"),
        ("!Base64 abc", "YWJj"),
        ("!If [IsDev, dev, !If [Both, both, neither]]", "both"),
    ],
)
def test_intrinsic_functions_resolve(value: str, expected: str | None) -> None:
    document = import_policy(_template(value), **KNOWN).document
    assert document["Version"] == "2012-10-17"
    resource = document["Statement"][0]["Resource"]
    if expected is None:  # a two-key mapping is data, not a function call
        assert resource == {"Fn::Sub": "execute-api:/${Env}/*", "Ignored": 1}
    else:
        assert resource == expected


RESOURCE_AT = "Resources.MyApi.Properties.Policy.Statement[0].Resource"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "!GetAtt MyApi.RootResourceId",
            "`!GetAtt MyApi.RootResourceId` cannot be resolved offline; give --parameter-overrides "
            "MyApi.RootResourceId=...",
        ),
        (
            "!Sub '${MyApi.RootResourceId}'",
            "`!GetAtt MyApi.RootResourceId` cannot be resolved offline; give --parameter-overrides "
            "MyApi.RootResourceId=...",
        ),
        ("!GetAtt Nowhere.Arn", "`!GetAtt Nowhere.Arn`: `Nowhere` is not a resource of this template"),
        (
            "!ImportValue shared",
            "`!ImportValue shared` reads another stack's exports, unknown offline; "
            "give --parameter-overrides shared=...",
        ),
        ("!Ref Unknown", "`!Ref Unknown`: `Unknown` is not a parameter or resource of this template"),
        ("!Ref NoDefault", "parameter `NoDefault` has no Default; give --parameter-overrides NoDefault=..."),
        (
            "!Ref AWS::StackName",
            "pseudo parameter `AWS::StackName` is not known offline; give --parameter-overrides AWS::StackName=...",
        ),
        ("!FindInMap [Ranges, dev, office]", "`Fn::FindInMap`: no entry `Ranges.dev.office` in Mappings"),
        ("!Select [5, [a]]", "`Fn::Select` index `5` is not in the list"),
        ("!If [Nope, a, b]", "unknown condition `Nope`"),
        ("{'Fn::Cidr': [a, 1, 2]}", "cannot resolve `Fn::Cidr` locally: not supported by the importer"),
        ("{'Fn::Transform': x}", "unsupported intrinsic function `Fn::Transform`"),
    ],
)
def test_unresolvable_references_name_their_json_path(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(_template(value), **KNOWN)
    assert problems(exc) == [(RESOURCE_AT, message)]


def test_ref_to_the_api_needs_the_api_id() -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(_template("!Ref MyApi"), account="123456789012", region="us-east-1")
    assert problems(exc) == [(RESOURCE_AT, "`Ref` to the API `MyApi` needs the api id; pass `api_id`")]


def test_a_resource_whose_condition_is_false_is_skipped() -> None:
    text = _template("'*'").replace(
        "    Type: AWS::ApiGateway::RestApi\n", "    Type: AWS::ApiGateway::RestApi\n    Condition: IsDev\n"
    )
    with pytest.raises(ConfigError, match="no resource policy found"):
        import_policy(text, **KNOWN)


def test_partition_follows_the_region() -> None:
    document = import_policy(
        _template("!Sub 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:x/*.${AWS::URLSuffix}'"),
        account="123456789012",
        region="cn-north-1",
    ).document
    assert document["Statement"][0]["Resource"] == (
        "arn:aws-cn:execute-api:cn-north-1:123456789012:x/*.amazonaws.com.cn"
    )


def test_template_without_any_policy_names_the_apis_it_saw() -> None:
    text = "Resources:\n  Bare:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Name: bare}\n"
    with pytest.raises(ConfigError) as exc:
        import_policy(text)
    assert problems(exc) == [("", "no resource policy found (APIs without one: `Bare`)")]


# ---------------------------------------------------------------- SAM (through aws-sam-translator)


def test_sam_ip_whitelist_and_custom_statements() -> None:
    """The statements AWS's translator generates (the POST of `/orders` first: its path order)."""
    imported = import_policy(DATA / "sam-template.yaml")
    resources_orders = ["execute-api:/prod/POST/orders", "execute-api:/prod/GET/orders"]
    resources_order = ["execute-api:/prod/GET/orders/*"]
    not_office = {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}
    allow_all = {"Effect": "Allow", "Action": INVOKE, "Principal": "*"}
    assert imported.document == {
        "Version": "2012-10-17",
        "Statement": [
            {**allow_all, "Resource": resources_orders},
            {**allow_all, "Effect": "Deny", "Resource": resources_orders, "Condition": not_office},
            {**allow_all, "Resource": resources_order},
            {**allow_all, "Effect": "Deny", "Resource": resources_order, "Condition": not_office},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
                "Action": INVOKE,
                "Resource": "execute-api:/prod/GET/orders",
            },
        ],
    }
    assert (imported.source, imported.location) == ("sam", "Resources.OrdersApi.Properties.Auth.ResourcePolicy")


def test_sam_every_shorthand_event_policies_cors_and_the_implicit_api() -> None:
    """The expected documents are aws-sam-translator's (tests/imports/test_sam_translator.py checks
    our reading against the translator run on its own)."""
    expected = json.loads((DATA / "sam-shorthand.expected.json").read_text())
    found = {p.api: p for p in import_policies(DATA / "sam-shorthand.yaml")}
    assert {api: p.document for api, p in found.items()} == expected
    implicit = found["ServerlessRestApi"]
    assert implicit.location == "Resources.HelloFunction.Properties.Events.Hello.Properties.Auth.ResourcePolicy"
    # a lone account statement is stored as a mapping, as SAM does
    assert implicit.document["Statement"] == {
        "Effect": "Allow",
        "Action": INVOKE,
        "Resource": ["execute-api:/Prod/GET/hello"],
        "Principal": {"AWS": ["333333333333"]},
    }


SAM_HEAD = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: beta}
Resources:
"""


def test_sam_definition_body_keeps_its_policy_and_paths_and_any_becomes_star() -> None:
    text = (
        SAM_HEAD
        + """
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      DefinitionBody:
        swagger: "2.0"
        info: {title: pets}
        x-amazon-apigateway-policy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Deny, Principal: {AWS: "arn:aws:iam::999999999999:root"}, Action: execute-api:Invoke,
               Resource: "execute-api:/*"}
        paths:
          /pets/{petId}:
            x-amazon-apigateway-any-method: {x-amazon-apigateway-integration: {type: mock}}
      Auth:
        ResourcePolicy:
          AwsAccountWhitelist: ["111111111111"]
          CustomStatements:
            Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
            Resource: !Sub "execute-api:/${Stage}/GET/pets"
"""
    )
    assert import_policy(text).document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": INVOKE,
                "Resource": "execute-api:/*",
            },
            {
                "Effect": "Allow",
                "Action": INVOKE,
                "Resource": ["execute-api:/beta/*/pets/*"],
                "Principal": {"AWS": ["111111111111"]},
            },
            {"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/beta/GET/pets"},
        ],
    }


def test_sam_event_policy_with_an_intrinsic_stage_uses_the_literal_stage_like_sam() -> None:
    text = (
        SAM_HEAD
        + """
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: src/
      Events:
        X:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /x
            Method: get
            Auth: {ResourcePolicy: {IpRangeWhitelist: [10.0.0.0/8]}}
"""
    )
    statements = import_policy(text).document["Statement"]
    assert [s["Resource"] for s in statements] == [["execute-api:/Stage/GET/x"]] * 2


# ---------------------------------------------------------------- OpenAPI


def test_openapi_policy_routes_and_authorizers() -> None:
    imported = import_policy(DATA / "openapi.yaml")
    assert imported.document == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": INVOKE, "Resource": "execute-api:/*"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": INVOKE,
                "Resource": "execute-api:/*/POST/pets",
                "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8:1234::/48"]}},
            },
        ],
    }
    assert (imported.source, imported.location, imported.api) == (
        "openapi",
        "x-amazon-apigateway-policy",
        "pets-api",
    )


def test_swagger2_security_definitions_are_authorizers_too() -> None:
    text = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": "v2"},
            "securityDefinitions": {
                "lambda": {"type": "apiKey", "x-amazon-apigateway-authorizer": {"type": "request"}},
                "plain": {"type": "apiKey"},
            },
            "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": []},
        }
    )
    imported = import_policy(text)
    assert imported.document == {"Version": "2012-10-17", "Statement": []}


# ---------------------------------------------------------------- Terraform


TF_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": INVOKE,
            "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
            "Action": INVOKE,
            "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
        },
    ],
}


def test_terraform_tf_json_with_jsonencode() -> None:
    imported = import_policy(DATA / "main.tf.json", **KNOWN)
    assert imported.document == TF_DOCUMENT
    assert (imported.source, imported.location, imported.api) == (
        "terraform",
        "resource.aws_api_gateway_rest_api_policy.orders.policy",
        "aws_api_gateway_rest_api.orders",  # the API the policy resource names
    )


def test_terraform_unknown_references_are_located() -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(DATA / "main.tf.json", region="us-east-1")
    at = "resource.aws_api_gateway_rest_api_policy.orders.policy.Statement"
    hint = "locally (pass account / region / api id)"
    assert problems(exc) == [
        (f"{at}[0].Resource", f"cannot resolve `${{aws_api_gateway_rest_api.orders.execution_arn}}` {hint}"),
        (f"{at}[1].Resource", f"cannot resolve `${{data.aws_caller_identity.current.account_id}}` {hint}"),
        (f"{at}[1].Resource", f"cannot resolve `${{aws_api_gateway_rest_api.orders.id}}` {hint}"),
    ]


def _tf(policy: Any, **extra: Any) -> str:
    body = {"resource": [{"aws_api_gateway_rest_api_policy": {"p": [{"rest_api_id": "x", "policy": policy}]}}]}
    return json.dumps({**body, **extra})


def test_terraform_policy_as_json_text_with_escapes_and_locals() -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": INVOKE,
                    "Resource": "arn:aws:execute-api:${data.aws_region.here.id}:*:${local.api}/$${aws:username}",
                }
            ],
        }
    )
    imported = import_policy(_tf(policy, locals={"api": "${aws_api_gateway_rest_api.x.id}"}), **KNOWN)
    assert imported.document["Statement"][0]["Resource"] == (
        "arn:aws:execute-api:us-east-1:*:abcdef1234/${aws:username}"
    )


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("${data.aws_iam_policy_document.p.json}", "cannot resolve `${data.aws_iam_policy_document.p.json}` locally"),
        ('${jsonencode({Version = "2012-10-17"})}', "the `jsonencode(...)` argument is not JSON-compatible"),
        ("${var.missing}", "cannot resolve `${var.missing}` locally"),
        ("not json", "the policy text is not JSON, even after unescaping"),
    ],
)
def test_terraform_policies_we_cannot_evaluate(policy: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy(_tf(policy), **KNOWN)
    assert problems(exc) == [("resource.aws_api_gateway_rest_api_policy.p.policy", message)]


def test_terraform_policy_as_an_object_and_variables_from_parameters() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "${var.arn}"}]}
    text = _tf(policy, variable={"arn": {"default": "default-arn"}})
    assert import_policy(text).document["Statement"][0]["Resource"] == "default-arn"
    assert import_policy(text, parameters={"arn": "given"}).document["Statement"][0]["Resource"] == "given"


def test_terraform_hcl_is_refused_with_a_hint(tmp_path: Path) -> None:
    hcl = tmp_path / "main.tf"
    hcl.write_text('resource "aws_api_gateway_rest_api_policy" "p" {}\n')
    with pytest.raises(ConfigError, match="use a `.tf.json` file or `terraform show -json` output"):
        import_policy(hcl)


def test_terraform_show_state_including_child_modules() -> None:
    imported = import_policy(DATA / "terraform-show.json")
    assert imported.document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999888777666:role/PartnerIntegrationRole"},
                "Action": INVOKE,
                "Resource": "arn:aws:execute-api:us-east-1:123456789012:k7x9q2w4e1/*/*/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
            }
        ],
    }
    assert (imported.source, imported.location, imported.api, imported.api_id) == (
        "terraform-show",
        "values.root_module.child_modules[0].resources[1].values.policy",
        "module.partner_api.aws_api_gateway_rest_api.this",
        None,  # the API's model carries its id (k7x9q2w4e1)
    )


def test_terraform_show_plan_form() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_api_gateway_rest_api.api",
                        "mode": "managed",
                        "type": "aws_api_gateway_rest_api",
                        "name": "api",
                        "values": {"name": "api", "policy": '{"Version":"2012-10-17","Statement":[]}'},
                    }
                ]
            }
        },
    }
    imported = import_policy(json.dumps(plan))
    assert imported.document == {"Version": "2012-10-17", "Statement": []}
    assert imported.location == "planned_values.root_module.resources[0].values.policy"


# ---------------------------------------------------------------- AWS CLI and bare documents


CORPORATE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CorporateNetwork",
            "Effect": "Allow",
            "Principal": "*",
            "Action": INVOKE,
            "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/*/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]}},
        }
    ],
}


def test_get_rest_api_output_with_the_escaped_policy() -> None:
    assert '\\\\\\"Version\\\\\\"' in (DATA / "get-rest-api.json").read_text()  # really escaped
    imported = import_policy(DATA / "get-rest-api.json")
    assert imported.document == CORPORATE
    assert (imported.source, imported.location, imported.api, imported.api_id) == (
        "get-rest-api",
        "policy",
        "hr-systems",
        "abcdef1234",
    )


def test_escaped_policy_text_as_printed_by_output_text() -> None:
    stored = json.loads((DATA / "get-rest-api.json").read_text())["policy"]
    assert stored.startswith('{\\"Version\\"')
    imported = import_policy(stored)
    assert imported.document == CORPORATE


def test_get_rest_apis_lists_several_apis() -> None:
    policy = json.dumps(CORPORATE)
    text = json.dumps({"items": [{"id": "a1", "name": "one", "policy": policy}, {"id": "b2", "name": "two"}]})
    assert [(p.api, p.api_id, p.location) for p in import_policies(text)] == [("one", "a1", "items[0].policy")]
    text = json.dumps({"items": [{"id": "a1", "policy": policy}, {"id": "b2", "policy": policy}]})
    with pytest.raises(ConfigError, match="several APIs have a resource policy: `a1`"):
        import_policy(text)


def test_bare_policy_file_and_text() -> None:
    imported = import_policy(DATA.parent.parent / "config" / "examples" / "corporate-network.json")
    assert (imported.source, imported.location) == ("policy", "")
    assert imported.document["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"][2] == "192.0.2.0/24"
    assert import_policy(json.dumps(CORPORATE), fmt="policy").document == CORPORATE


# ---------------------------------------------------------------- malformed input


def test_invalid_yaml_is_located_by_line() -> None:
    with pytest.raises(ConfigError) as exc:
        import_policy("Resources:\n  A: [unclosed\n  B: 1\n")
    [(path, message)] = problems(exc)
    assert path == "" and message.startswith("not valid YAML: line 3: ")


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ('{"hello": 1}', {}, "cannot tell what kind of file this is"),
        ('{"Statement": []}', {"fmt": "hcl"}, "unknown format `hcl`"),
        ("[1, 2]", {"fmt": "policy"}, "a policy file must be a mapping at the top"),
        ('{"id": "x", "policy": "{\\\\\\"broken"}', {}, "the policy text is not JSON"),
        ('{"openapi": "3.0.1", "x-amazon-apigateway-policy": "nope"}', {}, "not JSON"),
        ('{"openapi": "3.0.1", "x-amazon-apigateway-policy": {"Version": "x"}}', {}, "not a policy document"),
    ],
)
def test_malformed_sources(text: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        import_policy(text, **kwargs)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        import_policy(tmp_path / "nope.json")


def test_importers_load_no_aiohttp_or_asyncio() -> None:
    code = "import sys, gatewaysim.imports; print(sorted(m for m in ('aiohttp', 'asyncio') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
