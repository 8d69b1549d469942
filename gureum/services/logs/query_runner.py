"""Runs an accepted Logs Insights query on this node (queries.py keeps its state): marks it
Running, reads the events of its groups and time range in one snapshot, evaluates the query
off the event loop (insights/evaluator.py) and writes the rows and statistics with status
Complete, unless a StopQuery came first. A query past AWS's 60 minutes ends as Timeout; one
that raises ends as Failed. At most `MAX_SCAN` events are read per query. A completed query's
record goes to the CloudWatch Logs destinations of INSIGHTS_QUERY_LOGS deliveries
(`deliver_query_log`; the stream is named by the delivery's id)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.logs import deliveries, queries
from gureum.services.logs.insights.discovery import service_fields
from gureum.services.logs.insights.evaluator import Record, Stamp, discover, run
from gureum.services.logs.insights.parser import Query
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.logs.insights")
MAX_SCAN = 1_000_000
TIMEOUT = 3600.0
LOG_TYPE = "INSIGHTS_QUERY_LOGS"


def records(account: str, events: list[tuple[str, str, str, dict[str, Any]]]) -> list[Record]:
    """The records of log events as Insights sees them (system fields and JSON fields)."""
    out: list[Record] = []
    for group, stream, key, ev in events:
        r: Record = discover(ev.get("x") or ev["m"])  # a transformed event's fields are its transformed version's
        r.update(service_fields(group, ev["m"]))
        r.update({"@timestamp": Stamp(ev["t"]), "@message": ev["m"], "@logStream": stream, "@log": f"{account}:{group}",
                  "@ingestionTime": Stamp(ev["i"]), "@ptr": queries.pointer(key)})
        out.append(r)
    return out


def evaluate(query: Query, account: str, events: list[tuple[str, str, str, dict[str, Any]]],
             limit: int | None) -> tuple[list[list[dict[str, str]]], dict[str, float]]:
    result = run(query, records(account, events), limit)
    stats = {"recordsMatched": float(result.matched), "recordsScanned": float(len(events)),
             "bytesScanned": float(sum(len(ev["m"].encode()) for _, _, _, ev in events)),
             "logGroupsScanned": float(len({g for g, _, _, _ in events}))}
    return [[{"field": f, "value": v} for f, v in row] for row in result.rows], stats


async def execute(app: App, account: str, region: str, qid: str) -> None:
    def begin(txn: Txn) -> dict[str, Any] | None:
        if not queries.set_status(txn, account, region, qid, "Running", only_if=("Scheduled",)):
            return None
        return queries.get(txn, account, region, qid)

    doc = await app.store.run(begin)
    if doc is None:
        return
    try:
        rows, stats = await asyncio.wait_for(_evaluate(app, account, region, doc), TIMEOUT)
    except asyncio.TimeoutError:
        await app.store.run(lambda t: queries.set_status(t, account, region, qid, "Timeout", only_if=("Running",)))
        return
    except Exception:
        log.exception("query %s failed", qid)
        await app.store.run(lambda t: queries.set_status(t, account, region, qid, "Failed", only_if=("Running",)))
        return
    if await app.store.run(lambda t: queries.set_status(t, account, region, qid, "Complete", only_if=("Running",),
                                                        statistics=stats, rows=rows)):
        await deliver_query_log(app, account, region, {**doc, "status": "Complete", "statistics": stats})


def query_log_record(doc: dict[str, Any], source: dict[str, Any], fields: list[str] | None, now_ms: int) -> dict[str, Any]:
    """The INSIGHTS_QUERY_LOGS record of an ended query (restricted to a delivery's recordFields)."""
    record: dict[str, Any] = {
        "event_timestamp": now_ms, "resource_arn": source["resourceArns"][0], "log_type": LOG_TYPE,
        "event": {"queryId": doc["queryId"], "queryString": doc["queryString"], "queryLanguage": doc["queryLanguage"],
                  "status": doc["status"], "logGroupNames": doc["logGroups"], "startTime": doc["startTime"],
                  "endTime": doc["endTime"], "createTime": doc["createTime"], "statistics": doc["statistics"]},
    }
    if fields:
        record = {k: v for k, v in record.items() if k in fields}
    return record


async def deliver_query_log(app: App, account: str, region: str, doc: dict[str, Any]) -> int:
    """Write the query's record to each CloudWatch Logs destination of an INSIGHTS_QUERY_LOGS
    delivery (S3 and Firehose destinations are stored only: see deliveries.py); how many."""
    def read(txn: Txn) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        out = []
        for delivery, dest in deliveries.targets(txn, account, region, LOG_TYPE):
            source = deliveries.get_source(txn, account, region, delivery["deliverySourceName"])
            out.append((delivery, dest, source))
        return out

    sent = 0
    now = int(time.time() * 1000)
    for delivery, dest, source in await app.store.read(read):
        if dest["deliveryDestinationType"] != "CWL":
            continue
        g_region, g_account, group = arns.logs_group_parts(dest["deliveryDestinationConfiguration"]["destinationResourceArn"])
        record = query_log_record(doc, source, delivery.get("recordFields"), now)
        app.logs.append(g_account, g_region, group, delivery["id"], [(now, json.dumps(record, separators=(",", ":")))])
        sent += 1
    return sent


async def _evaluate(app: App, account: str, region: str, doc: dict[str, Any]) -> tuple[list[list[dict[str, str]]], dict[str, float]]:
    query = queries.compile_query(doc["queryString"])
    events = await app.store.read(lambda t: queries.read_events(t, account, region, doc["logGroups"], doc["startTime"],
                                                                doc["endTime"], MAX_SCAN))
    return await asyncio.to_thread(evaluate, query, account, events, doc.get("limit"))
