"""What one task run needs from the node that runs it: the narrow interface `TaskRun`
(taskrun.py) depends on, instead of the agent. The agent (agent.py) provides it by
delegating to the modules that own each concern:

  task networks      task_networks.NetworkPool
  image pulls        image_access (gureum's ECR, private registry credentials)
  environment files  envfiles
  container env      task metadata endpoint (metadata.py), task_dns (resolv.conf)
  awslogs            task_logs.TaskLogs
  Cloud Map          cloudmap (ACTIVATING / DEACTIVATING)
  billing            task_billing.TaskMeter (RUNNING / STOPPED)
  stop grace         shutdown.StopGrace (a shutting-down node cuts stopTimeout short)

Everything here is a read-only property or a method, so that anything with matching members
(the agent, a test double on plain values) satisfies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gureum.sandbox import cgroups
from gureum.sandbox import images as img
from gureum.sandbox import network as net
from gureum.sandbox import runc as rc
from gureum.services.ecs.image_access import Access
from gureum.store import Store

if TYPE_CHECKING:
    from gureum.services.ecs.taskrun import ContainerRun, TaskRun


class TaskHost(Protocol):
    @property
    def store(self) -> Store:
        """Where the task's document lives (ecs.tasks)."""

    @property
    def runc(self) -> rc.Runc:
        """The container runtime of this node."""

    @property
    def images(self) -> img.ImageCache:
        """Pulled images and unpacked layers of this node."""

    @property
    def tasks_dir(self) -> Path:
        """Each task's files go in <tasks_dir>/<task id> (removed when it stops)."""

    @property
    def cgroup_base(self) -> str:
        """Task cgroups nest at <cgroup_base>/<task id> under each controller's root."""

    @property
    def cgroup_warmth(self) -> cgroups.MigrationWarmth:
        """Held while a task's containers start, so the runtime's cgroup moves do not wait."""

    @property
    def pids_limit(self) -> int:
        """pids.max of each task's cgroup."""

    @property
    def publish_host(self) -> str:
        """The host address task ports are published on."""

    @property
    def default_stop_timeout(self) -> float:
        """Seconds between the stop signal and SIGKILL when a container names none."""

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `coro` as a background task the node owns (waited for or cancelled at shutdown)."""

    async def take_network(self, task_id: str) -> net.TaskNetwork:
        """A network namespace with an address for the task (net.NetworkError when none)."""

    def release_network(self, tn: net.TaskNetwork) -> None:
        """Give back the task's network (blocking: called in a thread)."""

    async def registry_access(self, image: str, account: str, region: str, *, ec2: bool = False) -> Access:
        """Credentials, host rewrites and an in-process manifest reader for pulling `image`."""

    async def load_env_files(self, account: str, files: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        """A container's environmentFiles, read (envfiles.EnvFileError when one cannot be)."""

    def container_env(self, run: TaskRun, c: ContainerRun) -> dict[str, str]:
        """The variables ECS puts in every container's environment (region, metadata URIs...)."""

    def resolv_conf(self) -> str:
        """The text of a task's /etc/resolv.conf."""

    def log_target(self, run: TaskRun, c: ContainerRun) -> tuple[str | None, str | None]:
        """The (group, stream) a container's output goes to, or (None, None)."""

    async def check_log_group(self, run: TaskRun, c: ContainerRun) -> str | None:
        """Why the container's awslogs driver would refuse to start, or None."""

    def log(self, account: str, region: str, group: str, stream: str, line: str) -> None:
        """Append one line of container output to a log stream."""

    async def on_activating(self, run: TaskRun) -> None:
        """The task is ACTIVATING: its service registries learn about it."""

    async def on_deactivating(self, run: TaskRun) -> None:
        """The task is DEACTIVATING: its service registries forget it."""

    async def on_running(self, run: TaskRun) -> None:
        """The task is RUNNING: it is billed from here on, even if the node dies."""

    async def on_stopped(self, run: TaskRun, doc: dict[str, Any]) -> None:
        """The task is STOPPED (`doc` is its final document): its usage is settled."""

    async def wait_exited(self, exited: asyncio.Event, timeout: float) -> bool:
        """Until `exited` is set (True) or `timeout` passes (False), cut short at shutdown."""
