"""`gureum top`: a terminal view of a running cloud, refreshed in place (plain ANSI), or one
frame with `--once` (scripts and tests).

It reads only gureum's AWS APIs (--endpoint, AWS_ENDPOINT_URL, http://localhost:4566; keys
from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, "test" on an open cloud):
  functions   AWS/Lambda Invocations and Errors per FunctionName (CloudWatch GetMetricData,
              the last two minutes): invocations/s = their sum over the seconds since the
              previous minute began (the emitted metrics reach CloudWatch every
              `cloudwatch.emit_interval` seconds, so the rate lags by that much)
  DNS         AWS/Route53 DNSQueries per HostedZoneId, the same way: queries/s per zone
  tasks       ECS ListClusters, then ListTasks (RUNNING) per cluster
  queues      SQS ListQueues and GetQueueAttributes: visible and in-flight messages
`gather` collects a `Snapshot` (the only I/O); `render` turns one into text (pure).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW_MINUTES = 2


@dataclass
class Snapshot:
    endpoint: str
    at: float
    invocations: dict[str, tuple[float, float]] = field(default_factory=dict)  # function -> (per second, errors per second)
    dns: dict[str, float] = field(default_factory=dict)  # zone id -> queries per second
    tasks: dict[str, int] = field(default_factory=dict)  # cluster -> running tasks
    queues: dict[str, tuple[int, int]] = field(default_factory=dict)  # queue -> (visible, in flight)
    errors: list[str] = field(default_factory=list)  # what could not be read


def _client(service: str, endpoint: str, region: str) -> Any:
    import botocore.config
    import botocore.session

    return botocore.session.get_session().create_client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN"),
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10))


def _rates(cw: Any, namespace: str, metric: str, dimension: str, now: datetime) -> dict[str, float]:
    """dimension value -> the metric's Sum per second over the window (see the docstring)."""
    names = sorted({d["Value"] for m in cw.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric).build_full_result()["Metrics"]
                    for d in m.get("Dimensions", []) if d["Name"] == dimension and len(m["Dimensions"]) == 1})
    if not names:
        return {}
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=WINDOW_MINUTES - 1)
    seconds = max(1.0, (now - start).total_seconds())
    out: dict[str, float] = {}
    for i in range(0, len(names), 500):  # GetMetricData's limit of queries per call
        chunk = names[i : i + 500]
        queries = [{"Id": f"m{n}", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric,
                                                             "Dimensions": [{"Name": dimension, "Value": v}]},
                                                  "Period": 60, "Stat": "Sum"}} for n, v in enumerate(chunk)]
        got = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=now + timedelta(minutes=1))
        for r in got["MetricDataResults"]:
            out[chunk[int(r["Id"][1:])]] = sum(r["Values"]) / seconds
    return out


def gather(endpoint: str, region: str) -> Snapshot:
    snap = Snapshot(endpoint=endpoint, at=time.time())
    now = datetime.now(UTC)
    try:
        cw = _client("cloudwatch", endpoint, region)
        calls = _rates(cw, "AWS/Lambda", "Invocations", "FunctionName", now)
        errors = _rates(cw, "AWS/Lambda", "Errors", "FunctionName", now)
        snap.invocations = {f: (calls[f], errors.get(f, 0.0)) for f in calls}
        snap.dns = _rates(_client("cloudwatch", endpoint, "us-east-1"), "AWS/Route53", "DNSQueries", "HostedZoneId", now)
    except Exception as exc:  # noqa: BLE001 - one panel failing leaves the others
        snap.errors.append(f"metrics: {exc}")
    try:
        ecs = _client("ecs", endpoint, region)
        for arn in ecs.get_paginator("list_clusters").paginate().build_full_result()["clusterArns"]:
            tasks = ecs.get_paginator("list_tasks").paginate(cluster=arn, desiredStatus="RUNNING").build_full_result()["taskArns"]
            snap.tasks[arn.rsplit("/", 1)[-1]] = len(tasks)
    except Exception as exc:  # noqa: BLE001
        snap.errors.append(f"tasks: {exc}")
    try:
        sqs = _client("sqs", endpoint, region)
        for url in sqs.get_paginator("list_queues").paginate().build_full_result().get("QueueUrls", []):
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            snap.queues[url.rsplit("/", 1)[-1]] = (int(attrs.get("ApproximateNumberOfMessages", 0)),
                                                  int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)))
    except Exception as exc:  # noqa: BLE001
        snap.errors.append(f"queues: {exc}")
    return snap


