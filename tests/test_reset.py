"""POST /_gureum/reset returns a running node to a fresh state: state made through boto3 in
every service is gone (only the named services' with `?service=`), the function sandboxes
and task containers are stopped, the DNS server stops answering for dropped zones, and the
same names can be created again. In strict mode only the operator's root keys may reset.

Each test here resets a node, so the module runs its own gureum (never the session's)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import dns.message
import dns.query
import dns.rcode
import psutil
import pytest
from ecs.images import build_image, containers_skip_reason, push
from harness import GureumProcess
from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

from gureum.reset import resettable

pytestmark = pytest.mark.xdist_group("ecs-containers")  # runs containers; one gureum of its own
AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-12345678"]}}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    # S3's collector quick, to see the reset leave its bodies unreferenced
    proc = GureumProcess(tmp_path_factory.mktemp("reset") / "data",
                         extra_args=["--set", "s3.gc_interval_seconds=0.3", "--set", "s3.gc_grace_seconds=0"])
    proc.start()
    yield proc
    proc.stop()


def post_reset(node: GureumProcess, query: str = "", method: str = "POST", headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(node.endpoint + "/_gureum/reset" + query, data=b"" if method == "POST" else None,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def dns_rcode(node: GureumProcess, name: str) -> tuple[int, list[str]]:
    q = dns.message.make_query(name, "A")
    r = dns.query.udp(q, "127.0.0.1", port=node.dns_port, timeout=5)
    return r.rcode(), [rd.to_text() for rrset in r.answer for rd in rrset]


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def gone(call: Any, code: str) -> bool:
    """Whether `call()` fails with AWS error `code`."""
    try:
        call()
    except botocore.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == code, err.response
        return True
    return False


class World:
    """One of everything, made through boto3 under fixed names."""

    def __init__(self, node: GureumProcess, tmp: Path) -> None:
        self.node = node
        self.tmp = tmp
        u = uuid.uuid4().hex[:8]
        self.queue, self.topic, self.bucket = f"q-{u}", f"t-{u}", f"b-{u}"
        self.function, self.role, self.group = f"fn-{u}", f"role-{u}", f"/reset/{u}"
        self.zone, self.repo, self.namespace, self.cluster = f"z{u}.example.", f"repo-{u}", f"ns-{u}", "default"
        self.c = {s: node.client(s) for s in ("sqs", "sns", "s3", "lambda", "route53", "ecr", "ecs", "logs", "iam", "servicediscovery")}
        self.sandbox_pids: set[int] = set()
        self.task_pids: set[int] = set()
        self.task_arn: str | None = None
        self.mapping = ""

    def make(self, *, with_task: bool) -> None:
        c = self.c
        role_arn = c["iam"].create_role(RoleName=self.role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        url = c["sqs"].create_queue(QueueName=self.queue)["QueueUrl"]
        c["sqs"].send_message(QueueUrl=url, MessageBody="hello")
        topic_arn = c["sns"].create_topic(Name=self.topic)["TopicArn"]
        queue_arn = c["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        c["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        c["s3"].create_bucket(Bucket=self.bucket)
        c["s3"].put_object(Bucket=self.bucket, Key="k", Body=b"body")
        zone_id = c["route53"].create_hosted_zone(Name=self.zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        c["route53"].change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www." + self.zone, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.7"}]}}]})
        c["logs"].create_log_group(logGroupName=self.group)
        op = c["servicediscovery"].create_http_namespace(Name=self.namespace)["OperationId"]
        assert c["servicediscovery"].get_operation(OperationId=op)["Operation"]["Status"] == "SUCCESS"
        before = self.node.descendants()
        c["lambda"].create_function(FunctionName=self.function, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                    Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    return {'ok': 1}\n"})})
        wait_for("function active", lambda: c["lambda"].get_function(FunctionName=self.function)["Configuration"]["State"] == "Active", 60)
        out = c["lambda"].invoke(FunctionName=self.function, Payload=b"{}")
        assert json.loads(out["Payload"].read()) == {"ok": 1}
        self.sandbox_pids = alive(self.node.descendants() - before)
        assert self.sandbox_pids, "the warm environment has processes"
        self.mapping = c["lambda"].create_event_source_mapping(FunctionName=self.function, EventSourceArn=queue_arn, BatchSize=1)["UUID"]
        c["ecr"].create_repository(repositoryName=self.repo)
        if with_task:
            layout = build_image(self.tmp / "layout", "v1", cmd=["sleep", "3600"])
            image = f"127.0.0.1:{self.node.port}/{self.repo}:v1"
            push(layout, "v1", image)
            td = c["ecs"].register_task_definition(
                family=f"reset-{self.repo}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                containerDefinitions=[{"name": "main", "image": image, "essential": True}])["taskDefinition"]["taskDefinitionArn"]
            before = self.node.descendants()
            self.task_arn = c["ecs"].run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
            wait_for("task running", lambda: c["ecs"].describe_tasks(tasks=[self.task_arn])["tasks"][0]["lastStatus"] == "RUNNING", 90)
            c["ecs"].create_service(serviceName=self.repo, taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC)
            wait_for("the service's task running", lambda: c["ecs"].describe_services(services=[self.repo])["services"][0]["runningCount"] == 1, 90)
            self.task_pids = alive(self.node.descendants() - before)
            assert self.task_pids, "the tasks' containers have processes"

    # --- what is there --------------------------------------------------------------------
    def queue_there(self) -> bool:
        return not gone(lambda: self.c["sqs"].get_queue_url(QueueName=self.queue), "AWS.SimpleQueueService.NonExistentQueue")

    def function_there(self) -> bool:
        return not gone(lambda: self.c["lambda"].get_function(FunctionName=self.function), "ResourceNotFoundException")

    def topic_there(self) -> bool:
        return any(t["TopicArn"].endswith(":" + self.topic) for t in self.c["sns"].list_topics()["Topics"])

    def subscriptions(self) -> int:
        return sum(1 for s in self.c["sns"].list_subscriptions()["Subscriptions"] if s["TopicArn"].endswith(":" + self.topic))

    def bucket_there(self) -> bool:
        return any(b["Name"] == self.bucket for b in self.c["s3"].list_buckets()["Buckets"])

    def zone_there(self) -> bool:
        return any(z["Name"] == self.zone for z in self.c["route53"].list_hosted_zones()["HostedZones"])

    def repo_there(self) -> bool:
        return not gone(lambda: self.c["ecr"].describe_repositories(repositoryNames=[self.repo]), "RepositoryNotFoundException")

    def group_there(self) -> bool:
        return any(g["logGroupName"] == self.group for g in self.c["logs"].describe_log_groups(logGroupNamePrefix=self.group)["logGroups"])

    def role_there(self) -> bool:
        return not gone(lambda: self.c["iam"].get_role(RoleName=self.role), "NoSuchEntity")

    def namespace_there(self) -> bool:
        return any(n["Name"] == self.namespace for n in self.c["servicediscovery"].list_namespaces()["Namespaces"])


def test_reset_answers_405_to_get_and_400_naming_unknown_services(node: GureumProcess) -> None:
    status, doc = post_reset(node, method="GET")
    assert status == 405 and doc["error"] == "MethodNotAllowed"
    status, doc = post_reset(node, "?service=sqs,nosuchservice")
    assert status == 400 and doc["error"] == "InvalidParameterValue"
    assert "nosuchservice" in doc["message"] and "sqs" not in doc["message"].split(";")[0]
    status, doc = post_reset(node, "?service=")
    assert status == 400


def test_reset_of_named_services_then_of_everything(node: GureumProcess, tmp_path: Path) -> None:
    with_task = containers_skip_reason() is None
    if with_task:
        node.client("ecs").list_clusters()  # the ECS agent idles until ECS is first called (gureum/app.py)
        node.wait_service("ecs", "running", timeout=60)
    w = World(node, tmp_path)
    w.make(with_task=with_task)
    assert any(p.is_file() for p in (node.data_dir / "s3" / "sha256").rglob("*"))
    assert dns_rcode(node, "www." + w.zone) == (dns.rcode.NOERROR, ["192.0.2.7"])

    # Only SQS and Lambda: their state and the function's sandbox go, nothing else does.
    status, doc = post_reset(node, "?service=sqs,lambda")
    assert status == 200 and sorted(doc["reset"]) == ["lambda", "sqs"]
    assert not w.queue_there() and not w.function_there()
    assert w.c["lambda"].list_event_source_mappings()["EventSourceMappings"] == []
    wait_for("the function's sandbox processes are gone", lambda: not alive(w.sandbox_pids), 10)
    assert w.topic_there() and w.subscriptions() == 1 and w.bucket_there() and w.zone_there() and w.repo_there()
    assert w.group_there() and w.role_there() and w.namespace_there()
    assert dns_rcode(node, "www." + w.zone) == (dns.rcode.NOERROR, ["192.0.2.7"])
    if w.task_arn:
        assert w.c["ecs"].describe_tasks(tasks=[w.task_arn])["tasks"][0]["lastStatus"] == "RUNNING"
        assert alive(w.task_pids)

    # Everything. While ECS's reset waits for the task to stop, the health report says so.
    result: list[tuple[int, dict[str, Any]]] = []
    resetting = threading.Thread(target=lambda: result.append(post_reset(node)))
    resetting.start()
    if w.task_arn:
        wait_for("ecs reported resetting", lambda: node.health()["services"]["ecs"]["state"] == "resetting", 60, interval=0.02)
    resetting.join(120)
    status, doc = result[0]
    assert status == 200 and set(doc["reset"]) >= {"lambda", "sqs", "sns", "s3", "route53", "ecr", "ecs", "logs", "iam", "servicediscovery"}
    assert not (w.topic_there() or w.subscriptions() or w.bucket_there() or w.zone_there() or w.repo_there())
    assert not (w.group_there() or w.role_there() or w.namespace_there())
    assert w.c["logs"].describe_log_groups()["logGroups"] == []  # the function's own group too
    s3_blobs = node.data_dir / "s3" / "sha256"
    wait_for("S3's collector deleted the bodies", lambda: not any(p.is_file() for p in s3_blobs.rglob("*")), 30)
    # Route 53's name servers refuse names in no zone they host (or the registry's TLD zone says NXDOMAIN)
    assert dns_rcode(node, "www." + w.zone) in ((dns.rcode.REFUSED, []), (dns.rcode.NXDOMAIN, []))
    if w.task_arn:
        assert not alive(w.task_pids), "the task's container processes are gone"
        assert w.c["ecs"].describe_tasks(tasks=[w.task_arn])["failures"][0]["reason"] == "MISSING"
        assert w.c["ecs"].list_services()["serviceArns"] == [] and w.c["ecs"].list_task_definitions()["taskDefinitionArns"] == []
    health = node.health()
    assert set(resettable()) <= set(health["services"]) and health["ready"]
    assert health["services"]["ecs"]["state"] == "running" and health["services"]["sqs"]["state"] == "available"

    # The same names can be made again (and serve).
    w.make(with_task=False)
    assert w.queue_there() and w.function_there() and w.topic_there() and w.subscriptions() == 1 and w.bucket_there()
    assert w.zone_there() and w.repo_there() and w.group_there() and w.role_there() and w.namespace_there()
    assert dns_rcode(node, "www." + w.zone) == (dns.rcode.NOERROR, ["192.0.2.7"])


def test_requests_during_a_reset_see_one_state_or_the_other_never_a_server_error(node: GureumProcess) -> None:
    sqs = node.client("sqs")
    names = [f"busy-{i}-{uuid.uuid4().hex[:6]}" for i in range(5)]
    for name in names:
        sqs.create_queue(QueueName=name)
    stop = threading.Event()
    failures: list[str] = []
    served = [0]

    def hammer() -> None:
        client = node.client("sqs")
        while not stop.is_set():
            for name in names:
                try:
                    url = client.create_queue(QueueName=name)["QueueUrl"]
                    client.send_message(QueueUrl=url, MessageBody="x")
                    client.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
                    served[0] += 1
                except botocore.exceptions.ClientError as err:
                    # a queue dropped under a request: QueueDoesNotExist; anything else fails
                    if err.response["Error"]["Code"] != "AWS.SimpleQueueService.NonExistentQueue":
                        failures.append(str(err))

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        wait_for("requests are being served", lambda: served[0] >= 4, 30)
        for _ in range(3):
            status, _doc = post_reset(node, "?service=sqs")
            assert status == 200
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == []
    assert node.health()["ready"]


def _signed_reset(node: GureumProcess, key: str, secret: str, query: str = "?service=sqs") -> tuple[int, dict[str, Any]]:
    """POST /_gureum/reset signed with SigV4 (signing name "gureum") by key:secret."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="POST", url=node.endpoint + "/_gureum/reset" + query, data=b"")
    SigV4Auth(Credentials(key, secret), "gureum", "us-east-1").add_auth(req)
    return post_reset(node, query, headers=dict(req.headers.items()))


