"""Route 53 query logging: the configurations (API) and the logger the DNS server feeds.

  route53.querylog {account}/{config id}  {"Id","HostedZoneId","CloudWatchLogsLogGroupArn"}

One configuration per hosted zone, to a CloudWatch Logs group in us-east-1 that must exist.
Changes publish "querylog" events on model.EVENT_TOPIC. The DNS server's `QueryLogger`
takes one tuple per answered query on the hot path (no formatting, no I/O) and, every
flush interval, formats Route 53's lines and hands them to the logs service's LogWriter
(one batched store transaction), one stream per zone and edge location:

  1.0 2017-12-13T08:16:02.130Z Z123 example.com A NOERROR UDP GUR1 192.0.2.1 -
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import dns.rcode
import dns.rdatatype

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53 import engine as engine_mod
from gureum.services.route53 import model, paging
from gureum.store import Txn

QUERYLOG = "route53.querylog"
EDGE = "GUR1"  # the "edge location" of this gureum node in log lines and stream names
MAX_BUFFER = 200_000  # queries kept between flushes (beyond that, lines are dropped)


class NoSuchCloudWatchLogsLogGroup(AwsError):
    code, status = "NoSuchCloudWatchLogsLogGroup", 404
    message = "There is no CloudWatch Logs log group with the specified ARN."


class QueryLoggingConfigAlreadyExists(AwsError):
    code, status = "QueryLoggingConfigAlreadyExists", 409


class NoSuchQueryLoggingConfig(AwsError):
    code, status = "NoSuchQueryLoggingConfig", 404
    message = "There is no DNS query logging configuration with the specified ID."


def _parse_arn(arn: str) -> tuple[str, str, str]:
    """arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*] → (region, account, name)."""
    try:
        return arns.logs_group_parts(arn)
    except arns.BadArn:
        raise AwsError.modeled(
            "route53", "InvalidInput", f"The ARN for the CloudWatch Logs log group is invalid: {arn}"
        ) from None


def create(txn: Txn, account: str, zone_id: str, arn: str) -> dict:
    zone = model.get_zone(txn, account, zone_id)
    zid = model.bare_id(zone["Id"])
    if zone["Config"].get("PrivateZone"):
        raise AwsError.modeled("route53", "InvalidInput", "Query logging is not supported for private hosted zones.")
    region, arn_account, group = _parse_arn(arn)
    if region != "us-east-1":
        raise AwsError.modeled(
            "route53", "InvalidInput", "The CloudWatch Logs log group must be in the us-east-1 region."
        )
    from gureum.services.logs import port as logs  # the Logs model: only when a config is made

    if not logs.group_exists(txn, arn_account, region, group):
        raise NoSuchCloudWatchLogsLogGroup()
    if any(d["HostedZoneId"] == zid for _k, d in txn.scan(QUERYLOG, f"{account}/")):
        raise QueryLoggingConfigAlreadyExists(message=f"A query logging configuration already exists for the hosted zone {zid}.")
    cid = str(uuid.uuid4())
    doc = {"Id": cid, "HostedZoneId": zid, "CloudWatchLogsLogGroupArn": arn}
    txn.put(QUERYLOG, f"{account}/{cid}", doc)
    txn.publish(model.EVENT_TOPIC, {"kind": "querylog", "config": doc, "target": [arn_account, region, group]})
    return doc


def get(txn: Txn, account: str, cid: str) -> dict:
    doc = txn.get(QUERYLOG, f"{account}/{cid}")
    if doc is None:
        raise NoSuchQueryLoggingConfig()
    return doc


def delete(txn: Txn, account: str, cid: str) -> None:
    doc = get(txn, account, cid)
    txn.delete(QUERYLOG, f"{account}/{cid}")
    txn.publish(model.EVENT_TOPIC, {"kind": "querylog-deleted", "zone_id": doc["HostedZoneId"]})


def load_all(txn: Txn) -> list[dict]:
    return [doc for _k, doc in txn.scan(QUERYLOG)]


class QueryLogger:
    """Buffers answered queries and writes Route 53's log lines in batches. `writer` gives
    the log writer (`app.logs`), asked for on the first flush with lines: a server whose
    zones log no queries starts no writer."""

    def __init__(self, engine: engine_mod.Engine, writer: Callable[[], Any], interval: float = 1.0) -> None:
        self.engine = engine
        self.writer = writer
        self.interval = interval
        self.targets: dict[str, tuple[str, str, str]] = {}  # zone id → (account, region, group)
        self._buf: list[tuple] = []

    def configure(self, zone_id: str, target: tuple[str, str, str] | None) -> None:
        if target is None:
            self.targets.pop(zone_id, None)
        else:
            self.targets[zone_id] = target
        self.engine.query_log = self.record if self.targets else None
        self.engine.index.generation += 1  # answers served natively (native_dns.py) come back to Python

    def record(self, zone_id: str, question: bytes, rcode: int, tcp: bool, client: str, ecs: bytes | None) -> None:
        """The hot path: one tuple appended."""
        if zone_id in self.targets and len(self._buf) < MAX_BUFFER:
            self._buf.append((time.time(), zone_id, question, rcode, tcp, client, ecs))

    def lines(self) -> dict[tuple, list[tuple[int, str]]]:
        batch, self._buf = self._buf, []
        out: dict[tuple, list[tuple[int, str]]] = {}
        for ts, zone_id, question, rcode, tcp, client, ecs in batch:
            target = self.targets.get(zone_id)
            if target is None:
                continue
            labels, j = [], 0
            while question[j]:
                labels.append(question[j + 1 : j + 1 + question[j]].decode("ascii", "replace"))
                j += question[j] + 1
            qtype = question[j + 1] << 8 | question[j + 2]
            when = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"
            subnet = "-"
            if ecs:
                addr = engine_mod.ecs_address(ecs)
                subnet = f"{addr}/{ecs[2]}" if addr else "-"
            line = (f"1.0 {when} {zone_id} {'.'.join(labels).lower() or '.'} {dns.rdatatype.to_text(qtype)} "
                    f"{dns.rcode.to_text(rcode)} {'TCP' if tcp else 'UDP'} {EDGE} {client} {subnet}")
            out.setdefault((*target, f"{zone_id}/{EDGE}"), []).append((int(ts * 1000), line))
        return out

    def flush(self) -> None:
        """Hand the buffered lines to the log writer (every `interval` seconds: server.run)."""
        for (account, region, group, stream), events in self.lines().items():
            self.writer().append(account, region, group, stream, events)


# --- handlers ----------------------------------------------------------------------------------
@operation("route53", "CreateQueryLoggingConfig")
async def create_query_logging_config(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: create(txn, ctx.account_id, params["HostedZoneId"], params["CloudWatchLogsLogGroupArn"]))
    return {"QueryLoggingConfig": doc, "Location": f"https://route53.amazonaws.com/2013-04-01/queryloggingconfig/{doc['Id']}"}


@operation("route53", "GetQueryLoggingConfig")
async def get_query_logging_config(ctx: RequestContext, params: dict) -> dict:
    return {"QueryLoggingConfig": await ctx.app.store.read(lambda txn: get(txn, ctx.account_id, params["Id"]))}


@operation("route53", "DeleteQueryLoggingConfig")
async def delete_query_logging_config(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: delete(txn, ctx.account_id, params["Id"]))
    return {}


@operation("route53", "ListQueryLoggingConfigs")
async def list_query_logging_configs(ctx: RequestContext, params: dict) -> dict:
    def read(txn: Txn) -> list[dict]:
        zid = params.get("HostedZoneId")
        if zid:
            model.get_zone(txn, ctx.account_id, zid)
        docs = [d for _k, d in txn.scan(QUERYLOG, f"{ctx.account_id}/")]
        return [d for d in docs if not zid or d["HostedZoneId"] == model.bare_id(zid)]

    docs = sorted(await ctx.app.store.read(read), key=lambda d: d["Id"])
    page, token, _ = paging.page(docs, lambda d: d["Id"], f"{QUERYLOG}/{ctx.account_id}/", params, code="InvalidPaginationToken",
                                 filters={"HostedZoneId": params.get("HostedZoneId")})
    out: dict[str, Any] = {"QueryLoggingConfigs": page}
    if token:
        out["NextToken"] = token
    return out
