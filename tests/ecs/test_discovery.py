"""Service discovery: Cloud Map namespaces and services backed by Route 53 zones, and an
ECS service registering its live tasks, so gureum's DNS answers with their addresses."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, uniq
from .test_services import running_tasks, steady
from .test_tasks import HTTPD, fetch, register


def cloud_map(gureum):  # type: ignore[no-untyped-def]
    """DiscoverInstances is sent to a `data-` host prefix; a local endpoint has none."""
    from botocore.config import Config

    return gureum.client("servicediscovery", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))


def resolve(gureum, name: str) -> list[str]:
    q = dns.message.make_query(name, dns.rdatatype.A)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=gureum.dns_port, timeout=3)
    except dns.exception.Timeout:
        return ["<timeout>"]
    return sorted(rr.address for rrset in r.answer for rr in rrset if rr.rdtype == dns.rdatatype.A)


def namespace(sd, name: str) -> str:
    op = sd.create_public_dns_namespace(Name=name, CreatorRequestId=uniq("req"))["OperationId"]
    o = sd.get_operation(OperationId=op)["Operation"]
    assert o["Status"] == "SUCCESS" and o["Type"] == "CREATE_NAMESPACE"
    return o["Targets"]["NAMESPACE"]


def test_cloud_map_instances_answer_in_gureum_dns(gureum):
    gureum.wait_service("route53", "running")
    sd = cloud_map(gureum)
    name = f"{uniq('cm')}.example"
    ns_id = namespace(sd, name)
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    assert ns["Type"] == "DNS_PUBLIC" and ns["Properties"]["DnsProperties"]["HostedZoneId"]
    zone = gureum.client("route53").get_hosted_zone(Id=ns["Properties"]["DnsProperties"]["HostedZoneId"])["HostedZone"]
    assert zone["Name"] == name + "."
    with pytest.raises(ClientError) as e:
        sd.create_public_dns_namespace(Name=name)
    assert e.value.response["Error"]["Code"] == "NamespaceAlreadyExists"
    srv = sd.create_service(Name="api", NamespaceId=ns_id, DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    sd.register_instance(ServiceId=srv["Id"], InstanceId="i-1", Attributes={"AWS_INSTANCE_IPV4": "10.213.250.1"})
    sd.register_instance(ServiceId=srv["Id"], InstanceId="i-2", Attributes={"AWS_INSTANCE_IPV4": "10.213.250.2", "color": "blue"})
    wait_for("both instances in DNS", lambda: resolve(gureum, f"api.{name}") == ["10.213.250.1", "10.213.250.2"], timeout=20)
    found = sd.discover_instances(NamespaceName=name, ServiceName="api", QueryParameters={"color": "blue"})["Instances"]
    assert [i["InstanceId"] for i in found] == ["i-2"]
    assert sd.get_service(Id=srv["Id"])["Service"]["InstanceCount"] == 2
    with pytest.raises(ClientError) as e:
        sd.delete_service(Id=srv["Id"])
    assert e.value.response["Error"]["Code"] == "ResourceInUse"
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="i-1")
    wait_for("one instance in DNS", lambda: resolve(gureum, f"api.{name}") == ["10.213.250.2"], timeout=20)
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="i-2")
    sd.delete_service(Id=srv["Id"])
    sd.delete_namespace(Id=ns_id)
    with pytest.raises(ClientError) as e:
        sd.get_namespace(Id=ns_id)
    assert e.value.response["Error"]["Code"] == "NamespaceNotFound"


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_an_ecs_service_of_three_behind_service_discovery(gureum, ecs, image):
    gureum.wait_service("route53", "running")
    sd = cloud_map(gureum)
    name = f"{uniq('web')}.example"
    ns_id = namespace(sd, name)
    srv = sd.create_service(Name="web", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}])
    svc = uniq("disc")
    ecs.create_service(
        serviceName=svc, taskDefinition=td, desiredCount=3, launchType="FARGATE", networkConfiguration=AWSVPC,
        serviceRegistries=[{"registryArn": srv["Arn"]}],
    )  # fmt: skip
    steady(ecs, svc, 3)
    ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, svc))
    wait_for("DNS to list the three tasks", lambda: resolve(gureum, f"web.{name}") == ips)
    for ip in resolve(gureum, f"web.{name}"):
        assert fetch(f"http://{ip}:8080/index.html") == b"hello from gureum\n"
    inst = sd.list_instances(ServiceId=srv["Id"])["Instances"]
    assert len(inst) == 3 and all(i["Attributes"]["ECS_SERVICE_NAME"] == svc for i in inst)

    ecs.update_service(service=svc, desiredCount=1)
    steady(ecs, svc, 1)
    left = [t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, svc)]
    wait_for("DNS to drop stopped tasks", lambda: resolve(gureum, f"web.{name}") == left)
    ecs.delete_service(service=svc, force=True)
    wait_for("DNS to drop every task", lambda: resolve(gureum, f"web.{name}") == [])



@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_after_kill_9_cloud_map_answers_only_the_tasks_that_run(fresh_gureum, tmp_path):
    from .images import build_image, push
    from .test_api import wait_status

    g = fresh_gureum
    g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
    g.wait_service("ecs", "running")
    g.wait_service("route53", "running")
    layout = build_image(tmp_path / "layout", "v1")
    g.client("ecr").create_repository(repositoryName="discovered")
    uri = f"127.0.0.1:{g.port}/discovered:v1"
    push(layout, "v1", uri)
    ecs, sd = g.client("ecs"), cloud_map(g)
    name = f"{uniq('k9')}.example"
    ns_id = namespace(sd, name)
    srv = sd.create_service(Name="web", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]},
                            HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
    td = register(ecs, uri, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    ecs.create_service(serviceName="k9", taskDefinition=td, desiredCount=2, launchType="FARGATE", networkConfiguration=AWSVPC,
                       serviceRegistries=[{"registryArn": srv["Arn"]}])
    steady(ecs, "k9", 2)
    old = {t["taskArn"]: t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, "k9")}
    wait_for("DNS to list the two tasks", lambda: resolve(g, f"web.{name}") == sorted(old.values()))

    g.kill9()
    g.start()
    g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
    g.wait_service("ecs", "running")
    # reconciled before the agent reports running: no answer names a task that died
    assert not set(resolve(g, f"web.{name}")) & set(old.values())
    assert not {i["Id"] for i in cloud_map(g).list_instances(ServiceId=srv["Id"])["Instances"]} & {a.rsplit("/", 1)[1] for a in old}
    ecs, sd = g.client("ecs"), cloud_map(g)
    for arn in old:
        task = wait_status(ecs, arn, "STOPPED")
        assert task["stopCode"] == "TerminationNotice" and task["stoppedReason"].endswith("stopped/terminated.")

    # the service replaces them; DNS and Cloud Map follow the tasks that run, healthy
    def replaced() -> dict[str, str]:
        run = {t["taskArn"]: t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks(ecs, "k9")}
        return run if len(run) == 2 and not set(run) & set(old) else {}

    new = wait_for("two new tasks running", replaced)
    wait_for("DNS to list only the new tasks", lambda: resolve(g, f"web.{name}") == sorted(new.values()))
    listed = sd.list_instances(ServiceId=srv["Id"])["Instances"]
    assert sorted(i["Id"] for i in listed) == sorted(a.rsplit("/", 1)[1] for a in new)
    health = sd.get_instances_health_status(ServiceId=srv["Id"])["Status"]
    assert sorted(health) == sorted(a.rsplit("/", 1)[1] for a in new) and set(health.values()) == {"HEALTHY"}
    ecs.delete_service(service="k9", force=True)
