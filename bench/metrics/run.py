"""CloudWatch metrics throughput and latency, with a floor in the same run:

- PutMetricData: datapoints stored per second, sending a day of 1-minute data for 100 metrics
  (144,000 datapoints) in requests of 1,000 (AWS's maximum) from `--clients` threads;
- GetMetricData over that day for all 100 metrics: every page at Period=60 (144,000 points,
  two pages of AWS's 100,800), and one page at Period=3600; median of `--rounds` (ms);
- the floor: ListDashboards on the same gureum (a call that crosses the edge and reads nothing),
  median ms, so the query figures read as multiples of a call's fixed cost.

    python bench/metrics/run.py [--metrics 100] [--rounds 5] [--clients 2]

Starts one `gureum up` on loopback with its own data dir (tests/harness.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from harness import GureumProcess  # noqa: E402


def _requests(ns: str, metrics: int, start: datetime) -> list[dict[str, Any]]:
    points = [{"MetricName": f"m{i:03d}", "Dimensions": [{"Name": "Host", "Value": f"h{i % 10}"}],
               "Timestamp": start + timedelta(minutes=k), "Value": float((i * 7 + k) % 100)}
              for i in range(metrics) for k in range(1440)]
    return [{"Namespace": ns, "MetricData": points[j:j + 1000]} for j in range(0, len(points), 1000)]


def _timed(fn: Any, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--metrics", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--clients", type=int, default=2)
    args = p.parse_args()
    g = GureumProcess(Path(tempfile.mkdtemp(prefix="bench-metrics-")) / "data")
    g.start()
    try:
        cw = g.client("cloudwatch")
        end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
        start = end - timedelta(days=1) + timedelta(minutes=1)
        reqs = _requests("Bench", args.metrics, start)
        n = sum(len(r["MetricData"]) for r in reqs)
        clients = [g.client("cloudwatch") for _ in range(args.clients)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(lambda ir: clients[ir[0] % len(clients)].put_metric_data(**ir[1]), enumerate(reqs)))
        put_s = time.perf_counter() - t0

        def queries(period: int) -> list[dict[str, Any]]:
            return [{"Id": f"q{i}", "MetricStat": {"Metric": {
                "Namespace": "Bench", "MetricName": f"m{i:03d}", "Dimensions": [{"Name": "Host", "Value": f"h{i % 10}"}]},
                "Period": period, "Stat": "Average"}} for i in range(args.metrics)]

        def every_page(period: int) -> int:
            got = 0
            for page in cw.get_paginator("get_metric_data").paginate(
                    MetricDataQueries=queries(period), StartTime=start, EndTime=end + timedelta(minutes=1)):
                got += sum(len(r["Values"]) for r in page["MetricDataResults"])
            return got

        assert every_page(60) == n, "GetMetricData did not return every datapoint"
        minute_ms = _timed(lambda: every_page(60), args.rounds)
        hour_ms = _timed(lambda: every_page(3600), args.rounds)
        floor_ms = _timed(lambda: [cw.list_dashboards() for _ in range(10)], args.rounds) / 10
        print(f"PutMetricData: {n} datapoints in {put_s:.1f} s = {n / put_s:,.0f} datapoints/s "
              f"({args.clients} clients, 1,000 per request)")
        print(f"GetMetricData, {args.metrics} metrics x 1 day: Period=60 ({n} points, all pages) {minute_ms:.0f} ms; "
              f"Period=3600 {hour_ms:.0f} ms")
        print(f"floor (ListDashboards, same gureum): {floor_ms:.1f} ms; GetMetricData/floor: "
              f"{minute_ms / floor_ms:.0f}x (60 s), {hour_ms / floor_ms:.0f}x (3600 s)")
    finally:
        g.stop()


if __name__ == "__main__":
    main()
