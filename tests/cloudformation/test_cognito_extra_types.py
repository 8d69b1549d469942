"""More Cognito resource types through boto3 against a real gureum: a user pool domain, a
resource server, two groups and a user's membership made by a stack on a pool and user made
outside it; the resource server renamed and rescoped in place (same identifier), the
membership moved to the other group (a replacement: the user leaves the first group); delete
removing the domain, the server, the groups and the membership."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, settle, statuses, uniq

TEMPLATE = """
Parameters:
  PoolId: {Type: String}
  Username: {Type: String}
  Prefix: {Type: String}
  ServerName: {Type: String, Default: weather}
  ScopeText: {Type: String, Default: read the weather}
  Group: {Type: String, Default: readers, AllowedValues: [readers, writers]}
Conditions:
  Reader: !Equals [!Ref Group, readers]
Resources:
  Readers:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref PoolId, GroupName: !Sub "${AWS::StackName}-readers"}
  Writers:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref PoolId, GroupName: !Sub "${AWS::StackName}-writers"}
  Domain:
    Type: AWS::Cognito::UserPoolDomain
    Properties: {UserPoolId: !Ref PoolId, Domain: !Ref Prefix}
  Server:
    Type: AWS::Cognito::UserPoolResourceServer
    Properties:
      UserPoolId: !Ref PoolId
      Identifier: !Sub "https://${AWS::StackName}.example.com"
      Name: !Ref ServerName
      Scopes: [{ScopeName: read, ScopeDescription: !Ref ScopeText}]
  Member:
    Type: AWS::Cognito::UserPoolUserToGroupAttachment
    Properties: {UserPoolId: !Ref PoolId, Username: !Ref Username, GroupName: !If [Reader, !Ref Readers, !Ref Writers]}
Outputs:
  Domain: {Value: !Ref Domain}
  CloudFront: {Value: !GetAtt Domain.CloudFrontDistribution}
  Server: {Value: !Ref Server}
  Readers: {Value: !Ref Readers}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _groups(idp: Any, pool: str, user: str) -> list[str]:
    return sorted(g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool, Username=user)["Groups"])


def test_domain_resource_server_and_group_membership(cfn: Any, gureum: Any) -> None:
    name = uniq("cog")
    idp = gureum.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    idp.admin_create_user(UserPoolId=pool, Username="ann", MessageAction="SUPPRESS")
    params = [{"ParameterKey": "PoolId", "ParameterValue": pool}, {"ParameterKey": "Username", "ParameterValue": "ann"},
              {"ParameterKey": "Prefix", "ParameterValue": name}]
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

    found = idp.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert (out["Domain"], found["UserPoolId"], out["CloudFront"]) == (name, pool, found["CloudFrontDistribution"])
    identifier = f"https://{name}.example.com"
    server = idp.describe_resource_server(UserPoolId=pool, Identifier=identifier)["ResourceServer"]
    assert out["Server"] == identifier and server["Name"] == "weather"
    assert server["Scopes"] == [{"ScopeName": "read", "ScopeDescription": "read the weather"}]
    assert out["Readers"] == f"{name}-readers"
    assert _groups(idp, pool, "ann") == [f"{name}-readers"]

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params + [
        {"ParameterKey": "ServerName", "ParameterValue": "forecast"}, {"ParameterKey": "ScopeText", "ParameterValue": "read it"},
        {"ParameterKey": "Group", "ParameterValue": "writers"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    server = idp.describe_resource_server(UserPoolId=pool, Identifier=identifier)["ResourceServer"]
    assert (server["Name"], server["Scopes"][0]["ScopeDescription"]) == ("forecast", "read it")
    assert _groups(idp, pool, "ann") == [f"{name}-writers"]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    assert idp.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}
    with pytest.raises(ClientError):
        idp.describe_resource_server(UserPoolId=pool, Identifier=identifier)
    assert _groups(idp, pool, "ann") == []
    assert idp.list_groups(UserPoolId=pool)["Groups"] == []
