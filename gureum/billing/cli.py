"""`gureum costs`: what AWS would have billed for the usage in the ledger (us-east-1 prices).

Reads the ledger from the node's store: --state URL, else --data-dir, else the data dir of
the gureum answering at --endpoint (AWS_ENDPOINT_URL, http://localhost:4566), else the
default data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from typing import Any

from gureum.billing import prices
from gureum.billing.ledger import fargate_summary, lambda_summary


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
        cost = prices.lambda_cost(s["requests"], s["gb_seconds"])
        total_requests += s["requests"]
        total_gbs += gbs
        total_cost += cost
        lines.append(f"{account:<13} {name:<40} {s['requests']:>9} {gbs:>12.3f} {s['init_ms']:>9.0f} {cost:>12.8f}")
    free_requests = min(total_requests, prices.LAMBDA_FREE_REQUESTS)
    free_gbs = min(total_gbs, prices.LAMBDA_FREE_GB_SECONDS)
    free = free_requests * prices.LAMBDA_REQUEST + free_gbs * prices.LAMBDA_GB_SECOND["x86_64"]
    lines.append(f"{'':<13} {'total (before free tier)':<40} {total_requests:>9} {total_gbs:>12.3f} {'':>9} {total_cost:>12.8f}")
    lines.append(
        f"free tier (monthly, per account: {prices.LAMBDA_FREE_REQUESTS:,} requests + {prices.LAMBDA_FREE_GB_SECONDS:,} GB-s): "
        f"would cover up to ${free:.8f}"
    )
    return lines, {"requests": total_requests, "gb_seconds": total_gbs, "cost": total_cost}


def fargate_report(summary: dict[tuple[str, str], dict[str, Any]]) -> tuple[list[str], float]:
    lines = [f"{'ACCOUNT':<13} {'FARGATE TASK':<40} {'VCPU':>6} {'GB':>6} {'SECONDS':>9} {'BILLED S':>9} {'COST (USD)':>12}"]
    total = 0.0
    for (account, arn), s in sorted(summary.items()):
        task = arn.split(":task/", 1)[-1]
        total += s["cost"]
        lines.append(
            f"{account:<13} {task:<40} {s['vcpu']:>6.2f} {s['memory_gb']:>6.2f} {s['seconds']:>9.1f} "
            f"{s['billed_seconds']:>9.0f} {s['cost']:>12.8f}"
        )
    lines.append(f"{'':<13} {'total (per second, 1-minute minimum)':<40} {'':>6} {'':>6} {'':>9} {'':>9} {total:>12.8f}")
    return lines, total


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gureum costs", description="What AWS would have billed (us-east-1 prices).")
    p.add_argument("--endpoint", default=os.environ.get("GUREUM_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    p.add_argument("--data-dir", default=os.environ.get("GUREUM_DATA_DIR"))
    p.add_argument("--state", default=os.environ.get("GUREUM_STATE"))
    p.add_argument("--account", help="only this account")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from gureum.store import open_store

    store = open_store(_state_url(args))
    try:
        summary = store.run_sync(lambda t: lambda_summary(t, args.account))
        fargate = store.run_sync(lambda t: fargate_summary(t, args.account))
    finally:
        import asyncio

        asyncio.run(store.close())
    lines, totals = report(summary)
    f_lines, f_total = fargate_report(fargate)
    if args.json:
        rows = [
            {"account": a, "function": arn, "requests": s["requests"], "gbSeconds": sum(s["gb_seconds"].values()),
             "cost": prices.lambda_cost(s["requests"], s["gb_seconds"])}
            for (a, arn), s in sorted(summary.items())
        ]
        tasks = [
            {"account": a, "task": arn, "vcpu": s["vcpu"], "memoryGb": s["memory_gb"], "seconds": s["seconds"],
             "billedSeconds": s["billed_seconds"], "cost": s["cost"]}
            for (a, arn), s in sorted(fargate.items())
        ]
        print(json.dumps({"lambda": rows, "total": totals, "fargate": tasks, "fargateTotal": f_total}, indent=2))
    else:
        print("\n".join(lines))
        if fargate:
            print()
            print("\n".join(f_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
