"""Resolver query logging into CloudWatch Logs against a real gureum: a config on a log
group, associated with a VPC, gets one JSON record per query in AWS's resolver query log
format (query name and type, rcode, answers, source, transport, VPC id), in a stream named
after the VPC; AWS's errors for a missing group and for configs in use."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port
from waiting import wait_for

VPC = "vpc-0fedcba9876543210"


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    port = free_port()
    proc = GureumProcess(tmp_path_factory.mktemp("querylog") / "data", env=SUITE_RUNTIME_DATE,
                         extra_args=["--set", f"resolver.port={port}"])
    proc.resolver_port = port  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


def dig(port: int, name: str, *args: str) -> str:
    return subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+time=5", name, *args],
                          capture_output=True, text=True, timeout=30, check=False).stdout


def test_queries_are_logged_in_awss_format(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    logs, r = g.client("logs"), g.client("route53resolver")
    group = f"/resolver/{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"

    def code(call: Any) -> str:
        with pytest.raises(ClientError) as e:
            call()
        return str(e.value.response["Error"]["Code"])

    assert code(lambda: r.create_resolver_query_log_config(Name="q", DestinationArn=arn, CreatorRequestId=uuid.uuid4().hex)) == "ResourceNotFoundException"
    assert code(lambda: r.create_resolver_query_log_config(Name="q", DestinationArn="arn:aws:s3:::bucket",
                                                           CreatorRequestId=uuid.uuid4().hex)) == "InvalidParameterException"
    logs.create_log_group(logGroupName=group)
    config = r.create_resolver_query_log_config(Name="q", DestinationArn=arn, CreatorRequestId=uuid.uuid4().hex)["ResolverQueryLogConfig"]
    assoc = r.associate_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"], ResourceId=VPC)["ResolverQueryLogConfigAssociation"]
    assert assoc["Status"] == "ACTIVE"
    assert r.get_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])["ResolverQueryLogConfig"]["AssociationCount"] == 1
    assert code(lambda: r.delete_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])) == "InvalidRequestException"
    marker = f"m{uuid.uuid4().hex[:8]}.com"

    def logged() -> list[dict[str, Any]]:
        dig(port, "com", "NS")
        dig(port, marker)
        events = logs.filter_log_events(logGroupName=group)["events"]
        return [json.loads(e["message"]) for e in events if marker in e["message"]]

    records = wait_for("the query's record in CloudWatch Logs", logged, 60)
    rec = records[0]
    assert (rec["query_name"], rec["query_type"], rec["query_class"], rec["rcode"]) == (marker + ".", "A", "IN", "NXDOMAIN")
    assert (rec["vpc_id"], rec["account_id"], rec["region"], rec["transport"], rec["srcaddr"]) == (VPC, "000000000000", "us-east-1", "UDP", "127.0.0.1")
    assert rec["version"] == "1.100000" and rec["query_timestamp"].endswith("Z") and int(rec["srcport"]) > 0
    ns = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"] if '"query_name":"com."' in e["message"]]
    assert ns and ns[0]["answers"] == [{"Rdata": "a.nic.com.", "Type": "NS", "Class": "IN"}]
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert streams == [VPC]
    r.disassociate_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"], ResourceId=VPC)
    r.delete_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])
