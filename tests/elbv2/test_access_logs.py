"""ALB access logs to S3 (access_logs.py), through boto3 and a real backend: enabling needs a
bucket policy that lets Elastic Load Balancing write (the region's ELB account or the log
delivery service principal), else AWS's InvalidConfigurationRequest; once enabled, AWS's test
object is written, and the requests served are delivered (here every second) as gzip objects
under AWS's key layout, one line per request in AWS's field order."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening
from tests.harness import SUITE_RUNTIME_DATE, GureumProcess

ACCOUNT, REGION = "000000000000", "us-east-1"
ELB_ACCOUNT = "127311923021"  # us-east-1's Elastic Load Balancing account


@pytest.fixture(scope="module")
def logged_gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("access-logs") / "data",
                         extra_args=["--set", "elbv2.access_log_interval=1"], env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


def _policy(bucket: str, prefix: str, principal: dict[str, str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{ACCOUNT}/*"}]})


def _enable(elb: Any, lb_arn: str, bucket: str, prefix: str) -> None:
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb_arn, Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": bucket},
        {"Key": "access_logs.s3.prefix", "Value": prefix}])


def test_enabling_access_logs_needs_a_bucket_policy_that_lets_elb_write(logged_gureum: GureumProcess) -> None:
    g = logged_gureum
    elb, s3 = g.client("elbv2"), g.client("s3")
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    bucket = uniq("logs")
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        _enable(elb, lb["LoadBalancerArn"], bucket, "pre")
    assert e.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
    assert e.value.response["Error"]["Message"] == f"Access Denied for bucket: {bucket}. Please check S3bucket permission"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        _enable(elb, lb["LoadBalancerArn"], uniq("nobucket"), "pre")
    assert e.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
    # a grant to another principal, or for another prefix, is not one to ELB
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "other", {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"}))
    with pytest.raises(ClientError):
        _enable(elb, lb["LoadBalancerArn"], bucket, "pre")
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "pre", {"AWS": "arn:aws:iam::111122223333:root"}))
    with pytest.raises(ClientError):
        _enable(elb, lb["LoadBalancerArn"], bucket, "pre")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["access_logs.s3.enabled"] == "false"

    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "pre", {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"}))
    _enable(elb, lb["LoadBalancerArn"], bucket, "pre")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert (attrs["access_logs.s3.enabled"], attrs["access_logs.s3.bucket"], attrs["access_logs.s3.prefix"]) == ("true", bucket, "pre")
    test_file = s3.get_object(Bucket=bucket, Key=f"pre/AWSLogs/{ACCOUNT}/ELBAccessLogTestFile")["Body"].read()
    assert lb["LoadBalancerArn"].encode() in test_file

    # the log delivery service principal is granted as well as the ELB account
    other = uniq("logs")
    s3.create_bucket(Bucket=other)
    s3.put_bucket_policy(Bucket=other, Policy=_policy(other, "svc", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}))
    _enable(elb, lb["LoadBalancerArn"], other, "svc")
    with pytest.raises(ClientError) as e:  # AWS refuses a prefix with AWSLogs in it
        _enable(elb, lb["LoadBalancerArn"], other, "svc/AWSLogs")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def _entries(s3: Any, bucket: str, root: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root):
        for obj in page.get("Contents", []):
            data = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()).decode()
            out[obj["Key"]] = [shlex.split(line) for line in data.splitlines()]
    return out


def test_requests_are_delivered_as_gzip_entries_in_awss_format(logged_gureum: GureumProcess, tmp_path: Path) -> None:
    g = logged_gureum
    elb, s3 = g.client("elbv2"), g.client("s3")
    backend = Backend("logged")
    try:
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=backend.port, VpcId=VPC,
                                     TargetType="ip", HealthCheckPath="/health")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        name = uniq("alb")
        lb = elb.create_load_balancer(Name=name, Subnets=SUBNETS)["LoadBalancers"][0]
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
        elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=5,
                        Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
                        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "MessageBody": "tea"}}])
        elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=7,
                        Conditions=[{"Field": "path-pattern", "Values": ["/moved"]}],
                        Actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
        bucket = uniq("logs")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "web", {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"}))
        _enable(elb, lb["LoadBalancerArn"], bucket, "web")
        address = wait_for("the load balancer's name", lambda: resolve(g.dns_port, lb["DNSName"]), 20)
        wait_listening(address, 80)

        def get(path: str) -> tuple[int, bytes]:
            conn = http.client.HTTPConnection(address, 80, timeout=30)
            conn.request("GET", path, headers={"User-Agent": "access-log-test/1.0 (\"quoted\")"})
            r = conn.getresponse()
            out = (r.status, r.read())
            conn.close()
            return out
        lb_id = lb["LoadBalancerArn"].rsplit("/", 1)[-1]
        root = f"web/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/"
        found: dict[str, list[list[str]]] = {}
        traces: set[str] = set()
        sizes: set[int] = set()

        def delivered() -> bool:
            found.clear()
            found.update(_entries(s3, bucket, root))
            paths = {e[12].split()[1].split(":80", 1)[-1] for lines in found.values() for e in lines}
            if {"/hello?x=1", "/fixed", "/moved"} <= paths:
                return True
            # until the data plane has the attributes (it follows the change within its reconcile
            # interval), requests are not logged: ask again while waiting
            status, body = get("/hello?x=1")
            assert status == 200
            traces.add(json.loads(body)["headers"]["x-amzn-trace-id"])
            sizes.add(len(body))
            assert get("/fixed") == (418, b"tea")
            assert get("/moved")[0] == 301
            return False
        wait_for("the three requests in the access log", delivered, 60, interval=0.5)
        pattern = (re.escape(root) + r"\d{4}/\d{2}/\d{2}/" + re.escape(f"{ACCOUNT}_elasticloadbalancing_{REGION}_app.{name}.{lb_id}_")
                   + r"\d{8}T\d{4}Z_" + re.escape(address) + r"_[a-z0-9]{8}\.log\.gz")
        for key in found:
            assert re.fullmatch(pattern, key), key
        by_path = {e[12].split()[1].split(":80", 1)[-1]: e for lines in found.values() for e in lines}
        ok = by_path["/hello?x=1"]
        assert len(ok) == 30, ok
        assert ok[0] == "http" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ok[1])
        assert ok[2] == f"app/{name}/{lb_id}"
        assert ok[3].startswith("127.0.0.1:") and ok[4] == f"127.0.0.1:{backend.port}"
        assert all(float(x) >= 0 for x in ok[5:8])
        assert (ok[8], ok[9]) == ("200", "200") and int(ok[10]) > 0 and int(ok[11]) > min(sizes)
        assert ok[12] == f"GET http://{address}:80/hello?x=1 HTTP/1.1"
        assert ok[13] == 'access-log-test/1.0 ("quoted")'
        assert (ok[14], ok[15], ok[16]) == ("-", "-", tg["TargetGroupArn"])
        assert ok[17] in traces  # the trace id the target got
        assert (ok[20], ok[22], ok[23], ok[25], ok[26]) == ("0", "forward", "-", f"127.0.0.1:{backend.port}", "200")
        assert ok[29].startswith("TID_")

        fixed = by_path["/fixed"]
        assert (fixed[4], fixed[6], fixed[8], fixed[9], fixed[16]) == ("-", "-1", "418", "-", "-")
        assert (fixed[20], fixed[22]) == ("5", "fixed-response")
        moved = by_path["/moved"]
        assert (moved[8], moved[20], moved[22]) == ("301", "7", "redirect")
        assert moved[23] == f"https://{address}/moved"
    finally:
        backend.close()


def test_a_node_stopping_cleanly_writes_the_entries_it_holds(tmp_path: Path) -> None:
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "elbv2.access_log_interval=3600"], env=SUITE_RUNTIME_DATE)
    g.start()
    backend = Backend("held")
    try:
        elb, s3 = g.client("elbv2"), g.client("s3")
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=backend.port, VpcId=VPC, TargetType="ip",
                                     HealthCheckPath="/health")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
        bucket = uniq("logs")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "held", {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"}))
        _enable(elb, lb["LoadBalancerArn"], bucket, "held")
        # the listener after the attributes: a snapshot that binds it has access logs on
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        address = wait_for("the load balancer's name", lambda: resolve(g.dns_port, lb["DNSName"]), 20)
        wait_listening(address, 80)
        for i in range(5):
            conn = http.client.HTTPConnection(address, 80, timeout=30)
            conn.request("GET", f"/held-{i}")
            assert conn.getresponse().read()
            conn.close()
        g.restart()  # SIGTERM: the data plane writes what it holds before it stops
        s3 = g.client("s3")
        found = _entries(s3, bucket, f"held/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/")
        paths = sorted(e[12].split()[1].rsplit("/", 1)[-1] for lines in found.values() for e in lines)
        assert paths == [f"held-{i}" for i in range(5)], paths
    finally:
        backend.close()
        g.stop()
