"""Per-call latency through the wire layer, this checkout against a baseline revision, in the
same run: one gureum of each side, started together, and boto3 calls that do little besides
crossing the edge (Lambda GetAccountSettings, SQS ListQueues, S3 ListBuckets, a warm Invoke
of an echo function), measured in alternating rounds so machine noise hits both alike.

    python bench/calls/run.py [--baseline REV] [--rounds 12] [--calls 200]

The baseline is exported with `git archive` to a temporary directory and run from there with
the same interpreter (as bench/limits does). Prints, per call, each side's median of the
rounds' p50 (ms) and the ratio new/baseline (1.00 = no cost). Loopback only.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import LAMBDA_TRUST, ROOT, Gureum, client, median, timed, zip_package  # noqa: E402


def start(tree: Path) -> Gureum:
    return Gureum(tree=tree, prefix="gureum-calls-", settings=["ecs.enabled=0"]).start()


def echo_function(url: str) -> None:
    role = client(url, "iam").create_role(RoleName="calls", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    lam = client(url, "lambda")
    lam.create_function(FunctionName="echo", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zip_package({"app.py": "def handler(event, context):\n    return event\n"})})
    lam.get_waiter("function_active_v2").wait(FunctionName="echo")


def calls(url: str) -> dict[str, Callable[[], object]]:
    lam, sqs, s3 = client(url, "lambda"), client(url, "sqs"), client(url, "s3")
    return {
        "lambda GetAccountSettings": lam.get_account_settings,
        "sqs ListQueues": sqs.list_queues,
        "s3 ListBuckets": s3.list_buckets,
        "lambda Invoke (warm)": lambda: lam.invoke(FunctionName="echo", Payload=b"{}"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="ead1c42")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gureum-calls-base-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(work, filter="data")
    sides = {"baseline": start(work), "new": start(ROOT)}
    try:
        fns = {}
        for name, side in sides.items():
            echo_function(side.endpoint)
            fns[name] = calls(side.endpoint)
            for fn in fns[name].values():  # warm-up: connections, lazy imports, the sandbox
                for _ in range(50):
                    fn()
        results: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for name in ("baseline", "new") if r % 2 == 0 else ("new", "baseline"):
                for call, fn in fns[name].items():
                    results.setdefault((call, name), []).append(median(timed(fn, args.calls)))
        print(f"baseline {args.baseline} vs this checkout; median of {args.rounds} rounds of {args.calls} calls (p50, ms)")
        for call in fns["new"]:
            base = statistics.median(results[(call, "baseline")])
            new = statistics.median(results[(call, "new")])
            print(f"  {call:28} baseline {base:7.3f}  new {new:7.3f}  ratio new/baseline {new / base:.2f}")
    finally:
        for side in sides.values():
            side.stop(60)


if __name__ == "__main__":
    main()
