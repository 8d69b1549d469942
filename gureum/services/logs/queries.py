"""Logs Insights queries and query definitions: what StartQuery, GetQueryResults, StopQuery,
DescribeQueries, ListLogGroupsForQuery and the QueryDefinition operations read and write.

Store tables (keys start with "<account>/<region>/"):
  logs.queries         "<acct>/<region>/<queryId>" -> {queryId, queryString, queryLanguage,
                        logGroups: [names], startTime, endTime (epoch s), limit, createTime (ms),
                        status, statistics}
  logs.query_results   "<acct>/<region>/<queryId>" -> {"rows": [[{field, value}, ...], ...]}
  logs.query_defs      "<acct>/<region>/<queryDefinitionId>" -> the QueryDefinition as AWS
                        shows it
A query goes Scheduled -> Running -> Complete (or Cancelled by StopQuery, Failed on an error,
Timeout past AWS's 60 minutes); only the node that accepted it runs it (query_runner.py), and
a run writes its results only while the query is still Running, so a StopQuery wins.
Queries are kept 7 days after they were created, as AWS keeps query results; at most
MAX_CONCURRENT are Scheduled or Running at once (LimitExceededException).
`@ptr` is the url-safe base64 of the event's key in logs.events (`event_key` reads it back).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.services.logs.insights.lexer import QueryError
from gureum.services.logs.insights.parser import Query, parse_query
from gureum.store import Txn

QUERIES = "logs.queries"
RESULTS = "logs.query_results"
DEFINITIONS = "logs.query_defs"
TABLES = (QUERIES, RESULTS, DEFINITIONS)
KEEP_MS = 7 * 86400 * 1000
MAX_GROUPS = 50
TIMEOUT_MS = 3600 * 1000  # AWS ends a query after 60 minutes
MAX_CONCURRENT = 30  # AWS's quota of concurrent Logs Insights queries per account and Region
MAX_DEFINITIONS = 1000
ACTIVE = ("Scheduled", "Running")
LANGUAGE = "CWLI"


def _key(account: str, region: str, ident: str) -> str:
    return f"{account}/{region}/{ident}"


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def compile_query(text: str) -> Query:
    """The parsed query, or AWS's MalformedQueryException with its queryCompileError."""
    try:
        return parse_query(text)
    except QueryError as e:
        raise AwsError.modeled("logs", "MalformedQueryException", e.message, queryCompileError={
            "location": {"startCharOffset": e.start, "endCharOffset": max(e.end - 1, e.start)}, "message": e.message}) from None


def group_names(params: dict[str, Any], account: str | None = None, region: str | None = None) -> list[str]:
    """The log groups a StartQuery names (by name, names, or names and ARNs)."""
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
    if len(given) != 1:
        raise _invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified."
                       if given else "Either logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
    raw = params[given[0]]
    names = [raw] if isinstance(raw, str) else list(raw)
    if len(names) > MAX_GROUPS:
        raise _invalid(f"A query can search at most {MAX_GROUPS} log groups.")
    out = []
    for n in names:
        if arns.looks_like_arn(n):
            try:
                g_region, g_account, name = arns.logs_group_parts(n)
            except arns.BadArn:
                raise _invalid(f"Invalid log group identifier: {n}") from None
            if account is not None and (g_account, g_region) != (account, region):
                raise AwsError.modeled("logs", "ResourceNotFoundException", f"Log group '{n}' does not exist for account ID '{account}'")
            n = name
        if n not in out:
            out.append(n)
    return out


def start(txn: Txn, account: str, region: str, params: dict[str, Any]) -> str:
    groups = group_names(params, account, region)
    for g in groups:
        if txn.get(model.GROUPS, model.group_key(account, region, g)) is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", f"Log group '{g}' does not exist for account ID '{account}'")
    begin, end = _seconds(params["startTime"]), _seconds(params["endTime"])
    if end < begin:
        raise _invalid("End time should not be before the start time")
    compile_query(params["queryString"])
    if _prune(txn, account, region) >= MAX_CONCURRENT:
        raise AwsError.modeled("logs", "LimitExceededException",
                               f"Account maximum query concurrency limit of [{MAX_CONCURRENT}] reached.")
    qid = str(uuid.uuid4())
    txn.put(QUERIES, _key(account, region, qid), {
        "queryId": qid, "queryString": params["queryString"], "queryLanguage": params.get("queryLanguage") or LANGUAGE,
        "logGroups": groups, "startTime": begin, "endTime": end, "limit": params.get("limit"),
        "createTime": model.now_ms(), "status": "Scheduled",
        "statistics": {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0},
    })
    return qid


