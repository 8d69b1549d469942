"""CloudWatch Logs types of issue 21 through boto3 against a real gureum, in one stack in an
account of its own (an account policy and the storage tier are the account's): an account
policy, a delivery source, destination and delivery (Logs Insights' own query logs really
delivered into the destination's log group), an anomaly detector, a scheduled query, a
transformer and the storage tier policy. Created, read back through the logs API and the
outputs; changed in place (policy document, destination policy, delivery fields, detector
frequency, query text, transformer steps, tier, tags); the detector's name changed (a
replacement); deleted, everything gone and the tier back to STANDARD."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .helpers import CAPABILITY_IAM, failures, outputs, parameters, settle, uniq, update_stack

LOGS = """
Parameters:
  Fields: {Type: CommaDelimitedList, Default: "RequestId"}
  Action: {Type: String, Default: "logs:CreateDelivery"}
  Record: {Type: CommaDelimitedList, Default: "event_timestamp,event"}
  Team: {Type: String, Default: red}
  Frequency: {Type: String, Default: FIVE_MIN}
  Suffix: {Type: String, Default: first}
  Query: {Type: String, Default: "fields @message"}
  TierName: {Type: String, Default: INTELLIGENT_TIERING}
  Added: {Type: String, Default: one}
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/${AWS::StackName}/app"}
  Sink:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/${AWS::StackName}/sink"}
  Indexes:
    Type: AWS::Logs::AccountPolicy
    Properties:
      PolicyName: !Sub "${AWS::StackName}-index"
      PolicyType: FIELD_INDEX_POLICY
      PolicyDocument: !Sub
        - '{"Fields": ${List}}'
        - List: !Join ["", ['["', !Join ['","', !Ref Fields], '"]']]
  Source:
    Type: AWS::Logs::DeliverySource
    Properties:
      Name: !Sub "${AWS::StackName}-src"
      ResourceArn: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"
      LogType: INSIGHTS_QUERY_LOGS
      Tags: [{Key: team, Value: !Ref Team}]
  Destination:
    Type: AWS::Logs::DeliveryDestination
    Properties:
      Name: !Sub "${AWS::StackName}-dst"
      DestinationResourceArn: !GetAtt Sink.Arn
      DeliveryDestinationPolicy:
        DeliveryDestinationName: !Sub "${AWS::StackName}-dst"
        DeliveryDestinationPolicy:
          Version: "2012-10-17"
          Statement: [{Effect: Allow, Principal: {AWS: !Ref AWS::AccountId}, Action: !Ref Action, Resource: "*"}]
      Tags: [{Key: team, Value: !Ref Team}]
  Delivery:
    Type: AWS::Logs::Delivery
    Properties:
      DeliverySourceName: !Ref Source
      DeliveryDestinationArn: !GetAtt Destination.Arn
      RecordFields: !Ref Record
      Tags: [{Key: team, Value: !Ref Team}]
  Detector:
    Type: AWS::Logs::LogAnomalyDetector
    Properties:
      DetectorName: !Sub "${AWS::StackName}-${Suffix}"
      LogGroupArnList: [!Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}"]
      EvaluationFrequency: !Ref Frequency
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: logs.amazonaws.com}, Action: "sts:AssumeRole"}]
  Scheduled:
    Type: AWS::Logs::ScheduledQuery
    Properties:
      Name: !Sub "${AWS::StackName}-sq"
      QueryLanguage: CWLI
      QueryString: !Ref Query
      LogGroupIdentifiers: [!Ref Group]
      ScheduleExpression: "cron(0 3 * * ? *)"
      ExecutionRoleArn: !GetAtt Role.Arn
      State: DISABLED
      Tags: [{Key: team, Value: !Ref Team}]
  Transformer:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: !Ref Group
      TransformerConfig:
        - ParseJSON: {}
        - AddKeys: {Entries: [{Key: added, Value: !Ref Added}]}
  Tier:
    Type: AWS::Logs::StorageTierPolicy
    Properties: {StorageTier: !Ref TierName}
