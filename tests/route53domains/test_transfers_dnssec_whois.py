"""Route 53 Domains beyond registration, against a real gureum: transfers between gureum
accounts (accept, reject, cancel), TransferDomain into the registrar, DNSSEC key association
with the DS record served by the TLD zone, DeleteDomain taking the delegation away, and the
WHOIS server (RFC 3912) answering with privacy honoured."""

from __future__ import annotations

import base64
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from botocore.exceptions import ClientError
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port
from waiting import wait_for

CONTACT = {"FirstName": "Ada", "LastName": "Lovelace", "ContactType": "PERSON", "AddressLine1": "1 Analytical St",
           "City": "London", "State": "Greater London", "CountryCode": "GB", "ZipCode": "N1 1AA",
           "PhoneNumber": "+44.2071234567", "Email": "ada@example.org"}
OTHER = "444455556666"


@pytest.fixture(scope="module")
def g(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    whois = free_port()
    proc = GureumProcess(tmp_path_factory.mktemp("domains2") / "data", env=SUITE_RUNTIME_DATE,
                         extra_args=["--set", "domains.operation_seconds=0.2", "--set", f"domains.whois_port={whois}"])
    proc.whois_port = whois  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


def uniq(tld: str = "com") -> str:
    return f"t{uuid.uuid4().hex[:10]}.{tld}"


def done(d: Any, op: str, status: str = "SUCCESSFUL") -> None:
    wait_for(f"operation {op} {status}", lambda: d.get_operation_detail(OperationId=op)["Status"] == status, 30)


def register(d: Any, name: str, **kw: Any) -> None:
    done(d, d.register_domain(DomainName=name, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                              TechContact=CONTACT, **kw)["OperationId"])


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def ask(g: GureumProcess, name: str, rtype: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, rtype), "127.0.0.1", port=g.dns_port, timeout=3)


def whois(g: GureumProcess, query: str) -> str:
    with socket.create_connection(("127.0.0.1", g.whois_port), timeout=5) as s:  # type: ignore[attr-defined]
        s.sendall(query.encode() + b"\r\n")
        chunks = []
        while chunk := s.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def test_transfer_between_accounts_accept_reject_cancel(g: GureumProcess) -> None:
    a, b = g.client("route53domains"), g.client("route53domains", aws_access_key_id=OTHER)
    name = uniq()
    register(a, name)
    out = a.transfer_domain_to_another_aws_account(DomainName=name, AccountId=OTHER)
    assert a.get_operation_detail(OperationId=out["OperationId"])["Type"] == "INTERNAL_TRANSFER_OUT_DOMAIN"
    assert "pendingTransfer" in a.get_domain_detail(DomainName=name)["StatusList"]
    assert code_of(lambda: b.accept_domain_transfer_from_another_aws_account(DomainName=name, Password="wrong")) == "InvalidInput"
    op = b.accept_domain_transfer_from_another_aws_account(DomainName=name, Password=out["Password"])["OperationId"]
    done(b, op)
    done(a, out["OperationId"])
    assert name in [x["DomainName"] for x in b.list_domains()["Domains"]]
    assert code_of(lambda: a.get_domain_detail(DomainName=name)) == "InvalidInput"
    assert b.check_domain_transferability(DomainName=name)["Transferability"]["Transferable"] == "DOMAIN_IN_OWN_ACCOUNT"
    assert a.check_domain_transferability(DomainName=name)["Transferability"]["Transferable"] == "DOMAIN_IN_ANOTHER_ACCOUNT"
    # rejected by the receiver, cancelled by the sender: the domain stays where it was
    back = b.transfer_domain_to_another_aws_account(DomainName=name, AccountId="000000000000")
    a.reject_domain_transfer_from_another_aws_account(DomainName=name)
    done(b, back["OperationId"], "FAILED")
    again = b.transfer_domain_to_another_aws_account(DomainName=name, AccountId="000000000000")
    b.cancel_domain_transfer_to_another_aws_account(DomainName=name)
    done(b, again["OperationId"], "FAILED")
    assert code_of(lambda: a.accept_domain_transfer_from_another_aws_account(DomainName=name, Password=again["Password"])) == "InvalidInput"
    assert b.get_domain_detail(DomainName=name)["DomainName"] == name


