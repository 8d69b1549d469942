"""Route 53 Resolver's control plane: resolver rules, their VPC associations, endpoints and
rule sharing, with AWS's rules. Regional: keys start with "{account}/{region}/".

Tables:
- route53resolver.rules: "{account}/{region}/{rule id}" -> ResolverRule fields and "tags".
- route53resolver.assocs: "{account}/{region}/{association id}" -> ResolverRuleAssociation.
- route53resolver.endpoints: "{account}/{region}/{endpoint id}" -> ResolverEndpoint fields,
  "IpAddresses" (IpAddressResponse list) and "tags".
- route53resolver.policies: "{account}/{region}/{rule id}" -> {"Policy": text} (sharing).
- route53resolver.requests: "{account}/{region}/{kind}/{CreatorRequestId}" -> {"Id"}.
- route53resolver.ips: "{ip}" -> {"Endpoint"} (an endpoint address is held once node-wide).

Invariants: a FORWARD rule names target IPs and an OUTBOUND endpoint; a SYSTEM rule names
neither; a rule with associations cannot be deleted, an endpoint used by a rule cannot
either; a VPC has at most one rule per domain name. Every change publishes
"route53resolver.rules" {} so the resolvers reload what applies (rules.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

RULES = "route53resolver.rules"
ASSOCS = "route53resolver.assocs"
ENDPOINTS = "route53resolver.endpoints"
POLICIES = "route53resolver.policies"
REQUESTS = "route53resolver.requests"
IPS = "route53resolver.ips"
TABLES = (RULES, ASSOCS, ENDPOINTS, POLICIES, REQUESTS, IPS)
TOPIC = "route53resolver.rules"
SVC = "route53resolver"
INBOUND_POOL = ipaddress.ip_network("127.53.0.0/16")  # addresses given to endpoint IPs without one
MAX_RULES = 1000
MAX_ASSOCS = 2000
VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled(SVC, "InvalidTagException", m),
                       too_many=lambda m: AwsError.modeled(SVC, "LimitExceededException", m))
Doc = dict[str, Any]


def err(code: str, message: str, **fields: Any) -> AwsError:
    return AwsError.modeled(SVC, code, message, **fields)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(9)[:17]


def _scope(account: str, region: str) -> str:
    return f"{account}/{region}/"


def _public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("tags", "IpAddresses")}


def _idempotent(txn: Txn, account: str, region: str, kind: str, creq: str) -> None:
    if txn.get(REQUESTS, f"{_scope(account, region)}{kind}/{creq}") is not None:
        raise err("ResourceExistsException", f"[RSLVR-00302] A resource with the CreatorRequestId {creq} already exists.",
                  ResourceType=kind)


def _normal_domain(name: str) -> str:
    text = name.strip().lower()
    if text in ("", "."):
        return "."
    text = text.rstrip(".") + "."
    labels = text[:-1].split(".")
    if len(text) > 256 or any(not label or len(label) > 63 for label in labels):
        raise err("InvalidParameterException", f"[RSLVR-00309] The domain name {name} is not valid.", FieldName="DomainName")
    return text


# --- endpoints --------------------------------------------------------------------------------
def _free_ip(txn: Txn) -> str:
    for n in range(1, INBOUND_POOL.num_addresses - 1):
        ip = str(INBOUND_POOL[n])
        if txn.get(IPS, ip) is None:
            return ip
    raise err("LimitExceededException", "[RSLVR-00401] No address is left for the endpoint.", ResourceType="IpAddress")


def create_endpoint(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    _idempotent(txn, account, region, "endpoint", p["CreatorRequestId"])
    ips = p["IpAddresses"]
    if len(ips) < 2 or len(ips) > 6:
        raise err("InvalidRequestException", "[RSLVR-00416] An endpoint must have between 2 and 6 IP addresses.")
    if not p["SecurityGroupIds"]:
        raise err("InvalidParameterException", "[RSLVR-00418] At least one security group is required.", FieldName="SecurityGroupIds")
    direction = p["Direction"]
    eid = _id("rslvr-in-" if direction == "INBOUND" else "rslvr-out-")
    stamp = now_text()
    out: list[Doc] = []
    for req in ips:
        subnet = req["SubnetId"]
        if not SUBNET.match(subnet):
            raise err("InvalidParameterException", f"[RSLVR-00413] The subnet ID {subnet} is not valid.", FieldName="SubnetId")
        ip = req.get("Ip")
        if ip is not None:
            try:
                ipaddress.IPv4Address(ip)
            except ValueError:
                raise err("InvalidParameterException", f"[RSLVR-00410] The IP address {ip} is not valid.", FieldName="Ip") from None
            if txn.get(IPS, ip) is not None or ip in [o["Ip"] for o in out]:
                raise err("ResourceExistsException", f"[RSLVR-00402] The IP address {ip} is already in use.", ResourceType="IpAddress")
        else:
            ip = _free_ip(txn)
        txn.put(IPS, ip, {"Endpoint": eid, "Account": account, "Direction": direction})
        out.append({"IpId": _id("rni-"), "SubnetId": subnet, "Ip": ip, "Status": "ATTACHED",
                    "StatusMessage": "This IP address is operational.", "CreationTime": stamp, "ModificationTime": stamp})
    subnet0 = ips[0]["SubnetId"]
    doc = {
        "Id": eid, "CreatorRequestId": p["CreatorRequestId"], "Arn": arns.route53resolver_endpoint(region, account, eid),
        "Name": p.get("Name") or "", "SecurityGroupIds": list(p["SecurityGroupIds"]), "Direction": direction,
        "IpAddressCount": len(out), "HostVPCId": "vpc-" + hashlib.sha256(subnet0.encode()).hexdigest()[:17],
        "Status": "OPERATIONAL", "StatusMessage": "This Resolver Endpoint is operational.",
        "CreationTime": stamp, "ModificationTime": stamp, "ResolverEndpointType": p.get("ResolverEndpointType") or "IPV4",
        "Protocols": list(p.get("Protocols") or ["Do53"]), "IpAddresses": out,
        "tags": tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES),
    }
    txn.put(ENDPOINTS, _scope(account, region) + eid, doc)
    txn.put(REQUESTS, f"{_scope(account, region)}endpoint/{p['CreatorRequestId']}", {"Id": eid})
    txn.publish(TOPIC, {"endpoint": eid, "inbound": [o["Ip"] for o in out] if direction == "INBOUND" else []})
    return _public(doc)


def get_endpoint(txn: Txn, account: str, region: str, eid: str) -> Doc:
    doc = txn.get(ENDPOINTS, _scope(account, region) + eid)
    if doc is None:
        raise err("ResourceNotFoundException", f"[RSLVR-00404] Can't find endpoint with ID {eid}.", ResourceType="ResolverEndpoint")
    return doc


def delete_endpoint(txn: Txn, account: str, region: str, eid: str) -> Doc:
    doc = get_endpoint(txn, account, region, eid)
    for _, r in txn.scan(RULES, _scope(account, region)):
        if r.get("ResolverEndpointId") == eid:
            raise err("InvalidRequestException", f"[RSLVR-00419] Cannot delete endpoint {eid}: rule {r['Id']} uses it.")
    for ip in doc["IpAddresses"]:
        txn.delete(IPS, ip["Ip"])
    txn.delete(ENDPOINTS, _scope(account, region) + eid)
    txn.publish(TOPIC, {"endpoint": eid})
    return dict(_public(doc), Status="DELETING", StatusMessage="The Resolver Endpoint is being deleted.")


def list_endpoints(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, ENDPOINTS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=10, max_limit=100, error=_bad_token)
    return [_public(d) for _, d in rows], nxt


def endpoint_ips(txn: Txn, account: str, region: str, eid: str) -> list[Doc]:
    return list(get_endpoint(txn, account, region, eid)["IpAddresses"])


def inbound_addresses(txn: Txn) -> list[str]:
    """Every INBOUND endpoint address, node-wide (the resolver listens on those the host has)."""
    return [ip for ip, d in txn.scan(IPS) if d.get("Direction") == "INBOUND"]


def _bad_token() -> AwsError:
    return err("InvalidNextTokenException", "[RSLVR-00102] The value for NextToken is not valid.")


# --- rules ------------------------------------------------------------------------------------
def _targets(targets: list[Doc]) -> list[Doc]:
    out = []
    for t in targets:
        ip = t.get("Ip") or t.get("Ipv6")
        if not ip:
            raise err("InvalidParameterException", "[RSLVR-00310] A target needs Ip or Ipv6.", FieldName="TargetIps")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise err("InvalidParameterException", f"[RSLVR-00310] The target IP {ip} is not valid.", FieldName="TargetIps") from None
        out.append({k: v for k, v in {"Ip": t.get("Ip"), "Ipv6": t.get("Ipv6"), "Port": int(t.get("Port") or 53),
                                      "Protocol": t.get("Protocol") or "Do53"}.items() if v is not None})
    return out


def _check_forward(txn: Txn, account: str, region: str, targets: list[Doc] | None, endpoint_id: str | None) -> None:
    if not targets:
        raise err("InvalidRequestException", "[RSLVR-00303] A FORWARD rule requires TargetIps.")
    if not endpoint_id:
        raise err("InvalidRequestException", "[RSLVR-00304] A FORWARD rule requires an outbound ResolverEndpointId.")
    ep = get_endpoint(txn, account, region, endpoint_id)
    if ep["Direction"] != "OUTBOUND":
        raise err("InvalidRequestException", f"[RSLVR-00305] Endpoint {endpoint_id} is not an OUTBOUND endpoint.")


def create_rule(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    _idempotent(txn, account, region, "rule", p["CreatorRequestId"])
    kind = p["RuleType"]
    if kind == "RECURSIVE":
        raise err("InvalidRequestException", "[RSLVR-00306] RECURSIVE rules are defined by Route 53 Resolver.")
    if not p.get("DomainName"):
        raise err("InvalidRequestException", "[RSLVR-00307] DomainName is required.")
    domain = _normal_domain(p["DomainName"])
    targets = _targets(p.get("TargetIps") or [])
    if kind == "FORWARD":
        _check_forward(txn, account, region, targets, p.get("ResolverEndpointId"))
    elif targets or p.get("ResolverEndpointId"):
        raise err("InvalidRequestException", "[RSLVR-00308] A SYSTEM rule takes no TargetIps and no ResolverEndpointId.")
    if txn.count(RULES, _scope(account, region)) >= MAX_RULES:
        raise err("LimitExceededException", f"[RSLVR-00501] Account has reached the limit of {MAX_RULES} rules.", ResourceType="ResolverRule")
    rid = _id("rslvr-rr-")
    stamp = now_text()
    doc: Doc = {
        "Id": rid, "CreatorRequestId": p["CreatorRequestId"], "Arn": arns.route53resolver_rule(region, account, rid),
        "DomainName": domain, "Status": "COMPLETE", "StatusMessage": "[Trace id: %s] Successfully created Resolver Rule." % secrets.token_hex(8),
        "RuleType": kind, "Name": p.get("Name") or "", "OwnerId": account, "ShareStatus": "NOT_SHARED",
        "CreationTime": stamp, "ModificationTime": stamp, "tags": tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES),
    }
    if targets:
        doc["TargetIps"] = targets
    if p.get("ResolverEndpointId"):
        doc["ResolverEndpointId"] = p["ResolverEndpointId"]
    txn.put(RULES, _scope(account, region) + rid, doc)
    txn.put(REQUESTS, f"{_scope(account, region)}rule/{p['CreatorRequestId']}", {"Id": rid})
    txn.publish(TOPIC, {"rule": rid})
    return _public(doc)


def get_rule(txn: Txn, account: str, region: str, rid: str) -> Doc:
    doc = txn.get(RULES, _scope(account, region) + rid)
    if doc is None:
        raise err("ResourceNotFoundException", f'[RSLVR-00703] Resolver rule with ID "{rid}" does not exist.', ResourceType="ResolverRule")
    return doc


def update_rule(txn: Txn, account: str, region: str, rid: str, config: Doc) -> Doc:
    doc = get_rule(txn, account, region, rid)
    if config.get("Name") is not None:
        doc["Name"] = config["Name"]
    if doc["RuleType"] != "FORWARD" and (config.get("TargetIps") or config.get("ResolverEndpointId")):
        raise err("InvalidRequestException", "[RSLVR-00308] Only FORWARD rules have TargetIps and a ResolverEndpointId.")
    if config.get("TargetIps") is not None:
        doc["TargetIps"] = _targets(config["TargetIps"])
    if config.get("ResolverEndpointId") is not None:
        doc["ResolverEndpointId"] = config["ResolverEndpointId"]
    if doc["RuleType"] == "FORWARD":
        _check_forward(txn, account, region, doc.get("TargetIps"), doc.get("ResolverEndpointId"))
    doc["ModificationTime"] = now_text()
    txn.put(RULES, _scope(account, region) + rid, doc)
    txn.publish(TOPIC, {"rule": rid})
    return _public(doc)


def delete_rule(txn: Txn, account: str, region: str, rid: str) -> Doc:
    doc = get_rule(txn, account, region, rid)
    if any(a["ResolverRuleId"] == rid for _, a in txn.scan(ASSOCS, _scope(account, region))):
        raise err("ResourceInUseException", f"[RSLVR-00705] Cannot delete resolver rule {rid}: it is associated with VPCs.",
                  ResourceType="ResolverRule")
    txn.delete(RULES, _scope(account, region) + rid)
    txn.delete(POLICIES, _scope(account, region) + rid)
    txn.publish(TOPIC, {"rule": rid})
    return dict(_public(doc), Status="DELETING")


def _filtered(docs: list[Doc], filters: list[Doc] | None) -> list[Doc]:
    for f in filters or ():
        name, values = f.get("Name"), set(f.get("Values") or ())
        field = {"CreatorRequestId": "CreatorRequestId", "DomainName": "DomainName", "Name": "Name",
                 "ResolverEndpointId": "ResolverEndpointId", "Status": "Status", "Type": "RuleType",
                 "ResolverRuleId": "ResolverRuleId", "VPCId": "VPCId"}.get(str(name))
        if field is None:
            raise err("InvalidParameterException", f"[RSLVR-00101] The filter name {name} is not valid.", FieldName="Filters")
        if field == "DomainName":
            values = {v.rstrip(".").lower() + "." for v in values}
        docs = [d for d in docs if str(d.get(field)) in values]
    return docs


def list_rules(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    docs = _filtered([_public(d) for _, d in txn.scan(RULES, _scope(account, region))], p.get("Filters"))
    return paging.page_items(docs, lambda d: str(d["Id"]), listing=f"{RULES}/{account}/{region}", token=p.get("NextToken"),
                             limit=p.get("MaxResults"), default_limit=10, max_limit=100,
                             filters={"f": str(p.get("Filters"))}, error=_bad_token)


# --- associations -------------------------------------------------------------------------------
def associate(txn: Txn, account: str, region: str, rid: str, vpc: str, name: str | None) -> Doc:
    rule = get_rule(txn, account, region, rid)
    if not VPC.match(vpc):
        raise err("InvalidParameterException", f"[RSLVR-00709] The VPC ID {vpc} is not valid.", FieldName="VPCId")
    for _, a in txn.scan(ASSOCS, _scope(account, region)):
        if a["VPCId"] != vpc:
            continue
        if a["ResolverRuleId"] == rid:
            raise err("ResourceExistsException", f"[RSLVR-00801] The resolver rule {rid} is already associated with {vpc}.",
                      ResourceType="ResolverRuleAssociation")
        other = txn.get(RULES, _scope(account, region) + a["ResolverRuleId"])
        if other is not None and other["DomainName"] == rule["DomainName"]:
            raise err("InvalidRequestException", f"[RSLVR-00802] {vpc} already has rule {other['Id']} for {rule['DomainName']}.")
    if txn.count(ASSOCS, _scope(account, region)) >= MAX_ASSOCS:
        raise err("LimitExceededException", "[RSLVR-00503] Account has reached the limit of rule associations.",
                  ResourceType="ResolverRuleAssociation")
    aid = _id("rslvr-rrassoc-")
    doc = {"Id": aid, "ResolverRuleId": rid, "Name": name or "", "VPCId": vpc, "Status": "COMPLETE", "StatusMessage": ""}
    txn.put(ASSOCS, _scope(account, region) + aid, doc)
    txn.publish(TOPIC, {"association": aid})
    return doc


def disassociate(txn: Txn, account: str, region: str, rid: str, vpc: str) -> Doc:
    get_rule(txn, account, region, rid)
    for key, a in txn.scan(ASSOCS, _scope(account, region)):
        if a["ResolverRuleId"] == rid and a["VPCId"] == vpc:
            txn.delete(ASSOCS, key)
            txn.publish(TOPIC, {"association": a["Id"]})
            return dict(a, Status="DELETING")
    raise err("ResourceNotFoundException", f"[RSLVR-00805] The resolver rule {rid} is not associated with {vpc}.",
              ResourceType="ResolverRuleAssociation")


def get_association(txn: Txn, account: str, region: str, aid: str) -> Doc:
    doc = txn.get(ASSOCS, _scope(account, region) + aid)
    if doc is None:
        raise err("ResourceNotFoundException", f'[RSLVR-00806] Resolver rule association with ID "{aid}" does not exist.',
                  ResourceType="ResolverRuleAssociation")
    return doc


def list_associations(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    docs = _filtered([d for _, d in txn.scan(ASSOCS, _scope(account, region))], p.get("Filters"))
    return paging.page_items(docs, lambda d: str(d["Id"]), listing=f"{ASSOCS}/{account}/{region}", token=p.get("NextToken"),
                             limit=p.get("MaxResults"), default_limit=10, max_limit=100,
                             filters={"f": str(p.get("Filters"))}, error=_bad_token)


# --- sharing ------------------------------------------------------------------------------------
def _rule_of_arn(txn: Txn, account: str, region: str, arn: str) -> Doc:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != SVC or not parsed.resource.startswith("resolver-rule/"):
        raise err("InvalidParameterException", f"[RSLVR-00901] The ARN {arn} is not a resolver rule ARN.", FieldName="Arn")
    doc = txn.get(RULES, f"{parsed.account}/{parsed.region}/{parsed.resource.split('/', 1)[1]}")
    if doc is None or parsed.account != account:
        raise err("UnknownResourceException", f"[RSLVR-00902] The resolver rule {arn} does not exist.")
    return doc


def put_policy(txn: Txn, account: str, region: str, arn: str, policy: str) -> None:
    import json

    rule = _rule_of_arn(txn, account, region, arn)
    try:
        doc = json.loads(policy)
        if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list):
            raise ValueError
    except ValueError:
        raise err("InvalidPolicyDocument", "[RSLVR-00903] The policy document is not valid.") from None
    txn.put(POLICIES, _scope(account, region) + rule["Id"], {"Policy": policy})
    rule["ShareStatus"] = "SHARED_BY_ME"
    txn.put(RULES, _scope(account, region) + rule["Id"], rule)


def get_policy(txn: Txn, account: str, region: str, arn: str) -> str | None:
    rule = _rule_of_arn(txn, account, region, arn)
    doc = txn.get(POLICIES, _scope(account, region) + rule["Id"])
    return None if doc is None else str(doc["Policy"])


# --- tags ---------------------------------------------------------------------------------------
def _tagged(txn: Txn, account: str, region: str, arn: str) -> tuple[str, str, Doc]:
    parsed = arns.try_parse(arn)
    if parsed is not None and parsed.service == SVC and parsed.account == account and "/" in parsed.resource:
        kind, rid = parsed.resource.split("/", 1)
        table = {"resolver-rule": RULES, "resolver-endpoint": ENDPOINTS}.get(kind)
        if table is not None:
            key = f"{account}/{parsed.region}/{rid}"
            doc = txn.get(table, key)
            if doc is not None:
                return table, key, doc
    raise err("ResourceNotFoundException", f"[RSLVR-00908] Resource {arn} does not exist.", ResourceType="Resource")


def tag(txn: Txn, account: str, region: str, arn: str, pairs: list[Doc]) -> None:
    table, key, doc = _tagged(txn, account, region, arn)
    merged = dict(doc.get("tags") or {})
    merged.update(tags.from_pairs(pairs))
    doc["tags"] = tags.check(merged, TAG_RULES)
    txn.put(table, key, doc)


def untag(txn: Txn, account: str, region: str, arn: str, keys: list[str]) -> None:
    table, key, doc = _tagged(txn, account, region, arn)
    doc["tags"] = {k: v for k, v in (doc.get("tags") or {}).items() if k not in set(keys)}
    txn.put(table, key, doc)


def list_tags(txn: Txn, account: str, region: str, arn: str) -> list[Doc]:
    _, _, doc = _tagged(txn, account, region, arn)
    return [{"Key": k, "Value": v} for k, v in sorted((doc.get("tags") or {}).items())]


# --- what the resolvers apply -------------------------------------------------------------------
def applicable_rules(txn: Txn) -> list[Doc]:
    """Every rule associated with at least one VPC, in every account and region."""
    associated = {f"{k.rsplit('/', 1)[0]}/{a['ResolverRuleId']}" for k, a in txn.scan(ASSOCS)}
    return [d for k, d in txn.scan(RULES) if k in associated]
