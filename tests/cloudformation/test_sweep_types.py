"""CloudFormation types of issue 21's sweep through boto3 against a real gureum, each family
in one stack: created, updated in place and by replacement, outputs read, deleted, and every
step checked in the owning service.

Cloud Map: an instance's attributes changed in place, its InstanceId changed (a replacement).
IAM: role/user/group inline policies (document in place, role policy renamed: replaced), a
user-to-group addition, OIDC and SAML providers and a service-linked role (all in place).
SQS/SNS: queue and topic inline policies (document in place, another queue: replaced; deleted:
the queue's policy removed, the topic's back to SNS's default).
CloudWatch: a composite alarm and a dashboard (description, body, tags in place; renamed).
Logs: a log stream (renamed: replaced), a destination, a resource policy, a query definition.
Secrets Manager: a rotation schedule rotating through the stack's own Lambda function (rules in
place, another secret: replaced, rotation off on the first) and a secret resource policy.
Lambda/Kinesis: a layer version permission (replaced), a code signing config (in place), a
stream consumer (renamed: replaced). ECR (in an account of its own: registry-wide settings): a
registry policy and a replication configuration (in place) and a pull-through cache rule
(replaced). Route 53: a key-signing key with DNSSEC, a query logging config, a CIDR collection
(locations in place, renamed: replaced). Resolver: query logging config and association (another
VPC: replaced), a firewall domain list, rule group and association (domains and rule in place,
the list renamed: replaced, the rule following it). DynamoDB: a global table (a replica region
added and dropped in place). And a failed first update's rollback
keeps what the create made."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.iam.test_saml_providers import metadata

from .helpers import CAPABILITY_IAM, delete_stack, failures, outputs, parameters, settle, uniq, update_stack


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


CLOUD_MAP = """
Parameters:
  InstanceId: {Type: String}
  Port: {Type: String, Default: "8080"}
Resources:
  Ns:
    Type: AWS::ServiceDiscovery::HttpNamespace
    Properties: {Name: !Sub "${AWS::StackName}-ns"}
  Svc:
    Type: AWS::ServiceDiscovery::Service
    Properties: {Name: web, NamespaceId: !GetAtt Ns.Id, Type: HTTP}
  Inst:
    Type: AWS::ServiceDiscovery::Instance
    Properties:
      ServiceId: !Ref Svc
      InstanceId: !Ref InstanceId
      InstanceAttributes: {AWS_INSTANCE_IPV4: 10.0.0.7, AWS_INSTANCE_PORT: !Ref Port, color: blue}
Outputs:
  Inst: {Value: !Ref Inst}
  Svc: {Value: !Ref Svc}
"""


def test_cloud_map_instance(cfn: Any, gureum: Any) -> None:
    sd = gureum.client("servicediscovery")
    name = uniq("sdi")
    cfn.create_stack(StackName=name, TemplateBody=CLOUD_MAP, Parameters=parameters({"InstanceId": "i-one"}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["Inst"] == "i-one"
    svc = out["Svc"]
    got = sd.get_instance(ServiceId=svc, InstanceId="i-one")["Instance"]["Attributes"]
    assert got == {"AWS_INSTANCE_IPV4": "10.0.0.7", "AWS_INSTANCE_PORT": "8080", "color": "blue"}

    # attributes in place: same id, new port
    update_stack(cfn, name, CLOUD_MAP, {"InstanceId": "i-one", "Port": "9090"}, CAPABILITY_IAM)
    got = sd.get_instance(ServiceId=svc, InstanceId="i-one")["Instance"]["Attributes"]
    assert got["AWS_INSTANCE_PORT"] == "9090"

    # a new InstanceId replaces it: the old one is deregistered
    stack = update_stack(cfn, name, CLOUD_MAP, {"InstanceId": "i-two", "Port": "9090"}, CAPABILITY_IAM)
    assert outputs(stack)["Inst"] == "i-two"
    ids = [i["Id"] for i in sd.list_instances(ServiceId=svc)["Instances"]]
    assert ids == ["i-two"]

    delete_stack(cfn, stack)
    with pytest.raises(ClientError) as e:
        sd.get_service(Id=svc)
    assert e.value.response["Error"]["Code"] == "ServiceNotFound"


def _doc(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


IAM = """
Parameters:
  Action: {Type: String, Default: "s3:GetObject"}
  RolePolicyName: {Type: String, Default: first}
  Members: {Type: CommaDelimitedList}
  ClientIds: {Type: CommaDelimitedList}
  Thumbprint: {Type: String}
  Metadata: {Type: String}
  Suffix: {Type: String}
  Description: {Type: String, Default: one}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  User: {Type: AWS::IAM::User}
  Other: {Type: AWS::IAM::User}
  Group: {Type: AWS::IAM::Group}
  RolePol:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: !Ref RolePolicyName
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  UserPol:
    Type: AWS::IAM::UserPolicy
    Properties:
      UserName: !Ref User
      PolicyName: up
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  GroupPol:
    Type: AWS::IAM::GroupPolicy
    Properties:
      GroupName: !Ref Group
      PolicyName: gp
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]}
  Addition:
    Type: AWS::IAM::UserToGroupAddition
    DependsOn: [User, Other]
    Properties: {GroupName: !Ref Group, Users: !Ref Members}
  Oidc:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub "https://${AWS::StackName}.example.com"
      ClientIdList: !Ref ClientIds
      ThumbprintList: [!Ref Thumbprint]
  Saml:
    Type: AWS::IAM::SAMLProvider
    Properties: {Name: !Sub "${AWS::StackName}-idp", SamlMetadataDocument: !Ref Metadata}
  Linked:
    Type: AWS::IAM::ServiceLinkedRole
    Properties: {AWSServiceName: autoscaling.amazonaws.com, CustomSuffix: !Ref Suffix, Description: !Ref Description}
