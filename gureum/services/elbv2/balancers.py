"""Load balancers: their store layout and AWS's rules for creating, describing and deleting them.

Tables:
- elbv2_lbs: "{account}/{region}/{lb id}" -> {"LoadBalancerArn", "DNSName", "CanonicalHostedZoneId",
  "CreatedTime", "LoadBalancerName", "Scheme", "VpcId", "State": {"Code"}, "Type",
  "AvailabilityZones", "SecurityGroups", "IpAddressType", "id", "LocalName", "Address",
  "attributes": {key: value}, "tags": {k: v}}.
- elbv2_lb_names: "{account}/{region}/{name lower-case}" -> {"id"}.
- elbv2_addresses: "{address}" -> {"key": lb key}: each load balancer's own loopback address,
  unique across the store (so across every account and region a node serves).

Invariants: a name is unique per account and region (case-insensitively, as AWS); an address
belongs to one load balancer; State is "provisioning" until the data plane has bound the load
balancer's listeners (dataplane.py marks it "active"). Writes publish "elbv2.lb" {"key"}.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.elbv2 import attributes, names, tagging
from gureum.services.elbv2.names import validation
from gureum.store import Txn

LBS = "elbv2_lbs"
LB_NAMES = "elbv2_lb_names"
ADDRESSES = "elbv2_addresses"
TOPIC = "elbv2.lb"
_SUBNET = re.compile(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_SG = re.compile(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_KINDS = {"application": "app", "network": "net"}
Doc = dict[str, Any]


def key(account: str, region: str, lb_id: str) -> str:
    return f"{account}/{region}/{lb_id}"


def not_found(message: str = "One or more load balancers not found") -> AwsError:
    return AwsError.modeled("elbv2", "LoadBalancerNotFound", message)


def default_vpc(account: str, region: str) -> str:
    return "vpc-" + hashlib.sha256(f"{account}/{region}/vpc".encode()).hexdigest()[:17]


def _default_sg(account: str, region: str) -> str:
    return "sg-" + hashlib.sha256(f"{account}/{region}/sg".encode()).hexdigest()[:17]


def get(txn: Txn, lb_arn: str) -> tuple[str, Doc]:
    """(key, document) of the load balancer `lb_arn` names; LoadBalancerNotFound when none."""
    ref = names.check_arn(lb_arn, "loadbalancer")
    k = key(ref.account, ref.region, ref.parts[-1])
    doc = txn.get(LBS, k)
    if doc is None or doc["LoadBalancerArn"] != lb_arn:
        raise not_found()
    return k, doc


def _zones(region: str, p: Doc, kind: str) -> list[Doc]:
    mappings = p.get("SubnetMappings")
    subnets = p.get("Subnets")
    if mappings and subnets:
        raise validation("You can specify subnets or subnet mappings, not both")
    items: list[Doc] = [{"SubnetId": m.get("SubnetId")} for m in mappings] if mappings else \
        [{"SubnetId": s} for s in subnets or []]
    if kind == "application" and len(items) < 2:
        raise validation("At least two subnets in two different Availability Zones must be specified")
    if not items:
        raise validation("At least one subnet must be specified")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        sid = str(item.get("SubnetId") or "")
        if not _SUBNET.fullmatch(sid):
            raise AwsError.modeled("elbv2", "SubnetNotFound", f"The subnet ID '{sid}' is not valid")
        if sid in seen:
            raise validation("You cannot specify multiple subnets in the same Availability Zone")
        seen.add(sid)
        out.append({"ZoneName": f"{region}{'abcdef'[i % 6]}", "SubnetId": sid, "LoadBalancerAddresses": []})
    return out


def _pick_address(txn: Txn, network: str, lb_key: str) -> str:
    net = ipaddress.ip_network(network, strict=False)
    hosts = net.num_addresses - 2
    for _ in range(64):
        ip = str(net.network_address + 1 + random.randrange(max(hosts, 1)))
        if txn.insert(ADDRESSES, ip, {"key": lb_key}):
            return ip
    raise AwsError.modeled("elbv2", "InsufficientCapacity", "No load balancer address is free in the address network")


def create(txn: Txn, account: str, region: str, p: Doc, now: float, network: str, limit: int) -> Doc:
    """CreateLoadBalancer: a new load balancer, or the existing one of that name when its settings
    are the same (AWS answers such a repeat with the existing load balancer)."""
    name: str = p["Name"]
    names.check_lb_name(name)
    kind = p.get("Type") or "application"
    if kind not in _KINDS:
        raise validation(f"Load balancer type '{kind}' is not supported")
    scheme = p.get("Scheme") or "internet-facing"
    ip_type = p.get("IpAddressType") or "ipv4"
    zones = _zones(region, p, kind)
    sgs = list(p.get("SecurityGroups") or [])
    for sg in sgs:
        if not _SG.fullmatch(sg):
            raise AwsError.modeled("elbv2", "InvalidSecurityGroup", f"Invalid security group '{sg}'")
    if kind == "application" and not sgs:
        sgs = [_default_sg(account, region)]
    tags = tagging.checked(p.get("Tags"))
    existing = txn.get(LB_NAMES, key(account, region, name.lower()))
    if existing is not None:
        doc = txn.get(LBS, key(account, region, existing["id"]))
        if doc is not None:
            same = (doc["Type"], doc["Scheme"], [z["SubnetId"] for z in doc["AvailabilityZones"]]) == \
                (kind, scheme, [z["SubnetId"] for z in zones])
            if not same:
                raise AwsError.modeled("elbv2", "DuplicateLoadBalancerName",
                                       f"A load balancer with the same name '{name}' exists, but with different settings")
            return doc
    if txn.count(LB_NAMES, f"{account}/{region}/") >= limit:
        raise AwsError.modeled("elbv2", "TooManyLoadBalancers", "The quota for the number of load balancers has been reached")
    lb_id = names.new_id()
    k = key(account, region, lb_id)
    dns_name, local = names.dns_names(name, lb_id, region, kind, scheme)
    doc = {
        "LoadBalancerArn": arns.elbv2_load_balancer(region, account, _KINDS[kind], name, lb_id),
        "DNSName": dns_name, "CanonicalHostedZoneId": names.zone_id(region, kind), "CreatedTime": now,
        "LoadBalancerName": name, "Scheme": scheme, "VpcId": default_vpc(account, region),
        "State": {"Code": "provisioning"}, "Type": kind, "AvailabilityZones": zones,
        "IpAddressType": ip_type, "id": lb_id, "LocalName": local,
        "Address": _pick_address(txn, network, k), "attributes": attributes.lb_defaults(kind), "tags": tags,
    }
    if sgs:
        doc["SecurityGroups"] = sgs
    txn.put(LBS, k, doc)
    txn.put(LB_NAMES, key(account, region, name.lower()), {"id": lb_id})
    txn.publish(TOPIC, {"key": k})
    return doc


def public(doc: Doc) -> Doc:
    """The LoadBalancer shape of a stored document."""
    return {k: v for k, v in doc.items() if k[0].isupper() and k not in ("LocalName", "Address")}


def describe(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    arn_list = p.get("LoadBalancerArns") or []
    name_list = p.get("Names") or []
    if arn_list and name_list:
        raise validation("Load balancer names and load balancer ARNs cannot be specified at the same time")
    prefix = f"{account}/{region}/"
    if arn_list:
        docs = [get(txn, a)[1] for a in arn_list]
    elif name_list:
        docs, missing = [], []
        for n in name_list:
            row = txn.get(LB_NAMES, key(account, region, n.lower()))
            doc = txn.get(LBS, key(account, region, row["id"])) if row else None
            if doc is None:
                missing.append(n)
            else:
                docs.append(doc)
        if missing:
            raise not_found(f"Load balancers '[{', '.join(missing)}]' not found")
    else:
        docs = [d for _, d in txn.scan(LBS, prefix)]
    docs.sort(key=lambda d: (d["CreatedTime"], d["id"]))
    page, marker = paging.page_items(docs, lambda d: d["id"] if not arn_list and not name_list else d["LoadBalancerArn"],
                                     listing=f"elbv2.lbs/{prefix}", token=p.get("Marker"), limit=p.get("PageSize"),
                                     default_limit=400, max_limit=400, ordered=False,
                                     filters={"a": arn_list, "n": name_list}, error=_bad_marker)
    return [public(d) for d in page], marker


def _bad_marker() -> AwsError:
    return validation("Invalid marker")


def delete(txn: Txn, lb_arn: str, drop_listeners: Any) -> None:
    """DeleteLoadBalancer: gone with its listeners and rules (`drop_listeners(txn, lb_key)`);
    succeeds for one that does not exist, refused while deletion protection is on."""
    try:
        k, doc = get(txn, lb_arn)
    except AwsError as e:
        if e.code == "LoadBalancerNotFound":
            return
        raise
    if doc["attributes"].get("deletion_protection.enabled") == "true":
        raise AwsError.modeled("elbv2", "OperationNotPermitted",
                               f"Load balancer '{lb_arn}' cannot be deleted because deletion protection is enabled")
    drop_listeners(txn, k)
    txn.delete(LBS, k)
    acct, region, _ = k.split("/")
    txn.delete(LB_NAMES, key(acct, region, doc["LoadBalancerName"].lower()))
    txn.delete(ADDRESSES, doc["Address"])
    txn.publish(TOPIC, {"key": k, "deleted": True})


def modify_attributes(txn: Txn, lb_arn: str, changes: list[Doc]) -> dict[str, str]:
    k, doc = get(txn, lb_arn)
    doc["attributes"] = attributes.apply(doc["attributes"], changes, "Load balancer")
    txn.put(LBS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return dict(doc["attributes"])


def set_state(txn: Txn, k: str, code: str) -> None:
    doc = txn.get(LBS, k)
    if doc is not None and doc["State"]["Code"] != code:
        doc["State"] = {"Code": code}
        txn.put(LBS, k, doc)


def set_security_groups(txn: Txn, lb_arn: str, groups: list[str]) -> list[str]:
    k, doc = get(txn, lb_arn)
    for sg in groups:
        if not _SG.fullmatch(sg):
            raise AwsError.modeled("elbv2", "InvalidSecurityGroup", f"Invalid security group '{sg}'")
    doc["SecurityGroups"] = list(groups)
    txn.put(LBS, k, doc)
    return list(groups)


def set_subnets(txn: Txn, lb_arn: str, p: Doc) -> list[Doc]:
    k, doc = get(txn, lb_arn)
    zones = _zones(k.split("/")[1], p, doc["Type"])
    doc["AvailabilityZones"] = zones
    txn.put(LBS, k, doc)
    return zones


def set_ip_address_type(txn: Txn, lb_arn: str, ip_type: str) -> str:
    k, doc = get(txn, lb_arn)
    doc["IpAddressType"] = ip_type
    txn.put(LBS, k, doc)
    return ip_type
