"""CloudFormation drift detection through boto3 and the AWS CLI against a real gureum: a queue
changed with SQS directly is MODIFIED with its PropertyDifference, a parameter deleted out of
band is DELETED, untouched resources are IN_SYNC, a type without drift support is NOT_CHECKED,
and the stack's and resources' DriftInformation follow the last detection."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from waiting import wait_for

from .helpers import error_of, settle, uniq


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _template(queue: str, param: str, log_group: str) -> str:
    return json.dumps({"Resources": {
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue, "VisibilityTimeout": 30,
                                                        "Tags": [{"Key": "team", "Value": "a"}]}},
        "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": param, "Type": "String", "Value": "v1"}},
        "L": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": log_group, "RetentionInDays": 7}},
        "W": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    }})


def _detect(cfn: Any, name: str) -> dict[str, Any]:
    detection = cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]

    def done() -> dict[str, Any] | None:
        s: dict[str, Any] = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        return None if s["DetectionStatus"] == "DETECTION_IN_PROGRESS" else s
    result: dict[str, Any] = wait_for(f"drift detection {detection}", done, timeout=60)
    return result


def test_a_queue_changed_directly_is_modified_and_a_deleted_parameter_is_deleted(cfn: Any, gureum: Any) -> None:
    name, queue, param, group = uniq("dr"), uniq("driftq"), uniq("/drift/p"), uniq("/drift/lg")
    cfn.create_stack(StackName=name, TemplateBody=_template(queue, param, group), Tags=[{"Key": "owner", "Value": "me"}])
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["DriftInformation"] == {"StackDriftStatus": "NOT_CHECKED"}

    first = _detect(cfn, name)
    assert first["DetectionStatus"] == "DETECTION_COMPLETE", first
    assert (first["StackDriftStatus"], first["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    in_sync = {d["LogicalResourceId"]: d for d in cfn.describe_stack_resource_drifts(StackName=name)["StackResourceDrifts"]}
    assert {k: d["StackResourceDriftStatus"] for k, d in in_sync.items()} == {"Q": "IN_SYNC", "P": "IN_SYNC", "L": "IN_SYNC"}
    assert in_sync["Q"]["PropertyDifferences"] == []

    sqs = gureum.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "5"})
    sqs.tag_queue(QueueUrl=url, Tags={"extra": "x"})
    gureum.client("ssm").delete_parameter(Name=param)

    second = _detect(cfn, name)
    assert second["DetectionStatus"] == "DETECTION_COMPLETE", second
    assert (second["StackDriftStatus"], second["DriftedStackResourceCount"]) == ("DRIFTED", 2)
    assert second["StackDriftDetectionId"] != first["StackDriftDetectionId"]
    drifts = {d["LogicalResourceId"]: d for d in cfn.describe_stack_resource_drifts(StackName=name)["StackResourceDrifts"]}
    assert set(drifts) == {"Q", "P", "L"}  # the wait condition handle has no drift support: not listed
    q = drifts["Q"]
    assert q["StackResourceDriftStatus"] == "MODIFIED"
    assert q["PhysicalResourceId"].endswith(f"/{queue}")
    # DelaySeconds is not in the template (its default): no drift; the stack's own tag is not drift either
    assert sorted((d["PropertyPath"], d["ExpectedValue"], d["ActualValue"], d["DifferenceType"])
                  for d in q["PropertyDifferences"]) == [
        ("/Tags/1", "null", '{"Key":"extra","Value":"x"}', "ADD"), ("/VisibilityTimeout", "30", "45", "NOT_EQUAL")]
    assert json.loads(q["ExpectedProperties"])["VisibilityTimeout"] == 30
    assert json.loads(q["ActualProperties"])["VisibilityTimeout"] == "45"
    assert drifts["P"]["StackResourceDriftStatus"] == "DELETED"
    assert "ActualProperties" not in drifts["P"]
    assert drifts["L"]["StackResourceDriftStatus"] == "IN_SYNC"

    modified = cfn.describe_stack_resource_drifts(StackName=name, StackResourceDriftStatusFilters=["MODIFIED", "DELETED"])
    assert sorted(d["LogicalResourceId"] for d in modified["StackResourceDrifts"]) == ["P", "Q"]
    page = cfn.describe_stack_resource_drifts(StackName=name, MaxResults=1)
    assert len(page["StackResourceDrifts"]) == 1 and page["NextToken"]

    info = cfn.describe_stacks(StackName=name)["Stacks"][0]["DriftInformation"]
    assert info["StackDriftStatus"] == "DRIFTED" and info["LastCheckTimestamp"]
    summary = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == name][0]
    assert summary["DriftInformation"]["StackDriftStatus"] == "DRIFTED"
    rows = {r["LogicalResourceId"]: r["DriftInformation"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert rows["Q"]["StackResourceDriftStatus"] == "MODIFIED" and rows["Q"]["LastCheckTimestamp"]
    assert rows["W"] == {"StackResourceDriftStatus": "NOT_CHECKED"}
    described = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    assert described["P"]["DriftInformation"]["StackResourceDriftStatus"] == "DELETED"

    # a detection limited to some resources checks only those
    only = cfn.detect_stack_drift(StackName=name, LogicalResourceIds=["L"])["StackDriftDetectionId"]
    limited = wait_for("the limited detection", lambda: (lambda s: s if s["DetectionStatus"] != "DETECTION_IN_PROGRESS" else None)(
        cfn.describe_stack_drift_detection_status(StackDriftDetectionId=only)), timeout=60)
    assert (limited["DetectionStatus"], limited["StackDriftStatus"], limited["DriftedStackResourceCount"]) == (
        "DETECTION_COMPLETE", "IN_SYNC", 0)
    assert error_of(lambda: cfn.detect_stack_drift(StackName=name, LogicalResourceIds=["Nope"]))[0] == "ValidationError"

    # one resource at once; back in sync after the queue is put back
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["extra"])
    one = cfn.detect_stack_resource_drift(StackName=name, LogicalResourceId="Q")["StackResourceDrift"]
    assert (one["StackResourceDriftStatus"], one["PropertyDifferences"]) == ("IN_SYNC", [])
    assert error_of(lambda: cfn.detect_stack_resource_drift(StackName=name, LogicalResourceId="W")) == (
        "ValidationError", "Drift detection is not supported for the specified ResourceType")
    assert error_of(lambda: cfn.detect_stack_resource_drift(StackName=name, LogicalResourceId="Nope"))[0] == "ValidationError"
    cfn.delete_stack(StackName=name)


def test_drift_through_the_cli_and_only_on_stable_stacks(cfn: Any, gureum: Any) -> None:
    name = uniq("drc")
    body = {"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "before"}},
                          "Wait": {"Type": "AWS::CloudFormation::WaitCondition", "DependsOn": "T",
                                   "Properties": {"Handle": {"Ref": "H"}, "Timeout": "600"}},
                          "H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))

    def waiting_on_signal() -> bool:
        rows = cfn.describe_stack_resources(StackName=name)["StackResources"]
        return any(r["LogicalResourceId"] == "Wait" and r["ResourceStatus"] == "CREATE_IN_PROGRESS" for r in rows)
    wait_for("the wait condition to wait", waiting_on_signal, timeout=60)
    code, message = error_of(lambda: cfn.detect_stack_drift(StackName=name))
    assert code == "ValidationError" and "CREATE_IN_PROGRESS" in message
    assert error_of(lambda: cfn.describe_stack_drift_detection_status(StackDriftDetectionId="nope"))[0] == "ValidationError"
    handle = cfn.describe_stack_resource(StackName=name, LogicalResourceId="H")["StackResourceDetail"]["PhysicalResourceId"]
    signal = json.dumps({"Status": "SUCCESS", "UniqueId": "1", "Data": "d", "Reason": "r"}).encode()
    urllib.request.urlopen(urllib.request.Request(handle, data=signal, method="PUT"), timeout=30).read()
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    topic = cfn.describe_stack_resource(StackName=name, LogicalResourceId="T")["StackResourceDetail"]["PhysicalResourceId"]
    gureum.client("sns").set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="after")
    detection = gureum.aws("cloudformation", "detect-stack-drift", "--stack-name", name)["StackDriftDetectionId"]

    def finished() -> dict[str, Any] | None:
        out: dict[str, Any] = gureum.aws("cloudformation", "describe-stack-drift-detection-status",
                                                    "--stack-drift-detection-id", detection)
        return None if out["DetectionStatus"] == "DETECTION_IN_PROGRESS" else out
    status = wait_for("the CLI's detection", finished, timeout=60)
    assert (status["DetectionStatus"], status["StackDriftStatus"]) == ("DETECTION_COMPLETE", "DRIFTED")
    drifts = gureum.aws("cloudformation", "describe-stack-resource-drifts", "--stack-name", name)
    [t] = drifts["StackResourceDrifts"]
    assert [(d["PropertyPath"], d["ExpectedValue"], d["ActualValue"]) for d in t["PropertyDifferences"]] == [
        ("/DisplayName", "before", "after")]
    cfn.delete_stack(StackName=name)


KINDS = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      Description: drift role
      MaxSessionDuration: 3600
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: logs
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:*", Resource: "*"}]}
      Tags: [{Key: k, Value: v}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      MemorySize: 256
      Timeout: 10
      Role: !GetAtt Role.Arn
      Environment: {Variables: {TABLE: !Ref Table}}
      Code:
        ZipFile: |
          def handler(event, context):
              return event
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      Tags: [{Key: k, Value: v}]
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: k, Value: v}]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: shown
      Tags: [{Key: k, Value: v}]
"""


