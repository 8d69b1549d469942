"""The `AWS/ECS` metrics AWS emits for services: CPUUtilization and MemoryUtilization per
ClusterName and ServiceName (and per ClusterName), sent to CloudWatch through its port
(gureum/services/cloudwatch/port.py `emit`) every `ecs.metrics_interval` seconds by each node
for the tasks it runs.

As AWS computes them: CPUUtilization = CPU time the service's tasks used over the interval /
the CPU reserved for them (task cpu units / 1024 vCPU) x 100; MemoryUtilization = memory the
tasks use / the memory reserved for them x 100. Usage comes from the tasks' cgroups
(gureum/sandbox/cgroups.py layout: a task's cgroup at <controller>/<task rel>, its containers
below it): v1 `cpuacct.usage` (summed over the containers' groups when the task has none
itself) and `memory.usage_in_bytes`; v2 `cpu.stat` usage_usec and `memory.current`.
`utilization` is pure; `read_usage` is blocking file I/O (run off the loop).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/ECS"
ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Sample:
    """One task's usage at one time: cumulative CPU nanoseconds, memory bytes now."""

    cpu_ns: int
    memory_bytes: int


@dataclass(frozen=True)
class TaskInfo:
    account: str
    region: str
    cluster: str  # cluster name
    service: str  # "" for a task no service started
    cpu_units: int  # reserved (1024 = one vCPU)
    memory_mb: int  # reserved


def _int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def read_usage(rel: str, root: Path = ROOT) -> Sample | None:
    """The usage of the task cgroup at `rel` (None when it is gone or unreadable)."""
    if (root / "cgroup.controllers").exists():  # v2: one hierarchy
        d = root / rel
        cpu = None
        try:
            for line in (d / "cpu.stat").read_text().splitlines():
                if line.startswith("usage_usec "):
                    cpu = int(line.split()[1]) * 1000
        except (OSError, ValueError):
            return None
        mem = _int(d / "memory.current")
        return Sample(cpu, mem) if cpu is not None and mem is not None else None
    mem = _int(root / "memory" / rel / "memory.usage_in_bytes")
    acct = root / "cpuacct" / rel
    cpu = _int(acct / "cpuacct.usage")
    if cpu is None:  # a separate cpuacct hierarchy: the containers' groups (runc made them)
        try:
            cpu = sum(v for child in acct.iterdir() if child.is_dir() and (v := _int(child / "cpuacct.usage")) is not None)
        except OSError:
            cpu = None
    return Sample(cpu, mem) if cpu is not None and mem is not None else None


def utilization(before: dict[str, Sample], after: dict[str, Sample], seconds: float,
                tasks: dict[str, TaskInfo]) -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """(account, region, cluster, service) -> (CPUUtilization %, MemoryUtilization %) of the
    tasks sampled at both ends of an interval of `seconds` (service "" : the cluster's tasks)."""
    used: dict[tuple[str, str, str, str], list[float]] = {}
    for key, a in after.items():
        b, info = before.get(key), tasks.get(key)
        if b is None or info is None or seconds <= 0:
            continue
        vcpu_seconds = max(0, a.cpu_ns - b.cpu_ns) / 1e9
        groups = [(info.account, info.region, info.cluster, "")]
        if info.service:
            groups.append((info.account, info.region, info.cluster, info.service))
        for group in groups:
            acc = used.setdefault(group, [0.0, 0.0, 0.0, 0.0])  # cpu used s, cpu reserved s, mem used MiB, mem reserved MiB
            acc[0] += vcpu_seconds
            acc[1] += info.cpu_units / 1024.0 * seconds
            acc[2] += a.memory_bytes / (1 << 20)
            acc[3] += info.memory_mb
    return {k: (100.0 * v[0] / v[1] if v[1] else 0.0, 100.0 * v[2] / v[3] if v[3] else 0.0) for k, v in used.items()}


class Sampler:
    """Keeps the last sample of every task this node runs; `step` emits the interval's figures."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.last: dict[str, Sample] = {}
        self.at = 0.0

    async def step(self, runs: dict[str, Any], now: float) -> None:
        tasks: dict[str, TaskInfo] = {}
        rels: dict[str, str] = {}
        for key, run in list(runs.items()):
            rel = getattr(run, "task_cgroup_rel", "")
            if not rel or not getattr(run, "cluster", ""):
                continue
            group = str(getattr(run, "group", ""))
            cpu = int(run.cpu or 0) or sum(int(c.spec.get("cpu") or 0) for c in run.containers) or 1024
            mem = int(run.memory or 0) or sum(int(c.spec.get("memory") or c.spec.get("memoryReservation") or 0) for c in run.containers)
            tasks[key] = TaskInfo(run.account, run.region, str(run.cluster).rsplit("/", 1)[-1],
                                  group[len("service:"):] if group.startswith("service:") else "", cpu, mem)
            rels[key] = rel
        samples = await asyncio.to_thread(lambda: {k: s for k, rel in rels.items() if (s := read_usage(rel)) is not None})
        if self.at:
            for (account, region, cluster, service), (cpu_pct, mem_pct) in utilization(self.last, samples, now - self.at, tasks).items():
                dims = {"ClusterName": cluster, **({"ServiceName": service} if service else {})}
                cloudwatch.emit(self.app, account, region, NAMESPACE, "CPUUtilization", dims, cpu_pct, "Percent")
                cloudwatch.emit(self.app, account, region, NAMESPACE, "MemoryUtilization", dims, mem_pct, "Percent")
        self.last, self.at = samples, now
