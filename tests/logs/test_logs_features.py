"""The rest of CloudWatch Logs through boto3: field index policies and DescribeFieldIndexes,
anomaly detectors finding new log patterns, lookup tables, scheduled queries that really
run, account-level switches, and the operations whose other side gureum does not serve
(integrations, import tasks, syslog, S3 Tables, data sources) with AWS's errors."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from logs_shapes import checked
from waiting import wait_for


@pytest.fixture
def logs(gureum):
    yield from checked(gureum)


def _code(call, **kwargs):
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def _group(logs, stream="s"):
    name = f"/features/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName=stream)
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
    return name, arn


def _put(logs, group, *messages, stream="s", ago=0):
    now = int(time.time() * 1000) - ago
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
    return now


def test_index_policy_and_field_indexes(logs):
    group, _ = _group(logs)
    first = _put(logs, group, '{"requestId":"a1","user":"bob"}', '{"other":1}', '{"requestId":"a2"}')
    policy = json.dumps({"Fields": ["requestId", "sessionId"]})
    out = logs.put_index_policy(logGroupIdentifier=group, policyDocument=policy)["indexPolicy"]
    assert out["policyDocument"] == policy and out["source"] == "LOG_GROUP"
    assert logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"][0]["policyDocument"] == policy
    indexes = {i["fieldIndexName"]: i for i in logs.describe_field_indexes(logGroupIdentifiers=[group])["fieldIndexes"]}
    assert set(indexes) == {"requestId", "sessionId"}
    assert indexes["requestId"]["firstEventTime"] == first and indexes["requestId"]["lastEventTime"] == first + 2
    assert indexes["requestId"]["indexCategory"] == "CUSTOM" and "firstEventTime" not in indexes["sessionId"]
    assert _code(logs.put_index_policy, logGroupIdentifier=group, policyDocument="{nope") == "InvalidParameterException"
    logs.delete_index_policy(logGroupIdentifier=group)
    assert logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"] == []
    assert _code(logs.delete_index_policy, logGroupIdentifier=group) == "ResourceNotFoundException"


def test_anomaly_detector_finds_new_patterns(logs):
    group, arn = _group(logs)
    _put(logs, group, "user 1 logged in", "user 2 logged in", "GET /health 200")
    detector = logs.create_log_anomaly_detector(logGroupArnList=[arn], detectorName="d", evaluationFrequency="ONE_MIN",
                                                filterPattern="-health")["anomalyDetectorArn"]
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=detector)["anomalyDetectorStatus"] == "ANALYZING"
    _put(logs, group, "user 3 logged in", "disk /dev/sda1 failed with error 5", "disk /dev/sdb1 failed with error 7",
         "GET /health 500 new health noise")
    found = logs.list_anomalies(anomalyDetectorArn=detector)["anomalies"]
    assert [a["patternString"] for a in found] == ["disk <*> failed with error <*>"]
    anomaly = found[0]
    assert anomaly["state"] == "Active" and sum(anomaly["histogram"].values()) == 2 and len(anomaly["logSamples"]) == 2
    logs.update_anomaly(anomalyDetectorArn=detector, anomalyId=anomaly["anomalyId"], suppressionType="INFINITE")
    assert logs.list_anomalies(anomalyDetectorArn=detector, suppressionState="UNSUPPRESSED")["anomalies"] == []
    assert logs.list_anomalies(anomalyDetectorArn=detector, suppressionState="SUPPRESSED")["anomalies"][0]["state"] == "Suppressed"
    listed = logs.list_log_anomaly_detectors(filterLogGroupArn=arn)["anomalyDetectors"]
    assert [d["anomalyDetectorArn"] for d in listed] == [detector]
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=False)
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=detector)["anomalyDetectorStatus"] == "PAUSED"
    logs.delete_log_anomaly_detector(anomalyDetectorArn=detector)
    assert _code(logs.get_log_anomaly_detector, anomalyDetectorArn=detector) == "ResourceNotFoundException"
    assert _code(logs.create_log_anomaly_detector, logGroupArnList=[arn.replace(group, "/no/such")]) == "ResourceNotFoundException"


def test_lookup_tables(logs):
    name = f"t_{uuid.uuid4().hex[:8]}"
    out = logs.create_lookup_table(lookupTableName=name, tableBody="id,name\n1,alice\n2,bob\n", description="users")
    arn = out["lookupTableArn"]
    assert _code(logs.create_lookup_table, lookupTableName=name, tableBody="a\n1\n") == "ResourceAlreadyExistsException"
    got = logs.get_lookup_table(lookupTableArn=arn)
    assert got["tableBody"] == "id,name\n1,alice\n2,bob\n" and got["description"] == "users"
    listed = logs.describe_lookup_tables(lookupTableNamePrefix=name)["lookupTables"]
    assert listed[0]["tableFields"] == ["id", "name"] and listed[0]["recordsCount"] == 2
    logs.update_lookup_table(lookupTableArn=arn, tableBody="id,name,team\n1,alice,a\n")
    assert logs.describe_lookup_tables(lookupTableNamePrefix=name)["lookupTables"][0]["recordsCount"] == 1
    assert _code(logs.update_lookup_table, lookupTableArn=arn, tableBody="a,b\n1\n") == "ValidationException"
    assert _code(logs.create_lookup_table, lookupTableName=name + "x") == "InvalidParameterException"
    logs.delete_lookup_table(lookupTableArn=arn)
    assert _code(logs.get_lookup_table, lookupTableArn=arn) == "ResourceNotFoundException"


def test_scheduled_query_runs_on_schedule_into_a_lookup_table(logs):
    group, _ = _group(logs)
    # two minutes old: inside the window of whichever minute the first run fires in
    _put(logs, group, '{"level":"error"}', '{"level":"info"}', '{"level":"error"}', ago=120_000)
    name = f"sq-{uuid.uuid4().hex[:8]}"
    table = f"sq_{uuid.uuid4().hex[:8]}"
    role = "arn:aws:iam::000000000000:role/sq"
    created = logs.create_scheduled_query(
        name=name, queryLanguage="CWLI", queryString="stats count(*) as n by level | sort level asc",
        logGroupIdentifiers=[group], scheduleExpression="cron(* * * * ? *)", executionRoleArn=role, startTimeOffset=3600,
        destinationConfiguration={"lookupTableConfiguration": {"tableName": table, "roleArn": role}})
    assert created["state"] == "ENABLED"
    assert _code(logs.create_scheduled_query, name=name, queryLanguage="CWLI", queryString="fields @message",
                 logGroupIdentifiers=[group], scheduleExpression="cron(* * * * ? *)", executionRoleArn=role) == "ConflictException"
    assert _code(logs.create_scheduled_query, name=name + "b", queryLanguage="CWLI", queryString="fields @message",
                 logGroupIdentifiers=[group], scheduleExpression="every minute", executionRoleArn=role) == "ValidationException"
    # it fires at the next minute boundary and runs a real Insights query
    ran = wait_for("a completed run", lambda: logs.get_scheduled_query(identifier=name).get("lastExecutionStatus") == "Complete",
                   timeout=120, interval=1)
    assert ran
    history = logs.get_scheduled_query_history(identifier=name, startTime=0, endTime=int(time.time() * 1000) + 60_000)
    run = history["triggerHistory"][0]
    assert run["executionStatus"] == "Complete" and run["destinations"][0]["status"] == "COMPLETE", run
    results = logs.get_query_results(queryId=run["queryId"])["results"]
    assert [{f["field"]: f["value"] for f in r} for r in results] == [{"level": "error", "n": "2"}, {"level": "info", "n": "1"}]
    tables = logs.describe_lookup_tables(lookupTableNamePrefix=table)["lookupTables"]
    assert tables[0]["tableFields"] == ["level", "n"] and tables[0]["recordsCount"] == 2
    logs.update_scheduled_query(identifier=name, queryLanguage="CWLI", queryString="fields @message",
                                scheduleExpression="cron(0 0 1 1 ? 2199)", executionRoleArn=role, state="DISABLED")
    assert [q["state"] for q in logs.list_scheduled_queries(state="DISABLED")["scheduledQueries"] if q["name"] == name] == ["DISABLED"]
    logs.delete_scheduled_query(identifier=name)
    assert _code(logs.get_scheduled_query, identifier=name) == "ResourceNotFoundException"


def test_account_switches(logs):
    assert logs.get_storage_tier_policy()["storageTier"] in ("STANDARD", "INTELLIGENT_TIERING")
    logs.put_storage_tier_policy(storageTier="INTELLIGENT_TIERING")
    assert logs.get_storage_tier_policy()["storageTier"] == "INTELLIGENT_TIERING"
    logs.put_storage_tier_policy(storageTier="STANDARD")
    group, _ = _group(logs)
    logs.put_bearer_token_authentication(logGroupIdentifier=group, bearerTokenAuthenticationEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["bearerTokenAuthenticationEnabled"] is True


def test_operations_needing_unserved_services_answer_aws_errors(logs):
    group, _ = _group(logs)
    assert _code(logs.put_integration, integrationName="i", integrationType="OPENSEARCH", resourceConfig={
        "openSearchResourceConfig": {"dataSourceRoleArn": "arn:aws:iam::000000000000:role/r", "dashboardViewerPrincipals": ["x"],
                                     "retentionDays": 7}}) == "ValidationException"
    assert logs.list_integrations()["integrationSummaries"] == []
    assert _code(logs.get_integration, integrationName="i") == "ResourceNotFoundException"
    assert _code(logs.create_import_task, importSourceArn="arn:aws:cloudtrail:us-east-1:000000000000:eventdatastore/abc",
                 importRoleArn="arn:aws:iam::000000000000:role/r") == "ResourceNotFoundException"
    assert logs.describe_import_tasks()["imports"] == []
    assert _code(logs.cancel_import_task, importId="abc") == "ResourceNotFoundException"
    assert _code(logs.put_syslog_configuration, logGroupIdentifier=group, vpcEndpointId="vpce-0abc") == "ResourceNotFoundException"
    assert logs.list_syslog_configurations()["syslogConfigurations"] == []
    assert _code(logs.list_sources_for_s3_table_integration,
                 integrationArn="arn:aws:logs:us-east-1:000000000000:integration/x") == "ResourceNotFoundException"
    assert _code(logs.get_log_fields, dataSourceName="amazon_vpc", dataSourceType="flow") == "ResourceNotFoundException"


def test_reset_drops_part_b_state(fresh_gureum):
    import urllib.request

    logs = fresh_gureum.client("logs")
    group, arn = _group(logs)
    logs.put_query_definition(name="q", queryString="fields @message")
    logs.put_delivery_source(name="src", resourceArn="arn:aws:s3:::b", logType="S3_SERVER_ACCESS_LOGS")
    logs.create_lookup_table(lookupTableName="t", tableBody="a\n1\n")
    logs.create_log_anomaly_detector(logGroupArnList=[arn])
    logs.put_transformer(logGroupIdentifier=group, transformerConfig=[{"parseJSON": {}}])
    req = urllib.request.Request(fresh_gureum.endpoint + "/_gureum/reset?service=logs", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    assert logs.describe_query_definitions()["queryDefinitions"] == []
    assert logs.describe_delivery_sources()["deliverySources"] == []
    assert logs.describe_lookup_tables()["lookupTables"] == []
    assert logs.list_log_anomaly_detectors()["anomalyDetectors"] == []
    logs.create_log_group(logGroupName=group)
    assert _code(logs.get_transformer, logGroupIdentifier=group) == "ResourceNotFoundException"
