"""Resource types beyond queues and parameters, through boto3 against a real gureum: an IAM
role with inline and managed policies, a Lambda function from inline ZipFile code invoked for
real, its permission, a DynamoDB table, a generated Secrets Manager secret, an S3 bucket with
its policy, SNS topic policy, SQS queue policy, CDK metadata; then delete removing them all;
and a stack operation interrupted by a restart finishing cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of, settle, statuses, uniq

APP = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: logs
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:*", Resource: "*"}]}
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Environment: {Variables: {TABLE: !Ref Table}}
      Code:
        ZipFile: |
          import os
          def handler(event, context):
              return {"table": os.environ["TABLE"], "got": event}
  Perm:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: sns.amazonaws.com
      SourceArn: !Ref Topic
  Topic:
    Type: AWS::SNS::Topic
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sns:Publish, Resource: !Ref Topic}]}
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}]}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"user": "admin"}'
        GenerateStringKey: password
        PasswordLength: 24
        ExcludePunctuation: true
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Deny, Principal: "*", Action: "s3:DeleteBucket", Resource: !GetAtt Bucket.Arn}]}
  CDKMetadata:
    Type: AWS::CDK::Metadata
    Properties: {Analytics: "v2:deflate64:abc"}
Outputs:
  FnArn: {Value: !GetAtt Fn.Arn}
  RoleArn: {Value: !GetAtt Role.Arn}
  TableArn: {Value: !GetAtt Table.Arn}
  Secret: {Value: !Ref Secret}
  BucketDomain: {Value: !GetAtt Bucket.RegionalDomainName}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_iam_lambda_dynamodb_secret_bucket_and_policies(cfn: Any, gureum: Any) -> None:
    name = uniq("app")
    code, _ = error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=APP))
    assert code == "InsufficientCapabilitiesException"
    cfn.create_stack(StackName=name, TemplateBody=APP, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    res = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    iam, lam, ddb, sm, s3 = (gureum.client(s) for s in ("iam", "lambda", "dynamodb", "secretsmanager", "s3"))
    role = iam.get_role(RoleName=res["Role"])["Role"]
    assert role["Arn"] == out["RoleArn"]
    assert iam.list_role_policies(RoleName=res["Role"])["PolicyNames"] == ["logs"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=res["Role"])["AttachedPolicies"]] == [res["Managed"]]
    answer = json.loads(lam.invoke(FunctionName=res["Fn"], Payload=b'{"a": 1}')["Payload"].read())
    assert answer == {"table": res["Table"], "got": {"a": 1}}
    assert out["FnArn"] == lam.get_function(FunctionName=res["Fn"])["Configuration"]["FunctionArn"]
    policy = json.loads(lam.get_policy(FunctionName=res["Fn"])["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert ddb.describe_table(TableName=res["Table"])["Table"]["TableArn"] == out["TableArn"]
    secret = json.loads(sm.get_secret_value(SecretId=out["Secret"])["SecretString"])
    assert secret["user"] == "admin" and len(secret["password"]) == 24 and secret["password"].isalnum()
    assert s3.get_bucket_versioning(Bucket=res["Bucket"])["Status"] == "Enabled"
    assert json.loads(s3.get_bucket_policy(Bucket=res["Bucket"])["Policy"])["Statement"][0]["Effect"] == "Deny"
    assert out["BucketDomain"] == f"{res['Bucket']}.s3.us-east-1.amazonaws.com"
    sqs_policy = gureum.client("sqs").get_queue_attributes(QueueUrl=res["Queue"], AttributeNames=["Policy"])["Attributes"]
    assert json.loads(sqs_policy["Policy"])["Statement"][0]["Action"] == "sqs:SendMessage"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: iam.get_role(RoleName=res["Role"]), lambda: lam.get_function(FunctionName=res["Fn"]),
                 lambda: ddb.describe_table(TableName=res["Table"]), lambda: iam.get_policy(PolicyArn=res["Managed"]),
                 lambda: s3.head_bucket(Bucket=res["Bucket"])):
        with pytest.raises(ClientError):
            call()


def test_an_operation_interrupted_by_a_restart_ends_cleanly(fresh_gureum: Any) -> None:
    """A node killed mid-create: on restart the stack does not stay CREATE_IN_PROGRESS; it
    rolls back (the created resources removed) to ROLLBACK_COMPLETE, and can be deleted."""
    cfn = fresh_gureum.client("cloudformation")
    resources = {f"Q{i}": {"Type": "AWS::SQS::Queue"} for i in range(150)}
    name = uniq("rs")
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))["StackId"]
    fresh_gureum.kill9()
    fresh_gureum.start()
    cfn = fresh_gureum.client("cloudformation")
    stack = settle(cfn, sid, timeout=180)
    # 150 resources take far longer than the kill: the create was cut short
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    own = [s for n, s in statuses(cfn, sid) if n == name]
    assert own == ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]
    rows = cfn.list_stack_resources(StackName=sid)["StackResourceSummaries"]
    assert all(r["ResourceStatus"] == "DELETE_COMPLETE" for r in rows), rows
    assert fresh_gureum.client("sqs").list_queues(QueueNamePrefix=name).get("QueueUrls", []) == []
    cfn.delete_stack(StackName=sid)
    assert settle(cfn, sid)["StackStatus"] == "DELETE_COMPLETE"



def test_the_first_stack_of_a_fresh_node_is_not_taken_for_an_interrupted_one(fresh_gureum: Any) -> None:
    """The first call to CloudFormation wakes the component that resumes what a previous run of
    the node left; the stack that very call creates is this run's own and completes (it was once
    found by that sweep while starting and rolled back as interrupted, with no failed resource)."""
    cfn = fresh_gureum.client("cloudformation")
    resources = {f"Q{i}": {"Type": "AWS::SQS::Queue"} for i in range(100)}  # (in progress a while)
    name = uniq("first")
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))["StackId"]
    assert settle(cfn, sid, timeout=120)["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, sid)
    assert [s for n, s in statuses(cfn, sid) if n == name] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]

MORE = """
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Sub "${AWS::StackName}.example.com", HostedZoneConfig: {Comment: made by cfn}}
  Www:
    Type: AWS::Route53::RecordSet
    Properties: {HostedZoneId: !Ref Zone, Name: !Sub "www.${AWS::StackName}.example.com", Type: A, TTL: "60", ResourceRecords: [192.0.2.10]}
  Group:
    Type: AWS::Route53::RecordSetGroup
    Properties:
      HostedZoneName: !Sub "${AWS::StackName}.example.com."
      RecordSets:
        - {Name: !Sub "api.${AWS::StackName}.example.com", Type: CNAME, TTL: "30", ResourceRecords: [!Sub "www.${AWS::StackName}.example.com"]}
    DependsOn: Zone
  Check:
    Type: AWS::Route53::HealthCheck
    Properties:
      HealthCheckConfig: {Type: TCP, IPAddress: 127.0.0.1, Port: 9, RequestInterval: 30, FailureThreshold: 3}
  Repo:
    Type: AWS::ECR::Repository
    Properties: {ImageTagMutability: IMMUTABLE, EmptyOnDelete: true}
  Cluster:
    Type: AWS::ECS::Cluster
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: !Sub "${AWS::StackName}-task"
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions:
        - Name: app
          Image: !GetAtt Repo.RepositoryUri
          Essential: true
          PortMappings: [{ContainerPort: 8080}]
          LogConfiguration: {LogDriver: awslogs, Options: {awslogs-group: !Ref Logs, awslogs-region: !Ref "AWS::Region", awslogs-stream-prefix: app}}
  Logs:
    Type: AWS::Logs::LogGroup
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Logs
      FilterPattern: ERROR
      MetricTransformations: [{MetricName: errors, MetricNamespace: !Ref "AWS::StackName", MetricValue: "1"}]
  Namespace:
    Type: AWS::ServiceDiscovery::HttpNamespace
    Properties: {Name: !Sub "${AWS::StackName}-ns"}
  Discovery:
    Type: AWS::ServiceDiscovery::Service
    Properties: {NamespaceId: !Ref Namespace, Name: api}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: !Ref "AWS::StackName"
      MetricName: errors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
  User:
    Type: AWS::IAM::User
    Properties: {Groups: [!Ref Readers]}
  Readers:
    Type: AWS::IAM::Group
    Properties:
      Policies: [{PolicyName: read, PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:Get*", Resource: "*"}]}}]
  Key:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: !Ref User}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties: {Roles: []}
Outputs:
  NameServers: {Value: !Join [",", !GetAtt Zone.NameServers]}
  RepoUri: {Value: !GetAtt Repo.RepositoryUri}
  TaskArn: {Value: !Ref Task}
  Secret: {Value: !GetAtt Key.SecretAccessKey}
  NsId: {Value: !GetAtt Namespace.Id}
"""


def test_route53_ecr_ecs_logs_cloud_map_alarm_and_iam_principals(cfn: Any, gureum: Any) -> None:
    name = uniq("more")
    cfn.create_stack(StackName=name, TemplateBody=MORE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    res = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    r53 = gureum.client("route53")
    records = r53.list_resource_record_sets(HostedZoneId=res["Zone"])["ResourceRecordSets"]
    by_name = {(r["Name"], r["Type"]): r for r in records}
    assert by_name[(f"www.{name}.example.com.", "A")]["ResourceRecords"] == [{"Value": "192.0.2.10"}]
    assert (f"api.{name}.example.com.", "CNAME") in by_name
    assert out["NameServers"] and r53.get_health_check(HealthCheckId=res["Check"])["HealthCheck"]["HealthCheckConfig"]["Port"] == 9
    repo = gureum.client("ecr").describe_repositories(repositoryNames=[res["Repo"]])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE" and repo["repositoryUri"] == out["RepoUri"]
    td = gureum.client("ecs").describe_task_definition(taskDefinition=out["TaskArn"])["taskDefinition"]
    container = td["containerDefinitions"][0]
    assert container["image"] == out["RepoUri"] and container["portMappings"][0]["containerPort"] == 8080
    assert container["logConfiguration"]["options"]["awslogs-group"] == res["Logs"]
    assert gureum.client("ecs").describe_clusters(clusters=[res["Cluster"]])["clusters"][0]["status"] == "ACTIVE"
    filters = gureum.client("logs").describe_metric_filters(logGroupName=res["Logs"])["metricFilters"]
    assert [f["filterPattern"] for f in filters] == ["ERROR"]
    sd = gureum.client("servicediscovery")
    assert sd.get_service(Id=res["Discovery"])["Service"]["NamespaceId"] == out["NsId"]
    alarms = gureum.client("cloudwatch").describe_alarms(AlarmNames=[res["Alarm"]])["MetricAlarms"]
    assert alarms[0]["Threshold"] == 1.0
    iam = gureum.client("iam")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=res["User"])["Groups"]] == [res["Readers"]]
    keys = iam.list_access_keys(UserName=res["User"])["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [res["Key"]] and len(out["Secret"]) == 40
    assert iam.get_instance_profile(InstanceProfileName=res["Profile"])["InstanceProfile"]["Roles"] == []

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    with pytest.raises(ClientError):
        r53.get_hosted_zone(Id=res["Zone"])
    with pytest.raises(ClientError):
        iam.get_user(UserName=res["User"])
    with pytest.raises(ClientError):
        gureum.client("ecr").describe_repositories(repositoryNames=[res["Repo"]])
    assert gureum.client("cloudwatch").describe_alarms(AlarmNames=[res["Alarm"]])["MetricAlarms"] == []
