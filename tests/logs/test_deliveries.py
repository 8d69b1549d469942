"""Vended-log deliveries through boto3: delivery sources, destinations and their policies,
deliveries and their configuration, AWS's validation and conflicts, configuration templates,
and Logs Insights' own INSIGHTS_QUERY_LOGS delivered to a CloudWatch Logs destination."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from logs_shapes import checked
from waiting import wait_for

ACCOUNT = "000000000000"


@pytest.fixture
def logs(gureum):
    yield from checked(gureum)


def _code(call, *args, **kwargs):
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    return exc.value.response["Error"]["Code"]


def _names():
    tag = uuid.uuid4().hex[:8]
    return f"src-{tag}", f"dst-{tag}", f"/deliveries/{tag}"


def test_sources_destinations_deliveries_round_trip(logs):
    src, dst, group = _names()
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    source = logs.put_delivery_source(name=src, resourceArn="arn:aws:s3:::some-bucket", logType="S3_SERVER_ACCESS_LOGS",
                                      tags={"team": "a"})["deliverySource"]
    assert source["service"] == "s3" and source["resourceArns"] == ["arn:aws:s3:::some-bucket"]
    assert source["arn"].endswith(f":delivery-source:{src}") and source["tags"] == {"team": "a"}
    dest = logs.put_delivery_destination(name=dst, deliveryDestinationConfiguration={"destinationResourceArn": group_arn})
    dest = dest["deliveryDestination"]
    assert dest["deliveryDestinationType"] == "CWL" and dest["outputFormat"] == "json"
    delivery = logs.create_delivery(deliverySourceName=src, deliveryDestinationArn=dest["arn"],
                                    recordFields=["event_timestamp", "event"])["delivery"]
    assert delivery["deliveryDestinationType"] == "CWL" and delivery["deliverySourceName"] == src
    assert logs.get_delivery(id=delivery["id"])["delivery"]["recordFields"] == ["event_timestamp", "event"]
    logs.update_delivery_configuration(id=delivery["id"], recordFields=["event"])
    assert logs.get_delivery(id=delivery["id"])["delivery"]["recordFields"] == ["event"]
    assert [d["id"] for d in logs.describe_deliveries(deliverySourceNames=[src])["deliveries"]] == [delivery["id"]]
    assert [s["name"] for s in logs.describe_delivery_sources(resourceArns=["arn:aws:s3:::some-bucket"])["deliverySources"]
            if s["name"] == src] == [src]
    assert logs.get_delivery_source(name=src)["deliverySource"]["status"] == "ACTIVE"
    logs.tag_resource(resourceArn=source["arn"], tags={"b": "2"})
    assert logs.list_tags_for_resource(resourceArn=source["arn"])["tags"] == {"team": "a", "b": "2"}
    logs.untag_resource(resourceArn=source["arn"], tagKeys=["team"])
    assert logs.get_delivery_source(name=src)["deliverySource"]["tags"] == {"b": "2"}
    logs.tag_resource(resourceArn=delivery["arn"], tags={"d": "1"})
    assert logs.list_tags_for_resource(resourceArn=delivery["arn"])["tags"] == {"d": "1"}
    assert logs.describe_delivery_destinations(names=[dst])["deliveryDestinations"][0]["name"] == dst
    # in use: neither end can go, and the pair cannot be made twice
    assert _code(logs.delete_delivery_source, name=src) == "ConflictException"
    assert _code(logs.delete_delivery_destination, name=dst) == "ConflictException"
    assert _code(logs.create_delivery, deliverySourceName=src, deliveryDestinationArn=dest["arn"]) == "ConflictException"
    assert _code(logs.update_delivery_configuration, id=delivery["id"],
                 s3DeliveryConfiguration={"suffixPath": "x"}) == "ValidationException"
    logs.delete_delivery(id=delivery["id"])
    assert _code(logs.get_delivery, id=delivery["id"]) == "ResourceNotFoundException"
    logs.delete_delivery_source(name=src)
    logs.delete_delivery_destination(name=dst)
    assert _code(logs.get_delivery_source, name=src) == "ResourceNotFoundException"
    assert _code(logs.get_delivery_destination, name=dst) == "ResourceNotFoundException"


def test_validation_of_sources_and_destinations(logs):
    src, dst, group = _names()
    assert _code(logs.put_delivery_source, name=src, resourceArn="arn:aws:s3:::b", logType="ACCESS_LOGS") == "ValidationException"
    assert _code(logs.put_delivery_source, name=src, resourceArn="arn:aws:sqs:us-east-1:000000000000:q",
                 logType="ACCESS_LOGS") == "ValidationException"
    assert _code(logs.put_delivery_destination, name=dst,
                 deliveryDestinationConfiguration={"destinationResourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/no/such"}) \
        == "ResourceNotFoundException"
    assert _code(logs.put_delivery_destination, name=dst, deliveryDestinationType="CWL",
                 deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket"}) == "ValidationException"
    assert _code(logs.put_delivery_destination, name=dst, outputFormat="w3c",
                 deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:sqs:us-east-1:1:q"}) == "ValidationException"
    s3 = logs.put_delivery_destination(name=dst, outputFormat="parquet",
                                       deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket"})
    assert s3["deliveryDestination"]["deliveryDestinationType"] == "S3"
    assert _code(logs.create_delivery, deliverySourceName="nope", deliveryDestinationArn=s3["deliveryDestination"]["arn"]) \
        == "ResourceNotFoundException"
    logs.delete_delivery_destination(name=dst)


def test_destination_policy(logs):
    _, dst, _ = _names()
    logs.put_delivery_destination(name=dst, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket"})
    assert logs.get_delivery_destination_policy(deliveryDestinationName=dst)["policy"] == {}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                                                                 "Action": "logs:CreateDelivery", "Resource": "*"}]})
    out = logs.put_delivery_destination_policy(deliveryDestinationName=dst, deliveryDestinationPolicy=policy)
    assert out["policy"]["deliveryDestinationPolicy"] == policy
    assert logs.get_delivery_destination_policy(deliveryDestinationName=dst)["policy"]["deliveryDestinationPolicy"] == policy
    assert _code(logs.put_delivery_destination_policy, deliveryDestinationName=dst, deliveryDestinationPolicy="{not json") \
        == "ValidationException"
    logs.delete_delivery_destination_policy(deliveryDestinationName=dst)
    assert _code(logs.delete_delivery_destination_policy, deliveryDestinationName=dst) == "ResourceNotFoundException"
    assert _code(logs.put_delivery_destination_policy, deliveryDestinationName="nope", deliveryDestinationPolicy=policy) \
        == "ResourceNotFoundException"
    logs.delete_delivery_destination(name=dst)


def test_configuration_templates_filter_and_page(logs):
    got = logs.describe_configuration_templates(service="s3", deliveryDestinationTypes=["S3"])["configurationTemplates"]
    assert [(t["service"], t["logType"], t["deliveryDestinationType"]) for t in got] == [("s3", "S3_SERVER_ACCESS_LOGS", "S3")]
    assert "parquet" in got[0]["allowedOutputFormats"]
    first = logs.describe_configuration_templates(service="workmail", limit=2)
    rest = logs.describe_configuration_templates(service="workmail", limit=50, nextToken=first["nextToken"])
    assert len(first["configurationTemplates"]) + len(rest["configurationTemplates"]) == 5 * 3


def test_insights_query_logs_are_delivered_to_a_log_group(logs):
    src, dst, group = _names()
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.put_delivery_source(name=src, resourceArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:*", logType="INSIGHTS_QUERY_LOGS")
    dest = logs.put_delivery_destination(name=dst, deliveryDestinationConfiguration={"destinationResourceArn": group_arn})
    delivery = logs.create_delivery(deliverySourceName=src, deliveryDestinationArn=dest["deliveryDestination"]["arn"])["delivery"]
    now = int(time.time())
    qid = logs.start_query(logGroupName=group, startTime=now - 60, endTime=now, queryString="stats count(*)")["queryId"]
    wait_for("query log record", lambda: logs.filter_log_events(logGroupName=group)["events"], timeout=30, interval=0.2)
    event = logs.filter_log_events(logGroupName=group)["events"][0]
    assert event["logStreamName"] == delivery["id"]
    record = json.loads(event["message"])
    assert record["log_type"] == "INSIGHTS_QUERY_LOGS" and record["event"]["queryId"] == qid
    assert record["event"]["status"] == "Complete" and record["event"]["queryString"] == "stats count(*)"
    logs.delete_delivery(id=delivery["id"])
    logs.delete_delivery_source(name=src)
    logs.delete_delivery_destination(name=dst)
