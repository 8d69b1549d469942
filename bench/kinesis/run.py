"""Kinesis throughput and stream-to-Lambda latency: gureum against moto's server, in the same run.

    python bench/kinesis/run.py [--calls 40] [--records 500] [--latency 30] [--skip-moto]

Per server: PutRecords records/s (sequential calls of `--records` 100-byte records over 4
shards, one client), PutRecord p50 and the server's floor (STS GetCallerIdentity p50 on the
same connection). gureum only: PutRecord → Lambda handler latency p50/p90 through a Kinesis
event source mapping (the handler compares the record's send time with its own clock; moto's
Lambda needs Docker, which this machine does not run). gureum's shard write limit is turned
off for the throughput run (`kinesis.shard_write_limit=0`: 4 shards would cap it at 4,000
records/s, as AWS would). Loopback only; the servers are started and stopped here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bench.common as common  # noqa: E402

HANDLER = """
import base64, json, time
def handler(event, context):
    now = time.time()
    for r in event["Records"]:
        sent = float(base64.b64decode(r["kinesis"]["data"]))
        print("LATENCY " + json.dumps({"ms": (now - sent) * 1000}))
"""


def gureum() -> common.Gureum:
    return common.Gureum(prefix="gureum-kinesis-bench-", settings=[
        "ecs.enabled=0", "kinesis.shard_write_limit=0", "kinesis.transition_seconds=0"])


def wait(what: str, cond: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def throughput(url: str, calls: int, per_call: int) -> dict[str, float]:
    kin, sts = common.client(url, "kinesis"), common.client(url, "sts")
    kin.create_stream(StreamName="bench", ShardCount=4)
    wait("stream", lambda: kin.describe_stream_summary(StreamName="bench")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE")
    out: dict[str, float] = {}
    for _ in range(20):  # warm-up
        sts.get_caller_identity()
        kin.put_record(StreamName="bench", Data=b"w", PartitionKey="w")
    out["floor p50 ms"], _ = common.p50_rate(lambda i: sts.get_caller_identity(), 200)
    out["PutRecord p50 ms"], out["PutRecord/s"] = common.p50_rate(
        lambda i: kin.put_record(StreamName="bench", Data=b"x" * 100, PartitionKey=f"k{i}"), 200)
    failed = 0
    t0 = time.perf_counter()
    for c in range(calls):
        res = kin.put_records(StreamName="bench", Records=[{"Data": b"x" * 100, "PartitionKey": f"k{c}-{i}"} for i in range(per_call)])
        failed += int(res["FailedRecordCount"])
    out["PutRecords records/s"] = calls * per_call / (time.perf_counter() - t0)
    out["PutRecords failed"] = float(failed)
    return out


def latency(url: str, samples: int) -> dict[str, float]:
    iam, lam, kin, logs = (common.client(url, s) for s in ("iam", "lambda", "kinesis", "logs"))
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=common.LAMBDA_TRUST)["Role"]["Arn"]
    fn = "bench-" + uuid.uuid4().hex[:6]
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": common.zip_package({"app.py": HANDLER})})
    wait("function", lambda: lam.get_function(FunctionName=fn)["Configuration"]["State"] == "Active", 120)
    arn = kin.describe_stream_summary(StreamName="bench")["StreamDescriptionSummary"]["StreamARN"]
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, StartingPosition="LATEST", BatchSize=1)["UUID"]
    wait("mapping", lambda: lam.get_event_source_mapping(UUID=m)["State"] == "Enabled")

    def seen() -> list[float]:
        try:
            events = [e for p in logs.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{fn}", filterPattern="LATENCY") for e in p["events"]]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [json.loads(e["message"].split("LATENCY ", 1)[1])["ms"] for e in events if "LATENCY " in e["message"]]

    # the mapping starts at LATEST once its shard workers run: the first record that arrives is a warm-up
    wait("first delivery", lambda: (kin.put_record(StreamName="bench", Data=str(time.time()).encode(), PartitionKey="l"),
                                    seen())[1], 120)
    base = len(seen())
    for i in range(samples):
        kin.put_record(StreamName="bench", Data=str(time.time()).encode(), PartitionKey="l")
        wait("delivery", lambda i=i: len(seen()) >= base + i + 1)
    got = sorted(seen()[base:])
    return {"PutRecord->handler p50 ms": statistics.median(got), "PutRecord->handler p90 ms": got[int(len(got) * 0.9) - 1]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--records", type=int, default=500)
    ap.add_argument("--latency", type=int, default=30)
    ap.add_argument("--skip-moto", action="store_true")
    args = ap.parse_args()
    servers: dict[str, Callable[[], common.Server | None]] = {"gureum": gureum}
    if not args.skip_moto:
        servers["moto_server"] = common.moto_server

    def measure(name: str, server: common.Server) -> dict[str, float]:
        out = throughput(server.endpoint, args.calls, args.records)
        if name == "gureum":
            out.update(latency(server.endpoint, args.latency))
        return out

    results = common.measure_each(servers, measure)
    keys = list(results["gureum"])
    print(f"{'':28}" + "".join(f"{n:>14}" for n in results))
    for k in keys:
        print(f"{k:28}" + "".join(f"{results[n].get(k, float('nan')):14.2f}" for n in results))
    if "moto_server" in results:
        g, m = results["gureum"], results["moto_server"]
        print(f"PutRecords records/s gureum/moto {g['PutRecords records/s'] / m['PutRecords records/s']:.2f}x")


if __name__ == "__main__":
    main()
