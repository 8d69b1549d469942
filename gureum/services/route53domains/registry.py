"""The registry's zones, sans-IO: the root zone and each TLD zone as record sets shaped as
Route 53 keeps them ({"Name", "Type", "TTL", "ResourceRecords": [{"Value"}]}), which
route53's DNS server serves through its port (`serve_zone`).

- Root ("."): SOA, NS a.root-servers.net., and per TLD a delegation to a.nic.<tld>. with its
  glue (every name server is gureum's DNS address: `address`).
- A TLD zone: SOA, NS a.nic.<tld>. with its address; per registered domain (model.delegations)
  its NS set, glue A/AAAA for name servers inside the domain, and DS from its DNSSEC keys.
- com/net/org and uk carry `*.awsdns-NN.<tld>` (NN 00-63; `co.uk` under uk) → `address`, so
  every name server Route 53 hands a hosted zone (route53/model.py `name_servers`) resolves to
  gureum's DNS server; `net` carries a.root-servers.net. A TLD whose zone is not otherwise
  served (uk) is served for those names only.

Zone ids: "registry:." and "registry:<tld>" (never a hosted zone id)."""

from __future__ import annotations

import ipaddress
from typing import Any

ROOT_NS = "a.root-servers.net."
NS_TTL = 172800
ROOT_NS_TTL = 518400
SOA_TIMERS = "1800 900 604800 86400"
AWSDNS_TLDS = {"com": "com", "net": "net", "org": "org", "uk": "co.uk"}
AWSDNS_SETS = 64  # awsdns-00 .. awsdns-63 (512 servers per TLD, 8 per set)
Doc = dict[str, Any]


def zone_id(tld: str) -> str:
    return "registry:" + (tld or ".")


def origin(tld: str) -> str:
    return tld + "." if tld else "."


def served_tlds(setting: str) -> list[str]:
    """The TLDs of the `domains.tlds` setting, plus those the awsdns name servers need."""
    out = [t.strip().lower().strip(".") for t in setting.split(",") if t.strip()]
    for tld in AWSDNS_TLDS:
        if tld not in out:
            out.append(tld)
    return out


def _rrs(name: str, rtype: str, ttl: int, values: list[str]) -> Doc:
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}


def _address(name: str, address: str, ttl: int) -> Doc:
    rtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
    return _rrs(name, rtype, ttl, [address])


def nic(tld: str) -> str:
    return f"a.nic.{tld}."


def root_zone(tlds: list[str], address: str, serial: int) -> list[Doc]:
    out = [
        _rrs(".", "SOA", 86400, [f"{ROOT_NS} nstld.gureum.invalid. {serial} {SOA_TIMERS}"]),
        _rrs(".", "NS", ROOT_NS_TTL, [ROOT_NS]),
        _address(ROOT_NS, address, ROOT_NS_TTL),
    ]
    for tld in tlds:
        out.append(_rrs(origin(tld), "NS", NS_TTL, [nic(tld)]))
        out.append(_address(nic(tld), address, NS_TTL))
    return out


def tld_zone(tld: str, address: str, serial: int, domains: list[Doc]) -> list[Doc]:
    """The zone of `tld` with the delegations of `domains` (model.delegations)."""
    apex = origin(tld)
    out = [
        _rrs(apex, "SOA", 900, [f"{nic(tld)} hostmaster.nic.{tld}. {serial} 1800 900 604800 900"]),
        _rrs(apex, "NS", NS_TTL, [nic(tld)]),
        _address(nic(tld), address, NS_TTL),
    ]
    if tld == "net":
        out.append(_address(ROOT_NS, address, ROOT_NS_TTL))
    if tld in AWSDNS_TLDS:
        suffix = AWSDNS_TLDS[tld]
        out.extend(_address(f"*.awsdns-{n:02d}.{suffix}.", address, NS_TTL) for n in range(AWSDNS_SETS))
    glue: dict[str, list[str]] = {}
    for d in domains:
        name = d["DomainName"] + "."
        out.append(_rrs(name, "NS", NS_TTL, [s["Name"].rstrip(".") + "." for s in d["Nameservers"]]))
        for s in d["Nameservers"]:
            for ip in s.get("GlueIps") or ():
                glue.setdefault(s["Name"].rstrip(".") + ".", []).append(ip)
        if d.get("DnssecKeys"):
            out.append(_rrs(name, "DS", 3600, [ds_value(k) for k in d["DnssecKeys"]]))
    for host, ips in glue.items():
        for version, rtype in ((4, "A"), (6, "AAAA")):
            values = sorted({ip for ip in ips if ipaddress.ip_address(ip).version == version})
            if values:
                out.append(_rrs(host, rtype, NS_TTL, values))
    return out


def ds_value(key: Doc) -> str:
    """The DS record of an associated DNSSEC key (its Digest as AWS computed it)."""
    return f"{key['KeyTag']} {key['Algorithm']} {key.get('DigestType', 2)} {key['Digest']}"
