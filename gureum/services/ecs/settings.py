"""ECS's settings (`gureum up --set ecs.KEY=VALUE` or GUREUM_ECS_KEY; gureum/settings.py).
Read by the node at start-up (a bad value stops it); the agent reads them from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gureum.sandbox.runc import RUNTIMES
from gureum.settings import SettingError


@dataclass(frozen=True)
class EcsSettings:
    PREFIX: ClassVar[str] = "ecs"
    metrics_interval: float = 60.0
    """seconds between AWS/ECS CPUUtilization/MemoryUtilization values of the tasks this node runs"""
    run_tasks: bool = True
    """this node runs tasks (false: it serves the API only)"""
    register_instance: bool = True
    """this node registers itself as a container instance"""
    cluster: str = "default"
    """the cluster this node's container instance joins"""
    account: str = "000000000000"
    """the account of this node's container instance"""
    region: str = "us-east-1"
    """the region of this node's container instance"""
    instance_cpu: int = 0
    """CPU units the instance offers (0: 1024 per core)"""
    instance_memory: int = 0
    """MiB the instance offers (0: the host's memory)"""
    publish_host: str = "127.0.0.1"
    """the host address task ports are published on"""
    insecure_registries: tuple[str, ...] = ()
    """registries (host:port) pulled from over plain HTTP"""
    engine_auth_type: str | None = None
    """private registry credentials' format, as the ECS agent's ECS_ENGINE_AUTH_TYPE"""
    engine_auth_data: str | None = None
    """private registry credentials, as the ECS agent's ECS_ENGINE_AUTH_DATA"""
    stop_timeout: float = 30.0
    """seconds between SIGTERM and SIGKILL when a task stops (default of stopTimeout)"""
    shutdown_grace: float = 2.0
    """seconds tasks get when the node stops"""
    task_pids_max: int = 4096
    """processes per task"""
    warm_networks: int = 2
    """task network namespaces kept ready"""
    heartbeat_interval: float = 5.0
    """seconds between this node's heartbeats"""
    node_timeout: float = 30.0
    """a node silent this long is dead: its tasks are stopped or claimed"""
    claim_grace: float = 5.0
    """seconds before another node claims a dead node's Fargate tasks"""
    follow_interval: float = 0.2
    """seconds between reads of other nodes' task changes (shared store)"""
    scheduler_interval: float = 0.5
    """seconds between service scheduler passes"""
    dns_wait: float = 60.0
    """seconds a task waits for the DNS server to answer its resolver"""
    oci_runtime: str = "auto"
    """the OCI runtime that runs containers: runc, crun, or auto (crun when installed and able to run on this host, else runc)"""

    def __post_init__(self) -> None:
        if self.oci_runtime not in RUNTIMES:
            raise SettingError(f"setting ecs.oci_runtime: expected one of {', '.join(RUNTIMES)}, got {self.oci_runtime!r}")
