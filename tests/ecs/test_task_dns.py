"""A resolver inside ECS tasks: resolv.conf names the bridge's gateway, where gureum's DNS
server also listens (task_dns.serve_on_bridge), and tasks see private Cloud Map namespaces
(private hosted zones) that clients elsewhere do not.

The end-to-end test runs its own gureum on its own bridge and subnet: port 53 on a gateway
can belong to one process only, and the session gureum shares `gureum0` with other workers."""

from __future__ import annotations

import asyncio
import ipaddress
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from botocore.config import Config
from waiting import wait_for

from gureum.app import App
from gureum.config import Config as NodeConfig
from gureum.services.ecs import task_dns
from gureum.services.route53 import port as route53_port
from gureum.services.route53.engine import Engine, PrivateViews
from gureum.services.route53.index import ZoneIndex
from gureum.services.route53.server import zone_from_doc

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, uniq, wait_status
from .test_services import running_tasks, steady
from .test_tasks import HTTPD, read_log, register

BRIDGE = "gureumdns0"
SUBNET = "10.231.53.0/24"
GATEWAY = "10.231.53.1"


# --- the view rule, on the real engine -------------------------------------------------------


def _zone(zone_id: str, name: str, ip: str, private_vpcs: list[str] | None = None):  # type: ignore[no-untyped-def]
    doc = {"Id": zone_id, "Name": name, "Config": {"PrivateZone": private_vpcs is not None}, "VPCs": [{"VPCId": v} for v in private_vpcs or []]}
    records = [
        {"Name": name, "Type": "SOA", "TTL": 900, "ResourceRecords": [{"Value": f"ns1.{name} admin.{name} 1 7200 900 1209600 86400"}]},
        {"Name": name, "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": f"ns1.{name}"}]},
        {"Name": f"web.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ip}]},
    ]
    return zone_from_doc(doc, records)


def _ask(engine: Engine, name: str, client: str) -> tuple[int, list[str]]:
    reply = dns.message.from_wire(engine.answer(dns.message.make_query(name, "A").to_wire(), client))
    return reply.rcode(), sorted(rr.to_text() for rrset in reply.answer for rr in rrset)


@pytest.mark.parametrize("configured", ["", "vpc-a=192.0.2.0/24"])
def test_task_subnet_sees_every_private_zone_and_nobody_else_changes(configured):
    index = ZoneIndex()
    index.put_zone(_zone("Z1", "pub.example.", "198.51.100.1"))
    index.put_zone(_zone("Z2", "svc.local.", "10.0.0.2", ["vpc-a"]))
    index.put_zone(_zone("Z3", "other.local.", "10.0.0.3", ["vpc-b"]))
    index.put_zone(_zone("Z4", "pub.example.", "10.9.9.9", ["vpc-b"]))  # a private overlay of a public name
    engine = Engine(index, private_views=PrivateViews.parse(configured))
    before = {ip: {n: _ask(engine, n, ip) for n in ("web.pub.example.", "web.svc.local.", "web.other.local.")} for ip in ("127.0.0.1", "192.0.2.7")}

    class Server:  # what show_private_zones_to touches: the live server's engine
        pass

    server = Server()
    server.engine = engine  # type: ignore[attr-defined]
    route53_port.show_private_zones_to(server, "10.213.0.0/16")  # type: ignore[arg-type]
    route53_port.show_private_zones_to(server, "10.213.0.0/16")  # type: ignore[arg-type]  # idempotent
    for ip, seen in before.items():
        assert {n: _ask(engine, n, ip) for n in seen} == seen
    task = "10.213.4.5"
    assert _ask(engine, "web.svc.local.", task) == (dns.rcode.NOERROR, ["10.0.0.2"])
    assert _ask(engine, "web.other.local.", task) == (dns.rcode.NOERROR, ["10.0.0.3"])
    assert _ask(engine, "web.pub.example.", task) == (dns.rcode.NOERROR, ["10.9.9.9"])  # private wins, as in a VPC
    assert _ask(engine, "nothing.example.", task)[0] == dns.rcode.REFUSED
    assert before["127.0.0.1"]["web.svc.local."][0] == dns.rcode.REFUSED