def test_strict_mode_resets_only_for_the_operators_signed_requests(tmp_path: Path) -> None:
    strict = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict"])
    strict.start()
    try:
        sqs = strict.client("sqs")
        sqs.create_queue(QueueName="kept")
        iam = strict.client("iam")
        iam.create_user(UserName="tenant")
        iam.attach_user_policy(UserName="tenant", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        k = iam.create_access_key(UserName="tenant")["AccessKey"]

        status, doc = post_reset(strict, "?service=sqs")
        assert (status, doc["error"]) == (403, "MissingAuthenticationToken")
        status, doc = _signed_reset(strict, "test", "wrong-secret")
        assert status == 403 and doc["error"] == "SignatureDoesNotMatch"
        status, doc = _signed_reset(strict, k["AccessKeyId"], k["SecretAccessKey"])
        assert (status, doc["error"]) == (403, "AccessDenied")
        assert sqs.get_queue_url(QueueName="kept")

        status, doc = _signed_reset(strict, "test", "test")
        assert (status, doc["reset"]) == (200, ["sqs"])
        assert gone(lambda: sqs.get_queue_url(QueueName="kept"), "AWS.SimpleQueueService.NonExistentQueue")

        # IAM's reset drops the tenant's keys; the operator's root key still works.
        status, doc = _signed_reset(strict, "test", "test", "?service=iam")
        assert (status, doc["reset"]) == (200, ["iam"])
        tenant = strict.client("sts", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        assert gone(tenant.get_caller_identity, "InvalidClientTokenId")
        assert strict.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    finally:
        strict.stop()



WHOAMI = "import boto3\ndef handler(e, c):\n    return boto3.client('sts').get_caller_identity()['Arn']\n"


def test_strict_mode_a_function_made_again_after_a_reset_runs_with_valid_role_credentials(tmp_path: Path) -> None:
    strict = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict"])
    strict.start()
    try:
        iam, lam = strict.client("iam"), strict.client("lambda")

        def make_and_invoke() -> Any:
            role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            lam.create_function(FunctionName="whoami", Runtime="python3.12", Role=role, Handler="app.handler", Timeout=30,
                                Code={"ZipFile": zip_of({"app.py": WHOAMI})})
            wait_for("function active", lambda: lam.get_function(FunctionName="whoami")["Configuration"]["State"] == "Active", 60)
            return json.loads(lam.invoke(FunctionName="whoami", Payload=b"{}")["Payload"].read())

        assert make_and_invoke() == "arn:aws:sts::000000000000:assumed-role/fn-role/gureum-lambda"
        status, _doc = _signed_reset(strict, "test", "test", "")
        assert status == 200
        # the session the first function ran with is gone; the new function gets a new one
        assert make_and_invoke() == "arn:aws:sts::000000000000:assumed-role/fn-role/gureum-lambda"
    finally:
        strict.stop()


def test_nodes_sharing_postgres_follow_a_reset_made_on_another(pg_database: str, tmp_path: Path) -> None:
    """A reset's events reach the DNS server of every node on the store: a zone dropped on
    node A stops being answered by node B."""
    quiet = ["--set", "ecs.enabled=0", "--set", "lambda.enabled=0", "--set", "lambda-esm.enabled=0"]
    a = GureumProcess(tmp_path / "a", extra_args=["--state", pg_database, *quiet])
    b = GureumProcess(tmp_path / "b", extra_args=["--state", pg_database, *quiet])
    a.start()
    b.start()
    try:
        b.wait_service("route53", "running")
        r53 = a.client("route53")
        zone_id = r53.create_hosted_zone(Name="shared.example.", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "www.shared.example.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.9"}]}}]})
        wait_for("node B answers for the zone", lambda: dns_rcode(b, "www.shared.example.") == (dns.rcode.NOERROR, ["192.0.2.9"]), 30)
        status, doc = post_reset(a, "?service=route53")
        assert (status, doc["reset"]) == (200, ["route53"])
        wait_for("node B refuses the dropped zone", lambda: dns_rcode(b, "www.shared.example.") in ((dns.rcode.REFUSED, []), (dns.rcode.NXDOMAIN, [])), 30)
        assert b.client("route53").list_hosted_zones()["HostedZones"] == []
    finally:
        a.stop()
        b.stop()
