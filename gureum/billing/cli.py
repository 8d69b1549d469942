"""`gureum costs`: what AWS would have billed for the usage in the ledger (us-east-1 prices).

Reads the ledger from the node's store: --state URL, else --data-dir, else the data dir of
the gureum answering at --endpoint (AWS_ENDPOINT_URL, http://localhost:4566), else the
default data dir. A SQLite state is opened read-only: when there is none, the command says
so and exits 1 (it never creates one). Tasks still running are listed with what they have
accrued up to their last checkpoint (or their node's last heartbeat), marked running; so are
EC2 container instances still registered (their BoxUsage hours, `instance_summary`).
`--group-by` sums every line item (Lambda, Fargate, EC2 container instances' BoxUsage hours,
...) with what is still accruing up to its last checkpoint.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from gureum.billing import grouped, meter, prices, pricing
from gureum.billing.ledger import fargate_summary, lambda_summary, usage_rows
from gureum.billing.line_items import of_rows


class NoState(Exception):
    """There is no gureum state where the command looked."""


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite:"):
        return None
    rest = url[len("sqlite:") :]
    path = rest[2:] if rest.startswith("//") else rest
    return "/" + path.lstrip("/") if path.startswith("/") else path


def read_state(url: str, fn: Callable[[Any], Any]) -> Any:
    """fn(txn) on a read-only view of the state at `url`; NoState when there is none."""
    path = _sqlite_path(url)
    if path is None:
        from gureum.store import open_store

        store = open_store(url)
        try:
            return store.run_sync(fn)
        finally:
            import asyncio

            asyncio.run(store.close())
    if not os.path.isfile(path):
        raise NoState(f"no gureum state at {path}")
    import sqlite3

    from gureum.store.sqlite import SqliteTxn

    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise NoState(f"cannot read the gureum state at {path}: {e}") from None
    try:
        conn.execute("BEGIN")
        return fn(SqliteTxn(conn, True))
    except sqlite3.DatabaseError as e:
        raise NoState(f"cannot read the gureum state at {path}: {e}") from None
    finally:
        conn.close()


def _state_url(args: argparse.Namespace) -> str:
    if args.state:
        return args.state
    from gureum.config import Config, default_data_dir

    data_dir = args.data_dir
    if not data_dir:
        try:
            with urllib.request.urlopen(args.endpoint.rstrip("/") + "/_gureum/health", timeout=3) as resp:
                data_dir = json.load(resp).get("dataDir")
        except (OSError, ValueError):
            data_dir = None
    from pathlib import Path

    return Config(data_dir=Path(data_dir) if data_dir else default_data_dir()).state


def report(summary: dict[tuple[str, str], dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    lines = [f"{'ACCOUNT':<13} {'FUNCTION':<40} {'REQUESTS':>9} {'GB-SECONDS':>12} {'INIT MS':>9} {'COST (USD)':>12}"]
    total_requests = 0
    total_gbs = 0.0
    total_cost = 0.0
    for (account, arn), s in sorted(summary.items()):
        name = arn.split(":function:", 1)[-1]
        gbs = sum(s["gb_seconds"].values())
        cost = prices.lambda_cost(s["requests"], s["gb_seconds"], s.get("pc_duration"), s.get("pc_allocated"))
        total_requests += s["requests"]
        total_gbs += gbs
        total_cost += cost
        lines.append(f"{account:<13} {name:<40} {s['requests']:>9} {gbs:>12.3f} {s['init_ms']:>9.0f} {cost:>12.8f}")
        pc = sum((s.get("pc_allocated") or {}).values())
        if pc or s.get("pc_duration"):
            lines.append(f"{'':<13} {'  provisioned concurrency (GB-s allocated)':<40} {'':>9} {pc:>12.3f}")
    free_requests = min(total_requests, prices.LAMBDA_FREE_REQUESTS)
    free_gbs = min(total_gbs, prices.LAMBDA_FREE_GB_SECONDS)
    free = free_requests * prices.LAMBDA_REQUEST + free_gbs * prices.LAMBDA_GB_SECOND["x86_64"]
    lines.append(f"{'':<13} {'total (before free tier)':<40} {total_requests:>9} {total_gbs:>12.3f} {'':>9} {total_cost:>12.8f}")
    lines.append(
        f"free tier (monthly, per account: {prices.LAMBDA_FREE_REQUESTS:,} requests + {prices.LAMBDA_FREE_GB_SECONDS:,} GB-s): "
        f"would cover up to ${free:.8f}"
    )
    return lines, {"requests": total_requests, "gb_seconds": total_gbs, "cost": total_cost}


def running_summary(txn: Any, account: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, task ARN) -> what a task still running has accrued: up to its last
    checkpoint, or its node's last heartbeat when that is later (never past now)."""
    from gureum.services.ecs import nodes

    now = time.time()
    beats = {k: float(d.get("heartbeat") or 0.0) for k, d in txn.scan(nodes.NODES)}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for acct, row in meter.running_rows(txn, account, meter.FARGATE):
        until = min(now, max(float(row.get("checkpoint") or row["started"]), beats.get(row.get("node", ""), 0.0)))
        seconds = round(max(0.0, until - float(row["started"])), 3)
        billed = meter.billed_seconds(seconds)
        vcpu, memory_gb, arch = float(row.get("vcpu", 0.25)), float(row.get("memory_gb", 0.5)), row.get("arch", "x86_64")
        out[(acct, row["resource"])] = {
            "seconds": seconds, "billed_seconds": billed, "vcpu": vcpu, "memory_gb": memory_gb, "arch": arch,
            "cost": prices.fargate_cost(billed, vcpu, memory_gb, arch), "running": True, "asOf": until,
        }
    return out