def _seconds(v: Any) -> int:
    return int(v.timestamp()) if hasattr(v, "timestamp") else int(v)


def _prune(txn: Txn, account: str, region: str) -> int:
    """Drop ended queries past KEEP_MS; how many queries are still active."""
    cutoff = model.now_ms() - KEEP_MS
    active = 0
    for k, q in txn.scan(QUERIES, f"{account}/{region}/"):
        q = _aged(q)
        if q["status"] in ACTIVE:
            active += 1
        elif q["createTime"] < cutoff:
            txn.delete(QUERIES, k)
            txn.delete(RESULTS, k)
    return active


def get(txn: Txn, account: str, region: str, qid: str) -> dict[str, Any]:
    doc = txn.get(QUERIES, _key(account, region, qid))
    if doc is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified query does not exist.")
    return _aged(doc)


def _aged(doc: dict[str, Any]) -> dict[str, Any]:
    """A query still active past AWS's 60-minute limit (its node went away mid-run) has timed out."""
    if doc["status"] in ACTIVE and model.now_ms() - doc["createTime"] > TIMEOUT_MS:
        return {**doc, "status": "Timeout"}
    return doc


def set_status(txn: Txn, account: str, region: str, qid: str, status: str, *, only_if: tuple[str, ...] = ACTIVE,
               statistics: dict[str, float] | None = None, rows: list[list[dict[str, str]]] | None = None) -> bool:
    """Move an active query to `status` (with its statistics and rows); False if it has ended."""
    doc = txn.get(QUERIES, _key(account, region, qid))
    if doc is None or doc["status"] not in only_if:
        return False
    doc["status"] = status
    if statistics is not None:
        doc["statistics"] = statistics
    txn.put(QUERIES, _key(account, region, qid), doc)
    if rows is not None:
        txn.put(RESULTS, _key(account, region, qid), {"rows": rows})
    return True


def results(txn: Txn, account: str, region: str, qid: str, token: str | None, limit: int | None) -> dict[str, Any]:
    doc = get(txn, account, region, qid)
    rows = (txn.get(RESULTS, _key(account, region, qid)) or {}).get("rows") or []
    numbered = list(enumerate(rows))
    page, nxt = paging.page_items(numbered, lambda p: p[0], listing=f"{RESULTS}/{account}/{region}/{qid}", token=token,
                                  limit=limit, default_limit=10000, max_limit=10000,
                                  error=lambda: _invalid("The specified nextToken is invalid."))
    out: dict[str, Any] = {"queryLanguage": doc["queryLanguage"], "results": [r for _, r in page],
                           "statistics": doc["statistics"], "status": doc["status"]}
    if nxt:
        out["nextToken"] = nxt
    return out


def stop(txn: Txn, account: str, region: str, qid: str) -> bool:
    doc = get(txn, account, region, qid)
    if doc["status"] not in ACTIVE:
        raise _invalid(f"Query {qid} is not running (status {doc['status']}).")
    return set_status(txn, account, region, qid, "Cancelled")


