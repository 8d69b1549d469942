"""Resource, data protection and account policies, KMS associations, storage tier, bearer
tokens, ListLogGroups, field discovery and records, through boto3."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gureum.services.logs import records

EMAIL = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
IP = "arn:aws:dataprotection::aws:data-identifier/IpAddress"


def _dp_policy(*identifiers: str, custom: list[dict[str, str]] | None = None, findings: str | None = None) -> str:
    destination = {"CloudWatchLogs": {"LogGroup": findings}} if findings else {}
    doc: dict[str, Any] = {
        "Name": "dp", "Version": "2021-06-01",
        "Statement": [{"Sid": "audit", "DataIdentifier": list(identifiers),
                       "Operation": {"Audit": {"FindingsDestination": destination}}},
                      {"Sid": "redact", "DataIdentifier": list(identifiers), "Operation": {"Deidentify": {"MaskConfig": {}}}}]}
    if custom:
        doc["Configuration"] = {"CustomDataIdentifier": custom}
    return json.dumps(doc)


@pytest.fixture
def logs(gureum: Any) -> Any:
    return gureum.client("logs")


def _group(logs: Any, prefix: str = "/pol") -> str:
    name = f"{prefix}/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return name


def _put(logs: Any, group: str, messages: list[str]) -> int:
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
    return now


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_data_protection_masks_events_ingested_after_the_policy(logs):
    group = _group(logs)
    _put(logs, group, ["before: ann@example.com"])
    ssn = {"Name": "EmployeeId", "Regex": "EMP-[0-9]{4}"}
    findings = f"/findings/{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as exc:  # the findings group must exist
        logs.put_data_protection_policy(logGroupIdentifier=group,
                                        policyDocument=_dp_policy(EMAIL, "EmployeeId", custom=[ssn], findings=findings))
    assert _code(exc) == "InvalidParameterException"
    logs.create_log_group(logGroupName=findings)
    logs.put_data_protection_policy(logGroupIdentifier=group,
                                    policyDocument=_dp_policy(EMAIL, "EmployeeId", custom=[ssn], findings=findings))
    _put(logs, group, ["mail bob@example.org now", "id EMP-1234 ok", "nothing here"])
    reports = [json.loads(e["message"]) for e in logs.get_log_events(logGroupName=findings, logStreamName=group,
                                                                        startFromHead=True)["events"]]
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    assert [(r["resourceArn"], r["dataIdentifiers"]) for r in reports] == [
        (group_arn, [{"name": "EmailAddress", "count": 1, "detections": [{"start": 5, "end": 20}]}]),
        (group_arn, [{"name": "EmployeeId", "count": 1, "detections": [{"start": 3, "end": 11}]}])]
    assert reports[0]["auditTimestamp"].endswith("Z")
    got = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]]
    assert got == ["before: ann@example.com", "mail *************** now", "id ******** ok", "nothing here"]
    raw = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, unmask=True)["events"]
    assert raw[1]["message"] == "mail bob@example.org now"
    filtered = logs.filter_log_events(logGroupName=group, filterPattern="mail")["events"]
    assert [e["message"] for e in filtered] == ["mail *************** now"]
    # masked at every egress point: filter patterns see what is shown
    assert logs.filter_log_events(logGroupName=group, filterPattern="bob")["events"] == []
    assert len(logs.filter_log_events(logGroupName=group, filterPattern="bob", unmask=True)["events"]) == 1
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["dataProtectionStatus"] == "ACTIVATED"
    out = logs.get_data_protection_policy(logGroupIdentifier=group)
    assert json.loads(out["policyDocument"])["Name"] == "dp" and out["lastUpdatedTime"] > 0
    logs.delete_data_protection_policy(logGroupIdentifier=group)
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier=group)
    assert "dataProtectionStatus" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    with pytest.raises(ClientError) as exc:  # the two statements must name the same identifiers
        bad = json.loads(_dp_policy(EMAIL))
        bad["Statement"][1]["DataIdentifier"] = [IP]
        logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=json.dumps(bad))
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_data_protection_policy(logGroupIdentifier="/no/such", policyDocument=_dp_policy(EMAIL))
    assert _code(exc) == "ResourceNotFoundException"


def test_account_data_protection_policy_masks_every_group_and_is_one_per_account(logs):
    name = f"acct-{uuid.uuid4().hex[:6]}"
    out = logs.put_account_policy(policyName=name, policyType="DATA_PROTECTION_POLICY", policyDocument=_dp_policy(IP))
    assert out["accountPolicy"]["policyType"] == "DATA_PROTECTION_POLICY" and out["accountPolicy"]["accountId"] == "000000000000"
    try:
        group = _group(logs)
        _put(logs, group, ["from 10.1.2.3 port 80"])
        assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"][0]["message"] == "from ******** port 80"
        with pytest.raises(ClientError) as exc:
            logs.put_account_policy(policyName=name + "b", policyType="DATA_PROTECTION_POLICY", policyDocument=_dp_policy(IP))
        assert _code(exc) == "LimitExceededException"
        with pytest.raises(ClientError) as exc:
            logs.put_account_policy(policyName=name, policyType="DATA_PROTECTION_POLICY", policyDocument=_dp_policy(IP),
                                    selectionCriteria='LogGroupName NOT IN ["x"]')
        assert _code(exc) == "InvalidParameterException"
        got = logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"]
        assert [p["policyName"] for p in got] == [name]
    finally:
        logs.delete_account_policy(policyName=name, policyType="DATA_PROTECTION_POLICY")
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY")["accountPolicies"] == []
    with pytest.raises(ClientError) as exc:
        logs.delete_account_policy(policyName=name, policyType="DATA_PROTECTION_POLICY")
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:  # dryRun is for retention policies only
        logs.put_account_policy(policyName="t", policyType="TRANSFORMER_POLICY", policyDocument="{}", dryRun=True)
    assert _code(exc) == "InvalidParameterException"


def test_resource_policies_revisions_scopes_and_limits(gureum):
    logs = gureum.client("logs", region="eu-west-3")  # a region of its own: the 10-policy quota is per region
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
                                                              "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]})
    out = logs.put_resource_policy(policyName="r53", policyDocument=doc)
    assert out["resourcePolicy"]["policyScope"] == "ACCOUNT" and out["revisionId"]
    again = logs.put_resource_policy(policyName="r53", policyDocument=doc, expectedRevisionId=out["revisionId"])
    assert again["revisionId"] != out["revisionId"]
    with pytest.raises(ClientError) as exc:
        logs.put_resource_policy(policyName="r53", policyDocument=doc, expectedRevisionId=out["revisionId"])
    assert _code(exc) == "OperationAbortedException"
    with pytest.raises(ClientError) as exc:
        logs.put_resource_policy(policyName="bad", policyDocument="{not json")
    assert _code(exc) == "InvalidParameterException"
    group = _group(logs)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    scoped = logs.put_resource_policy(resourceArn=arn, policyDocument=doc)["resourcePolicy"]
    assert scoped["policyScope"] == "RESOURCE" and scoped["resourceArn"] == arn
    assert [p["resourceArn"] for p in logs.describe_resource_policies(resourceArn=arn)["resourcePolicies"]] == [arn]
    assert [p["policyName"] for p in logs.describe_resource_policies(policyScope="ACCOUNT")["resourcePolicies"]] == ["r53"]
    for i in range(9):
        logs.put_resource_policy(policyName=f"p{i}", policyDocument=doc)
    with pytest.raises(ClientError) as exc:
        logs.put_resource_policy(policyName="eleventh", policyDocument=doc)
    assert _code(exc) == "LimitExceededException"
    logs.delete_resource_policy(policyName="r53")
    with pytest.raises(ClientError) as exc:
        logs.delete_resource_policy(policyName="r53")
    assert _code(exc) == "ResourceNotFoundException"
    for i in range(9):
        logs.delete_resource_policy(policyName=f"p{i}")
    logs.delete_resource_policy(resourceArn=arn)


def test_kms_storage_tier_and_bearer_token_show_where_aws_shows_them(logs):
    group = _group(logs)
    key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.associate_kms_key(logGroupName=group, kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["kmsKeyId"] == key
    logs.disassociate_kms_key(logGroupName=group)
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName=group, kmsKeyId="not-a-key")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName="/no/such", kmsKeyId=key)
    assert _code(exc) == "ResourceNotFoundException"
    logs.put_bearer_token_authentication(logGroupIdentifier=group, bearerTokenAuthenticationEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["bearerTokenAuthenticationEnabled"] is True
    put = logs.put_storage_tier_policy(storageTier="INTELLIGENT_TIERING")
    got = logs.get_storage_tier_policy()
    assert got["storageTier"] == "INTELLIGENT_TIERING" and got["lastUpdatedTime"] == put["lastUpdatedTime"]
    logs.put_storage_tier_policy(storageTier="STANDARD")


def test_list_log_groups_patterns_classes_tags_and_paging(logs):
    tag = uuid.uuid4().hex[:8]
    names = []
    for i in range(3):
        name = f"/lg{tag}/g{i}"
        logs.create_log_group(logGroupName=name, **({"tags": {"run": tag}} if i else {}))
        names.append(name)
    got = logs.list_log_groups(logGroupNamePattern=f"^/lg{tag}")["logGroups"]
    assert [g["logGroupName"] for g in got] == names
    assert got[0]["logGroupClass"] == "STANDARD" and got[0]["logGroupArn"].endswith(f":log-group:{names[0]}")
    assert [g["logGroupName"] for g in logs.list_log_groups(logGroupNamePattern=f"{tag}/g1|{tag}/g2")["logGroups"]] == names[1:]
    assert logs.list_log_groups(logGroupNamePattern=f"^/LG{tag}")["logGroups"] == []  # case-sensitive
    tagged = logs.list_log_groups(logGroupNamePattern=f"^/lg{tag}", logGroupTags=[{"key": "run", "values": [tag]}])
    assert [g["logGroupName"] for g in tagged["logGroups"]] == names[1:]
    first = logs.list_log_groups(logGroupNamePattern=f"^/lg{tag}", limit=2)
    rest = logs.list_log_groups(logGroupNamePattern=f"^/lg{tag}", limit=2, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in first["logGroups"] + rest["logGroups"]] == names and "nextToken" not in rest
    assert logs.list_log_groups(logGroupNamePattern=f"^/lg{tag}", logGroupClass="INFREQUENT_ACCESS")["logGroups"] == []
    summaries = logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_AND_TYPE")
    assert summaries["aggregateLogGroupSummaries"] == []  # no gureum log group has a vended data source


def test_log_group_fields_and_log_record(logs):
    group = _group(logs)
    ts = _put(logs, group, [json.dumps({"level": "info", "req": {"id": 1}}), json.dumps({"level": "warn"}), "plain"])
    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName=group)["logGroupFields"]}
    assert fields["@message"] == 100 and fields["@timestamp"] == 100
    assert fields["level"] == 67 and fields["req.id"] == 33
    ptr = records.pointer(f"000000000000/us-east-1/{group}\x1fs\x1f{ts:013d}.{1:010d}")
    rec = logs.get_log_record(logRecordPointer=ptr)["logRecord"]
    assert rec["@message"] == json.dumps({"level": "info", "req": {"id": 1}})
    assert rec["level"] == "info" and rec["req.id"] == "1" and rec["@logStream"] == "s"
    assert rec["@log"] == f"000000000000:{group}"
    with pytest.raises(ClientError) as exc:
        logs.get_log_record(logRecordPointer="bm90LWEta2V5")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.get_log_fields(dataSourceName="amazon_vpc", dataSourceType="flow")
    assert _code(exc) == "ResourceNotFoundException"


def test_log_record_pointer_of_another_account_is_refused(gureum, logs):
    group = _group(logs)
    ts = _put(logs, group, ["secret"])
    ptr = records.pointer(f"000000000000/us-east-1/{group}\x1fs\x1f{ts:013d}.{1:010d}")
    assert logs.get_log_record(logRecordPointer=ptr)["logRecord"]["@message"] == "secret"
    with pytest.raises(ClientError) as exc:
        gureum.client("logs", aws_access_key_id="222222222222").get_log_record(logRecordPointer=ptr)
    assert _code(exc) == "InvalidParameterException"


def test_account_retention_policy_overrides_group_retention_and_dry_runs_count_the_impact(gureum):
    logs = gureum.client("logs", region="ap-south-2")  # a region of its own: the policy applies region-wide
    tag = uuid.uuid4().hex[:6]
    old_group, other = f"/ret{tag}/old", f"/other{tag}"
    logs.create_log_group(logGroupName=old_group)
    logs.put_retention_policy(logGroupName=old_group, retentionInDays=7)
    logs.create_log_group(logGroupName=other)
    doc = json.dumps({"retentionInDays": 90, "enforcementMode": "RETROACTIVE"})
    dry = logs.put_account_policy(policyName="r", policyType="RETENTION_POLICY", policyDocument=doc, dryRun=True,
                                  selectionCriteria=f'LogGroupNamePrefix IN ["/ret{tag}"]')["dryRunResult"]
    assert (dry["totalMatchedLogGroups"], dry["increasedRetentionLogGroupCount"]) == (1, 1)
    assert logs.describe_account_policies(policyType="RETENTION_POLICY")["accountPolicies"] == []  # a dry run keeps nothing
    logs.put_account_policy(policyName="r", policyType="RETENTION_POLICY", policyDocument=doc,
                            selectionCriteria=f'LogGroupNamePrefix IN ["/ret{tag}"]')
    try:
        shown = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
        assert (shown[old_group]["retentionInDays"], shown[old_group]["retentionPolicyName"]) == (90, "r")
        assert "retentionPolicyName" not in shown[other] and "retentionInDays" not in shown[other]
        undo = logs.delete_account_policy(policyName="r", policyType="RETENTION_POLICY", dryRun=True)["dryRunResult"]
        assert (undo["totalMatchedLogGroups"], undo["decreasedRetentionLogGroupCount"]) == (1, 1)  # back to 7 days
        never = json.dumps({"retentionInDays": "NEVER_EXPIRE", "enforcementMode": "NEW_ONLY"})
        logs.put_account_policy(policyName="r", policyType="RETENTION_POLICY", policyDocument=never,
                                selectionCriteria=f'LogGroupNamePrefix IN ["/ret{tag}"]')
        shown = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
        assert "retentionPolicyName" not in shown[old_group]  # NEW_ONLY: older groups keep their own
        assert shown[old_group]["retentionInDays"] == 7
        logs.create_log_group(logGroupName=f"/ret{tag}/new")
        new = logs.describe_log_groups(logGroupNamePrefix=f"/ret{tag}/new")["logGroups"][0]
        assert new["retentionPolicyName"] == "r" and "retentionInDays" not in new
        for bad in ({"retentionInDays": 7, "enforcementMode": "RETROACTIVE"}, {"retentionInDays": 90}):
            with pytest.raises(ClientError) as exc:
                logs.put_account_policy(policyName="r", policyType="RETENTION_POLICY", policyDocument=json.dumps(bad))
            assert _code(exc) == "InvalidParameterException"
    finally:
        logs.delete_account_policy(policyName="r", policyType="RETENTION_POLICY")
    assert logs.describe_log_groups(logGroupNamePrefix=old_group)["logGroups"][0]["retentionInDays"] == 7