def instance_summary(txn: Any, account: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, container instance ARN) -> the hours of an EC2 container instance (meter.EC2):
    {instance_type, ec2_instance_id, region, seconds, settled_seconds, billed_seconds, cost
    (its Region's BoxUsage price in the shipped table, 0 when it has none), running}; a period
    still running counted to its last checkpoint or its node's last heartbeat, as tasks are."""
    from gureum.services.ecs import nodes

    table = pricing.load()
    now = time.time()
    beats = {k: float(d.get("heartbeat") or 0.0) for k, d in txn.scan(nodes.NODES)}
    periods: list[tuple[str, dict[str, Any], float, bool]] = []
    for key, row in usage_rows(txn, account, "ec2"):
        periods.append((key.split("/", 1)[0], row, float(row.get("seconds") or 0.0), False))
    for acct, row in meter.running_rows(txn, account, meter.EC2):
        until = min(now, max(float(row.get("checkpoint") or row["started"]), beats.get(row.get("node", ""), 0.0)))
        periods.append((acct, row, round(max(0.0, until - float(row["started"])), 3), True))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for acct, row, seconds, running in periods:
        region, itype = str(row.get("region") or pricing.BASE_REGION), str(row.get("instance_type", ""))
        s = out.setdefault((acct, row["resource"]), {"instance_type": itype, "ec2_instance_id": row.get("ec2_instance_id"), "region": region,
                                                     "seconds": 0.0, "settled_seconds": 0.0, "billed_seconds": 0, "cost": 0.0, "running": False})
        rate = table.instance_hours(region, itype)
        billed = meter.billed_seconds(seconds)
        s["seconds"] += seconds
        s["settled_seconds"] += 0.0 if running else seconds
        s["billed_seconds"] += billed
        s["cost"] += billed / 3600.0 * table.rate(region, rate).price if rate else 0.0
        s["running"] = s["running"] or running
    return out


def instance_report(summary: dict[tuple[str, str], dict[str, Any]]) -> tuple[list[str], float]:
    lines = [f"{'ACCOUNT':<13} {'EC2 CONTAINER INSTANCE':<40} {'TYPE':>11} {'SECONDS':>9} {'BILLED S':>9} {'COST (USD)':>12}"]
    total = 0.0
    for (account, arn), s in sorted(summary.items()):
        total += s["cost"]
        lines.append(
            f"{account:<13} {arn.split(':container-instance/', 1)[-1]:<40} {s['instance_type']:>11} {s['seconds']:>9.1f} "
            f"{s['billed_seconds']:>9.0f} {s['cost']:>12.8f}" + ("  (registered, accrued so far)" if s["running"] else "")
        )
    lines.append(f"{'':<13} {'total (BoxUsage per second, 1-minute minimum)':<40} {'':>11} {'':>9} {'':>9} {total:>12.8f}")
    return lines, total


def fargate_report(summary: dict[tuple[str, str], dict[str, Any]]) -> tuple[list[str], float]:
    lines = [f"{'ACCOUNT':<13} {'FARGATE TASK':<40} {'VCPU':>6} {'GB':>6} {'SECONDS':>9} {'BILLED S':>9} {'COST (USD)':>12}"]
    total = 0.0
    for (account, arn), s in sorted(summary.items()):
        task = arn.split(":task/", 1)[-1]
        total += s["cost"]
        lines.append(
            f"{account:<13} {task:<40} {s['vcpu']:>6.2f} {s['memory_gb']:>6.2f} {s['seconds']:>9.1f} "
            f"{s['billed_seconds']:>9.0f} {s['cost']:>12.8f}" + ("  (running, accrued so far)" if s.get("running") else "")
        )
    lines.append(f"{'':<13} {'total (per second, 1-minute minimum)':<40} {'':>6} {'':>6} {'':>9} {'':>9} {total:>12.8f}")
    return lines, total


def _grouped(args: argparse.Namespace) -> int:
    try:
        table = pricing.load(args.price_file)
    except pricing.PriceFileError as e:
        print(f"gureum costs: {e}", file=sys.stderr)
        return 1
    try:
        items = read_state(_state_url(args), lambda t: list(of_rows(table, itertools.chain(
            usage_rows(t, args.account), meter.accrued_rows(t, args.account, time.time())))))
    except NoState as e:
        print(f"gureum costs: {e} (is gureum running? name its data with --data-dir or --state)", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"groupBy": args.group_by, "groups": grouped.by_group(items, args.group_by),
                          "days": grouped.by_day(items, args.group_by), "prices": {"date": table.date, "source": table.source}}, indent=2))
    else:
        print("\n".join(grouped.table(items, args.group_by)))
        print(f"\nprices of {table.date}: {table.source}")
    return 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gureum costs", description="What AWS would have billed (us-east-1 prices).")
    p.add_argument("--endpoint", default=os.environ.get("GUREUM_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    p.add_argument("--data-dir", default=os.environ.get("GUREUM_DATA_DIR"))
    p.add_argument("--state", default=os.environ.get("GUREUM_STATE"))
    p.add_argument("--account", help="only this account")
    p.add_argument("--json", action="store_true")
    p.add_argument("--group-by", choices=grouped.GROUPS, type=str.upper,
                   help="sum the usage by this Cost Explorer dimension, with a per-day table (Region prices of the price table)")
    p.add_argument("--price-file", default=os.environ.get("GUREUM_BILLING_PRICE_FILE", ""), help="a price table to use instead of the shipped one")
    args = p.parse_args(argv)
    if args.group_by:
        return _grouped(args)

    def read(t: Any) -> tuple[Any, Any, Any, Any]:
        return (lambda_summary(t, args.account), fargate_summary(t, args.account), running_summary(t, args.account),
                instance_summary(t, args.account))

    try:
        summary, fargate, running, instances = read_state(_state_url(args), read)
    except NoState as e:
        print(f"gureum costs: {e} (is gureum running? name its data with --data-dir or --state)", file=sys.stderr)
        return 1
    for k, s in running.items():  # a task both settled and running (restarted): shown once, running
        if k in fargate:
            for f in ("seconds", "billed_seconds", "cost"):
                s[f] += fargate[k][f]
    fargate.update(running)
    lines, totals = report(summary)
    f_lines, f_total = fargate_report(fargate)
    i_lines, i_total = instance_report(instances)
    if args.json:
        rows = [
            {"account": a, "function": arn, "requests": s["requests"], "gbSeconds": sum(s["gb_seconds"].values()),
             "provisionedGbSeconds": sum((s.get("pc_allocated") or {}).values()),
             "provisionedDurationGbSeconds": sum((s.get("pc_duration") or {}).values()),
             "cost": prices.lambda_cost(s["requests"], s["gb_seconds"], s.get("pc_duration"), s.get("pc_allocated"))}
            for (a, arn), s in sorted(summary.items())
        ]
        tasks = [
            {"account": a, "task": arn, "vcpu": s["vcpu"], "memoryGb": s["memory_gb"], "seconds": s["seconds"],
             "billedSeconds": s["billed_seconds"], "cost": s["cost"], "running": bool(s.get("running"))}
            for (a, arn), s in sorted(fargate.items())
        ]
        ec2 = [
            {"account": a, "containerInstance": arn, "ec2InstanceId": s["ec2_instance_id"], "instanceType": s["instance_type"],
             "region": s["region"], "seconds": s["seconds"], "settledSeconds": s["settled_seconds"],
             "billedSeconds": s["billed_seconds"], "cost": s["cost"], "running": s["running"]}
            for (a, arn), s in sorted(instances.items())
        ]
        print(json.dumps({"lambda": rows, "total": totals, "fargate": tasks, "fargateTotal": f_total, "ec2": ec2, "ec2Total": i_total},
                         indent=2))
    else:
        print("\n".join(lines))
        if fargate:
            print()
            print("\n".join(f_lines))
        if instances:
            print()
            print("\n".join(i_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