Outputs:
  Indexes: {Value: !Ref Indexes}
  IndexesAccount: {Value: !GetAtt Indexes.AccountId}
  Source: {Value: !Ref Source}
  SourceArn: {Value: !GetAtt Source.Arn}
  SourceService: {Value: !GetAtt Source.Service}
  SourceResources: {Value: !Join [",", !GetAtt Source.ResourceArns]}
  Destination: {Value: !Ref Destination}
  DestinationArn: {Value: !GetAtt Destination.Arn}
  Delivery: {Value: !Ref Delivery}
  DeliveryId: {Value: !GetAtt Delivery.DeliveryId}
  DeliveryArn: {Value: !GetAtt Delivery.Arn}
  DeliveryType: {Value: !GetAtt Delivery.DeliveryDestinationType}
  Detector: {Value: !Ref Detector}
  DetectorArn: {Value: !GetAtt Detector.AnomalyDetectorArn}
  DetectorStatus: {Value: !GetAtt Detector.AnomalyDetectorStatus}
  Scheduled: {Value: !Ref Scheduled}
  ScheduledArn: {Value: !GetAtt Scheduled.ScheduledQueryArn}
  ScheduledCreated: {Value: !GetAtt Scheduled.CreationTime}
  Transformer: {Value: !Ref Transformer}
  Tier: {Value: !Ref Tier}
  TierAccount: {Value: !GetAtt Tier.AccountId}
