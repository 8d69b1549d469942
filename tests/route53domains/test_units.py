"""Route 53 Domains' pure parts on values: the registry's zones (root delegations with glue,
awsdns wildcards, a domain's NS/glue/DS), names and TLDs, contact validation, and WHOIS text
with privacy."""

from __future__ import annotations

import pytest

from gureum.aws.errors import AwsError
from gureum.services.route53domains import contacts, registry, tlds, whois


def by(records: list[dict], name: str, rtype: str) -> list[str]:
    return [v["Value"] for r in records if r["Name"] == name and r["Type"] == rtype for v in r["ResourceRecords"]]


def test_root_zone_delegates_every_tld_with_glue() -> None:
    root = registry.root_zone(["com", "test"], "127.0.0.9", 7)
    assert by(root, ".", "NS") == ["a.root-servers.net."]
    assert by(root, "com.", "NS") == ["a.nic.com."] and by(root, "a.nic.com.", "A") == ["127.0.0.9"]
    assert by(root, ".", "SOA")[0].split()[2] == "7"
    assert registry.served_tlds("com, Test.") == ["com", "test", "net", "org", "uk"]


def test_tld_zone_has_awsdns_wildcards_and_each_domains_delegation() -> None:
    domains = [{"DomainName": "a.com", "Nameservers": [{"Name": "ns1.a.com", "GlueIps": ["192.0.2.1", "2001:db8::1"]},
                                                        {"Name": "ns.other.net", "GlueIps": []}],
                "DnssecKeys": [{"KeyTag": 1, "Algorithm": 13, "DigestType": 2, "Digest": "AB"}]}]
    com = registry.tld_zone("com", "::1", 1, domains)
    assert by(com, "*.awsdns-63.com.", "AAAA") == ["::1"] and not by(com, "*.awsdns-64.com.", "AAAA")
    assert by(com, "a.com.", "NS") == ["ns1.a.com.", "ns.other.net."]
    assert by(com, "ns1.a.com.", "A") == ["192.0.2.1"] and by(com, "ns1.a.com.", "AAAA") == ["2001:db8::1"]
    assert by(com, "a.com.", "DS") == ["1 13 2 AB"]
    uk = registry.tld_zone("uk", "127.0.0.1", 1, [])
    assert by(uk, "*.awsdns-00.co.uk.", "A") == ["127.0.0.1"]
    assert by(registry.tld_zone("net", "127.0.0.1", 1, []), "a.root-servers.net.", "A") == ["127.0.0.1"]


def test_names_and_tlds() -> None:
    assert tlds.split("Example.COM.") == ("example", "com")
    for bad, code in (("x.nosuch", "UnsupportedTLD"), ("a.b.com", "InvalidInput"), ("-a.com", "InvalidInput"),
                      ("a" * 64 + ".com", "InvalidInput"), ("com", "InvalidInput")):
        with pytest.raises(AwsError) as e:
            tlds.split(bad)
        assert e.value.code == code, bad
    assert tlds.is_reserved("awsdns-12") and not tlds.is_reserved("example")
    assert tlds.price_list()["date"] and tlds.price_list()["source"]


def test_contacts() -> None:
    good = {"FirstName": "A", "LastName": "B", "ContactType": "PERSON", "AddressLine1": "1", "City": "C", "CountryCode": "US",
            "ZipCode": "1", "PhoneNumber": "+1.5555551234", "Email": "a@b.co"}
    assert contacts.problems("AdminContact", good) == []
    bad = dict(good, PhoneNumber="5555551234", ContactType="COMPANY", ZipCode=None)
    found = contacts.problems("AdminContact", bad)
    assert any("PhoneNumber" in m for m in found) and any("OrganizationName" in m for m in found) and any("ZipCode" in m for m in found)


def test_whois_text_redacts_private_contacts() -> None:
    contact = {"FirstName": "Ada", "LastName": "L", "City": "London", "State": "LDN", "CountryCode": "GB", "Email": "a@x.org"}
    doc = {"DomainName": "a.com", "UpdatedDate": 0.0, "CreationDate": 0.0, "ExpirationDate": 86400.0, "TransferLock": True,
           "Nameservers": [{"Name": "ns-1.awsdns-00.com"}], "RegistrantContact": contact, "RegistrantPrivacy": True,
           "AdminContact": contact, "AdminPrivacy": False}
    text = whois.record_text(doc, "a.com", 0.0)
    assert "Registrant Name: REDACTED FOR PRIVACY" in text and "Registrant Country: GB" in text
    assert "Admin Email: a@x.org" in text and "Name Server: NS-1.AWSDNS-00.COM" in text
    assert "Domain Status: clientTransferProhibited" in text
    assert whois.record_text(None, "b.com", 0.0).startswith('No match for "B.COM".')
