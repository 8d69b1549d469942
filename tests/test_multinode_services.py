"""Every service with two gureum nodes on one PostgreSQL store (issue 24): what one node
accepts the other serves, and work the cluster does once is done once, not once per node.

Blob-backed services (S3, ECR) run twice: with a blob directory both nodes share
(`storage.blob_dir`, a network file system in production) and with `storage.blobs=postgres`
(each node its own directory, the bytes in PostgreSQL, gureum/blobs_pg.py)."""

from __future__ import annotations

import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import psycopg
import pytest
from ecr.ocihttp import Registry, sha
from harness import GureumProcess
from waiting import wait_for

pytestmark = [pytest.mark.xdist_group("multinode"), pytest.mark.e2e]

Pair = tuple[GureumProcess, GureumProcess]
FOLLOW = [
    "--set", "ecs.enabled=0", "--set", "lambda.follow_interval=0.1", "--set", "sqs.follow_interval=0.1",
    "--set", "route53.health_interval_scale=10",
]  # fmt: skip


def _pair(base: Path, args_a: list[str], args_b: list[str]) -> Iterator[Pair]:
    a = GureumProcess(base / "a", extra_args=args_a)
    b = GureumProcess(base / "b", extra_args=args_b)
    a.start()
    try:
        b.start()
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two nodes, one store, one shared blob directory."""
    base = tmp_path_factory.mktemp("mn-services")
    args = ["--state", pg_database, "--set", f"storage.blob_dir={base / 'shared-blobs'}", *FOLLOW]
    yield from _pair(base, args, args)


@pytest.fixture(scope="module")
def pg_blob_nodes(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two nodes, one store (a database of their own), no shared directory: storage.blobs=postgres."""
    from urllib.parse import urlsplit, urlunsplit

    name = "g_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(urlsplit(pg_url)._replace(path="/" + name))
    base = tmp_path_factory.mktemp("mn-pgblobs")
    args = ["--state", url, "--set", "storage.blobs=postgres", *FOLLOW]
    try:
        yield from _pair(base, args, args)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["shared-dir", "postgres"])
def blob_nodes(request: pytest.FixtureRequest) -> Pair:
    return request.getfixturevalue("nodes" if request.param == "shared-dir" else "pg_blob_nodes")


# --- S3 ------------------------------------------------------------------------------------


