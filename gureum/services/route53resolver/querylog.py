"""Resolver query logging: configurations and their VPC associations (API), and the logger
the resolver feeds, writing AWS's resolver query log records (JSON, one per query) into
CloudWatch Logs through the logs service's writer (app.logs), one stream per VPC.

Tables:
- route53resolver.ql_configs: "{account}/{region}/{config id}" -> ResolverQueryLogConfig.
- route53resolver.ql_assocs: "{account}/{region}/{association id}" -> ResolverQueryLogConfigAssociation.

The destination must be a CloudWatch Logs log group that exists (S3 and Firehose
destinations are refused: gureum writes query logs to CloudWatch Logs only). The resolver
serves the host, which is in every VPC: a query is logged once per association, under that
association's VPC id. While any association exists the resolver's byte cache is bypassed so
that every query is seen. Changes publish "route53resolver.rules" (the resolvers reload)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import dns.rcode
import dns.rdatatype

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.services.route53resolver import model
from gureum.services.route53resolver.cache import Answer
from gureum.store import Txn

CONFIGS = "route53resolver.ql_configs"
ASSOCS = "route53resolver.ql_assocs"
TABLES = (CONFIGS, ASSOCS)
MAX_BUFFER = 200_000
Doc = dict[str, Any]
err = model.err


def _scope(account: str, region: str) -> str:
    return f"{account}/{region}/"


def create_config(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    dest = p["DestinationArn"]
    parsed = arns.try_parse(dest)
    if parsed is None or parsed.service != "logs":
        raise err("InvalidParameterException", f"[RSLVR-00600] gureum writes query logs to CloudWatch Logs log groups only: {dest}",
                  FieldName="DestinationArn")
    try:
        g_region, g_account, group = arns.logs_group_parts(dest)
    except arns.BadArn:
        raise err("InvalidParameterException", f"[RSLVR-00601] The destination {dest} is not a log group ARN.", FieldName="DestinationArn") from None
    from gureum.services.logs import port as logs  # the Logs model: only when a config is made

    if g_account != account or g_region != region or not logs.group_exists(txn, g_account, g_region, group):
        raise err("ResourceNotFoundException", f"[RSLVR-00602] The log group {dest} does not exist.", ResourceType="LogGroup")
    model._idempotent(txn, account, region, "querylog", p["CreatorRequestId"])
    cid = model._id("rslvr-rqlc-")
    doc = {"Id": cid, "OwnerId": account, "Status": "CREATED", "ShareStatus": "NOT_SHARED", "AssociationCount": 0,
           "Arn": arns.build("route53resolver", region, account, f"resolver-query-log-config/{cid}"), "Name": p["Name"],
           "DestinationArn": dest, "CreatorRequestId": p["CreatorRequestId"], "CreationTime": model.now_text()}
    txn.put(CONFIGS, _scope(account, region) + cid, doc)
    txn.put(model.REQUESTS, f"{_scope(account, region)}querylog/{p['CreatorRequestId']}", {"Id": cid})
    return doc


def get_config(txn: Txn, account: str, region: str, cid: str) -> Doc:
    doc = txn.get(CONFIGS, _scope(account, region) + cid)
    if doc is None:
        raise err("ResourceNotFoundException", f"[RSLVR-00603] Can't find query log config {cid}.", ResourceType="ResolverQueryLogConfig")
    return doc


def delete_config(txn: Txn, account: str, region: str, cid: str) -> Doc:
    doc = get_config(txn, account, region, cid)
    if any(a["ResolverQueryLogConfigId"] == cid for _, a in txn.scan(ASSOCS, _scope(account, region))):
        raise err("InvalidRequestException", f"[RSLVR-00604] Query log config {cid} still has VPC associations.")
    txn.delete(CONFIGS, _scope(account, region) + cid)
    return dict(doc, Status="DELETING")


def list_configs(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, CONFIGS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [d for _, d in rows], nxt


def associate(txn: Txn, account: str, region: str, cid: str, vpc: str) -> Doc:
    config = get_config(txn, account, region, cid)
    if not model.VPC.match(vpc):
        raise err("InvalidParameterException", f"[RSLVR-00605] The VPC ID {vpc} is not valid.", FieldName="ResourceId")
    for _, a in txn.scan(ASSOCS, _scope(account, region)):
        if a["ResolverQueryLogConfigId"] == cid and a["ResourceId"] == vpc:
            raise err("ResourceExistsException", f"[RSLVR-00606] {vpc} is already associated with {cid}.",
                      ResourceType="ResolverQueryLogConfigAssociation")
    aid = model._id("rslvr-qlcassoc-")
    doc = {"Id": aid, "ResolverQueryLogConfigId": cid, "ResourceId": vpc, "Status": "ACTIVE", "Error": "NONE",
           "ErrorMessage": "", "CreationTime": model.now_text()}
    txn.put(ASSOCS, _scope(account, region) + aid, doc)
    config["AssociationCount"] += 1
    txn.put(CONFIGS, _scope(account, region) + cid, config)
    txn.publish(model.TOPIC, {"querylog": aid})
    return doc


def disassociate(txn: Txn, account: str, region: str, cid: str, vpc: str) -> Doc:
    config = get_config(txn, account, region, cid)
    for key, a in txn.scan(ASSOCS, _scope(account, region)):
        if a["ResolverQueryLogConfigId"] == cid and a["ResourceId"] == vpc:
            txn.delete(ASSOCS, key)
            config["AssociationCount"] = max(0, config["AssociationCount"] - 1)
            txn.put(CONFIGS, _scope(account, region) + cid, config)
            txn.publish(model.TOPIC, {"querylog": a["Id"]})
            return dict(a, Status="DELETING")
    raise err("ResourceNotFoundException", f"[RSLVR-00607] {vpc} is not associated with {cid}.",
              ResourceType="ResolverQueryLogConfigAssociation")


def get_association(txn: Txn, account: str, region: str, aid: str) -> Doc:
    doc = txn.get(ASSOCS, _scope(account, region) + aid)
    if doc is None:
        raise err("ResourceNotFoundException", f"[RSLVR-00608] Can't find association {aid}.", ResourceType="ResolverQueryLogConfigAssociation")
    return doc


def list_associations(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, ASSOCS, _scope(account, region), token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=100, max_limit=100, error=model._bad_token)
    return [d for _, d in rows], nxt


Target = tuple[str, str, str, str]  # (account, region, log group, VPC id)


def targets(txn: Txn) -> list[Target]:
    """Where each query is logged: one target per association, node-wide."""
    out = []
    for key, a in txn.scan(ASSOCS):
        account, region, _ = key.split("/", 2)
        config = txn.get(CONFIGS, f"{account}/{region}/{a['ResolverQueryLogConfigId']}")
        if config is not None:
            _, _, group = arns.logs_group_parts(config["DestinationArn"])
            out.append((account, region, group, a["ResourceId"]))
    return out


class QueryLogger:
    """Buffers answered queries (the hot path appends a tuple) and writes AWS's JSON records
    into the log writer at each flush. `writer` gives the log writer (`app.logs`), asked for
    on the first flush with records: a resolver that logs no queries starts no writer."""

    def __init__(self, writer: Callable[[], Any]) -> None:
        self.writer = writer
        self.targets: list[Target] = []
        self._buf: list[tuple[float, str, int, str, int, bool, Answer]] = []

    @property
    def on(self) -> bool:
        return bool(self.targets)

    def record(self, qname: str, qtype: int, client: str, port: int, tcp: bool, answer: Answer) -> None:
        if self.targets and len(self._buf) < MAX_BUFFER:
            self._buf.append((time.time(), qname, qtype, client, port, tcp, answer))

    def flush(self) -> None:
        batch, self._buf = self._buf, []
        if not batch or not self.targets:
            return
        out: dict[Target, list[tuple[int, str]]] = {}
        for ts, qname, qtype, client, port, tcp, answer in batch:
            when = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            answers = [{"Rdata": rd.to_text(), "Type": dns.rdatatype.to_text(rr.rdtype), "Class": "IN"}
                       for rr in answer.answer for rd in rr]
            for target in self.targets:
                account, region, _group, vpc = target
                record: Doc = {"version": "1.100000", "account_id": account, "region": region, "vpc_id": vpc,
                               "query_timestamp": when, "query_name": qname, "query_type": dns.rdatatype.to_text(dns.rdatatype.RdataType.make(qtype)),
                               "query_class": "IN", "rcode": dns.rcode.to_text(dns.rcode.Rcode.make(answer.rcode)),
                               "answers": answers, "srcaddr": client, "srcport": str(port),
                               "transport": "TCP" if tcp else "UDP", "srcids": {}}
                if answer.firewall:
                    record.update(answer.firewall)
                out.setdefault(target, []).append((int(ts * 1000), json.dumps(record, separators=(",", ":"))))
        for (account, region, group, vpc), events in out.items():
            self.writer().append(account, region, group, vpc, events)