Outputs:
  Role: {Value: !Ref Role}
  User: {Value: !Ref User}
  Other: {Value: !Ref Other}
  Group: {Value: !Ref Group}
  RolePol: {Value: !Ref RolePol}
  Addition: {Value: !Ref Addition}
  AdditionId: {Value: !GetAtt Addition.Id}
  Oidc: {Value: !Ref Oidc}
  OidcArn: {Value: !GetAtt Oidc.Arn}
  Saml: {Value: !Ref Saml}
  SamlUuid: {Value: !GetAtt Saml.SamlProviderUUID}
  Linked: {Value: !Ref Linked}
  LinkedName: {Value: !GetAtt Linked.RoleName}
"""


def _members(iam: Any, group: str) -> list[str]:
    return sorted(u["UserName"] for u in iam.get_group(GroupName=group)["Users"])


def _action(doc: Any) -> str:
    doc = json.loads(doc) if isinstance(doc, str) else doc
    return str(doc["Statement"][0]["Action"])


def test_iam_inline_policies_membership_and_providers(cfn: Any, gureum: Any) -> None:
    iam = gureum.client("iam")
    name = uniq("iamx")
    tp1, tp2 = "a" * 40, "b" * 40
    params = {"Members": "", "ClientIds": "sts.amazonaws.com", "Thumbprint": tp1, "Metadata": metadata(),
              "Suffix": name}
    cfn.create_stack(StackName=name, TemplateBody=IAM, Parameters=parameters(params), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    role, user, other, group = out["Role"], out["User"], out["Other"], out["Group"]
    assert out["RolePol"] == f"first|{role}"
    assert _action(iam.get_role_policy(RoleName=role, PolicyName="first")["PolicyDocument"]) == "s3:GetObject"
    assert _action(iam.get_user_policy(UserName=user, PolicyName="up")["PolicyDocument"]) == "s3:GetObject"
    assert _action(iam.get_group_policy(GroupName=group, PolicyName="gp")["PolicyDocument"]) == "s3:GetObject"
    assert out["Addition"] == out["AdditionId"] and out["Addition"]
    assert _members(iam, group) == []
    assert out["Oidc"] == out["OidcArn"]
    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    assert oidc["ClientIDList"] == ["sts.amazonaws.com"] and oidc["ThumbprintList"] == [tp1]
    saml = iam.get_saml_provider(SAMLProviderArn=out["Saml"])
    assert saml["SAMLProviderUUID"] == out["SamlUuid"]
    assert out["Linked"] == out["LinkedName"] == f"AWSServiceRoleForAutoScaling_{name}"
    assert iam.get_role(RoleName=out["Linked"])["Role"]["Description"] == "one"

    # in place: documents, members, client ids, thumbprint, metadata, description
    params.update({"Action": "s3:PutObject", "Members": f"{user},{other}", "ClientIds": "sts.amazonaws.com,app",
                   "Thumbprint": tp2, "Metadata": metadata("2032-01-02T03:04:05Z"), "Description": "two"})
    stack = update_stack(cfn, name, IAM, params, CAPABILITY_IAM)
    after = outputs(stack)
    assert after["RolePol"] == out["RolePol"] and after["Oidc"] == out["Oidc"] and after["Saml"] == out["Saml"]
    assert _action(iam.get_role_policy(RoleName=role, PolicyName="first")["PolicyDocument"]) == "s3:PutObject"
    assert _action(iam.get_user_policy(UserName=user, PolicyName="up")["PolicyDocument"]) == "s3:PutObject"
    assert _action(iam.get_group_policy(GroupName=group, PolicyName="gp")["PolicyDocument"]) == "s3:PutObject"
    assert _members(iam, group) == sorted([user, other])
    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    assert sorted(oidc["ClientIDList"]) == ["app", "sts.amazonaws.com"] and oidc["ThumbprintList"] == [tp2]
    assert iam.get_saml_provider(SAMLProviderArn=out["Saml"])["ValidUntil"].year == 2032
    assert iam.get_role(RoleName=out["Linked"])["Role"]["Description"] == "two"

    # the role policy renamed: a replacement, the old name gone; one member leaves
    params.update({"RolePolicyName": "second", "Members": other})
    stack = update_stack(cfn, name, IAM, params, CAPABILITY_IAM)
    assert outputs(stack)["RolePol"] == f"second|{role}"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["second"]
    assert _members(iam, group) == [other]

    delete_stack(cfn, stack)
    with pytest.raises(ClientError):
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    with pytest.raises(ClientError):
        iam.get_saml_provider(SAMLProviderArn=out["Saml"])
    with pytest.raises(ClientError):
        iam.get_role(RoleName=out["Linked"])
    with pytest.raises(ClientError):
        iam.get_role(RoleName=role)


MESSAGING = """
Parameters:
  Target: {Type: String, AllowedValues: [a, b]}
  Action: {Type: String}
Conditions:
  IsA: !Equals [!Ref Target, a]
Resources:
  QueueA: {Type: AWS::SQS::Queue}
  QueueB: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic}
  QPol:
    Type: AWS::SQS::QueueInlinePolicy
    Properties:
      Queue: !If [IsA, !Ref QueueA, !Ref QueueB]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: !Ref "AWS::AccountId"}, Action: !Sub "sqs:${Action}", Resource: "*"}]
  TPol:
    Type: AWS::SNS::TopicInlinePolicy
    Properties:
      TopicArn: !Ref Topic
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Sid: mine, Effect: Allow, Principal: {AWS: !Ref "AWS::AccountId"}, Action: "sns:Publish", Resource: !Ref Topic}]
Outputs:
  QueueA: {Value: !Ref QueueA}
  QueueB: {Value: !Ref QueueB}
  Topic: {Value: !Ref Topic}
  QPol: {Value: !Ref QPol}
  TPol: {Value: !Ref TPol}
