"""Resolver configs: per VPC, whether Resolver defines reverse (PTR) names for the VPC's
addresses itself (AutodefinedReverse; AWS's default ENABLED). Regional, like the firewall's
configs; a VPC id is accepted when it looks like one (gureum has no VPCs).

Table:
- route53resolver.configs: "{account}/{region}/{vpc id}" -> ResolverConfig as AWS shows it;
  a VPC without a row has the default (ENABLED), and ListResolverConfigs lists the rows.

gureum has no VPC address ranges to define reverse names for, so the setting is stored and
returned and changes no answer (as FirewallFailOpen changes none). There is nothing to
propagate, so an update is complete at once: the state is ENABLED / DISABLED /
USE_LOCAL_RESOURCE_SETTING, never the ENABLING / DISABLING AWS shows while it works."""

from __future__ import annotations

import hashlib
from typing import Any

from gureum.aws import paging
from gureum.services.route53resolver import model
from gureum.store import Txn

CONFIGS = "route53resolver.configs"
TABLES = (CONFIGS,)
STATES = {"ENABLE": "ENABLED", "DISABLE": "DISABLED", "USE_LOCAL_RESOURCE_SETTING": "USE_LOCAL_RESOURCE_SETTING"}
Doc = dict[str, Any]


def _key(account: str, region: str, vpc: str) -> str:
    return f"{account}/{region}/{vpc}"


def get(txn: Txn, account: str, region: str, vpc: str) -> Doc:
    if not model.VPC.match(vpc):
        raise model.err("ResourceNotFoundException", f"[RSLVR-01500] Can't find VPC {vpc}.", ResourceType="VPC")
    doc = txn.get(CONFIGS, _key(account, region, vpc))
    if doc is not None:
        return dict(doc)
    rid = "rslvr-rc-" + hashlib.sha256(f"{account}/{region}/{vpc}".encode()).hexdigest()[:16]
    return {"Id": rid, "ResourceId": vpc, "OwnerId": account, "AutodefinedReverse": "ENABLED"}


def update(txn: Txn, account: str, region: str, vpc: str, flag: str) -> Doc:
    doc = dict(get(txn, account, region, vpc), AutodefinedReverse=STATES[flag])
    txn.put(CONFIGS, _key(account, region, vpc), doc)
    return doc


def list_configs(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, CONFIGS, f"{account}/{region}/", token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [d for _, d in rows], nxt
