"""Events benchmark: SQS send+receive+delete messages/s, S3 put/get MB/s and the S3->Lambda
notification latency (PutObject returned -> function started, p50) through boto3, for gureum
and for MiniStack (pip `ministack`, the peer) started in the same run; median of N runs,
with gureum/peer ratios.

Usage: python bench/events/run.py [--runs 3] [--messages 2000] [--threads 4] [--object-mib 16] [--objects 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import LAMBDA_TRUST, Gureum, Server, ministack_server, run_threads, zip_package  # noqa: E402
from bench.common import client as common_client  # noqa: E402


def client(service: str, endpoint: str) -> Any:
    return common_client(endpoint, service, retries=2, max_pool_connections=32)


def start_ministack() -> Server:
    peer = ministack_server()
    if peer is None:
        raise SystemExit("MiniStack is not installed (pip install ministack): it is this benchmark's peer")
    return peer.start()


def bench_sqs(endpoint: str, messages: int, n_threads: int) -> float:
    """Messages per second for the whole cycle: send one by one, receive in batches of 10,
    delete each received batch (DeleteMessageBatch)."""
    setup = client("sqs", endpoint)
    url = setup.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    clients = [client("sqs", endpoint) for _ in range(n_threads)]
    per = messages // n_threads
    received = [0] * n_threads
    body = "x" * 256

    def send(i: int) -> None:
        c = clients[i]
        for _ in range(per):
            c.send_message(QueueUrl=url, MessageBody=body)

    def consume(i: int) -> None:
        c = clients[i]
        empty = 0
        while sum(received) < per * n_threads and empty < 3:
            got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if not got:
                empty += 1
                continue
            c.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
            received[i] += len(got)

    t_send = run_threads(n_threads, send)
    t_recv = run_threads(n_threads, consume)
    total = sum(received)
    if total < per * n_threads:
        print(f"  warning: received {total} of {per * n_threads}", file=sys.stderr)
    setup.delete_queue(QueueUrl=url)
    return total / (t_send + t_recv)


def bench_s3(endpoint: str, object_mib: int, objects: int, n_threads: int) -> tuple[float, float]:
    s3 = client("s3", endpoint)
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(object_mib << 20)
    clients = [client("s3", endpoint) for _ in range(n_threads)]
    keys = [f"obj-{i}" for i in range(objects)]

    def put(i: int) -> None:
        for k in keys[i::n_threads]:
            clients[i].put_object(Bucket=bucket, Key=k, Body=data)

    def get(i: int) -> None:
        for k in keys[i::n_threads]:
            body = clients[i].get_object(Bucket=bucket, Key=k)["Body"]
            n = 0
            for chunk in body.iter_chunks(1 << 20):
                n += len(chunk)
            assert n == len(data)

    total_mb = object_mib * objects
    t_put = run_threads(n_threads, put)
    t_get = run_threads(n_threads, get)
    for k in keys:
        s3.delete_object(Bucket=bucket, Key=k)
    s3.delete_bucket(Bucket=bucket)
    return total_mb / t_put, total_mb / t_get


LATENCY_FN = "import time\ndef handler(e, c):\n    print('START %.6f %s' % (time.time(), e['Records'][0]['s3']['object']['key']))\n    return 1\n"


def bench_notify_latency(endpoint: str, samples: int) -> float | None:
    """p50 ms from PutObject returning to the notified function starting (the function logs
    its start time; same machine, same clock). None when the server cannot do it."""
    try:
        role = client("iam", endpoint).create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}",
                                                   AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
        lam = client("lambda", endpoint)
        name = f"bench-{uuid.uuid4().hex[:6]}"
        arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                  Code={"ZipFile": zip_package({"app.py": LATENCY_FN})})["FunctionArn"]
        for _ in range(300):
            if lam.get_function(FunctionName=name)["Configuration"].get("State", "Active") == "Active":
                break
            time.sleep(0.1)
        lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com")
        s3 = client("s3", endpoint)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        logs = client("logs", endpoint)
        latencies = []
        for i in range(samples + 1):  # the first one includes the cold start: not counted
            key = f"k{i}"
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
            returned = time.time()
            started = None
            deadline = time.monotonic() + 60
            while started is None and time.monotonic() < deadline:
                try:
                    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}",
                                                    filterPattern="START")["events"]
                except Exception:  # noqa: BLE001 - the log group appears with the first run
                    events = []
                for e in events:
                    parts = e["message"].split()
                    if len(parts) >= 3 and parts[0] == "START" and parts[2] == key:
                        started = float(parts[1])
                time.sleep(0.02)
            if started is None:
                return None
            if i:
                latencies.append((started - returned) * 1000)
        return statistics.median(latencies)
    except Exception as exc:  # noqa: BLE001 - the peer may not support this
        print(f"  notification latency not measured: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--object-mib", type=int, default=16)
    ap.add_argument("--objects", type=int, default=6)
    ap.add_argument("--latency-samples", type=int, default=10)
    args = ap.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    for run in range(args.runs):
        for starter in (lambda: Gureum().start(), start_ministack):
            srv = starter()
            try:
                r = results.setdefault(srv.name, {"sqs": [], "put": [], "get": [], "lat": []})
                r["sqs"].append(bench_sqs(srv.endpoint, args.messages, args.threads))
                put, get = bench_s3(srv.endpoint, args.object_mib, args.objects, args.threads)
                r["put"].append(put)
                r["get"].append(get)
                lat = bench_notify_latency(srv.endpoint, args.latency_samples) if args.latency_samples else None
                if lat is not None:
                    r["lat"].append(lat)
                print(f"run {run + 1} {srv.name:9s}: sqs {r['sqs'][-1]:8.0f} msg/s   s3 put {put:7.1f} MB/s"
                      f"   s3 get {get:7.1f} MB/s   s3->lambda p50 "
                      f"{'n/a' if lat is None else f'{lat:.1f} ms'}", flush=True)
            finally:
                srv.stop()
    med = {name: {k: statistics.median(v) if v else float("nan") for k, v in r.items()}
           for name, r in results.items()}
    g, p = med["gureum"], med["ministack"]
    print(f"\nmedian of {args.runs} runs ({args.messages} messages, {args.threads} client threads, "
          f"{args.objects} x {args.object_mib} MiB objects):")
    print(f"{'':24s}{'gureum':>12s}{'ministack':>12s}{'ratio':>8s}")
    for key, label, unit in (("sqs", "SQS send+recv+delete", "msg/s"), ("put", "S3 put", "MB/s"),
                             ("get", "S3 get", "MB/s")):
        print(f"{label + ' (' + unit + ')':24s}{g[key]:12.1f}{p[key]:12.1f}{g[key] / p[key]:8.2f}")
    print(f"{'S3->Lambda p50 (ms)':24s}{g['lat']:12.1f}{p['lat']:12.1f}{g['lat'] / p['lat']:8.2f}"
          "   (PutObject returned -> function started; lower is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