"""


def _queue_policy(sqs: Any, url: str) -> dict[str, Any] | None:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes") or {}
    return json.loads(attrs["Policy"]) if attrs.get("Policy") else None


def test_queue_and_topic_inline_policies(cfn: Any, gureum: Any) -> None:
    sqs, sns = gureum.client("sqs"), gureum.client("sns")
    name = uniq("msgx")
    cfn.create_stack(StackName=name, TemplateBody=MESSAGING, Parameters=parameters({"Target": "a", "Action": "SendMessage"}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["QPol"] == out["QueueA"] and out["TPol"] == out["Topic"]
    assert _action(_queue_policy(sqs, out["QueueA"])) == "sqs:SendMessage"
    assert _queue_policy(sqs, out["QueueB"]) is None
    topic_policy = json.loads(sns.get_topic_attributes(TopicArn=out["Topic"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in topic_policy["Statement"]] == ["mine"]

    # in place: the document
    update_stack(cfn, name, MESSAGING, {"Target": "a", "Action": "ReceiveMessage"}, CAPABILITY_IAM)
    assert _action(_queue_policy(sqs, out["QueueA"])) == "sqs:ReceiveMessage"

    # another queue: a replacement, the first queue's policy removed
    stack = update_stack(cfn, name, MESSAGING, {"Target": "b", "Action": "ReceiveMessage"}, CAPABILITY_IAM)
    assert outputs(stack)["QPol"] == out["QueueB"]
    assert _action(_queue_policy(sqs, out["QueueB"])) == "sqs:ReceiveMessage"
    assert _queue_policy(sqs, out["QueueA"]) is None

    # deleting the inline policies alone: the topic's policy back to the default
    cfn.update_stack(StackName=name, TemplateBody=MESSAGING.split("  QPol:")[0] + "Outputs:\n  Topic: {Value: !Ref Topic}\n",
                     Parameters=parameters({"Target": "b", "Action": "ReceiveMessage"}))
    assert settle(cfn, name, timeout=120)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert _queue_policy(sqs, out["QueueB"]) is None
    topic_policy = json.loads(sns.get_topic_attributes(TopicArn=out["Topic"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in topic_policy["Statement"]] == ["__default_statement_ID"]

    delete_stack(cfn, stack)


CLOUDWATCH = """
Parameters:
  Suffix: {Type: String, Default: one}
  Description: {Type: String, Default: first}
  Title: {Type: String, Default: first}
  Team: {Type: String, Default: red}
Resources:
  Metric:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: !Sub "${AWS::StackName}/ns"
      MetricName: errors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
  Composite:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: !Sub "${AWS::StackName}-${Suffix}"
      AlarmRule: !Sub "ALARM(\\"${Metric}\\")"
      AlarmDescription: !Ref Description
      ActionsEnabled: false
      Tags: [{Key: team, Value: !Ref Team}]
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardName: !Sub "${AWS::StackName}-${Suffix}"
      DashboardBody: !Sub '{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"${Title}"}}]}'
      Tags: [{Key: team, Value: !Ref Team}]
Outputs:
  Composite: {Value: !Ref Composite}
  CompositeArn: {Value: !GetAtt Composite.Arn}
  Board: {Value: !Ref Board}
"""


def _composite(cw: Any, name: str) -> list[dict[str, Any]]:
    return list(cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"])


def test_composite_alarm_and_dashboard(cfn: Any, gureum: Any) -> None:
    cw = gureum.client("cloudwatch")
    name = uniq("cwx")
    cfn.create_stack(StackName=name, TemplateBody=CLOUDWATCH)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["Composite"] == out["Board"] == f"{name}-one"
    [alarm] = _composite(cw, out["Composite"])
    assert alarm["AlarmArn"] == out["CompositeArn"] and alarm["AlarmDescription"] == "first"
    assert alarm["ActionsEnabled"] is False and alarm["AlarmRule"].startswith("ALARM(")
    assert "first" in cw.get_dashboard(DashboardName=out["Board"])["DashboardBody"]
    board_arn = cw.get_dashboard(DashboardName=out["Board"])["DashboardArn"]
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=board_arn)["Tags"]}
    assert tags["team"] == "red"

    # in place: description, body, tags
    update_stack(cfn, name, CLOUDWATCH, {"Description": "second", "Title": "second", "Team": "blue"}, CAPABILITY_IAM)
    [alarm] = _composite(cw, out["Composite"])
    assert alarm["AlarmDescription"] == "second"
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=out["CompositeArn"])["Tags"]}
    assert tags["team"] == "blue"
    assert "second" in cw.get_dashboard(DashboardName=out["Board"])["DashboardBody"]
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=board_arn)["Tags"]}
    assert tags["team"] == "blue"

    # renamed: both replaced, the old ones gone
    stack = update_stack(cfn, name, CLOUDWATCH, {"Suffix": "two", "Description": "second", "Title": "second", "Team": "blue"}, CAPABILITY_IAM)
    new = outputs(stack)
    assert new["Composite"] == new["Board"] == f"{name}-two"
    assert _composite(cw, out["Composite"]) == [] and len(_composite(cw, new["Composite"])) == 1
    with pytest.raises(ClientError):
        cw.get_dashboard(DashboardName=out["Board"])
    assert "second" in cw.get_dashboard(DashboardName=new["Board"])["DashboardBody"]

    delete_stack(cfn, stack)
    assert _composite(cw, new["Composite"]) == []
    with pytest.raises(ClientError):
        cw.get_dashboard(DashboardName=new["Board"])


LOGS = """
Parameters:
  StreamName: {Type: String, Default: first}
  QueryText: {Type: String, Default: "fields @message"}
  Action: {Type: String, Default: "logs:PutSubscriptionFilter"}
  Team: {Type: String, Default: red}
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/${AWS::StackName}"}
  Stream:
    Type: AWS::Logs::LogStream
    Properties: {LogGroupName: !Ref Group, LogStreamName: !Ref StreamName}
  Target:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: logs.amazonaws.com}, Action: "sts:AssumeRole"}]
  Dest:
    Type: AWS::Logs::Destination
    Properties:
      DestinationName: !Sub "${AWS::StackName}-dest"
      TargetArn: !GetAtt Target.Arn
      RoleArn: !GetAtt Role.Arn
      DestinationPolicy: !Sub '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"${AWS::AccountId}"},"Action":"${Action}","Resource":"*"}]}'
      Tags: [{Key: team, Value: !Ref Team}]
  Policy:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: !Sub "${AWS::StackName}-policy"
      PolicyDocument: !Sub '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"${Action}","Resource":"*"}]}'
  Query:
    Type: AWS::Logs::QueryDefinition
    Properties: {Name: !Sub "${AWS::StackName}-query", QueryString: !Ref QueryText, LogGroupNames: [!Ref Group]}
