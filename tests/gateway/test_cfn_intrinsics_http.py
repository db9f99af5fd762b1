"""A CloudFormation template whose resource tree and integration URI are intrinsics, served over HTTP.

`PathPart: !Ref Part` and `Uri: !Sub "${BackendUrl}/things"` are ordinary CloudFormation: the
resource's path and the backend come from template parameters (their default, or the config's
`parameters` as `--parameter-overrides`). Before, the method was refused as naming "no
`AWS::ApiGateway::Resource` of this API".
"""

from __future__ import annotations

from pathlib import Path

from gatewaysim.testing import GatewayServer, RecordingBackend, request_from

TEMPLATE = """\
Parameters:
  Part: {Type: String, Default: items}
  BackendUrl: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: intrinsics}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: !Ref Part}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: !Sub "${BackendUrl}/things"}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetItems
    Properties: {RestApiId: !Ref Api, StageName: prod}
"""


async def test_path_part_and_uri_from_parameters_are_served(tmp_path: Path, backend: RecordingBackend) -> None:
    file = tmp_path / "template.yaml"
    file.write_text(TEMPLATE, encoding="utf-8")
    config = {"api": {"template": str(file), "parameters": {"BackendUrl": backend.url}}}
    async with GatewayServer(config=config) as gw:
        reply = await request_from(gw.url + "/prod/items")
        missing = await request_from(gw.url + "/prod/Part")
    assert reply.status == 200, reply.body
    assert [seen.raw_path for seen in backend.seen] == ["/things"]
    assert missing.status == 403 and missing.json() == {"message": "Missing Authentication Token"}