def test_s3_multipart_across_nodes_and_objects_and_listings_shared(blob_nodes: Pair) -> None:
    a, b = blob_nodes
    s3a, s3b = a.client("s3"), b.client("s3")
    bucket = f"mn-{uuid.uuid4().hex[:8]}"
    s3a.create_bucket(Bucket=bucket)
    part1, part2 = os.urandom(5 * 1024 * 1024), os.urandom(300_000)
    up = s3a.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    e1 = s3a.upload_part(Bucket=bucket, Key="big", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3b.upload_part(Bucket=bucket, Key="big", UploadId=up, PartNumber=2, Body=part2)["ETag"]
    assert [p["PartNumber"] for p in s3b.list_parts(Bucket=bucket, Key="big", UploadId=up)["Parts"]] == [1, 2]
    done = s3b.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )  # fmt: skip
    assert done["ETag"].endswith('-2"')
    for s3 in (s3a, s3b):
        got = s3.get_object(Bucket=bucket, Key="big")
        assert got["ContentLength"] == len(part1) + len(part2) and got["Body"].read() == part1 + part2
        assert s3.get_object(Bucket=bucket, Key="big", Range="bytes=5242870-5242889")["Body"].read() == (part1 + part2)[5242870:5242890]

    s3a.put_object(Bucket=bucket, Key="small", Body=b"written on a")
    assert s3b.get_object(Bucket=bucket, Key="small")["Body"].read() == b"written on a"
    for i in range(5):
        s3a.put_object(Bucket=bucket, Key=f"dir/{i}", Body=str(i).encode())
    listed = s3b.list_objects_v2(Bucket=bucket, Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == [f"dir/{i}" for i in range(5)]
    assert {o["Key"] for o in s3b.list_objects_v2(Bucket=bucket)["Contents"]} == {"big", "small", *(f"dir/{i}" for i in range(5))}


# --- ECR -----------------------------------------------------------------------------------


def test_ecr_chunked_upload_resumed_on_the_other_node_and_manifests_shared(blob_nodes: Pair) -> None:
    a, b = blob_nodes
    ra, rb = Registry(a.endpoint), Registry(b.endpoint)
    repo = f"mn/{uuid.uuid4().hex[:8]}"
    a.client("ecr").create_repository(repositoryName=repo)
    data = os.urandom(1_500_000 + 4321)  # the first chunk's tail smaller than any write buffer
    first = 15 * 65536 + 3001
    loc = ra.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    assert loc
    r = ra.req("PATCH", loc, data[:first], {"Content-Range": f"0-{first - 1}", "Content-Type": "application/octet-stream"})
    assert r.status == 202 and r.header("Range") == f"0-{first - 1}"
    status = rb.req("GET", loc)
    assert status.status == 204 and status.header("Range") == f"0-{first - 1}"
    r = rb.req("PATCH", loc, data[first:], {"Content-Range": f"{first}-{len(data) - 1}", "Content-Type": "application/octet-stream"})
    assert r.status == 202, (r.status, r.body)
    assert rb.req("PUT", f"{loc}?digest={sha(data)}").status == 201
    assert ra.req("GET", f"/v2/{repo}/blobs/{sha(data)}").body == data

    digest, manifest = ra.image(repo, "v1", [os.urandom(200_000), b"second layer"])
    got = rb.req("GET", f"/v2/{repo}/manifests/v1", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert got.status == 200 and got.body == manifest and got.header("Docker-Content-Digest") == digest
    for layer in got.json()["layers"]:
        assert sha(rb.req("GET", f"/v2/{repo}/blobs/{layer['digest']}").body) == layer["digest"]
    tags = b.client("ecr").list_images(repositoryName=repo)["imageIds"]
    assert {"imageDigest": digest, "imageTag": "v1"} in tags


# --- SNS -----------------------------------------------------------------------------------


class _Hook:
    """A local HTTP endpoint recording SNS POSTs, each answered after a short delay (a slow
    endpoint keeps deliveries pending while both nodes' deliverers look at them)."""

    def __init__(self, delay: float) -> None:
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.posts.append(body)
                if body.get("Type") == "Notification":
                    time.sleep(delay)  # real time: a slow endpoint, not synchronisation
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def notifications(self) -> list[str]:
        with self.lock:
            return [p["MessageId"] for p in self.posts if p.get("Type") == "Notification"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _store_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as c:
        row = c.execute("SELECT count(*) FROM gureum_kv WHERE tbl=%s", (table,)).fetchone()
        return int(row[0]) if row else 0


def test_sns_publishes_are_delivered_once_cluster_wide(nodes: Pair, pg_database: str) -> None:
    a, b = nodes
    sns_a, sns_b = a.client("sns"), b.client("sns")
    topic = sns_a.create_topic(Name=f"mn-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sqs = a.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"mn-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    hook = _Hook(delay=0.3)
    try:
        sns_b.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
        confirm = wait_for("the subscription confirmation", lambda: next((p for p in hook.posts if p.get("Type") == "SubscriptionConfirmation"), None), timeout=30)
        with urllib.request.urlopen(confirm["SubscribeURL"]) as resp:
            assert b"<SubscriptionArn>" in resp.read()
        sent: list[str] = []
        for i in range(12):  # both nodes publish, so both nodes' deliverers are awake
            sns = sns_a if i % 2 == 0 else sns_b
            sent.append(sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"])
        wait_for("every notification posted", lambda: set(hook.notifications()) >= set(sent), timeout=60)
        wait_for("no delivery pending in the store", lambda: _store_rows(pg_database, "sns_deliveries") == 0, timeout=60)
        posted = Counter(hook.notifications())
        assert {m: n for m, n in posted.items() if n != 1} == {}, "notifications posted more than once"
    finally:
        hook.close()

    received: Counter[str] = Counter()

    def drained() -> bool:
        out = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in out.get("Messages", []):
            received[m["Body"]] += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        return not out.get("Messages") and sum(received.values()) >= len(sent)

    wait_for("the queue drained", drained, timeout=60, interval=0)
    assert received == Counter(f"m{i}" for i in range(12))


# --- DNS -----------------------------------------------------------------------------------


def _dns_answer(node: GureumProcess, name: str) -> set[str]:
    reply = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=node.dns_port, timeout=2)
    return {rr.to_text() for rrset in reply.answer for rr in rrset}


def _upsert(r53: Any, zone: str, name: str, ip: str) -> None:
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ip}]}}]})