Outputs:
  Stream: {Value: !Ref Stream}
  Dest: {Value: !Ref Dest}
  DestArn: {Value: !GetAtt Dest.Arn}
  Policy: {Value: !Ref Policy}
  Query: {Value: !Ref Query}
  QueryId: {Value: !GetAtt Query.QueryDefinitionId}
"""


def _streams(logs: Any, group: str) -> list[str]:
    return sorted(s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"])


def _policy(logs: Any, name: str) -> dict[str, Any] | None:
    found = [p for p in logs.describe_resource_policies()["resourcePolicies"] if p["policyName"] == name]
    return json.loads(found[0]["policyDocument"]) if found else None


def _query(logs: Any, name: str) -> list[dict[str, Any]]:
    return list(logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"])


def test_log_stream_destination_resource_policy_and_query(cfn: Any, gureum: Any) -> None:
    logs = gureum.client("logs")
    name = uniq("logx")
    group = f"/{name}"
    cfn.create_stack(StackName=name, TemplateBody=LOGS, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["Stream"] == "first" and _streams(logs, group) == ["first"]
    [dest] = logs.describe_destinations(DestinationNamePrefix=out["Dest"])["destinations"]
    assert dest["arn"] == out["DestArn"] and _action(dest["accessPolicy"]) == "logs:PutSubscriptionFilter"
    assert logs.list_tags_for_resource(resourceArn=out["DestArn"])["tags"]["team"] == "red"
    assert out["Policy"] == f"{name}-policy" and _action(_policy(logs, out["Policy"])) == "logs:PutSubscriptionFilter"
    assert out["Query"] == out["QueryId"]
    [query] = _query(logs, f"{name}-query")
    assert query["queryDefinitionId"] == out["Query"] and query["queryString"] == "fields @message"

    # in place: the destination's policy and tags, the resource policy, the query
    update_stack(cfn, name, LOGS, {"Action": "logs:*", "QueryText": "fields @timestamp", "Team": "blue"}, CAPABILITY_IAM)
    [dest] = logs.describe_destinations(DestinationNamePrefix=out["Dest"])["destinations"]
    assert _action(dest["accessPolicy"]) == "logs:*"
    assert logs.list_tags_for_resource(resourceArn=out["DestArn"])["tags"]["team"] == "blue"
    assert _action(_policy(logs, out["Policy"])) == "logs:*"
    [query] = _query(logs, f"{name}-query")
    assert query["queryDefinitionId"] == out["Query"] and query["queryString"] == "fields @timestamp"

    # the stream renamed: a replacement, the old stream gone
    stack = update_stack(cfn, name, LOGS, {"StreamName": "second", "Action": "logs:*", "QueryText": "fields @timestamp", "Team": "blue"}, CAPABILITY_IAM)
    assert outputs(stack)["Stream"] == "second" and _streams(logs, group) == ["second"]

    delete_stack(cfn, stack)
    assert logs.describe_destinations(DestinationNamePrefix=out["Dest"])["destinations"] == []
    assert _policy(logs, out["Policy"]) is None
    assert _query(logs, f"{name}-query") == []


SECRETS = """
Parameters:
  Target: {Type: String, AllowedValues: [a, b]}
  Days: {Type: Number}
  Immediately: {Type: String}
  Action: {Type: String}
Conditions:
  IsA: !Equals [!Ref Target, a]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Rotator:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Timeout: 60
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          import json
          import boto3

          def handler(event, context):
              sm = boto3.client("secretsmanager")
              arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
              if step == "createSecret":
                  try:
                      sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
                  except sm.exceptions.ResourceNotFoundException:
                      sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                          SecretString=json.dumps({"password": token}), VersionStages=["AWSPENDING"])
              elif step == "finishSecret":
                  versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
                  current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
                  sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                                 RemoveFromVersionId=current)
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Rotator
      Action: lambda:InvokeFunction
      Principal: secretsmanager.amazonaws.com
  SecretA:
    Type: AWS::SecretsManager::Secret
    Properties: {SecretString: '{"password": "a"}'}
  SecretB:
    Type: AWS::SecretsManager::Secret
    Properties: {SecretString: '{"password": "b"}'}
  Schedule:
    Type: AWS::SecretsManager::RotationSchedule
    DependsOn: Invoke
    Properties:
      SecretId: !If [IsA, !Ref SecretA, !Ref SecretB]
      RotationLambdaARN: !GetAtt Rotator.Arn
      RotationRules: {AutomaticallyAfterDays: !Ref Days}
      RotateImmediatelyOnUpdate: !Ref Immediately
  Policy:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref SecretA
      BlockPublicPolicy: true
      ResourcePolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: !Ref Action, Resource: "*"}]
Outputs:
  SecretA: {Value: !Ref SecretA}
  SecretB: {Value: !Ref SecretB}
  Rotator: {Value: !GetAtt Rotator.Arn}
  Schedule: {Value: !Ref Schedule}
  ScheduleId: {Value: !GetAtt Schedule.Id}
  Policy: {Value: !Ref Policy}
  PolicyId: {Value: !GetAtt Policy.Id}
