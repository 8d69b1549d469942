"""CloudWatch metrics throughput and latency, with a floor and the old code in the same run:

- PutMetricData: datapoints stored per second, sending a day of 1-minute data for 100 metrics
  (144,000 datapoints) in requests of 1,000 (AWS's maximum) from `--clients` threads;
- GetMetricData over that day for all 100 metrics: every page at Period=60 (144,000 points,
  two pages of AWS's 100,800), and one page at Period=3600; median of `--rounds` (ms);
  GetMetricStatistics of one metric over the day at Period=60 (1,440 points, p99 and Average);
- the share of it before boto3 parses the answers (botocore's before-send to before-parse);
- the floors: the raw store scan of the same 144,000 rows (the store's own `scan` of every
  metric's key range, JSON decoding included, on the running gureum's state file, timed next to
  each round) and
  ListDashboards on the same gureum (a call that crosses the edge and reads nothing);
- `--baseline DIR`: the same figures from the source tree in DIR (e.g. `git worktree add
  --detach /tmp/base main`), run first, so before and after come from the same machine load.

    python bench/metrics/run.py [--metrics 100] [--rounds 5] [--clients 2] [--baseline DIR]

Starts one `gureum up` per tree on loopback with its own data dir (tests/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
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


# as a node runs outside the test suite: no check of each answer against its output shape
PRODUCTION = {"GUREUM_API_REPORT_UNMODELED": "0"}


class TreeProcess(GureumProcess):
    """`gureum up` from another source tree (the baseline), not this checkout."""

    def __init__(self, data_dir: Path, tree: Path) -> None:
        super().__init__(data_dir, env=PRODUCTION)
        self.tree = tree

    def command(self) -> list[str]:
        boot = (f"import sys, runpy; sys.path.insert(0, {str(self.tree)!r}); import gureum; "
                f"assert gureum.__file__.startswith({str(self.tree)!r}), gureum.__file__; "
                "runpy.run_module('gureum', run_name='__main__', alter_sys=True)")
        return [sys.executable, "-c", boot, *super().command()[3:]]


class AnswerClock:
    """The time from sending each GetMetricData request to holding its whole answer, before
    boto3 parses it (botocore's before-send and before-parse events): the server's share."""

    def __init__(self, client: Any) -> None:
        self.total = 0.0
        self._sent = 0.0
        client.meta.events.register("before-send.cloudwatch.GetMetricData", self._on_send)
        client.meta.events.register("before-parse.cloudwatch.GetMetricData", self._on_answer)

    def _on_send(self, **_: Any) -> None:
        self._sent = time.perf_counter()

    def _on_answer(self, **_: Any) -> None:
        self.total += time.perf_counter() - self._sent


def measure(g: GureumProcess, args: argparse.Namespace) -> dict[str, float]:
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
            return [{"Id": f"q{i}", "MetricStat": {"Metric": {"Namespace": "Bench", **_metric(i)}, "Period": period, "Stat": "Average"}}
                    for i in range(args.metrics)]

        def every_page(period: int) -> int:
            got = 0
            for page in cw.get_paginator("get_metric_data").paginate(
                    MetricDataQueries=queries(period), StartTime=start, EndTime=end + timedelta(minutes=1)):
                got += sum(len(r["Values"]) for r in page["MetricDataResults"])
            return got

        def one_metric() -> int:
            return len(cw.get_metric_statistics(Namespace="Bench", **_metric(0), StartTime=start,
                                                EndTime=end + timedelta(minutes=1), Period=60,
                                                Statistics=["Average"], ExtendedStatistics=["p99"])["Datapoints"])

        assert every_page(60) == n, "GetMetricData did not return every datapoint"
        assert one_metric() == 1440, "GetMetricStatistics did not return every minute"
        clock = AnswerClock(cw)
        answered: list[float] = []
        floor = ScanFloor(g.data_dir, args.metrics, start.timestamp(), (end + timedelta(minutes=1)).timestamp())
        floors: list[float] = []

        def minute_pages() -> None:
            floors.append(floor.timed())  # the floor next to each round: the machine's load moves
            clock.total = 0.0
            every_page(60)
            answered.append(clock.total * 1000)
        try:
            minute_ms = _timed(minute_pages, args.rounds)
        finally:
            floor.close()
        return {"n": n, "put_s": put_s, "minute_ms": minute_ms, "answer_ms": statistics.median(answered),
                "floor_ms": statistics.median(floors),
                "hour_ms": _timed(lambda: every_page(3600), args.rounds),
                "stats_ms": _timed(one_metric, args.rounds),
                "call_ms": _timed(lambda: [cw.list_dashboards() for _ in range(10)], args.rounds) / 10,
                "start": start.timestamp(), "end": (end + timedelta(minutes=1)).timestamp()}
    finally:
        g.stop()


def _metric(i: int) -> dict[str, Any]:
    return {"MetricName": f"m{i:03d}", "Dimensions": [{"Name": "Host", "Value": f"h{i % 10}"}]}


class ScanFloor:
    """The store's own scan of the rows GetMetricData reads (JSON decoding included), on the
    running gureum's state file through a store of its own (SQLite readers do not block)."""

    def __init__(self, data_dir: Path, metrics: int, start: float, end: float) -> None:
        from gureum.store.open import open_store

        self.store = open_store(f"sqlite:///{data_dir / 'state.db'}")
        self.metrics, self.start, self.end = metrics, start, end
        assert self.scan_all() == metrics * 1440, "the floor did not scan every row"

    def scan_all(self) -> int:
        from gureum.services.cloudwatch import metrics as cw_metrics

        def txn(t: Any) -> int:
            rows = 0
            for i in range(self.metrics):
                m = _metric(i)
                for _res, got in cw_metrics.scan(t, "000000000000", "us-east-1", "Bench", m["MetricName"],
                                                 m["Dimensions"], self.start, self.end):
                    rows += len(got)
            return rows
        return int(self.store.read_sync(txn))

    def timed(self) -> float:
        t0 = time.perf_counter()
        self.scan_all()
        return (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        asyncio.run(self.store.close())


def report(name: str, r: dict[str, float], metrics: int, clients: int) -> None:
    print(f"[{name}] PutMetricData: {r['n']:.0f} datapoints in {r['put_s']:.1f} s = {r['n'] / r['put_s']:,.0f} "
          f"datapoints/s ({clients} clients, 1,000 per request)")
    print(f"[{name}] GetMetricData, {metrics} metrics x 1 day: Period=60 ({r['n']:.0f} points, all pages) "
          f"{r['minute_ms']:.0f} ms (answers received in {r['answer_ms']:.0f} ms, the rest is boto3 parsing); Period=3600 {r['hour_ms']:.0f} ms; GetMetricStatistics 1,440 points "
          f"(Average, p99) {r['stats_ms']:.0f} ms; ListDashboards {r['call_ms']:.1f} ms; "
          f"scan floor {r['floor_ms']:.0f} ms")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--metrics", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--baseline", type=Path, default=None, help="a source tree of the old code (a worktree of main)")
    args = p.parse_args()
    base = None
    if args.baseline is not None:
        base = measure(TreeProcess(Path(tempfile.mkdtemp(prefix="bench-metrics-base-")) / "data",
                                   args.baseline.resolve()), args)
        report("baseline", base, args.metrics, args.clients)
    data = Path(tempfile.mkdtemp(prefix="bench-metrics-")) / "data"
    now = measure(GureumProcess(data, env=PRODUCTION), args)
    report("this tree", now, args.metrics, args.clients)
    floor_ms = now["floor_ms"]
    print(f"floor: raw store scan of the same {args.metrics * 1440} rows {floor_ms:.0f} ms (median, next to each round); "
          f"GetMetricData (Period=60, all pages) / scan floor: {now['minute_ms'] / floor_ms:.1f}x with boto3's parsing, "
          f"{now['answer_ms'] / floor_ms:.1f}x to the answers; Period=3600 (the same rows read): {now['hour_ms'] / floor_ms:.1f}x")
    if base is not None:
        print(f"before/after (same run): GetMetricData Period=60 {base['minute_ms']:.0f} -> {now['minute_ms']:.0f} ms "
              f"({base['minute_ms'] / now['minute_ms']:.1f}x faster; answers {base['answer_ms']:.0f} -> {now['answer_ms']:.0f} ms, "
              f"{base['answer_ms'] / now['answer_ms']:.1f}x); Period=3600 {base['hour_ms']:.0f} -> "
              f"{now['hour_ms']:.0f} ms; GetMetricStatistics {base['stats_ms']:.0f} -> {now['stats_ms']:.0f} ms")


if __name__ == "__main__":
    main()
