"""Change Guardrails: rules ChangeResourceRecordSets applies on top of Route 53's own, per
hosted zone (features.py turns them on and off; the zone's tier decides which are offered).

Enforced here (model.change_record_sets calls `problems` with the batch):
- NS_FORMAT_CHECK (every tier, always on): an NS value that looks like a Route 53 name server
  (ns-N.awsdns-M.com|net|org|co.uk) must be one: N below 2048, its TLD the one of N's quarter
  (com, net, org, co.uk for 0-511, 512-1023, 1024-1535, 1536-2047) and M = (N mod 512) // 8,
  two digits.
- NS_DELEGATION_AUTHORITY_CHECK (public zones): a subdomain delegated to Route 53 name servers
  must be a hosted zone those name servers serve (a public zone of that name, any account).
- NS_OCCLUSION_CHECK: no record set under a delegated subdomain, except the glue (A/AAAA) of
  the delegation's own name servers.
- ALIAS_TARGET_CHECK: an alias's target in the same zone can't be deleted while the alias
  exists; Route 53's own rules (model._zone_problems) already refuse that batch in every zone.
ACTIVE_RECORD_CHECK and ACTIVE_DELEGATION_CHECK need the query volume AWS watches per record;
gureum keeps none, so features.py does not offer them (InvalidInput on enabling).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_AWSDNS = re.compile(r"ns-(\d+)\.awsdns-(\d+)\.(com|net|org|co\.uk)\.?", re.IGNORECASE)
_TLDS = ("com", "net", "org", "co.uk")
_Key = tuple[str, str, str]


def looks_like_route53(value: str) -> bool:
    return _AWSDNS.fullmatch(value.strip()) is not None


def is_route53_server(value: str) -> bool:
    m = _AWSDNS.fullmatch(value.strip())
    if m is None:
        return False
    n, group, tld = int(m.group(1)), m.group(2), m.group(3).lower()
    return n < 2048 and _TLDS[n // 512] == tld and len(group) == 2 and int(group) == (n % 512) // 8


def _labels(name: str) -> list[str]:
    return [x for x in name.lower().rstrip(".").split(".") if x]


def _under(name: str, cut: str) -> bool:
    a, b = _labels(name), _labels(cut)
    return len(a) > len(b) and a[len(a) - len(b):] == b


def problems(zone: dict[str, Any], applied: list[dict[str, Any]], current: dict[_Key, dict[str, Any]],
             servers_of_zones_named: Callable[[str], list[set[str]]]) -> list[str]:
    """What the zone's guardrails refuse in a batch (`applied`: its changes, `current`: the
    zone's record sets after it)."""
    guards = ((zone.get("Features") or {}).get("Guardrails") or {})
    on = {name for name, status in guards.items() if status == "ENABLED"}
    out: list[str] = []
    written = [c["ResourceRecordSet"] for c in applied if c["Action"] != "DELETE"]
    apex = zone["Name"].lower()
    for rrs in written:
        if rrs["Type"] != "NS":
            continue
        values = [rr["Value"] for rr in rrs.get("ResourceRecords") or []]
        for v in values:
            if looks_like_route53(v) and not is_route53_server(v):
                out.append(f"NS_FORMAT_CHECK: the NS value {v} of {rrs['Name']} looks like a Route 53 name server but isn't one")
        if "NS_DELEGATION_AUTHORITY_CHECK" in on and not zone["Config"].get("PrivateZone") and rrs["Name"].lower() != apex:
            ours = {v.lower().rstrip(".") for v in values if looks_like_route53(v)}
            served = servers_of_zones_named(rrs["Name"])
            if ours and not any(ours <= {s.lower().rstrip(".") for s in servers} for servers in served):
                out.append(f"NS_DELEGATION_AUTHORITY_CHECK: {rrs['Name']} is delegated to Route 53 name servers that don't host it")
    if "NS_OCCLUSION_CHECK" in on:
        cuts = {doc["Name"]: {rr["Value"].lower().rstrip(".") for rr in doc.get("ResourceRecords") or []}
                for (name, rtype, _sid), doc in current.items() if rtype == "NS" and name.lower() != apex}
        for (name, rtype, _sid), _doc in current.items():
            for cut, targets in cuts.items():
                if _under(name, cut) and not (rtype in ("A", "AAAA") and name.lower().rstrip(".") in targets):
                    out.append(f"NS_OCCLUSION_CHECK: {rtype} {name} is under the delegated subdomain {cut}, where resolvers never use it")
    return out
