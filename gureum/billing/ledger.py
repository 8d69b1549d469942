"""The usage ledger: one row per metered event (a Lambda invocation now, a Fargate task's
run later), written in batches to the store table `billing.usage`.

Row key "<account>/<service>/<ts ms:013d>.<node seq>"; the row says what was used:
  {"service": "lambda", "region", "resource": function ARN, "version", "arch",
   "requests": 1, "billed_ms", "memory_mb", "init_ms", "ts", "provisioned"?: true when it ran on
   provisioned concurrency}, and for provisioned concurrency kept: {..., "requests": 0,
   "pc_seconds", "pc_concurrency", "pc_generation"} (lambda_.engine `meter_provisioned`)
Fargate rows ({"service": "fargate", "seconds", "billed_seconds", "vcpu", "memory_gb", "arch"})
are written by meter.py when a task stops or its node is found dead, and so are EC2 container
instances' ({"service": "ec2", "resource": container instance ARN, "seconds", "billed_seconds",
"instance_type", "ec2_instance_id"}) when one is deregistered or its node is found dead.
Billed API requests (S3, SQS, SNS: requests.py) are counted in memory by `count()` (units a
service meters itself, API Gateway's requests/messages/minutes, by `add()`) and written
at each flush as one row per (account, Region, unit, resource):
  {"service": "requests", "aws_service": "sqs", "unit": "Requests-RBP" (a price table unit),
   "region", "resource", "requests": n, "ts"}
Route 53's DNS queries, counted by each node's DNS server (route53/metering.py), go the same
way through `add()`: {"aws_service": "route53", "unit": "DNS-Queries", "region": "global",
"resource": zone id, "requests": n}; DynamoDB's on-demand tables: {"aws_service": "dynamodb",
"unit": "ReadRequestUnits"|"WriteRequestUnits", "resource": table ARN, "requests": units (a float:
an eventually consistent read is half a unit)}.
Each node writes only what it served, under its own node token: nothing is counted twice.
API Gateway stage cache clusters' hours are settled straight into the table by
apigateway/cache_cluster.py ({"service": "apigateway", "cache_size", "cache_seconds"}).
Monthly charges (Route 53 hosted zones) are written by gureum/services/ce/monthly.py under
keys naming the month and the zone (idempotent across nodes).
`record()` never waits; `run()` flushes every `interval` seconds and once more on exit; rows
the store refuses stay and go with the next flush.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Iterator
from typing import Any

from gureum.billing.requests import classify
from gureum.store import Store, Txn

USAGE = "billing.usage"
log = logging.getLogger("gureum.billing")


class Ledger:
    def __init__(self, store: Store, interval: float = 1.0) -> None:
        self.store = store
        self.interval = interval
        self._rows: list[tuple[str, dict[str, Any]]] = []
        self._node = secrets.token_hex(3)
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._counts: dict[tuple[str, str, str, str, str], float] = {}

    def count(self, account: str, region: str, service: str, operation: str, params: dict[str, Any]) -> None:
        """Count a request the API answered, if AWS bills it (requests.py); never waits."""
        billed = classify(service, operation, params, account, region)
        if billed is None:
            return
        unit, n, resource = billed
        self.add(account, region, service, unit, resource, n)

    def add(self, account: str, region: str, service: str, unit: str, resource: str, n: float = 1) -> None:
        """Count `n` of a price table unit a service meters itself (API Gateway's requests,
        messages and connection minutes; Route 53's DNS queries: route53/server.py; DynamoDB's
        request units, halves included: dynamodb/metering.py), written
        with the billed requests at the next flush; never waits."""
        if n <= 0:
            return
        k = (account, region, service, unit, resource)
        self._counts[k] = self._counts.get(k, 0) + n
        self._wake.set()

    def record(self, account: str, service: str, row: dict[str, Any]) -> None:
        ts = int(row.setdefault("ts", time.time() * 1000))
        row["service"] = service
        self._rows.append((f"{account}/{service}/{ts:013d}.{self._node}{next(self._seq):010d}", row))
        self._wake.set()

    async def flush(self) -> None:
        if self._counts:
            counts, self._counts = self._counts, {}
            for (account, region, service, unit, resource), n in counts.items():
                self.record(account, "requests", {"aws_service": service, "unit": unit, "region": region, "resource": resource, "requests": n})
        if not self._rows:
            return
        rows, self._rows = self._rows, []

        def write(txn: Txn) -> None:
            for key, row in rows:
                txn.put(USAGE, key, row)

        try:
            await self.store.run(write)
        except Exception:
            # the store is away: keep the rows (their keys make a second write harmless)
            log.exception("could not write %d usage rows (kept for the next flush)", len(rows))
            self._rows = rows + self._rows
            self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await asyncio.sleep(self.interval)
                await self.flush()
        finally:
            await asyncio.shield(self.flush())


def usage_rows(txn: Txn, account: str | None = None, service: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    prefix = ""
    if account is not None:
        prefix = f"{account}/" + (f"{service}/" if service else "")
    start: str | None = None
    while True:
        rows = txn.scan(USAGE, prefix, start=start, limit=1000)
        for key, row in rows:
            if service is None or row.get("service") == service:
                yield key, row
        if len(rows) < 1000:
            return
        start = rows[-1][0] + "\x00"


def lambda_summary(txn: Txn, account: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, function ARN) -> {requests, gb_seconds by arch, billed_ms, init_ms,
    pc_duration (GB-s on provisioned concurrency by arch), pc_allocated (GB-s of provisioned
    concurrency by arch, each configuration's time rounded up to 5 minutes)}."""
    import math

    from gureum.billing.prices import LAMBDA_PC_ROUNDING_SECONDS, lambda_gb_seconds

    out: dict[tuple[str, str], dict[str, Any]] = {}
    kept: dict[tuple[str, str, str], dict[str, Any]] = {}  # (account, ARN, generation) -> {seconds, gb (held), arch}
    for key, row in usage_rows(txn, account, "lambda"):
        acct = key.split("/", 1)[0]
        s = out.setdefault((acct, row["resource"]), {"requests": 0, "gb_seconds": {}, "billed_ms": 0, "init_ms": 0.0,
                                                     "pc_duration": {}, "pc_allocated": {}})
        arch = row.get("arch", "x86_64")
        if row.get("pc_seconds") is not None:
            held = kept.setdefault((acct, row["resource"], str(row.get("pc_generation"))), {"seconds": 0.0, "gb": 0.0, "arch": arch})
            held["seconds"] += float(row["pc_seconds"])
            held["gb"] = max(held["gb"], int(row.get("pc_concurrency", 0)) * int(row.get("memory_mb", 128)) / 1024.0)
            continue
        s["requests"] += int(row.get("requests", 1))
        s["billed_ms"] += int(row.get("billed_ms", 0))
        s["init_ms"] += float(row.get("init_ms") or 0.0)
        bucket = s["pc_duration"] if row.get("provisioned") else s["gb_seconds"]
        bucket[arch] = bucket.get(arch, 0.0) + lambda_gb_seconds(int(row.get("billed_ms", 0)), int(row.get("memory_mb", 128)))
    for (acct, arn, _), held in kept.items():
        billed = math.ceil(held["seconds"] / LAMBDA_PC_ROUNDING_SECONDS) * LAMBDA_PC_ROUNDING_SECONDS
        allocated = out[(acct, arn)]["pc_allocated"]
        allocated[held["arch"]] = allocated.get(held["arch"], 0.0) + billed * held["gb"]
    return out


def fargate_summary(txn: Txn, account: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, task ARN) -> {seconds, billed_seconds, vcpu, memory_gb, arch, cost}."""
    from gureum.billing.prices import fargate_cost

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, row in usage_rows(txn, account, "fargate"):
        acct = key.split("/", 1)[0]
        s = out.setdefault(
            (acct, row["resource"]),
            {"seconds": 0.0, "billed_seconds": 0.0, "vcpu": float(row.get("vcpu", 0.25)),
             "memory_gb": float(row.get("memory_gb", 0.5)), "arch": row.get("arch", "x86_64"), "cost": 0.0},
        )
        billed = float(row.get("billed_seconds") or row.get("seconds") or 0.0)
        s["seconds"] += float(row.get("seconds") or 0.0)
        s["billed_seconds"] += billed
        s["cost"] += fargate_cost(billed, s["vcpu"], s["memory_gb"], s["arch"])
    return out
