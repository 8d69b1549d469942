"""Authorization gate cost: SQS SendMessage and warm Lambda Invoke latency (client side,
boto3, sequential; median and p90 of N calls) in `--auth open` and `--auth strict`, for
this tree and a baseline tree (`--baseline DIR`, e.g. `git archive <commit> | tar -x -C DIR`)
started in the same run. In strict mode the caller is an IAM user whose inline policy
allows the calls (the gate's full path: grants from the cache, engine.decide).

Usage: python bench/authz/gate.py --baseline /tmp/base [--calls 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import LAMBDA_TRUST, ROOT, Gureum, zip_package  # noqa: E402
from bench.common import client as common_client  # noqa: E402

ACCOUNT = "601000000001"


def client(service: str, endpoint: str, key: str, secret: str) -> Any:
    return common_client(endpoint, service, key=key, secret=secret, retries=1)


def start(source: Path, mode: str, data: Path) -> Gureum:
    return Gureum(data, tree=source, args=["--auth", mode], settings=[f"auth.keys=root:rootsecret:{ACCOUNT}"]).start()


def timed(fn: Any, n: int) -> tuple[float, float]:
    for _ in range(20):
        fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def measure(source: Path, mode: str, calls: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = start(source, mode, Path(tmp) / "data")
        endpoint = server.endpoint
        try:
            iam = client("iam", endpoint, "root", "rootsecret")
            iam.create_user(UserName="bench")
            iam.put_user_policy(UserName="bench", PolicyName="all", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["sqs:*", "lambda:InvokeFunction"], "Resource": "*"}]}))
            k = iam.create_access_key(UserName="bench")["AccessKey"]
            key, secret = (k["AccessKeyId"], k["SecretAccessKey"]) if mode == "strict" else ("root", "rootsecret")
            role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
            root_lam = client("lambda", endpoint, "root", "rootsecret")
            root_lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler",
                                     Code={"ZipFile": zip_package({"app.py": "def handler(e, c):\n    return 1\n"})})
            url = client("sqs", endpoint, "root", "rootsecret").create_queue(QueueName="q")["QueueUrl"]
            sqs = client("sqs", endpoint, key, secret)
            lam = client("lambda", endpoint, key, secret)
            deadline = time.monotonic() + 30  # IAM keys become visible to the edge at once; poll anyway
            while True:
                try:
                    sqs.send_message(QueueUrl=url, MessageBody="x")
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            return {
                "sqs.SendMessage": timed(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"), calls),
                "lambda.Invoke (warm)": timed(lambda: lam.invoke(FunctionName="f", Payload=b"{}"), calls),
            }
        finally:
            server.stop(120)  # a loaded machine stops slowly (sandboxes drain first)


def in_process(n: int = 20000) -> dict[str, float]:
    """Server-side cost of the gate's decision, microseconds per call, without HTTP:
    open mode same account (the hot path) and strict mode's evaluation for an IAM user
    (identity policy + queue policy through engine.decide, parsed policies cached)."""
    import asyncio
    from types import SimpleNamespace

    from gureum.aws.dispatch import RequestContext
    from gureum.policy import actions, gate
    from gureum.policy.engine import AuthRequest, PolicySet, decide
    from gureum.slots import Parts

    app: Any = SimpleNamespace(config=SimpleNamespace(auth="open"), parts=Parts())
    ctx = RequestContext(app=app, service="sqs", operation="SendMessage", account_id=ACCOUNT, region="us-east-1",
                         request_id="", access_key_id="", principal_arn=f"arn:aws:iam::{ACCOUNT}:root")
    params = {"QueueUrl": f"http://localhost:4566/{ACCOUNT}/q", "MessageBody": "x"}

    async def hot() -> float:
        t = time.perf_counter()
        for _ in range(n):
            await gate.authorize(ctx, "SendMessage", params)
        return (time.perf_counter() - t) / n * 1e6

    out = {"open, same account: authorize()": asyncio.run(hot())}
    identity = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:*", "lambda:InvokeFunction"], "Resource": "*"}]})
    queue = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sqs:SendMessage", "Resource": "*"}]})
    t = time.perf_counter()
    for _ in range(n):
        target = actions.target("sqs", "SendMessage", params, ACCOUNT, "us-east-1")
        assert target is not None
        principal = gate.make_principal(f"arn:aws:iam::{ACCOUNT}:user/bench", ACCOUNT)
        req = AuthRequest(principal, target.action, target.resources[0], gate.request_context(ctx, principal))
        ids = [p for p in (gate.parsed(app, identity, "identity"),) if p is not None]
        decide(PolicySet(identity=ids, resource=gate.parsed(app, queue, "resource"), resource_account=ACCOUNT), req)
    out["strict, IAM user: target+decide"] = (time.perf_counter() - t) / n * 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.rounds):  # alternate trees so machine noise hits both alike
        for mode in ("open", "strict"):
            for tree, source in (("baseline", args.baseline), ("gate", ROOT)):
                for name, (p50, _p90) in measure(source, mode, args.calls).items():
                    results.setdefault((mode, name, tree), []).append(p50)
    print(f"{'mode':7} {'call':22} {'baseline p50 ms':>16} {'gate p50 ms':>12} {'ratio':>6}   (median of {args.rounds} rounds)")
    for mode in ("open", "strict"):
        for name in ("sqs.SendMessage", "lambda.Invoke (warm)"):
            b = statistics.median(results[(mode, name, "baseline")])
            g = statistics.median(results[(mode, name, "gate")])
            print(f"{mode:7} {name:22} {b:16.2f} {g:12.2f} {g / b:6.2f}")
    for name, us in in_process().items():
        print(f"in-process {name}: {us:.1f} us/call")


if __name__ == "__main__":
    main()
