"""Query logging end to end: a configuration to a CloudWatch Logs group, dig, and Route 53's
log lines appear in the zone's stream."""

from __future__ import annotations

import uuid

import dns.edns
import dns.message
import dns.query
import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .zones import udp


def test_query_logging_writes_route53_lines_to_cloudwatch_logs(gureum):
    r53, logs = gureum.client("route53"), gureum.client("logs", region="us-east-1")
    zone = r53.create_hosted_zone(Name="qlog.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "www.qlog.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    group = f"/aws/route53/qlog-{uuid.uuid4().hex[:6]}"
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    with pytest.raises(ClientError) as exc:
        r53.create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)
    assert exc.value.response["Error"]["Code"] == "NoSuchCloudWatchLogsLogGroup"
    logs.create_log_group(logGroupName=group)
    conf = r53.create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)["QueryLoggingConfig"]
    with pytest.raises(ClientError) as exc:
        r53.create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)
    assert exc.value.response["Error"]["Code"] == "QueryLoggingConfigAlreadyExists"
    assert r53.get_query_logging_config(Id=conf["Id"])["QueryLoggingConfig"]["HostedZoneId"] == zone
    assert [c["Id"] for c in r53.list_query_logging_configs(HostedZoneId=zone)["QueryLoggingConfigs"]] == [conf["Id"]]

    lines: list[str] = []
    streams: list[dict] = []

    def both_logged() -> bool:  # queries go on until logging has started and both are in the log
        nonlocal lines, streams
        q = dns.message.make_query("WWW.qlog.test", "A", use_edns=0, options=[dns.edns.ECSOption("198.51.100.0", 24)])
        udp(q, gureum.dns_port)
        udp(dns.message.make_query("nope.qlog.test", "A"), gureum.dns_port)
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        if not streams:
            return False
        events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
        lines = [e["message"] for e in events]
        return any(" NXDOMAIN " in line for line in lines) and any(" NOERROR " in line for line in lines)

    wait_for("a NOERROR and an NXDOMAIN line in the query log", both_logged, timeout=60, interval=0.5)
    ok = next(line for line in lines if " NOERROR " in line).split(" ")
    assert ok[0] == "1.0" and ok[2] == zone and ok[3] == "www.qlog.test" and ok[4] == "A" and ok[6] == "UDP"
    assert ok[8] == "127.0.0.1" and ok[9] == "198.51.100.0/24"
    assert ok[1].endswith("Z") and "T" in ok[1]
    nx = next(line for line in lines if " NXDOMAIN " in line).split(" ")
    assert nx[3] == "nope.qlog.test" and nx[9] == "-"
    assert streams[0]["logStreamName"].startswith(zone + "/")
    r53.delete_query_logging_config(Id=conf["Id"])
    assert r53.list_query_logging_configs(HostedZoneId=zone)["QueryLoggingConfigs"] == []
