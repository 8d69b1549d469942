"""1k concurrent invocations across 50 functions with the concurrency limits enforced.

The node runs with the account limit `--account-limit` (lambda.concurrency). Of `--functions-c`
functions, `--reserved-functions` get a reserved concurrency of `--reserve` each (AWS keeps 100
unreserved, so account-limit ≥ reserved total + 100). `--invocations` synchronous invokes are
sent at once, round-robin over the functions, from as many client threads; each invocation
holds its environment `--hold` seconds, so every request arrives while every admitted one is
still running (checked from the answers' times, and said if not). Then exactly

  per reserved function: min(sent to it, reserve) succeed, the rest TooManyRequestsException
                         (Reason ReservedFunctionConcurrentInvocationLimitExceeded);
  unreserved functions:  min(sent to them, account-limit − reserved total) succeed in all, the
                         rest TooManyRequestsException (Reason ConcurrentInvocationLimitExceeded).

Reports those counts against the expected ones, answers/s over the burst and p50/p99 of the
throttles and of the admitted invocations (cold start + hold); the reference is a second burst
of the same size once the environments are warm, same run.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from common import Node, median, pct, zip_package
from functions import make_role

HANDLER = "import time\n\ndef handler(event, context):\n    time.sleep(event['hold'])\n    return {'ok': True}\n"


def code() -> bytes:
    return zip_package({"app.py": HANDLER})


def burst(lam: Any, names: list[str], n: int, hold: float) -> list[tuple[str, str, float, float]]:
    """n invokes at once; returns (function, outcome, sent at, answered at) per invoke; outcome
    is "ok" or the throttle Reason or another error code."""
    gate = threading.Barrier(n, timeout=120)
    payload = ('{"hold": %s}' % hold).encode()

    def one(i: int) -> tuple[str, str, float, float]:
        name = names[i % len(names)]
        gate.wait()
        t0 = time.perf_counter()
        try:
            r = lam.invoke(FunctionName=name, Payload=payload)
            r["Payload"].read()
            outcome = "ok" if not r.get("FunctionError") else "FunctionError"
        except ClientError as e:
            err = e.response.get("Error", {})
            outcome = e.response.get("Reason") or err.get("Reason") or err.get("Code", "?")
            if err.get("Code") != "TooManyRequestsException":
                outcome = "error:" + err.get("Code", "?")
        except Exception as e:  # noqa: BLE001 -- a connection refused or reset is a finding, counted
            outcome = "client:" + type(e).__name__
        return name, outcome, t0, time.perf_counter()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def expected(names: list[str], reserved: dict[str, int], n: int, pool: int) -> Counter[str]:
    sent = Counter(names[i % len(names)] for i in range(n))
    want: Counter[str] = Counter()
    unreserved_sent = 0
    for name, k in sent.items():
        if name in reserved:
            want["ok"] += min(k, reserved[name])
            want["ReservedFunctionConcurrentInvocationLimitExceeded"] += max(0, k - reserved[name])
        else:
            unreserved_sent += k
    want["ok"] += min(unreserved_sent, pool)
    want["ConcurrentInvocationLimitExceeded"] += max(0, unreserved_sent - pool)
    return want


def report(label: str, rows: list[tuple[str, str, float, float]], hold: float) -> dict[str, float]:
    t_start = min(r[2] for r in rows)
    span = max(r[3] for r in rows) - t_start
    ok = [1000 * (r[3] - r[2]) for r in rows if r[1] == "ok"]
    thr = [1000 * (r[3] - r[2]) for r in rows if r[1] != "ok"]
    # every request was decided while every admitted one still held its slot:
    last_decided = max([r[3] for r in rows if r[1] != "ok"] + [r[3] - hold for r in rows if r[1] == "ok"])
    first_release = min((r[3] for r in rows if r[1] == "ok"), default=float("inf"))
    decided = last_decided - t_start  # every invocation admitted or throttled by then
    print(f"  {label}: {len(rows)} invocations decided in {decided:.2f} s ({len(rows) / decided:.0f}/s), answered in {span:.2f} s; admitted p50/p99 "
          f"{median(ok):.0f}/{pct(ok, 0.99):.0f} ms (hold {1000 * hold:.0f} ms), throttled p50/p99 {median(thr):.0f}/{pct(thr, 0.99):.0f} ms; "
          f"overlap {'held' if last_decided < first_release else 'NOT held (raise --hold)'}")
    return {"answers/s": len(rows) / span, "decided/s": len(rows) / decided, "ok p50": median(ok), "ok p99": pct(ok, 0.99), "throttle p50": median(thr),
            "throttle p99": pct(thr, 0.99), "overlap": float(last_decided < first_release)}


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    node = Node(work / "node", settings=[f"lambda.concurrency={args.account_limit}"], service="lambda")
    node.start()
    try:
        lam = node.client("lambda", max_pool_connections=args.invocations)
        role = make_role(node)
        zipped = code()
        names = [f"burst-f{i}" for i in range(args.functions_c)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: lam.create_function(FunctionName=n, Runtime="python3.12", Role=role, Handler="app.handler",
                                                         Code={"ZipFile": zipped}, MemorySize=128, Timeout=60), names))
        reserved = {n: args.reserve for n in names[:args.reserved_functions]}
        for n, r in reserved.items():
            lam.put_function_concurrency(FunctionName=n, ReservedConcurrentExecutions=r)
        settings = lam.get_account_settings()["AccountLimit"]
        pool_size = settings["UnreservedConcurrentExecutions"]
        want = expected(names, reserved, args.invocations, pool_size)
        results: dict[str, dict[str, Any]] = {}
        for label in ("cold", "warm"):
            rows = burst(lam, names, args.invocations, args.hold)
            got = Counter(r[1] for r in rows)
            per_fn_ok = Counter(r[0] for r in rows if r[1] == "ok")
            over = {n: per_fn_ok[n] for n, r in reserved.items() if per_fn_ok[n] > r}
            stats = report(label, rows, args.hold)
            print(f"    outcomes {dict(got)}; expected {dict(want)}: {'EXACT' if got == want else 'MISMATCH'}"
                  + (f"; reserved functions over their reservation: {over}" if over else ""))
            results[label] = {"got": dict(+got), "want": dict(+want), **stats}
        rss = node.rss_mib()
    finally:
        node.stop()
    c, w = results["cold"], results["warm"]
    print(f"\n{args.invocations} concurrent invocations over {args.functions_c} functions: account limit {args.account_limit}, "
          f"{args.reserved_functions} functions reserving {args.reserve} each, unreserved pool {pool_size}; node RSS {rss:.0f} MiB")
    print(f"  throttles match the limits exactly: cold {c['got'] == c['want']}, warm {w['got'] == w['want']}")
    print(f"  invocations decided (admitted or throttled) per second: cold {c['decided/s']:.0f}, warm {w['decided/s']:.0f} "
          f"(ratio cold/warm {c['decided/s'] / w['decided/s']:.2f})")
    print(f"  admitted p50/p99 cold {c['ok p50']:.0f}/{c['ok p99']:.0f} ms, warm {w['ok p50']:.0f}/{w['ok p99']:.0f} ms "
          f"(hold {1000 * args.hold:.0f} ms: warm − hold is the invoke overhead)")
    if c["got"] != c["want"] or w["got"] != w["want"]:
        raise SystemExit("bench/scale concurrency: throttles did not match the limits")
    return results


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--invocations", type=int, default=1000)
    ap.add_argument("--functions-c", type=int, default=50, help="functions the invocations are spread over")
    ap.add_argument("--account-limit", type=int, default=150, help="lambda.concurrency (ConcurrentExecutions)")
    ap.add_argument("--reserved-functions", type=int, default=10)
    ap.add_argument("--reserve", type=int, default=5, help="reserved concurrency of each reserved function")
    ap.add_argument("--hold", type=float, default=15.0, help="seconds each admitted invocation runs")
