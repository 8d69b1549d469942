"""Fargate usage rows in the ledger are priced by `gureum costs` beside Lambda; running
usage is checkpointed, survives kill -9 and is settled on restart; `gureum costs` without
state refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, GureumProcess
from waiting import wait_for

from gureum.billing import meter, prices
from gureum.billing.cli import fargate_report
from gureum.billing.ledger import USAGE, fargate_summary
from gureum.store.memory import MemoryStore

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, wait_status

ARN = "arn:aws:ecs:us-east-1:000000000000:task/default/abc123"


def test_fargate_rows_are_priced_per_second_with_the_one_minute_minimum() -> None:
    store = MemoryStore()

    def write(txn):  # type: ignore[no-untyped-def]
        txn.put(USAGE, "000000000000/fargate/0000000000001.n0000000001", {
            "service": "fargate", "region": "us-east-1", "resource": ARN, "seconds": 12.5,
            "billed_seconds": 60, "vcpu": 0.25, "memory_gb": 0.5, "arch": "x86_64"})
        txn.put(USAGE, "000000000000/fargate/0000000000002.n0000000002", {
            "service": "fargate", "region": "us-east-1", "resource": ARN, "seconds": 90.0,
            "billed_seconds": 90, "vcpu": 0.25, "memory_gb": 0.5, "arch": "x86_64"})

    store.run_sync(write)
    summary = store.run_sync(lambda t: fargate_summary(t))
    s = summary[("000000000000", ARN)]
    assert s["billed_seconds"] == 150
    expected = prices.fargate_cost(60, 0.25, 0.5) + prices.fargate_cost(90, 0.25, 0.5)
    assert abs(s["cost"] - expected) < 1e-12
    assert abs(expected - (150 / 3600) * (0.25 * 0.04048 + 0.5 * 0.004445)) < 1e-12
    lines, total = fargate_report(summary)
    assert "default/abc123" in lines[1]
    assert abs(total - expected) < 1e-12


# --- durable metering: checkpoints, kill -9, settling, the CLI without a server ----------------

def costs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gureum", "costs", *args], capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False)


def fargate_rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    res = costs("--json", "--data-dir", str(data_dir))
    assert res.returncode == 0, res.stderr
    return {t["task"]: t for t in json.loads(res.stdout)["fargate"]}


def test_costs_without_any_state_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "never-started"
    res = costs("--data-dir", str(data_dir))
    assert res.returncode != 0
    assert "no gureum state" in res.stderr and str(data_dir) in res.stderr
    assert res.stdout == ""
    assert not data_dir.exists()


def test_settling_writes_one_usage_row_and_removes_the_running_row() -> None:
    store = MemoryStore()
    row = {"region": "us-east-1", "resource": ARN, "node": "n1", "started": 1000.0, "vcpu": 0.25, "memory_gb": 0.5, "arch": "x86_64"}
    store.run_sync(lambda t: meter.checkpoint(t, "000000000000", row, 1100.0))
    store.run_sync(lambda t: meter.checkpoint(t, "000000000000", row, 1190.0))
    assert [r["checkpoint"] for _, r in store.run_sync(lambda t: list(meter.running_rows(t)))] == [1190.0]
    # the node died; its last heartbeat came after the last checkpoint
    settled = store.run_sync(lambda t: meter.settle_node(t, "n1", 1195.0))
    assert [u["seconds"] for u in settled] == [195.0]
    assert store.run_sync(lambda t: list(meter.running_rows(t))) == []
    s = store.run_sync(lambda t: fargate_summary(t))[("000000000000", ARN)]
    assert s["seconds"] == 195.0 and s["billed_seconds"] == 195
    assert store.run_sync(lambda t: meter.settle_node(t, "n1", 1300.0)) == []  # nothing twice


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
def test_running_usage_is_checkpointed_and_settled_after_kill_9(tmp_path: Path) -> None:
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "billing.checkpoint_interval=0.5"])
    g.start()
    try:
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        layout = build_image(tmp_path / "layout", "v1")
        g.client("ecr").create_repository(repositoryName="metered")
        uri = f"127.0.0.1:{g.port}/metered:v1"
        push(layout, "v1", uri)
        ecs = g.client("ecs")
        td = ecs.register_task_definition(
            family="metered", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": uri, "command": ["sleep", "600"]}],
        )["taskDefinition"]["taskDefinitionArn"]
        arns = [t["taskArn"] for t in ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, count=2)["tasks"]]
        for arn in arns:
            wait_status(ecs, arn, "RUNNING")
        ids = set(arns)

        # running tasks are listed with what they have accrued, marked running
        def accrued() -> dict[str, Any] | None:
            rows = fargate_rows(g.data_dir)
            return rows if ids <= set(rows) and all(rows[i]["running"] and rows[i]["seconds"] >= 2 for i in ids) else None

        rows = wait_for("every task listed running with 2 s accrued", accrued, timeout=60)
        g.kill9()

        # with no server: still there, still running, at least what was seen before
        after_kill = fargate_rows(g.data_dir)
        assert all(after_kill[i]["running"] and after_kill[i]["seconds"] >= rows[i]["seconds"] for i in ids), after_kill

        g.start()
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        ecs = g.client("ecs")
        for arn in arns:
            task = wait_status(ecs, arn, "STOPPED")
            assert task["stopCode"] == "TerminationNotice"
        settled = fargate_rows(g.data_dir)
        for i in ids:
            assert not settled[i]["running"], settled[i]
            assert settled[i]["seconds"] >= after_kill[i]["seconds"]
            assert settled[i]["billedSeconds"] >= 60 and settled[i]["cost"] > 0
        text = costs("--data-dir", str(g.data_dir)).stdout
        assert all(i.split(":task/", 1)[1] in text for i in ids) and "running" not in text
    finally:
        g.stop()
