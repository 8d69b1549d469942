"""Route 53 Domains through boto3 and the AWS CLI against a real gureum: availability and
prices, RegisterDomain (contacts validated, the hosted zone created, the operation going
IN_PROGRESS -> SUCCESSFUL), the delegation in the registry's TLD zone answered by gureum's
DNS server (dig-equivalent queries with dnspython), name server updates with glue,
auto-renew, renewals, contacts and privacy, tags, billing in ViewBilling and `gureum costs`,
AWS's errors, and durability across a restart."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CONTACT = {"FirstName": "Ada", "LastName": "Lovelace", "ContactType": "PERSON", "AddressLine1": "1 Analytical St",
           "City": "London", "CountryCode": "GB", "ZipCode": "N1 1AA", "PhoneNumber": "+44.2071234567",
           "Email": "ada@example.org"}


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("domains") / "data", env=SUITE_RUNTIME_DATE,
                         extra_args=["--set", "domains.operation_seconds=0.3"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def d(g: GureumProcess) -> Any:
    return g.client("route53domains")


def uniq(tld: str = "com") -> str:
    return f"d{uuid.uuid4().hex[:10]}.{tld}"


def code_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"]), str(e.value.response["Error"]["Message"])


def ask(g: GureumProcess, name: str, rtype: str = "A") -> dns.message.Message:
    q = dns.message.make_query(name, rtype)
    return dns.query.udp(q, "127.0.0.1", port=g.dns_port, timeout=3)


def register(d: Any, name: str, **kw: Any) -> str:
    op = d.register_domain(DomainName=name, DurationInYears=kw.pop("years", 1), AdminContact=CONTACT,
                           RegistrantContact=CONTACT, TechContact=CONTACT, **kw)["OperationId"]
    wait_for(f"{name} registered", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    return str(op)


def test_registration_goes_in_progress_to_successful_and_is_delegated_in_its_tld(g: GureumProcess, d: Any) -> None:
    name = uniq()
    avail = d.check_domain_availability(DomainName=name)
    assert avail["Availability"] == "AVAILABLE" and avail["Price"]["Currency"] == "USD"
    op = d.register_domain(DomainName=name, DurationInYears=2, AdminContact=CONTACT, RegistrantContact=CONTACT,
                           TechContact=CONTACT)["OperationId"]
    first = d.get_operation_detail(OperationId=op)
    assert (first["Status"], first["Type"], first["DomainName"]) == ("IN_PROGRESS", "REGISTER_DOMAIN", name)
    assert d.check_domain_availability(DomainName=name)["Availability"] in ("PENDING", "UNAVAILABLE")
    assert code_of(lambda: d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT,
                                             RegistrantContact=CONTACT, TechContact=CONTACT))[0] == "DuplicateRequest"
    wait_for("SUCCESSFUL", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    assert op in [o["OperationId"] for o in d.list_operations()["Operations"]]
    detail = d.get_domain_detail(DomainName=name)
    servers = [s["Name"] for s in detail["Nameservers"]]
    assert len(servers) == 4 and all(".awsdns-" in s for s in servers)
    assert detail["AutoRenew"] is True and detail["RegistrarName"] == "Amazon Registrar, Inc."
    assert detail["ExpirationDate"].year == detail["CreationDate"].year + 2
    assert d.check_domain_availability(DomainName=name)["Availability"] == "UNAVAILABLE"
    # the hosted zone AWS creates: same name, the same four name servers
    r53 = g.client("route53")
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."]
    assert len(zones) == 1 and zones[0]["Config"]["Comment"] == "HostedZone created by Route53 Registrar"
    ds = r53.get_hosted_zone(Id=zones[0]["Id"])["DelegationSet"]["NameServers"]
    assert sorted(ds) == sorted(servers)
    # the TLD zone delegates the domain: the referral is the com zone's, not the hosted zone's
    r = ask(g, name + ".", "DS")  # DS is the parent's (RFC 4035): the com zone answers
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA and str(r.authority[0].name) == "com."
    com_ns = ask(g, "com.", "NS")
    assert [str(rr.target) for rr in com_ns.answer[0]] == ["a.nic.com."]
    # every awsdns name server of the zone resolves to gureum's DNS address
    for s in servers:
        a = ask(g, s + ".", "A")
        assert a.rcode() == dns.rcode.NOERROR and [rr.address for rr in a.answer[0]] == ["127.0.0.1"], s
    root = ask(g, ".", "NS")
    assert [str(rr.target) for rr in root.answer[0]] == ["a.root-servers.net."]
    assert not root.flags & dns.flags.RA  # the authoritative port does not recurse


def test_nameserver_update_moves_the_delegation_with_glue(g: GureumProcess, d: Any) -> None:
    name = uniq("net")
    register(d, name)
    inside = f"ns1.{name}"
    code, msg = code_of(lambda: d.update_domain_nameservers(DomainName=name, Nameservers=[{"Name": inside}]))
    assert code == "InvalidInput" and "Glue" in msg
    code, _ = code_of(lambda: d.update_domain_nameservers(DomainName=name, Nameservers=[{"Name": "ns.other.org", "GlueIps": ["10.0.0.1"]}]))
    assert code == "InvalidInput"
    op = d.update_domain_nameservers(DomainName=name, Nameservers=[
        {"Name": inside, "GlueIps": ["192.0.2.53", "2001:db8::53"]}, {"Name": "ns.elsewhere.org"}])["OperationId"]
    wait_for("UPDATE_NAMESERVER done", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    assert d.get_operation_detail(OperationId=op)["Type"] == "UPDATE_NAMESERVER"

    def delegated() -> dns.message.Message | None:
        # below the delegation and outside any hosted zone of gureum: the net zone refers
        r = ask(g, f"www.sub.{name}.", "A")
        ns = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.NS]
        return r if ns and sorted(str(x.target) for x in ns[0]) == sorted([inside + ".", "ns.elsewhere.org."]) else None

    # the registration's hosted zone answers for the name itself; drop it so the referral shows
    r53 = g.client("route53")
    zone = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."][0]
    r53.delete_hosted_zone(Id=zone["Id"])
    r = wait_for("the net zone's referral", delegated, 30)
    assert not r.flags & dns.flags.AA
    glue = {rr.rdtype: [x.address for x in rr] for rr in r.additional}
    assert glue == {dns.rdatatype.A: ["192.0.2.53"], dns.rdatatype.AAAA: ["2001:db8::53"]}
    assert [s["Name"] for s in d.get_domain_detail(DomainName=name)["Nameservers"]] == [inside, "ns.elsewhere.org"]


def test_contacts_are_validated_as_aws_does(d: Any) -> None:
    bad = dict(CONTACT, PhoneNumber="555-1234", Email="nope")
    code, msg = code_of(lambda: d.register_domain(DomainName=uniq(), DurationInYears=1, AdminContact=bad,
                                                  RegistrantContact=CONTACT, TechContact=CONTACT))
    assert code == "InvalidInput" and "AdminContact.PhoneNumber" in msg and "AdminContact.Email" in msg
    company = dict(CONTACT, ContactType="COMPANY")
    code, msg = code_of(lambda: d.register_domain(DomainName=uniq(), DurationInYears=1, AdminContact=CONTACT,
                                                  RegistrantContact=company, TechContact=CONTACT))
    assert code == "InvalidInput" and "OrganizationName" in msg
    missing = {k: v for k, v in CONTACT.items() if k != "City"}
    assert "TechContact.City is required" in code_of(lambda: d.register_domain(
        DomainName=uniq(), DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT, TechContact=missing))[1]


def test_names_tlds_and_limits_get_aws_errors(g: GureumProcess, d: Any) -> None:
    assert code_of(lambda: d.check_domain_availability(DomainName="x.nosuchtld"))[0] == "UnsupportedTLD"
    assert code_of(lambda: d.check_domain_availability(DomainName="bad_name!.com"))[0] == "InvalidInput"
    assert code_of(lambda: d.check_domain_availability(DomainName="a.b.com"))[0] == "InvalidInput"
    assert code_of(lambda: d.register_domain(DomainName=uniq("test"), DurationInYears=1, AdminContact=CONTACT,
                                             RegistrantContact=CONTACT, TechContact=CONTACT))[0] == "UnsupportedTLD"
    assert d.check_domain_availability(DomainName="awsdns-07.com")["Availability"] == "RESERVED"
    missing = uniq()
    assert code_of(lambda: d.get_domain_detail(DomainName=missing)) == ("InvalidInput", f"Domain {missing} not found in 000000000000 account.")
    assert code_of(lambda: d.get_operation_detail(OperationId=str(uuid.uuid4())))[0] == "InvalidInput"
    assert code_of(lambda: d.register_domain(DomainName=uniq("co"), DurationInYears=7, AdminContact=CONTACT,
                                             RegistrantContact=CONTACT, TechContact=CONTACT))[0] == "InvalidInput"
    other = g.client("route53domains", region="eu-west-1")
    assert code_of(lambda: other.list_domains())[0] == "InvalidInput"
    # AWS's default quota: 20 domains per account (a fresh account, named by its access key id)
    acct = g.client("route53domains", aws_access_key_id="210987654321")
    for _ in range(20):
        acct.register_domain(DomainName=uniq("click"), DurationInYears=1, AdminContact=CONTACT,
                             RegistrantContact=CONTACT, TechContact=CONTACT)
    assert code_of(lambda: acct.register_domain(DomainName=uniq("click"), DurationInYears=1, AdminContact=CONTACT,
                                                RegistrantContact=CONTACT, TechContact=CONTACT))[0] == "DomainLimitExceeded"


def test_prices_list_and_page(d: Any) -> None:
    com = d.list_prices(Tld="com")["Prices"]
    assert [p["Name"] for p in com] == ["com"] and com[0]["RegistrationPrice"]["Currency"] == "USD"
    pages = list(d.get_paginator("list_prices").paginate(PaginationConfig={"PageSize": 3}))
    names = [p["Name"] for page in pages for p in page["Prices"]]
    assert len(pages) > 1 and names == sorted(names) and {"com", "net", "org", "io", "dev"} <= set(names)
    assert code_of(lambda: d.list_prices(Tld="nosuchtld"))[0] == "UnsupportedTLD"
    sug = d.get_domain_suggestions(DomainName="coffee.com", SuggestionCount=5, OnlyAvailable=True)["SuggestionsList"]
    assert len(sug) == 5 and all(s["Availability"] == "AVAILABLE" for s in sug)


def test_renew_autorenew_privacy_contacts_tags_and_billing(g: GureumProcess, d: Any) -> None:
    name = uniq("org")
    register(d, name)
    d.disable_domain_auto_renew(DomainName=name)
    assert d.get_domain_detail(DomainName=name)["AutoRenew"] is False
    d.enable_domain_auto_renew(DomainName=name)
    listed = {x["DomainName"]: x for x in d.list_domains()["Domains"]}
    assert listed[name]["AutoRenew"] is True
    expiry = d.get_domain_detail(DomainName=name)["ExpirationDate"]
    assert code_of(lambda: d.renew_domain(DomainName=name, DurationInYears=1, CurrentExpiryYear=expiry.year + 1))[0] == "InvalidInput"
    op = d.renew_domain(DomainName=name, DurationInYears=2, CurrentExpiryYear=expiry.year)["OperationId"]
    wait_for("renewed", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)
    assert d.get_domain_detail(DomainName=name)["ExpirationDate"].year == expiry.year + 2
    op = d.update_domain_contact_privacy(DomainName=name, AdminPrivacy=False)["OperationId"]
    assert d.get_operation_detail(OperationId=op)["Type"] == "CHANGE_PRIVACY_PROTECTION"
    detail = d.get_domain_detail(DomainName=name)
    assert (detail["AdminPrivacy"], detail["RegistrantPrivacy"]) == (False, True)
    d.update_domain_contact(DomainName=name, TechContact=dict(CONTACT, FirstName="Grace"))
    assert d.get_domain_detail(DomainName=name)["TechContact"]["FirstName"] == "Grace"
    d.update_tags_for_domain(DomainName=name, TagsToUpdate=[{"Key": "team", "Value": "dns"}, {"Key": "x", "Value": "1"}])
    d.delete_tags_for_domain(DomainName=name, TagsToDelete=["x"])
    assert d.list_tags_for_domain(DomainName=name)["TagList"] == [{"Key": "team", "Value": "dns"}]
    bills = [b for b in d.view_billing()["BillingRecords"] if b["DomainName"] == name]
    assert sorted((b["Operation"], b["Price"]) for b in bills) == [("REGISTER_DOMAIN", 15.0), ("RENEW_DOMAIN", 30.0)]

    def registrar_costs() -> float:
        res = subprocess.run([sys.executable, "-m", "gureum", "costs", "--endpoint", g.endpoint, "--json", "--group-by", "SERVICE"],
                             capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False)
        return float(res.returncode == 0 and "Amazon Registrar" in res.stdout and _service_cost(res.stdout, "Amazon Registrar"))

    assert wait_for("gureum costs shows the registrar's charges", lambda: registrar_costs() >= 45.0, 30)


def _service_cost(text: str, service: str) -> float:
    return float(json.loads(text)["groups"].get(service, {}).get("cost", 0.0))


def test_the_cli_registers_and_lists(g: GureumProcess) -> None:
    name = uniq("dev")
    c = json.dumps(CONTACT)
    out = g.aws("route53domains", "register-domain", "--region", "us-east-1", "--domain-name", name, "--duration-in-years", "1",
                "--admin-contact", c, "--registrant-contact", c, "--tech-contact", c)
    op = out["OperationId"]
    wait_for("the CLI's registration", lambda: g.aws("route53domains", "get-operation-detail", "--region", "us-east-1",
                                                      "--operation-id", op)["Status"] == "SUCCESSFUL", 30)
    listed = g.aws("route53domains", "list-domains", "--region", "us-east-1")["Domains"]
    assert name in [x["DomainName"] for x in listed]


def test_domains_and_delegations_survive_a_restart(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", env=SUITE_RUNTIME_DATE, extra_args=["--set", "domains.operation_seconds=0.3"])
    proc.start()
    try:
        d = proc.client("route53domains")
        name = uniq("io")
        op = d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                               TechContact=CONTACT)["OperationId"]
        proc.restart()  # the operation is in the store: the restarted node completes it
        d = proc.client("route53domains")
        wait_for("completed after restart", lambda: d.get_operation_detail(OperationId=op)["Status"] == "SUCCESSFUL", 30)

        def io_delegates() -> bool:
            # DS is the parent's (RFC 4035): the io zone answers it once the cut is there
            r = ask(proc, name + ".", "DS")
            return bool(r.flags & dns.flags.AA and r.authority and str(r.authority[0].name) == "io.")
        wait_for("the io zone delegates", io_delegates, 30)
        assert name in [x["DomainName"] for x in d.list_domains()["Domains"]]
    finally:
        proc.stop()
