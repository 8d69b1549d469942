"""The resolver's control plane and the registry live in the store: after a restart a FORWARD
rule to a real NSD and a firewall block still apply and a registered domain still resolves;
POST /_gureum/reset of both services drops them (the delegation goes, rules stop applying)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port
from waiting import wait_for

from .test_resolver import _start_nsd

CONTACT = {"FirstName": "Ada", "LastName": "Lovelace", "ContactType": "PERSON", "AddressLine1": "1 Analytical St",
           "City": "London", "CountryCode": "GB", "ZipCode": "N1 1AA", "PhoneNumber": "+44.2071234567",
           "Email": "ada@example.org"}
VPC = "vpc-0123456789abcdef1"


def dig(port: int, name: str) -> tuple[str, list[str]]:
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+time=5", "+noall", "+comments", "+answer", name],
                         capture_output=True, text=True, timeout=30, check=False).stdout
    status = next((line.split("status: ")[1].split(",")[0] for line in out.splitlines() if "status: " in line), "")
    return status, [line.split()[-1] for line in out.splitlines() if line and not line.startswith(";")]


@pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd (Debian package) is not installed")
def test_rules_firewall_and_domains_survive_a_restart_and_go_with_reset(tmp_path: Path) -> None:
    rport, nsd_port = free_port(), free_port()
    zone = f"corp{uuid.uuid4().hex[:6]}.internal"
    nsd = _start_nsd(tmp_path / "nsd", nsd_port, zone, "db A 10.9.9.9")
    g = GureumProcess(tmp_path / "data", env=SUITE_RUNTIME_DATE,
                      extra_args=["--set", "domains.operation_seconds=0.2", "--set", f"resolver.port={rport}"])
    g.start()
    try:
        d, r53, r = g.client("route53domains"), g.client("route53"), g.client("route53resolver")
        name = f"keep{uuid.uuid4().hex[:8]}.com"
        op = d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                               TechContact=CONTACT)["OperationId"]
        wait_for("registered", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
        hz = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."][0]["Id"]
        r53.change_resource_record_sets(HostedZoneId=hz, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": f"www.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.44"}]}}]})
        ep = r.create_resolver_endpoint(CreatorRequestId=uuid.uuid4().hex, Direction="OUTBOUND", SecurityGroupIds=["sg-1"],
                                        IpAddresses=[{"SubnetId": "subnet-0123456789abcdef0"}] * 2)["ResolverEndpoint"]["Id"]
        rule = r.create_resolver_rule(CreatorRequestId=uuid.uuid4().hex, RuleType="FORWARD", DomainName=zone, ResolverEndpointId=ep,
                                      TargetIps=[{"Ip": "127.0.0.1", "Port": nsd_port}])["ResolverRule"]["Id"]
        r.associate_resolver_rule(ResolverRuleId=rule, VPCId=VPC)
        lid = r.create_firewall_domain_list(CreatorRequestId=uuid.uuid4().hex, Name="l")["FirewallDomainList"]["Id"]
        r.update_firewall_domains(FirewallDomainListId=lid, Operation="ADD", Domains=[f"blocked.{name}"])
        gid = r.create_firewall_rule_group(CreatorRequestId=uuid.uuid4().hex, Name="g")["FirewallRuleGroup"]["Id"]
        r.create_firewall_rule(CreatorRequestId=uuid.uuid4().hex, FirewallRuleGroupId=gid, FirewallDomainListId=lid, Priority=1,
                               Action="BLOCK", BlockResponse="NXDOMAIN", Name="b")
        r.associate_firewall_rule_group(CreatorRequestId=uuid.uuid4().hex, FirewallRuleGroupId=gid, VpcId=VPC, Priority=100, Name="a")
        wait_for("forwarded", lambda: dig(rport, f"db.{zone}")[1] == ["10.9.9.9"], 30)
        g.restart()
        wait_for("forwarded after the restart", lambda: dig(rport, f"db.{zone}")[1] == ["10.9.9.9"], 60)
        assert dig(rport, f"www.{name}")[1] == ["192.0.2.44"]
        assert dig(rport, f"blocked.{name}")[0] == "NXDOMAIN"
        req = urllib.request.Request(g.endpoint + "/_gureum/reset?service=route53domains,route53resolver", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=120) as resp:
            assert set(json.load(resp)["reset"]) == {"route53domains", "route53resolver"}
        wait_for("the rule no longer applies", lambda: dig(rport, f"db.{zone}")[0] == "NXDOMAIN", 30)
        assert g.client("route53domains").list_domains()["Domains"] == []
        assert r.list_resolver_rules()["ResolverRules"] == []

        def undelegated() -> bool:  # the com zone no longer cuts at the domain: DS comes from the hosted zone
            out = subprocess.run(["dig", "@127.0.0.1", "-p", str(g.dns_port), "+noall", "+authority", name, "DS"],
                                 capture_output=True, text=True, timeout=30, check=False).stdout
            return out.startswith(name + ".")
        wait_for("the delegation is gone", undelegated, 30)
    finally:
        g.stop()
        nsd.terminate()
        nsd.wait(10)
