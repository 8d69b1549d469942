"""DNS Firewall's control plane: domain lists, rule groups, rules, rule group associations
and firewall configs, with AWS's rules. Regional: keys start with "{account}/{region}/".

Tables:
- route53resolver.fw_lists: "{account}/{region}/{list id}" -> FirewallDomainList fields,
  "Domains" (normalized: lower case, trailing dot; "*." prefixes kept) and "tags".
- route53resolver.fw_groups: "{account}/{region}/{group id}" -> FirewallRuleGroup fields, "tags".
- route53resolver.fw_rules: "{account}/{region}/{group id}/{list id}" -> FirewallRule (a list
  is in a group at most once, as AWS identifies a rule by the pair).
- route53resolver.fw_assocs: "{account}/{region}/{association id}" -> FirewallRuleGroupAssociation.
- route53resolver.fw_configs: "{account}/{region}/{vpc id}" -> FirewallConfig.

Invariants: a rule's priority is unique in its group, an association's in its VPC; a list
used by a rule, or a group with associations, cannot be deleted. Every change publishes
"route53resolver.rules" (the resolvers reload their firewall and empty their caches)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.services.route53resolver import model
from gureum.services.route53resolver.fwdecide import Rule, compile_rule
from gureum.store import Txn

LISTS = "route53resolver.fw_lists"
GROUPS = "route53resolver.fw_groups"
RULES = "route53resolver.fw_rules"
ASSOCS = "route53resolver.fw_assocs"
CONFIGS = "route53resolver.fw_configs"
TABLES = (LISTS, GROUPS, RULES, ASSOCS, CONFIGS)
MAX_DOMAINS = 100_000
DOMAIN = re.compile(r"^(\*\.?|(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?)$")
Doc = dict[str, Any]
err = model.err


def _scope(account: str, region: str) -> str:
    return f"{account}/{region}/"


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(9)[:17]


def _public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("tags", "Domains")}


def _changed(txn: Txn) -> None:
    txn.publish(model.TOPIC, {"firewall": True})


def _not_found(kind: str, rid: str) -> Any:
    return err("ResourceNotFoundException", f"[RSLVR-01101] Can't find {kind} with ID {rid}.", ResourceType=kind)


def _creq(txn: Txn, account: str, region: str, kind: str, creq: str) -> None:
    model._idempotent(txn, account, region, kind, creq)
    txn.put(model.REQUESTS, f"{_scope(account, region)}{kind}/{creq}", {"Id": kind})


def normalize_domains(domains: list[str]) -> list[str]:
    out = []
    for d in domains:
        text = d.strip().lower()
        if not text or len(text) > 255 or not DOMAIN.match(text):
            raise err("ValidationException", f"[RSLVR-01200] The domain {d} is not valid.")
        out.append(text if text.endswith(".") else text + ".")
    return out


# --- domain lists -----------------------------------------------------------------------------
def create_list(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    _creq(txn, account, region, "fw-list", p["CreatorRequestId"])
    lid = _id("rslvr-fdl-")
    stamp = model.now_text()
    doc = {"Id": lid, "Arn": arns.route53resolver_firewall(region, account, "firewall-domain-list", lid), "Name": p["Name"],
           "DomainCount": 0, "Status": "COMPLETE", "StatusMessage": "Created Firewall Domain List",
           "CreatorRequestId": p["CreatorRequestId"], "CreationTime": stamp, "ModificationTime": stamp,
           "Domains": [], "tags": tags.check(tags.from_pairs(p.get("Tags")), model.TAG_RULES)}
    txn.put(LISTS, _scope(account, region) + lid, doc)
    return _public(doc)


def get_list(txn: Txn, account: str, region: str, lid: str) -> Doc:
    doc = txn.get(LISTS, _scope(account, region) + lid)
    if doc is None:
        raise _not_found("FirewallDomainList", lid)
    return doc


def update_domains(txn: Txn, account: str, region: str, lid: str, operation: str, domains: list[str]) -> Doc:
    doc = get_list(txn, account, region, lid)
    given = normalize_domains(domains)
    current = list(doc["Domains"])
    if operation == "ADD":
        seen = set(current)
        current += [d for d in given if not (d in seen or seen.add(d))]  # type: ignore[func-returns-value]
    elif operation == "REMOVE":
        gone = set(given)
        current = [d for d in current if d not in gone]
    else:  # REPLACE
        current = list(dict.fromkeys(given))
    if len(current) > MAX_DOMAINS:
        raise err("LimitExceededException", f"[RSLVR-01201] A domain list holds at most {MAX_DOMAINS} domains.", ResourceType="FirewallDomainList")
    doc.update(Domains=current, DomainCount=len(current), ModificationTime=model.now_text(), StatusMessage="Updated Firewall Domain List")
    txn.put(LISTS, _scope(account, region) + lid, doc)
    _changed(txn)
    return {"Id": lid, "Name": doc["Name"], "Status": "UPDATING", "StatusMessage": "Updating the Firewall Domain List"}


def list_domains(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[str], str | None]:
    doc = get_list(txn, account, region, p["FirewallDomainListId"])
    return paging.page_items(list(doc["Domains"]), lambda d: str(d), listing=f"{LISTS}/{doc['Id']}", token=p.get("NextToken"),
                             limit=p.get("MaxResults"), default_limit=100, max_limit=5000, ordered=False, error=model._bad_token)


def delete_list(txn: Txn, account: str, region: str, lid: str) -> Doc:
    doc = get_list(txn, account, region, lid)
    for _, r in txn.scan(RULES, _scope(account, region)):
        if r.get("FirewallDomainListId") == lid:
            raise err("ConflictException", f"[RSLVR-01102] Domain list {lid} is used by rule group {r['FirewallRuleGroupId']}.")
    txn.delete(LISTS, _scope(account, region) + lid)
    return dict(_public(doc), Status="DELETING")


def list_lists(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, LISTS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [{k: d[k] for k in ("Id", "Arn", "Name", "CreatorRequestId") if k in d} for _, d in rows], nxt


# --- rule groups and rules ----------------------------------------------------------------------
def create_group(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    _creq(txn, account, region, "fw-group", p["CreatorRequestId"])
    gid = _id("rslvr-frg-")
    stamp = model.now_text()
    doc = {"Id": gid, "Arn": arns.route53resolver_firewall(region, account, "firewall-rule-group", gid), "Name": p["Name"],
           "RuleCount": 0, "Status": "COMPLETE", "StatusMessage": "Created Firewall Rule Group", "OwnerId": account,
           "CreatorRequestId": p["CreatorRequestId"], "ShareStatus": "NOT_SHARED", "CreationTime": stamp,
           "ModificationTime": stamp, "tags": tags.check(tags.from_pairs(p.get("Tags")), model.TAG_RULES)}
    txn.put(GROUPS, _scope(account, region) + gid, doc)
    return _public(doc)


def get_group(txn: Txn, account: str, region: str, gid: str) -> Doc:
    doc = txn.get(GROUPS, _scope(account, region) + gid)
    if doc is None:
        raise _not_found("FirewallRuleGroup", gid)
    return doc


def delete_group(txn: Txn, account: str, region: str, gid: str) -> Doc:
    doc = get_group(txn, account, region, gid)
    if any(a["FirewallRuleGroupId"] == gid for _, a in txn.scan(ASSOCS, _scope(account, region))):
        raise err("ConflictException", f"[RSLVR-01103] Rule group {gid} is associated with VPCs.")
    txn.delete_prefix(RULES, f"{_scope(account, region)}{gid}/")
    txn.delete(GROUPS, _scope(account, region) + gid)
    _changed(txn)
    return dict(_public(doc), Status="DELETING")


def list_groups(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, GROUPS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [{k: d[k] for k in ("Id", "Arn", "Name", "OwnerId", "CreatorRequestId", "ShareStatus")} for _, d in rows], nxt


def _check_action(p: Doc) -> None:
    action = p.get("Action")
    if action == "BLOCK":
        response = p.get("BlockResponse")
        if response is None:
            raise err("ValidationException", "[RSLVR-01300] BlockResponse is required for a BLOCK rule.")
        if response == "OVERRIDE" and not (p.get("BlockOverrideDomain") and p.get("BlockOverrideDnsType") and p.get("BlockOverrideTtl") is not None):
            raise err("ValidationException", "[RSLVR-01301] An OVERRIDE rule requires BlockOverrideDomain, BlockOverrideDnsType and BlockOverrideTtl.")
    elif any(p.get(k) is not None for k in ("BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl")):
        raise err("ValidationException", f"[RSLVR-01302] Block settings are only for BLOCK rules, not {action}.")


def create_rule(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    group = get_group(txn, account, region, p["FirewallRuleGroupId"])
    lid = p.get("FirewallDomainListId")
    if not lid:
        raise err("ValidationException", "[RSLVR-01303] FirewallDomainListId is required (DNS threat protection rules are not served).")
    get_list(txn, account, region, lid)
    _check_action(p)
    key = f"{_scope(account, region)}{group['Id']}/{lid}"
    if txn.get(RULES, key) is not None:
        raise err("ResourceExistsException", f"[RSLVR-01304] Rule group {group['Id']} already has a rule for list {lid}.", ResourceType="FirewallRule")
    for _, r in txn.scan(RULES, f"{_scope(account, region)}{group['Id']}/"):
        if r["Priority"] == p["Priority"]:
            raise err("ResourceExistsException", f"[RSLVR-01305] Priority {p['Priority']} is already used in rule group {group['Id']}.",
                      ResourceType="FirewallRule")
    model._idempotent(txn, account, region, "fw-rule", p["CreatorRequestId"])
    txn.put(model.REQUESTS, f"{_scope(account, region)}fw-rule/{p['CreatorRequestId']}", {"Id": key})
    stamp = model.now_text()
    doc = {k: p[k] for k in ("FirewallRuleGroupId", "FirewallDomainListId", "Name", "Priority", "Action", "BlockResponse",
                             "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl", "CreatorRequestId") if p.get(k) is not None}
    if doc.get("BlockOverrideDomain"):
        doc["BlockOverrideDomain"] = str(doc["BlockOverrideDomain"]).rstrip(".") + "."
    doc.update(CreationTime=stamp, ModificationTime=stamp)
    txn.put(RULES, key, doc)
    group.update(RuleCount=group["RuleCount"] + 1, ModificationTime=stamp)
    txn.put(GROUPS, _scope(account, region) + group["Id"], group)
    _changed(txn)
    return doc


def _rule(txn: Txn, account: str, region: str, gid: str, lid: str) -> tuple[str, Doc]:
    key = f"{_scope(account, region)}{gid}/{lid}"
    doc = txn.get(RULES, key)
    if doc is None:
        raise _not_found("FirewallRule", f"{gid}/{lid}")
    return key, doc


def update_rule(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    key, doc = _rule(txn, account, region, p["FirewallRuleGroupId"], p.get("FirewallDomainListId") or "")
    for k in ("Name", "Priority", "Action", "BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl"):
        if p.get(k) is not None:
            doc[k] = p[k]
    if doc.get("Action") != "BLOCK":
        for k in ("BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl"):
            doc.pop(k, None)
    _check_action(doc)
    doc["ModificationTime"] = model.now_text()
    txn.put(RULES, key, doc)
    _changed(txn)
    return doc


def delete_rule(txn: Txn, account: str, region: str, gid: str, lid: str) -> Doc:
    key, doc = _rule(txn, account, region, gid, lid)
    txn.delete(RULES, key)
    group = get_group(txn, account, region, gid)
    group.update(RuleCount=max(0, group["RuleCount"] - 1), ModificationTime=model.now_text())
    txn.put(GROUPS, _scope(account, region) + gid, group)
    _changed(txn)
    return doc


def list_rules(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    gid = p["FirewallRuleGroupId"]
    get_group(txn, account, region, gid)
    docs = [d for _, d in txn.scan(RULES, f"{_scope(account, region)}{gid}/")
            if (p.get("Priority") is None or d["Priority"] == p["Priority"]) and (p.get("Action") is None or d["Action"] == p["Action"])]
    docs.sort(key=lambda d: (int(d["Priority"]), str(d["FirewallDomainListId"])))
    return paging.page_items(docs, lambda d: (int(d["Priority"]), str(d["FirewallDomainListId"])), listing=f"{RULES}/{gid}",
                             token=p.get("NextToken"), limit=p.get("MaxResults"), default_limit=100, max_limit=100,
                             filters={"p": p.get("Priority"), "a": p.get("Action")}, error=model._bad_token)


# --- associations and configs ---------------------------------------------------------------
def associate(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    group = get_group(txn, account, region, p["FirewallRuleGroupId"])
    vpc = p["VpcId"]
    if not model.VPC.match(vpc):
        raise err("ValidationException", f"[RSLVR-01400] The VPC ID {vpc} is not valid.")
    priority = int(p["Priority"])
    if not 100 <= priority <= 9900:
        raise err("ValidationException", "[RSLVR-01401] Priority must be between 100 and 9900.")
    for _, a in txn.scan(ASSOCS, _scope(account, region)):
        if a["VpcId"] == vpc and (a["FirewallRuleGroupId"] == group["Id"] or a["Priority"] == priority):
            raise err("ConflictException", f"[RSLVR-01402] {vpc} already has rule group {a['FirewallRuleGroupId']} at priority {a['Priority']}.")
    _creq(txn, account, region, "fw-assoc", p["CreatorRequestId"])
    aid = _id("rslvr-frgassoc-")
    stamp = model.now_text()
    doc = {"Id": aid, "Arn": arns.route53resolver_firewall(region, account, "firewall-rule-group-association", aid),
           "FirewallRuleGroupId": group["Id"], "VpcId": vpc, "Name": p["Name"], "Priority": priority,
           "MutationProtection": p.get("MutationProtection") or "DISABLED", "Status": "COMPLETE",
           "StatusMessage": "Finished rule group association update", "CreatorRequestId": p["CreatorRequestId"],
           "CreationTime": stamp, "ModificationTime": stamp}
    txn.put(ASSOCS, _scope(account, region) + aid, doc)
    _changed(txn)
    return doc


def get_association(txn: Txn, account: str, region: str, aid: str) -> Doc:
    doc = txn.get(ASSOCS, _scope(account, region) + aid)
    if doc is None:
        raise _not_found("FirewallRuleGroupAssociation", aid)
    return doc


def disassociate(txn: Txn, account: str, region: str, aid: str) -> Doc:
    doc = get_association(txn, account, region, aid)
    if doc.get("MutationProtection") == "ENABLED":
        raise err("ValidationException", f"[RSLVR-01403] Association {aid} has mutation protection enabled.")
    txn.delete(ASSOCS, _scope(account, region) + aid)
    _changed(txn)
    return dict(doc, Status="DELETING")


def list_associations(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    docs = [d for _, d in txn.scan(ASSOCS, _scope(account, region))
            if all(p.get(k) is None or d.get(k) == p[k] for k in ("FirewallRuleGroupId", "VpcId", "Priority", "Status"))]
    return paging.page_items(docs, lambda d: str(d["Id"]), listing=f"{ASSOCS}/{account}/{region}", token=p.get("NextToken"),
                             limit=p.get("MaxResults"), default_limit=100, max_limit=100,
                             filters={k: p.get(k) for k in ("FirewallRuleGroupId", "VpcId", "Priority", "Status")}, error=model._bad_token)


def get_config(txn: Txn, account: str, region: str, vpc: str) -> Doc:
    if not model.VPC.match(vpc):
        raise err("ResourceNotFoundException", f"[RSLVR-01500] Can't find VPC {vpc}.", ResourceType="VPC")
    doc = txn.get(CONFIGS, _scope(account, region) + vpc)
    return doc or {"Id": "rslvr-fc-" + vpc[4:21].ljust(17, "0"), "ResourceId": vpc, "OwnerId": account, "FirewallFailOpen": "DISABLED"}


def update_config(txn: Txn, account: str, region: str, vpc: str, fail_open: str) -> Doc:
    doc = dict(get_config(txn, account, region, vpc), FirewallFailOpen=fail_open)
    txn.put(CONFIGS, _scope(account, region) + vpc, doc)
    _changed(txn)
    return doc


def list_configs(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, CONFIGS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [d for _, d in rows], nxt


# --- what the resolvers apply ---------------------------------------------------------------------
def compiled(txn: Txn) -> list[list[Rule]]:
    """Every associated rule group's rules (groups by association priority, rules by
    priority), node-wide."""
    assocs = sorted((a["Priority"], k.rsplit("/", 1)[0], a["FirewallRuleGroupId"]) for k, a in txn.scan(ASSOCS))
    out: list[list[Rule]] = []
    seen: set[tuple[str, str]] = set()
    for _, scope, gid in assocs:
        if (scope, gid) in seen:
            continue
        seen.add((scope, gid))
        rules = []
        for _, r in sorted(txn.scan(RULES, f"{scope}/{gid}/"), key=lambda kv: kv[1]["Priority"]):
            lst = txn.get(LISTS, f"{scope}/{r['FirewallDomainListId']}")
            if lst is not None:
                rules.append(compile_rule(r, list(lst["Domains"]), gid))
        out.append(rules)
    return out