def test_dns_records_changed_through_one_node_are_answered_by_the_other(nodes: Pair) -> None:
    a, b = nodes
    domain = f"mn{uuid.uuid4().hex[:8]}.example"
    zone = a.client("route53").create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    _upsert(a.client("route53"), zone, f"www.{domain}", "192.0.2.1")
    wait_for("b answers the record a created", lambda: _dns_answer(b, f"www.{domain}") == {"192.0.2.1"}, timeout=30, interval=0.05)
    _upsert(b.client("route53"), zone, f"www.{domain}", "192.0.2.2")
    for node in (a, b):
        wait_for("both nodes answer the change made through b", lambda n=node: _dns_answer(n, f"www.{domain}") == {"192.0.2.2"}, timeout=30, interval=0.05)


def test_dnssec_enabled_through_one_node_is_signed_by_the_other(nodes: Pair) -> None:
    import dns.dnssec
    import dns.name
    import dns.rdataclass
    import dns.rdatatype

    a, b = nodes
    domain = f"mnsec{uuid.uuid4().hex[:8]}.example"
    r53 = a.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    _upsert(r53, zone, f"www.{domain}", "192.0.2.1")
    r53.create_key_signing_key(CallerReference=uuid.uuid4().hex, HostedZoneId=zone, Name="mn_ksk", Status="ACTIVE",
                               KeyManagementServiceArn="arn:aws:kms:us-east-1:000000000000:key/mn")
    r53.enable_hosted_zone_dnssec(HostedZoneId=zone)

    def signed_by_b() -> bool:
        keys = dns.query.udp(dns.message.make_query(domain, "DNSKEY", want_dnssec=True), "127.0.0.1", port=b.dns_port, timeout=2)
        r = dns.query.udp(dns.message.make_query(f"www.{domain}", "A", want_dnssec=True), "127.0.0.1", port=b.dns_port, timeout=2)
        if not keys.answer or len(r.answer) < 2:
            return False
        dnskey = keys.find_rrset(keys.answer, dns.name.from_text(domain), dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        dns.dnssec.validate(r.answer[0], r.answer[1], {dns.name.from_text(domain): dnskey})
        return True

    wait_for("b serves the zone signed", signed_by_b, timeout=30, interval=0.1)


# --- CloudWatch Logs -----------------------------------------------------------------------


def test_logs_put_through_alternating_nodes_keep_one_ordered_stream(nodes: Pair) -> None:
    a, b = nodes
    group, stream = f"/mn/{uuid.uuid4().hex[:8]}", "s"
    a.client("logs").create_log_group(logGroupName=group)
    b.client("logs").create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    for i in range(10):
        node = a if i % 2 == 0 else b
        node.client("logs").put_log_events(logGroupName=group, logStreamName=stream,
                                           logEvents=[{"timestamp": now + 2 * i, "message": f"e{2 * i}"},
                                                      {"timestamp": now + 2 * i + 1, "message": f"e{2 * i + 1}"}])
    want = [f"e{i}" for i in range(20)]
    for node in (a, b):
        events = node.client("logs").get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
        assert [e["message"] for e in events] == want
        assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
        streams = node.client("logs").describe_log_streams(logGroupName=group)["logStreams"]
        assert [s["logStreamName"] for s in streams] == [stream]
        assert streams[0]["lastEventTimestamp"] == now + 19
    filtered = b.client("logs").filter_log_events(logGroupName=group)["events"]
    assert [e["message"] for e in filtered] == want


# --- the billing ledger --------------------------------------------------------------------

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


def test_each_invocation_is_billed_once_with_two_nodes(nodes: Pair, pg_database: str) -> None:
    a, b = nodes
    role = a.client("iam").create_role(RoleName=f"mn-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    name = f"mn-bill-{uuid.uuid4().hex[:8]}"
    a.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                       Code={"ZipFile": _zip("def handler(e, c):\n    return e\n")})
    b.client("lambda").get_waiter("function_active_v2").wait(FunctionName=name)
    assert a.client("lambda").invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    assert b.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert a.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    # fences: one more synchronous invoke through each node; each node's ledger flushes in order
    assert a.client("lambda").invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    assert b.client("lambda").invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200

    def requests() -> int:
        out = subprocess.run([sys.executable, "-m", "gureum", "costs", "--json", "--state", pg_database],
                             capture_output=True, text=True, timeout=60, env=a.env, check=True)
        rows = [r for r in json.loads(out.stdout)["lambda"] if r["function"].endswith(f":function:{name}")]
        return sum(r["requests"] for r in rows)

    wait_for("the 5 invocations in gureum costs", lambda: requests() >= 5, timeout=60, interval=0.3)
    assert requests() == 5


# --- Route 53 health checks ----------------------------------------------------------------


class _Target:
    """An HTTP server counting the health probes it answers (200)."""

    def __init__(self) -> None:
        self.probes = 0
        self.lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer.lock:
                    outer.probes += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_port

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _observed(node: GureumProcess, hc: str) -> int:
    return len(node.client("route53").get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"])


def test_route53_health_checks_probe_once_per_region_cluster_wide_and_share_results(nodes: Pair) -> None:
    a, b = nodes
    r53 = a.client("route53")
    regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
    target = _Target()
    try:
        # RequestInterval 30 s times the nodes' route53.health_interval_scale=10: each region
        # probes once at the start and not again during the test.
        hc = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={
            "Type": "HTTP", "IPAddress": "127.0.0.1", "Port": target.port, "ResourcePath": "/",
            "RequestInterval": 30, "FailureThreshold": 1, "Regions": regions})["HealthCheck"]["Id"]
        for node in (a, b):
            wait_for("every region's observation on both nodes", lambda n=node: _observed(n, hc) == 3, timeout=40)
        assert target.probes == 3, "each checker region probes once cluster-wide, not once per node"
    finally:
        target.close()

    # A failing endpoint (nothing listens) flips a failover record on both nodes' DNS.
    domain = f"mnhc{uuid.uuid4().hex[:8]}.example"
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": dead_port,
        "RequestInterval": 30, "FailureThreshold": 1, "Regions": regions})["HealthCheck"]["Id"]
    name = f"www.{domain}"
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "SetIdentifier": "p", "Failover": "PRIMARY",
                                                   "HealthCheckId": dead, "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "SetIdentifier": "s", "Failover": "SECONDARY",
                                                   "ResourceRecords": [{"Value": "192.0.2.2"}]}}]})
    for node in (a, b):
        wait_for("the failed primary answered by its secondary", lambda n=node: _dns_answer(n, name) == {"192.0.2.2"}, timeout=40, interval=0.1)
        status = node.client("route53").get_health_check_status(HealthCheckId=dead)["HealthCheckObservations"]
        assert sorted(o["Region"] for o in status) == sorted(regions)
        assert all(o["StatusReport"]["Status"].startswith("Failure") for o in status)


# --- Lambda code with storage.blobs=postgres -------------------------------------------------


def test_lambda_code_stored_through_one_node_runs_on_the_other_without_a_shared_directory(pg_blob_nodes: Pair) -> None:
    a, b = pg_blob_nodes
    role = a.client("iam").create_role(RoleName=f"mn-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    name = f"mn-code-{uuid.uuid4().hex[:8]}"
    a.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                       Code={"ZipFile": _zip("def handler(e, c):\n    return {'v': 1, 'e': e}\n")})
    b.client("lambda").get_waiter("function_active_v2").wait(FunctionName=name)
    out = b.client("lambda").invoke(FunctionName=name, Payload=b'{"x": 1}')
    assert json.loads(out["Payload"].read()) == {"v": 1, "e": {"x": 1}}
    code = b.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(code) as resp:  # the code URL served by the node that did not store it
        assert zipfile.ZipFile(io.BytesIO(resp.read())).read("app.py").startswith(b"def handler")