"""


def test_rotation_schedule_and_secret_policy(cfn: Any, gureum: Any) -> None:
    sm = gureum.client("secretsmanager")
    name = uniq("smx")
    params = {"Target": "a", "Days": "30", "Immediately": "true", "Action": "secretsmanager:GetSecretValue"}
    cfn.create_stack(StackName=name, TemplateBody=SECRETS, Parameters=parameters(params), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    a, b = out["SecretA"], out["SecretB"]
    assert out["Schedule"] == out["ScheduleId"] == a and out["Policy"] == out["PolicyId"] == a
    # rotated at once through the stack's function: the value the function wrote is current
    wait_for("the first rotation", lambda: sm.describe_secret(SecretId=a).get("LastRotatedDate") is not None, 120, 0.5)
    wait_for("AWSPENDING cleared", lambda: all("AWSPENDING" not in s for s in
                                                sm.describe_secret(SecretId=a)["VersionIdsToStages"].values()), 60, 0.5)
    described = sm.describe_secret(SecretId=a)
    assert described["RotationEnabled"] is True and described["RotationLambdaARN"] == out["Rotator"]
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert json.loads(sm.get_secret_value(SecretId=a)["SecretString"])["password"] != "a"
    assert _action(sm.get_resource_policy(SecretId=a)["ResourcePolicy"]) == "secretsmanager:GetSecretValue"

    # in place: the rules (no rotation now) and the policy
    params.update({"Days": "7", "Immediately": "false", "Action": "secretsmanager:DescribeSecret"})
    update_stack(cfn, name, SECRETS, params, CAPABILITY_IAM)
    assert sm.describe_secret(SecretId=a)["RotationRules"]["AutomaticallyAfterDays"] == 7
    assert _action(sm.get_resource_policy(SecretId=a)["ResourcePolicy"]) == "secretsmanager:DescribeSecret"

    # another secret: a replacement, rotation turned off on the first
    params["Target"] = "b"
    stack = update_stack(cfn, name, SECRETS, params, CAPABILITY_IAM)
    assert outputs(stack)["Schedule"] == b
    assert sm.describe_secret(SecretId=b)["RotationEnabled"] is True
    assert sm.describe_secret(SecretId=a).get("RotationEnabled") is False

    delete_stack(cfn, stack)
    for secret in (a, b):
        described = sm.describe_secret(SecretId=secret) if _exists(sm, secret) else None
        assert described is None or described.get("DeletedDate") is not None


def _exists(sm: Any, secret: str) -> bool:
    try:
        sm.describe_secret(SecretId=secret)
    except ClientError:
        return False
    return True


LAMBDA_KINESIS = """
Parameters:
  LayerVersion: {Type: String}
  Principal: {Type: String}
  Description: {Type: String, Default: first}
  Untrusted: {Type: String, Default: Warn}
  ConsumerName: {Type: String, Default: first}
