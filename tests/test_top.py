"""`gureum top --once` against a running gureum: a function's invocations, a zone's DNS
queries, a cluster and a queue's depth show in the frame; `render` on known values."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator

import pytest
from harness import GureumProcess
from waiting import wait_for

from gureum.top import Snapshot, render


def test_render_lays_out_every_panel():
    snap = Snapshot(endpoint="http://127.0.0.1:1", at=0.0, invocations={"fast": (2.5, 0.5), "slow": (0.25, 0.0)},
                    dns={"Z1": 10.0}, tasks={"default": 3}, queues={"jobs": (7, 1)})
    frame = render(snap)
    lines = frame.splitlines()
    assert lines[0].startswith("gureum top — http://127.0.0.1:1 — 00:00:00 UTC")
    assert re.search(r"invocations\s+2\.75/s\s+DNS\s+10\.00 q/s\s+running tasks\s+3\s+queued\s+7", lines[1])
    fast = next(line for line in lines if line.startswith("fast "))
    assert fast.split()[1:3] == ["2.50", "0.50"] and fast.endswith("█" * 20)
    assert lines.index(fast) < lines.index(next(line for line in lines if line.startswith("slow ")))  # busiest first
    assert next(line for line in lines if line.startswith("Z1 ")).split()[1] == "10.00"
    assert next(line for line in lines if line.startswith("default ")).split()[1] == "3"
    assert next(line for line in lines if line.startswith("jobs ")).split()[1:3] == ["7", "1"]
    empty = render(Snapshot(endpoint="e", at=0.0))
    assert "(no invocations in the last two minutes)" in empty and "(no queues)" in empty


@pytest.fixture
def g(tmp_path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3"})
    proc.start()
    yield proc
    proc.stop()


def _top(g: GureumProcess) -> str:
    out = subprocess.run([sys.executable, "-m", "gureum", "top", "--once", "--endpoint", g.endpoint],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _row(frame: str, name: str) -> list[str]:
    return next((line.split() for line in frame.splitlines() if line.startswith(name + " ")), [])


def test_top_once_shows_live_activity(g):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = g.client("iam").create_role(RoleName=f"top-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust))
    lam = g.client("lambda")
    fn = f"top-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()})
    lam.get_waiter("function_active_v2").wait(FunctionName=fn)
    for _ in range(3):
        lam.invoke(FunctionName=fn)
    r53 = g.client("route53")
    zone = r53.create_hosted_zone(Name="top.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"].split("/")[-1]
    for _ in range(4):
        subprocess.run(["dig", "@127.0.0.1", "-p", str(g.dns_port), "+short", "+tries=1", "top.test", "SOA"],
                       capture_output=True, timeout=30, check=True)
    g.client("ecs").create_cluster(clusterName="top-cluster")
    sqs = g.client("sqs")
    url = sqs.create_queue(QueueName="top-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")

    frame = ""

    def shown() -> bool:
        nonlocal frame
        frame = _top(g)
        fn_row, zone_row = _row(frame, fn), _row(frame, zone)
        return bool(fn_row) and float(fn_row[1]) > 0 and bool(zone_row) and float(zone_row[1]) > 0

    wait_for("the function's invocations and the zone's queries in the frame", shown, timeout=60, interval=0.5)
    assert _row(frame, "top-cluster")[1] == "0"
    assert _row(frame, "top-queue")[1:3] == ["2", "0"]
    assert not [line for line in frame.splitlines() if line.startswith("! ")]
