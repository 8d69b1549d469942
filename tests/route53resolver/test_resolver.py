"""gureum's recursive resolver end to end: dig through it from the registry's root to a
registered domain's hosted zone, caching (positive and RFC 2308 negative), SERVFAIL at once
for a delegation that leads outside gureum, a FORWARD rule to a real NSD on loopback (and a
SYSTEM rule exempting a subdomain), an unmodified unbound resolving a registered domain from
gureum's root hints alone, and the authoritative port still not recursing."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port
from waiting import wait_for

CONTACT = {"FirstName": "Ada", "LastName": "Lovelace", "ContactType": "PERSON", "AddressLine1": "1 Analytical St",
           "City": "London", "CountryCode": "GB", "ZipCode": "N1 1AA", "PhoneNumber": "+44.2071234567",
           "Email": "ada@example.org"}


class Dig:
    """`dig` output, parsed: status, flags and the answer/authority lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.status = ""
        self.flags: set[str] = set()
        self.answer: list[list[str]] = []
        self.authority: list[list[str]] = []
        section = None
        for line in text.splitlines():
            if ";; ->>HEADER<<-" in line:
                self.status = line.split("status: ")[1].split(",")[0]
            elif line.startswith(";; flags:"):
                self.flags = set(line.split(":")[1].split(";")[0].split())
            elif line.startswith(";; ANSWER SECTION"):
                section = self.answer
            elif line.startswith(";; AUTHORITY SECTION"):
                section = self.authority
            elif line.startswith(";;") or not line.strip():
                section = None if not line.strip() else section
            elif section is not None and not line.startswith(";"):
                section.append(line.split())


def dig(port: int, name: str, *args: str, server: str = "127.0.0.1") -> Dig:
    out = subprocess.run(["dig", f"@{server}", "-p", str(port), "+tries=1", "+time=5", name, *args],
                         capture_output=True, text=True, timeout=30, check=False)
    return Dig(out.stdout)


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    port = free_port()
    proc = GureumProcess(tmp_path_factory.mktemp("resolver") / "data", env=SUITE_RUNTIME_DATE,
                         extra_args=["--set", "domains.operation_seconds=0.2", "--set", f"resolver.port={port}"])
    proc.resolver_port = port  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


def register(g: GureumProcess, name: str) -> str:
    """Register `name` and wait until it is delegated; returns its hosted zone's id."""
    d = g.client("route53domains")
    op = d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                           TechContact=CONTACT)["OperationId"]
    wait_for(f"{name} registered", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    r53 = g.client("route53")
    return str([z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."][0]["Id"])


def put_a(g: GureumProcess, zone_id: str, name: str, ip: str, ttl: int = 300) -> None:
    g.client("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": ip}]}}]})


def uniq(tld: str = "com") -> str:
    return f"r{uuid.uuid4().hex[:10]}.{tld}"