def describe(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    group, status = params.get("logGroupName"), params.get("status")
    lang = params.get("queryLanguage")
    docs = [q for q in (_aged(d) for _, d in txn.scan(QUERIES, f"{account}/{region}/"))
            if (group is None or group in q["logGroups"]) and (status is None or q["status"] == status)
            and (lang is None or q["queryLanguage"] == lang)]
    docs.sort(key=lambda q: (-q["createTime"], q["queryId"]))
    page, nxt = paging.page_items(docs, lambda q: (-q["createTime"], q["queryId"]), listing=f"{QUERIES}/{account}/{region}/",
                                  token=params.get("nextToken"), limit=params.get("maxResults"), default_limit=1000,
                                  max_limit=1000, filters={"g": group, "s": status, "l": lang},
                                  error=lambda: _invalid("The specified nextToken is invalid."))
    return [{"queryLanguage": q["queryLanguage"], "queryId": q["queryId"], "queryString": q["queryString"],
             "status": q["status"], "createTime": q["createTime"], "logGroupName": q["logGroups"][0]} for q in page], nxt


def log_groups_of(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[str], str | None]:
    doc = get(txn, account, region, params["queryId"])
    arns_ = [model.group_arn(account, region, g) for g in doc["logGroups"]]
    return paging.page_items(arns_, lambda a: a, listing=f"{QUERIES}/groups/{account}/{region}/{doc['queryId']}",
                             token=params.get("nextToken"), limit=params.get("maxResults"), default_limit=50,
                             max_limit=500, error=lambda: _invalid("The specified nextToken is invalid."))


# --- reading events ------------------------------------------------------------------------------


def pointer(event_key: str) -> str:
    return base64.urlsafe_b64encode(event_key.encode()).decode().rstrip("=")


def event_key(ptr: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(ptr + "=" * (-len(ptr) % 4)).decode()
    except (binascii.Error, ValueError):
        return None


def read_events(txn: Txn, account: str, region: str, groups: list[str], begin_s: int, end_s: int,
                cap: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(group, stream, event key, event) for every event in [begin, end] seconds, at most `cap`."""
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    lo, hi = begin_s * 1000, (end_s + 1) * 1000
    for g in groups:
        gkey = model.group_key(account, region, g)
        for skey, s in txn.scan(model.STREAMS, gkey + model.SEP):
            if s.get("lastEventTimestamp", hi) < lo or s.get("firstEventTimestamp", lo) >= hi:
                continue
            base = skey + model.SEP
            for ekey, ev in txn.scan(model.EVENTS, base, start=f"{base}{lo:013d}", end=f"{base}{hi:013d}",
                                     limit=cap - len(out)):
                out.append((g, s["logStreamName"], ekey, ev))
            if len(out) >= cap:
                return out
    return out


# --- query definitions ---------------------------------------------------------------------------


def put_definition(txn: Txn, account: str, region: str, params: dict[str, Any]) -> str:
    did = params.get("queryDefinitionId")
    if did:
        if txn.get(DEFINITIONS, _key(account, region, did)) is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified query definition does not exist.")
    else:
        if sum(1 for _ in txn.scan(DEFINITIONS, f"{account}/{region}/")) >= MAX_DEFINITIONS:
            raise AwsError.modeled("logs", "LimitExceededException",
                                   f"You have reached the maximum number of query definitions ({MAX_DEFINITIONS}).")
        did = str(uuid.uuid4())
    doc: dict[str, Any] = {"queryLanguage": params.get("queryLanguage") or LANGUAGE, "queryDefinitionId": did,
                           "name": params["name"], "queryString": params["queryString"], "lastModified": model.now_ms(),
                           "logGroupNames": list(params.get("logGroupNames") or [])}
    if params.get("parameters"):
        doc["parameters"] = params["parameters"]
    txn.put(DEFINITIONS, _key(account, region, did), doc)
    return str(did)


def describe_definitions(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    prefix, lang = params.get("queryDefinitionNamePrefix") or "", params.get("queryLanguage")
    docs = [d for _, d in txn.scan(DEFINITIONS, f"{account}/{region}/")
            if d["name"].startswith(prefix) and (lang is None or d["queryLanguage"] == lang)]
    docs.sort(key=lambda d: (d["name"], d["queryDefinitionId"]))
    return paging.page_items(docs, lambda d: (d["name"], d["queryDefinitionId"]), listing=f"{DEFINITIONS}/{account}/{region}/",
                             token=params.get("nextToken"), limit=params.get("maxResults"), default_limit=1000,
                             max_limit=1000, filters={"p": prefix, "l": lang},
                             error=lambda: _invalid("The specified nextToken is invalid."))


def delete_definition(txn: Txn, account: str, region: str, did: str) -> None:
    if not txn.delete(DEFINITIONS, _key(account, region, did)):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified query definition does not exist.")