"""


def _update(cfn: Any, name: str, params: dict[str, str]) -> dict[str, str]:
    """The outputs once `name` is updated to LOGS with these parameters."""
    return outputs(update_stack(cfn, name, LOGS, params, CAPABILITY_IAM))


def _fields(logs: Any, name: str) -> list[str] | None:
    found = logs.describe_account_policies(policyType="FIELD_INDEX_POLICY", policyName=name)["accountPolicies"]
    return json.loads(found[0]["policyDocument"])["Fields"] if found else None


def _statement_action(logs: Any, destination: str) -> str:
    policy = logs.get_delivery_destination_policy(deliveryDestinationName=destination)["policy"]["deliveryDestinationPolicy"]
    return str(json.loads(policy)["Statement"][0]["Action"])


def _transformer_steps(logs: Any, group: str) -> list[dict[str, Any]]:
    return list(logs.get_transformer(logGroupIdentifier=group)["transformerConfig"])


def _query_record(logs: Any, group: str, sink: str) -> dict[str, Any]:
    """A Logs Insights query on `group`, and the INSIGHTS_QUERY_LOGS record its delivery wrote to `sink`."""
    now = int(time.time())
    qid = logs.start_query(logGroupName=group, startTime=now - 60, endTime=now, queryString="stats count(*)")["queryId"]

    def delivered() -> dict[str, Any] | None:
        for e in logs.filter_log_events(logGroupName=sink)["events"]:
            record = json.loads(e["message"])
            if record["event"]["queryId"] == qid:
                return {"stream": e["logStreamName"], **record}
        return None

    found: dict[str, Any] = wait_for("the query's log record", delivered, timeout=30, interval=0.2)
    return found


def test_logs_account_delivery_detector_scheduled_transformer_and_tier(gureum: Any) -> None:
    account = str(random.randint(10**11, 10**12 - 1))
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    logs = gureum.client("logs", aws_access_key_id=account, aws_secret_access_key="x")
    name = uniq("lgm")
    group, sink = f"/{name}/app", f"/{name}/sink"
    cfn.create_stack(StackName=name, TemplateBody=LOGS, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)

    # the account policy
    assert out["Indexes"] == out["IndexesAccount"] == account
    assert _fields(logs, f"{name}-index") == ["RequestId"]
    # source, destination, delivery, and the delivery really delivering
    source = logs.get_delivery_source(name=out["Source"])["deliverySource"]
    assert out["Source"] == f"{name}-src" and source["arn"] == out["SourceArn"] and out["SourceService"] == "logs"
    assert out["SourceResources"] == source["resourceArns"][0] and source["logType"] == "INSIGHTS_QUERY_LOGS"
    dest = logs.get_delivery_destination(name=out["Destination"])["deliveryDestination"]
    assert dest["arn"] == out["DestinationArn"] and dest["deliveryDestinationType"] == "CWL"
    assert _statement_action(logs, out["Destination"]) == "logs:CreateDelivery"
    delivery = logs.get_delivery(id=out["Delivery"])["delivery"]
    assert out["Delivery"] == out["DeliveryId"] and delivery["arn"] == out["DeliveryArn"] and out["DeliveryType"] == "CWL"
    assert delivery["deliverySourceName"] == out["Source"] and delivery["recordFields"] == ["event_timestamp", "event"]
    for arn in (out["SourceArn"], out["DestinationArn"], out["DeliveryArn"], out["ScheduledArn"]):
        assert logs.list_tags_for_resource(resourceArn=arn)["tags"]["team"] == "red", arn
    record = _query_record(logs, group, sink)
    assert record["stream"] == out["Delivery"] and set(record) == {"stream", "event_timestamp", "event"}  # RecordFields
    # the anomaly detector
    detector = logs.get_log_anomaly_detector(anomalyDetectorArn=out["Detector"])
    assert out["Detector"] == out["DetectorArn"] and detector["detectorName"] == f"{name}-first"
    assert detector["evaluationFrequency"] == "FIVE_MIN" and out["DetectorStatus"] == detector["anomalyDetectorStatus"]
    # the scheduled query
    query = logs.get_scheduled_query(identifier=out["Scheduled"])
    assert out["Scheduled"] == out["ScheduledArn"] == query["scheduledQueryArn"] and query["name"] == f"{name}-sq"
    assert query["queryString"] == "fields @message" and query["state"] == "DISABLED"
    assert int(out["ScheduledCreated"]) == query["creationTime"]
    # the transformer
    assert out["Transformer"] == group
    assert _transformer_steps(logs, group) == [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "added", "value": "one"}]}}]
    # the storage tier
    assert out["Tier"] == out["TierAccount"] == account
    assert logs.get_storage_tier_policy()["storageTier"] == "INTELLIGENT_TIERING"

    # in place: every in-place property, the delivery and detector keeping their ids
    out2 = _update(cfn, name, {"Fields": "RequestId,UserId", "Action": "logs:*", "Record": "event", "Team": "blue",
                               "Frequency": "TEN_MIN", "Query": "fields @timestamp", "TierName": "STANDARD", "Added": "two"})
    assert _fields(logs, f"{name}-index") == ["RequestId", "UserId"]
    assert _statement_action(logs, out["Destination"]) == "logs:*"
    assert out2["Delivery"] == out["Delivery"] and logs.get_delivery(id=out["Delivery"])["delivery"]["recordFields"] == ["event"]
    assert set(_query_record(logs, group, sink)) == {"stream", "event"}
    for arn in (out["SourceArn"], out["DestinationArn"], out["DeliveryArn"], out["ScheduledArn"]):
        assert logs.list_tags_for_resource(resourceArn=arn)["tags"]["team"] == "blue", arn
    assert out2["Detector"] == out["Detector"]
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=out["Detector"])["evaluationFrequency"] == "TEN_MIN"
    assert out2["Scheduled"] == out["Scheduled"]
    assert logs.get_scheduled_query(identifier=out["Scheduled"])["queryString"] == "fields @timestamp"
    assert _transformer_steps(logs, group)[1] == {"addKeys": {"entries": [{"key": "added", "value": "two"}]}}
    assert logs.get_storage_tier_policy()["storageTier"] == "STANDARD"

    # the detector renamed: a new detector, the old one gone
    changed = {"Fields": "RequestId,UserId", "Action": "logs:*", "Record": "event", "Team": "blue", "Frequency": "TEN_MIN",
               "Query": "fields @timestamp", "TierName": "STANDARD", "Added": "two", "Suffix": "second"}
    out3 = _update(cfn, name, changed)
    assert out3["Detector"] != out["Detector"]
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=out3["Detector"])["detectorName"] == f"{name}-second"
    with pytest.raises(ClientError) as gone:
        logs.get_log_anomaly_detector(anomalyDetectorArn=out["Detector"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"

    cfn.update_stack(StackName=name, TemplateBody=LOGS, Capabilities=["CAPABILITY_IAM"],
                     Parameters=parameters({**changed, "TierName": "INTELLIGENT_TIERING"}))
    assert settle(cfn, name, timeout=120)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    stack_id = stack["StackId"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack_id, timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack_id)
    assert _fields(logs, f"{name}-index") is None
    for call, kwargs in ((logs.get_delivery_source, {"name": out["Source"]}),
                         (logs.get_delivery_destination, {"name": out["Destination"]}),
                         (logs.get_delivery, {"id": out["Delivery"]}),
                         (logs.get_log_anomaly_detector, {"anomalyDetectorArn": out3["Detector"]}),
                         (logs.get_scheduled_query, {"identifier": out["Scheduled"]})):
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException", call
    assert logs.get_storage_tier_policy()["storageTier"] == "STANDARD"