Resources:
  LayerUse:
    Type: AWS::Lambda::LayerVersionPermission
    Properties: {LayerVersionArn: !Ref LayerVersion, Action: lambda:GetLayerVersion, Principal: !Ref Principal}
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    Properties:
      Description: !Ref Description
      AllowedPublishers: {SigningProfileVersionArns: ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/gureum/abcdef1234"]}
      CodeSigningPolicies: {UntrustedArtifactOnDeployment: !Ref Untrusted}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Consumer:
    Type: AWS::Kinesis::StreamConsumer
    Properties: {StreamARN: !GetAtt Stream.Arn, ConsumerName: !Ref ConsumerName}
Outputs:
  LayerUse: {Value: !Ref LayerUse}
  LayerUseId: {Value: !GetAtt LayerUse.Id}
  Signing: {Value: !Ref Signing}
  SigningId: {Value: !GetAtt Signing.CodeSigningConfigId}
  Consumer: {Value: !Ref Consumer}
  ConsumerName: {Value: !GetAtt Consumer.ConsumerName}
  ConsumerStatus: {Value: !GetAtt Consumer.ConsumerStatus}
  ConsumerStream: {Value: !GetAtt Consumer.StreamARN}
  StreamArn: {Value: !GetAtt Stream.Arn}
"""


def _layer_principals(lam: Any, layer: str, version: int) -> list[str]:
    try:
        policy = json.loads(lam.get_layer_version_policy(LayerName=layer, VersionNumber=version)["Policy"])
    except ClientError:
        return []
    return sorted(str(s["Principal"]["AWS"] if isinstance(s["Principal"], dict) else s["Principal"])
                  for s in policy["Statement"])


def test_layer_permission_code_signing_config_and_stream_consumer(cfn: Any, gureum: Any) -> None:
    import io
    import zipfile
    lam, kinesis = gureum.client("lambda"), gureum.client("kinesis")
    name = uniq("lkx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("python/shared.py", "VALUE = 1\n")
    layer = lam.publish_layer_version(LayerName=name, Content={"ZipFile": buf.getvalue()})
    account = gureum.client("sts").get_caller_identity()["Account"]
    params = {"LayerVersion": layer["LayerVersionArn"], "Principal": account}
    cfn.create_stack(StackName=name, TemplateBody=LAMBDA_KINESIS, Parameters=parameters(params))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["LayerUse"] == out["LayerUseId"] and out["LayerUse"].startswith(layer["LayerVersionArn"] + "#")
    assert len(_layer_principals(lam, name, layer["Version"])) == 1
    csc = lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])["CodeSigningConfig"]
    assert csc["CodeSigningConfigId"] == out["SigningId"] and csc["Description"] == "first"
    assert out["ConsumerName"] == "first" and out["ConsumerStatus"] == "ACTIVE" and out["ConsumerStream"] == out["StreamArn"]
    assert kinesis.describe_stream_consumer(ConsumerARN=out["Consumer"])["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"

    # in place: the code signing config
    params.update({"Description": "second", "Untrusted": "Enforce"})
    stack = update_stack(cfn, name, LAMBDA_KINESIS, params, CAPABILITY_IAM)
    assert outputs(stack)["Signing"] == out["Signing"]
    csc = lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])["CodeSigningConfig"]
    assert csc["Description"] == "second" and csc["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"

    # replacements: the layer permission for everyone, the consumer renamed
    params.update({"Principal": "*", "ConsumerName": "second"})
    stack = update_stack(cfn, name, LAMBDA_KINESIS, params, CAPABILITY_IAM)
    new = outputs(stack)
    assert new["LayerUse"] != out["LayerUse"] and _layer_principals(lam, name, layer["Version"]) == ["*"]
    assert new["ConsumerName"] == "second"
    names = [c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=out["StreamArn"])["Consumers"]]
    assert names == ["second"]

    delete_stack(cfn, stack)
    assert _layer_principals(lam, name, layer["Version"]) == []
    with pytest.raises(ClientError):
        lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])


ECR = """
Parameters:
  Action: {Type: String, Default: "ecr:ReplicateImage"}
  Region: {Type: String, Default: us-west-2}
  Prefix: {Type: String}
Resources:
  Policy:
    Type: AWS::ECR::RegistryPolicy
    Properties:
      PolicyText:
        Version: "2012-10-17"
        Statement: [{Sid: s, Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: [!Ref Action],
                     Resource: !Sub "arn:aws:ecr:${AWS::Region}:${AWS::AccountId}:repository/*"}]
  Replication:
    Type: AWS::ECR::ReplicationConfiguration
    Properties:
      ReplicationConfiguration:
        Rules:
          - Destinations: [{Region: !Ref Region, RegistryId: !Ref "AWS::AccountId"}]
            RepositoryFilters: [{Filter: team, FilterType: PREFIX_MATCH}]
  Cache:
    Type: AWS::ECR::PullThroughCacheRule
    Properties: {EcrRepositoryPrefix: !Ref Prefix, UpstreamRegistryUrl: public.ecr.aws}
Outputs:
  Policy: {Value: !Ref Policy}
  PolicyRegistry: {Value: !GetAtt Policy.RegistryId}
  Replication: {Value: !Ref Replication}
  ReplicationRegistry: {Value: !GetAtt Replication.RegistryId}
  Cache: {Value: !Ref Cache}
"""


def test_ecr_registry_policy_replication_and_pull_through_cache(gureum: Any) -> None:
    import random
    account = str(random.randint(10**11, 10**12 - 1))  # the registry's settings are the account's own
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    ecr = gureum.client("ecr", aws_access_key_id=account, aws_secret_access_key="x")
    name = uniq("ecrx")
    cfn.create_stack(StackName=name, TemplateBody=ECR, Parameters=parameters({"Prefix": f"{name}-one"}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["Policy"] == out["PolicyRegistry"] == out["Replication"] == out["ReplicationRegistry"] == account
    assert _action(ecr.get_registry_policy()["policyText"]) == "['ecr:ReplicateImage']"
    rules = ecr.describe_registry()["replicationConfiguration"]["rules"]
    assert rules == [{"destinations": [{"region": "us-west-2", "registryId": account}],
                      "repositoryFilters": [{"filter": "team", "filterType": "PREFIX_MATCH"}]}]
    cached = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistryUrl"]) for r in cached] == [(f"{name}-one", "public.ecr.aws")]
    assert out["Cache"] == f"{name}-one"

    # in place: the policy and the replication; the cache rule's prefix replaces it
    stack = update_stack(cfn, name, ECR, {"Action": "ecr:CreateRepository", "Region": "eu-west-1", "Prefix": f"{name}-two"})
    assert _action(ecr.get_registry_policy()["policyText"]) == "['ecr:CreateRepository']"
    rules = ecr.describe_registry()["replicationConfiguration"]["rules"]
    assert rules[0]["destinations"] == [{"region": "eu-west-1", "registryId": account}]
    cached = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in cached] == [f"{name}-two"]

    delete_stack(cfn, stack)
    with pytest.raises(ClientError):
        ecr.get_registry_policy()
    assert not ecr.describe_registry().get("replicationConfiguration", {}).get("rules")
    assert ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []


ROUTE53 = """
Parameters:
  Collection: {Type: String}
  Cidrs: {Type: CommaDelimitedList}
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Sub "${AWS::StackName}.example.com"}
  Ksk:
    Type: AWS::Route53::KeySigningKey
    Properties:
      HostedZoneId: !Ref Zone
      Name: ksk1
      Status: ACTIVE
      KeyManagementServiceArn: !Sub "arn:aws:kms:us-east-1:${AWS::AccountId}:key/${AWS::StackName}"
  Signing:
    Type: AWS::Route53::DNSSEC
    DependsOn: Ksk
    Properties: {HostedZoneId: !Ref Zone}
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/route53/${AWS::StackName}"}
  QueryLog:
    Type: AWS::Route53::QueryLoggingConfig
    Properties: {HostedZoneId: !Ref Zone, CloudWatchLogsLogGroupArn: !GetAtt Group.Arn}
  Cidr:
    Type: AWS::Route53::CidrCollection
    Properties:
      Name: !Ref Collection
      Locations: [{LocationName: office, CidrList: !Ref Cidrs}]
Outputs:
  Zone: {Value: !Ref Zone}
  Ksk: {Value: !Ref Ksk}
  Signing: {Value: !Ref Signing}
  QueryLog: {Value: !Ref QueryLog}
  QueryLogArn: {Value: !GetAtt QueryLog.Arn}
  Cidr: {Value: !Ref Cidr}
  CidrArn: {Value: !GetAtt Cidr.Arn}