def _bar(value: float, top: float, width: int = 20) -> str:
    n = 0 if top <= 0 else round(width * min(1.0, value / top))
    return "█" * n + "·" * (width - n)


def render(snap: Snapshot, width: int = 80) -> str:
    """One frame of text (no escape codes)."""
    when = datetime.fromtimestamp(snap.at, UTC).strftime("%H:%M:%S")
    lines = [f"gureum top — {snap.endpoint} — {when} UTC".ljust(width)[:width]]
    total_inv = sum(r for r, _ in snap.invocations.values())
    total_dns = sum(snap.dns.values())
    lines.append(f"invocations {total_inv:9.2f}/s   DNS {total_dns:9.2f} q/s   running tasks {sum(snap.tasks.values()):5d}   "
                 f"queued {sum(v for v, _ in snap.queues.values()):7d}")
    lines.append("")
    lines.append(f"{'FUNCTION':32} {'INVOCATIONS/S':>13} {'ERRORS/S':>9}")
    top = max((r for r, _ in snap.invocations.values()), default=0.0)
    for name, (rate, err) in sorted(snap.invocations.items(), key=lambda kv: (-kv[1][0], kv[0])):
        lines.append(f"{name[:32]:32} {rate:13.2f} {err:9.2f} {_bar(rate, top)}")
    if not snap.invocations:
        lines.append("  (no invocations in the last two minutes)")
    lines.append("")
    lines.append(f"{'HOSTED ZONE':32} {'QUERIES/S':>13}")
    top = max(snap.dns.values(), default=0.0)
    for zone, rate in sorted(snap.dns.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{zone[:32]:32} {rate:13.2f} {_bar(rate, top)}")
    if not snap.dns:
        lines.append("  (no DNS queries in the last two minutes)")
    lines.append("")
    lines.append(f"{'CLUSTER':32} {'RUNNING TASKS':>13}")
    for cluster, n in sorted(snap.tasks.items()):
        lines.append(f"{cluster[:32]:32} {n:13d}")
    if not snap.tasks:
        lines.append("  (no clusters)")
    lines.append("")
    lines.append(f"{'QUEUE':32} {'VISIBLE':>13} {'IN FLIGHT':>9}")
    top = max((v for v, _ in snap.queues.values()), default=0)
    for queue, (visible, inflight) in sorted(snap.queues.items(), key=lambda kv: (-kv[1][0], kv[0])):
        lines.append(f"{queue[:32]:32} {visible:13d} {inflight:9d} {_bar(visible, top)}")
    if not snap.queues:
        lines.append("  (no queues)")
    for problem in snap.errors:
        lines.append(f"! {problem}"[:width])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gureum top", description="live invocations/s, DNS qps, running tasks and queue depths")
    p.add_argument("--endpoint", default=os.environ.get("GUREUM_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    p.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between frames")
    p.add_argument("--once", action="store_true", help="print one frame and exit")
    args = p.parse_args(argv)
    if args.once:
        snap = gather(args.endpoint, args.region)
        sys.stdout.write(render(snap))
        return 1 if len(snap.errors) == 3 else 0
    try:
        while True:
            frame = render(gather(args.endpoint, args.region))
            sys.stdout.write("\x1b[H\x1b[2J" + frame)  # home, clear: the frame in place
            sys.stdout.flush()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