def test_every_supported_kind_reads_back_in_sync_and_out_of_band_changes_drift(cfn: Any, gureum: Any) -> None:
    name = uniq("drk")
    cfn.create_stack(StackName=name, TemplateBody=KINDS, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    first = _detect(cfn, name)
    drifts = {d["LogicalResourceId"]: d for d in cfn.describe_stack_resource_drifts(StackName=name)["StackResourceDrifts"]}
    assert {k: (d["StackResourceDriftStatus"], d["PropertyDifferences"]) for k, d in drifts.items()} == {
        k: ("IN_SYNC", []) for k in ("Role", "Fn", "Table", "Bucket", "Topic")}
    assert first["StackDriftStatus"] == "IN_SYNC"

    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    gureum.client("iam").update_role(RoleName=physical["Role"], Description="changed")
    gureum.client("lambda").update_function_configuration(FunctionName=physical["Fn"], MemorySize=512)
    gureum.client("s3").put_bucket_versioning(Bucket=physical["Bucket"], VersioningConfiguration={"Status": "Suspended"})
    gureum.client("dynamodb").tag_resource(ResourceArn=gureum.client("dynamodb").describe_table(
        TableName=physical["Table"])["Table"]["TableArn"], Tags=[{"Key": "k", "Value": "other"}])
    second = _detect(cfn, name)
    assert (second["StackDriftStatus"], second["DriftedStackResourceCount"]) == ("DRIFTED", 4)
    drifts = {d["LogicalResourceId"]: d for d in cfn.describe_stack_resource_drifts(StackName=name)["StackResourceDrifts"]}
    diffs = {k: [(p["PropertyPath"], p["ExpectedValue"], p["ActualValue"], p["DifferenceType"]) for p in d["PropertyDifferences"]]
             for k, d in drifts.items()}
    assert diffs == {"Role": [("/Description", "drift role", "changed", "NOT_EQUAL")],
                     "Fn": [("/MemorySize", "256", "512", "NOT_EQUAL")],
                     "Bucket": [("/VersioningConfiguration/Status", "Enabled", "Suspended", "NOT_EQUAL")],
                     "Table": [("/Tags/0/Value", "v", "other", "NOT_EQUAL")],
                     "Topic": []}
    cfn.delete_stack(StackName=name)