"""


def _cidrs(r53: Any, cid: str) -> list[str]:
    try:
        blocks = r53.list_cidr_blocks(CollectionId=cid)["CidrBlocks"]
    except ClientError:
        return []
    return sorted(b["CidrBlock"] for b in blocks)


def test_route53_dnssec_query_logging_and_cidr_collection(cfn: Any, gureum: Any) -> None:
    r53 = gureum.client("route53")
    name = uniq("r53x")
    params = {"Collection": f"{name}-one", "Cidrs": "10.0.0.0/24"}
    cfn.create_stack(StackName=name, TemplateBody=ROUTE53, Parameters=parameters(params))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    zone = out["Zone"]
    assert out["Ksk"] == f"{zone}|ksk1" and out["Signing"] == zone
    dnssec = r53.get_dnssec(HostedZoneId=zone)
    assert dnssec["Status"]["ServeSignature"] == "SIGNING"
    assert [(k["Name"], k["Status"]) for k in dnssec["KeySigningKeys"]] == [("ksk1", "ACTIVE")]
    qlog = r53.get_query_logging_config(Id=out["QueryLog"])["QueryLoggingConfig"]
    assert qlog["HostedZoneId"] == zone and out["QueryLogArn"].endswith(out["QueryLog"])
    assert _cidrs(r53, out["Cidr"]) == ["10.0.0.0/24"]
    assert [c["Arn"] for c in r53.list_cidr_collections()["CidrCollections"] if c["Id"] == out["Cidr"]] == [out["CidrArn"]]

    # in place: the collection's locations
    params["Cidrs"] = "10.0.1.0/24,10.0.2.0/24"
    stack = update_stack(cfn, name, ROUTE53, params, CAPABILITY_IAM)
    assert outputs(stack)["Cidr"] == out["Cidr"]
    assert _cidrs(r53, out["Cidr"]) == ["10.0.1.0/24", "10.0.2.0/24"]

    # renamed: a new collection, the old one gone
    params["Collection"] = f"{name}-two"
    stack = update_stack(cfn, name, ROUTE53, params, CAPABILITY_IAM)
    new = outputs(stack)["Cidr"]
    assert new != out["Cidr"] and _cidrs(r53, new) == ["10.0.1.0/24", "10.0.2.0/24"]
    assert out["Cidr"] not in [c["Id"] for c in r53.list_cidr_collections()["CidrCollections"]]

    delete_stack(cfn, stack)
    with pytest.raises(ClientError):
        r53.get_query_logging_config(Id=out["QueryLog"])
    with pytest.raises(ClientError):
        r53.get_hosted_zone(Id=zone)
    assert new not in [c["Id"] for c in r53.list_cidr_collections()["CidrCollections"]]


RESOLVER_LOGS = """
Parameters:
  Vpc: {Type: String}
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/resolver/${AWS::StackName}"}
  Config:
    Type: AWS::Route53Resolver::ResolverQueryLoggingConfig
    Properties: {Name: !Sub "${AWS::StackName}-qlog", DestinationArn: !GetAtt Group.Arn}
  Assoc:
    Type: AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation
    Properties: {ResolverQueryLogConfigId: !Ref Config, ResourceId: !Ref Vpc}
Outputs:
  Config: {Value: !Ref Config}
  ConfigArn: {Value: !GetAtt Config.Arn}
  ConfigStatus: {Value: !GetAtt Config.Status}
  Assoc: {Value: !Ref Assoc}
  AssocStatus: {Value: !GetAtt Assoc.Status}
"""


def test_resolver_query_logging_config_and_association(cfn: Any, gureum: Any) -> None:
    r53r = gureum.client("route53resolver")
    name = uniq("rqlx")
    vpc_a, vpc_b = f"vpc-{uuid.uuid4().hex[:17]}", f"vpc-{uuid.uuid4().hex[:17]}"
    cfn.create_stack(StackName=name, TemplateBody=RESOLVER_LOGS, Parameters=parameters({"Vpc": vpc_a}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    config = r53r.get_resolver_query_log_config(ResolverQueryLogConfigId=out["Config"])["ResolverQueryLogConfig"]
    assert config["Arn"] == out["ConfigArn"] and config["Status"] == out["ConfigStatus"]
    assoc = r53r.get_resolver_query_log_config_association(
        ResolverQueryLogConfigAssociationId=out["Assoc"])["ResolverQueryLogConfigAssociation"]
    assert assoc["ResourceId"] == vpc_a and assoc["Status"] == out["AssocStatus"] == "ACTIVE"

    # another VPC: the association replaced
    stack = update_stack(cfn, name, RESOLVER_LOGS, {"Vpc": vpc_b}, CAPABILITY_IAM)
    new = outputs(stack)["Assoc"]
    listed = r53r.list_resolver_query_log_config_associations(
        Filters=[{"Name": "ResolverQueryLogConfigId", "Values": [out["Config"]]}])["ResolverQueryLogConfigAssociations"]
    assert [(a["Id"], a["ResourceId"]) for a in listed] == [(new, vpc_b)]

    delete_stack(cfn, stack)
    with pytest.raises(ClientError):
        r53r.get_resolver_query_log_config(ResolverQueryLogConfigId=out["Config"])


FIREWALL = """
Parameters:
  Vpc: {Type: String}
  Domains: {Type: CommaDelimitedList}
  Response: {Type: String, Default: NXDOMAIN}
  ListName: {Type: String, Default: one}
Resources:
  Bad:
    Type: AWS::Route53Resolver::FirewallDomainList
    Properties: {Name: !Sub "${AWS::StackName}-${ListName}", Domains: !Ref Domains}
  Group:
    Type: AWS::Route53Resolver::FirewallRuleGroup
    Properties:
      Name: !Sub "${AWS::StackName}-group"
      FirewallRules:
        - {FirewallDomainListId: !Ref Bad, Priority: 10, Action: BLOCK, BlockResponse: !Ref Response}
  Assoc:
    Type: AWS::Route53Resolver::FirewallRuleGroupAssociation
    Properties: {FirewallRuleGroupId: !Ref Group, VpcId: !Ref Vpc, Priority: 101, Name: assoc}
Outputs:
  Bad: {Value: !Ref Bad}
  BadCount: {Value: !GetAtt Bad.DomainCount}
  Group: {Value: !Ref Group}
  GroupArn: {Value: !GetAtt Group.Arn}
  RuleCount: {Value: !GetAtt Group.RuleCount}
  Assoc: {Value: !Ref Assoc}
  AssocStatus: {Value: !GetAtt Assoc.Status}
