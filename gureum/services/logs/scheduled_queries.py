"""Scheduled queries: Logs Insights queries run on a schedule (CreateScheduledQuery,
GetScheduledQuery, ListScheduledQueries, UpdateScheduledQuery, DeleteScheduledQuery,
GetScheduledQueryHistory), and the node component that runs them.

Store table: logs.scheduled_queries "<acct>/<region>/<name>" -> the scheduled query as
GetScheduledQuery shows it, plus "tags", "lastMinute" (the UTC minute it last fired, epoch
seconds) and "history" (its last HISTORY runs, newest last: queryId, executionStatus,
triggeredTimestamp, destinations, errorMessage).

Every `scheduled_query_interval` seconds the component claims, in one transaction, the
enabled queries whose schedule (cron.py) fires in the current minute and that have not
fired in it (so several nodes run each firing once), starts each as an ordinary Insights
query over [fire time - startTimeOffset, fire time - endTimeOffset] (defaults 300 s and 0),
runs it (query_runner.py) and records its status. A lookupTableConfiguration destination
gets the results as a lookup table (lookup_tables.py); an S3 destination is reported FAILED:
gureum's S3 offers no port to write objects from another service. Only the CWLI language
runs: SQL and PPL are refused with ValidationException.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from gureum import periodic
from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.logs import cron, lookup_tables, model, queries, query_runner
from gureum.services.logs.insights.lexer import QueryError
from gureum.services.logs.insights.parser import parse_query
from gureum.services.logs.settings import LogsSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.logs.scheduled")
TABLE = "logs.scheduled_queries"
HISTORY = 100
DEFAULT_START_OFFSET = 300
VIEW_KEYS = ("scheduledQueryArn", "name", "description", "queryLanguage", "queryString", "logGroupIdentifiers",
             "scheduleExpression", "timezone", "startTimeOffset", "endTimeOffset", "destinationConfiguration", "state",
             "scheduleType", "lastTriggeredTime", "lastExecutionStatus", "scheduleStartTime", "scheduleEndTime",
             "executionRoleArn", "creationTime", "lastUpdatedTime")
SUMMARY_KEYS = ("scheduledQueryArn", "name", "state", "scheduleType", "lastTriggeredTime", "lastExecutionStatus",
                "scheduleExpression", "timezone", "destinationConfiguration", "creationTime", "lastUpdatedTime")
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("logs", "ValidationException", m),
                       too_many=lambda m: AwsError.modeled("logs", "ServiceQuotaExceededException", m))


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _validation(message: str) -> AwsError:
    return AwsError.modeled("logs", "ValidationException", message)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check(txn: Txn, account: str, region: str, params: dict[str, Any]) -> None:
    if params["queryLanguage"] != "CWLI":
        raise _validation(f"Query language {params['queryLanguage']} is not supported for scheduled queries here; use CWLI.")
    try:
        parse_query(params["queryString"])
    except QueryError as e:
        raise _validation(f"Invalid query string: {e.message}") from None
    try:
        cron.parse(params["scheduleExpression"])
    except (cron.BadSchedule, ValueError):
        raise _validation(f"Invalid schedule expression: {params['scheduleExpression']}") from None
    if params.get("timezone") not in (None, "UTC", "Etc/UTC"):
        raise _validation("Only the UTC timezone is supported.")
    for ident in params.get("logGroupIdentifiers") or []:
        name = queries.group_names({"logGroupIdentifiers": [ident]}, account, region)[0]
        if txn.get(model.GROUPS, model.group_key(account, region, name)) is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", f"Log group {ident} does not exist.")
    dest = params.get("destinationConfiguration") or {}
    if not (params.get("logGroupIdentifiers") or "SOURCE" in params["queryString"].upper()):
        raise _validation("logGroupIdentifiers is required.")
    if dest.get("s3Configuration") and dest.get("lookupTableConfiguration"):
        raise _validation("Specify one destination: s3Configuration or lookupTableConfiguration.")


def _fields(doc: dict[str, Any], params: dict[str, Any]) -> None:
    for k in ("description", "queryLanguage", "queryString", "logGroupIdentifiers", "scheduleExpression", "timezone",
              "startTimeOffset", "endTimeOffset", "destinationConfiguration", "scheduleStartTime", "scheduleEndTime",
              "executionRoleArn"):
        if params.get(k) is not None:
            doc[k] = params[k]
    doc["state"] = params.get("state") or doc.get("state") or "ENABLED"


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    k = _key(account, region, name)
    if txn.get(TABLE, k) is not None:
        raise AwsError.modeled("logs", "ConflictException", f"A scheduled query named {name} already exists.")
    _check(txn, account, region, params)
    now = _now_ms()
    doc: dict[str, Any] = {"scheduledQueryArn": arns.logs_resource(region, account, "scheduled-query", name), "name": name,
                           "scheduleType": "CUSTOMER_MANAGED", "creationTime": now, "lastUpdatedTime": now, "history": [],
                           "tags": tags.check(dict(params.get("tags") or {}), TAG_RULES) if params.get("tags") else {}}
    _fields(doc, params)
    txn.put(TABLE, k, doc)
    return {"scheduledQueryArn": doc["scheduledQueryArn"], "state": doc["state"]}


def _find(txn: Txn, account: str, region: str, identifier: str) -> tuple[str, dict[str, Any]]:
    name = identifier
    parsed = arns.try_parse(identifier)
    if parsed is not None:
        if not parsed.resource.startswith("scheduled-query:") or (parsed.account, parsed.region) != (account, region):
            raise AwsError.modeled("logs", "ResourceNotFoundException", f"Scheduled query {identifier} does not exist.")
        name = parsed.resource.split(":", 1)[1]
    k = _key(account, region, name)
    doc = txn.get(TABLE, k)
    if doc is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", f"Scheduled query {identifier} does not exist.")
    return k, doc


def view(doc: dict[str, Any], keys: tuple[str, ...] = VIEW_KEYS) -> dict[str, Any]:
    return {k: doc[k] for k in keys if doc.get(k) is not None}


def get(txn: Txn, account: str, region: str, identifier: str) -> dict[str, Any]:
    return view(_find(txn, account, region, identifier)[1])


def update(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    k, doc = _find(txn, account, region, params["identifier"])
    _check(txn, account, region, {**view(doc), **{p: v for p, v in params.items() if v is not None}})
    _fields(doc, params)
    doc["lastUpdatedTime"] = _now_ms()
    txn.put(TABLE, k, doc)
    return view(doc)


def delete(txn: Txn, account: str, region: str, identifier: str) -> None:
    k, _ = _find(txn, account, region, identifier)
    txn.delete(TABLE, k)


def list_all(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    state, kind = params.get("state"), params.get("scheduleType")
    rows, nxt = paging.page(txn, TABLE, f"{account}/{region}/", token=params.get("nextToken"), limit=params.get("maxResults"),
                            default_limit=1000, max_limit=1000,
                            keep=lambda d: (state is None or d["state"] == state) and (kind is None or d["scheduleType"] == kind),
                            filters={"s": state, "t": kind}, error=lambda: _validation("The specified nextToken is invalid."))
    return [view(d, SUMMARY_KEYS) for _, d in rows], nxt


def _ms(v: int) -> int:
    return v * 1000 if v < 100_000_000_000 else v  # epoch seconds or milliseconds


def history(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _find(txn, account, region, params["identifier"])
    lo, hi = _ms(params["startTime"]), _ms(params["endTime"])
    statuses = set(params.get("executionStatuses") or [])
    runs = [h for h in reversed(doc.get("history") or []) if lo <= h["triggeredTimestamp"] <= hi
            and (not statuses or h["executionStatus"] in statuses)]
    page, nxt = paging.page_items(runs, lambda h: (-h["triggeredTimestamp"], h["queryId"]),
                                  listing=f"{TABLE}/history/{account}/{region}/{doc['name']}", token=params.get("nextToken"),
                                  limit=params.get("maxResults"), default_limit=1000, max_limit=1000,
                                  filters={"lo": lo, "hi": hi, "s": sorted(statuses)},
                                  error=lambda: _validation("The specified nextToken is invalid."))
    out: dict[str, Any] = {"name": doc["name"], "scheduledQueryArn": doc["scheduledQueryArn"], "triggerHistory": page}
    if nxt:
        out["nextToken"] = nxt
    return out


# --- running ---------------------------------------------------------------------------------------


def claim_due(txn: Txn, minute: int) -> list[tuple[str, str, str, str]]:
    """Start every enabled scheduled query that fires in `minute` and has not fired in it:
    (account, region, name, queryId) of each started."""
    started = []
    for k, doc in txn.scan(TABLE, ""):
        if doc["state"] != "ENABLED" or doc.get("lastMinute") == minute:
            continue
        begin_ms, end_ms = doc.get("scheduleStartTime"), doc.get("scheduleEndTime")
        if begin_ms is not None and minute * 1000 < _ms(begin_ms) or end_ms is not None and minute * 1000 > _ms(end_ms):
            continue
        try:
            if not cron.due(doc["scheduleExpression"], minute, int(doc["creationTime"]) // 1000):
                continue
        except (cron.BadSchedule, ValueError):
            continue
        account, region, name = k.split("/", 2)
        doc["lastMinute"] = minute
        doc["lastTriggeredTime"] = minute * 1000
        entry: dict[str, Any] = {"queryId": "", "executionStatus": "Running", "triggeredTimestamp": minute * 1000}
        try:
            qid = queries.start(txn, account, region, {
                "logGroupIdentifiers": doc.get("logGroupIdentifiers"), "queryString": doc["queryString"],
                "startTime": minute - int(doc.get("startTimeOffset") or DEFAULT_START_OFFSET),
                "endTime": minute - int(doc.get("endTimeOffset") or 0)})
            entry["queryId"] = qid
            started.append((account, region, name, qid))
        except AwsError as e:
            entry.update(executionStatus="InvalidQuery" if e.code == "MalformedQueryException" else "Failed",
                         errorMessage=e.message)
        doc["lastExecutionStatus"] = entry["executionStatus"]
        doc["history"] = [*(doc.get("history") or []), entry][-HISTORY:]
        txn.put(TABLE, k, doc)
    return started


def finish(txn: Txn, account: str, region: str, name: str, qid: str) -> None:
    """Record how a run ended and write its results to its destination."""
    k = _key(account, region, name)
    doc = txn.get(TABLE, k)
    if doc is None:
        return
    status = queries.get(txn, account, region, qid)["status"]
    status = status if status in ("Complete", "Failed", "Timeout") else "Failed"
    dests: list[dict[str, Any]] = []
    conf = doc.get("destinationConfiguration") or {}
    if status == "Complete" and conf.get("lookupTableConfiguration"):
        table = conf["lookupTableConfiguration"]
        dest: dict[str, Any] = {"destinationType": "LOOKUP_TABLE", "destinationIdentifier": table["tableName"]}
        try:
            arn = arns.logs_resource(region, account, "lookup-table", table["tableName"])
            if txn.get(lookup_tables.TABLE, f"{account}/{region}/{table['tableName']}") is None:
                lookup_tables.create(txn, account, region, {"lookupTableName": table["tableName"], "queryId": qid,
                                                            "description": table.get("description")})
            else:
                lookup_tables.update(txn, account, region, {"lookupTableArn": arn, "queryId": qid})
            dest.update(status="COMPLETE", processedIdentifier=arn)
        except AwsError as e:
            dest.update(status="CLIENT_ERROR", errorMessage=e.message)
        dests.append(dest)
    if status == "Complete" and conf.get("s3Configuration"):
        dests.append({"destinationType": "S3", "destinationIdentifier": conf["s3Configuration"]["destinationIdentifier"],
                      "status": "FAILED", "errorMessage": "gureum cannot write scheduled query results to S3."})
    for h in doc.get("history") or []:
        if h["queryId"] == qid:
            h["executionStatus"] = status
            if dests:
                h["destinations"] = dests
    doc["lastExecutionStatus"] = status
    txn.put(TABLE, k, doc)


async def tick(app: App) -> None:
    now = int(time.time())
    minute = now - now % 60
    for account, region, name, qid in await app.store.run(lambda t: claim_due(t, minute)):
        app.spawn(_run(app, account, region, name, qid), f"logs scheduled query {name}")


async def _run(app: App, account: str, region: str, name: str, qid: str) -> None:
    await query_runner.execute(app, account, region, qid)
    await app.store.run(lambda t: finish(t, account, region, name, qid))


async def run(app: App) -> None:
    """The component: a tick every `scheduled_query_interval` seconds until shutdown."""
    interval = app.settings(LogsSettings).scheduled_query_interval
    app.set_status("logs", "running")
    await periodic.run_every(interval, lambda: tick(app), name="logs scheduled queries", first=interval)