def test_transfer_in_from_outside_needs_an_auth_code_and_charges_the_transfer_price(g: GureumProcess) -> None:
    d = g.client("route53domains")
    name = uniq("xyz")
    kw: dict[str, Any] = {"AdminContact": CONTACT, "RegistrantContact": CONTACT, "TechContact": CONTACT}
    assert code_of(lambda: d.transfer_domain(DomainName=name, DurationInYears=1, **kw)) == "InvalidInput"
    op = d.transfer_domain(DomainName=name, DurationInYears=1, AuthCode="s3cret", Nameservers=[{"Name": "ns-1.awsdns-00.com"}], **kw)["OperationId"]
    assert d.get_operation_detail(OperationId=op)["Type"] == "TRANSFER_IN_DOMAIN"
    done(d, op)
    assert [s["Name"] for s in d.get_domain_detail(DomainName=name)["Nameservers"]] == ["ns-1.awsdns-00.com"]
    bills = [b for b in d.view_billing()["BillingRecords"] if b["DomainName"] == name]
    assert [(b["Operation"], b["Price"]) for b in bills] == [("TRANSFER_IN_DOMAIN", 14.0)]
    assert code_of(lambda: d.transfer_domain(DomainName=name, AuthCode="x", **kw)) == "InvalidInput"  # already here
    assert len(d.retrieve_domain_auth_code(DomainName=name)["AuthCode"]) >= 8


def test_dnssec_keys_give_ds_records_in_the_tld_zone(g: GureumProcess) -> None:
    d = g.client("route53domains")
    name = uniq("org")
    register(d, name)
    public = base64.b64encode(os.urandom(64)).decode()
    op = d.associate_delegation_signer_to_domain(DomainName=name, SigningAttributes={"Algorithm": 13, "Flags": 257, "PublicKey": public})["OperationId"]
    done(d, op)
    keys = d.get_domain_detail(DomainName=name)["DnssecKeys"]
    dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, f"257 3 13 {public}")
    expected = dns.dnssec.make_ds(dns.name.from_text(name), dnskey, "SHA256")  # type: ignore[arg-type]
    assert (keys[0]["KeyTag"], keys[0]["DigestType"], keys[0]["Digest"].lower()) == (expected.key_tag, 2, expected.digest.hex())

    def served() -> Any:
        r = ask(g, name + ".", "DS")
        return r.answer and r.answer[0]
    ds = wait_for("the org zone serves the DS", served, 30)
    assert [x.to_text() for x in ds] == [expected.to_text()]
    assert code_of(lambda: d.associate_delegation_signer_to_domain(
        DomainName=name, SigningAttributes={"Algorithm": 13, "Flags": 257, "PublicKey": public})) == "DuplicateRequest"
    assert code_of(lambda: d.associate_delegation_signer_to_domain(
        DomainName=name, SigningAttributes={"Algorithm": 13, "Flags": 3, "PublicKey": public})) == "InvalidInput"
    done(d, d.disassociate_delegation_signer_from_domain(DomainName=name, Id=keys[0]["Id"])["OperationId"])
    wait_for("the DS is gone", lambda: not ask(g, name + ".", "DS").answer, 30)


def test_delete_domain_removes_the_delegation(g: GureumProcess) -> None:
    d = g.client("route53domains")
    name = uniq("info")
    register(d, name)
    wait_for("delegated", lambda: str(ask(g, name + ".", "DS").authority[0].name) == "info.", 30)
    op = d.delete_domain(DomainName=name)["OperationId"]
    done(d, op)
    assert d.get_operation_detail(OperationId=op)["Type"] == "DELETE_DOMAIN"
    assert d.check_domain_availability(DomainName=name)["Availability"] == "AVAILABLE"
    assert name not in [x["DomainName"] for x in d.list_domains()["Domains"]]

    def undelegated() -> bool:  # the hosted zone stays (as on AWS) but the info zone no longer cuts there
        r = ask(g, name + ".", "DS")
        return bool(r.authority) and str(r.authority[0].name) == name + "."
    wait_for("the delegation is gone", undelegated, 30)


def test_whois_answers_for_registered_domains_with_privacy(g: GureumProcess) -> None:
    d = g.client("route53domains")
    name = uniq("me")
    register(d, name, PrivacyProtectAdminContact=False)
    text = whois(g, name)
    assert f"Domain Name: {name.upper()}" in text and "Registrar: Amazon Registrar, Inc." in text
    assert "Registrant Name: REDACTED FOR PRIVACY" in text and "Registrant Email: REDACTED FOR PRIVACY" in text
    assert "Registrant Country: GB" in text and "Registrant State/Province: Greater London" in text
    assert "Admin Name: Ada Lovelace" in text and "Admin Email: ada@example.org" in text  # privacy off
    assert text.count("Name Server: NS-") == 4
    assert "ada@example.org" not in text.split("Admin Name")[0]
    missing = whois(g, uniq())
    assert missing.startswith('No match for "')
    d.update_domain_contact_privacy(DomainName=name, AdminPrivacy=True)
    assert "Admin Email: REDACTED FOR PRIVACY" in whois(g, name)