"""


def _domains(r53r: Any, lid: str) -> list[str]:
    return sorted(r53r.list_firewall_domains(FirewallDomainListId=lid)["Domains"])


def _fw_rules(r53r: Any, gid: str) -> list[tuple[str, str]]:
    return [(r["FirewallDomainListId"], r["BlockResponse"]) for r in r53r.list_firewall_rules(FirewallRuleGroupId=gid)["FirewallRules"]]


def test_resolver_firewall_domain_list_rule_group_and_association(cfn: Any, gureum: Any) -> None:
    r53r = gureum.client("route53resolver")
    name = uniq("fwx")
    params = {"Vpc": f"vpc-{uuid.uuid4().hex[:17]}", "Domains": "bad.example.com.,worse.example.com."}
    cfn.create_stack(StackName=name, TemplateBody=FIREWALL, Parameters=parameters(params))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert _domains(r53r, out["Bad"]) == ["bad.example.com.", "worse.example.com."] and out["BadCount"] == "2"
    assert _fw_rules(r53r, out["Group"]) == [(out["Bad"], "NXDOMAIN")] and out["RuleCount"] == "1"
    group = r53r.get_firewall_rule_group(FirewallRuleGroupId=out["Group"])["FirewallRuleGroup"]
    assert group["Arn"] == out["GroupArn"]
    assoc = r53r.get_firewall_rule_group_association(FirewallRuleGroupAssociationId=out["Assoc"])["FirewallRuleGroupAssociation"]
    assert (assoc["FirewallRuleGroupId"], assoc["VpcId"], assoc["Priority"]) == (out["Group"], params["Vpc"], 101)
    assert out["AssocStatus"] == assoc["Status"]

    # in place: the domains and the rule's block response
    params.update({"Domains": "only.example.com.", "Response": "NODATA"})
    stack = update_stack(cfn, name, FIREWALL, params, CAPABILITY_IAM)
    assert outputs(stack)["Bad"] == out["Bad"] and _domains(r53r, out["Bad"]) == ["only.example.com."]
    assert _fw_rules(r53r, out["Group"]) == [(out["Bad"], "NODATA")]

    # the list renamed: a new list, the rule follows it, the old list gone
    params["ListName"] = "two"
    stack = update_stack(cfn, name, FIREWALL, params, CAPABILITY_IAM)
    new = outputs(stack)["Bad"]
    assert new != out["Bad"] and _fw_rules(r53r, out["Group"]) == [(new, "NODATA")]
    with pytest.raises(ClientError):
        r53r.get_firewall_domain_list(FirewallDomainListId=out["Bad"])

    delete_stack(cfn, stack)
    with pytest.raises(ClientError):
        r53r.get_firewall_rule_group(FirewallRuleGroupId=out["Group"])
    with pytest.raises(ClientError):
        r53r.get_firewall_domain_list(FirewallDomainListId=new)


ROLLBACK = """
Parameters:
  Timeout: {Type: Number, Default: 30}
Resources:
  Kept: {Type: AWS::SQS::Queue}
  Changed:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: !Ref Timeout}
Outputs:
  Kept: {Value: !Ref Kept}
"""


def test_failed_first_update_keeps_what_the_create_made(cfn: Any, gureum: Any) -> None:
    """The rollback of a stack's first update deletes only what that update made: the rows of
    the create were left `fresh`, and the rollback's cleanup deleted the untouched queue."""
    sqs = gureum.client("sqs")
    name = uniq("rbx")
    cfn.create_stack(StackName=name, TemplateBody=ROLLBACK)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    kept = outputs(stack)["Kept"]
    cfn.update_stack(StackName=name, TemplateBody=ROLLBACK, Parameters=parameters({"Timeout": "999999"}))
    assert settle(cfn, name, timeout=120)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", failures(cfn, name)
    sqs.get_queue_attributes(QueueUrl=kept, AttributeNames=["QueueArn"])  # still there
    assert [r["ResourceStatus"] for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
            if r["LogicalResourceId"] == "Kept"] == ["CREATE_COMPLETE"]
    delete_stack(cfn, stack)


GLOBAL_TABLE = """
Parameters:
  Layout: {Type: String, AllowedValues: [two, three]}
Conditions:
  Three: !Equals [!Ref Layout, three]
Resources:
  Table:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      TableName: !Sub "${AWS::StackName}-table"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Replicas: !If
        - Three
        - [{Region: us-east-1}, {Region: us-west-2}, {Region: eu-west-1}]
        - [{Region: us-east-1}, {Region: us-west-2}]
Outputs:
  Table: {Value: !Ref Table}
  Arn: {Value: !GetAtt Table.Arn}
  StreamArn: {Value: !GetAtt Table.StreamArn}
  TableId: {Value: !GetAtt Table.TableId}
"""


def _replica_regions(ddb: Any, table: str) -> list[str]:
    return sorted(r["RegionName"] for r in ddb.describe_table(TableName=table)["Table"].get("Replicas") or ())


def test_dynamodb_global_table(cfn: Any, gureum: Any) -> None:
    ddb, west, eu = gureum.client("dynamodb"), gureum.client("dynamodb", "us-west-2"), gureum.client("dynamodb", "eu-west-1")
    name = uniq("gtx")
    cfn.create_stack(StackName=name, TemplateBody=GLOBAL_TABLE, Parameters=parameters({"Layout": "two"}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    table = ddb.describe_table(TableName=out["Table"])["Table"]
    assert (table["TableArn"], table["TableId"], table["LatestStreamArn"]) == (out["Arn"], out["TableId"], out["StreamArn"])
    assert _replica_regions(ddb, out["Table"]) == ["us-west-2"]
    ddb.put_item(TableName=out["Table"], Item={"pk": {"S": "a"}})
    assert west.get_item(TableName=out["Table"], Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}

    # in place: a third region added, then dropped
    update_stack(cfn, name, GLOBAL_TABLE, {"Layout": "three"}, CAPABILITY_IAM)
    assert _replica_regions(ddb, out["Table"]) == ["eu-west-1", "us-west-2"]
    assert eu.get_item(TableName=out["Table"], Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    stack = update_stack(cfn, name, GLOBAL_TABLE, {"Layout": "two"}, CAPABILITY_IAM)
    assert _replica_regions(ddb, out["Table"]) == ["us-west-2"]
    with pytest.raises(ClientError):
        eu.describe_table(TableName=out["Table"])

    delete_stack(cfn, stack)
    for client in (ddb, west):
        with pytest.raises(ClientError):
            client.describe_table(TableName=out["Table"])
