"""1k functions: ListFunctions (every page) and warm Invoke p50 with 1 function, then with
`--functions` functions on the same node, same run (the 1-function figures are the reference;
for one page of MaxItems=10, from the start and from a Marker, the reference is 10 functions).

Functions are created through the API (CreateFunction, 8 client threads). Invoke p50 is of the
first function (warm) and of the last one created (after one cold start), so both the oldest
and the newest entry of a big listing are measured.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import LAMBDA_TRUST, Node, median, pct, ratio, zip_package

HANDLER = "def handler(event, context):\n    return event\n"


def code() -> bytes:
    return zip_package({"app.py": HANDLER})


def make_role(node: Node) -> str:
    iam = node.client("iam")
    return str(iam.create_role(RoleName=f"scale-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"])


def create(lam: Any, role: str, names: list[str], zipped: bytes, threads: int = 8) -> float:
    """Create `names`; returns functions per second."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda n: lam.create_function(FunctionName=n, Runtime="python3.12", Role=role, Handler="app.handler",
                                                     Code={"ZipFile": zipped}, MemorySize=128, Timeout=30), names))
    return len(names) / (time.perf_counter() - t0)


def list_all(lam: Any) -> tuple[float, int, int]:
    """ListFunctions, every page (default page size 50): (seconds, functions, pages)."""
    t0 = time.perf_counter()
    seen, pages, marker = 0, 0, None
    while True:
        page = lam.list_functions(**({"Marker": marker} if marker else {}))
        seen += len(page["Functions"])
        pages += 1
        marker = page.get("NextMarker")
        if not marker:
            return time.perf_counter() - t0, seen, pages


def page_ms(lam: Any, n: int, marker: str | None) -> list[float]:
    """p50 material: ListFunctions MaxItems=10, from the start or from `marker`."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        lam.list_functions(MaxItems=10, **({"Marker": marker} if marker else {}))
        out.append(1000 * (time.perf_counter() - t0))
    return out


def invoke_ms(lam: Any, name: str, n: int) -> list[float]:
    for _ in range(max(20, n // 4)):  # warm: the environment, the node's caches, the client's pool
        lam.invoke(FunctionName=name, Payload=b"{}")
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"i": i}).encode())
        r["Payload"].read()
        out.append(1000 * (time.perf_counter() - t0))
    return out


def measure(lam: Any, first: str, last: str, invokes: int, lists: int) -> dict[str, float]:
    listing = [list_all(lam) for _ in range(lists)]
    marker = lam.list_functions(MaxItems=max(1, int(listing[0][1]) - 5)).get("NextMarker")  # near the end
    head, tail = page_ms(lam, invokes, None), page_ms(lam, invokes, marker)
    inv_first, inv_last = invoke_ms(lam, first, invokes), invoke_ms(lam, last, invokes)
    return {"list s": median([x[0] for x in listing]), "listed": float(listing[0][1]), "pages": float(listing[0][2]),
            "page p50 ms (first 10)": median(head), "page p50 ms (10 after a marker)": median(tail),
            "invoke p50 ms (first)": median(inv_first), "invoke p99 ms (first)": pct(inv_first, 0.99),
            "invoke p50 ms (last)": median(inv_last)}


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    node = Node(work / "node", service="lambda")
    node.start()
    try:
        lam = node.client("lambda")
        role = make_role(node)
        zipped = code()
        create(lam, role, ["scale-f0"], zipped)
        one = measure(lam, "scale-f0", "scale-f0", args.invokes, args.lists)
        create(lam, role, [f"scale-f{i}" for i in range(1, 10)], zipped)  # a full page of 10: the paging reference
        ten = measure(lam, "scale-f0", "scale-f9", args.invokes, args.lists)
        for k in ("page p50 ms (first 10)", "page p50 ms (10 after a marker)"):
            one[k] = ten[k]
        names = [f"scale-f{i}" for i in range(10, args.functions)]
        rate = create(lam, role, names, zipped)
        many = measure(lam, "scale-f0", names[-1] if names else "scale-f9", args.invokes, args.lists)
        rss = node.rss_mib()
    finally:
        node.stop()
    n = args.functions
    print(f"\n1k-functions scale: 1 function, then {n} on the same node (same run); {args.invokes} warm invokes, "
          f"median of {args.lists} full listings; created {rate:.1f} functions/s; RSS with {n}: {rss:.0f} MiB")
    print("  (the 1-function column's page rows are of 10 functions: a full page of MaxItems=10)")
    print(f"  {'':28s} {'1 function':>12s} {f'{n} functions':>14s} {'ratio':>7s}")
    print(f"  {'ListFunctions, all pages':28s} {1000 * one['list s']:>9.1f} ms {1000 * many['list s']:>11.1f} ms {ratio(many['list s'], one['list s']):>7s}"
          f"   ({int(many['listed'])} functions in {int(many['pages'])} pages)")
    for k in ("page p50 ms (first 10)", "page p50 ms (10 after a marker)", "invoke p50 ms (first)", "invoke p99 ms (first)", "invoke p50 ms (last)"):
        print(f"  {k:28s} {one[k]:>9.2f} ms {many[k]:>11.2f} ms {ratio(many[k], one[k]):>7s}")
    if int(many["listed"]) != n:
        raise SystemExit(f"bench/scale functions: ListFunctions listed {int(many['listed'])} of {n} functions")
    return {"one": one, "many": many}


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--invokes", type=int, default=200, help="warm invokes per measured function")
    ap.add_argument("--lists", type=int, default=3, help="full ListFunctions pagings per measurement")