class _Server:
    """What serve_on_bridge uses of the live DNS server: its engine, addresses and listen."""

    def __init__(self) -> None:
        self.engine = Engine(ZoneIndex(), private_views=PrivateViews.parse(""))
        self.address = ("127.0.0.1", 10053)
        self.listeners: list[tuple[str, int]] = []

    async def listen(self, host: str, port: int) -> None:
        self.listeners.append((host, port))


def _serve_on_bridge(tmp_path, settings: dict[str, str]) -> tuple[str | None, _Server]:  # type: ignore[no-untyped-def]
    from gureum.services.route53.slots import DNS

    async def go() -> tuple[str | None, _Server]:
        app = App(NodeConfig(data_dir=tmp_path, settings={"ecs.dns_wait": "0.01", **settings}))
        server = _Server()
        app.parts.put(DNS, server)  # type: ignore[arg-type]
        return await task_dns.serve_on_bridge(app, "10.213.0.1"), server

    return asyncio.run(go())


@pytest.mark.parametrize("off", ["0", "false", "no", "off", "OFF", "False"])
def test_tasks_get_no_nameserver_when_the_dns_component_is_turned_off_by_any_word_the_node_takes(tmp_path, off):
    nameserver, server = _serve_on_bridge(tmp_path, {"dns.enabled": off})
    assert nameserver is None
    assert server.listeners == [] and server.engine.private_views.cidrs == []


@pytest.mark.parametrize("on", [None, "1", "yes", "on", "TRUE"])
def test_tasks_get_the_gateway_as_nameserver_when_dns_runs(tmp_path, on):
    nameserver, server = _serve_on_bridge(tmp_path, {} if on is None else {"dns.enabled": on})
    assert nameserver == "10.213.0.1"
    assert server.listeners == [("10.213.0.1", 53)]
    assert [str(net) for net, _ in server.engine.private_views.cidrs] == ["10.213.0.0/16"]


def test_resolv_conf_text():
    assert task_dns.resolv_conf(None) == "options timeout:1 attempts:1\n"
    text = task_dns.resolv_conf("10.213.0.1")
    assert text.splitlines()[0] == "nameserver 10.213.0.1"
    assert ipaddress.ip_address(text.split()[1])


# --- end to end: a task resolves a private Cloud Map name and fetches from it ---------------


@pytest.fixture(scope="module")
def own_gureum(tmp_path_factory):  # type: ignore[no-untyped-def]
    from harness import GureumProcess

    proc = GureumProcess(tmp_path_factory.mktemp("dns-gureum") / "data", extra_args=["--set", f"ecs.bridge={BRIDGE}", "--set", f"ecs.subnet={SUBNET}"])
    proc.start()
    try:
        proc.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        proc.wait_service("ecs", "running", timeout=90)
        proc.wait_service("route53", "running")
        yield proc
    finally:
        proc.stop()
        subprocess.run(["ip", "link", "del", BRIDGE], check=False, capture_output=True)


