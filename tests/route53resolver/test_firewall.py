"""DNS Firewall through boto3 and dig against a real gureum: domain lists (with wildcards,
ImportFirewallDomains from an S3 object), rule groups, rules by priority, associations by
priority; BLOCK with NODATA, NXDOMAIN and OVERRIDE (a CNAME), ALLOW ahead of a BLOCK, ALERT
passing through; fail-open config; AWS's errors; a reset that unblocks."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port
from waiting import wait_for

CONTACT = {"FirstName": "Ada", "LastName": "Lovelace", "ContactType": "PERSON", "AddressLine1": "1 Analytical St",
           "City": "London", "CountryCode": "GB", "ZipCode": "N1 1AA", "PhoneNumber": "+44.2071234567",
           "Email": "ada@example.org"}
VPC = "vpc-0a1b2c3d4e5f60718"


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    port = free_port()
    proc = GureumProcess(tmp_path_factory.mktemp("firewall") / "data", env=SUITE_RUNTIME_DATE,
                         extra_args=["--set", "domains.operation_seconds=0.2", "--set", f"resolver.port={port}"])
    proc.resolver_port = port  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


def dig(port: int, name: str, rtype: str = "A") -> tuple[str, list[list[str]]]:
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+time=5", "+noall", "+comments", "+answer", name, rtype],
                         capture_output=True, text=True, timeout=30, check=False).stdout
    status = next((line.split("status: ")[1].split(",")[0] for line in out.splitlines() if "status: " in line), "")
    answers = [line.split() for line in out.splitlines() if line and not line.startswith(";")]
    return status, answers


def creq() -> str:
    return uuid.uuid4().hex


def setup_domain(g: GureumProcess) -> str:
    d = g.client("route53domains")
    name = f"fw{uuid.uuid4().hex[:8]}.com"
    op = d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                           TechContact=CONTACT)["OperationId"]
    wait_for("registered", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    r53 = g.client("route53")
    zone = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."][0]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": f"{h}.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ip}]}}
        for h, ip in (("ads", "192.0.2.1"), ("x.ads", "192.0.2.2"), ("ok.ads", "192.0.2.3"), ("safe", "192.0.2.9"),
                      ("tracker", "192.0.2.4"), ("nodata", "192.0.2.5"), ("watched", "192.0.2.6"))]})
    return name


def test_block_allow_alert_and_override(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    name = setup_domain(g)
    wait_for("resolvable", lambda: dig(port, f"ads.{name}")[1], 30)
    r = g.client("route53resolver")
    lists = {}
    for label, domains in (("allow", [f"ok.ads.{name}"]), ("wild", [f"*.ads.{name}"]), ("nx", [f"tracker.{name}"]),
                           ("nodata", [f"nodata.{name}"]), ("alert", [f"watched.{name}"]), ("override", [f"ads.{name}"])):
        lid = r.create_firewall_domain_list(CreatorRequestId=creq(), Name=label)["FirewallDomainList"]["Id"]
        r.update_firewall_domains(FirewallDomainListId=lid, Operation="ADD", Domains=domains)
        lists[label] = lid
    gid = r.create_firewall_rule_group(CreatorRequestId=creq(), Name="g")["FirewallRuleGroup"]["Id"]

    def rule(label: str, priority: int, action: str, **kw: Any) -> None:
        r.create_firewall_rule(CreatorRequestId=creq(), FirewallRuleGroupId=gid, FirewallDomainListId=lists[label],
                               Priority=priority, Action=action, Name=label, **kw)

    rule("allow", 10, "ALLOW")
    rule("wild", 20, "BLOCK", BlockResponse="NXDOMAIN")
    rule("nx", 30, "BLOCK", BlockResponse="NXDOMAIN")
    rule("nodata", 40, "BLOCK", BlockResponse="NODATA")
    rule("alert", 50, "ALERT")
    rule("override", 60, "BLOCK", BlockResponse="OVERRIDE", BlockOverrideDomain=f"safe.{name}", BlockOverrideDnsType="CNAME",
         BlockOverrideTtl=30)
    assert r.get_firewall_rule_group(FirewallRuleGroupId=gid)["FirewallRuleGroup"]["RuleCount"] == 6
    # nothing happens before the group is associated
    assert dig(port, f"tracker.{name}")[0] == "NOERROR"
    r.associate_firewall_rule_group(CreatorRequestId=creq(), FirewallRuleGroupId=gid, VpcId=VPC, Priority=101, Name="a")
    wait_for("the firewall blocks tracker", lambda: dig(port, f"tracker.{name}")[0] == "NXDOMAIN", 30)
    assert dig(port, f"x.ads.{name}")[0] == "NXDOMAIN"  # the wildcard
    ok = dig(port, f"ok.ads.{name}")  # ALLOW at a lower priority number wins over the wildcard BLOCK
    assert ok[0] == "NOERROR" and ok[1][0][-1] == "192.0.2.3"
    nodata = dig(port, f"nodata.{name}")
    assert nodata == ("NOERROR", [])
    watched = dig(port, f"watched.{name}")  # ALERT: answered as usual
    assert watched[0] == "NOERROR" and watched[1][0][-1] == "192.0.2.6"
    status, answers = dig(port, f"ads.{name}")  # "*.ads" does not match ads itself; the OVERRIDE rule does
    assert status == "NOERROR" and [a[3] for a in answers] == ["CNAME", "A"]
    assert answers[0][-1] == f"safe.{name}." and answers[0][1] == "30" and answers[1][-1] == "192.0.2.9"
    # listing in priority order, and AWS's errors
    assert [x["Priority"] for x in r.list_firewall_rules(FirewallRuleGroupId=gid)["FirewallRules"]] == [10, 20, 30, 40, 50, 60]
    with pytest.raises(ClientError) as e:
        rule("nx", 70, "ALLOW")  # the list is in the group already
    assert e.value.response["Error"]["Code"] == "ResourceExistsException"
    with pytest.raises(ClientError) as e:
        r.create_firewall_rule(CreatorRequestId=creq(), FirewallRuleGroupId=gid, FirewallDomainListId=lists["nx"], Priority=80,
                               Action="BLOCK", Name="x")
    assert e.value.response["Error"]["Code"] in ("ValidationException", "ResourceExistsException")
    with pytest.raises(ClientError) as e:
        r.delete_firewall_domain_list(FirewallDomainListId=lists["nx"])
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as e:
        r.get_firewall_rule_group(FirewallRuleGroupId="rslvr-frg-00000000000000000")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # a rule removed: the name resolves again
    r.delete_firewall_rule(FirewallRuleGroupId=gid, FirewallDomainListId=lists["nx"])
    wait_for("tracker unblocked", lambda: dig(port, f"tracker.{name}")[0] == "NOERROR", 30)
    cfg = r.update_firewall_config(ResourceId=VPC, FirewallFailOpen="ENABLED")["FirewallConfig"]
    assert cfg["FirewallFailOpen"] == "ENABLED" and r.get_firewall_config(ResourceId=VPC)["FirewallConfig"]["FirewallFailOpen"] == "ENABLED"


def test_domains_imported_from_an_s3_file_block(g: GureumProcess) -> None:
    port = g.resolver_port  # type: ignore[attr-defined]
    name = setup_domain(g)
    s3 = g.client("s3")
    bucket = f"fw-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="lists/block.txt", Body=f"# blocked\ntracker.{name}\n*.ads.{name}\n".encode())
    r = g.client("route53resolver")
    lid = r.create_firewall_domain_list(CreatorRequestId=creq(), Name="imported")["FirewallDomainList"]["Id"]
    r.import_firewall_domains(FirewallDomainListId=lid, Operation="REPLACE", DomainFileUrl=f"s3://{bucket}/lists/block.txt")
    assert sorted(r.list_firewall_domains(FirewallDomainListId=lid)["Domains"]) == sorted([f"tracker.{name}.", f"*.ads.{name}."])
    assert r.get_firewall_domain_list(FirewallDomainListId=lid)["FirewallDomainList"]["DomainCount"] == 2
    with pytest.raises(ClientError) as e:
        r.import_firewall_domains(FirewallDomainListId=lid, Operation="REPLACE", DomainFileUrl=f"s3://{bucket}/missing.txt")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    gid = r.create_firewall_rule_group(CreatorRequestId=creq(), Name="imported")["FirewallRuleGroup"]["Id"]
    r.create_firewall_rule(CreatorRequestId=creq(), FirewallRuleGroupId=gid, FirewallDomainListId=lid, Priority=1,
                           Action="BLOCK", BlockResponse="NODATA", Name="block")
    assoc = r.associate_firewall_rule_group(CreatorRequestId=creq(), FirewallRuleGroupId=gid, VpcId="vpc-0a1b2c3d4e5f60719",
                                            Priority=200, Name="b")["FirewallRuleGroupAssociation"]
    wait_for("the imported list blocks", lambda: dig(port, f"tracker.{name}") == ("NOERROR", []), 30)
    with pytest.raises(ClientError) as e:
        r.delete_firewall_rule_group(FirewallRuleGroupId=gid)
    assert e.value.response["Error"]["Code"] == "ConflictException"
    r.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=assoc["Id"])
    wait_for("unblocked after disassociation", lambda: dig(port, f"tracker.{name}")[1], 30)
