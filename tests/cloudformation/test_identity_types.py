"""Kinesis and Cognito resource types through boto3 against a real gureum: a stream written
to and read from, a user pool (with its EnabledMfas) with a client a user signs in through, and a group; an
in-place update (shard count, retention, password policy, client flows, group precedence)
keeping the physical ids; delete removing them all."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import settle, statuses, uniq

TEMPLATE = """
Parameters:
  Shards: {Type: Number, Default: 1}
  MinLength: {Type: Number, Default: 8}
  Precedence: {Type: Number, Default: 5}
  Retention: {Type: Number, Default: 24}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: !Ref Shards, RetentionPeriodHours: !Ref Retention, Tags: [{Key: team, Value: data}]}
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: !Sub "${AWS::StackName}-users"
      Policies:
        PasswordPolicy: {MinimumLength: !Ref MinLength, RequireNumbers: true, RequireSymbols: false,
                         RequireUppercase: false, RequireLowercase: true}
      Schema: [{Name: team, AttributeDataType: String, Mutable: true}]
      UserPoolTags: {owner: cfn}
      MfaConfiguration: OPTIONAL
      EnabledMfas: [SOFTWARE_TOKEN_MFA]
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ClientName: web
      GenerateSecret: false
      ExplicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  Admins:
    Type: AWS::Cognito::UserPoolGroup
    Properties: {UserPoolId: !Ref Pool, GroupName: admins, Precedence: !Ref Precedence, Description: the admins}
Outputs:
  Stream: {Value: !Ref Stream}
  StreamArn: {Value: !GetAtt Stream.Arn}
  Pool: {Value: !Ref Pool}
  PoolArn: {Value: !GetAtt Pool.Arn}
  ProviderName: {Value: !GetAtt Pool.ProviderName}
  ProviderURL: {Value: !GetAtt Pool.ProviderURL}
  PoolId: {Value: !GetAtt Pool.UserPoolId}
  Client: {Value: !Ref Client}
  ClientId: {Value: !GetAtt Client.ClientId}
  ClientName: {Value: !GetAtt Client.Name}
  Group: {Value: !Ref Admins}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_stream_user_pool_client_and_group(cfn: Any, gureum: Any) -> None:
    name = uniq("idn")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    kinesis, idp = gureum.client("kinesis"), gureum.client("cognito-idp")

    summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
    assert (summary["StreamARN"], summary["StreamStatus"], summary["OpenShardCount"]) == (out["StreamArn"], "ACTIVE", 1)
    assert out["Stream"].startswith(f"{name}-Stream-")
    assert summary["RetentionPeriodHours"] == 24
    tags = kinesis.list_tags_for_stream(StreamName=out["Stream"])["Tags"]
    assert {"Key": "team", "Value": "data"} in tags
    kinesis.put_record(StreamName=out["Stream"], Data=b"hi", PartitionKey="k")

    pool = idp.describe_user_pool(UserPoolId=out["Pool"])["UserPool"]
    assert (pool["Name"], pool["Arn"], out["PoolId"]) == (f"{name}-users", out["PoolArn"], out["Pool"])
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert pool["UserPoolTags"] == {"owner": "cfn"}
    assert "custom:team" in {a["Name"] for a in pool["SchemaAttributes"]}
    mfa = idp.get_user_pool_mfa_config(UserPoolId=out["Pool"])
    assert (mfa["MfaConfiguration"], mfa["SoftwareTokenMfaConfiguration"]) == ("OPTIONAL", {"Enabled": True})
    assert out["ProviderName"] == f"cognito-idp.us-east-1.amazonaws.com/{out['Pool']}"
    assert out["ProviderURL"] == f"https://cognito-idp.us-east-1.amazonaws.com/{out['Pool']}"
    client = idp.describe_user_pool_client(UserPoolId=out["Pool"], ClientId=out["Client"])["UserPoolClient"]
    assert (client["ClientName"], out["ClientId"], out["ClientName"]) == ("web", out["Client"], "web")
    assert "ClientSecret" not in client
    group = idp.get_group(UserPoolId=out["Pool"], GroupName="admins")["Group"]
    assert (group["Precedence"], group["Description"], out["Group"]) == (5, "the admins", "admins")
    idp.admin_create_user(UserPoolId=out["Pool"], Username="alice", TemporaryPassword="abcdefg1", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=out["Pool"], Username="alice", Password="abcdefg1", Permanent=True)
    auth = idp.initiate_auth(ClientId=out["Client"], AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": "alice", "PASSWORD": "abcdefg1"})
    assert auth["AuthenticationResult"]["AccessToken"]

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=[
        {"ParameterKey": "Shards", "ParameterValue": "2"}, {"ParameterKey": "MinLength", "ParameterValue": "12"},
        {"ParameterKey": "Retention", "ParameterValue": "48"},
        {"ParameterKey": "Precedence", "ParameterValue": "1"}])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert _outputs(stack) == out
    summary = kinesis.describe_stream_summary(StreamName=out["Stream"])["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["RetentionPeriodHours"]) == (2, 48)
    pool = idp.describe_user_pool(UserPoolId=out["Pool"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert idp.get_group(UserPoolId=out["Pool"], GroupName="admins")["Group"]["Precedence"] == 1

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool(UserPoolId=out["Pool"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_summary(StreamName=out["Stream"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