@pytest.fixture(scope="module")
def own_image(own_gureum, tmp_path_factory):  # type: ignore[no-untyped-def]
    layout = tmp_path_factory.mktemp("dns-image") / "layout"
    build_image(layout, "v1", env=["PATH=/bin"], workdir="/var/www", extra_files={"/var/www/index.html": "hello from gureum\n"})
    repo = uniq("dns-img")
    own_gureum.client("ecr").create_repository(repositoryName=repo)
    uri = f"127.0.0.1:{own_gureum.port}/{repo}:v1"
    push(layout, "v1", uri)
    return uri


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_a_task_resolves_a_private_cloud_map_name_through_its_resolv_conf(own_gureum, own_image):
    g = own_gureum
    ecs = g.client("ecs")
    sd = g.client("servicediscovery", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
    name = f"{uniq('local')}.internal"
    op = sd.create_private_dns_namespace(Name=name, Vpc="vpc-0a1b2c3d4e5f67890")["OperationId"]
    ns_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    srv = sd.create_service(Name="web", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}, {"Type": "SRV", "TTL": 5}]})["Service"]
    td = register(ecs, own_image, [{"name": "web", "command": HTTPD, "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}])
    svc = uniq("dnsweb")
    ecs.create_service(
        serviceName=svc, taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC,
        serviceRegistries=[{"registryArn": srv["Arn"], "containerName": "web", "containerPort": 8080}],
    )  # fmt: skip
    try:
        steady(ecs, svc, 1)
        [web] = running_tasks(ecs, svc)
        web_ip = web["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
        assert ipaddress.ip_address(web_ip) in ipaddress.ip_network(SUBNET)
        # with no dns.private_views configured the host is in every VPC too (route53 README)
        q = dns.message.make_query(f"web.{name}", dns.rdatatype.A)

        def host_sees() -> list[str]:
            return [rr.to_text() for rrset in dns.query.udp(q, "127.0.0.1", port=g.dns_port, timeout=3).answer for rr in rrset]

        # the task's registration reaches DNS after it runs
        wait_for(f"the host to resolve web.{name} to {web_ip}", lambda: host_sees() == [web_ip], timeout=30, interval=0.1)

        # a registered domain (route53domains) resolves in tasks too: they get gureum's resolver
        domains = g.client("route53domains")
        contact = {"FirstName": "A", "LastName": "B", "ContactType": "PERSON", "AddressLine1": "1 St", "City": "C",
                   "CountryCode": "GB", "ZipCode": "N1", "PhoneNumber": "+44.2071234567", "Email": "a@example.org"}
        registered = f"{uniq('task')}.com"
        reg_op = domains.register_domain(DomainName=registered, DurationInYears=1, AdminContact=contact,
                                         RegistrantContact=contact, TechContact=contact)["OperationId"]
        wait_for("the registration", lambda: domains.get_operation_detail(OperationId=reg_op)["Status"] == "SUCCESSFUL", 60)
        r53 = g.client("route53")
        reg_zone = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == registered + "."][0]["Id"]
        r53.change_resource_record_sets(HostedZoneId=reg_zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": f"www.{registered}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.123"}]}}]})
        # the tasks' nameserver (the gateway) is the recursive resolver: it sets RA
        via_gateway = dns.query.udp(dns.message.make_query(f"www.{registered}", "A"), GATEWAY, port=53, timeout=5)
        assert via_gateway.flags & dns.flags.RA and not via_gateway.flags & dns.flags.AA
        group = "/ecs/" + uniq("dns")
        script = (
            "cat /etc/resolv.conf; echo ---; "
            f"nslookup web.{name} && nslookup -type=SRV web.{name}; echo ---; "
            f"wget -qO- http://web.{name}:8080/index.html; echo ---; "
            f"nslookup www.{registered}"
        )
        client_td = register(ecs, own_image, [{
            "name": "client", "command": ["sh", "-c", script],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "c", "awslogs-create-group": "true"}},
        }])  # fmt: skip
        arn = ecs.run_task(taskDefinition=client_td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
        task = wait_status(ecs, arn, "STOPPED")
        lines = read_log(g, group, f"c/client/{arn.rsplit('/', 1)[-1]}")
        out = "\n".join(lines)
        assert task["containers"][0]["exitCode"] == 0, (task["containers"][0], out)
        resolv, lookup, page, registered_lookup = out.split("---")
        assert f"nameserver {GATEWAY}" in resolv
        assert web_ip in lookup
        assert f"{web['taskArn'].rsplit('/', 1)[-1]}.web.{name}" in lookup  # the SRV target
        assert "8080" in lookup
        assert page.strip() == "hello from gureum"
        assert "192.0.2.123" in registered_lookup
    finally:
        ecs.delete_service(service=svc, force=True)
