"""Bad templates: one located line each, exit 2, never a traceback (the real command, in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def serve(template: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gatewaysim", "serve", "--template", str(template), "--port", "0", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


SAM_HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("not-yaml.yaml", "Resources: {Api: [unclosed\n", "not valid YAML: line 2: "),
        ("binary.yaml", b"\xff\xfe\x00garbage".decode("latin-1"), "not UTF-8 text: byte `0xff` at line 1, column 1"),
        (
            "unknown-type.yaml",
            "Resources:\n  Api: {Type: AWS::ApiGateway::RestApii, Properties: {}}\n",
            "Resources.Api.Type: unknown resource type `AWS::ApiGateway::RestApii`",
        ),
        (
            "unknown-ref.yaml",
            "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
            "      Policy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*',"
            " Action: 'execute-api:Invoke', Resource: !GetAtt Missing.Arn}]}\n",
            "Resources.Api.Properties.Policy.Statement[0].Resource: `!GetAtt Missing.Arn`: `Missing` is not a "
            "resource of this template",
        ),
        (
            "broken-intrinsic.yaml",
            "Resources:\n  Fn: {Type: AWS::Lambda::Function, Properties: {}}\n  Api:\n"
            "    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
            "      Policy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*',"
            " Action: 'execute-api:Invoke', Resource: !GetAtt Fn.Nope}]}\n",
            "Resources.Api.Properties.Policy.Statement[0].Resource: `!GetAtt Fn.Nope` cannot be resolved offline; "
            "give --parameter-overrides Fn.Nope=...",
        ),
        (
            "missing-definition.yaml",
            SAM_HEAD + "  Api: {Type: AWS::Serverless::Api, Properties: {StageName: prod, DefinitionUri: nope.yaml}}\n",
            "Resources.Api.Properties.DefinitionUri: cannot read `nope.yaml`: no such file or directory",
        ),
    ],
)
def test_one_located_line_and_exit_2(tmp_path: Path, name: str, text: str, line: str) -> None:
    file = tmp_path / name
    file.write_bytes(text.encode("latin-1") if name == "binary.yaml" else text.encode())
    result = serve(file)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (printed,) = result.stderr.splitlines()
    assert printed.startswith(f"gatewaysim: template `{file}`: {line}")


def test_a_parameter_override_resolves_what_cannot_be_known_offline(tmp_path: Path) -> None:
    file = tmp_path / "t.yaml"
    file.write_text(
        "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n"
        "      Policy: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*',"
        " Action: 'execute-api:Invoke', Resource: !ImportValue shared-api}]}\n"
    )
    result = serve(file)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "give --parameter-overrides shared-api=..." in result.stderr
    bad = serve(file, "--parameter-overrides", "novalue")
    assert bad.returncode == 2 and "`novalue` is not KEY=VALUE" in bad.stderr


CFN_METHOD = (
    "Parameters:\n  Host: {Type: String, Default: 127.0.0.1}\nResources:\n"
    "  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}\n"
    "  R: {Type: AWS::ApiGateway::Resource, Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId,"
    " PathPart: PART}}\n"
    "  M:\n    Type: AWS::ApiGateway::Method\n    Properties:\n"
    "      {RestApiId: !Ref Api, ResourceId: !Ref R, HttpMethod: GET, AuthorizationType: AUTH,"
    " Integration: {Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: URI, TimeoutInMillis: TIMEOUT}}\n"
)


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"PART": "!Ref Missing"},
            "template `{file}`: Resources.R.Properties.PathPart: `!Ref Missing`: `Missing` is not a parameter or "
            "resource of this template",
        ),
        (
            {"URI": '!Sub "http://${Nope}/x"'},
            "template `{file}`: Resources.M.Properties.Integration.Uri: `!Ref Nope`: `Nope` is not a parameter or "
            "resource of this template",
        ),
        (
            {"TIMEOUT": "10"},
            "config: {file}: Resources.M.Properties.Integration.TimeoutInMillis: must be an integer from 50 to 29000 "
            "(milliseconds), got `10`",
        ),
        (
            {"AUTH": "AWS_IAM"},
            "config: {file}: Resources.M.Properties: AWS_IAM methods need exactly one `AWS_IAM` authorizer in "
            "`authorizers`, found none (the keys SigV4 signatures are checked against, e.g. `iam: {type: AWS_IAM,",
        ),
    ],
)
def test_a_method_problem_names_the_file_and_its_path_there(tmp_path: Path, changes: dict[str, str], line: str) -> None:
    text = CFN_METHOD
    for name, value in {
        "PART": "items",
        "URI": '!Sub "http://${Host}/x"',
        "TIMEOUT": "1000",
        "AUTH": "NONE",
        **changes,
    }.items():
        text = text.replace(name, value)
    file = tmp_path / "t.yaml"
    file.write_text(text)
    result = serve(file)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (printed,) = result.stderr.splitlines()
    assert printed.startswith("gatewaysim: " + line.replace("{file}", str(file)))