def test_dig_through_the_resolver_from_root_to_answer(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    name = uniq()
    zone = register(g, name)
    put_a(g, zone, f"www.{name}", "192.0.2.10")
    g.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"alias.{name}", "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "ns-5.awsdns-00.com"}]}}]})
    r = wait_for("an answer through the resolver", lambda: (x := dig(port, f"www.{name}")).answer and x, 30)
    assert r.status == "NOERROR" and "ra" in r.flags and "aa" not in r.flags
    assert r.answer[0][-1] == "192.0.2.10"
    # a CNAME into another zone (an awsdns name server in the com registry zone) is followed
    c = dig(port, f"alias.{name}")
    assert [row[3] for row in c.answer] == ["CNAME", "A"] and c.answer[-1][-1] == "127.0.0.1"
    # over TCP as well
    assert dig(port, f"www.{name}", "+tcp").answer[0][-1] == "192.0.2.10"
    # names gureum's registry does not have: NXDOMAIN from the TLD zone, from the root
    assert dig(port, f"nothing-{uuid.uuid4().hex[:6]}.com").status == "NXDOMAIN"
    assert dig(port, "www.example.invalid").status == "NXDOMAIN"


def test_answers_and_negative_answers_are_cached(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    name = uniq("org")
    zone = register(g, name)
    put_a(g, zone, f"a.{name}", "192.0.2.1", ttl=3600)
    first = wait_for("the first answer", lambda: (x := dig(port, f"a.{name}")).answer and x, 30)
    assert first.answer[0][-1] == "192.0.2.1"
    missing = dig(port, f"later.{name}")
    assert missing.status == "NXDOMAIN"
    soa = missing.authority[0]
    assert soa[3] == "SOA" and int(soa[1]) <= 900  # min(SOA TTL 900, minimum 86400): RFC 2308 section 5
    # the zone changes; the resolver keeps what it cached until the TTLs run out
    put_a(g, zone, f"a.{name}", "192.0.2.2", ttl=3600)
    put_a(g, zone, f"later.{name}", "192.0.2.3")
    dns_port = g.dns_port
    wait_for("the authoritative server has the change", lambda: dig(dns_port, f"later.{name}").answer, 30)
    assert dig(port, f"a.{name}").answer[0][-1] == "192.0.2.1"
    assert dig(port, f"later.{name}").status == "NXDOMAIN"
    # a name of the same zone not asked before is resolved afresh
    put_a(g, zone, f"new.{name}", "192.0.2.4")
    wait_for("the authoritative server has new", lambda: dig(dns_port, f"new.{name}").answer, 30)
    assert dig(port, f"new.{name}").answer[0][-1] == "192.0.2.4"


def test_a_delegation_outside_gureum_fails_fast_and_the_authoritative_port_does_not_recurse(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    name = uniq("net")
    zone = register(g, name)
    d = g.client("route53domains")
    op = d.update_domain_nameservers(DomainName=name, Nameservers=[{"Name": f"ns1.{name}", "GlueIps": ["192.0.2.53"]}])["OperationId"]
    wait_for("name servers updated", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    g.client("route53").delete_hosted_zone(Id=zone)
    r = wait_for("SERVFAIL for a name delegated outside gureum", lambda: (x := dig(port, f"www.{name}")).status == "SERVFAIL" and x, 30)
    assert "ra" in r.flags
    # the authoritative port gives the referral, not an answer, and no RA, even asked with RD
    auth = dig(g.dns_port, f"www.{name}", "+rd")
    assert auth.status == "NOERROR" and not auth.answer and "ra" not in auth.flags and "aa" not in auth.flags
    assert [row[-1] for row in auth.authority] == [f"ns1.{name}."]


def _start_nsd(work: Path, port: int, zone: str, records: str) -> subprocess.Popen[bytes]:
    work.mkdir()
    (work / f"{zone}.zone").write_text(f"$ORIGIN {zone}.\n$TTL 300\n@ SOA ns.{zone}. admin.{zone}. 1 3600 900 604800 60\n"
                                       f"@ NS ns.{zone}.\nns A 127.0.0.1\n{records}\n")
    (work / "nsd.conf").write_text(f"""server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  zonesdir: "{work}"
  pidfile: "{work}/nsd.pid"
  database: ""
  zonelistfile: "{work}/zone.list"
  xfrdfile: "{work}/xfrd.state"
  xfrdir: "{work}"
  logfile: "{work}/nsd.log"
  server-count: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: {zone}
  zonefile: "{work}/{zone}.zone"
""")
    return subprocess.Popen(["nsd", "-d", "-c", str(work / "nsd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd (Debian package) is not installed")
def test_forward_rule_to_a_real_nsd_and_a_system_rule_exempting_a_subdomain(g: GureumProcess, tmp_path: Path) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    nsd_port = free_port()
    zone = f"corp{uuid.uuid4().hex[:6]}.internal"
    nsd = _start_nsd(tmp_path / "nsd", nsd_port, zone, "db A 10.1.2.3\nsub.db A 10.1.2.4")
    try:
        wait_for("nsd answers", lambda: dig(nsd_port, f"db.{zone}").answer, 30)
        assert dig(port, f"db.{zone}").status == "NXDOMAIN"  # no rule yet: the root has no .internal
        r = g.client("route53resolver")
        out = r.create_resolver_endpoint(CreatorRequestId=uuid.uuid4().hex, Direction="OUTBOUND", SecurityGroupIds=["sg-0123456789abcdef0"],
                                         IpAddresses=[{"SubnetId": "subnet-0123456789abcdef0"}, {"SubnetId": "subnet-0123456789abcdef1"}])
        ep = out["ResolverEndpoint"]["Id"]
        rule = r.create_resolver_rule(CreatorRequestId=uuid.uuid4().hex, RuleType="FORWARD", DomainName=zone, ResolverEndpointId=ep,
                                      TargetIps=[{"Ip": "127.0.0.1", "Port": nsd_port}])["ResolverRule"]
        assert rule["DomainName"] == zone + "." and rule["Status"] == "COMPLETE"
        r.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId="vpc-0123456789abcdef0")
        a = wait_for("the forward rule applies", lambda: (x := dig(port, f"db.{zone}")).answer and x, 30)
        assert a.answer[0][-1] == "10.1.2.3" and "ra" in a.flags
        system = r.create_resolver_rule(CreatorRequestId=uuid.uuid4().hex, RuleType="SYSTEM", DomainName=f"sub.db.{zone}")["ResolverRule"]
        r.associate_resolver_rule(ResolverRuleId=system["Id"], VPCId="vpc-0123456789abcdef0")
        wait_for("the SYSTEM rule exempts the subdomain", lambda: dig(port, f"sub.db.{zone}").status == "NXDOMAIN", 30)
        assert dig(port, f"db.{zone}").answer[0][-1] == "10.1.2.3"
        # in use: neither the rule nor the endpoint can go
        with pytest.raises(r.exceptions.ResourceInUseException):
            r.delete_resolver_rule(ResolverRuleId=rule["Id"])
        with pytest.raises(r.exceptions.InvalidRequestException):
            r.delete_resolver_endpoint(ResolverEndpointId=ep)
        r.disassociate_resolver_rule(ResolverRuleId=rule["Id"], VPCId="vpc-0123456789abcdef0")
        wait_for("the rule no longer applies", lambda: dig(port, f"db.{zone}").status == "NXDOMAIN", 30)
        r.delete_resolver_rule(ResolverRuleId=rule["Id"])
    finally:
        nsd.terminate()
        nsd.wait(10)


def test_rule_and_endpoint_errors_are_aws_shaped(g: GureumProcess) -> None:
    r = g.client("route53resolver")
    creq = uuid.uuid4().hex

    def code(call: Any) -> str:
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError) as e:
            call()
        return str(e.value.response["Error"]["Code"])

    assert code(lambda: r.create_resolver_rule(CreatorRequestId=creq, RuleType="FORWARD", DomainName="x.example")) == "InvalidRequestException"
    assert code(lambda: r.create_resolver_rule(CreatorRequestId=creq, RuleType="SYSTEM", DomainName="x.example",
                                               TargetIps=[{"Ip": "10.0.0.1"}])) == "InvalidRequestException"
    assert code(lambda: r.get_resolver_rule(ResolverRuleId="rslvr-rr-0000000000000000")) == "ResourceNotFoundException"
    rule = r.create_resolver_rule(CreatorRequestId=creq, RuleType="SYSTEM", DomainName="x.example")["ResolverRule"]
    assert code(lambda: r.create_resolver_rule(CreatorRequestId=creq, RuleType="SYSTEM", DomainName="y.example")) == "ResourceExistsException"
    assert code(lambda: r.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId="not-a-vpc")) == "InvalidParameterException"
    r.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId="vpc-00000000aaaaaaaa1")
    assert code(lambda: r.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId="vpc-00000000aaaaaaaa1")) == "ResourceExistsException"
    twice = [{"SubnetId": "subnet-0123456789abcdef0", "Ip": "127.53.250.9"}] * 2
    assert code(lambda: r.create_resolver_endpoint(CreatorRequestId=uuid.uuid4().hex, Direction="INBOUND", SecurityGroupIds=["sg-1"],
                                                   IpAddresses=twice)) == "ResourceExistsException"
    assert code(lambda: r.create_resolver_endpoint(CreatorRequestId=uuid.uuid4().hex, Direction="INBOUND", SecurityGroupIds=["sg-1"],
                                                   IpAddresses=[{"SubnetId": "bad"}] * 2)) == "InvalidParameterException"
    listed = [x["Id"] for x in r.list_resolver_rules(Filters=[{"Name": "DomainName", "Values": ["x.example"]}])["ResolverRules"]]
    assert rule["Id"] in listed
    r.tag_resource(ResourceArn=rule["Arn"], Tags=[{"Key": "k", "Value": "v"}])
    assert r.list_tags_for_resource(ResourceArn=rule["Arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"route53resolver:*","Resource":"%s"}]}' % rule["Arn"]
    assert r.put_resolver_rule_policy(Arn=rule["Arn"], ResolverRulePolicy=policy)["ReturnValue"] is True
    assert r.get_resolver_rule_policy(Arn=rule["Arn"])["ResolverRulePolicy"] == policy
    assert r.get_resolver_rule(ResolverRuleId=rule["Id"])["ResolverRule"]["ShareStatus"] == "SHARED_BY_ME"


def test_an_inbound_endpoint_listens_on_its_loopback_address(g: GureumProcess) -> None:
    r = g.client("route53resolver")
    ip = f"127.53.{random.randrange(1, 250)}.{random.randrange(1, 250)}"
    out = r.create_resolver_endpoint(CreatorRequestId=uuid.uuid4().hex, Direction="INBOUND", SecurityGroupIds=["sg-0123456789abcdef0"],
                                     IpAddresses=[{"SubnetId": "subnet-0123456789abcdef0", "Ip": ip},
                                                  {"SubnetId": "subnet-0123456789abcdef1"}])
    ips = [x["Ip"] for x in r.list_resolver_endpoint_ip_addresses(ResolverEndpointId=out["ResolverEndpoint"]["Id"])["IpAddresses"]]
    assert ip in ips and len(ips) == 2
    r2 = wait_for("the inbound listener answers", lambda: (x := dig(53, "com", "NS", server=ip)).answer and x, 30)
    assert r2.answer[0][-1] == "a.nic.com." and "ra" in r2.flags
    r.delete_resolver_endpoint(ResolverEndpointId=out["ResolverEndpoint"]["Id"])

    def closed() -> bool:
        try:
            socket.create_connection((ip, 53), timeout=2).close()
            return False
        except ConnectionRefusedError:
            return True
    wait_for("the inbound listener is closed with its endpoint", closed, 30)


class RootedGureum(GureumProcess):
    """A gureum whose DNS server is on port 53 of its own loopback address, as root servers
    are (root hints carry addresses, not ports)."""

    def __init__(self, data_dir: Path, host: str, extra_args: list[str]) -> None:
        super().__init__(data_dir, extra_args, env=SUITE_RUNTIME_DATE)
        self.host = host
        self.dns_port = 53

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def role_args(self) -> list[str]:
        return ["up", "--host", self.host]


def _loopback_address_with_free_53() -> str:
    for _ in range(50):
        ip = f"127.{random.randrange(54, 250)}.{random.randrange(1, 250)}.{random.randrange(2, 250)}"
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((ip, 53))
            return ip
        except OSError:
            continue
    raise RuntimeError("no loopback address with port 53 free")


@pytest.mark.skipif(shutil.which("unbound") is None and not Path("/usr/sbin/unbound").exists(),
                    reason="unbound (Debian package) is not installed")
def test_unbound_resolves_a_registered_domain_from_gureums_root_hints(tmp_path: Path) -> None:
    host = _loopback_address_with_free_53()
    g = RootedGureum(tmp_path / "data", host, ["--set", "domains.operation_seconds=0.2", "--set", f"resolver.port={free_port()}"])
    g.start()
    unbound = None
    try:
        name = uniq("dev")
        zone = register(g, name)
        put_a(g, zone, f"www.{name}", "192.0.2.77")
        work = tmp_path / "unbound"
        work.mkdir()
        (work / "root.hints").write_text(f".  3600000  NS  a.root-servers.net.\na.root-servers.net.  3600000  A  {host}\n")
        uport = free_port()
        (work / "unbound.conf").write_text(f"""server:
  interface: 127.0.0.1
  port: {uport}
  do-not-query-localhost: no
  root-hints: "{work}/root.hints"
  username: ""
  chroot: ""
  directory: "{work}"
  pidfile: "{work}/unbound.pid"
  use-syslog: no
  logfile: "{work}/unbound.log"
  module-config: "iterator"
  num-threads: 1
  access-control: 127.0.0.0/8 allow
remote-control:
  control-enable: no
""")
        unbound = subprocess.Popen([shutil.which("unbound") or "/usr/sbin/unbound", "-d", "-c", str(work / "unbound.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = wait_for("unbound resolves the registered domain", lambda: (x := dig(uport, f"www.{name}")).answer and x, 60)
        assert r.answer[-1][-1] == "192.0.2.77" and r.status == "NOERROR"
        assert dig(uport, f"nope{uuid.uuid4().hex[:6]}.dev").status == "NXDOMAIN"
    finally:
        if unbound is not None:
            unbound.terminate()
            unbound.wait(10)
        g.stop()
