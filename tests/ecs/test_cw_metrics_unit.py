"""AWS/ECS utilization from cgroup files: `read_usage` on v1 and v2 layouts (real files in a
directory laid out as /sys/fs/cgroup), and `utilization` per service and per cluster as AWS
computes it (used / reserved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gureum.services.ecs.cw_metrics import Sample, TaskInfo, read_usage, utilization


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_v1_sums_the_containers_cpuacct_when_the_task_has_none(tmp_path):
    rel = "gureum-ecs/p1/task1"
    _write(tmp_path / "memory" / rel / "memory.usage_in_bytes", "52428800\n")
    _write(tmp_path / "cpuacct" / rel / "web" / "cpuacct.usage", "1500000000\n")
    _write(tmp_path / "cpuacct" / rel / "sidecar" / "cpuacct.usage", "500000000\n")
    assert read_usage(rel, tmp_path) == Sample(cpu_ns=2_000_000_000, memory_bytes=52428800)
    _write(tmp_path / "cpuacct" / rel / "cpuacct.usage", "7\n")  # the task's own group wins when it has one
    assert read_usage(rel, tmp_path) == Sample(cpu_ns=7, memory_bytes=52428800)
    assert read_usage("gureum-ecs/p1/gone", tmp_path) is None


def test_v2_reads_cpu_stat_and_memory_current(tmp_path):
    _write(tmp_path / "cgroup.controllers", "cpu memory pids\n")
    _write(tmp_path / "t" / "cpu.stat", "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n")
    _write(tmp_path / "t" / "memory.current", "1048576\n")
    assert read_usage("t", tmp_path) == Sample(cpu_ns=250_000_000, memory_bytes=1048576)


def test_utilization_is_used_over_reserved_per_service_and_cluster():
    a = TaskInfo("1", "us-east-1", "prod", "web", cpu_units=512, memory_mb=1024)  # half a vCPU, 1 GiB
    b = TaskInfo("1", "us-east-1", "prod", "web", cpu_units=512, memory_mb=1024)
    c = TaskInfo("1", "us-east-1", "prod", "", cpu_units=1024, memory_mb=2048)  # a task no service started
    before = {"a": Sample(0, 0), "b": Sample(10**9, 0), "c": Sample(0, 0)}
    after = {"a": Sample(5 * 10**9, 256 << 20), "b": Sample(10**9, 768 << 20), "c": Sample(10 * 10**9, 1024 << 20),
             "new": Sample(1, 1)}  # a task without a previous sample is not counted yet
    out = utilization(before, after, 20.0, {"a": a, "b": b, "c": c, "new": a})
    # web: 5 vCPU-s used of 2 x 0.5 x 20 = 20 reserved; 1024 MiB of 2048
    assert out[("1", "us-east-1", "prod", "web")] == pytest.approx((25.0, 50.0))
    # the cluster: 15 of 40 vCPU-s, 2048 MiB of 4096
    assert out[("1", "us-east-1", "prod", "")] == pytest.approx((37.5, 50.0))
    assert set(out) == {("1", "us-east-1", "prod", "web"), ("1", "us-east-1", "prod", "")}
