"""Route 53 (rest-xml) and Lambda (rest-json) responses walked against botocore's output shapes
(tests/aws/shape_check.py): zones, record sets, changes, health checks, delegation sets, CIDR
collections, traffic policies, tags; functions, versions, aliases, URLs, concurrency, event
invoke configs, permissions, layers, event source mappings, an invocation."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from shape_check import ShapeRecorder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_"))
from lambda_helpers import TRUST, zip_of  # noqa: E402
from waiting import wait_for  # noqa: E402


def test_route53_responses_match_the_model(gureum: Any) -> None:
    r53 = gureum.client("route53")
    rec = ShapeRecorder(r53)
    n = uuid.uuid4().hex[:8]
    zone = r53.create_hosted_zone(Name=f"{n}.example.com", CallerReference=n,
                                  HostedZoneConfig={"Comment": "c"})["HostedZone"]["Id"]
    r53.get_hosted_zone(Id=zone)
    r53.list_hosted_zones()
    r53.list_hosted_zones_by_name(DNSName=f"{n}.example.com")
    r53.get_hosted_zone_count()
    r53.update_hosted_zone_comment(Id=zone, Comment="d")
    change = r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"www.{n}.example.com", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "10.0.0.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"w.{n}.example.com", "Type": "A", "SetIdentifier": "a",
                                                   "Weight": 10, "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.2"}]}},
    ]})["ChangeInfo"]["Id"]
    r53.get_change(Id=change)
    r53.list_resource_record_sets(HostedZoneId=zone)
    r53.list_resource_record_sets(HostedZoneId=zone, MaxItems="1")
    r53.test_dns_answer(HostedZoneId=zone, RecordName=f"www.{n}.example.com", RecordType="A")
    r53.get_hosted_zone_limit(Type="MAX_RRSETS_BY_ZONE", HostedZoneId=zone)
    r53.get_account_limit(Type="MAX_HOSTED_ZONES_BY_OWNER")
    r53.get_checker_ip_ranges()
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone.split("/")[-1],
                                 AddTags=[{"Key": "k", "Value": "v"}])
    r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone.split("/")[-1])
    r53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=[zone.split("/")[-1]])
    hc = r53.create_health_check(CallerReference=f"hc-{n}", HealthCheckConfig={
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 30, "FailureThreshold": 3})["HealthCheck"]["Id"]
    r53.get_health_check(HealthCheckId=hc)
    r53.list_health_checks()
    r53.get_health_check_count()
    r53.update_health_check(HealthCheckId=hc, FailureThreshold=2)
    r53.get_health_check_status(HealthCheckId=hc)
    r53.get_health_check_last_failure_reason(HealthCheckId=hc)
    r53.delete_health_check(HealthCheckId=hc)
    ds = r53.create_reusable_delegation_set(CallerReference=f"ds-{n}")["DelegationSet"]["Id"]
    r53.get_reusable_delegation_set(Id=ds)
    r53.list_reusable_delegation_sets()
    r53.get_reusable_delegation_set_limit(Type="MAX_ZONES_BY_REUSABLE_DELEGATION_SET", DelegationSetId=ds)
    r53.delete_reusable_delegation_set(Id=ds)
    cidr = r53.create_cidr_collection(Name=f"c{n}", CallerReference=f"c-{n}")["Collection"]["Id"]
    r53.change_cidr_collection(Id=cidr, Changes=[{"LocationName": "l", "Action": "PUT", "CidrList": ["10.0.0.0/24"]}])
    r53.list_cidr_collections()
    r53.list_cidr_locations(CollectionId=cidr)
    r53.list_cidr_blocks(CollectionId=cidr)
    r53.change_cidr_collection(Id=cidr, Changes=[{"LocationName": "l", "Action": "DELETE_IF_EXISTS",
                                                  "CidrList": ["10.0.0.0/24"]}])
    r53.delete_cidr_collection(Id=cidr)
    doc = json.dumps({"AWSPolicyFormatVersion": "2015-10-01", "RecordType": "A", "StartRule": "r",
                      "Endpoints": {"e": {"Type": "value", "Value": "10.0.0.9"}},
                      "Rules": {"r": {"RuleType": "failover", "Primary": {"EndpointReference": "e"},
                                      "Secondary": {"EndpointReference": "e"}}}})
    tp = r53.create_traffic_policy(Name=f"tp-{n}", Document=doc, Comment="c")["TrafficPolicy"]["Id"]
    r53.get_traffic_policy(Id=tp, Version=1)
    r53.create_traffic_policy_version(Id=tp, Document=doc)
    r53.list_traffic_policies()
    r53.list_traffic_policy_versions(Id=tp)
    r53.update_traffic_policy_comment(Id=tp, Version=2, Comment="x")
    tpi = r53.create_traffic_policy_instance(HostedZoneId=zone, Name=f"tp.{n}.example.com", TTL=60,
                                             TrafficPolicyId=tp, TrafficPolicyVersion=1)["TrafficPolicyInstance"]["Id"]
    r53.get_traffic_policy_instance(Id=tpi)
    r53.list_traffic_policy_instances()
    r53.list_traffic_policy_instances_by_hosted_zone(HostedZoneId=zone)
    r53.list_traffic_policy_instances_by_policy(TrafficPolicyId=tp, TrafficPolicyVersion=1)
    r53.get_traffic_policy_instance_count()
    r53.update_traffic_policy_instance(Id=tpi, TTL=30, TrafficPolicyId=tp, TrafficPolicyVersion=2)
    r53.delete_traffic_policy_instance(Id=tpi)
    r53.delete_traffic_policy(Id=tp, Version=2)
    r53.list_query_logging_configs()
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": {"Name": f"www.{n}.example.com", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "10.0.0.1"}]}},
        {"Action": "DELETE", "ResourceRecordSet": {"Name": f"w.{n}.example.com", "Type": "A", "SetIdentifier": "a",
                                                   "Weight": 10, "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.2"}]}}]})
    r53.delete_hosted_zone(Id=zone)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 45, sorted(rec.operations)


def test_lambda_responses_match_the_model(gureum: Any) -> None:
    lam = gureum.client("lambda")
    iam = gureum.client("iam")
    sqs = gureum.client("sqs")
    rec = ShapeRecorder(lam)
    n = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"lam-{n}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    code = zip_of({"app.py": "def handler(event, context):\n    return {'ok': True}\n"})
    fn = f"f-{n}"
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": code}, Tags={"k": "v"}, Environment={"Variables": {"AB": "1"}})
    lam.get_function(FunctionName=fn)
    lam.get_function_configuration(FunctionName=fn)
    lam.list_functions()
    lam.update_function_configuration(FunctionName=fn, Timeout=10)
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn)
    lam.update_function_code(FunctionName=fn, ZipFile=code)
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn)
    lam.publish_version(FunctionName=fn)
    lam.list_versions_by_function(FunctionName=fn)
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    lam.get_alias(FunctionName=fn, Name="live")
    lam.list_aliases(FunctionName=fn)
    lam.update_alias(FunctionName=fn, Name="live", Description="d")
    lam.add_permission(FunctionName=fn, StatementId="s", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lam.get_policy(FunctionName=fn)
    lam.remove_permission(FunctionName=fn, StatementId="s")
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=2)
    lam.get_function_concurrency(FunctionName=fn)
    lam.delete_function_concurrency(FunctionName=fn)
    lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1)
    lam.get_function_event_invoke_config(FunctionName=fn)
    lam.update_function_event_invoke_config(FunctionName=fn, MaximumEventAgeInSeconds=600)
    lam.list_function_event_invoke_configs(FunctionName=fn)
    lam.delete_function_event_invoke_config(FunctionName=fn)
    lam.create_function_url_config(FunctionName=fn, AuthType="NONE")
    lam.get_function_url_config(FunctionName=fn)
    lam.update_function_url_config(FunctionName=fn, AuthType="AWS_IAM")
    lam.list_function_url_configs(FunctionName=fn)
    lam.delete_function_url_config(FunctionName=fn)
    arn = lam.get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "b"})
    lam.list_tags(Resource=arn)
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    lam.get_account_settings()
    layer = lam.publish_layer_version(LayerName=f"l-{n}", Content={"ZipFile": zip_of({"python/x.py": "X = 1\n"})},
                                      CompatibleRuntimes=["python3.12"])
    lam.get_layer_version(LayerName=f"l-{n}", VersionNumber=layer["Version"])
    lam.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])
    lam.list_layers()
    lam.list_layer_versions(LayerName=f"l-{n}")
    lam.delete_layer_version(LayerName=f"l-{n}", VersionNumber=layer["Version"])
    url = sqs.create_queue(QueueName=f"esm-{n}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    esm = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=qarn, BatchSize=5, Enabled=False)["UUID"]
    lam.get_event_source_mapping(UUID=esm)
    lam.list_event_source_mappings(FunctionName=fn)
    lam.update_event_source_mapping(UUID=esm, BatchSize=2)
    wait_for("the mapping to settle", lambda: lam.get_event_source_mapping(UUID=esm)["State"] in ("Enabled", "Disabled"),
             timeout=30)
    lam.delete_event_source_mapping(UUID=esm)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn)
    lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read()
    lam.invoke(FunctionName=fn, Payload=b"{}", InvocationType="Event")
    lam.invoke(FunctionName=fn, Payload=b"{}", InvocationType="DryRun")
    lam.delete_alias(FunctionName=fn, Name="live")
    lam.delete_function(FunctionName=fn)
    sqs.delete_queue(QueueUrl=url)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 40, sorted(rec.operations)
