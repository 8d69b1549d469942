"""The web console's first paint and API calls per page, in a real headless Chromium, with a
floor in the same run:

- per page (a fresh navigation each time): first contentful paint (ms from navigation, the
  browser's own `first-contentful-paint` entry), ready (ms from the page's route starting to
  its data shown: the console marks main[data-ms] once the page's API calls have answered)
  and the AWS API calls it made;
- the floor: first paint of GET /_gureum/health (a small JSON document from the same gureum,
  same browser), so the console's paint reads as a multiple of a page's fixed cost.
Medians of `--rounds`. Workload: a zone with a record, 5 queues, one function (invoked), a
cluster, a repository and a custom metric.

    python bench/console/run.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from console.cdp import Browser, Page  # noqa: E402
from harness import GureumProcess  # noqa: E402

PAGES = ["/", "/route53", "/lambda", "/sqs", "/ecs", "/ecr", "/costs", "/metrics", "/logs", "/dns"]


def _workload(g: GureumProcess) -> None:
    r53 = g.client("route53")
    zone = r53.create_hosted_zone(Name="bench.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "www.bench.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    sqs = g.client("sqs")
    for i in range(5):
        sqs.send_message(QueueUrl=sqs.create_queue(QueueName=f"bench-{i}")["QueueUrl"], MessageBody="x")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    print('hi')\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = g.client("iam").create_role(RoleName="bench-console", AssumeRolePolicyDocument=json.dumps(trust))
    lam = g.client("lambda")
    lam.create_function(FunctionName="bench-fn", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()})
    lam.get_waiter("function_active_v2").wait(FunctionName="bench-fn")
    lam.invoke(FunctionName="bench-fn")
    g.client("ecs").create_cluster(clusterName="bench")
    g.client("ecr").create_repository(repositoryName="bench")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    g.client("cloudwatch").put_metric_data(Namespace="Bench", MetricData=[
        {"MetricName": "m", "Timestamp": now - timedelta(minutes=k), "Value": float(k)} for k in range(60)])


def _until(page: Page, expr: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = page.evaluate(expr)
        if got:
            return got
        time.sleep(0.02)
    raise TimeoutError(expr)


def _fcp(page: Page) -> float:
    return float(_until(page, "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0"))


def _load(page: Page, url: str) -> None:
    page.navigate("about:blank")
    _until(page, "location.href === 'about:blank'")
    page.navigate(url)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    g = GureumProcess(Path(tempfile.mkdtemp(prefix="bench-console-")) / "data")
    g.start()
    browser = Browser.start()
    try:
        _workload(g)
        page = browser.page()
        floor = []
        for _ in range(args.rounds):
            _load(page, f"{g.endpoint}/_gureum/health")
            floor.append(_fcp(page))
        print(f"floor: first paint of /_gureum/health  {statistics.median(floor):7.1f} ms")
        page.errors.clear()  # Chromium asks for /favicon.ico beside a JSON document: the floor's, not the console's
        print(f"{'page':10} {'first paint ms':>15} {'x floor':>8} {'ready ms':>9} {'API calls':>10}")
        for hash_ in PAGES:
            paints, ready, calls = [], [], []
            for _ in range(args.rounds):
                _load(page, f"{g.endpoint}/_gureum/console#{hash_}")
                paints.append(_fcp(page))
                ready.append(float(_until(page, "document.getElementById('main') && document.getElementById('main').dataset.ms")))
                calls.append(int(page.evaluate("document.getElementById('main').dataset.calls")))
            fp = statistics.median(paints)
            print(f"{hash_:10} {fp:15.1f} {fp / statistics.median(floor):8.2f} {statistics.median(ready):9.1f} {max(calls):10d}")
        page.pump()
        if page.errors:
            print("console errors:", *page.errors, sep="\n  ")
        page.ws.close()
    finally:
        browser.close()
        g.stop()


if __name__ == "__main__":
    main()
